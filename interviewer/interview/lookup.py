"""Finding the bank question behind a question text, for scoring answers given elsewhere.

``interviewer score --question TEXT`` and the re-scoring of stored turns need a rubric for
each answer: the bank question asked (by id, or by near-identical text), else an ad-hoc
question that borrows the rubric of the most similar bank question.
"""

from __future__ import annotations

import difflib

from interviewer.errors import ConfigError
from interviewer.interview.bank import Bank, Question

#: Text this close to a bank question's (difflib ratio) is that question.
SAME_QUESTION = 0.75
#: A technical question this close shares the nearest question's key points.
SAME_TOPIC = 0.5


def question_for(
    bank: Bank,
    text: str,
    *,
    question_id: str | None = None,
    role: str | None = None,
    level: str | None = None,
    type_: str | None = None,
) -> Question:
    """The bank question asked (by id or near-identical text), else an ad-hoc question that
    borrows the rubric of the most similar bank question of the right type."""
    if question_id:
        try:
            return bank.get(question_id)
        except ConfigError:
            pass
    pool = (
        bank.filter(role=role, level=level, type=type_) if (role or level or type_) else list(bank)
    )
    if not pool:
        raise ConfigError("no bank question matches --role/--level/--type")

    def ratio(q: Question) -> float:
        return difflib.SequenceMatcher(None, q.text.lower(), text.lower()).ratio()

    best = max(pool, key=ratio)
    closeness = ratio(best)
    if closeness >= SAME_QUESTION:
        return best
    return borrow_rubric(best, text, same_topic=closeness >= SAME_TOPIC)


def borrow_rubric(nearest: Question, text: str, *, same_topic: bool) -> Question:
    """A question from elsewhere: keep its words and borrow ``nearest``'s rubric; for a
    technical question, its key points only when it is about the same thing."""
    key_points = nearest.key_points if nearest.type == "behavioral" or same_topic else [text]
    return nearest.model_copy(update={"id": "ad-hoc", "text": text, "key_points": key_points})
