"""Scoring off the speaking path: one background thread per interview.

The interview stores each answer as soon as the interviewer's reply starts; the worker then
scores it while the conversation goes on and writes the result onto the same turn, so the report
is ready within seconds of the last answer. A failure to score one answer is recorded as an event
and never reaches the conversation.

The LLM is shared with the interviewer's replies. The worker uses it at background priority
(``complete_json_background`` where the engine has it): it waits while a reply is being
composed and gives way mid-generation when one starts, then tries again; on shutdown the
in-flight judgement is cancelled and the answer is scored by the rules alone.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interviewer.engines.base import LLM
from interviewer.errors import LLMPreempted
from interviewer.interview.bank import Question
from interviewer.scoring.evidence import annotate_uncertain
from interviewer.scoring.scorer import score_answer
from interviewer.types import Word

log = logging.getLogger(__name__)

#: Times one judgement may give way to the interviewer before the answer is scored by rules.
MAX_PREEMPTIONS = 20
#: How long ``close`` waits for the rules-only rest after cancelling the model's judgement.
CANCEL_GRACE_S = 5.0


def scoring_view(llm: LLM | None, cancel: threading.Event | None = None) -> Any:
    """The LLM as the scorer should use it: background priority and a fresh context (so the
    same answer gets the same score whatever ran before) where the engine supports it."""
    if llm is None or not hasattr(llm, "complete_json_background"):
        return llm
    return _Background(llm, cancel or threading.Event())


class _Background:
    """The scorer's view of the LLM: JSON calls at background priority, cancellable."""

    def __init__(self, llm: Any, cancel: threading.Event) -> None:
        self._llm = llm
        self._cancel = cancel
        self.model_id = llm.model_id

    def complete_json(self, prompt: Any, schema: Any, **kwargs: Any) -> dict[str, Any]:
        return self._llm.complete_json_background(prompt, schema, cancel=self._cancel, **kwargs)


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
        instructions: str = "",
        weights: Mapping[str, float] | None = None,
    ) -> None:
        self._store_result = store_result
        # a screening template's: the employer's guidance for the model, weights for overall
        self._instructions = instructions
        self._weights = dict(weights) if weights else None
        self._llm = llm
        self._instruction_tuned = instruction_tuned
        self._seed = seed
        self._on_error = on_error
        self._cancel = threading.Event()
        self._judge: Any = scoring_view(llm, self._cancel)
        self.preemptions = 0
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
        """Finish the queued jobs (up to ``timeout``) and stop the thread. Past ``timeout`` the
        model's judgement is cancelled and what is left is scored by the rules (quickly);
        False if even that did not finish."""
        done = self.drain(timeout)
        if not done:
            self._cancel.set()
            done = self.drain(CANCEL_GRACE_S)
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
                result = self._score(job)
                # quotes resting on words the recogniser guessed are marked as such
                doc = annotate_uncertain(result.to_json(), job.answer_text, job.words or ())
                self._store_result(job.idx, doc)
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

    def _score(self, job: ScoringJob) -> Any:
        words = words_from_dicts(job.words) if job.words else None
        for _ in range(MAX_PREEMPTIONS):
            if self._judge is None or self._cancel.is_set():
                break
            try:
                return score_answer(
                    job.question,
                    job.answer_text,
                    words=words,
                    llm=self._judge,
                    instruction_tuned=self._instruction_tuned,
                    seed=self._seed,
                    instructions=self._instructions,
                    weights=self._weights,
                )
            except LLMPreempted:
                self.preemptions += 1  # the next try waits until the reply is composed
        return score_answer(
            job.question, job.answer_text, words=words, seed=self._seed, weights=self._weights
        )
