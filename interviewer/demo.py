"""``interviewer demo``: a whole interview with a simulated candidate, on the real engines.

No microphone: the candidate's scripted answers are rendered with a Piper voice (a different
speed and noise than the interviewer's) and spoken through the virtual duplex link in real
time. Everything the pipeline does for a live candidate happens here too.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interviewer.audio.candidate import (
    DEFAULT_SCRIPT,
    CandidateScript,
    SimulatedCandidate,
    candidate_voice,
    load_script,
    parse_script,
    render_script,
)
from interviewer.audio.duplex import VirtualDuplexLink
from interviewer.audio.recorder import StereoRecorder
from interviewer.context import Engines
from interviewer.interview.base import Brain
from interviewer.pipeline.events import RunnerEvent
from interviewer.pipeline.records import ExchangeRecord
from interviewer.pipeline.runner import LATENCY_FIELDS, InterviewRunner, RunnerConfig

#: How progress lines name the engines being loaded.
ROLE_LABELS = {"candidate_tts": "candidate voice"}

#: The demo's engines, in the order they load: the interviewer's, the candidate's voice, the LLM.
DEMO_ROLES = ("vad", "stt", "tts", "candidate_tts", "llm")


def load_engines(
    engines: Engines,
    *,
    with_llm: bool = True,
    script: CandidateScript | None = None,
    seed: int | None = None,
) -> Engines:
    """Load the context's engines for a demo, with the candidate's voice for ``script``."""
    if not engines.is_loaded("candidate_tts"):
        settings = engines.settings
        engines.set_factory("candidate_tts", lambda: candidate_voice(settings, script, seed))
    roles = [r for r in DEMO_ROLES if with_llm or r != "llm"]
    if engines.settings.stt_final:
        roles.append("stt_final")
    return engines.load(roles)


def default_script() -> CandidateScript:
    return parse_script(DEFAULT_SCRIPT, "<built-in demo script>")


def script_from(path: Path | None) -> CandidateScript:
    return load_script(path) if path is not None else default_script()


@dataclass
class DemoResult:
    runner: InterviewRunner
    candidate: SimulatedCandidate
    out_dir: Path
    transcript: dict[str, Any]


def run_demo(
    *,
    brain: Brain,
    eng: Engines,
    script: CandidateScript,
    out_dir: Path,
    config: RunnerConfig | None = None,
    on_event: Callable[[RunnerEvent], None] | None = None,
    on_exchange: Callable[[ExchangeRecord], None] | None = None,
) -> DemoResult:
    """Run the interview; always writes what it has to ``out_dir``, even on Ctrl-C."""
    out_dir.mkdir(parents=True, exist_ok=True)
    answers, last = render_script(script, eng.candidate_tts)
    recorder = StereoRecorder(out_dir / "conversation.wav", 16_000)
    link = VirtualDuplexLink(recorder)
    candidate = SimulatedCandidate(link.candidate, answers, last)
    runner = InterviewRunner(
        brain=brain,
        vad=eng.vad,
        stt=eng.stt,
        stt_final=eng.stt_final,
        tts=eng.tts,
        duplex=link,
        config=config,
        on_event=on_event,
        on_your_turn=candidate.your_turn,
        on_exchange=on_exchange,
    )
    candidate.start(time.monotonic)
    try:
        runner.run()
    finally:
        candidate.stop()
        runner.shutdown()
        recorder.close()
        transcript = runner.transcript()
        # interviewer speech that began while an answer was still being spoken
        transcript["stats"]["cut_ins"] = len(candidate.cut_ins)
        transcript["candidate_script"] = {"source": script.source, "spoken": candidate.spoken}
        (out_dir / "transcript.json").write_text(
            json.dumps(transcript, indent=2, ensure_ascii=False)
        )
    return DemoResult(runner, candidate, out_dir, transcript)


def latency_rows(transcript: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Per-stage deltas (ms) between consecutive marks: p50 and p95 over the exchanges."""
    import numpy as np

    exchanges = transcript["latency"]["exchanges"]
    rows = []
    for a, b in itertools.pairwise(LATENCY_FIELDS):
        vals = [
            1000 * (e[b] - e[a]) for e in exchanges if e.get(a) is not None and e.get(b) is not None
        ]
        if vals:
            rows.append(
                (f"{a} -> {b}", f"{np.percentile(vals, 50):.0f}", f"{np.percentile(vals, 95):.0f}")
            )
    summary = transcript["latency"]["summary"]
    for name in ("voice_to_voice_ms", "response_ms"):
        p = summary[name]
        if p["p50"] is not None:
            rows.append(
                (name.removesuffix("_ms").replace("_", "-"), f"{p['p50']:.0f}", f"{p['p95']:.0f}")
            )
    # what the candidate waits for: the question itself, not the acknowledgement before it
    for name, label in (
        ("substance_follow_up_ms", "last word -> follow-up"),
        ("substance_question_ms", "last word -> next question"),
        ("max_silence_ms", "longest silence in a turn"),
    ):
        p = summary.get(name) or {}
        if p.get("p50") is not None:
            rows.append((label, f"{p['p50']:.0f}", f"{p['p95']:.0f}"))
    return rows
