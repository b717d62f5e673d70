"""What the speaking pipeline needs from an interview brain.

The pipeline owns audio, turn-taking and timing; the brain owns what is said. The pipeline calls
the brain from one thread only (its brain thread), so implementations need no locking.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

ReplyKind = Literal[
    "greeting",  # hello + introduction (may be followed by the first question in the same reply)
    "question",  # a new bank question
    "follow_up",  # a probe on the last answer
    "prompt",  # nudge after silence ("Take your time ... would you like me to repeat?")
    "repeat",  # the current question again
    "ack",  # short acknowledgement (e.g. after "give me a moment")
    "candidate_questions",  # "Do you have any questions for me?" and answers to them
    "closing",  # wrap-up; the interview ends after it is spoken
]


@dataclass
class Reply:
    """One thing the interviewer says.

    ``pieces`` yields text as it becomes available: bank questions come whole, LLM follow-ups
    stream token by token. The pipeline speaks sentence by sentence as the pieces arrive.
    """

    kind: ReplyKind
    pieces: Iterator[str]
    question_id: str | None = None
    is_follow_up: bool = False
    #: True when the interview is over once this reply has been spoken
    finished: bool = False
    #: True when the brain wants endpointing paused (candidate asked for a moment)
    pause_listening: bool = False
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """What the candidate said in one turn, as the pipeline heard it."""

    text: str
    #: seconds of speech in the turn (0 when nothing was said before the timeout)
    duration: float = 0.0
    #: True when the turn ended by the no-answer timeout rather than by speech
    timed_out: bool = False


class Brain(Protocol):
    """The interview logic behind the voice: bank, state machine, follow-ups.

    Optional: ``withdraw_answer() -> bool`` forgets the last :meth:`on_answer` when the
    candidate went on talking over its reply; the pipeline then hands the whole answer to
    :meth:`on_answer` as one turn. A brain without it gets the rest as a turn of its own.
    """

    def start(self) -> Reply:
        """The opening: greeting, introduction and the first question."""
        ...

    def on_answer(self, answer: Answer) -> Reply:
        """React to the candidate's turn (an answer, a command, or silence)."""
        ...

    def planned_next(self) -> str | None:
        """Text of the next bank question if it is already known (for speaking it sooner).

        The pipeline may synthesize it while the candidate is still answering; it uses the audio
        only if the next reply's text turns out identical.
        """
        ...

    @property
    def finished(self) -> bool:
        """True once the closing has been produced."""
        ...
