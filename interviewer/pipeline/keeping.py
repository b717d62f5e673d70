"""The answer of record: how the runner keeps each exchange and hands it to ``on_exchange``.

:class:`Keeping` is mixed into :class:`~interviewer.pipeline.runner.InterviewRunner`; it holds
what is known of an answer until its reply is audible (``_Pending``), the full pass that
revises its text, the continuation of an answer the candidate went on with after the
interviewer yielded, the flush that stores an answer already heard on Ctrl-C or an error, and
the ``transcript.json`` document. The runner's module keeps the threads, speaking and listening.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from interviewer.interview.base import Answer, Reply
from interviewer.pipeline.events import (
    AnswerContinues,
    CandidateFinal,
    CandidateRevised,
    NoAnswer,
    RunnerEvent,
)
from interviewer.pipeline.records import Exchange, ExchangeRecord, TurnLog, transcript_doc
from interviewer.pipeline.seams import join_text
from interviewer.pipeline.speaker import Speaker
from interviewer.pipeline.transcriber import StreamingTranscriber
from interviewer.types import Word

if TYPE_CHECKING:
    from interviewer.pipeline.runner import RunnerConfig, TurnEnd


@dataclass
class _Pending:
    """An answer heard and not yet handed to ``on_exchange``; what is known of it so far."""

    record: ExchangeRecord
    exchange: Exchange
    #: the transcriber's utterances (epoch, capture time of the first sample) that make up the
    #: answer, for the full pass; empty: typed, or no answer. More than one when the candidate
    #: went on talking over the reply and the interviewer yielded.
    parts: tuple[tuple[int, float], ...] = ()
    #: the streamed text of each part
    texts: tuple[str, ...] = ()
    #: seconds of speech so far (the brain's ``Answer.duration``)
    duration: float = 0.0
    #: the candidate's turn in the transcript (the full pass revises its text and words)
    log: TurnLog | None = None
    #: when its reply was heard out and it began to wait for its full pass (``_later``)
    kept_at: float = 0.0


class Keeping:
    """The runner's answer of record (a mixin: the runner's ``__init__`` sets its state)."""

    # Set by InterviewRunner.__init__.
    cfg: RunnerConfig
    clock: Callable[[], float]
    on_event: Callable[[RunnerEvent], None]
    on_exchange: Callable[[ExchangeRecord], None] | None
    transcriber: StreamingTranscriber
    speaker: Speaker
    t0: float
    turns: list[TurnLog]
    exchanges: list[Exchange]
    yields: int
    barge_ins: int
    nudges: int
    dropped_frames: int
    interrupted: bool
    _current_question: str | None
    _pending: _Pending | None
    #: an answer whose reply the candidate talked over: the next turn continues it
    _continuing: _Pending | None
    #: answers whose reply was heard out, oldest first, each handed to ``on_exchange`` once
    #: its full pass is done: waiting for it on the brain's thread held up the next reply
    #: (by seconds on a loaded CPU, when the candidate's next answer was short)
    _later: list[_Pending]

    def _record(self, reply: Reply, answer: str) -> ExchangeRecord:
        return ExchangeRecord(
            question=self._current_question,
            answer=answer,
            question_id=reply.question_id,
            is_follow_up=reply.is_follow_up,
            kind=reply.kind,
        )

    def _hold(self, record: ExchangeRecord, ex: Exchange, *, timed_out: bool = False) -> None:
        """Keep an answer without audio (typed, or none) until its reply is audible."""
        self._pending = _Pending(replace(record, timed_out=timed_out), ex)

    def _no_answer(self, turn: TurnEnd, reply: Reply) -> tuple[Answer, Exchange]:
        """The silence timed out: an empty answer, kept like a typed one."""
        self.on_event(NoAnswer())
        ex = Exchange(endpoint=turn.endpoint, timed_out=True)
        self._hold(self._record(reply, ""), ex, timed_out=True)
        return Answer("", 0.0, timed_out=True), ex

    def _typed_answer(self, turn: TurnEnd, reply: Reply) -> tuple[Answer, Exchange]:
        text = turn.typed or ""
        ex = Exchange(endpoint=turn.endpoint, stt_final=turn.endpoint)
        at = turn.endpoint - self.t0
        self.turns.append(TurnLog("candidate", text, at, at))
        self.on_event(CandidateFinal(text, typed=True))
        self._hold(self._record(reply, text), ex)
        return Answer(text, 0.0, timed_out=not text.strip()), ex

    def _heard(
        self, turn: TurnEnd, reply: Reply, text: str, ex: Exchange
    ) -> tuple[Answer, Exchange]:
        """A spoken answer: into the transcript, and kept until its reply is audible."""
        start = turn.speech_start or turn.endpoint
        end = turn.speech_end or turn.endpoint
        log = TurnLog(
            "candidate", text, start - self.t0, end - self.t0, overlapping=turn.overlapping
        )
        self.turns.append(log)
        self.on_event(CandidateFinal(text))
        record = replace(
            self._record(reply, text),
            audio_start=round(start - self.t0, 3),
            audio_end=round(end - self.t0, 3),
            overlapping=turn.overlapping,
        )
        duration = max(0.0, end - start)
        part = ((turn.epoch, turn.utt_t0),)
        self._pending = _Pending(record, ex, part, (text,), duration, log)
        return Answer(text, duration), ex

    def _continued(
        self, cont: _Pending, turn: TurnEnd, text: str, ex: Exchange
    ) -> tuple[Answer, Exchange]:
        """The turn after a yield: joined to the answer it continues, as one answer."""
        start = turn.speech_start or turn.endpoint
        end = turn.speech_end or turn.endpoint
        answer = join_text(cont.record.answer, text)
        # one candidate turn from the first word to the last; the cut reply stays after its
        # start in the transcript, marked interrupted
        log = next((t for t in reversed(self.turns) if t.speaker == "candidate"), None)
        if log is not None:
            log.text, log.end, log.overlapping = answer, end - self.t0, True
        self.on_event(CandidateFinal(answer))
        record = replace(cont.record, answer=answer, audio_end=round(end - self.t0, 3))
        record = replace(record, overlapping=True)
        duration = cont.duration + max(0.0, end - start)
        parts = (*cont.parts, (turn.epoch, turn.utt_t0))
        self._pending = _Pending(record, ex, parts, (*cont.texts, text), duration, log)
        return Answer(answer, duration), ex

    def _continue_answer(self) -> None:
        """The candidate talked over the reply to their answer: the reply is withdrawn (the
        brain forgot the answer) and the turn now under way continues that answer."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        self.yields += 1
        self._continuing = pending
        self.on_event(AnswerContinues(self.clock(), pending.record.answer))

    def _end_continuation(self) -> None:
        """A typed turn (or none) came instead of the rest of a yielded answer: the answer so
        far is stored as it is, since the brain has already forgotten it."""
        cont, self._continuing = self._continuing, None
        if cont is not None and self._pending is None:
            self._pending = cont
            self._keep_for_later()

    def _emit_exchange(self, exchange: Exchange, words_timeout: float | None = None) -> None:
        """Hand the answer being kept (``_pending``) to ``on_exchange``, with its latency
        (``exchange``) and word timestamps; after those kept for later, which go first."""
        if self._later:
            self._keep_for_later()
            self._emit_later(wait=True)
            return
        pending = self._pending
        if pending is None:
            return
        self._emit(pending, exchange, words_timeout)
        self._pending = None

    def _keep_for_later(self) -> None:
        """The answer's reply was heard out: store it once its full pass is done."""
        if self._pending is not None:
            self._later.append(replace(self._pending, kept_at=self.clock()))
            self._pending = None

    def _emit_later(self, *, wait: bool) -> None:
        """Store the answers kept for later, oldest first: each once its full pass is done or
        ``stt_final_timeout_s`` has passed; with ``wait``, all of them, waiting as needed."""
        while self._later:
            head = self._later[0]
            timeout = self.cfg.stt_final_timeout_s - (self.clock() - head.kept_at)
            if not wait and timeout > 0 and not self._passes_done(head):
                return
            self._emit(head, head.exchange, max(0.0, timeout))
            self._later.pop(0)  # only now: an interrupt before this still finds it

    def _passes_done(self, pending: _Pending) -> bool:
        return all(self._full_pass(epoch, 0.0)[1] is not None for epoch, _ in pending.parts)

    def _emit(self, pending: _Pending, exchange: Exchange, words_timeout: float | None) -> None:
        """Hand one answer (with latency and word timestamps) to ``on_exchange``.

        The caller forgets it only once the callback has returned, so an interrupt at any
        point before that still finds it in :meth:`_flush_pending` and nothing is lost.
        """
        record = replace(pending.record, latency=exchange.relative(self.t0))
        if pending.parts:
            # computed off the reply's path; by now (the reply is audible) usually done
            timeout = self.cfg.stt_final_timeout_s if words_timeout is None else words_timeout
            words, text = self._full_passes(pending, timeout)
            shift = (pending.parts[0][1] or self.t0) - self.t0  # utterance -> conversation
            turn = pending.log or next(
                (t for t in reversed(self.turns) if t.speaker == "candidate"), None
            )
            if turn is not None:
                turn.words = [
                    Word(w.word, w.start + shift, w.end + shift, w.probability) for w in words
                ]
            record = replace(record, words=tuple(words))
            # The full pass heard the answer whole: its text is the one kept and scored. The
            # streamed text (what the interviewer acted on) is kept beside it.
            if text and text != record.answer:
                record = replace(record, answer=text, answer_streamed=record.answer)
                if turn is not None:
                    turn.text = text
                self.on_event(CandidateRevised(text))
        if self.on_exchange is not None:
            self.on_exchange(record)

    def _full_pass(self, epoch: int, timeout: float) -> tuple[list[Word], str | None]:
        return self.transcriber.full_pass(epoch, timeout)

    def _full_passes(self, pending: _Pending, timeout: float) -> tuple[list[Word], str | None]:
        """The full pass of each utterance of the answer, joined; word times relative to the
        first utterance. A part whose pass gave no text keeps its streamed text."""
        if len(pending.parts) == 1:
            return self._full_pass(pending.parts[0][0], timeout)
        base = pending.parts[0][1]
        words: list[Word] = []
        texts: list[str] = []
        heard_any = False
        for (epoch, t0), streamed in zip(pending.parts, pending.texts, strict=True):
            part_words, text = self._full_pass(epoch, timeout)
            shift = t0 - base
            words += [
                Word(w.word, w.start + shift, w.end + shift, w.probability) for w in part_words
            ]
            heard_any = heard_any or text is not None
            texts.append(text if text else streamed)
        return words, " ".join(t for t in texts if t) if heard_any else None

    def _flush_pending(self) -> None:
        """On Ctrl-C or an error: store the answers already heard, with what is known of them."""
        while self._later:
            self._emit(self._later[0], self._later[0].exchange, 0.0)
            self._later.pop(0)
        if self._pending is None and self._continuing is not None:
            self._pending, self._continuing = self._continuing, None
        if self._pending is not None:
            self._emit_exchange(self._pending.exchange, words_timeout=0.0)

    # ------------------------------------------------------------------ results
    def transcript(self) -> dict[str, Any]:
        """The ``transcript.json`` document: turns, per-exchange latency and its summary."""
        stats = {
            "barge_ins": self.barge_ins,
            "yields": self.yields,
            "nudges": self.nudges,
            "dropped_frames": self.dropped_frames,
            "stt_calls": dict(self.transcriber.calls),
            "tts_cache_hits": self.speaker.cache_hits,
            "interrupted": self.interrupted,
        }
        return transcript_doc(self.turns, self.exchanges, self.t0, stats)
