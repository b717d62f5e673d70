"""Rank agreement between the scorer's overall scores and hand labels.

    .venv/bin/python benchmarks/scoring_agreement.py [--labels FILE] [--no-llm] [--repeat 2]

Scores the labelled set (benchmarks/data/scoring_labels.yaml) rules-only and with the configured
LLM, and prints Spearman's rho pooled over all answers and within each question. ``--repeat``
scores again and reports whether the scores were identical (temperature 0, fixed seed).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from interviewer import engines
from interviewer.config import load_settings
from interviewer.interview.bank import load_bank
from interviewer.registry import resolve
from interviewer.scoring.agreement import evaluate, load_labelled

HERE = Path(__file__).parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, default=HERE / "data" / "scoring_labels.yaml")
    ap.add_argument("--no-llm", action="store_true", help="rules only")
    ap.add_argument("--repeat", type=int, default=2, help="runs with the LLM (consistency)")
    ap.add_argument("--out", type=Path, default=Path("bench-out/scoring/agreement.json"))
    args = ap.parse_args()

    items = load_labelled(args.labels)
    bank = load_bank()
    results: dict[str, object] = {"labels_file": str(args.labels), "n": len(items)}
    t = time.perf_counter()
    rules = evaluate(items, bank)
    results["rules"] = rules
    print(f"rules only:   rho {rules['spearman']:.3f} pooled, "
          f"{rules['spearman_within_question_mean']:.3f} within a question "
          f"({time.perf_counter() - t:.1f} s)")  # fmt: skip
    if not args.no_llm:
        settings = load_settings()
        llm = engines.load_llm(settings)
        tuned = resolve("llm", settings).source != "embedded"
        runs = []
        for _ in range(max(1, args.repeat)):
            t = time.perf_counter()
            runs.append(evaluate(items, bank, llm=llm, instruction_tuned=tuned))
            print(f"with {llm.model_id}: rho {runs[-1]['spearman']:.3f} pooled, "
                  f"{runs[-1]['spearman_within_question_mean']:.3f} within a question "
                  f"({time.perf_counter() - t:.1f} s)")  # fmt: skip
        results["llm"] = {"model": llm.model_id, "instruction_tuned": tuned, **runs[0]}
        results["llm_runs_identical"] = all(r["scores"] == runs[0]["scores"] for r in runs)
        print(f"identical scores over {len(runs)} runs: {results['llm_runs_identical']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
