"""Listening: VAD, endpointing and the pre-roll, one audio block at a time.

The same loop serves the live runner (fed from the audio clock's queue, on its listen thread)
and the WER benchmark (fed a clip block by block, in lockstep), so both hear a turn alike: the
utterance starts ``pre_roll_s`` before the detected start, the speech goes to the transcriber
from then on, a speculative final is asked for at each pause, and the rest of the audio is
handed over when the turn ends.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Protocol

from interviewer.engines.base import VAD
from interviewer.pipeline.endpointing import Endpointer, Event
from interviewer.types import AudioArray


class UtteranceSink(Protocol):
    """Where a turn's audio goes (:class:`StreamingTranscriber`, or a plain buffer)."""

    def begin(self, pre_roll: list[AudioArray], probs: list[float]) -> None: ...

    def append(self, frame: AudioArray, prob: float) -> None: ...

    def request_final(self, pause_id: int) -> None: ...

    def resume(self, pause_id: int, pause_s: float) -> None: ...

    def finish(self, pause_id: int) -> None: ...


class Listener:
    """Feeds each block through the VAD and the endpointer, and the turn's audio to ``sink``.

    :meth:`feed` runs on one thread; the control methods (:meth:`open`, :meth:`close`,
    :meth:`hold`) may come from any other, and take the endpointer's lock.
    """

    def __init__(self, vad: VAD, endpointer: Endpointer, sink: UtteranceSink) -> None:
        self.vad = vad
        self.endpointer = endpointer
        self.sink = sink
        self.frame_s = endpointer.frame_s
        self.pre_roll_s = endpointer.cfg.pre_roll_s
        self._pre_roll: deque[tuple[AudioArray, float]] = deque(
            maxlen=max(1, int(self.pre_roll_s / self.frame_s) + 8)
        )
        self._lock = threading.Lock()
        self.in_turn = False
        #: first voiced instant of the latest turn
        self.speech_start: float | None = None
        #: capture time of the latest utterance's first sample (pre-roll included)
        self.utt_t0 = 0.0

    # ------------------------------------------------------------------ control (any thread)
    def open(self, t: float, *, hold: bool = False, question: str | None = None) -> None:
        """Listen for an answer from ``t`` (with ``hold``: no silence timeout for a while);
        ``question`` tells the end-of-turn prediction what kind of answer to expect."""
        with self._lock:
            self.endpointer.open(t, question)
            if hold:
                self.endpointer.hold(t)

    def close(self) -> None:
        """Stop listening for an answer; a turn under way no longer ends (its end is moot)."""
        with self._lock:
            self.endpointer.close()

    def hold(self, t: float) -> None:
        with self._lock:
            self.endpointer.hold(t)

    def set_tail_text(self, pause_id: int, text: str, **evidence: Any) -> None:
        """The speculative text before pause ``pause_id`` (and the prosody and lone-tail
        evidence of :meth:`Endpointer.set_tail_text`)."""
        with self._lock:
            self.endpointer.set_tail_text(pause_id, text, **evidence)

    # ------------------------------------------------------------------ per block
    def feed(self, frame: AudioArray, t: float, *, speaking_over: bool = False) -> Event | None:
        """One block captured at ``t`` (its end); ``speaking_over``: the interviewer is audible
        and barge-in is on. Returns the endpointer's event, already acted on."""
        prob = float(self.vad.speech_prob(frame))
        with self._lock:
            self.endpointer.speaking_over = speaking_over
            ev = self.endpointer.feed(prob, t)
        if self.in_turn:
            self.sink.append(frame, prob)
        else:
            self._pre_roll.append((frame, prob))
        if ev is None:
            return None
        if ev.kind in ("speech_start", "barge_in"):
            self.in_turn = True
            self.speech_start = ev.speech_start
            keep = int((t - (ev.speech_start or t) + self.pre_roll_s) / self.frame_s) + 1
            frames = list(self._pre_roll)[-keep:]
            self.utt_t0 = t - len(frames) * self.frame_s
            self.sink.begin([f for f, _ in frames], [p for _, p in frames])
            self._pre_roll.clear()
        elif ev.kind == "pause":
            self.sink.request_final(ev.pause_id)
        elif ev.kind == "resume":
            self.sink.resume(ev.pause_id, ev.t - (ev.speech_end or ev.t))
        elif ev.kind == "end_of_turn":
            self.in_turn = False
            self.sink.finish(ev.pause_id)
        return ev
