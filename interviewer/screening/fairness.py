"""Does the score follow the speech recogniser's confidence? One check per template.

For every scored answer (a question with its follow-ups, in one interview) the mean word
probability the recogniser gave its words is paired with the answer's overall score. If
answers heard less surely score lower, the scores may be measuring the accent, the microphone
or the noise rather than the answer.

The rule: with at least :data:`MIN_N` answers, warn when Spearman's rho is positive and
one-sidedly significant at 5 % (Fisher's z, ``atanh(rho) * sqrt(n - 3) >= 1.645``) **and** the
least-confidently heard quarter of the answers scores at least :data:`MIN_GAP` points below the
rest on average. Both are needed: a correlation alone can come from a few strong answers heard
well, a gap alone from a handful of short ones. Below :data:`MIN_N` nothing is claimed.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

from interviewer.screening.models import FairnessCheck

MIN_N = 20
MIN_GAP = 0.5
Z_CRITICAL = 1.645


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    if len(x) < 3 or len(x) != len(y):
        return None
    mx, my = statistics.fmean(x), statistics.fmean(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx <= 0 or syy <= 0:
        return None  # one variable is constant: no correlation to speak of
    return sxy / math.sqrt(sxx * syy)


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing their mean rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    return pearson(ranks(x), ranks(y))


def answer_confidence(words: Iterable[dict[str, Any]]) -> float | None:
    """The mean recogniser probability over an answer's words (None without word timings)."""
    probs = []
    for w in words:
        try:
            p = float(w["probability"])
        except (KeyError, TypeError, ValueError):
            continue
        if math.isfinite(p):
            probs.append(p)
    return statistics.fmean(probs) if probs else None


def fairness_check(pairs: Sequence[tuple[float, float]]) -> FairnessCheck:
    """The check over ``(mean word confidence, overall score)`` pairs, one per answer."""
    n = len(pairs)
    if n < MIN_N:
        return FairnessCheck(
            n, None, False,
            f"not enough scored answers yet ({n} of the {MIN_N} needed) to tell whether "
            "scores depend on speech-recognition confidence",
        )  # fmt: skip
    conf = [p[0] for p in pairs]
    score = [p[1] for p in pairs]
    r = pearson(conf, score)
    rho = spearman(conf, score)
    ordered = sorted(pairs, key=lambda p: p[0])
    q = max(1, n // 4)
    gap = statistics.fmean(s for _, s in ordered[q:]) - statistics.fmean(s for _, s in ordered[:q])
    significant = (
        rho is not None and 0 < rho < 1 and math.atanh(rho) * math.sqrt(n - 3) >= Z_CRITICAL
    )
    warn = significant and gap >= MIN_GAP
    figures = (
        f"Pearson r = {_fmt(r)}, Spearman rho = {_fmt(rho)}; the least surely heard quarter "
        f"scores {gap:+.2f} points below the rest (n = {n})"
    )
    if warn:
        message = (
            "Warning: answers the speech recogniser was less sure of score systematically "
            f"lower ({figures}). Listen to the recordings of low-confidence answers before "
            "relying on their scores."
        )
    else:
        message = f"No systematic dependence of scores on recognition confidence ({figures})."
    return FairnessCheck(
        n, None if r is None else round(r, 3), warn, message,
        spearman=None if rho is None else round(rho, 3), gap=round(gap, 2),
    )  # fmt: skip


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
