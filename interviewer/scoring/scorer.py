"""Score one answer: rule signals and the model's rubric judgement, combined per criterion.

Rules are always computed and always count. The model's score is blended in with a weight
that depends on how far a model can be trusted to follow a rubric (:data:`LLM_WEIGHT_BASE` for
a small base model, :data:`LLM_WEIGHT_INSTRUCT` for an instruction-tuned one) and is discounted
where it cannot show its work: a model score well above the rules with no verified quote is
capped and its weight halved, so a model talked into "5/5" cannot lift a weak answer.
Sentences that address the grader are removed before scoring, the model is not consulted on
such an answer, and every criterion loses :data:`INJECTION_PENALTY`. Everything is
deterministic: the same inputs give the same :class:`AnswerScore`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from interviewer.engines.base import LLM
from interviewer.errors import LLMPreempted, ModelError
from interviewer.interview.answers import topic_phrase
from interviewer.interview.bank import Criterion, Question
from interviewer.scoring.delivery import Delivery, delivery_metrics
from interviewer.scoring.evidence import INSUFFICIENT, find_evidence, verify_quotes
from interviewer.scoring.injection import injection_spans, strip_spans
from interviewer.scoring.rubric import RubricJudgement, judge
from interviewer.scoring.signals import (
    Signal,
    coverage,
    key_point_coverage,
    length,
    reasoning,
    relevance,
    specificity,
    star,
)
from interviewer.text import content_words
from interviewer.text import words as tokenize
from interviewer.types import Word

__all__ = [
    "INJECTION_PENALTY",
    "LLM_WEIGHT_BASE",
    "LLM_WEIGHT_INSTRUCT",
    "AnswerScore",
    "CriterionScore",
    "score_answer",
]

LLM_WEIGHT_BASE = 0.25
LLM_WEIGHT_INSTRUCT = 0.6
#: Taken off every criterion of an answer that tries to instruct the grader.
INJECTION_PENALTY = 1.0
#: A model score more than this above the rules, with no verified quote, is capped here.
UNSUPPORTED_MARGIN = 1.0
MAX_EVIDENCE = 3


@dataclass(frozen=True)
class CriterionScore:
    """The combined score of one criterion and where it came from."""

    name: str
    score: float
    evidence: tuple[str, ...]
    rules: float
    llm: float | None
    weight_llm: float


@dataclass(frozen=True)
class AnswerScore:
    """The scored answer; :meth:`to_json` is the stable, documented shape."""

    overall: float
    criteria: tuple[CriterionScore, ...]
    strengths: tuple[str, ...]
    improvements: tuple[str, ...]
    outline: str
    confidence: float
    delivery: Delivery | None = None
    #: why the model's judgement was not used (None when it was)
    llm_note: str | None = None
    injection: tuple[str, ...] = field(default=())

    def criterion(self, name: str) -> CriterionScore:
        """The score of one criterion by name (KeyError if the rubric has none)."""
        for c in self.criteria:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """``{"overall", "criteria", "strengths", "improvements", "outline", "confidence",
        "sources", "delivery"}``: see the module docs of :mod:`interviewer.scoring`."""
        return {
            "overall": self.overall,
            "criteria": {
                c.name: {"score": c.score, "evidence": list(c.evidence)} for c in self.criteria
            },
            "strengths": list(self.strengths),
            "improvements": list(self.improvements),
            "outline": self.outline,
            "confidence": self.confidence,
            "sources": {
                c.name: {"rules": c.rules, "llm": c.llm, "weight_llm": c.weight_llm}
                for c in self.criteria
            },
            "delivery": self.delivery.to_json() if self.delivery is not None else None,
        }


# --------------------------------------------------------------------------- rules per criterion


@dataclass(frozen=True)
class _Signals:
    star: dict[str, Signal]
    coverage: Signal
    specificity: Signal
    reasoning: Signal
    relevance: Signal
    length: Signal

    def content(self, technical: bool) -> Signal:
        """The main content signal: key-point coverage, or the STAR mean for behavioural."""
        if technical:
            return self.coverage
        parts = list(self.star.values())
        evidence = tuple(dict.fromkeys(e for p in parts for e in p.evidence))
        return Signal("star", sum(p.score for p in parts) / len(parts), evidence[:2])


_STAR_CRITERIA = {
    "situation_task": "situation",
    "actions": "action",
    "result_impact": "result",
    "reflection": "reflection",
}


def _mix(*parts: tuple[Signal, float]) -> tuple[float, tuple[str, ...]]:
    total = sum(w for _, w in parts)
    score = sum(s.score * w for s, w in parts) / total
    evidence = tuple(dict.fromkeys(e for s, _ in parts for e in s.evidence))
    return score, evidence


def _rule_score(
    criterion: Criterion, question: Question, answer: str, sig: _Signals
) -> tuple[float, tuple[str, ...]]:
    technical = question.type == "technical"
    name = criterion.name
    if name in _STAR_CRITERIA:
        part = sig.star[_STAR_CRITERIA[name]]
        if name == "actions":
            score, _ = _mix((part, 0.7), (sig.specificity, 0.3))
            # Own actions are the evidence; a numeric sentence does not show an action.
            return (score if part.score > 1 else part.score), part.evidence
        return part.score, part.evidence
    if name == "correctness":
        return _mix((sig.coverage, 0.8), (sig.relevance, 0.2))
    if name == "depth":
        return _mix((sig.content(technical), 0.45), (sig.reasoning, 0.35), (sig.length, 0.2))
    if name == "communication":
        return _mix((sig.length, 0.35), (sig.relevance, 0.35), (sig.content(technical), 0.3))
    # A competency criterion: how much the answer speaks to its description and anchors, plus
    # the general substance of the answer.
    own_words = content_words(" ".join([criterion.description, *criterion.anchors.values()]))
    said = content_words(answer)
    hits = sorted(own_words & said)
    topical = Signal(
        name,
        min(5.0, 1.0 + 0.7 * len(hits)),
        tuple(find_evidence(answer, hits)),
    )
    return _mix(
        (topical, 0.3),
        (sig.content(technical), 0.3),
        (sig.specificity, 0.2),
        (sig.reasoning, 0.2),
    )


def _length_cap(n_words: int) -> float:
    # A two-sentence answer cannot be excellent at anything, whatever its keywords.
    return min(5.0, 1.5 + n_words / 20)


# --------------------------------------------------------------------------- combining


def _combine(
    rules: float, llm_score: int | None, quotes: Sequence[str], weight: float
) -> tuple[float, float | None, float]:
    if llm_score is None:
        return rules, None, 0.0
    llm = float(llm_score)
    if not quotes and llm > rules + UNSUPPORTED_MARGIN:
        llm = rules + UNSUPPORTED_MARGIN
        weight /= 2
    elif llm > rules + 2 * UNSUPPORTED_MARGIN:
        weight /= 2
    return (1 - weight) * rules + weight * llm, float(llm_score), weight


def _round(x: float) -> float:
    return round(max(1.0, min(5.0, x)) + 1e-9, 1)


def score_answer(
    question: Question,
    answer_text: str,
    *,
    words: Sequence[Word] | None = None,
    llm: LLM | None = None,
    instruction_tuned: bool = False,
    seed: int = 0,
) -> AnswerScore:
    """Score ``answer_text`` against ``question``'s rubric.

    ``words`` (recognised words with timestamps) add delivery metrics; ``llm`` adds the model's
    rubric judgement (rules only when it is None, fails or returns an invalid verdict).
    """
    answer = answer_text or ""
    spans = injection_spans(answer)
    if spans:
        # Whatever lies between two pieces of grader-directed text belongs to the attempt
        # ("```", "End of answer.", "```"), so the whole stretch is set aside.
        spans = [(spans[0][0], spans[-1][1])]
    injected = tuple(answer[s:e] for s, e in spans)
    scored = strip_spans(answer, spans) if spans else " ".join(answer.split())
    n_words = len(tokenize(scored))

    sig = _Signals(
        star=star(scored),
        coverage=coverage(question, scored),
        specificity=specificity(scored),
        reasoning=reasoning(scored),
        relevance=relevance(question, scored),
        length=length(scored, question.type),
    )

    judgement: RubricJudgement | None = None
    llm_note: str | None = "no model"
    if llm is not None and spans:
        llm_note = "model not consulted: the answer addresses the grader"
    elif llm is not None and scored:
        try:
            judgement = judge(
                llm,
                question,
                scored,
                instruction_tuned=instruction_tuned,
                seed=seed,
            )
            llm_note = None
        except LLMPreempted:
            raise  # the caller (the scoring worker) retries once the model is free
        except ModelError as exc:
            llm_note = f"model verdict rejected: {exc}"
    weight = LLM_WEIGHT_INSTRUCT if instruction_tuned else LLM_WEIGHT_BASE
    cap = _length_cap(n_words)

    criteria: list[CriterionScore] = []
    for criterion in question.rubric.criteria:
        rules, rule_evidence = _rule_score(criterion, question, scored, sig)
        rules = min(rules, cap)
        llm_score = judgement.scores.get(criterion.name) if judgement else None
        quotes = judgement.quotes.get(criterion.name, []) if judgement else []
        score, llm_raw, w = _combine(rules, llm_score, quotes, weight)
        if spans:
            score -= INJECTION_PENALTY
        # Evidence is re-located in the original answer: rules ran on a tidied copy.
        evidence = verify_quotes(answer, [*quotes, *rule_evidence], exclude=spans)
        criteria.append(
            CriterionScore(
                name=criterion.name,
                score=_round(score),
                evidence=tuple(evidence[:MAX_EVIDENCE]) or (INSUFFICIENT,),
                rules=round(rules, 2),
                llm=llm_raw,
                weight_llm=round(w, 3),
            )
        )

    overall = _round(sum(c.score for c in criteria) / len(criteria))
    delivery = delivery_metrics(words) if words is not None else None
    return AnswerScore(
        overall=overall,
        criteria=tuple(criteria),
        strengths=tuple(_strengths(question, scored, sig)),
        improvements=tuple(_improvements(question, scored, sig, delivery, bool(spans))),
        outline=_outline(question, scored),
        confidence=_confidence(criteria, n_words, bool(spans)),
        delivery=delivery,
        llm_note=llm_note,
        injection=injected,
    )


def _confidence(criteria: Sequence[CriterionScore], n_words: int, injected: bool) -> float:
    with_llm = [c for c in criteria if c.llm is not None]
    if with_llm:
        agreement = sum(1 - abs(c.llm - c.rules) / 4 for c in with_llm if c.llm) / len(with_llm)
    else:
        agreement = 0.5  # one opinion only: neither agreement nor disagreement
    evidenced = sum(c.evidence != (INSUFFICIENT,) for c in criteria) / len(criteria)
    enough = min(1.0, n_words / 80)
    value = 0.4 * agreement + 0.3 * evidenced + 0.3 * enough
    if injected:
        value *= 0.5
    return round(value, 2)


# --------------------------------------------------------------------------- feedback

_STAR_ADVICE = {
    "situation": "Open with the situation: where and when it was, who was involved and what "
    "was at stake",
    "action": "Say what you personally did, step by step ('I ...' rather than 'we ...')",
    "result": "Say what the result was, and link it to what you did",
    "reflection": "End with what you learned or would do differently next time",
}
_STAR_PRAISE = {
    "situation": "Sets the scene clearly",
    "action": "Describes your own actions",
    "result": "States the outcome",
    "reflection": "Reflects on what you learned",
}


def _quote(sentence: str, limit: int = 80) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 3].rstrip() + "..."


def _strengths(question: Question, answer: str, sig: _Signals) -> list[str]:
    out = []
    if question.type == "behavioral":
        for part, s in sig.star.items():
            if s.score >= 3.5 and s.evidence:
                out.append(f'{_STAR_PRAISE[part]}: "{_quote(s.evidence[0])}"')
    else:
        covered = [p for p in key_point_coverage(question, answer) if p.covered]
        if covered:
            out.append(f"Covers {len(covered)} of {len(question.key_points)} key points")
    if sig.specificity.score >= 3.5 and sig.specificity.evidence:
        out.append(f'Specific and concrete: "{_quote(sig.specificity.evidence[0])}"')
    if sig.reasoning.score >= 3.5 and sig.reasoning.evidence:
        out.append(f'Explains the reasoning: "{_quote(sig.reasoning.evidence[0])}"')
    return out[:4]


def _improvements(
    question: Question,
    answer: str,
    sig: _Signals,
    delivery: Delivery | None,
    injected: bool,
) -> list[str]:
    out = []
    if injected:
        out.append("Leave out text addressed to the grader: it was ignored and lowered the score")
    if question.type == "behavioral":
        for part, s in sig.star.items():
            if s.score < 3:
                out.append(_STAR_ADVICE[part])
            elif part == "result" and s.note == "not quantified":
                out.append("Say what the result was in numbers (time saved, %, users, money)")
    for point in key_point_coverage(question, answer):
        if not point.covered and question.type == "technical":
            phrase = topic_phrase(point.point) or point.point
            out.append(f"Mention {phrase}: {point.point}")
    if sig.reasoning.score < 3:
        out.append("Explain why: give a reason, a trade-off or an alternative you considered")
    note = sig.length.note
    if note.startswith("too short"):
        out.append("Give more detail: aim for one to two minutes")
    elif note.startswith("rambling"):
        out.append("Tighten the answer: keep to the one example and the points asked for")
    if sig.relevance.score < 2.0:
        out.append(f"Answer the question asked: {question.text}")
    if delivery is not None and delivery.duration_s > 0:
        if delivery.hesitations_per_minute + delivery.discourse_fillers_per_minute > 6:
            out.append("Use fewer fillers ('um', 'like', 'you know'): pause silently instead")
        if delivery.hedges_per_minute > 4:
            out.append("Drop hedges ('I think', 'maybe', 'sort of') where you are sure")
        if delivery.words_per_minute > 190:
            out.append("Slow down a little: aim for about 130-160 words per minute")
        elif 0 < delivery.words_per_minute < 100:
            out.append("Keep a steadier pace: aim for about 130-160 words per minute")
    return out


def _outline(question: Question, answer: str) -> str:
    topic = question.competency.replace("_", " ")
    if question.type == "behavioral":
        return (
            f"Situation: one real example that shows your {topic}: where, when, who was "
            "involved and what was at stake. Task: what you personally owned. Action: two or "
            "three steps you took, in order, and why you chose them over the alternatives. "
            "Result: the outcome in numbers and what it meant for the team or users. "
            f"Reflection: what you learned about {topic} and what you do differently now."
        )
    missing = [p.point for p in key_point_coverage(question, answer) if not p.covered]
    points = missing or list(question.key_points)
    steps = " ".join(f"({i}) {p.rstrip('.')}." for i, p in enumerate(points, 1))
    lead = "Cover what is missing: " if missing else "Keep the key points in order: "
    return f"{lead}{steps} Then give one concrete example and the main trade-off."
