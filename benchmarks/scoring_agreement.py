"""Rank agreement between the scorer's overall scores and hand labels, and the trap pairs.

    .venv/bin/python benchmarks/scoring_agreement.py [--labels FILE] [--pairs FILE] [--no-llm]
        [--llm PATH|NAME] [--threads N] [--pairs-per-kind N] [--llm-pairs N]
        [--labelled-questions N] [--cache FILE [--cache-only]] [--weights 0.3,0.6]

Scores the labelled set (benchmarks/data/scoring_labels.yaml) and the trap pairs
(benchmarks/data/trap_pairs.yaml) rules-only and with an LLM: the configured one, or the GGUF
``--llm`` names (a path, a manifest name, or ``embedded``; a path or a downloaded model is
taken as instruction-tuned, the embedded one is not). Prints Spearman's rho (pooled and within a
question), the mean score per label level, and for the pairs the share ranked right, the mean
better-minus-worse margin and both per trap kind, plus the model's seconds per verdict.

An LLM verdict costs 15 s to minutes on 2 cores, so the model can be run on a subset:
``--pairs-per-kind N`` takes the first N pairs of each trap kind (``--llm-pairs N``: N pairs
spread evenly over the file), ``--labelled-questions N`` the first N questions of the labelled
set; the rules are reported on the same subset beside it. ``--cache FILE`` keeps every model
verdict, so a rerun, and each blend weight of ``--weights``, re-scores from the file without
the model; ``--cache-only`` loads no model and scores the answers the file holds verdicts for
(a run stopped part-way still gives figures, on the answers it finished). ``--repeat``
scores again without the cache and reports whether the scores were identical (temperature 0,
fixed seed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

from interviewer import engines
from interviewer.bench.llmcache import CachedLLM
from interviewer.config import load_settings
from interviewer.context import llm_is_instruction_tuned
from interviewer.interview.bank import load_bank
from interviewer.scoring import scorer
from interviewer.scoring.agreement import (
    TRAP_KINDS,
    LabelledAnswer,
    TrapPair,
    evaluate,
    evaluate_pairs,
    load_labelled,
    load_pairs,
)

HERE = Path(__file__).parent


def _print_labels(name: str, r: dict[str, Any], seconds: float) -> None:
    print(f"{name}: labelled set ({r['n']}) rho {r['spearman']:.3f} pooled, "
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


def pair_subset(pairs: list[TrapPair], per_kind: int, spread: int) -> list[TrapPair]:
    """The first ``per_kind`` pairs of each kind, or ``spread`` pairs evenly over the file."""
    if per_kind:
        return [p for kind in TRAP_KINDS for p in [q for q in pairs if q.kind == kind][:per_kind]]
    if spread:
        step = max(1, len(pairs) // spread)
        return pairs[::step][:spread]
    return pairs


def labelled_subset(items: list[LabelledAnswer], questions: int) -> list[LabelledAnswer]:
    """Every answer to the first ``questions`` questions of the labelled set (0: all)."""
    if not questions:
        return items
    keep = list(dict.fromkeys(it.question_id for it in items))[:questions]
    return [it for it in items if it.question_id in keep]


@contextlib.contextmanager
def blend_weight(weight: float | None) -> Iterator[None]:
    """Score with ``weight`` as the model's share (base and instruction-tuned alike).

    The scorer reads its weight from module constants; a benchmark that tries several weights
    on the same cached verdicts swaps them for the duration, and nothing else changes."""
    if weight is None:
        yield
        return
    with (
        mock.patch.object(scorer, "LLM_WEIGHT_BASE", weight),
        mock.patch.object(scorer, "LLM_WEIGHT_INSTRUCT", weight),
    ):
        yield


def _verdicts_used(items: list[LabelledAnswer], bank: Any, llm: Any, tuned: bool) -> float:
    """Share of answers whose model verdict was valid and blended in (from the cache)."""
    used = [
        scorer.score_answer(
            bank.get(it.question_id), it.text, llm=llm, instruction_tuned=tuned
        ).llm_note
        is None
        for it in items
    ]
    return round(sum(used) / len(used), 3) if used else 0.0


def _cached_only(
    items: list[LabelledAnswer], pairs: list[TrapPair], bank: Any, llm: CachedLLM, tuned: bool
) -> tuple[list[LabelledAnswer], list[TrapPair]]:
    """The answers, and the pairs with both sides, that the cache holds a verdict for."""

    def held(a: LabelledAnswer) -> bool:
        note = scorer.score_answer(
            bank.get(a.question_id), a.text, llm=llm, instruction_tuned=tuned
        ).llm_note
        return not (note and "no cached verdict" in note)

    known: dict[LabelledAnswer, bool] = {}
    for a in [*items, *(x for p in pairs for x in (p.better, p.worse))]:
        if a not in known:
            known[a] = held(a)
    return [a for a in items if known[a]], [p for p in pairs if known[p.better] and known[p.worse]]


def _load_llm(spec: str | None, threads: int | None) -> tuple[Any, bool]:
    settings = load_settings(llm=spec, threads=threads)
    return engines.load_llm(settings), llm_is_instruction_tuned(settings)


def _strip(r: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in r.items() if k not in ("scores", "labels", "rows")}


def _run(
    name: str,
    items: list[LabelledAnswer],
    pairs: list[TrapPair],
    bank: Any,
    llm: Any,
    tuned: bool,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Labelled-set and trap-pair figures (None where a subset left too little to rank)."""
    lab = prs = None
    # Pairs first: with a model they are the slow part, and a stopped run keeps their verdicts.
    if pairs:
        t = time.perf_counter()
        prs = evaluate_pairs(pairs, bank, llm=llm, instruction_tuned=tuned)
        _print_pairs(name, prs, time.perf_counter() - t)
        prs = {**_strip(prs), "rows": prs["rows"]}
    if len(items) >= 2:
        t = time.perf_counter()
        lab = evaluate(items, bank, llm=llm, instruction_tuned=tuned)
        _print_labels(name, lab, time.perf_counter() - t)
        lab = {**_strip(lab), "scores": lab["scores"]}
    return lab, prs


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--labels", type=Path, default=HERE / "data" / "scoring_labels.yaml")
    ap.add_argument("--pairs", type=Path, default=HERE / "data" / "trap_pairs.yaml")
    ap.add_argument("--no-llm", action="store_true", help="rules only")
    ap.add_argument("--llm", help="GGUF path, manifest name or 'embedded' (default: configured)")
    ap.add_argument("--threads", type=int, help="CPU threads for the model (default: all)")
    ap.add_argument("--repeat", type=int, default=1, help="runs with the LLM (consistency)")
    ap.add_argument("--llm-pairs", type=int, default=0, help="pairs spread over the file")
    ap.add_argument("--pairs-per-kind", type=int, default=0, help="first N pairs of each kind")
    ap.add_argument("--labelled-questions", type=int, default=0, help="first N questions")
    ap.add_argument("--cache", type=Path, help="JSON file of model verdicts (read and extended)")
    ap.add_argument(
        "--cache-only",
        action="store_true",
        help="no model: score only the answers whose verdicts --cache holds",
    )
    ap.add_argument(
        "--base",
        action="store_true",
        help="with --cache-only: the cached model is a base model (not tuned)",
    )
    ap.add_argument("--weights", default="", help="extra blend weights, e.g. 0.3,0.6")
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
    sub_items = labelled_subset(items, args.labelled_questions)
    sub_pairs = pair_subset(pairs, args.pairs_per_kind, args.llm_pairs)
    subset = sub_items is not items or sub_pairs is not pairs
    if not (subset or args.cache_only) or args.no_llm:
        # The whole set, rules only: a subset run reports the rules on its subset instead.
        t = time.perf_counter()
        results["rules"] = evaluate(items, bank)
        _print_labels("rules", results["rules"], time.perf_counter() - t)
        t = time.perf_counter()
        results["rules_pairs"] = evaluate_pairs(pairs, bank)
        _print_pairs("rules", results["rules_pairs"], time.perf_counter() - t)
    if args.no_llm:
        _write(args.out, results)
        return

    if args.cache_only:
        if args.cache is None or not args.cache.is_file():
            ap.error("--cache-only needs --cache FILE, a verdicts-<model id>.json of a run")
        model: Any = None
        model_id = args.cache.stem.removeprefix("verdicts-")
        tuned = not args.base
        llm = CachedLLM(None, args.cache, model_id=model_id)
        sub_items, sub_pairs = _cached_only(sub_items, sub_pairs, bank, llm, tuned)
        subset = True
    if subset:
        results["subset"] = {
            "labelled_answers": len(sub_items),
            "labelled_questions": list(dict.fromkeys(it.question_id for it in sub_items)),
            "pairs": len(sub_pairs),
            "pairs_per_kind": args.pairs_per_kind,
            "cache_only": args.cache_only,
        }
        results["rules_subset"], results["rules_pairs_subset"] = _run(
            "rules, same subset", sub_items, sub_pairs, bank, None, False
        )

    if not args.cache_only:
        model, tuned = _load_llm(args.llm, args.threads)
        model_id = model.model_id
        cache_path = args.cache or args.out.with_name(f"verdicts-{model_id}.json")
        llm = CachedLLM(model, cache_path)
    default_w = scorer.LLM_WEIGHT_INSTRUCT if tuned else scorer.LLM_WEIGHT_BASE
    lab, prs = _run(f"{model_id} (w={default_w})", sub_items, sub_pairs, bank, llm, tuned)
    answers = [*sub_items, *dict.fromkeys(a for p in sub_pairs for a in (p.better, p.worse))]
    # A cache-only run reports the times the verdicts took when they were made.
    seconds = llm.seconds or llm.recorded_seconds()
    results["llm"] = {
        "model": model_id,
        "instruction_tuned": tuned,
        "weight": default_w,
        "cache": str(llm.path),
        "verdicts_timed": len(seconds),
        "verdicts_from_cache": llm.hits,
        "seconds_per_verdict_mean": round(statistics.fmean(seconds), 1) if seconds else None,
        "seconds_per_verdict_p50": round(statistics.median(seconds), 1) if seconds else None,
        "verdicts_used": _verdicts_used(answers, bank, llm, tuned),
        "labelled": lab,
        "pairs": prs,
    }
    print(
        f"{model_id}: {len(seconds)} verdicts timed, {llm.hits} answered from the cache, "
        f"{results['llm']['seconds_per_verdict_mean']} s a verdict (mean), valid and used for "
        f"{results['llm']['verdicts_used']:.0%} of the answers"
    )
    results["weights"] = {}
    for w in [float(x) for x in args.weights.split(",") if x.strip()]:
        with blend_weight(w):
            wl, wp = _run(f"{model_id} (w={w})", sub_items, sub_pairs, bank, llm, tuned)
        results["weights"][str(w)] = {"labelled": wl, "pairs": wp}
    if args.repeat > 1 and model is not None:
        again = [evaluate(sub_items, bank, llm=model, instruction_tuned=tuned)]
        for _ in range(args.repeat - 2):
            again.append(evaluate(sub_items, bank, llm=model, instruction_tuned=tuned))
        same = lab is not None and all(r["scores"] == lab["scores"] for r in again)
        results["llm_runs_identical"] = same
        print(f"identical scores over {args.repeat} runs: {same}")
    _write(args.out, results)


def _write(out: Path, results: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
