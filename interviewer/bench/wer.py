"""Word error rate: the streaming transcriber against one offline pass, per STT model.

A WER set is either

* a folder (or a ``.tsv`` file) with ``MANIFEST.tsv``: tab-separated with a header row; the
  columns ``file`` (audio path, relative to the manifest) and ``reference_transcript`` (or
  ``reference`` / ``text``); other columns are ignored; a reference of ``NONE`` or an empty one
  skips the row (the format of ``../shared/audio``);
* or a folder of ``NAME.wav`` + ``NAME.txt`` pairs (also ``.flac``, ``.ogg``, ``.mp3``); the
  ``.txt`` holds the reference; audio without one is skipped.

Streaming feeds each clip block by block (32 ms, the link's block) through the pipeline's own
:class:`Listener` (VAD, endpointer, pre-roll) into :class:`StreamingTranscriber`, in lockstep
rather than in real time: at each pause the feeder waits for that pause's speculative final, as
if the machine kept up. Commits at pauses therefore happen where they would live, so the text
is the one a live candidate would get; partials and word timestamps are off, since neither
changes the final text.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.audio.io import load_audio
from interviewer.bench.common import SHARED_AUDIO, BenchConfig, EngineSet, Progress
from interviewer.config import Settings
from interviewer.errors import ConfigError
from interviewer.metrics import corpus_word_error_rate, word_error_rate
from interviewer.pipeline.endpointing import EndpointConfig, Endpointer
from interviewer.pipeline.listener import Listener
from interviewer.pipeline.transcriber import StreamingTranscriber
from interviewer.types import SAMPLE_RATE, AudioArray, Transcript

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
_REFERENCE_COLUMNS = ("reference_transcript", "reference", "text")
#: Endpointing that never ends the turn inside a clip: a WER clip is one answer.
_NEVER = 1e9


@dataclass(frozen=True)
class WerClip:
    dataset: str
    name: str
    path: Path
    reference: str


def _manifest(path: Path) -> list[WerClip]:
    base = path.parent
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        cols = reader.fieldnames or []
        ref_col = next((c for c in _REFERENCE_COLUMNS if c in cols), None)
        if "file" not in cols or ref_col is None:
            raise ConfigError(
                f"{path}: a WER manifest needs a header with 'file' and 'reference_transcript' "
                "columns, tab-separated"
            )
        clips = []
        for line, row in enumerate(reader, start=2):
            ref = (row.get(ref_col) or "").strip()
            if not ref or ref == "NONE":
                continue
            audio = base / (row.get("file") or "").strip()
            if not audio.is_file():
                raise ConfigError(f"{path}:{line}: no such audio file {audio}")
            clips.append(WerClip(base.name, audio.name, audio, ref))
    return clips


def load_wer_set(path: Path) -> list[WerClip]:
    """The clips with references of one WER set (see the module notes for the formats)."""
    path = path.expanduser()
    if path.is_file():
        if path.suffix.lower() != ".tsv":
            raise ConfigError(f"{path}: a WER set is a folder or a MANIFEST.tsv file")
        clips = _manifest(path)
    elif path.is_dir():
        manifest = path / "MANIFEST.tsv"
        if manifest.exists():
            clips = _manifest(manifest)
        else:
            clips = []
            for audio in sorted(path.iterdir()):
                ref = audio.with_suffix(".txt")
                if audio.suffix.lower() in AUDIO_SUFFIXES and ref.exists():
                    text = ref.read_text(encoding="utf-8").strip()
                    if text:
                        clips.append(WerClip(path.name, audio.name, audio, text))
    else:
        raise ConfigError(f"--wer-data {path}: no such folder or file")
    if not clips:
        raise ConfigError(
            f"{path}: no clips with reference transcripts (MANIFEST.tsv, or NAME.wav + NAME.txt)"
        )
    return clips


def corpus_wer(references: list[str], hypotheses: list[str]) -> float:
    """Word errors over all clips / reference words over all clips (normalised text)."""
    return round(corpus_word_error_rate(references, hypotheses), 4)


def clip_wer(reference: str, hypothesis: str) -> float:
    return round(word_error_rate(reference, hypothesis), 4)


class _TextOnly:
    """The STT for the streaming pass: word-timestamp calls return nothing.

    The transcriber computes word timestamps for each committed chunk with Whisper's full pass
    when it is idle; they never change the text, so WER does not wait for them.
    """

    def __init__(self, stt: Any) -> None:
        self._stt = stt
        self.model_id = stt.model_id

    def transcribe(
        self,
        audio: AudioArray,
        *,
        word_timestamps: bool = True,
        beam_size: int = 1,
        initial_prompt: str | None = None,
    ) -> Transcript:
        if word_timestamps:
            return Transcript(text="", segments=(), duration=len(audio) / SAMPLE_RATE)
        result: Transcript = self._stt.transcribe(
            audio, word_timestamps=False, beam_size=beam_size, initial_prompt=initial_prompt
        )
        return result


def stream_transcribe(
    audio: AudioArray, vad: Any, stt: Any, *, final_timeout_s: float = 60.0
) -> tuple[str, dict[str, int]]:
    """Transcribe ``audio`` the way the live pipeline does; return the text and the STT calls."""
    cfg = EndpointConfig(
        silence_s=_NEVER, uncertain_silence_s=_NEVER, filler_silence_s=_NEVER, no_answer_s=_NEVER
    )
    block = int(vad.frame_samples)
    endpointer = Endpointer(cfg, frame_s=block / SAMPLE_RATE)
    endpointer.open(0.0)
    # partials only feed the live display; finals and commits make the text
    tr = StreamingTranscriber(
        _TextOnly(stt), time.monotonic, partial_every_s=_NEVER, threshold=cfg.threshold
    )
    listener = Listener(vad, endpointer, tr)
    # trailing silence, so the last stretch of speech ends in a pause like a finished answer
    tail = np.zeros(int(0.8 * SAMPLE_RATE), dtype=np.float32)
    padded = np.concatenate([np.asarray(audio, dtype=np.float32), tail])
    padded = np.pad(padded, (0, -len(padded) % block))
    last_pause: int | None = None
    vad.reset()
    tr.start()
    try:
        for i in range(0, len(padded), block):
            ev = listener.feed(padded[i : i + block], (i + block) / SAMPLE_RATE)
            if ev is not None and ev.kind == "pause":
                # lockstep: the machine keeps up, so the final is there before the next block
                tr.final_for(ev.pause_id, final_timeout_s)
                last_pause = ev.pause_id
        if last_pause is None:
            return "", dict(tr.calls)
        tr.finish(last_pause)
        final = tr.final_for(last_pause, final_timeout_s)
        return (final.text if final else ""), dict(tr.calls)
    finally:
        tr.stop()
        vad.reset()


def stt_models(settings: Settings, which: str) -> list[str]:
    """Model specs to compare: the configured one first, then (``all``) every installed one."""
    from interviewer import download
    from interviewer.registry import resolve

    specs = [settings.stt]
    if which == "current":
        return specs
    if which != "all":
        specs += [s.strip() for s in which.split(",") if s.strip()]
        return list(dict.fromkeys(specs))
    seen = {resolve("stt", settings).path}
    try:
        manifest = download.load_manifest(download.default_manifest_path())
        names = [name for name, entry in manifest.items() if entry.role == "stt"]
    except (ConfigError, OSError):
        names = []
    for name in [*names, "embedded"]:
        model = resolve("stt", replace(settings, stt=name))
        if model.ok and model.path not in seen:
            seen.add(model.path)
            specs.append(name)
    return specs


def _model_pass(
    clips: list[tuple[WerClip, AudioArray]], stt: Any, vad: Any, progress: Progress
) -> dict[str, Any]:
    rows = []
    times = {"offline": 0.0, "offline_text": 0.0, "streaming": 0.0}
    calls: dict[str, int] = {}
    for clip, audio in clips:
        progress("wer", f"{stt.model_id}: {clip.dataset}/{clip.name}")
        t0 = time.perf_counter()
        offline = stt.transcribe(audio, word_timestamps=True).text
        t1 = time.perf_counter()
        offline_text = stt.transcribe(audio, word_timestamps=False).text
        t2 = time.perf_counter()
        streaming, c = stream_transcribe(audio, vad, stt)
        t3 = time.perf_counter()
        times["offline"] += t1 - t0
        times["offline_text"] += t2 - t1
        times["streaming"] += t3 - t2
        for k, v in c.items():
            calls[k] = calls.get(k, 0) + v
        rows.append(
            {
                "dataset": clip.dataset,
                "clip": clip.name,
                "duration_s": round(len(audio) / SAMPLE_RATE, 2),
                "reference": clip.reference,
                "offline": offline,
                "offline_text": offline_text,
                "streaming": streaming,
                "wer_offline": clip_wer(clip.reference, offline),
                "wer_offline_text": clip_wer(clip.reference, offline_text),
                "wer_streaming": clip_wer(clip.reference, streaming),
            }
        )
    refs = [r["reference"] for r in rows]
    audio_s = sum(r["duration_s"] for r in rows)
    return {
        "model": stt.model_id,
        "clips": len(rows),
        "audio_s": round(audio_s, 1),
        "corpus_wer": {k: corpus_wer(refs, [r[k] for r in rows]) for k in times},
        "mean_clip_wer": {
            k: round(float(np.mean([r[f"wer_{k}"] for r in rows])), 4) for k in times
        },
        "seconds": {k: round(v, 2) for k, v in times.items()},
        "rtf": {k: round(v / audio_s, 3) if audio_s else None for k, v in times.items()},
        "streaming_stt_calls": calls,
        "per_clip": rows,
    }


def bench_wer(
    eng: EngineSet,
    cfg: BenchConfig,
    progress: Progress,
    load_stt: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """WER of every model on every set; ``load_stt`` loads a further model by its spec."""
    sets = list(cfg.wer_data)
    if not sets:
        if not (SHARED_AUDIO / "MANIFEST.tsv").exists():
            return {"skipped": f"no WER data: {SHARED_AUDIO} is missing; pass --wer-data DIR"}
        sets = [SHARED_AUDIO]
    datasets = []
    clips: list[tuple[WerClip, AudioArray]] = []
    for path in sets:
        found = load_wer_set(path)
        loaded = [(c, load_audio(c.path)) for c in found]
        if cfg.wer_max_clips is not None:
            loaded = sorted(loaded, key=lambda x: len(x[1]))[: cfg.wer_max_clips]
        datasets.append(
            {
                "path": str(path),
                "clips": len(loaded),
                "audio_s": round(sum(len(a) for _, a in loaded) / SAMPLE_RATE, 1),
            }
        )
        clips.extend(loaded)
    models = []
    specs = stt_models(eng.settings, cfg.wer_models) if load_stt is not None else []
    vad = eng.vad
    models.append(_model_pass(clips, eng.stt, vad, progress))
    for spec in specs[1:]:
        assert load_stt is not None
        progress("wer", f"loading stt model {spec}")
        other = load_stt(spec)
        models.append(_model_pass(clips, other, vad, progress))
        del other
    return {"datasets": datasets, "models": models}
