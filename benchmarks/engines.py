"""Per-engine load and inference times on the embedded default models.

    .venv/bin/python benchmarks/engines.py [--repeats 3] [--quick] [--device cpu] [--out DIR]

The same measurements as ``interviewer bench --only vad,stt,llm,tts`` (the code lives in
``interviewer/bench/``), pinned to the embedded models so a developer's downloaded upgrades do
not change the figures. Writes results.json, summary.md and charts to ``--out`` and prints the
summary; p50/p95 over ``--repeats`` calls after one warm-up call. Not stored in the database.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from interviewer.bench.common import ENGINE_SECTIONS, BenchConfig  # noqa: E402
from interviewer.bench.report import summary_markdown  # noqa: E402
from interviewer.bench.run import run_bench, write_outputs  # noqa: E402
from interviewer.config import Settings  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    ap.add_argument("--out", type=Path, default=REPO / "bench-out" / "engines")
    args = ap.parse_args()
    settings = Settings(
        vad="embedded", stt="embedded", llm="embedded", tts="embedded", device=args.device
    )
    cfg = BenchConfig.make(args.quick, sections=ENGINE_SECTIONS, repeats=args.repeats)
    results = run_bench(
        settings, cfg, args.out, command=" ".join(["benchmarks/engines.py", *sys.argv[1:]])
    )
    write_outputs(results, args.out)
    print(summary_markdown(results))
    print(f"\n(raw figures: {args.out / 'results.json'})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
