"""Per-engine load and inference times on the embedded default models.

    .venv/bin/python benchmarks/engines.py [--repeats 5] [--out bench-out/engines.json]

Prints a Markdown table (the one in the README) and writes the raw figures as JSON. Timings are
wall-clock on this machine, reported as p50/p95 over ``--repeats`` runs after one warm-up run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from interviewer.audio.io import load_audio  # noqa: E402
from interviewer.config import Settings  # noqa: E402

EMBEDDED = Settings(vad="embedded", stt="embedded", llm="embedded", tts="embedded", device="cpu")
AUDIO = Path(os.environ.get("INTERVIEWER_SHARED_AUDIO", REPO.parent / "shared" / "audio"))


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def timed(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    fn()  # warm-up: first calls pay for allocations and lazy initialisation
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def bench(repeats: int) -> dict[str, Any]:
    from interviewer import engines

    rows: list[dict[str, Any]] = []
    res: dict[str, Any] = {"rows": rows}

    def row(engine: str, what: str, times: list[float], note: str = "") -> None:
        rows.append(
            {
                "engine": engine,
                "what": what,
                "p50_ms": round(1000 * statistics.median(times), 2),
                "p95_ms": round(1000 * pct(times, 95), 2),
                "note": note,
            }
        )

    # ---- VAD
    t0 = time.perf_counter()
    vad = engines.load_vad(EMBEDDED)
    row("vad silero", "load", [time.perf_counter() - t0])
    speech = load_audio(AUDIO / "jfk_ask_not.flac")
    frames = [speech[i : i + 512] for i in range(0, 512 * 300, 512)]
    per_frame: list[float] = []
    vad.reset()
    for f in frames:
        t = time.perf_counter()
        vad.speech_prob(f)
        per_frame.append(time.perf_counter() - t)
    row(
        "vad silero",
        "one 32 ms frame",
        per_frame,
        f"{1000 * statistics.median(per_frame) / 32:.1%} of real time",
    )

    # ---- STT
    t0 = time.perf_counter()
    stt = engines.load_stt(EMBEDDED)
    row("stt whisper tiny.en int8", "load", [time.perf_counter() - t0])
    for name in ("cmu_cards_002.wav", "librispeech_1272-128104-0000.wav", "jfk_ask_not.flac"):
        audio = load_audio(AUDIO / name)
        dur = len(audio) / 16_000
        times, _ = timed(lambda a=audio: stt.transcribe(a, word_timestamps=True), repeats)
        row(
            "stt whisper tiny.en int8",
            f"{dur:.1f} s clip, words (full 30 s window)",
            times,
            f"RTF {statistics.median(times) / dur:.2f}",
        )
        quick, _ = timed(lambda a=audio: stt.transcribe(a, word_timestamps=False), repeats)
        row(
            "stt whisper tiny.en int8",
            f"{dur:.1f} s clip, text only (short window)",
            quick,
            f"{statistics.median(times) / statistics.median(quick):.1f}x faster",
        )

    # ---- TTS
    t0 = time.perf_counter()
    tts = engines.load_tts(EMBEDDED)
    row("tts piper joe-medium", "load", [time.perf_counter() - t0])
    for text in (
        "Thank you.",
        "Tell me about a time you had to make a decision with incomplete data.",
    ):

        def first_audio(t: str = text) -> float:
            chunk = next(iter(tts.synthesize(t)))
            return chunk.duration

        times, audio_s = timed(first_audio, repeats)
        row(
            "tts piper joe-medium",
            f"first audio, {len(text.split())} words",
            times,
            f"RTF {statistics.median(times) / audio_s:.2f}",
        )

    # ---- LLM
    t0 = time.perf_counter()
    llm = engines.load_llm(EMBEDDED)
    row("llm gemma-3-270m q4_k_m", "load", [time.perf_counter() - t0])
    prefix = (
        "You are a structured interviewer for a data scientist role. Ask one short follow-up "
        "question about the candidate's last answer, focusing on measurable outcomes.\n"
    ) * 4

    def ttft(prompt: str) -> float:
        t = time.perf_counter()
        for _ in llm.stream(prompt, max_tokens=1):
            break
        return time.perf_counter() - t

    cold, warm = [], []
    for i in range(repeats):
        # A new first token leaves no common prefix with the last call: the whole prompt is
        # evaluated. The next call shares everything but the answer, as a follow-up turn does.
        cold.append(ttft(f"[{i}] " + prefix + "Answer: I built a churn model."))
        warm.append(ttft(f"[{i}] " + prefix + "Answer: I ran an A/B test on pricing."))
    prompt_tokens = llm.last_result.prompt_tokens if llm.last_result else 0
    row("llm gemma-3-270m q4_k_m", f"first token, {prompt_tokens}-token prompt, cold", cold)
    row(
        "llm gemma-3-270m q4_k_m",
        "first token, same prefix cached",
        warm,
        f"{statistics.median(cold) / statistics.median(warm):.1f}x faster",
    )

    def generate() -> int:
        text = "".join(llm.stream("The candidate explained", max_tokens=48, seed=1))
        return llm.last_result.completion_tokens if llm.last_result else len(text.split())

    times, n = timed(generate, repeats)
    row(
        "llm gemma-3-270m q4_k_m",
        f"generate {n} tokens",
        times,
        f"{n / statistics.median(times):.0f} tokens/s",
    )

    res["machine"] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }
    return res


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def to_markdown(res: dict[str, Any]) -> str:
    lines = [
        "| engine | measurement | p50 ms | p95 ms | note |",
        "|---|---|---:|---:|---|",
    ]
    for r in res["rows"]:
        lines.append(
            f"| {r['engine']} | {r['what']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['note']} |"
        )
    m = res["machine"]
    lines.append("")
    lines.append(f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}.")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=REPO / "bench-out" / "engines.json")
    args = ap.parse_args()
    res = bench(args.repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2))
    print(to_markdown(res))
    print(f"\n(raw figures: {args.out})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
