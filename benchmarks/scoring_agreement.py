"""Rank agreement between the scorer's overall scores and hand labels, and the trap pairs.

    .venv/bin/python benchmarks/scoring_agreement.py [--labels FILE] [--pairs FILE] [--no-llm]
        [--repeat 2] [--llm-pairs N]

Scores the labelled set (benchmarks/data/scoring_labels.yaml) and the trap pairs
(benchmarks/data/trap_pairs.yaml) rules-only and with the configured LLM. Prints Spearman's rho
(pooled and within a question), the mean score per label level, and for the pairs the share
ranked right, the mean better-minus-worse margin and both per trap kind. ``--repeat`` scores
again and reports whether the scores were identical (temperature 0, fixed seed).
``--llm-pairs N`` scores only N pairs, spread evenly over the file, with the LLM (about 17 s an
answer on 2 cores), and the rules on the same N for comparison.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from interviewer import engines
from interviewer.config import load_settings
from interviewer.interview.bank import load_bank
from interviewer.registry import resolve
from interviewer.scoring.agreement import evaluate, evaluate_pairs, load_labelled, load_pairs

HERE = Path(__file__).parent


def _print_labels(name: str, r: dict[str, Any], seconds: float) -> None:
    print(f"{name}: labelled set rho {r['spearman']:.3f} pooled, "
          f"{r['spearman_within_question_mean']:.3f} within a question, "
          f"mean score per label {r['calibration']} ({seconds:.1f} s)")  # fmt: skip


def _print_pairs(name: str, r: dict[str, Any], seconds: float) -> None:
    print(f"{name}: trap pairs {r['pairs']}: accuracy {r['pairwise_accuracy']:.3f}, "
          f"margin {r['mean_margin']:+.2f} (better {r['mean_better']:.2f}, "
          f"worse {r['mean_worse']:.2f}), rho {r['spearman']:.3f} over {r['answers']} answers, "
          f"per label {r['calibration']} ({seconds:.1f} s)")  # fmt: skip
    for kind, k in r["per_kind"].items():
        print(f"    {kind:16s} n={k['n']:2.0f} accuracy {k['accuracy']:.2f} "
              f"margin {k['margin']:+.2f}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, default=HERE / "data" / "scoring_labels.yaml")
    ap.add_argument("--pairs", type=Path, default=HERE / "data" / "trap_pairs.yaml")
    ap.add_argument("--no-llm", action="store_true", help="rules only")
    ap.add_argument("--repeat", type=int, default=2, help="runs with the LLM (consistency)")
    ap.add_argument("--llm-pairs", type=int, default=0, help="pairs scored with the LLM (0: all)")
    ap.add_argument("--out", type=Path, default=Path("bench-out/scoring/agreement.json"))
    args = ap.parse_args()

    items = load_labelled(args.labels)
    pairs = load_pairs(args.pairs)
    bank = load_bank()
    results: dict[str, Any] = {
        "labels_file": str(args.labels),
        "pairs_file": str(args.pairs),
        "n": len(items),
    }
    t = time.perf_counter()
    rules = evaluate(items, bank)
    _print_labels("rules", rules, time.perf_counter() - t)
    t = time.perf_counter()
    rules_pairs = evaluate_pairs(pairs, bank)
    _print_pairs("rules", rules_pairs, time.perf_counter() - t)
    results["rules"] = rules
    results["rules_pairs"] = rules_pairs
    if not args.no_llm:
        settings = load_settings()
        llm = engines.load_llm(settings)
        tuned = resolve("llm", settings).source != "embedded"
        runs = []
        for _ in range(max(1, args.repeat)):
            t = time.perf_counter()
            runs.append(evaluate(items, bank, llm=llm, instruction_tuned=tuned))
            _print_labels(llm.model_id, runs[-1], time.perf_counter() - t)
        results["llm"] = {"model": llm.model_id, "instruction_tuned": tuned, **runs[0]}
        results["llm_runs_identical"] = all(r["scores"] == runs[0]["scores"] for r in runs)
        print(f"identical scores over {len(runs)} runs: {results['llm_runs_identical']}")
        step = max(1, len(pairs) // args.llm_pairs) if args.llm_pairs else 1
        subset = pairs[::step][: args.llm_pairs] if args.llm_pairs else pairs
        t = time.perf_counter()
        llm_pairs = evaluate_pairs(subset, bank, llm=llm, instruction_tuned=tuned)
        _print_pairs(llm.model_id, llm_pairs, time.perf_counter() - t)
        results["llm_pairs"] = {"model": llm.model_id, **llm_pairs}
        if args.llm_pairs:
            same = evaluate_pairs(subset, bank)
            _print_pairs("rules, same subset", same, 0.0)
            results["rules_pairs_subset"] = same
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
