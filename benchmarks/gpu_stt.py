"""Whisper (faster-whisper / CTranslate2) on CUDA against the CPU, in the same process.

    python benchmarks/gpu_stt.py --model DIR --clips clips.npz --out gpu_stt.json [--repeat 5]

The GPU check for the STT stage. It needs only numpy, ctranslate2 and faster-whisper (not the
whole interviewer install), so it runs on a bare CUDA machine; it loads the project's own engine
(interviewer/engines/whisper_stt.py, short encoder window included) straight from its file.
``clips.npz`` holds 16 kHz int16 arrays plus their reference transcripts
(``--make-clips ../shared/audio`` writes it from a MANIFEST.tsv folder, where soundfile exists).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def _engine_module() -> Any:
    sys.path.insert(0, str(ROOT))
    # A bare package stands in for interviewer.engines, whose __init__ pulls in the whole
    # configuration stack; the engine file needs only its activity module from it.
    import types

    engines_dir = ROOT / "interviewer" / "engines"
    package = types.ModuleType("interviewer.engines")
    package.__path__ = [str(engines_dir)]
    sys.modules["interviewer.engines"] = package
    package.activity = _load("interviewer.engines.activity", engines_dir / "activity.py")  # type: ignore[attr-defined]
    spec = importlib.util.spec_from_file_location(
        "whisper_stt", ROOT / "interviewer" / "engines" / "whisper_stt.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _wer(ref: str, hyp: str) -> float:
    import re

    def norm(s: str) -> list[str]:
        return re.sub(r"[^a-z0-9' ]+", " ", s.lower()).split()

    r, h = norm(ref), norm(hyp)
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)] / max(1, len(r))


def make_clips(folder: Path, out: Path) -> None:
    import soundfile as sf
    import soxr

    arrays: dict[str, Any] = {}
    refs = {}
    for line in (folder / "MANIFEST.tsv").read_text().splitlines()[1:]:
        cols = line.split("\t")
        name, ref = cols[0], cols[-1]
        if ref == "NONE":
            continue
        audio, sr = sf.read(str(folder / name), dtype="float32", always_2d=True)
        audio = audio.mean(axis=1)
        if sr != 16_000:
            audio = soxr.resample(audio, sr, 16_000)
        arrays[name] = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
        refs[name] = ref
    np.savez_compressed(out, refs=json.dumps(refs), **arrays)
    print(f"wrote {out}: {len(arrays)} clips")


def bench(stt: Any, clips: dict[str, np.ndarray], refs: dict[str, str], repeat: int) -> dict:
    out: dict[str, Any] = {}
    modes: dict[str, dict[str, Any]] = {
        "text_short_window": {"word_timestamps": False},
        "text_full_window": {"word_timestamps": False, "initial_prompt": None},
        "words": {"word_timestamps": True},
        "beam5_text": {"word_timestamps": False, "beam_size": 5},
    }
    for mode, kwargs in modes.items():
        if mode == "text_full_window":
            stt.short_window = False
        lat: list[float] = []
        rtf: list[float] = []
        errors: list[float] = []
        for name, audio in clips.items():
            x = audio.astype(np.float32) / 32767
            stt.transcribe(x, **kwargs)  # warm-up (CUDA kernels, allocator)
            for _ in range(repeat):
                t = time.perf_counter()
                result = stt.transcribe(x, **kwargs)
                dt = time.perf_counter() - t
                lat.append(dt * 1000)
                rtf.append(dt / (len(x) / 16_000))
            errors.append(_wer(refs[name], result.text))
        stt.short_window = True
        out[mode] = {
            "p50_ms": round(float(np.percentile(lat, 50)), 1),
            "p95_ms": round(float(np.percentile(lat, 95)), 1),
            "rtf_p50": round(float(np.percentile(rtf, 50)), 4),
            "mean_wer": round(statistics.fmean(errors), 3),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path)
    ap.add_argument("--clips", type=Path)
    ap.add_argument("--out", type=Path, default=Path("gpu_stt.json"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--devices", default="cuda,cpu")
    ap.add_argument("--make-clips", type=Path, help="write --clips from this MANIFEST folder")
    args = ap.parse_args()
    if args.make_clips:
        make_clips(args.make_clips, args.clips)
        return
    import ctranslate2

    mod = _engine_module()
    data = np.load(args.clips)
    refs = json.loads(str(data["refs"]))
    clips = {k: data[k] for k in data.files if k != "refs"}
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "ctranslate2": ctranslate2.__version__,
            "cuda_devices": ctranslate2.get_cuda_device_count(),
            "cpu_threads": __import__("os").cpu_count(),
        },
        "clips": len(clips),
        "audio_s": round(sum(len(a) for a in clips.values()) / 16_000, 1),
    }
    for device in args.devices.split(","):
        t = time.perf_counter()
        try:
            stt = mod.WhisperSTT(args.model, device=device, model_id=args.model.name)
        except Exception as exc:  # report why the device failed, keep the other one
            results[device] = {"error": f"{type(exc).__name__}: {exc}"}
            print(device, "failed:", exc, flush=True)
            continue
        load_s = time.perf_counter() - t
        results[device] = {"compute_type": stt.compute_type, "load_s": round(load_s, 2)}
        try:
            results[device].update(bench(stt, clips, refs, args.repeat))
        except Exception as exc:
            results[device]["error"] = f"{type(exc).__name__}: {exc}"
        print(device, json.dumps(results[device]), flush=True)
    if "cuda" in results and "cpu" in results:
        for mode in ("text_short_window", "words"):
            with contextlib.suppress(KeyError, ZeroDivisionError):  # a device that failed
                results[f"cpu_over_cuda_{mode}_p50"] = round(
                    results["cpu"][mode]["p50_ms"] / results["cuda"][mode]["p50_ms"], 1
                )
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
