"""Shared pieces of the benchmark: sections, timing statistics, progress, the engines' type."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.config import REPO_ROOT
from interviewer.context import Engines
from interviewer.errors import ConfigError

#: Every section, in the order a full run executes them (cheap, offline ones first).
SECTIONS = (
    "vad", "stt", "llm", "tts", "followups", "wer", "judgement", "e2e", "concurrency", "turns"
)  # fmt: skip
ENGINE_SECTIONS = ("vad", "stt", "llm", "tts")

#: The recordings with reference transcripts beside the checkout (as the tests find them).
SHARED_AUDIO = Path(
    os.environ.get("INTERVIEWER_SHARED_AUDIO", REPO_ROOT.parent / "shared" / "audio")
)


def parse_sections(only: str | None) -> tuple[str, ...]:
    """``--only stt,vad`` -> the sections in run order; unknown names are a ConfigError."""
    if only is None or not only.strip():
        return SECTIONS
    names = [n.strip().lower() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        raise ConfigError(f"--only {unknown[0]}: unknown section; sections: {', '.join(SECTIONS)}")
    return tuple(s for s in SECTIONS if s in names)


@dataclass(frozen=True)
class BenchConfig:
    """What one ``interviewer bench`` run measures; :meth:`make` fills the quick/full defaults."""

    quick: bool = False
    sections: tuple[str, ...] = SECTIONS
    #: timed repetitions per measurement (after one warm-up call)
    repeats: int = 3
    #: candidate answers in the end-to-end interview (question + follow-up pairs)
    answers: int = 8
    #: simultaneous interviews to try, in order, until p95 response passes ``limit_ms``
    concurrency: tuple[int, ...] = (1, 2, 4, 8)
    #: answers per simultaneous interview (a question and its follow-up)
    concurrency_answers: int = 2
    limit_ms: float = 2000.0
    wer_data: tuple[Path, ...] = ()
    #: "current": the configured STT model only; "all": every installed STT model too
    wer_models: str = "all"
    #: quick runs transcribe only the shortest clips of each WER set
    wer_max_clips: int | None = None
    #: longest shared recording for the STT timings; the 35.5 s one is left out: past the
    #: short window's 25 s limit every mode is the normal pass, and it costs a minute
    stt_clip_max_s: float = 12.0
    vad_frames: int = 1000
    label: str = ""

    @classmethod
    def make(cls, quick: bool = False, **overrides: Any) -> BenchConfig:
        base = (
            cls(
                quick=True,
                repeats=1,
                answers=2,
                concurrency=(1, 2),
                # as many as the e2e run, whose streaming run then serves as level 1
                concurrency_answers=2,
                wer_models="current",
                wer_max_clips=4,
                stt_clip_max_s=7.0,
                vad_frames=300,
            )
            if quick
            else cls()
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        cfg = replace(base, **given)
        # every question gets one follow-up, so answers come in pairs (or a single one)
        return replace(
            cfg,
            answers=_paired(cfg.answers),
            concurrency_answers=_paired(cfg.concurrency_answers),
        )


def _paired(n: int) -> int:
    return 1 if n <= 1 else n - n % 2


def summarize_ms(seconds: list[float]) -> dict[str, float | int | None]:
    """p50 / p95 / max / mean in milliseconds (and n) of timings given in seconds."""
    if not seconds:
        return {"n": 0, "p50": None, "p95": None, "max": None, "mean": None}
    arr = np.asarray(seconds, dtype=np.float64) * 1000.0
    return {
        "n": len(seconds),
        "p50": round(float(np.percentile(arr, 50)), 2),
        "p95": round(float(np.percentile(arr, 95)), 2),
        "max": round(float(arr.max()), 2),
        "mean": round(float(arr.mean()), 2),
    }


def ratio(a: float | None, b: float | None, digits: int = 3) -> float | None:
    """a / b, or None when either is missing or b is zero."""
    if a is None or b is None or b == 0:
        return None
    return round(a / b, digits)


def timed(fn: Callable[[], Any], repeats: int, *, warmup: bool = True) -> tuple[list[float], Any]:
    """Wall-clock seconds of ``repeats`` calls (after one untimed warm-up), and the last result."""
    if warmup:
        fn()  # first calls pay for allocations and lazy initialisation
    times: list[float] = []
    result: Any = None
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


class Progress:
    """One line per step on stderr, with the time since the run began."""

    def __init__(self, write: Callable[[str], None] | None = None) -> None:
        self._t0 = time.perf_counter()
        self._write = write or (lambda line: print(line, file=sys.stderr, flush=True))

    def __call__(self, section: str, message: str) -> None:
        self._write(f"[{time.perf_counter() - self._t0:6.1f} s] {section}: {message}")

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._t0


#: The run's engines are the application context's lazy bundle (loaded on first use, once per
#: run, with their load times); the name stays for the sections' signatures.
EngineSet = Engines
