"""Saving an interview and resuming it: :class:`InterviewMachine`'s state as plain JSON.

:class:`Resumable` is mixed into the machine; it holds only the (de)serialisation, so that the
machine's module keeps to the interview logic. The state is versioned; a state that is damaged
or names questions the bank no longer has is a ConfigError, never a half-restored interview.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Self

from interviewer.errors import ConfigError
from interviewer.interview.bank import Bank, CompanyProfile, Question
from interviewer.interview.jd_questions import with_jd_questions
from interviewer.interview.spec import InterviewSpec

if TYPE_CHECKING:
    from interviewer.interview.followup import FollowUpPolicy

__all__ = ["STATE_VERSION", "Phase", "Resumable", "Turn"]

STATE_VERSION = 1

Phase = Literal["ready", "question", "candidate_questions", "closed"]


class Turn(NamedTuple):
    """One line of the transcript.

    ``kind`` is a :data:`~interviewer.interview.base.ReplyKind` for what the interviewer said,
    or ``answer``, ``command`` or ``silence`` for the candidate's turns.
    """

    kind: str
    question_id: str | None
    text: str


class Resumable:
    """``state_dict`` / ``from_state`` for the interview machine (a mixin: it owns no state)."""

    # Set by InterviewMachine.__init__.
    _spec: InterviewSpec
    _company: CompanyProfile | None
    _questions: list[Question]
    _phase: Phase
    _index: int
    _follow_ups: list[str]
    _transcript: list[Turn]
    _answers: dict[str, list[tuple[str, str]]]
    _elapsed_before: float
    _said: int
    _candidate_questions: int
    _resumed: bool

    if TYPE_CHECKING:
        # What the mixin uses of InterviewMachine, for the type checker.
        def __init__(
            self,
            bank: Bank,
            spec: InterviewSpec,
            *,
            followups: FollowUpPolicy,
            questions: Sequence[Question] | None = None,
            clock: Callable[[], float] = time.monotonic,
            company: CompanyProfile | None = None,
        ) -> None: ...

        def answers(self) -> dict[str, list[tuple[str, str]]]: ...

        def elapsed(self) -> float: ...

    def state_dict(self) -> dict[str, Any]:
        """Plain JSON-ready state, enough for :meth:`from_state` to resume the interview."""
        return {
            "version": STATE_VERSION,
            "spec": self._spec.to_dict(),
            "company_id": self._company.id if self._company else None,
            "question_ids": [q.id for q in self._questions],
            "phase": self._phase,
            "index": self._index,
            "follow_ups": list(self._follow_ups),
            "answers": {qid: [list(p) for p in pairs] for qid, pairs in self.answers().items()},
            "transcript": [list(turn) for turn in self._transcript],
            "elapsed": round(self.elapsed(), 3),
            "said": self._said,
            "candidate_questions": self._candidate_questions,
        }

    @classmethod
    def from_state(
        cls,
        bank: Bank,
        state: Mapping[str, Any],
        *,
        followups: FollowUpPolicy,
        clock: Callable[[], float] = time.monotonic,
    ) -> Self:
        """Rebuild an interrupted interview; :meth:`start` then resumes it.

        It resumes at the current question if that has no answer yet, else at the next one;
        earlier answers, the transcript and the time already spent are kept. Raises ConfigError
        when the state is malformed or names questions the bank no longer has.
        """
        try:
            if state["version"] != STATE_VERSION:
                raise ConfigError(
                    f"interview state version {state['version']!r} is not supported "
                    f"(expected {STATE_VERSION})"
                )
            spec = InterviewSpec.from_mapping(state["spec"], roles=bank.roles)
            # Questions built from the job description are built again from the stored spec.
            bank = with_jd_questions(bank, spec)
            questions = [bank.get(qid) for qid in state["question_ids"]]
            company_id = state.get("company_id")
            company = bank.company(company_id) if company_id else None
            machine = cls(
                bank, spec, followups=followups, questions=questions, clock=clock, company=company
            )
            machine._restore(state)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"interview state is damaged ({type(exc).__name__}: {exc})") from exc
        return machine

    def _restore(self, state: Mapping[str, Any]) -> None:
        self._transcript = [Turn(*turn) for turn in state["transcript"]]
        self._answers = {
            str(qid): [(str(a), str(b)) for a, b in pairs]
            for qid, pairs in state["answers"].items()
        }
        self._elapsed_before = float(state["elapsed"])
        self._said = int(state["said"])
        self._candidate_questions = int(state["candidate_questions"])
        phase = state["phase"]
        index = int(state["index"])
        if phase == "closed":
            self._phase = "closed"
            return
        if phase == "question" and self._answers.get(self._questions[index].id):
            index += 1
        elif phase == "candidate_questions":
            index = len(self._questions)
        self._index = index
        self._resumed = True
