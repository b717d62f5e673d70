"""Streaming transcription of the growing utterance, on one worker thread.

Whisper pads every call to a window (30 s, or the adaptive window of the STT engine), so each
call costs about the same whatever the audio length; on 2 cores a call to tiny.en takes about
0.3-0.7 s. The plan:

* partials: while the candidate speaks, re-transcribe the uncommitted tail whenever at least
  ``partial_every_s`` of new audio has arrived and nothing more urgent is pending;
* final: the moment silence begins, transcribe the tail speculatively; if speech resumes the
  result is thrown away, if the turn ends it is already (nearly) ready;
* commit: a long monologue never grows the window past ``commit_after_s``: the audio up to the
  last pause is transcribed once, its text kept, and its samples dropped (bounded memory, the
  transcript kept whole).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from interviewer.engines.base import STT
from interviewer.types import SAMPLE_RATE, AudioArray, Word


@dataclass
class FinalText:
    pause_id: int
    text: str
    words: list[Word]
    #: monotonic time the text became available
    ready_at: float
    #: samples of utterance audio it covers
    covers: int


@dataclass
class _Utterance:
    epoch: int
    frames: list[AudioArray] = field(default_factory=list)
    probs: list[float] = field(default_factory=list)
    base: int = 0  # samples dropped from the front (committed)
    total: int = 0  # samples appended so far
    committed_text: list[str] = field(default_factory=list)
    committed_words: list[Word] = field(default_factory=list)

    def tail(self, upto: int | None = None) -> AudioArray:
        if not self.frames:
            return np.zeros(0, dtype=np.float32)
        audio = np.concatenate(self.frames)
        end = len(audio) if upto is None else max(0, upto - self.base)
        return audio[:end]


class StreamingTranscriber:
    """Owns the current utterance's audio and runs every STT call on its own thread."""

    def __init__(
        self,
        stt: STT,
        now: Callable[[], float],
        *,
        on_partial: Callable[[str], None] | None = None,
        on_final: Callable[[FinalText], None] | None = None,
        partial_every_s: float = 1.2,
        commit_after_s: float = 24.0,
        threshold: float = 0.5,
    ) -> None:
        self.stt = stt
        self.now = now
        self.on_partial = on_partial
        self.on_final = on_final
        self.partial_every = int(partial_every_s * SAMPLE_RATE)
        self.commit_after = int(commit_after_s * SAMPLE_RATE)
        self.threshold = threshold
        self._cond = threading.Condition()
        self._utt = _Utterance(epoch=0)
        self._final_req: tuple[int, int] | None = None  # (pause_id, upto samples)
        self._finals: dict[int, FinalText] = {}
        self._partials_on = False
        self._last_partial_at = 0
        self._stop = False
        self._busy = False
        self._thread: threading.Thread | None = None
        self.calls = {"partial": 0, "final": 0, "commit": 0}

    # ---------------------------------------------------------------- producer side (listener)
    def begin(self, pre_roll: list[AudioArray], probs: list[float]) -> None:
        """A new utterance starts with these frames."""
        with self._cond:
            self._utt = _Utterance(epoch=self._utt.epoch + 1)
            for f, p in zip(pre_roll, probs, strict=True):
                self._append_locked(f, p)
            self._final_req = None
            self._finals.clear()
            self._partials_on = True
            self._last_partial_at = 0
            self._cond.notify()

    def append(self, frame: AudioArray, prob: float) -> None:
        with self._cond:
            self._append_locked(frame, prob)
            if self._utt.total - self._last_partial_at >= self.partial_every:
                self._cond.notify()

    def _append_locked(self, frame: AudioArray, prob: float) -> None:
        self._utt.frames.append(frame)
        self._utt.probs.append(prob)
        self._utt.total += len(frame)

    def request_final(self, pause_id: int) -> None:
        """Silence began: transcribe everything so far, speculatively."""
        with self._cond:
            self._final_req = (pause_id, self._utt.total)
            self._cond.notify()

    def cancel_final(self) -> None:
        """Speech resumed: a pending speculative final is no longer wanted."""
        with self._cond:
            self._final_req = None

    def stop_partials(self) -> None:
        with self._cond:
            self._partials_on = False

    def final_for(self, pause_id: int, timeout: float) -> FinalText | None:
        """Wait for the final of ``pause_id`` (requesting it if it was dropped)."""
        deadline = self.now() + timeout
        with self._cond:
            if pause_id not in self._finals and self._final_req is None and not self._busy:
                self._final_req = (pause_id, self._utt.total)
                self._cond.notify()
            while pause_id not in self._finals:
                left = deadline - self.now()
                if left <= 0 or self._stop:
                    return None
                self._cond.wait(left)
            return self._finals[pause_id]

    @property
    def epoch(self) -> int:
        return self._utt.epoch

    # ---------------------------------------------------------------- worker
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stt", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _pick_job(self) -> tuple[str, int, int] | None:
        """Most urgent first: a final, then a commit of a long tail, then a partial."""
        u = self._utt
        if self._final_req is not None:
            pause_id, upto = self._final_req
            return ("final", pause_id, upto)
        if u.total - u.base > self.commit_after:
            return ("commit", 0, self._commit_point())
        if self._partials_on and u.total - self._last_partial_at >= self.partial_every:
            return ("partial", 0, u.total)
        return None

    def _commit_point(self) -> int:
        """Cut the tail at the last pause (>= 0.3 s of silence) before the commit limit."""
        u = self._utt
        frame = len(u.frames[0]) if u.frames else 512
        limit_frames = min(len(u.probs), self.commit_after // frame)
        quiet_needed = max(1, int(0.3 * SAMPLE_RATE) // frame)
        run = 0
        best = None
        for i in range(limit_frames):
            run = run + 1 if u.probs[i] < self.threshold else 0
            if run >= quiet_needed:
                best = i - run // 2
        cut_frames = best if best is not None and best > limit_frames // 3 else limit_frames
        return u.base + cut_frames * frame

    def _run(self) -> None:
        while True:
            with self._cond:
                job = self._pick_job()
                while job is None and not self._stop:
                    self._cond.wait()
                    job = self._pick_job()
                if self._stop:
                    return
                assert job is not None
                kind, pause_id, upto = job
                epoch = self._utt.epoch
                audio = self._utt.tail(upto)
                offset = self._utt.base / SAMPLE_RATE
                if kind == "final":
                    self._final_req = None
                elif kind == "partial":
                    self._last_partial_at = upto
                self._busy = True
            try:
                result = self.stt.transcribe(audio, word_timestamps=kind != "partial")
            finally:
                with self._cond:
                    self._busy = False
            self.calls[kind] += 1
            with self._cond:
                if epoch != self._utt.epoch:
                    continue  # a new utterance began meanwhile
                u = self._utt
                words = [
                    Word(w.word, w.start + offset, w.end + offset, w.probability)
                    for w in result.words
                ]
                text = " ".join([*u.committed_text, result.text]).strip()
                if kind == "commit":
                    u.committed_text.append(result.text)
                    u.committed_words.extend(words)
                    drop = upto - u.base
                    audio_all = u.tail()
                    rest = audio_all[drop:]
                    frame = len(u.frames[0]) if u.frames else 512
                    u.frames = [rest[i : i + frame] for i in range(0, len(rest), frame)]
                    u.probs = u.probs[drop // frame :]
                    u.base = upto
                    continue
                if kind == "final":
                    final = FinalText(
                        pause_id, text, [*u.committed_words, *words], self.now(), upto
                    )
                    self._finals[pause_id] = final
                    self._cond.notify_all()
                    callback_final = self.on_final
                else:
                    callback_final = None
            if kind == "partial" and self.on_partial is not None and text:
                self.on_partial(text)
            if callback_final is not None:
                callback_final(final)
