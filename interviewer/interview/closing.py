"""The end of an interview: the candidate's questions and the closing.

:class:`CandidateQuestions` is mixed into :class:`~interviewer.interview.machine.InterviewMachine`
(like :class:`~interviewer.interview.resume.Resumable`, it owns no state), so that the machine's
module keeps to asking questions and following them up. A candidate's question is answered
from the company profile's facts when one matches, never made up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from interviewer.interview.bank import CompanyProfile, Question
from interviewer.interview.base import Reply, ReplyKind
from interviewer.interview.intents import is_question, is_yes, match_fact
from interviewer.interview.phrases import ANY_QUESTIONS, DONE_ASKING, sentence
from interviewer.interview.resume import Phase
from interviewer.interview.spec import InterviewSpec

__all__ = ["MAX_CANDIDATE_QUESTIONS", "CandidateQuestions"]

MAX_CANDIDATE_QUESTIONS = 3


class CandidateQuestions:
    """The ``candidate_questions`` phase and the closing, for the interview machine."""

    # Set by InterviewMachine.__init__.
    _spec: InterviewSpec
    _company: CompanyProfile | None
    _questions: list[Question]
    _phase: Phase
    _index: int
    _candidate_questions: int

    if TYPE_CHECKING:
        # What the mixin uses of InterviewMachine, for the type checker.
        def remaining(self) -> float | None: ...

        def _time_up(self) -> bool: ...

        def _answered_count(self) -> int: ...

        def _close_exchange(self) -> None: ...

        def _say(
            self,
            kind: ReplyKind,
            pieces: Iterable[str],
            *,
            prompt: str | None = None,
            is_follow_up: bool = False,
            finished: bool = False,
            pause_listening: bool = False,
            meta: dict[str, str] | None = None,
        ) -> Reply: ...

    def _on_candidate_turn(self, text: str) -> Reply:
        if not is_question(text):
            if is_yes(text):
                return self._say("candidate_questions", ["Sure, go ahead."])
            # "No, thanks", "That's all", or a remark: the interview is over.
            return self._closing()
        self._candidate_questions += 1
        fact = match_fact(self._company, text)
        if fact is not None:
            answer = f"Good question. {sentence(fact.answer)}"
        else:
            answer = (
                "That's a good question. I don't have the details on that here, but the "
                "recruiter will be happy to tell you more."
            )
        remaining = self.remaining()
        if self._candidate_questions >= MAX_CANDIDATE_QUESTIONS or (
            remaining is not None and remaining <= 0
        ):
            return self._closing(answer)
        return self._say(
            "candidate_questions",
            [answer, "Is there anything else you'd like to know?"],
            meta={"fact": fact.topic} if fact else {},
        )

    def _to_candidate_questions(self, lead: str) -> Reply:
        self._index = len(self._questions)
        remaining = self.remaining()
        if remaining is not None and remaining <= 0:
            return self._closing(f"{lead} We're out of time.")
        self._phase = "candidate_questions"
        if self._time_up() and self._answered_count() < len(self._questions):
            done = "We're nearly out of time, so let's stop the questions there."
        else:
            done = DONE_ASKING
        return self._say(
            "candidate_questions", [f"{lead} {done}", ANY_QUESTIONS], prompt=ANY_QUESTIONS
        )

    def _closing(self, lead: str | None = None) -> Reply:
        self._close_exchange()
        self._phase = "closed"
        name = self._company_name()
        thanks = (
            f"Thank you for your time today and for your interest in {name}."
            if name
            else ("Thank you for your time today.")
        )
        text = f"{thanks} That's the end of our interview. Good luck!"
        pieces = [lead, text] if lead else [text]
        return self._say("closing", pieces, finished=True)

    def _company_name(self) -> str | None:
        if self._company is not None:
            return self._company.name
        return self._spec.company
