"""What the runner tells its caller as the interview goes on (``InterviewRunner.on_event``).

One small frozen class per kind, so a consumer matches on types (``match event: case
CandidatePartial(text=text): ...``) and a misspelt field is a type error, not a silent miss.
They are called from the runner's threads (listen, stt, the caller's): a handler must not block.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SpeechStart:
    """The candidate started speaking (``t``: monotonic time of the frame that showed it)."""

    t: float


@dataclass(frozen=True)
class CandidatePartial:
    """Streamed text of the speech so far; it may change, and may arrive after the final."""

    text: str


@dataclass(frozen=True)
class CandidateFinal:
    """The text the interviewer acts on for this turn (``typed``: from the text box)."""

    text: str
    typed: bool = False


@dataclass(frozen=True)
class CandidateRevised:
    """The full pass over the whole answer heard it differently: this text replaces the final."""

    text: str


@dataclass(frozen=True)
class InterviewerSays:
    """One sentence of the interviewer's reply, as it goes to speech (``kind``: the reply's)."""

    text: str
    kind: str = ""


@dataclass(frozen=True)
class BargeIn:
    """The candidate cut in (by voice, or ``typed`` with a button): playback was cleared."""

    t: float
    #: the utterances whose queued audio was dropped
    cut: tuple[int, ...]
    #: monotonic time the playback buffer was empty
    cleared_at: float
    typed: bool = False


@dataclass(frozen=True)
class AnswerContinues:
    """The candidate went on over the reply to their answer: the interviewer yielded, the reply
    was withdrawn, and what they say now joins that answer (one answer, one ``on_answer``)."""

    t: float
    #: the answer so far (the streamed text)
    answer: str


@dataclass(frozen=True)
class HalfDuplex:
    """The interviewer will not yield: the microphone is shut while it speaks (loudspeakers
    without echo cancellation would hear its own voice as the candidate's)."""

    reason: str


@dataclass(frozen=True)
class NoAnswer:
    """Nothing was said for ``EndpointConfig.no_answer_s`` after the interviewer stopped."""


RunnerEvent = (
    SpeechStart
    | CandidatePartial
    | CandidateFinal
    | CandidateRevised
    | InterviewerSays
    | BargeIn
    | AnswerContinues
    | HalfDuplex
    | NoAnswer
)
