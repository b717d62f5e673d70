"""The answer of record (issue 15): its WER and cost, before and after, per full-pass model.

Measured in the ``wer`` section of ``interviewer bench`` (under ``wer.record``):

* ``clips``: per clip of the WER sets (../shared/audio by default; clips over 40 s are left
  out, as in the tests), the stored answer as it was
  (greedy full pass) and as it is now (beam 5 with the guards and a question,
  :data:`CLIP_QUESTION`, as prompt, then :func:`repair` against the streamed text of the same
  clip), with WER and seconds of each;
* ``technical``: technical answers rendered with the project's Piper voice, decoded with and
  without the question and its terms as prompt, as the pipeline decodes them, and
  with it after :func:`repair` (what is stored); WER and the share of the answer's domain terms
  heard;
* ``models``: the same full pass with each Whisper model given (``--wer-models``), WER and
  seconds per answer, so a larger model for the answer of record (``--stt-final``) is judged on
  the same clips;
* ``long_answer``: the full pass over a 60 s answer, greedy and beam 5, beside the spoken length
  of a question: the pass runs while the interviewer speaks the next question. Then the same
  answer streamed in real time through the :class:`StreamingTranscriber` (partials, a final
  at each pause), once with the whole pass after the turn (``one_shot``, as before) and once
  with the incremental pass (``incremental``, groups of ``words_group_s``): seconds from the
  end of the turn to the answer of record, its WER, and the speculative finals' latency (the
  groups share the worker with them).

Timings are wall-clock on whatever else the machine runs; compare the ratios of one run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from interviewer.audio.io import load_audio, resample
from interviewer.bench.common import SHARED_AUDIO, BenchConfig, EngineSet, Progress, ratio
from interviewer.bench.wer import WerClip, clip_wer, corpus_wer, load_wer_set, stream_transcribe
from interviewer.metrics import normalize_text
from interviewer.pipeline.record import FinalDecoding, decoding_prompt, repair
from interviewer.pipeline.transcriber import FinalText, StreamingTranscriber
from interviewer.types import SAMPLE_RATE, AudioArray

#: (question, its domain terms, an answer that uses them): rendered with Piper at bench time.
TECHNICAL_ANSWERS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "How would you evaluate a search ranking model?",
        ("NDCG", "precision at k", "recall", "A/B test"),
        "Offline I would report NDCG at ten and precision at k on held out queries, and check "
        "recall on the long tail. Then I would run an A/B test on click through rate before "
        "shipping it.",
    ),
    (
        "How do you decide whether an experiment result is significant?",
        ("p-value", "confidence interval", "statistical power", "Bonferroni"),
        "I fix the sample size first from the statistical power I need, then look at the "
        "p-value and the confidence interval of the effect. With many metrics I apply a "
        "Bonferroni correction so one lucky metric does not decide.",
    ),
    (
        "How did you deploy and scale the service?",
        ("Kubernetes", "autoscaler", "p99 latency", "Prometheus"),
        "We packaged it in containers and ran it on Kubernetes with a horizontal pod "
        "autoscaler. We watched p99 latency in Prometheus and scaled on queue depth rather than "
        "CPU.",
    ),
    (
        "How would you handle class imbalance in a fraud model?",
        ("XGBoost", "SMOTE", "precision-recall curve", "F1"),
        "I trained XGBoost with class weights instead of SMOTE, and chose the threshold on the "
        "precision-recall curve, because F1 at the default threshold hid most of the fraud.",
    ),
)
LONG_ANSWER_S = 60.0
#: The clips answer no question; in the pipeline every answer follows one, and the full pass
#: has it as prompt, so the clips' answer of record is decoded after a plain one.
CLIP_QUESTION = "Tell me about a project you are proud of."
LONG_ANSWER_PAUSE_S = 0.5


def _terms_heard(terms: Sequence[str], text: str) -> float:
    said = f" {normalize_text(text)} "
    hits = sum(1 for t in terms if f" {normalize_text(t)} " in said)
    return round(hits / len(terms), 3) if terms else 0.0


def _full_pass(stt: Any, audio: AudioArray, decoding: FinalDecoding) -> tuple[Any, float]:
    t0 = time.perf_counter()
    result = stt.transcribe(audio, word_timestamps=True, **decoding.kwargs())
    return result, time.perf_counter() - t0


def _clip_rows(
    clips: Sequence[tuple[WerClip, AudioArray]], stt: Any, vad: Any, progress: Progress
) -> list[dict[str, Any]]:
    rows = []
    for clip, audio in clips:
        progress("wer", f"record: {clip.name}")
        before, t_before = _full_pass(stt, audio, FinalDecoding(beam_size=1))
        after, t_after = _full_pass(stt, audio, _question_aware(CLIP_QUESTION, ()))
        streamed, _ = stream_transcribe(audio, vad, stt)
        fixed = repair([s.text for s in after.segments], streamed)
        rows.append(
            {
                "clip": clip.name,
                "duration_s": round(len(audio) / SAMPLE_RATE, 2),
                "reference": clip.reference,
                "before": before.text,
                "after": fixed.text,
                "repaired": len(fixed.replaced),
                "wer_before": clip_wer(clip.reference, before.text),
                "wer_after": clip_wer(clip.reference, fixed.text),
                "seconds_before": round(t_before, 3),
                "seconds_after": round(t_after, 3),
            }
        )
    return rows


def _summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    refs = [r["reference"] for r in rows]
    out: dict[str, Any] = {}
    for k in ("before", "after"):
        out[k] = {
            "mean_clip_wer": round(float(np.mean([r[f"wer_{k}"] for r in rows])), 4),
            "corpus_wer": corpus_wer(refs, [r[k] for r in rows]),
            "seconds": round(sum(r[f"seconds_{k}"] for r in rows), 2),
        }
    out["wer_ratio"] = ratio(out["after"]["mean_clip_wer"], out["before"]["mean_clip_wer"])
    out["time_ratio"] = ratio(out["after"]["seconds"], out["before"]["seconds"])
    return out


def _question_aware(question: str, terms: Sequence[str]) -> FinalDecoding:
    """As the pipeline decodes an answer: the terms, then the question, as prompt."""
    return FinalDecoding(prompt=decoding_prompt(question, terms))


def render_technical(tts: Any) -> list[tuple[str, tuple[str, ...], str, AudioArray]]:
    """The technical answers as 16 kHz speech in the project's voice."""
    out = []
    for question, terms, answer in TECHNICAL_ANSWERS:
        chunks = list(tts.synthesize(answer))
        audio = np.concatenate([resample(c.audio, c.sample_rate, SAMPLE_RATE) for c in chunks])
        out.append((question, terms, answer, audio.astype(np.float32)))
    return out


def _technical(
    stt: Any,
    vad: Any,
    rendered: Sequence[tuple[str, tuple[str, ...], str, AudioArray]],
    progress: Progress,
) -> dict[str, Any]:
    rows = []
    for question, terms, answer, audio in rendered:
        progress("wer", f"record: technical answer to {question!r}")
        plain, t_plain = _full_pass(stt, audio, FinalDecoding())
        prompted, t_prompted = _full_pass(stt, audio, _question_aware(question, terms))
        streamed, _ = stream_transcribe(audio, vad, stt)
        stored = repair([s.text for s in prompted.segments], streamed).text
        rows.append(
            {
                "question": question,
                "reference": answer,
                "without": plain.text,
                "with": prompted.text,
                "stored": stored,
                "wer_without": clip_wer(answer, plain.text),
                "wer_with": clip_wer(answer, prompted.text),
                "wer_stored": clip_wer(answer, stored),
                "terms_without": _terms_heard(terms, plain.text),
                "terms_with": _terms_heard(terms, prompted.text),
                "seconds_without": round(t_plain, 3),
                "seconds_with": round(t_prompted, 3),
            }
        )
    mean = {
        k: round(float(np.mean([r[k] for r in rows])), 4)
        for k in ("wer_without", "wer_with", "wer_stored", "terms_without", "terms_with")
    }
    return {"answers": rows, "mean": mean}


def long_answer_pieces(
    clips: Sequence[tuple[WerClip, AudioArray]],
    seconds: float = LONG_ANSWER_S,
    pause_s: float = LONG_ANSWER_PAUSE_S,
) -> list[tuple[AudioArray, str]]:
    """Whole clips (audio, reference), in turn, until they and the pauses after them last
    ``seconds``."""
    pieces: list[tuple[AudioArray, str]] = []
    n = 0
    while n < seconds * SAMPLE_RATE and clips:
        for clip, audio in clips:
            pieces.append((audio, clip.reference or ""))
            n += len(audio) + int(pause_s * SAMPLE_RATE)
            if n >= seconds * SAMPLE_RATE:
                break
    return pieces


def stream_answer(
    stt: Any,
    pieces: Sequence[AudioArray],
    *,
    words_group_s: float,
    pause_s: float = LONG_ANSWER_PAUSE_S,
    end_silence_s: float = 0.6,
    decoding: FinalDecoding | None = None,
    speed: float = 1.0,
) -> dict[str, Any]:
    """Speak ``pieces`` (with ``pause_s`` between them) into a :class:`StreamingTranscriber`
    in real time, as the listener does: partials, a speculative final at each pause, the
    piece committed when speech resumes, the turn ended ``end_silence_s`` into the last
    silence (``speed`` > 1 feeds faster: for tests only, the timings then mean nothing).
    Returns the answer of record and how long after the turn's end it was ready."""
    block = 512
    requested: dict[int, float] = {}
    latency: list[float] = []

    def on_final(final: FinalText) -> None:
        if final.pause_id in requested:
            latency.append(final.ready_at - requested[final.pause_id])

    tr = StreamingTranscriber(stt, time.monotonic, on_final=on_final, words_group_s=words_group_s)
    if decoding is not None:
        tr.set_decoding(decoding)
    silence = np.zeros(block, dtype=np.float32)
    t0 = time.monotonic()
    fed = 0

    def feed(frame: AudioArray, prob: float) -> None:
        nonlocal fed
        tr.append(frame, prob)
        fed += len(frame)
        # real time: the worker sees the audio as a microphone would give it
        lag = t0 + fed / SAMPLE_RATE / speed - time.monotonic()
        if lag > 0:
            time.sleep(lag)

    tr.start()
    try:
        tr.begin([], [])
        for k, audio in enumerate(pieces, start=1):
            audio = np.asarray(audio, dtype=np.float32)
            for at in range(0, len(audio), block):
                frame = audio[at : at + block]
                feed(np.pad(frame, (0, block - len(frame))), 0.9)
            requested[k] = time.monotonic()
            tr.request_final(k)
            quiet = end_silence_s if k == len(pieces) else pause_s
            for _ in range(int(quiet * SAMPLE_RATE) // block):
                feed(silence, 0.05)
            if k < len(pieces):
                tr.resume(k, pause_s)
        last = len(pieces)
        tr.final_for(last, 120.0)
        ended = time.monotonic()
        tr.finish(last)
        _, text = tr.full_pass(tr.epoch, 600.0)
        record_s = time.monotonic() - ended
        calls = dict(tr.calls)
    finally:
        tr.stop()
    return {
        "text": text or "",
        "record_after_turn_s": round(record_s, 2),
        "final_latency_p50_s": round(float(np.percentile(latency, 50)), 3) if latency else None,
        "final_latency_max_s": round(max(latency), 3) if latency else None,
        "full_passes": calls["words"],
    }


def _long_answer(
    stt: Any,
    clips: Sequence[tuple[WerClip, AudioArray]],
    question_audio_s: float | None,
    *,
    words_group_s: float = 15.0,
    speed: float = 1.0,
) -> dict[str, Any]:
    pieces = long_answer_pieces(clips)
    pause = np.zeros(int(LONG_ANSWER_PAUSE_S * SAMPLE_RATE), dtype=np.float32)
    parts: list[AudioArray] = []
    for audio, _ in pieces:
        parts += [audio, pause]
    audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    _, greedy = _full_pass(stt, audio, FinalDecoding(beam_size=1))
    _, beam = _full_pass(stt, audio, FinalDecoding())
    reference = " ".join(ref for _, ref in pieces)
    streamed: dict[str, Any] = {}
    for mode, group in (("one_shot", math.inf), ("incremental", words_group_s)):
        row = stream_answer(stt, [a for a, _ in pieces], words_group_s=group, speed=speed)
        row["wer"] = clip_wer(reference, row["text"])
        row["over_question"] = ratio(row["record_after_turn_s"], question_audio_s)
        streamed[mode] = row
    return {
        "answer_s": round(len(audio) / SAMPLE_RATE, 1),
        "seconds_greedy": round(greedy, 2),
        "seconds_beam5": round(beam, 2),
        "beam_cost_ratio": ratio(beam, greedy),
        "question_audio_s": question_audio_s,
        "beam5_over_question": ratio(beam, question_audio_s),
        "words_group_s": words_group_s,
        **streamed,
        "record_time_ratio": ratio(
            streamed["incremental"]["record_after_turn_s"],
            streamed["one_shot"]["record_after_turn_s"],
        ),
    }


def bench_record(
    eng: EngineSet,
    cfg: BenchConfig,
    progress: Progress,
    *,
    model_specs: Sequence[str] = (),
    load_stt: Callable[[str], Any] | None = None,
    speed: float = 1.0,
) -> dict[str, Any]:
    """The ``wer.record`` figures (see the module notes); ``speed``: see :func:`stream_answer`."""
    sets = list(cfg.wer_data)
    if not sets:
        if not (SHARED_AUDIO / "MANIFEST.tsv").exists():
            return {"skipped": f"no WER data: {SHARED_AUDIO} is missing"}
        sets = [SHARED_AUDIO]
    clips = [(c, load_audio(c.path)) for path in sets for c in load_wer_set(path)]
    clips = [(c, a) for c, a in clips if len(a) <= 40 * SAMPLE_RATE]
    if cfg.wer_max_clips is not None:
        clips = sorted(clips, key=lambda x: len(x[1]))[: cfg.wer_max_clips]
    rows = _clip_rows(clips, eng.stt, eng.vad, progress)
    rendered = render_technical(eng.tts)
    question_s = None
    if rendered:
        chunks = list(eng.tts.synthesize(TECHNICAL_ANSWERS[0][0]))
        question_s = round(sum(len(c.audio) / c.sample_rate for c in chunks), 2)
    out: dict[str, Any] = {
        "clips": rows,
        "summary": _summary(rows),
        "technical": _technical(eng.stt, eng.vad, rendered, progress),
        "long_answer": _long_answer(eng.stt, clips, question_s, speed=speed),
    }
    models = [_model_row(eng.stt, clips, rendered, progress)]
    for spec in model_specs:
        if load_stt is None:
            break
        progress("wer", f"record: loading stt model {spec}")
        try:
            other = load_stt(spec)
        except Exception as exc:  # one unloadable model must not lose the others' figures
            models.append({"model": spec, "error": f"{type(exc).__name__}: {exc}"})
            continue
        models.append(_model_row(other, clips, rendered, progress))
        del other
    out["models"] = models
    return out


def _model_row(
    stt: Any,
    clips: Sequence[tuple[WerClip, AudioArray]],
    rendered: Sequence[tuple[str, tuple[str, ...], str, AudioArray]],
    progress: Progress,
) -> dict[str, Any]:
    texts, seconds = [], []
    for clip, audio in clips:
        progress("wer", f"record: {stt.model_id} on {clip.name}")
        result, t = _full_pass(stt, audio, FinalDecoding())
        texts.append(result.text)
        seconds.append(t)
    tech = []
    for question, terms, answer, audio in rendered:
        result, _ = _full_pass(stt, audio, _question_aware(question, terms))
        tech.append(clip_wer(answer, result.text))
    refs = [c.reference for c, _ in clips]
    audio_s = sum(len(a) for _, a in clips) / SAMPLE_RATE
    return {
        "model": stt.model_id,
        "mean_clip_wer": round(
            float(np.mean([clip_wer(r, h) for r, h in zip(refs, texts, strict=True)])), 4
        ),
        "corpus_wer": corpus_wer(refs, texts),
        "technical_wer": round(float(np.mean(tech)), 4) if tech else None,
        "seconds_per_answer": round(float(np.mean(seconds)), 3),
        "rtf": round(sum(seconds) / audio_s, 3) if audio_s else None,
    }


def record_models(settings: Any, cfg: BenchConfig) -> list[str]:
    """The further full-pass models to compare: ``--wer-models`` and ``stt_final``."""
    from interviewer.bench.wer import stt_models

    specs = stt_models(settings, cfg.wer_models)[1:]
    final = getattr(settings, "stt_final", None)
    if final and final not in specs and final != settings.stt:
        specs.append(final)
    return specs


def record_markdown(record: dict[str, Any]) -> list[str]:
    """The summary.md lines of ``wer.record``."""
    if record.get("skipped"):
        return ["### Answer of record", "", f"Skipped: {record['skipped']}", ""]
    s = record["summary"]
    lines = [
        "### Answer of record",
        "",
        f"Greedy full pass → beam 5 + guards + repair: mean clip WER "
        f"{s['before']['mean_clip_wer']:.3f} → {s['after']['mean_clip_wer']:.3f} "
        f"(×{s['wer_ratio']}), time ×{s['time_ratio']}.",
        "",
        "| clip | s | WER before | WER after | after |",
        "|---|---|---|---|---|",
    ]
    for r in record["clips"]:
        lines.append(
            f"| {r['clip']} | {r['duration_s']} | {r['wer_before']:.2f} | {r['wer_after']:.2f} "
            f"| {r['after']} |"
        )
    t = record["technical"]["mean"]
    lines += [
        "",
        f"Technical answers (Piper): WER {t['wer_without']:.3f} without the question prompt, "
        f"{t['wer_with']:.3f} with it, {t['wer_stored']:.3f} once repaired from the streamed "
        f"text; domain terms heard {t['terms_without']:.2f} → {t['terms_with']:.2f}.",
    ]
    la = record["long_answer"]
    lines += [
        "",
        f"A {la['answer_s']} s answer: full pass {la['seconds_greedy']} s greedy, "
        f"{la['seconds_beam5']} s beam 5 (×{la['beam_cost_ratio']}); the next question is "
        f"{la['question_audio_s']} s of speech.",
        "",
        "| streamed in real time | answer of record after the turn (s) | × question | WER "
        "| final latency p50 / max (s) | passes |",
        "|---|---|---|---|---|---|",
        *(
            f"| {mode} | {la[mode]['record_after_turn_s']} | {la[mode]['over_question']} "
            f"| {la[mode]['wer']:.3f} | {la[mode]['final_latency_p50_s']} / "
            f"{la[mode]['final_latency_max_s']} | {la[mode]['full_passes']} |"
            for mode in ("one_shot", "incremental")
            if mode in la
        ),
        "",
        "| full-pass model | mean clip WER | corpus WER | technical WER | s per answer | RTF |",
        "|---|---|---|---|---|---|",
    ]
    for m in record["models"]:
        if "error" in m:
            lines.append(f"| {m['model']} | {m['error']} | | | | |")
            continue
        lines.append(
            f"| {m['model']} | {m['mean_clip_wer']:.3f} | {m['corpus_wer']:.3f} | "
            f"{m['technical_wer']} | {m['seconds_per_answer']} | {m['rtf']} |"
        )
    lines.append("")
    return lines
