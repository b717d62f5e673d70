"""Voice-to-voice and response latency: the streaming pipeline against the sequential baseline.

    .venv/bin/python benchmarks/pipeline_latency.py [--answers 8] [--device cpu] [--out DIR]

The same run as ``interviewer bench --only e2e`` (the code lives in ``interviewer/bench/``),
pinned to the embedded models: the real interview machine (bank questions, LLM follow-ups) and
a simulated candidate speaking a scripted set of answers through the virtual duplex link in
real time, first through the streaming pipeline, then through the sequential baseline (wait for
the whole answer, transcribe all of it, generate the whole reply, synthesize all of it, then
play). ``--out`` gets results.json, whose ``e2e`` key holds the streaming and sequential
p50/p95 voice-to-voice in ms and their p50 ratio, plus summary.md, the stacked per-stage chart
and both conversations as stereo WAV.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from interviewer.bench.common import BenchConfig  # noqa: E402
from interviewer.bench.report import summary_markdown  # noqa: E402
from interviewer.bench.run import run_bench, write_outputs  # noqa: E402
from interviewer.config import Settings  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--answers", type=int, default=8, help="answers per run (even: question + follow-up)"
    )
    ap.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    ap.add_argument("--out", type=Path, default=REPO / "bench-out" / "pipeline")
    args = ap.parse_args()
    settings = Settings(
        vad="embedded", stt="embedded", llm="embedded", tts="embedded", device=args.device
    )
    cfg = BenchConfig.make(False, sections=("e2e",), answers=max(1, args.answers))
    command = " ".join(["benchmarks/pipeline_latency.py", *sys.argv[1:]])
    results = run_bench(settings, cfg, args.out, command=command)
    write_outputs(results, args.out)
    print(summary_markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
