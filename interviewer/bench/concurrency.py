"""Several simulated interviews at once in one process: where does the response time break?

Each interview has its own virtual link, simulated candidate, interview machine and VAD
(Silero keeps recurrent state, so a VAD cannot be shared between streams); the STT, TTS and
LLM engines are shared, as a server would share them (the LLM serialises its calls with a lock,
CTranslate2 queues concurrent transcriptions). Levels run in order (1, 2, 4, ...) until the p95
response time passes the limit (2 s by default). CPU is the process's CPU time over the level's
wall time: the engines' own worker threads cannot be attributed to one interview, so the figure
per interview is the process's divided by the number of interviews.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from interviewer.bench.common import BenchConfig, EngineSet, Progress
from interviewer.bench.e2e import (
    ANSWERS,
    InterviewResult,
    _stats,
    cpu_seconds,
    interview_brain,
    latency_series,
    render_answers,
    run_interview,
    stage_breakdown,
)
from interviewer.pipeline.endpointing import EndpointConfig
from interviewer.pipeline.runner import RunnerConfig

#: Interview i starts this much after interview i - 1, so turns do not all end in the same block.
STAGGER_S = 1.3


def run_level(
    eng: EngineSet,
    n: int,
    scripts: list[tuple[list[Any], Any]],
) -> dict[str, Any]:
    """``n`` interviews at once; returns latency percentiles over all their exchanges."""
    vads = []
    vad_load = []
    for _ in range(n):
        vad, seconds = eng.timed_new_vad()
        vads.append(vad)
        vad_load.append(seconds)
    results: list[InterviewResult | None] = [None] * n
    errors: list[BaseException] = []

    def one(i: int) -> None:
        time.sleep(i * STAGGER_S)
        answers, last = scripts[i % len(scripts)]
        try:
            results[i] = run_interview(
                brain=interview_brain(
                    eng.llm, len(answers), seed=11 + i, instruction_tuned=eng.instruction_tuned
                ),
                vad=vads[i],
                stt=eng.stt,
                tts=eng.tts,
                answers=answers,
                last=last,
                config=RunnerConfig(endpoint=EndpointConfig(no_answer_s=15.0)),
            )
        except BaseException as exc:  # reported by the caller; one failure must not hang the rest
            errors.append(exc)

    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,), name=f"bench-{i}") for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - wall0
    if errors:
        raise errors[0]
    done = [r for r in results if r is not None]
    exchanges = [e for r in done for e in r.transcript["latency"]["exchanges"]]
    v2v = latency_series(exchanges, "speech_end", "playback_start")
    resp = latency_series(exchanges, "endpoint", "playback_start")
    cores = os.cpu_count() or 1
    return {
        "interviews": n,
        "exchanges": len(exchanges),
        "voice_to_voice_ms": _stats(v2v),
        "response_ms": _stats(resp),
        "stages": stage_breakdown(exchanges),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "cpu_cores_busy": round(cpu / wall, 2) if wall else None,
        "cpu_cores_per_interview": round(cpu / wall / n, 3) if wall else None,
        "cpu_share_of_machine": round(cpu / wall / cores, 3) if wall and cores else None,
        "dropped_frames": sum(r.transcript["stats"]["dropped_frames"] for r in done),
        "max_link_lag_ms": round(1000 * max((r.max_link_lag_s for r in done), default=0.0), 1),
        "watchdog_fired": any(r.timed_out for r in done),
        "vad_load_s": round(sum(vad_load) / max(1, n), 3),
    }


def level_from_run(run: dict[str, Any]) -> dict[str, Any]:
    """A single-interview level taken from the end-to-end streaming run.

    With the same answers that run is the very experiment level 1 would repeat (interview 0
    speaks the same script to the same brain), so it is reused rather than run again.
    """
    cores = os.cpu_count() or 1
    busy = run.get("cpu_cores_busy")
    return {
        "interviews": 1,
        "exchanges": run["exchanges"],
        "voice_to_voice_ms": run["voice_to_voice_ms"],
        "response_ms": run["response_ms"],
        "stages": run["stages"],
        "wall_s": run["wall_s"],
        "cpu_s": run.get("cpu_s"),
        "cpu_cores_busy": busy,
        "cpu_cores_per_interview": busy,
        "cpu_share_of_machine": round(busy / cores, 3) if busy is not None else None,
        "dropped_frames": run["stats"]["dropped_frames"],
        "max_link_lag_ms": run.get("max_link_lag_ms"),
        "watchdog_fired": run.get("watchdog_fired", False),
        "vad_load_s": None,
        "source": "e2e streaming run",
    }


def bench_concurrency(
    eng: EngineSet,
    cfg: BenchConfig,
    progress: Progress,
    single: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Levels in order until p95 response passes the limit; ``single`` stands in for level 1."""
    count = max(1, cfg.concurrency_answers)
    # loaded here, not by the first interview thread to need them (and not inside a level's time)
    _ = (eng.stt, eng.tts, eng.llm)
    # rotated answer lists: the interviews drift apart instead of speaking in lockstep
    variants = min(max(cfg.concurrency), 4)
    progress("concurrency", f"rendering {variants} candidate script(s)")
    scripts = []
    for v in range(variants):
        texts = [ANSWERS[(2 * v + i) % len(ANSWERS)] for i in range(count)]
        scripts.append(render_answers(eng, texts))
    levels = []
    passes_at = None
    for n in cfg.concurrency:
        if n == 1 and single is not None:
            level = single
        else:
            progress("concurrency", f"{n} simultaneous interview{'s' if n > 1 else ''}")
            level = run_level(eng, n, scripts)
        levels.append(level)
        p95 = level["response_ms"]["p95"]
        progress(
            "concurrency",
            f"{n}: response p50 {level['response_ms']['p50']} / p95 {p95} ms, "
            f"{level['cpu_cores_busy']} cores busy",
        )
        if p95 is not None and p95 > cfg.limit_ms:
            passes_at = n
            break
    return {
        "answers_per_interview": count,
        "stagger_s": STAGGER_S,
        "limit_ms": cfg.limit_ms,
        "levels": levels,
        "p95_response_passes_limit_at": passes_at,
        "max_tested": levels[-1]["interviews"] if levels else 0,
    }
