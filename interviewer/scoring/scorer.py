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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interviewer.engines.base import LLM
from interviewer.errors import LLMPreempted, ModelError
from interviewer.interview.bank import Criterion, Question
from interviewer.scoring.delivery import Delivery, delivery_metrics
from interviewer.scoring.embedding import SentenceEncoder, default_encoder
from interviewer.scoring.evidence import (
    INSUFFICIENT,
    find_evidence,
    verify_quotes,
)
from interviewer.scoring.feedback import AnswerSignals, improvements, outline, strengths
from interviewer.scoring.injection import injection_spans, strip_spans
from interviewer.scoring.rubric import RubricJudgement, judge
from interviewer.scoring.semantic import PointCoverage, Reading, RedFlagHit, read_answer
from interviewer.scoring.signals import (
    Signal,
    coverage,
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
#: Taken off correctness for each red flag the answer states (and correctness is then capped
#: at :data:`RED_FLAG_CAP`): a confident wrong claim would mislead a decision.
RED_FLAG_PENALTY = 1.5
RED_FLAG_CAP = 2.0
#: ... and every other criterion at this, half a point lower for each further red flag.
RED_FLAG_OTHERS_CAP = 2.5
#: Whatever the rules or the model say, an answer to another question, or one that says the
#: question back, is poor on every criterion.
OFF_QUESTION_CAP = 1.5
#: A behavioural answer with no past example of the candidate's own (a hypothetical, a list
#: of virtues, a story told in "we") cannot show the STAR parts or the competency.
NO_EXAMPLE_CAP = 2.0
#: A technical answer that covers (almost) none of the key points is poor overall, however
#: fluent; a buzzword list without coverage is poor on depth in particular.
NO_COVERAGE_CREDIT = 0.25
NO_COVERAGE_CAP = 2.0


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
    #: per key point: covered / partly / missing, with the covering sentences
    key_points: tuple[PointCoverage, ...] = field(default=())
    #: sentences that state a bank red flag, with what is wrong with them
    red_flags: tuple[RedFlagHit, ...] = field(default=())
    #: why criteria were capped ("answers a different question", ...)
    caps: tuple[str, ...] = field(default=())
    #: why the semantic signals were not used (None when they were)
    semantic_note: str | None = None
    #: criterion weights of the overall score (a screening template's; None: equal weights)
    weights: dict[str, float] | None = None

    def criterion(self, name: str) -> CriterionScore:
        """The score of one criterion by name (KeyError if the rubric has none)."""
        for c in self.criteria:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """``{"overall", "criteria", "strengths", "improvements", "outline", "confidence",
        "sources", "delivery", "key_points", "red_flags", "caps"}``: see the module docs of
        :mod:`interviewer.scoring`."""
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
            "key_points": [
                {"point": p.point, "status": p.status, "sentences": list(p.sentences)}
                for p in self.key_points
            ],
            "red_flags": [
                {"sentence": h.sentence, "claim": h.flag.claim, "why": h.flag.why}
                for h in self.red_flags
            ],
            "caps": list(self.caps),
            **({"weights": dict(self.weights)} if self.weights else {}),
        }


# --------------------------------------------------------------------------- rules per criterion


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
    criterion: Criterion, question: Question, answer: str, sig: AnswerSignals
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


def _semantic_coverage(reading: Reading, fallback: Signal) -> Signal:
    """The coverage signal from the semantic reading (covered 1, partly 0.5 per point)."""
    if reading.note is not None or not reading.points:
        return fallback
    evidence: list[str] = []
    for p in reading.points:
        for sentence in p.sentences:
            if sentence not in evidence:
                evidence.append(sentence)
    n = sum(p.status == "covered" for p in reading.points)
    score = 1.0 + 4.0 * reading.coverage_credit
    return Signal("coverage", score, tuple(evidence[:3]), f"{n}/{len(reading.points)} covered")


def _caps(question: Question, reading: Reading) -> tuple[dict[str, float], float, list[str]]:
    """Per-criterion caps, a cap for every criterion, and the reasons, from the reading."""
    names = [c.name for c in question.rubric.criteria]
    per: dict[str, float] = {}
    overall = 5.0
    why: list[str] = []
    if reading.relevance is not None and reading.relevance.off_question:
        overall = OFF_QUESTION_CAP
        why.append("the answer is about a different question")
    if reading.trap("circular"):
        overall = min(overall, OFF_QUESTION_CAP)
        why.append("the answer restates the question without answering it")
    if question.type == "behavioral":
        story = [n for n in names if n not in ("reflection", "communication")]
        if reading.trap("hypothetical"):
            per.update({n: NO_EXAMPLE_CAP for n in story})
            why.append("says what you would do, not what you did: no past example")
        if reading.trap("we_without_i"):
            per.update({n: NO_EXAMPLE_CAP for n in names if n != "communication"})
            why.append('tells the story as "we" without your own part')
        if reading.trap("no_example") and not reading.trap("hypothetical"):
            per.update({n: NO_EXAMPLE_CAP for n in story})
            why.append("gives no past example")
    elif reading.note is None and reading.points:
        if reading.coverage_credit < NO_COVERAGE_CREDIT:
            overall = min(overall, NO_COVERAGE_CAP)
            why.append("covers almost none of the key points")
        # A list of terms earns "partly" on the points whose terms it names; what it cannot
        # do is cover one, which takes a sentence that explains something.
        covered = sum(p.status == "covered" for p in reading.points)
        if reading.trap("buzzword_list") and covered <= 1:
            per["depth"] = min(per.get("depth", 5.0), 1.5)
            overall = min(overall, NO_COVERAGE_CAP)
            why.append("lists terms without explaining any of them")
    if reading.red_flags:
        # One misconception is an error in an otherwise sound answer; each more says the
        # candidate does not know the topic, whatever else they recite about it.
        n = len(reading.red_flags)
        overall = min(overall, RED_FLAG_OTHERS_CAP - 0.5 * (n - 1))
        why.append(f"states {n} common misconception{'s' if n > 1 else ''}")
    return per, overall, why


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
    semantic: bool | SentenceEncoder = True,
    instructions: str = "",
    weights: Mapping[str, float] | None = None,
) -> AnswerScore:
    """Score ``answer_text`` against ``question``'s rubric.

    ``words`` (recognised words with timestamps) add delivery metrics; ``llm`` adds the model's
    rubric judgement (rules only when it is None, fails or returns an invalid verdict).
    ``semantic`` reads the answer with the packaged sentence encoder (or the one given);
    False, or no encoder installed, leaves the lexical signals alone (``semantic_note`` says
    which). ``instructions`` (an employer's evaluation instructions) go to the model's prompt;
    ``weights`` (criterion -> weight, unlisted criteria 1) make the overall a weighted mean.
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

    if isinstance(semantic, SentenceEncoder):
        encoder: SentenceEncoder | None = semantic
    else:
        encoder = default_encoder() if semantic else None
    reading = read_answer(encoder, question, scored)
    if not semantic:
        reading = Reading(reading.points, (), None, reading.traps, "semantic scoring off")

    sig = AnswerSignals(
        star=star(scored),
        coverage=_semantic_coverage(reading, coverage(question, scored)),
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
                instructions=instructions,
            )
            llm_note = None
        except LLMPreempted:
            raise  # the caller (the scoring worker) retries once the model is free
        except ModelError as exc:
            llm_note = f"model verdict rejected: {exc}"
    weight = LLM_WEIGHT_INSTRUCT if instruction_tuned else LLM_WEIGHT_BASE
    cap = _length_cap(n_words)
    caps, cap_all, cap_notes = _caps(question, reading)

    criteria: list[CriterionScore] = []
    for criterion in question.rubric.criteria:
        rules, rule_evidence = _rule_score(criterion, question, scored, sig)
        rules = min(rules, cap)
        llm_score = judgement.scores.get(criterion.name) if judgement else None
        quotes = judgement.quotes.get(criterion.name, []) if judgement else []
        score, llm_raw, w = _combine(rules, llm_score, quotes, weight)
        # Caps apply after the model's share: no verdict lifts an answer past what it shows.
        if criterion.name == "correctness" and reading.red_flags:
            score = min(score - RED_FLAG_PENALTY * len(reading.red_flags), RED_FLAG_CAP)
        score = min(score, caps.get(criterion.name, 5.0), cap_all)
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

    overall = _round(_weighted_mean(criteria, weights))
    delivery = delivery_metrics(words) if words is not None else None
    return AnswerScore(
        overall=overall,
        criteria=tuple(criteria),
        strengths=tuple(strengths(question, scored, sig, reading)),
        improvements=tuple(
            improvements(question, scored, sig, delivery, bool(spans), reading, cap_notes)
        ),
        outline=outline(question, scored, reading),
        confidence=_confidence(criteria, n_words, bool(spans)),
        delivery=delivery,
        llm_note=llm_note,
        injection=injected,
        key_points=reading.points,
        red_flags=reading.red_flags,
        caps=tuple(cap_notes),
        semantic_note=reading.note,
        weights=_used_weights(criteria, weights),
    )


def _weighted_mean(
    criteria: Sequence[CriterionScore], weights: Mapping[str, float] | None
) -> float:
    w = [max(0.0, float((weights or {}).get(c.name, 1.0))) for c in criteria]
    if sum(w) <= 0:  # every criterion of this rubric weighted 0: fall back to equal weights
        w = [1.0] * len(criteria)
    return sum(c.score * wi for c, wi in zip(criteria, w, strict=True)) / sum(w)


def _used_weights(
    criteria: Sequence[CriterionScore], weights: Mapping[str, float] | None
) -> dict[str, float] | None:
    if not weights:
        return None
    return {c.name: float(weights.get(c.name, 1.0)) for c in criteria}


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
