"""Shared by the screening tests: a store, a clock, an organisation, a template, and an
interview taken through :meth:`Screening.begin` with typed answers (no audio, no models)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher

from interviewer.interview.bank import load_bank
from interviewer.interview.base import Answer
from interviewer.pipeline.records import ExchangeRecord
from interviewer.screening import Screening, TemplateDraft, TemplateQuestion, User
from interviewer.session import Interview
from interviewer.types import Word

BANK = load_bank()
PASSWORD = "correct horse battery"
# argon2id still, at a test's cost (the default profile takes about a second per hash here)
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
FRESH_TEXT = "How would you detect data drift in a production churn model?"

STAR_ANSWER = (
    "Last year our churn dashboard disagreed with finance by twelve percent. I owned the fix: "
    "I traced the gap to duplicated refunds, wrote a reconciliation job and a test for it, and "
    "walked finance through the change. The numbers matched within half a percent after that, "
    "and I learned to reconcile against the ledger before shipping a metric."
)
DRIFT_ANSWER = (
    "I would compare feature distributions over time with a population stability index per "
    "feature, and monitor prediction quality against delayed labels, alerting when either "
    "moves past a threshold agreed with the business."
)


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


def bank_question(type_: str) -> str:
    return next(q.id for q in BANK if q.type == type_ and "data_scientist" in q.roles)


def draft(**kw: object) -> TemplateDraft:
    values: dict[str, object] = {
        "name": "DS screen",
        "position": "Senior Data Scientist",
        "level": "senior",
        "questions": (
            TemplateQuestion(bank_question("behavioral"), "", "", "behavioral"),
            TemplateQuestion(
                None,
                FRESH_TEXT,
                "ml_monitoring",
                "technical",
                ("compare feature distributions over time", "monitor prediction quality"),
            ),
        ),
        "follow_ups": 0,
        "instructions": "Weigh statistical rigour above presentation.",
        "weights": {"correctness": 3.0},
    }
    values.update(kw)
    return TemplateDraft(**values)  # type: ignore[arg-type]


def setup_org(scr: Screening, org: str = "Acme") -> tuple[User, User]:
    admin = scr.bootstrap_admin(org, f"admin@{org.lower()}.test", "Ada Admin", PASSWORD)
    reviewer = scr.create_user(
        admin, f"rev@{org.lower()}.test", "Rui Reviewer", "reviewer", PASSWORD
    )
    return admin, reviewer


def words_of(text: str, probability: float) -> tuple[Word, ...]:
    return tuple(Word(w, 0.4 * i, 0.4 * i + 0.3, probability) for i, w in enumerate(text.split()))


def take_interview(
    scr: Screening,
    token: str,
    answers: list[str],
    *,
    probability: float = 0.9,
    stop_after: int | None = None,
) -> Interview:
    """Consent (if needed), begin (or resume), answer in turn; ``stop_after`` answers and the
    connection "drops" (interrupted), else the interview runs to its end."""
    scr.consent(token)
    interview = scr.begin(token, llm=None, models={}, instruction_tuned=False, mode="text")
    machine = interview.machine
    reply = machine.start()
    queue = list(answers)
    for given in range(1, 31):
        text = queue.pop(0) if queue else "No, thank you, that is all from me."
        exchange = ExchangeRecord(
            question="".join(reply.pieces),
            answer=text,
            question_id=reply.question_id,
            is_follow_up=reply.is_follow_up,
            kind=reply.kind,
            words=words_of(text, probability),
        )
        reply = machine.on_answer(Answer(text, duration=0.4 * len(text.split())))
        interview.record_exchange(exchange)
        if stop_after is not None and given >= stop_after:
            interview.finish(interrupted=True)
            scr.mark_finished(token, interrupted=True)
            return interview
        if reply.finished:
            break
    interview.finish(interrupted=False)
    scr.mark_finished(token, interrupted=False)
    return interview
