"""The ``judgement`` section: how well the scorer ranks answers, and what scoring costs.

Scores the hand-labelled set and the trap pairs in ``benchmarks/data`` (beside the checkout)
with the rules and the semantic signals; the LLM's share is measured by
``benchmarks/scoring_agreement.py`` (about 17 s an answer with the embedded model on 2 cores,
too slow for a bench section). Figures: Spearman against the labels, pairwise accuracy and the
mean better-minus-worse margin on the trap pairs (per kind), the mean score per label level,
and the scoring time per answer (it runs off the reply path, in the scoring worker).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from interviewer.bench.common import BenchConfig, Progress
from interviewer.config import REPO_ROOT

__all__ = ["DATA_DIR", "bench_judgement", "summary_lines"]

DATA_DIR = REPO_ROOT / "benchmarks" / "data"


def bench_judgement(bank: Any, cfg: BenchConfig, progress: Progress) -> dict[str, Any]:
    """Rules-and-semantic figures on the labelled set and the trap pairs (all of them; a quick
    run scores every fourth pair)."""
    from interviewer.scoring.agreement import evaluate, evaluate_pairs, load_labelled, load_pairs
    from interviewer.scoring.embedding import default_encoder, unavailable_reason
    from interviewer.scoring.scorer import score_answer

    labels, pairs_file = DATA_DIR / "scoring_labels.yaml", DATA_DIR / "trap_pairs.yaml"
    if not (labels.exists() and pairs_file.exists()):
        return {"skipped": f"no labelled data at {DATA_DIR} (it ships with the source checkout)"}
    t = time.perf_counter()
    encoder = default_encoder()
    load_s = time.perf_counter() - t
    items = load_labelled(labels)
    pairs = load_pairs(pairs_file)
    if cfg.quick:
        pairs = pairs[::4]
    progress("judgement", f"{len(items)} labelled answers, {len(pairs)} trap pairs")
    labelled = evaluate(items, bank)
    trap = evaluate_pairs(pairs, bank)
    times = []
    for it in items[: 6 if cfg.quick else len(items)]:
        t = time.perf_counter()
        score_answer(bank.get(it.question_id), it.text)
        times.append((time.perf_counter() - t) * 1000)
    return {
        "semantic": encoder.model_id if encoder is not None else unavailable_reason(),
        "encoder_load_s": round(load_s, 2),
        "labelled": {
            "n": labelled["n"],
            "spearman": round(labelled["spearman"], 3),
            "spearman_within_question_mean": round(labelled["spearman_within_question_mean"], 3),
            "calibration": labelled["calibration"],
        },
        "trap": {k: v for k, v in trap.items() if k != "rows"},
        "score_ms": {
            "p50": round(float(np.percentile(times, 50)), 1),
            "p95": round(float(np.percentile(times, 95)), 1),
        },
    }


def summary_lines(j: dict[str, Any]) -> list[str]:
    """The section's lines for summary.md."""
    if not j:
        return []
    if "skipped" in j:
        return ["## Judgement", "", f"skipped: {j['skipped']}", ""]
    lab, trap = j["labelled"], j["trap"]
    lines = [
        "## Judgement",
        "",
        f"Rules with semantic signals ({j['semantic']}); scoring takes "
        f"{j['score_ms']['p50']} ms p50 / {j['score_ms']['p95']} ms p95 an answer, off the "
        "reply path.",
        "",
        f"- labelled set ({lab['n']} answers): Spearman {lab['spearman']}, mean score per label "
        f"{lab['calibration']}",
        f"- trap pairs ({trap['pairs']}): pairwise accuracy {trap['pairwise_accuracy']}, "
        f"mean margin {trap['mean_margin']:+.2f} (better {trap['mean_better']}, worse "
        f"{trap['mean_worse']}), Spearman {round(trap['spearman'], 3)}, mean score per label "
        f"{trap['calibration']}",
        "",
        "| trap kind | pairs | accuracy | margin |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {kind} | {k['n']:.0f} | {k['accuracy']} | {k['margin']:+.2f} |"
        for kind, k in trap["per_kind"].items()
    ]
    return [*lines, ""]
