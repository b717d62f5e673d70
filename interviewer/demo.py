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
    load_script,
    parse_script,
    render_script,
)
from interviewer.audio.duplex import VirtualDuplexLink
from interviewer.audio.recorder import StereoRecorder
from interviewer.config import Settings
from interviewer.interview.base import Brain
from interviewer.pipeline.runner import LATENCY_FIELDS, InterviewRunner, RunnerConfig

#: The interviewer speaks at Piper's default settings; the candidate a little faster and with
#: more variation, so the two voices are told apart in the recording.
CANDIDATE_SPEED = 1.1
CANDIDATE_NOISE = 0.8
CANDIDATE_NOISE_W = 0.9


@dataclass
class Engines:
    vad: Any
    stt: Any
    tts: Any
    llm: Any | None
    candidate_tts: Any
    load_seconds: dict[str, float]


def candidate_voice(
    settings: Settings, script: CandidateScript | None, seed: int | None = None
) -> Any:
    """The candidate's Piper voice: the script's ``voice`` (a model name or path), else the
    interviewer's model, at a different speed and noise so the two are told apart.

    Piper's noise is drawn inside the ONNX graph, from a generator each session seeds when it
    is built. With ``seed`` the same script renders to the same audio, so a run can be
    repeated: the answers differ by how they are heard, not by how they were spoken."""
    from dataclasses import replace

    from interviewer import engines

    if seed is not None:
        import onnxruntime

        onnxruntime.set_seed(seed)

    voice = script.voice if script is not None else "default"
    speed = CANDIDATE_SPEED * (script.speed if script is not None else 1.0)
    use = settings if voice == "default" or Path(voice).is_dir() else replace(settings, tts=voice)
    return engines.load_tts(
        use, speed=speed, noise_scale=CANDIDATE_NOISE, noise_w_scale=CANDIDATE_NOISE_W
    )


def load_engines(
    settings: Settings,
    *,
    with_llm: bool = True,
    progress: Callable[[str], None] = print,
    script: CandidateScript | None = None,
    seed: int | None = None,
) -> Engines:
    from interviewer import engines

    times: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        progress(f"loading {name} ...")
        t = time.perf_counter()
        value = fn()
        times[name] = round(time.perf_counter() - t, 2)
        return value

    vad = timed("vad", lambda: engines.load_vad(settings))
    stt = timed("stt", lambda: engines.load_stt(settings))
    tts = timed("tts", lambda: engines.load_tts(settings))
    cand = timed("candidate voice", lambda: candidate_voice(settings, script, seed))
    llm = timed("llm", lambda: engines.load_llm(settings)) if with_llm else None
    return Engines(vad, stt, tts, llm, cand, times)


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
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
    on_exchange: Callable[[dict[str, Any]], None] | None = None,
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
