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

import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, NamedTuple

from interviewer.errors import ConfigError
from interviewer.interview.bank import Bank, CompanyFact, CompanyProfile, Question
from interviewer.interview.base import Answer, Reply, ReplyKind
from interviewer.interview.followup import FollowUp, FollowUpPolicy, content_words, words
from interviewer.interview.selection import resolve_company, select_questions
from interviewer.interview.spec import InterviewSpec

__all__ = [
    "FOLLOW_UP_CUTOFF_S",
    "STATE_VERSION",
    "WRAP_UP_S",
    "Command",
    "InterviewMachine",
    "Turn",
    "match_fact",
    "parse_command",
]

Command = Literal["repeat", "skip", "pause", "end"]
Phase = Literal["ready", "question", "candidate_questions", "closed"]

#: With a time budget, no new bank question is asked once less than this many seconds remain.
WRAP_UP_S = 120.0
#: ... and no follow-up once less than this remain (a follow-up and its answer take about a
#: minute, which would eat into the wrap-up).
FOLLOW_UP_CUTOFF_S = 180.0
#: Answers with fewer words than this get a nudge instead of a follow-up.
SHORT_ANSWER_WORDS = 4
MAX_CANDIDATE_QUESTIONS = 3
STATE_VERSION = 1

ANY_QUESTIONS = "Do you have any questions for me?"

_ACKS = (
    "Thanks.",
    "Got it, thank you.",
    "Thank you for that.",
    "Okay, thanks.",
    "Understood, thank you.",
    "Alright, thank you.",
)
#: What leads into the next question when there was no answer to acknowledge.
_MOVING_ON = ("Let's move on.", "No problem, let's move on.")
_LAST_QUESTION = "Here's my last question."


class Turn(NamedTuple):
    """One line of the transcript.

    ``kind`` is a :data:`~interviewer.interview.base.ReplyKind` for what the interviewer said,
    or ``answer``, ``command`` or ``silence`` for the candidate's turns.
    """

    kind: str
    question_id: str | None
    text: str


# --------------------------------------------------------------------------- commands


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Hesitations and courtesies STT leaves around a command ("um, sorry, could you repeat that").
_FILLERS = _wordset(
    "um umm uh uhh erm er ah hmm hm mm oh okay ok so well sorry hey yeah alright right actually "
    "please thanks"
)
# How people ask: "could you", "can we", "I'd like to", "let's" ... (optional in short commands).
_ASK = (
    r"(?:(?:can|could|would|will|may|should) (?:you|we|i)(?: please)? |please |"
    r"(?:i'd|i would|i|we) (?:like|want|need|have) to |let's |let us |i'd rather |"
    r"maybe (?:we can )?|do you mind if we |mind if we |(?:i think )?we should )"
)
_REPEAT = (
    r"(?:repeat(?: (?:that|it|this|the question|the last question|the last part|yourself))?"
    r"(?: again)?|say (?:that|it|the question) again|say again|come again|pardon(?: me)?"
    r"|one more time|(?:what was|what's|what is) the question(?: again)?"
    r"|i didn't (?:catch|hear|get|understand) (?:that|it|the question|you)"
    r"|hear (?:it|that|the question) again|go over (?:that|the question) again)"
)
_SKIP = (
    r"(?:skip(?: (?:this|that|it|this one|that one|this question|the question|ahead))?"
    r"|(?:go|move|jump)(?: on)? to the next(?: question| one)?|(?:the )?next(?: question| one)?"
    r"|move on|pass(?: on (?:this|that)(?: one)?)?"
    r"|(?:i'd|i would) rather not answer(?: (?:this|that|it|this one|that one|this question))?)"
)
_PAUSE = (
    r"(?:give me (?:a|one|a few) (?:moment|second|sec|minute)s?(?: to think)?"
    r"|(?:let me|i need to|i have to|i'll|i want to) think(?: about (?:it|that|this))?"
    r"(?: for a (?:moment|second|sec|minute|bit))?"
    r"|(?:just )?(?:one|a) (?:second|sec|moment|minute)"
    r"|(?:hold|hang) on(?: a (?:second|sec|moment))?"
    r"|wait(?: a (?:second|sec|moment))?|i need (?:a|one) (?:moment|second|minute)"
    r"|(?:have|take) a (?:moment|second|minute)(?: to think)?)"
)
_END_VERB = r"(?:end|stop|finish|wrap up|quit|conclude)"
_END_OBJECT = r"(?: (?:the |this |our )?interview)"
_END_WHEN = r"(?: (?:here|now|early|for today|for now|please))"
_END = (
    rf"(?:{_ASK}{_END_VERB}{_END_OBJECT}?{_END_WHEN}?|{_END_VERB}{_END_OBJECT}{_END_WHEN}?"
    rf"|{_END_VERB}{_END_WHEN}|that's enough for today|let's call it a day)"
)
_SHORT_COMMANDS: tuple[tuple[Command, re.Pattern[str]], ...] = (
    ("end", re.compile(_END)),
    ("skip", re.compile(rf"{_ASK}?{_SKIP}")),
    ("repeat", re.compile(rf"{_ASK}?{_REPEAT}")),
    ("pause", re.compile(rf"{_ASK}?{_PAUSE}")),
)
# In a longer turn only unmistakable requests count, and only phrased as a request, so that
# "in my last job I had to stop the interview process" is an answer, not the end.
_REQUEST = (
    r"(?:^|\b(?:please|can you|could you|would you|can we|could we|should we|let's|"
    r"we should|i'd like to|i would like to|i want to|i need to|i have to)\s+)"
)
_CLEAR_COMMANDS: tuple[tuple[Command, re.Pattern[str]], ...] = (
    ("end", re.compile(rf"{_REQUEST}(?:end|stop|finish) (?:the |this )?interview\b")),
    (
        "skip",
        re.compile(
            rf"{_REQUEST}(?:skip (?:this|that|the) question|move on to the next question"
            r"|go to the next question)\b"
        ),
    ),
    ("repeat", re.compile(rf"{_REQUEST}(?:repeat|say again) (?:the|that) question\b")),
    ("pause", re.compile(rf"{_REQUEST}give me (?:a|one) (?:moment|second|minute)\b")),
)
SHORT_COMMAND_WORDS = 8
CLEAR_COMMAND_WORDS = 15


def _normalise(text: str) -> list[str]:
    text = text.replace("’", "'").lower()
    return re.sub(r"[^a-z0-9' ]+", " ", text).split()


def _strip_fillers(tokens: list[str]) -> list[str]:
    start, end = 0, len(tokens)
    while start < end:
        if tokens[start] in _FILLERS:
            start += 1
        elif tokens[start : min(end, start + 2)] == ["thank", "you"]:
            start += 2
        else:
            break
    while end > start:
        if tokens[end - 1] in _FILLERS:
            end -= 1
        elif tokens[max(start, end - 2) : end] == ["thank", "you"]:
            end -= 2
        else:
            break
    return tokens[start:end]


def parse_command(text: str) -> Command | None:
    """The command in a candidate's turn, or None if the turn is an answer.

    A short turn (up to 8 words, fillers aside) counts when it is nothing but a command in
    one of its usual phrasings ("could you repeat the question", "skip", "can we move on", "let
    me think", "I'd like to stop"); a longer turn (up to 15 words) only when it plainly asks
    for one ("could you repeat the question, I didn't catch the end").
    """
    tokens = _normalise(text)
    core = _strip_fillers(tokens)
    if not core:
        return None
    phrase = " ".join(core)
    if len(core) <= SHORT_COMMAND_WORDS:
        for command, pattern in _SHORT_COMMANDS:
            if pattern.fullmatch(phrase):
                return command
    if len(tokens) <= CLEAR_COMMAND_WORDS:
        for command, pattern in _CLEAR_COMMANDS:
            if pattern.search(phrase):
                return command
    return None


_YES = re.compile(
    r"(?:yes|yeah|yep|yup|sure|please|ok|okay|i do|i have|go ahead|please do|yes please|"
    r"that would be (?:great|good|helpful)|yes i do|yeah please|sure please|i have one)"
)
_NO = re.compile(
    r"^(?:no|nope|nah|not really|not at the moment|not right now|not for now|nothing|none|"
    r"i'm good|i am good|i'm fine|i am fine|that's (?:all|it|everything)|i think that's (?:all|it)|"
    r"i don't|i do not|no questions)\b"
)
_QUESTION_START = _wordset(
    "what what's why how how's when where where's which who who's whose is are do does did can "
    "could would will should have has was were am"
)
_ASKING = re.compile(
    r"\b(?:i was wondering|i'd like to know|i would like to know|(?:could|can) you tell me|"
    r"tell me (?:about|more)|i'm curious|curious about|i wanted to ask|my question is|"
    r"what about|how about)\b"
)
_DONT_KNOW = re.compile(
    r"\b(?:(?:i )?(?:don't|do not) know|no idea|not sure|i can't remember|i don't remember|"
    r"never (?:done|heard))\b"
)


def _is_yes(text: str) -> bool:
    core = _strip_fillers(_normalise(text))
    return bool(core) and bool(_YES.fullmatch(" ".join(core)))


_LEADING_REPLY_WORDS = _wordset("yes yeah yep sure no nope but and actually so well")


def _is_question(text: str) -> bool:
    tokens = _strip_fillers(_normalise(text))
    # "Yes, what's the team like?" and "No, but how big is the company?" are questions.
    while tokens and tokens[0] in _LEADING_REPLY_WORDS:
        tokens = tokens[1:]
    if not tokens:
        return False
    return "?" in text or tokens[0] in _QUESTION_START or bool(_ASKING.search(" ".join(tokens)))


# --------------------------------------------------------------------------- company facts

# Ways candidates ask about a fact's topic, paired with the topic names the bank uses.
_FACT_INTENTS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (re.compile(asked), re.compile(topic))
    for asked, topic in (
        (
            r"\bwhat (?:does|do|is) (?:\w+ ){0,3}(?:do|does|make|build|sell|offer)\b"
            r"|\bproducts?\b|\bbusiness\b|\bmission\b|\bwhat (?:is|are) you building\b",
            r"what the (?:company|organi[sz]ation) does|business|product",
        ),
        (
            r"\bhow (?:big|large)\b|\bhow many (?:people|employees|staff|engineers)\b|\bsize\b"
            r"|\bheadcount\b|\bemployees\b|\bfunding\b|\bstage\b|\bgrowing\b",
            r"\bsize\b|\bscale\b|\bstage\b",
        ),
        (
            r"\bremote\b|\boffice\b|\bhybrid\b|\bfrom home\b|\bin person\b|\bon ?site\b"
            r"|\bwork(?:ing)? model\b|\bbased\b|\blocated\b|\blocation\b",
            r"working model|location|office",
        ),
        (
            r"\bprocess\b|\bnext steps?\b|\brounds?\b|\bwhat happens next\b|\bhear back\b",
            r"interview process|hiring|assessment",
        ),
        (
            r"\btech\b|\btechnolog\w*|\bstack\b|\btools?\b|\blanguages?\b|\bframeworks?\b",
            r"tech|stack|tools",
        ),
        (
            r"\bteams?\b|\bsquads?\b|\breport(?:ing)? to\b|\bwho (?:would|will) i work with\b"
            r"|\bstructured?\b|\borgani[sz]ed\b",
            r"team",
        ),
        (
            r"\bsalary\b|\bpay\b|\bcompensation\b|\bequity\b|\bstock\b|\bbenefits\b",
            r"salary|equity|compensation|benefits",
        ),
        (
            r"\blearning\b|\btraining\b|\bgrowth\b|\bcareer\b|\bpromotion\b|\bdevelop\w*"
            r"|\blevels?\b|\bprogression\b",
            r"learning|development|levels|career",
        ),
        (r"\bon ?call\b|\bpager\b|\bincidents?\b", r"on-call"),
        (r"\bculture\b|\bvalues\b|\bprinciples\b", r"principles|values|culture"),
    )
)
# Words that say nothing about which fact is wanted.
_GENERIC_ASK_WORDS = content_words(
    "company organisation organization work working job role like know tell question questions "
    "ask wondering curious day typical"
)


def match_fact(company: CompanyProfile | None, question: str) -> CompanyFact | None:
    """The company fact that answers the candidate's question, or None.

    A fact scores 3 when the question asks about its topic in one of the usual ways ("how
    big ..." for size), 2 per topic word the question uses and 1 per word shared with the
    fact's answer; the best fact with at least 2 wins (the first one on ties).
    """
    if company is None:
        return None
    asked = " ".join(_normalise(question))
    asked_words = content_words(asked) - _GENERIC_ASK_WORDS
    best: tuple[int, CompanyFact | None] = (0, None)
    for fact in company.facts:
        topic = fact.topic.lower()
        score = sum(3 for a, t in _FACT_INTENTS if a.search(asked) and t.search(topic))
        score += 2 * len(asked_words & content_words(topic))
        score += len(asked_words & content_words(fact.answer))
        if score > best[0]:
            best = (score, fact)
    return best[1] if best[0] >= 2 else None


# --------------------------------------------------------------------------- the machine


class InterviewMachine:
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
        self._questions = list(questions) if questions is not None else select_questions(bank, spec)
        if not self._questions:
            raise ConfigError("an interview needs at least one question")
        seed = spec.derived_seed()
        self._acks = random.Random(seed).sample(_ACKS, len(_ACKS))
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
        text = " ".join(answer.text.split())
        question_id = self._current_id()
        if answer.timed_out and not text:
            self._log("silence", question_id, "")
            return self._on_silence()
        command = parse_command(text)
        declined_repeat = False
        if command is None and self._offered_repeat:
            # The answer to "Would you like me to repeat the question?"
            if _is_yes(text):
                command = "repeat"
            declined_repeat = bool(_NO.match(" ".join(_normalise(text)))) and len(words(text)) <= 4
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

    # ------------------------------------------------------------------ persistence

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
    ) -> InterviewMachine:
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
                elif _DONT_KNOW.search(text.lower()):
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
            yield from self._followups.compose(question, answer, asked, record, ack=ack)

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

    def _on_candidate_turn(self, text: str) -> Reply:
        if not _is_question(text):
            if _is_yes(text):
                return self._say("candidate_questions", ["Sure, go ahead."])
            # "No, thanks", "That's all", or a remark: the interview is over.
            return self._closing()
        self._candidate_questions += 1
        fact = match_fact(self._company, text)
        if fact is not None:
            answer = f"Good question. {_sentence(fact.answer)}"
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

    # ------------------------------------------------------------------ moving on

    def _next_question(self, lead: str) -> Reply:
        """Leave the current question and ask the next, or go to the candidate's questions.

        After ``lead`` (an acknowledgement, or "Let's move on.") comes the question itself, which
        says that we moved on: every word before it is waiting time for the candidate. Only the
        last question is announced.
        """
        self._close_exchange()
        self._index += 1
        self._reset_question_state()
        if self._index < len(self._questions) and not self._time_up():
            question = self._questions[self._index]
            last = self._index == len(self._questions) - 1
            intro = f"{lead} {_LAST_QUESTION if last else ''}".strip()
            return self._say(
                "question",
                [intro, question.text],
                prompt=question.text,
                meta={"asks": question.text, "asks_kind": "question"},
            )
        return self._to_candidate_questions(lead)

    def _to_candidate_questions(self, lead: str) -> Reply:
        self._index = len(self._questions)
        remaining = self.remaining()
        if remaining is not None and remaining <= 0:
            return self._closing(f"{lead} We're out of time.")
        self._phase = "candidate_questions"
        if self._time_up() and self._answered_count() < len(self._questions):
            done = "We're nearly out of time, so let's stop the questions there."
        else:
            done = "That's all the questions I have."
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
        return [*_ACKS, *_MOVING_ON, _LAST_QUESTION]

    def _ack(self) -> str:
        text = self._acks[self._said % len(self._acks)]
        self._said += 1
        return text

    def _company_name(self) -> str | None:
        if self._company is not None:
            return self._company.name
        return self._spec.company

    def _brisk(self) -> bool:
        # Some profiles ask for a direct style ("skip small talk"); keep their greeting short.
        if self._company is None:
            return False
        style = " ".join([self._company.interview_style, *self._company.phrasing]).lower()
        return any(k in style for k in ("small talk", "short and direct", "fast-paced"))

    def _greeting(self) -> str:
        role = self._spec.role_title
        level = self._spec.level
        if level == "intern":
            position = f"the {role} internship"
        else:
            position = f"the {'' if level == 'mid' else level + ' '}{role} position"
        name = self._company_name()
        at = f" at {name}" if name else ""
        n = len(self._questions)
        if self._spec.minutes is not None:
            shape = f"We have about {self._spec.minutes:g} minutes"
        else:
            shape = f"I have {n} question{'s' if n != 1 else ''} for you"
        if self._brisk():
            return (
                f"Hello, and thanks for joining. This is the interview for {position}{at}. "
                f"{shape}. Let's get started."
            )
        follow = (
            ", and I may ask a follow-up or two along the way" if self._spec.max_follow_ups else ""
        )
        return (
            f"Hello, and thank you for joining me today. I'm your interviewer for {position}{at}. "
            f"{shape}{follow}. Take your time with each answer, and just ask if you'd like me to "
            "repeat a question. Let's begin."
        )

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


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."
