"""End to end: a scripted interview in real time, the streaming pipeline against the baseline.

Both runs are the same interview in the same process, on the same engines: the real interview
machine (bank questions, LLM follow-ups) and a simulated candidate speaking a scripted set of
answers through the virtual duplex link in real time. The sequential baseline
(:class:`SequentialRunner`) waits for the whole answer, transcribes all of it, generates the
whole reply, synthesizes all of it, then plays.

The interview is trimmed to the exchanges that are measured (see :class:`BenchBrain`).
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.audio.candidate import RenderedAnswer, SimulatedCandidate
from interviewer.audio.duplex import VirtualDuplexLink
from interviewer.audio.recorder import StereoRecorder
from interviewer.bench.common import BenchConfig, EngineSet, Progress, ratio
from interviewer.interview.base import Answer, Brain, Reply
from interviewer.pipeline.endpointing import EndpointConfig
from interviewer.pipeline.runner import InterviewRunner, RunnerConfig
from interviewer.pipeline.sequential import SequentialRunner
from interviewer.types import LATENCY_FIELDS

# Answers without thinking pauses, so both pipelines end turns after the same silence.
ANSWERS = (
    "In my last role I owned the churn model for our subscription product. I rebuilt the "
    "features and the model cut churn by about ten percent.",
    "I compared the treated accounts with a holdout group over three months.",
    "We disagreed about whether to ship before the holidays. I wrote down the risks and we "
    "agreed to ship a smaller version first.",
    "The smaller release went out on time and the rest followed two weeks later.",
    "I would define the success metric first, then randomise users and check the sample size "
    "gives enough power.",
    "I would look at the confidence interval and at guardrail metrics such as retention.",
    "I missed a deadline once because I underestimated the data cleaning. Now I plan a buffer "
    "and share progress every week.",
    "My manager told me the weekly update helped the whole team plan better.",
    "I mentored a junior analyst on SQL. We paired every Friday for two months.",
    "She now reviews queries for the rest of the team.",
)


class BenchBrain:
    """The interview machine, trimmed to the exchanges the benchmark measures.

    The opening is just the first question (the greeting is no exchange, and would add 15 s of
    real time to every run), and the reply to the last answer ends the interview with its own
    first words ("Understood, thank you. That's all the questions I have.") instead of moving
    on to the candidate's questions: the latency of that exchange is measured the same way,
    and the closing rounds would add another 12 s.
    """

    def __init__(self, brain: Any) -> None:
        self._brain = brain
        self._done = False

    def start(self) -> Reply:
        reply = self._brain.start()
        question = getattr(self._brain, "current_question", None)
        text = question.text if question is not None else "".join(reply.pieces)
        return Reply(reply.kind, iter([text]), question_id=reply.question_id)

    def on_answer(self, answer: Answer) -> Reply:
        reply: Reply = self._brain.on_answer(answer)
        if reply.kind == "candidate_questions":
            self._done = True
            lead = next(iter(reply.pieces), "Thank you.")
            return Reply("closing", iter([lead]), finished=True)
        return reply

    def planned_next(self) -> str | None:
        planned: str | None = self._brain.planned_next()
        return planned

    def speculate(self, text: str) -> list[str]:
        # the follow-up composed at the candidate's pause, as in a real interview
        speculate = getattr(self._brain, "speculate", None)
        return list(speculate(text)) if speculate is not None else []

    def bind_voice(self, voice: Any) -> None:
        bind = getattr(self._brain, "bind_voice", None)
        if bind is not None:
            bind(voice)

    @property
    def finished(self) -> bool:
        return self._done or bool(self._brain.finished)

    def stock_phrases(self) -> list[str]:
        phrases = getattr(self._brain, "stock_phrases", None)
        return list(phrases()) if phrases is not None else []


def interview_brain(
    llm: Any, answers: int, seed: int = 11, *, instruction_tuned: bool = False
) -> Brain:
    """The bank interview for ``answers`` answers: each question gets one follow-up."""
    from interviewer.interview.bank import DEFAULT_BANK_DIR, load_bank
    from interviewer.interview.followup import FollowUpPolicy
    from interviewer.interview.machine import InterviewMachine
    from interviewer.interview.selection import select_questions
    from interviewer.interview.spec import InterviewSpec

    bank = load_bank([DEFAULT_BANK_DIR])  # the shipped bank only: runs compare across machines
    questions = max(1, answers // 2)
    spec = InterviewSpec.from_mapping(
        {"role": "data_scientist", "level": "mid", "type": "mixed", "questions": questions,
         "max_follow_ups": 1 if answers >= 2 else 0, "seed": seed}
    )  # fmt: skip
    machine = InterviewMachine(
        bank,
        spec,
        followups=FollowUpPolicy(llm, instruction_tuned=instruction_tuned),
        questions=select_questions(bank, spec),
    )
    return BenchBrain(machine)


def render_answers(eng: EngineSet, texts: list[str]) -> tuple[list[RenderedAnswer], RenderedAnswer]:
    """The candidate's answers as audio; each text is rendered once per run."""
    from interviewer.audio.candidate import DEFAULT_LAST_WORDS, render_text

    def rendered(text: str) -> RenderedAnswer:
        if text not in eng.rendered:
            eng.rendered[text] = RenderedAnswer(render_text(eng.candidate_tts, text), text)
        answer: RenderedAnswer = eng.rendered[text]
        return answer

    return [rendered(t) for t in texts], rendered(DEFAULT_LAST_WORDS)


@dataclass
class InterviewResult:
    transcript: dict[str, Any]
    wall_s: float
    max_link_lag_s: float
    timed_out: bool


def cpu_seconds() -> float:
    """CPU time of the whole process (every thread, the engines' own included)."""
    try:
        import psutil

        t = psutil.Process().cpu_times()
        return float(t.user + t.system)
    except Exception:
        return time.process_time()


def run_interview(
    *,
    brain: Brain,
    vad: Any,
    stt: Any,
    tts: Any,
    answers: list[RenderedAnswer],
    last: RenderedAnswer,
    config: RunnerConfig,
    runner_class: type[InterviewRunner] = InterviewRunner,
    record_to: Path | None = None,
    max_wall_s: float = 600.0,
) -> InterviewResult:
    """One simulated interview in real time; a watchdog ends it after ``max_wall_s``.

    ``runner_class``: :class:`InterviewRunner` (streaming) or :class:`SequentialRunner`.
    """
    recorder = StereoRecorder(record_to, 16_000) if record_to is not None else None
    link = VirtualDuplexLink(recorder)
    candidate = SimulatedCandidate(link.candidate, answers, last)
    runner = runner_class(
        brain=brain,
        vad=vad,
        stt=stt,
        tts=tts,
        duplex=link,
        config=config,
        on_your_turn=candidate.your_turn,
    )
    wall_s, expired = drive(runner, candidate, recorder, max_wall_s)
    return InterviewResult(runner.transcript(), wall_s, link.max_lag, expired)


def drive(
    runner: InterviewRunner,
    candidate: SimulatedCandidate,
    recorder: StereoRecorder | None,
    max_wall_s: float,
) -> tuple[float, bool]:
    """Run one simulated interview to its end in real time; a watchdog ends it after
    ``max_wall_s``. Returns the wall seconds and whether the watchdog fired."""
    expired = threading.Event()

    def watchdog() -> None:
        expired.set()
        runner.shutdown()

    timer = threading.Timer(max_wall_s, watchdog)
    timer.daemon = True
    t0 = time.perf_counter()
    candidate.start(time.monotonic)
    timer.start()
    try:
        runner.run()
    finally:
        timer.cancel()
        candidate.stop()
        runner.shutdown()
        if recorder is not None:
            recorder.close()
    return time.perf_counter() - t0, expired.is_set()


def _stats(values_s: list[float]) -> dict[str, float | None]:
    if not values_s:
        return {"p50": None, "p95": None, "max": None}
    arr = np.asarray(values_s) * 1000.0
    return {
        "p50": round(float(np.percentile(arr, 50)), 1),
        "p95": round(float(np.percentile(arr, 95)), 1),
        "max": round(float(arr.max()), 1),
    }


def latency_series(exchanges: list[dict[str, Any]], a: str, b: str) -> list[float]:
    """``b - a`` in seconds for every exchange that has both marks."""
    return [e[b] - e[a] for e in exchanges if e.get(a) is not None and e.get(b) is not None]


def stage_breakdown(exchanges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per consecutive pair of latency marks: p50 / p95 / mean in ms over the exchanges."""
    rows = []
    for a, b in itertools.pairwise(LATENCY_FIELDS):
        vals = np.asarray(latency_series(exchanges, a, b)) * 1000.0
        if len(vals):
            rows.append(
                {
                    "stage": f"{a} -> {b}",
                    "p50_ms": round(float(np.percentile(vals, 50)), 1),
                    "p95_ms": round(float(np.percentile(vals, 95)), 1),
                    "mean_ms": round(float(vals.mean()), 1),
                }
            )
    return rows


def summarize_run(mode: str, res: InterviewResult, cpu_s: float) -> dict[str, Any]:
    doc = res.transcript
    exchanges = doc["latency"]["exchanges"]
    return {
        "mode": mode,
        "exchanges": len(exchanges),
        "wall_s": round(res.wall_s, 1),
        "cpu_s": round(cpu_s, 1),
        "cpu_cores_busy": round(cpu_s / res.wall_s, 2) if res.wall_s else None,
        "voice_to_voice_ms": _stats(latency_series(exchanges, "speech_end", "playback_start")),
        "response_ms": _stats(latency_series(exchanges, "endpoint", "playback_start")),
        # what the candidate waits for: their last word to the follow-up or next question
        **{
            f"substance_{kind}_ms": _stats(
                [
                    e["substance_ms"] / 1000
                    for e in exchanges
                    if e.get("substance_ms") is not None and e.get("substance_kind") == kind
                ]
            )
            for kind in ("follow_up", "question")
        },
        "substance_ms": _stats(
            [e["substance_ms"] / 1000 for e in exchanges if e.get("substance_ms") is not None]
        ),
        "max_silence_ms": _stats(
            [e["max_silence_ms"] / 1000 for e in exchanges if e.get("max_silence_ms") is not None]
        ),
        "stages": stage_breakdown(exchanges),
        "stats": doc["stats"],
        "max_link_lag_ms": round(1000 * res.max_link_lag_s, 1),
        "watchdog_fired": res.timed_out,
        "latency": exchanges,
        "turns": doc["turns"],
    }


def e2e_key(streaming: dict[str, Any], sequential: dict[str, Any]) -> dict[str, Any]:
    """The ``e2e`` key of results.json (the shape benchmarks/pipeline_latency.py always wrote)."""
    s, q = streaming["voice_to_voice_ms"], sequential["voice_to_voice_ms"]
    return {
        "streaming_p50_ms": s["p50"],
        "streaming_p95_ms": s["p95"],
        "sequential_p50_ms": q["p50"],
        "sequential_p95_ms": q["p95"],
        "p50_ratio": ratio(s["p50"], q["p50"]),
        "streaming_substance_p50_ms": streaming["substance_ms"]["p50"],
        "streaming_substance_p95_ms": streaming["substance_ms"]["p95"],
        "sequential_substance_p50_ms": sequential["substance_ms"]["p50"],
        "streaming_max_silence_ms": streaming["max_silence_ms"]["max"],
    }


def bench_e2e(
    eng: EngineSet, cfg: BenchConfig, progress: Progress, out_dir: Path | None = None
) -> dict[str, Any]:
    """Streaming then sequential over the same script; returns ``{"e2e": ..., "runs": [...]}``."""
    texts = [ANSWERS[i % len(ANSWERS)] for i in range(max(1, cfg.answers))]
    progress("e2e", f"rendering {len(texts)} candidate answer(s)")
    answers, last = render_answers(eng, texts)
    runs = []
    modes: tuple[tuple[str, type[InterviewRunner]], ...] = (
        ("streaming", InterviewRunner),
        ("sequential", SequentialRunner),
    )
    for mode, runner_class in modes:
        progress("e2e", f"{mode} pipeline, {len(texts)} answers in real time")
        record = None
        if out_dir is not None:
            (out_dir / "e2e").mkdir(parents=True, exist_ok=True)
            record = out_dir / "e2e" / f"{mode}.wav"
        cpu0 = cpu_seconds()
        res = run_interview(
            brain=interview_brain(eng.llm, len(texts), instruction_tuned=eng.instruction_tuned),
            vad=eng.vad,
            stt=eng.stt,
            tts=eng.tts,
            answers=answers,
            last=last,
            config=RunnerConfig(endpoint=EndpointConfig(no_answer_s=15.0)),
            runner_class=runner_class,
            record_to=record,
        )
        eng.vad.reset()
        runs.append(summarize_run(mode, res, cpu_seconds() - cpu0))
        v, w = runs[-1]["voice_to_voice_ms"], runs[-1]["substance_ms"]
        progress(
            "e2e",
            f"{mode}: voice-to-voice p50 {v['p50']} ms, p95 {v['p95']} ms; to the question "
            f"p50 {w['p50']} ms, p95 {w['p95']} ms",
        )
    return {"e2e": e2e_key(runs[0], runs[1]), "answers": len(texts), "runs": runs}
