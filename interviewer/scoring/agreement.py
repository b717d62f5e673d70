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


def load_labelled(path: Path) -> list[LabelledAnswer]:
    """``items: [{question: ID, answers: [{label: N, text: ...}]}]`` from a YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the labelled set ({exc})") from exc
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
    """Score every answer; rho pooled over all answers and the mean rho within a question."""
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
        "scores": scores,
        "labels": labels,
    }
