"""The interview state machine: what the interviewer says next, turn by turn.

The pipeline calls :meth:`InterviewMachine.start` once and :meth:`InterviewMachine.on_answer`
after every candidate turn, from one thread. The machine goes through these phases::

    ready --start()--> question --(last question done, or time short)--> candidate_questions
                                                                          --> closed

In the ``question`` phase each bank question gets up to ``spec.max_follow_ups`` follow-ups.
Candidate turns may be commands (repeat, skip, pause, end), silence (the pipeline's no-answer
timeout) or answers; a very short answer gets one polite nudge before the machine moves on.

Everything said and heard is kept in :attr:`InterviewMachine.transcript`, and
:meth:`InterviewMachine.state_dict` / :meth:`InterviewMachine.from_state` let an interrupted
interview resume at the first question that has no answer yet.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

from interviewer.errors import ConfigError
from interviewer.interview.bank import Bank, CompanyProfile, Question
from interviewer.interview.base import Answer, Reply, ReplyKind
from interviewer.interview.closing import MAX_CANDIDATE_QUESTIONS, CandidateQuestions
from interviewer.interview.followup import FollowUp, FollowUpPolicy, Voice
from interviewer.interview.intents import (
    Command,
    is_no,
    is_yes,
    match_fact,
    parse_command,
    says_dont_know,
)
from interviewer.interview.jd_questions import JD_PREFIX, with_jd_questions
from interviewer.interview.phrases import (
    ACKS,
    ANY_QUESTIONS,
    BRIDGES,
    DONE_ASKING,
    LAST_QUESTION,
    LONG_ACKS,
    MOVING_ON,
    greeting,
)
from interviewer.interview.resume import STATE_VERSION, Phase, Resumable, Turn
from interviewer.interview.selection import resolve_company, select_questions
from interviewer.interview.spec import InterviewSpec
from interviewer.text import words

__all__ = [
    "ANY_QUESTIONS",
    "FOLLOW_UP_CUTOFF_S",
    "MAX_CANDIDATE_QUESTIONS",
    "STATE_VERSION",
    "WRAP_UP_S",
    "Command",
    "InterviewMachine",
    "Turn",
    "match_fact",
    "parse_command",
]


#: With a time budget, no new bank question is asked once less than this many seconds remain.
WRAP_UP_S = 120.0
#: ... and no follow-up once less than this remain (a follow-up and its answer take about a
#: minute, which would eat into the wrap-up).
FOLLOW_UP_CUTOFF_S = 180.0
#: Answers with fewer words than this get a nudge instead of a follow-up.
SHORT_ANSWER_WORDS = 4
#: What :meth:`InterviewMachine.withdraw_answer` does not restore: set once, never changed.
_FIXED_STATE = frozenset(
    {"_spec", "_followups", "_clock", "_company", "_questions", "_acks", "_undo"}
)


# --------------------------------------------------------------------------- the machine


class InterviewMachine(Resumable, CandidateQuestions):
    """The interview logic behind the voice; implements the pipeline's ``Brain`` protocol.

    ``questions`` defaults to :func:`select_questions` on ``bank`` and ``spec`` (the caller
    passes its own to avoid recently asked ones); ``company`` defaults to the bank profile the
    spec names, if any. ``clock`` returns seconds and is only read for the time budget.
    """

    def __init__(
        self,
        bank: Bank,
        spec: InterviewSpec,
        *,
        followups: FollowUpPolicy,
        questions: Sequence[Question] | None = None,
        clock: Callable[[], float] = time.monotonic,
        company: CompanyProfile | None = None,
    ) -> None:
        self._spec = spec
        self._followups = followups
        self._clock = clock
        self._company = company if company is not None else resolve_company(bank, spec.company)
        if questions is None:
            questions = select_questions(with_jd_questions(bank, spec), spec)
        self._questions = list(questions)
        if not self._questions:
            raise ConfigError("an interview needs at least one question")
        seed = spec.derived_seed()
        self._acks = random.Random(seed).sample(ACKS, len(ACKS))
        self._phase: Phase = "ready"
        self._index = 0
        self._said = 0  # acknowledgements and transitions used, to vary them in turn
        self._started_at: float | None = None
        self._elapsed_before = 0.0  # seconds spent before a resume
        self._resumed = False
        self._candidate_questions = 0
        self._transcript: list[Turn] = []
        self._answers: dict[str, list[tuple[str, str]]] = {}
        # Per-question state, reset by _reset_question_state() when a new question starts.
        self._follow_ups: list[str] = []  # follow-ups asked on the current question
        self._parts: list[str] = []  # the candidate's turns answering the current prompt
        self._nudged = False
        self._silences = 0
        self._offered_repeat = False
        self._asking = ""  # what the candidate is answering now (to repeat it)
        self._last_said = ""
        self._undo: dict[str, object] | None = None  # the state before the last on_answer

    # ------------------------------------------------------------------ Brain protocol

    @property
    def finished(self) -> bool:
        """True once the closing has been produced."""
        return self._phase == "closed"

    def start(self) -> Reply:
        """The greeting, the introduction and the first question.

        After :meth:`from_state`, a welcome back and the first unanswered question instead.
        """
        if self._phase != "ready":
            raise RuntimeError("start() was already called")
        self._started_at = self._clock()
        if self._resumed:
            return self._welcome_back()
        self._phase = "question"
        question = self.current_question
        assert question is not None
        return self._say("greeting", [self._greeting(), question.text], prompt=question.text)

    def on_answer(self, answer: Answer) -> Reply:
        """React to one candidate turn: an answer, a command, or silence."""
        if self._phase == "ready":
            raise RuntimeError("call start() before on_answer()")
        if self._phase == "closed":
            # The pipeline should have stopped; say goodbye again rather than fail.
            return self._reply("closing", ["The interview is over. Thank you again."], True)
        self._undo = {k: copy.deepcopy(v) for k, v in vars(self).items() if k not in _FIXED_STATE}
        text = " ".join(answer.text.split())
        question_id = self._current_id()
        if answer.timed_out and not text:
            self._log("silence", question_id, "")
            return self._on_silence()
        command = parse_command(text)
        declined_repeat = False
        if command is None and self._offered_repeat:
            # The answer to "Would you like me to repeat the question?"
            if is_yes(text):
                command = "repeat"
            declined_repeat = is_no(text) and len(words(text)) <= 4
        self._log("command" if command or declined_repeat else "answer", question_id, text)
        self._silences = 0
        self._offered_repeat = False
        if command is not None:
            return self._on_command(command)
        if declined_repeat:
            return self._say("ack", ["Alright. Whenever you're ready."])
        if self._phase == "candidate_questions":
            return self._on_candidate_turn(text)
        return self._on_answer_text(text)

    def speculate(self, text: str) -> list[str]:
        """The candidate paused and may be done: start composing a follow-up on ``text``.

        Called by the pipeline from its speech-recognition thread while the brain thread waits
        for the turn to end; it only reads the machine's state. If the turn ends with this
        text, :meth:`on_answer` finds the model's follow-up under way or ready. Returns the
        sentences the rules would say (to synthesize ahead), or nothing.
        """
        text = " ".join(text.split())
        if self._phase != "question" or not self._can_follow_up():
            return []
        if len(words(text)) < SHORT_ANSWER_WORDS or parse_command(text) is not None:
            return []
        question = self._questions[self._index]
        # the same answer text _follow_up_reply will see once this turn is closed
        pairs = self._answers.get(question.id, [])
        answer = " ".join([*(a for _, a in pairs), " ".join([*self._parts, text])])
        plan = self._followups.prefetch(question, answer, list(self._follow_ups))
        return [plan.text]

    def bind_voice(self, voice: Voice) -> None:
        """The pipeline's speaking side: follow-ups are then paced on the audio actually
        played (each sentence queued as the one before it ends), not on fixed waits."""
        self._followups.voice = voice

    def withdraw_answer(self) -> bool:
        """Forget the last :meth:`on_answer`: the candidate went on talking over its reply.

        The pipeline then gives the whole answer (before and after) to :meth:`on_answer` as one
        turn, so the transcript, the follow-up and the next question see one answer. False when
        there is nothing to withdraw.
        """
        if self._undo is None:
            return False
        vars(self).update(self._undo)
        self._undo = None
        return True

    def planned_next(self) -> str | None:
        """The next bank question's text when the next reply will surely ask it."""
        if self._phase == "ready" and not self._resumed:
            return self._questions[0].text
        if self._phase != "question" or self._can_follow_up():
            return None
        if self._index + 1 >= len(self._questions) or self._time_up():
            return None
        return self._questions[self._index + 1].text

    # ------------------------------------------------------------------ public views

    @property
    def spec(self) -> InterviewSpec:
        """The spec this interview runs."""
        return self._spec

    @property
    def questions(self) -> tuple[Question, ...]:
        """The bank questions planned for this interview, in order."""
        return tuple(self._questions)

    @property
    def company(self) -> CompanyProfile | None:
        """The company profile in use, if the spec named one the bank knows."""
        return self._company

    @property
    def current_question(self) -> Question | None:
        """The bank question being asked now (None before a question or after the last)."""
        if self._phase in ("question", "ready") and self._index < len(self._questions):
            return self._questions[self._index]
        return None

    @property
    def transcript(self) -> tuple[Turn, ...]:
        """Everything said so far: the interviewer's replies and the candidate's turns."""
        return tuple(self._transcript)

    def answers(self) -> dict[str, list[tuple[str, str]]]:
        """Per question id, each (what was asked, what the candidate answered) pair.

        The first pair is the bank question; the others are its follow-ups. Answers split over
        several turns (after "let me think" or a nudge) are joined.
        """
        out = {qid: list(pairs) for qid, pairs in self._answers.items()}
        current = self._current_id()
        if current is not None and self._parts:
            out.setdefault(current, []).append((self._asking, " ".join(self._parts)))
        return out

    def elapsed(self) -> float:
        """Seconds of interview so far (including time before a resume)."""
        if self._started_at is None:
            return self._elapsed_before
        return self._elapsed_before + self._clock() - self._started_at

    def remaining(self) -> float | None:
        """Seconds left of the time budget, or None without one."""
        if self._spec.minutes is None:
            return None
        return self._spec.minutes * 60.0 - self.elapsed()

    # ------------------------------------------------------------------ turn handling

    def _on_answer_text(self, text: str) -> Reply:
        question = self._questions[self._index]
        if text:
            self._parts.append(text)
        # Judged on this turn alone: "Hmm." and then a real answer deserves a follow-up, while
        # two short turns in a row mean the candidate has nothing more to say.
        if len(words(text)) < SHORT_ANSWER_WORDS:
            if not self._nudged:
                self._nudged = True
                if not text:
                    nudge = "Sorry, I didn't catch that. Could you say it again?"
                elif says_dont_know(text):
                    nudge = (
                        "That's okay. Could you talk me through how you might approach it? "
                        "Or we can move on if you prefer."
                    )
                else:
                    nudge = "Could you say a bit more about that?"
                return self._say("prompt", [nudge])
            return self._next_question(self._ack())
        if self._can_follow_up():
            self._close_exchange()
            self._nudged = False
            return self._follow_up_reply(question, self._ack())
        return self._next_question(self._ack())

    def _follow_up_reply(self, question: Question, ack: str) -> Reply:
        """A follow-up whose text is composed while the interviewer is already speaking.

        The model takes a second or more on a CPU; yielding the acknowledgement (or a quote of
        the answer, see :meth:`FollowUpPolicy.compose`) first lets the speaking pipeline answer
        the candidate at once. The state is updated when the follow-up is known; the pipeline
        consumes every reply fully before the next ``on_answer``.
        """
        question_id = self._current_id()
        answer = self._question_answer()
        asked = list(self._follow_ups)
        bridge = BRIDGES[len(self._transcript) % len(BRIDGES)]
        meta: dict[str, str] = {}

        def record(follow_up: FollowUp) -> None:
            # called by the policy before the follow-up's last piece is spoken
            self._follow_ups.append(follow_up.text)
            self._asking = follow_up.text
            self._last_said = f"{follow_up.lead_in} {follow_up.text}".strip()
            self._log("follow_up", question_id, self._last_said)
            # "asks": the substance after the acknowledgement, whose start the pipeline times
            meta.update(
                source=follow_up.source,
                reason=follow_up.reason,
                asks=follow_up.text,
                asks_kind="follow_up",
            )

        def pieces() -> Iterator[str]:
            # the acknowledgement, or a quote of the answer in its place, then the question
            yield from self._followups.compose(
                question,
                answer,
                asked,
                record,
                ack=ack,
                bridge=bridge,
                long_ack=LONG_ACKS.get(ack, ""),
            )

        return Reply(
            kind="follow_up",
            pieces=pieces(),
            question_id=question_id,
            is_follow_up=True,
            meta=meta,
        )

    def _on_silence(self) -> Reply:
        self._silences += 1
        if self._phase == "candidate_questions":
            if self._silences == 1:
                return self._say("prompt", ["No problem if not.", ANY_QUESTIONS])
            return self._closing()
        if self._silences == 1:
            self._offered_repeat = True
            return self._say(
                "prompt", ["Take your time. Would you like me to repeat the question?"]
            )
        return self._next_question("Let's move on.")

    def _on_command(self, command: Command) -> Reply:
        if command == "end":
            return self._closing("Of course, we can stop here.")
        if command == "pause":
            return self._say("ack", ["Of course, take your time."], pause_listening=True)
        if command == "repeat":
            # While asking, repeat the question; in the candidate's questions, what was last said
            # (most likely the answer to their question).
            again = self._asking if self._phase == "question" else self._last_said
            return self._say("repeat", ["Sure.", again], prompt=self._asking)
        # skip
        if self._phase == "candidate_questions":
            return self._closing()
        return self._next_question("No problem, let's move on.")

    # ------------------------------------------------------------------ moving on

    def _next_question(self, lead: str) -> Reply:
        """Leave the current question and ask the next, or go to the candidate's questions.

        After ``lead`` (an acknowledgement, or "Let's move on.") comes the question itself, which
        says that we moved on: every word before it is waiting time for the candidate. The last
        question is announced only in a timed interview (the greeting gave no count).
        """
        self._close_exchange()
        self._index += 1
        self._reset_question_state()
        if self._index < len(self._questions) and not self._time_up():
            question = self._questions[self._index]
            last = self._index == len(self._questions) - 1 and self._spec.minutes is not None
            intro = f"{lead} {LAST_QUESTION if last else ''}".strip()
            return self._say(
                "question",
                [intro, question.text],
                prompt=question.text,
                meta={"asks": question.text, "asks_kind": "question"},
            )
        return self._to_candidate_questions(lead)

    def _welcome_back(self) -> Reply:
        if self._index < len(self._questions) and not self._time_up():
            self._phase = "question"
            question = self._questions[self._index]
            lead = "Welcome back. Let's pick up where we left off."
            return self._say("greeting", [lead, question.text], prompt=question.text)
        self._phase = "candidate_questions"
        lead = "Welcome back. We've covered all the questions I had."
        return self._say("candidate_questions", [lead, ANY_QUESTIONS], prompt=ANY_QUESTIONS)

    # ------------------------------------------------------------------ helpers

    def _reset_question_state(self) -> None:
        self._follow_ups = []
        self._parts = []
        self._nudged = False
        self._silences = 0
        self._offered_repeat = False

    def _close_exchange(self) -> None:
        question_id = self._current_id()
        if question_id is not None and self._parts:
            self._answers.setdefault(question_id, []).append((self._asking, " ".join(self._parts)))
        self._parts = []

    def _question_answer(self) -> str:
        """Everything the candidate said about the current question, follow-ups included."""
        question_id = self._current_id()
        pairs = self._answers.get(question_id, []) if question_id else []
        return " ".join(answer for _, answer in pairs)

    def _answered_count(self) -> int:
        return sum(1 for q in self._questions if self._answers.get(q.id))

    def _current_id(self) -> str | None:
        question = self.current_question
        return question.id if question is not None else None

    def _can_follow_up(self) -> bool:
        remaining = self.remaining()
        if remaining is not None and remaining < FOLLOW_UP_CUTOFF_S:
            return False
        return len(self._follow_ups) < self._spec.max_follow_ups

    def _time_up(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining < WRAP_UP_S

    def stock_phrases(self) -> list[str]:
        """Short phrases this interviewer uses again and again (acknowledgements, transitions).

        The speaking pipeline synthesizes them ahead of time, so the first words of a reply are
        audible the moment the candidate stops.
        """
        return [
            *ACKS,
            *LONG_ACKS.values(),
            *BRIDGES,
            *MOVING_ON,
            LAST_QUESTION,
            DONE_ASKING,
            ANY_QUESTIONS,
        ]

    def _ack(self) -> str:
        text = self._acks[self._said % len(self._acks)]
        self._said += 1
        return text

    def _greeting(self) -> str:
        from_jd = any(q.id.startswith(JD_PREFIX) for q in self._questions)
        return greeting(self._spec, self._company, len(self._questions), from_jd=from_jd)

    def _log(self, kind: str, question_id: str | None, text: str) -> None:
        self._transcript.append(Turn(kind, question_id, text))

    def _reply(self, kind: ReplyKind, pieces: Sequence[str], finished: bool = False) -> Reply:
        return Reply(kind=kind, pieces=iter(list(pieces)), finished=finished)

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
    ) -> Reply:
        """Build a reply, log it, and remember what the candidate is now answering."""
        parts = [p for p in pieces if p]
        question_id = self._current_id()
        self._last_said = " ".join(parts)
        self._log(kind, question_id, self._last_said)
        if prompt is not None:
            self._asking = prompt
        return Reply(
            kind=kind,
            pieces=iter(parts),
            question_id=question_id,
            is_follow_up=is_follow_up,
            finished=finished,
            pause_listening=pause_listening,
            meta=dict(meta or {}),
        )
