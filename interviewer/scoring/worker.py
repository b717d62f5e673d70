"""Scoring off the speaking path: one background thread per interview.

The interview stores each answer as soon as the interviewer's reply starts; the worker then
scores it while the conversation goes on and writes the result onto the same turn, so the report
is ready within seconds of the last answer. A failure to score one answer is recorded as an event
and never reaches the conversation.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from interviewer.engines.base import LLM
from interviewer.interview.bank import Question
from interviewer.scoring.scorer import score_answer
from interviewer.types import Word

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoringJob:
    """One stored turn to score: ``answer_text`` is everything said about the question so far
    (the bank question's answer and any follow-up answers), ``words`` this turn's words only."""

    idx: int
    question: Question
    answer_text: str
    words: Sequence[dict[str, Any]] = ()
    submitted_at: float = field(default_factory=time.monotonic)


def words_from_dicts(items: Sequence[dict[str, Any]]) -> list[Word]:
    """Stored word timings (``{"word", "start", "end", "probability"}``) as :class:`Word`."""
    out = []
    for w in items:
        try:
            out.append(
                Word(
                    str(w["word"]),
                    float(w["start"]),
                    float(w["end"]),
                    float(w.get("probability", 1.0)),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue  # a malformed timing costs one word of delivery metrics, not the score
    return out


class ScoringWorker:
    """Scores submitted turns in order on a daemon thread and stores each result.

    ``store_result(idx, doc)`` persists a score (the session's ``update_turn_scores``);
    ``on_error(idx, message)`` records a failure. Both run on the worker thread.
    """

    def __init__(
        self,
        *,
        store_result: Callable[[int, dict[str, Any]], None],
        llm: LLM | None,
        instruction_tuned: bool = False,
        seed: int = 0,
        on_error: Callable[[int, str], None] | None = None,
    ) -> None:
        self._store_result = store_result
        self._llm = llm
        self._instruction_tuned = instruction_tuned
        self._seed = seed
        self._on_error = on_error
        self._jobs: queue.Queue[ScoringJob | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._closed = False
        self.scored: list[int] = []
        self.errors: list[tuple[int, str]] = []
        #: seconds from submission to stored score, per job (for the latency report)
        self.delays: list[float] = []
        self._thread = threading.Thread(target=self._run, name="scoring", daemon=True)
        self._thread.start()

    def submit(self, job: ScoringJob) -> None:
        if self._closed:
            raise RuntimeError("scoring worker is closed")
        with self._idle:
            self._pending += 1
        self._jobs.put(job)

    @property
    def pending(self) -> int:
        with self._idle:
            return self._pending

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every submitted job is stored (or failed); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def close(self, timeout: float | None = None) -> bool:
        """Finish the queued jobs (up to ``timeout``) and stop the thread."""
        done = self.drain(timeout)
        self._closed = True
        self._jobs.put(None)
        self._thread.join(timeout=0 if not done else 5)
        return done

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                result = score_answer(
                    job.question,
                    job.answer_text,
                    words=words_from_dicts(job.words) if job.words else None,
                    llm=self._llm,
                    instruction_tuned=self._instruction_tuned,
                    seed=self._seed,
                )
                self._store_result(job.idx, result.to_json())
                self.scored.append(job.idx)
                self.delays.append(time.monotonic() - job.submitted_at)
            except Exception as exc:  # a scoring bug must not end the interview
                message = f"{type(exc).__name__}: {exc}"
                log.warning("scoring turn %s failed: %s", job.idx, message)
                self.errors.append((job.idx, message))
                if self._on_error is not None:
                    try:
                        self._on_error(job.idx, message)
                    except Exception:  # the failure is logged either way
                        log.exception("recording a scoring failure failed")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()
