"""A brain that asks a fixed list of questions: for pipeline tests and benchmarks.

The real interview logic (bank, state machine, follow-ups) lives in ``machine.py``; this one
keeps the speaking pipeline testable on its own, with replies whose text is known in advance.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from interviewer.interview.base import Answer, Reply


def _words(text: str) -> Iterator[str]:
    # streamed word by word, like an LLM, so the chunker and TTS see realistic pieces
    parts = text.split(" ")
    for i, w in enumerate(parts):
        yield w if i == 0 else " " + w


class FixedQuestionsBrain:
    """Greeting, the questions in order (a nudge after silence), then a closing."""

    def __init__(
        self,
        questions: Sequence[str],
        *,
        greeting: str = "Hello, and thank you for joining. Let's begin.",
        closing: str = "That's all my questions. Thank you for your time, goodbye.",
        ack: str = "Thank you.",
    ) -> None:
        if not questions:
            raise ValueError("at least one question")
        self.questions = list(questions)
        self.greeting = greeting
        self.closing = closing
        self.ack = ack
        self._idx = 0
        self._nudged = False
        self._finished = False
        self.answers: list[Answer] = []
        self._undo: tuple[int, bool, bool] | None = None

    def withdraw_answer(self) -> bool:
        """Forget the last answer (the candidate went on over the reply; see the runner)."""
        if self._undo is None:
            return False
        self._idx, self._nudged, self._finished = self._undo
        self._undo = None
        self.answers.pop()
        return True

    def start(self) -> Reply:
        return Reply("greeting", _words(f"{self.greeting} {self.questions[0]}"), question_id="q1")

    def on_answer(self, answer: Answer) -> Reply:
        self._undo = (self._idx, self._nudged, self._finished)
        self.answers.append(answer)
        if answer.timed_out and not self._nudged:
            self._nudged = True
            text = "Take your time. Would you like me to repeat the question?"
            return Reply("prompt", _words(text), question_id=f"q{self._idx + 1}")
        self._nudged = False
        self._idx += 1
        if self._idx >= len(self.questions):
            self._finished = True
            return Reply("closing", _words(f"{self.ack} {self.closing}"), finished=True)
        return Reply(
            "question",
            _words(f"{self.ack} {self.questions[self._idx]}"),
            question_id=f"q{self._idx + 1}",
        )

    def planned_next(self) -> str | None:
        if self._idx + 1 < len(self.questions):
            return f"{self.ack} {self.questions[self._idx + 1]}"
        return f"{self.ack} {self.closing}"

    @property
    def finished(self) -> bool:
        return self._finished
