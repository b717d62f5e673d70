"""Per-engine figures: load time and inference cost of VAD, STT, LLM and TTS on their own.

Each section takes the run's :class:`EngineSet` and returns a JSON-able dict with its structured
figures and ``rows`` for the summary's engine table (``engine``, ``what``, ``p50_ms``,
``p95_ms``, ``note``). Timings are wall-clock, p50/p95 over ``repeats`` calls after a warm-up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from interviewer.audio.io import load_audio, resample
from interviewer.bench.common import SHARED_AUDIO, BenchConfig, EngineSet, Progress, ratio, timed
from interviewer.bench.common import summarize_ms as stats
from interviewer.types import SAMPLE_RATE, AudioArray

Row = dict[str, Any]


def _row(engine: str, what: str, s: dict[str, Any], note: str = "") -> Row:
    return {"engine": engine, "what": what, "p50_ms": s["p50"], "p95_ms": s["p95"], "note": note}


def _load_row(engine: str, seconds: float | None, note: str = "") -> Row:
    ms = None if seconds is None else round(1000 * seconds, 1)
    return {"engine": engine, "what": "load", "p50_ms": ms, "p95_ms": ms, "note": note}


def speech_sample(eng: EngineSet, seconds: float = 12.0) -> AudioArray:
    """Real speech for frame-level timings: a shared recording, else synthesized speech."""
    path = SHARED_AUDIO / "jfk_ask_not.flac"
    if path.exists():
        audio = load_audio(path)
    else:
        chunks = list(eng.tts.synthesize(" ".join(TTS_SENTENCES)))
        audio = np.concatenate([resample(c.audio, c.sample_rate, SAMPLE_RATE) for c in chunks])
    reps = int(np.ceil(seconds * SAMPLE_RATE / max(1, len(audio))))
    return np.tile(audio, reps)[: int(seconds * SAMPLE_RATE)].astype(np.float32)


# ---------------------------------------------------------------------------- VAD


def bench_vad(eng: EngineSet, cfg: BenchConfig, progress: Progress) -> dict[str, Any]:
    vad = eng.vad
    name = f"vad {vad.model_id}" if hasattr(vad, "model_id") else "vad"
    # A second instance costs what each simultaneous interview pays (the first load also
    # imports torch).
    _, second_load = eng.timed_new_vad()
    n = vad.frame_samples
    audio = speech_sample(eng, cfg.vad_frames * n / SAMPLE_RATE + 1)
    frames = [audio[i : i + n] for i in range(0, cfg.vad_frames * n, n)]
    progress("vad", f"{len(frames)} frames of {1000 * n / SAMPLE_RATE:.0f} ms")
    vad.reset()
    per_frame = []
    for f in frames:
        t0 = time.perf_counter()
        vad.speech_prob(f)
        per_frame.append(time.perf_counter() - t0)
    vad.reset()
    frame_ms = 1000 * n / SAMPLE_RATE
    s = stats(per_frame)
    share = (s["p50"] or 0.0) / frame_ms
    return {
        "model": getattr(vad, "model_id", "vad"),
        "load_s": eng.load_s.get("vad"),
        "second_load_s": round(second_load, 3),
        "frame_ms": round(frame_ms, 1),
        "per_frame_ms": s,
        "real_time_fraction": round(share, 4),
        "rows": [
            _load_row(name, eng.load_s.get("vad"), "first load; includes importing torch"),
            _load_row(name, second_load, "another instance (one per interview)"),
            _row(name, f"one {frame_ms:.0f} ms frame", s, f"{share:.1%} of real time"),
        ],
    }


# ---------------------------------------------------------------------------- STT

#: Shared recordings of rising length (the reference set the tests use).
STT_CLIPS = (
    "cmu_cards_002.wav",
    "librispeech_1272-128104-0000.wav",
    "jfk_ask_not.flac",
    "osr_us_000_0034_8k.wav",
)
#: Used when the shared recordings are absent: speech of rising length, synthesized.
TTS_SENTENCES = (
    "Thank you for the question.",
    "At my last job I owned the churn model for our subscription product, and I rebuilt the "
    "features with the data team.",
    "We compared the treated accounts with a holdout group over three months, and churn fell "
    "by about ten percent, which paid for the project in one quarter.",
)


@dataclass(frozen=True)
class SttMode:
    key: str
    label: str
    word_timestamps: bool
    beam_size: int
    short_window: bool | None  # None: the engine's default


STT_MODES = (
    SttMode("words_b1", "words, beam 1", True, 1, None),
    SttMode("words_b5", "words, beam 5", True, 5, None),
    SttMode("text_b1_full", "text, beam 1, 30 s window", False, 1, False),
    SttMode("text_b1_short", "text, beam 1, short window", False, 1, True),
    SttMode("text_b5", "text, beam 5", False, 5, None),
)


def stt_clips(eng: EngineSet, cfg: BenchConfig) -> list[tuple[str, AudioArray]]:
    clips = []
    if SHARED_AUDIO.is_dir():
        for name in STT_CLIPS:
            path = SHARED_AUDIO / name
            if path.exists():
                audio = load_audio(path)
                if len(audio) / SAMPLE_RATE <= cfg.stt_clip_max_s:
                    clips.append((name, audio))
    if not clips:
        for i, text in enumerate(TTS_SENTENCES):
            parts = [
                resample(c.audio, c.sample_rate, SAMPLE_RATE) for c in eng.tts.synthesize(text)
            ]
            clips.append((f"synthesized-{i + 1}", np.concatenate(parts)))
    return sorted(clips, key=lambda c: len(c[1]))


def _transcribe(stt: Any, audio: AudioArray, mode: SttMode) -> Any:
    has_switch = hasattr(stt, "short_window")
    before = getattr(stt, "short_window", None)
    if has_switch and mode.short_window is not None:
        stt.short_window = mode.short_window
    try:
        return stt.transcribe(audio, word_timestamps=mode.word_timestamps, beam_size=mode.beam_size)
    finally:
        if has_switch:
            stt.short_window = before


def bench_stt(eng: EngineSet, cfg: BenchConfig, progress: Progress) -> dict[str, Any]:
    from interviewer.engines.whisper_stt import SHORT_WINDOW_MAX_S, window_frames

    stt = eng.stt
    name = f"stt {stt.model_id}"
    switchable = hasattr(stt, "short_window")
    # without the switch (another engine) the two beam-1 text modes are the same call
    modes = [m for m in STT_MODES if switchable or m.key != "text_b1_full"]
    clips = stt_clips(eng, cfg)
    progress("stt", "warm-up")
    # one call down each code path: faster-whisper's pass and the short-window encoder
    for mode in modes if not cfg.quick else [modes[0], STT_MODES[3]]:
        _transcribe(stt, clips[0][1], mode)
    rows: list[Row] = [_load_row(name, eng.load_s.get("stt"))]
    out_clips = []
    for clip_name, audio in clips:
        dur = len(audio) / SAMPLE_RATE
        short_applies = switchable and dur <= SHORT_WINDOW_MAX_S
        entry: dict[str, Any] = {
            "clip": clip_name,
            "duration_s": round(dur, 2),
            "window_s": window_frames(dur) / 100 if short_applies else 30.0,
            "modes": {},
        }
        for mode in modes:
            progress("stt", f"{dur:.1f} s clip, {mode.label} x{cfg.repeats}")

            def call(a: AudioArray = audio, m: SttMode = mode) -> Any:
                return _transcribe(stt, a, m)

            times, result = timed(call, cfg.repeats, warmup=False)
            s = stats(times)
            entry["modes"][mode.key] = {
                **s,
                "rtf": round((s["p50"] or 0) / 1000 / dur, 3),
                "text": result.text,
            }
        m = entry["modes"]
        entry["short_window_speedup"] = ratio(
            (m.get("text_b1_full") or {}).get("p50"), m["text_b1_short"]["p50"], 2
        )
        entry["words_cost"] = ratio(m["words_b1"]["p50"], m["text_b1_short"]["p50"], 2)
        entry["beam5_cost"] = ratio(m["text_b5"]["p50"], m["text_b1_short"]["p50"], 2)
        out_clips.append(entry)
        for mode in modes:
            s = m[mode.key]
            note = f"RTF {s['rtf']:.2f}"
            if mode.key == "text_b1_short":
                if short_applies:
                    note += (
                        f"; {entry['window_s']:.0f} s window, "
                        f"{entry['short_window_speedup']}x faster than 30 s"
                    )
                elif switchable:
                    note += f"; over {SHORT_WINDOW_MAX_S:.0f} s: the normal pass"
            label = mode.label if mode.key != "text_b1_short" or switchable else "text, beam 1"
            rows.append(_row(name, f"{dur:.1f} s clip, {label}", s, note))
    return {
        "model": stt.model_id,
        "load_s": eng.load_s.get("stt"),
        "repeats": cfg.repeats,
        "clips": out_clips,
        "rows": rows,
    }


# ---------------------------------------------------------------------------- LLM

_PREFIX = (
    "You are a structured interviewer for a data scientist role. Ask one short follow-up "
    "question about the candidate's last answer, focusing on measurable outcomes.\n"
)


def _ttft(llm: Any, prompt: str) -> float:
    t0 = time.perf_counter()
    for _ in llm.stream(prompt, max_tokens=1):
        break
    return time.perf_counter() - t0


def bench_llm(eng: EngineSet, cfg: BenchConfig, progress: Progress) -> dict[str, Any]:
    llm = eng.llm
    name = f"llm {llm.model_id}"
    rows: list[Row] = [_load_row(name, eng.load_s.get("llm"))]
    prompts = []
    for copies in (4,) if cfg.quick else (4, 16):
        prefix = _PREFIX * copies
        cold, warm = [], []
        reused = 0
        progress("llm", f"time to first token, prefix x{copies}, x{cfg.repeats}")
        _ttft(llm, "[w] " + prefix + "Answer: warm-up.")
        for i in range(max(1, cfg.repeats)):
            # A new first token leaves no common prefix with the previous call, so the whole
            # prompt is evaluated; the next call shares all but the answer, as a follow-up does.
            cold.append(_ttft(llm, f"[{i}] " + prefix + "Answer: I built a churn model."))
            warm.append(_ttft(llm, f"[{i}] " + prefix + "Answer: I ran an A/B test on pricing."))
            last = llm.last_result
            reused = last.reused_prompt_tokens if last else 0
        tokens = llm.last_result.prompt_tokens if llm.last_result else 0
        c, w = stats(cold), stats(warm)
        tps = round(tokens / ((c["p50"] or 1) / 1000), 1) if tokens else None
        prompts.append(
            {
                "prompt_tokens": tokens,
                "reused_tokens": reused,
                "ttft_cold_ms": c,
                "ttft_cached_ms": w,
                "cache_speedup": ratio(c["p50"], w["p50"], 2),
                "prompt_eval_tokens_per_s": tps,
            }
        )
        rows.append(
            _row(name, f"first token, {tokens}-token prompt, cold", c, f"prompt eval {tps} tok/s")
        )
        rows.append(
            _row(
                name,
                f"first token, {reused} of {tokens} tokens cached",
                w,
                f"{ratio(c['p50'], w['p50'], 1)}x faster",
            )
        )

    max_tokens = 24 if cfg.quick else 64

    def generate() -> tuple[float, float, int]:
        t0 = time.perf_counter()
        first = last = t0
        pieces = 0
        for piece in llm.stream("The candidate explained", max_tokens=max_tokens, seed=1):
            last = time.perf_counter()
            if pieces == 0:
                first = last
            pieces += bool(piece)
        return first - t0, last - t0, pieces

    progress("llm", f"generate {max_tokens} tokens x{cfg.repeats}")
    generate()
    runs = [generate() for _ in range(max(1, cfg.repeats))]
    totals = stats([r[1] for r in runs])
    n_tokens = runs[-1][2]
    # pieces (one token each) after the first, over the time after the first: decoding alone,
    # without the prompt evaluation that precedes the first
    rates = [(n - 1) / (t1 - t0) for t0, t1, n in runs if n > 1 and t1 > t0]
    gen_tps = round(float(np.median(rates)), 1) if rates else None
    rows.append(_row(name, f"generate {n_tokens} tokens", totals, f"{gen_tps} tokens/s"))
    return {
        "model": llm.model_id,
        "load_s": eng.load_s.get("llm"),
        "prompts": prompts,
        "generation": {"tokens": n_tokens, "total_ms": totals, "tokens_per_s": gen_tps},
        "rows": rows,
    }


# ---------------------------------------------------------------------------- TTS

TTS_BY_LENGTH = (
    "Thank you.",
    "Could you tell me more about that?",
    "Tell me about a time you had to make a decision with incomplete data.",
    "Looking back on that project, what would you do differently if you had to make the same "
    "decision again with the information you have now?",
    "Before we move on, I would like to understand how you measured the effect of the change, "
    "who you worked with to get the data, and how you explained the result to people outside "
    "your team who did not have a technical background.",
)
TTS_PARAGRAPH = (
    "Thank you, that was helpful. Let's move on to the next question. Tell me about a time you "
    "disagreed with a colleague about the direction of a project."
)


def bench_tts(eng: EngineSet, cfg: BenchConfig, progress: Progress) -> dict[str, Any]:
    tts = eng.tts
    name = f"tts {tts.model_id}"
    rows: list[Row] = [_load_row(name, eng.load_s.get("tts"))]
    texts = TTS_BY_LENGTH[:3] if cfg.quick else TTS_BY_LENGTH
    sentences = []
    for text in texts:
        words = len(text.split())
        progress("tts", f"{words}-word sentence x{cfg.repeats}")

        def first_audio(t: str = text) -> float:
            return float(next(iter(tts.synthesize(t))).duration)

        times, audio_s = timed(first_audio, cfg.repeats)
        s = stats(times)
        rtf = round((s["p50"] or 0) / 1000 / audio_s, 3) if audio_s else None
        sentences.append(
            {"words": words, "first_audio_ms": s, "audio_s": round(audio_s, 2), "rtf": rtf}
        )
        rows.append(
            _row(
                name, f"first audio, {words} words", s, f"{audio_s:.1f} s audio, RTF {rtf or 0:.2f}"
            )
        )

    def paragraph() -> tuple[float, float, float]:
        t0 = time.perf_counter()
        first = None
        audio_s = 0.0
        for chunk in tts.synthesize(TTS_PARAGRAPH):
            first = first if first is not None else time.perf_counter() - t0
            audio_s += chunk.duration
        return first or 0.0, time.perf_counter() - t0, audio_s

    progress("tts", f"three-sentence reply x{cfg.repeats}")
    paragraph()
    runs = [paragraph() for _ in range(max(1, cfg.repeats))]
    first_s, total_s = stats([r[0] for r in runs]), stats([r[1] for r in runs])
    rows.append(
        _row(
            name,
            "three-sentence reply: first audio",
            first_s,
            f"whole reply {total_s['p50'] or 0:.0f} ms, "
            f"{ratio(total_s['p50'], first_s['p50'], 1)}x later",
        )
    )
    return {
        "model": tts.model_id,
        "load_s": eng.load_s.get("tts"),
        "sample_rate": tts.sample_rate,
        "sentences": sentences,
        "paragraph": {
            "sentences": 3,
            "first_audio_ms": first_s,
            "total_ms": total_s,
            "audio_s": round(runs[-1][2], 2),
        },
        "rows": rows,
    }
