"""The ``interviewer bench`` command group (registered in interviewer/cli.py)."""

from __future__ import annotations

import typer

bench_app = typer.Typer(help="Benchmarks: per-stage latency, voice-to-voice, WER, concurrency.")
