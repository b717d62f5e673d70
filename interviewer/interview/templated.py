"""An interview with a fixed question list from a screening template.

A template names bank questions and questions written fresh for it. :func:`fresh_question`
turns a fresh one into a bank :class:`Question` (its own text, competency and key points, the
rubric of the most similar bank question of its type); :class:`TemplatePlan` carries the whole
list with the organisation's evaluation instructions and criterion weights. The plan is stored
in the session's ``plan`` (key ``template``) with every question in full, so a resume, a later
report or a re-score finds the exact questions asked, even after the bank or the template
changed: :meth:`TemplatePlan.bank` is the bank extended with them.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interviewer.errors import ConfigError
from interviewer.interview.bank import DIFFICULTY_BY_LEVEL, Bank, Question

__all__ = ["PLAN_KEY", "TemplatePlan", "fresh_question"]

#: Where the plan sits in a session's stored ``plan``.
PLAN_KEY = "template"

# Fresh questions have no hand-written probes; these fit any answer of their type, and the
# follow-up policy prefers probes drawn from the answer itself anyway.
_FOLLOW_UPS = {
    "behavioral": (
        "What did you do yourself, step by step?",
        "What was the result, and how did you know?",
    ),
    "technical": (
        "Could you walk me through how that works in a little more detail?",
        "What trade-offs or failure cases would you watch for?",
    ),
}


def fresh_question(
    bank: Bank,
    question_id: str,
    text: str,
    *,
    type_: str,
    competency: str,
    key_points: Sequence[str],
    role: str,
    level: str,
) -> Question:
    """A question written for a template, scored with the rubric of the most similar bank
    question of the same type (its criteria and anchors; the key points are its own)."""
    pool = [q for q in bank if q.type == type_]
    if not pool:
        raise ConfigError(f"the bank has no {type_} question to borrow a rubric from")
    same = [q for q in pool if q.competency == competency] or pool

    def ratio(q: Question) -> float:
        return difflib.SequenceMatcher(None, q.text.lower(), text.lower()).ratio()

    nearest = max(same, key=ratio)
    low, high = DIFFICULTY_BY_LEVEL[level]
    try:
        return Question.model_validate(
            {
                "id": question_id,
                "text": text,
                "type": type_,
                "competency": competency,
                "roles": [role],
                "levels": [level],
                "difficulty": (low + high) // 2,
                "follow_ups": list(_FOLLOW_UPS[type_]),
                "rubric": nearest.rubric.model_dump(),
                "key_points": list(key_points),
            },
            context={"roles": [role]},
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ConfigError(f"question {text[:40]!r}: {exc}") from None


@dataclass(frozen=True)
class TemplatePlan:
    """The questions, instructions and weights of one template version, as one session uses
    them. ``instructions`` are the organisation's text (they reach the scoring prompt as the
    employer's guidance, never mixed with the candidate's words)."""

    template_id: str
    version: int
    name: str
    questions: tuple[Question, ...]
    instructions: str = ""
    weights: Mapping[str, float] = field(default_factory=dict)
    show_scores: bool = False

    def bank(self, base: Bank) -> Bank:
        """``base`` with this plan's questions (these win over a changed bank question)."""
        mine = {q.id: q for q in self.questions}
        merged = [mine.pop(q.id, q) for q in base.questions]
        return Bank([*merged, *mine.values()], base.companies, base.roles)

    def to_dict(self) -> dict[str, Any]:
        return {
            "template_id": self.template_id,
            "version": self.version,
            "name": self.name,
            "questions": [q.model_dump(mode="json") for q in self.questions],
            "instructions": self.instructions,
            "weights": dict(self.weights),
            "show_scores": self.show_scores,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TemplatePlan:
        try:
            questions = tuple(
                Question.model_validate(q, context={"roles": q.get("roles", ())})
                for q in d["questions"]
            )
            return cls(
                template_id=str(d["template_id"]),
                version=int(d["version"]),
                name=str(d.get("name", "")),
                questions=questions,
                instructions=str(d.get("instructions", "")),
                weights={str(k): float(v) for k, v in dict(d.get("weights", {})).items()},
                show_scores=bool(d.get("show_scores", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"stored template plan is damaged ({type(exc).__name__}: {exc})"
            ) from None

    @classmethod
    def from_plan(cls, plan: Mapping[str, Any] | None) -> TemplatePlan | None:
        """The plan stored in a session's ``plan``, or None for a practice interview."""
        raw = (plan or {}).get(PLAN_KEY)
        return None if not raw else cls.from_dict(raw)
