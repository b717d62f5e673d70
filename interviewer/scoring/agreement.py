"""How well the scorer ranks answers: Spearman correlation against hand labels.

The labelled set (benchmarks/data/scoring_labels.yaml) holds answers of clearly different
quality to the same questions; a scorer worth using ranks them in the labels' order.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from interviewer.engines.base import LLM
from interviewer.errors import ConfigError
from interviewer.interview.bank import Bank
from interviewer.scoring.scorer import score_answer


@dataclass(frozen=True)
class LabelledAnswer:
    question_id: str
    label: float
    text: str


def _read_yaml(path: Path, what: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read {what} ({exc})") from exc


def load_labelled(path: Path) -> list[LabelledAnswer]:
    """``items: [{question: ID, answers: [{label: N, text: ...}]}]`` from a YAML file."""
    data = _read_yaml(path, "the labelled set")
    out = []
    try:
        for item in data["items"]:
            for ans in item["answers"]:
                out.append(LabelledAnswer(str(item["question"]), float(ans["label"]), ans["text"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"{path}: expected items: [{{question, answers: [{{label, text}}]}}] ({exc})"
        ) from exc
    return out


def _ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks from 1, ties sharing their average rank (as Spearman's rho needs)."""
    arr = np.asarray(values, dtype=float)
    order = arr.argsort(kind="stable")
    ranks = np.empty(len(arr))
    ranks[order] = np.arange(1, len(arr) + 1)
    for v in np.unique(arr):
        tied = arr == v
        ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (Pearson on average ranks); nan when either is constant."""
    if len(x) != len(y) or len(x) < 2:
        raise ValueError("spearman needs two sequences of the same length, at least 2")
    rx, ry = _ranks(x), _ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def evaluate(
    items: Sequence[LabelledAnswer],
    bank: Bank,
    *,
    llm: LLM | None = None,
    instruction_tuned: bool = False,
) -> dict[str, Any]:
    """Score every answer; rho pooled over all answers, the mean rho within a question and the
    mean score per label level."""
    scores = [
        score_answer(
            bank.get(it.question_id), it.text, llm=llm, instruction_tuned=instruction_tuned
        ).overall
        for it in items
    ]
    labels = [it.label for it in items]
    per_question: dict[str, float] = {}
    for qid in dict.fromkeys(it.question_id for it in items):
        idx = [i for i, it in enumerate(items) if it.question_id == qid]
        per_question[qid] = spearman([labels[i] for i in idx], [scores[i] for i in idx])
    within = [v for v in per_question.values() if v == v]  # drop nan
    return {
        "n": len(items),
        "spearman": spearman(labels, scores),
        "spearman_within_question_mean": statistics.fmean(within) if within else float("nan"),
        "per_question": per_question,
        "calibration": calibration(labels, scores),
        "scores": scores,
        "labels": labels,
    }


# --------------------------------------------------------------------------- trap pairs

#: The kinds of worse answer in the trap set, each built to fool a surface rule.
TRAP_KINDS = ("off_question", "wrong_confident", "buzzwords", "we_only", "hypothetical", "circular")


@dataclass(frozen=True)
class TrapPair:
    """A better and a worse answer to one question; ``kind`` says how the worse one misleads."""

    question_id: str
    kind: str
    better: LabelledAnswer
    worse: LabelledAnswer


def load_pairs(path: Path) -> list[TrapPair]:
    """``pairs: [{question, kind, better: {label, text}, worse: {label, text}}]`` from YAML."""
    data = _read_yaml(path, "the trap pairs")
    out = []
    try:
        for i, item in enumerate(data["pairs"]):
            qid, kind = str(item["question"]), str(item["kind"])
            if kind not in TRAP_KINDS:
                raise ValueError(f"pair {i + 1}: unknown kind {kind!r} ({', '.join(TRAP_KINDS)})")
            sides = [
                LabelledAnswer(qid, float(item[s]["label"]), " ".join(item[s]["text"].split()))
                for s in ("better", "worse")
            ]
            out.append(TrapPair(qid, kind, sides[0], sides[1]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"{path}: expected pairs: [{{question, kind, better: {{label, text}}, "
            f"worse: {{label, text}}}}] ({exc})"
        ) from exc
    return out


def calibration(labels: Sequence[float], scores: Sequence[float]) -> dict[str, float]:
    """Mean score per label level, keyed by the label as text ("4", "1")."""
    out: dict[str, float] = {}
    for level in sorted(set(labels), reverse=True):
        mine = [s for lab, s in zip(labels, scores, strict=True) if lab == level]
        out[f"{level:g}"] = round(statistics.fmean(mine), 2)
    return out


def evaluate_pairs(
    pairs: Sequence[TrapPair],
    bank: Bank,
    *,
    llm: LLM | None = None,
    instruction_tuned: bool = False,
) -> dict[str, Any]:
    """Score both sides of every pair: the share of pairs ranked right (ties count half), the
    mean better-minus-worse margin, both per kind, Spearman over the distinct answers against
    their labels, and the mean score per label level."""
    cache: dict[tuple[str, str], float] = {}

    def score(a: LabelledAnswer) -> float:
        key = (a.question_id, a.text)
        if key not in cache:
            cache[key] = score_answer(
                bank.get(a.question_id), a.text, llm=llm, instruction_tuned=instruction_tuned
            ).overall
        return cache[key]

    rows: list[dict[str, Any]] = []
    margins: list[float] = []
    for p in pairs:
        b, w = score(p.better), score(p.worse)
        rows.append({"question": p.question_id, "kind": p.kind, "better": b, "worse": w})
        margins.append(b - w)
    right = [1.0 if m > 0 else 0.5 if m == 0 else 0.0 for m in margins]
    per_kind: dict[str, dict[str, float]] = {}
    for kind in TRAP_KINDS:
        idx = [i for i, r in enumerate(rows) if r["kind"] == kind]
        if idx:
            per_kind[kind] = {
                "n": len(idx),
                "accuracy": round(statistics.fmean(right[i] for i in idx), 3),
                "margin": round(statistics.fmean(margins[i] for i in idx), 2),
            }
    answers = list(dict.fromkeys(a for p in pairs for a in (p.better, p.worse)))
    labels = [a.label for a in answers]
    scores = [score(a) for a in answers]
    return {
        "pairs": len(rows),
        "pairwise_accuracy": round(statistics.fmean(right), 3),
        "mean_margin": round(statistics.fmean(margins), 2),
        "mean_better": round(statistics.fmean(r["better"] for r in rows), 2),
        "mean_worse": round(statistics.fmean(r["worse"] for r in rows), 2),
        "per_kind": per_kind,
        "answers": len(answers),
        "spearman": spearman(labels, scores),
        "calibration": calibration(labels, scores),
        "rows": rows,
    }
