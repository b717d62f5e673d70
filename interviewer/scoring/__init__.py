"""Answer scoring: deterministic signals, a guarded rubric judgement, evidence and delivery.

:func:`score_answer` is the entry point; :meth:`AnswerScore.to_json` gives::

    {"overall": float,
     "criteria": {NAME: {"score": float, "evidence": [str, ...]}},
     "strengths": [str, ...], "improvements": [str, ...], "outline": str,
     "confidence": float,
     "sources": {NAME: {"rules": float, "llm": float | None, "weight_llm": float}},
     "delivery": {...} | None,
     "key_points": [{"point": str, "status": "covered" | "partly" | "missing",
                     "sentences": [str, ...]}],
     "red_flags": [{"sentence": str, "claim": str, "why": str}],
     "caps": [str, ...],
     "weights": {NAME: float}}   # only with a screening template's criterion weights

Every evidence string is a verbatim substring of the answer, or exactly "insufficient evidence";
so is every key-point and red-flag sentence. The semantic reading is described in
docs/scoring.md.
"""

from __future__ import annotations

from interviewer.scoring.delivery import Delivery, delivery_metrics
from interviewer.scoring.evidence import INSUFFICIENT, find_evidence, verify_quotes
from interviewer.scoring.scorer import AnswerScore, CriterionScore, score_answer

__all__ = [
    "INSUFFICIENT",
    "AnswerScore",
    "CriterionScore",
    "Delivery",
    "delivery_metrics",
    "find_evidence",
    "score_answer",
    "verify_quotes",
]
