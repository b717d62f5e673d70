"""The interviewer's outgoing audio: a queue of utterances that the output callback drains.

The output side (a sounddevice callback or the virtual link's clock) pulls one block at a time
with :meth:`PlaybackBuffer.read`; the speaking path appends sentences with :meth:`write`. The
buffer counts what was actually played, per utterance and sentence, so a barge-in can clip the
record to what the candidate really heard.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from interviewer.types import AudioArray

#: Samples quieter than this count as silence (about -46 dBFS: Piper's pauses are near zero).
VOICE_LEVEL = 0.005


@dataclass
class _Piece:
    utterance: int
    sentence: str
    audio: AudioArray
    pos: int = 0


@dataclass
class SentenceLog:
    sentence: str
    played: int
    total: int
    #: when its first audible sample played (None until then)
    start: float | None = None


@dataclass
class UtteranceLog:
    """What happened to one utterance on the way out."""

    utterance: int
    first_sample_time: float | None = None
    last_sample_time: float | None = None
    sentences: list[SentenceLog] = field(default_factory=list)
    interrupted: bool = False
    #: the longest stretch without an audible sample between two audible ones (seconds):
    #: pauses inside sentences, between them, and any wait for the next sentence's audio
    max_silence: float = 0.0

    def heard_text(self) -> str:
        """The sentences the listener heard; a cut sentence keeps its played share of words."""
        out: list[str] = []
        for s in self.sentences:
            if s.played <= 0:
                continue
            if s.played >= s.total:
                out.append(s.sentence)
            else:
                words = s.sentence.split()
                keep = max(1, round(len(words) * s.played / max(s.total, 1)))
                out.append(" ".join(words[:keep]) + " —")
        return " ".join(out)


class PlaybackBuffer:
    """Thread-safe FIFO of interviewer audio at one sample rate, drained block by block."""

    def __init__(self, sample_rate: int, on_event: Callable[[str, int, float], None] | None = None):
        self.sample_rate = sample_rate
        self._pieces: deque[_Piece] = deque()
        self._lock = threading.Lock()
        self._logs: dict[int, UtteranceLog] = {}
        #: called (outside the lock) with ("start", utterance, t) and ("drained", -1, t)
        self.on_event = on_event
        self._queued_samples = 0
        self.idle = threading.Event()
        self.idle.set()
        #: (utterance, time) of the last audible sample played
        self._last_voice: tuple[int, float] | None = None

    # -- producer side
    def write(self, utterance: int, sentence: str, audio: AudioArray) -> None:
        """Queue one sentence of ``utterance`` (mono float32 at ``sample_rate``)."""
        if len(audio) == 0:
            return
        with self._lock:
            log = self._logs.setdefault(utterance, UtteranceLog(utterance))
            log.sentences.append(SentenceLog(sentence, 0, len(audio)))
            self._pieces.append(_Piece(utterance, sentence, np.asarray(audio, dtype=np.float32)))
            self._queued_samples += len(audio)
            self.idle.clear()

    def clear(self) -> list[int]:
        """Drop everything queued (barge-in). Returns the utterances that were cut."""
        with self._lock:
            cut = sorted({p.utterance for p in self._pieces})
            for u in cut:
                self._logs[u].interrupted = True
            self._pieces.clear()
            self._queued_samples = 0
            self.idle.set()
        return cut

    # -- consumer side (audio callback / link clock): must never block for long
    def read(self, n: int, now: float) -> AudioArray:
        """Take the next ``n`` samples (zero-padded); ``now`` is when the block starts playing."""
        out = np.zeros(n, dtype=np.float32)
        events: list[tuple[str, int, float]] = []
        with self._lock:
            filled = 0
            while filled < n and self._pieces:
                piece = self._pieces[0]
                log = self._logs[piece.utterance]
                take = min(n - filled, len(piece.audio) - piece.pos)
                chunk = piece.audio[piece.pos : piece.pos + take]
                out[filled : filled + take] = chunk
                self._track_voice(log, piece.sentence, chunk, now + filled / self.sample_rate)
                if log.first_sample_time is None:
                    log.first_sample_time = now + filled / self.sample_rate
                    events.append(("start", piece.utterance, log.first_sample_time))
                piece.pos += take
                filled += take
                self._queued_samples -= take
                for entry in log.sentences:
                    if entry.sentence == piece.sentence and entry.played < entry.total:
                        entry.played += take
                        break
                log.last_sample_time = now + filled / self.sample_rate
                if piece.pos >= len(piece.audio):
                    self._pieces.popleft()
            if not self._pieces and not self.idle.is_set():
                self.idle.set()
                events.append(("drained", -1, now + filled / self.sample_rate))
        if self.on_event is not None:
            for ev in events:
                self.on_event(*ev)
        return out

    def _track_voice(self, log: UtteranceLog, sentence: str, chunk: AudioArray, t0: float) -> None:
        """Sentence starts and the longest silence, from the audible samples of one chunk."""
        voiced = np.flatnonzero(np.abs(chunk) > VOICE_LEVEL)
        if len(voiced) == 0:
            return
        sr = self.sample_rate
        first = float(t0 + voiced[0] / sr)
        for entry in log.sentences:
            if entry.sentence == sentence and entry.start is None:
                entry.start = first
                break
        gaps = [float(np.diff(voiced).max()) / sr] if len(voiced) > 1 else []
        if self._last_voice is not None and self._last_voice[0] == log.utterance:
            gaps.append(first - self._last_voice[1])
        if gaps:
            log.max_silence = max(log.max_silence, *gaps)
        self._last_voice = (log.utterance, float(t0 + (voiced[-1] + 1) / sr))

    @property
    def busy(self) -> bool:
        return not self.idle.is_set()

    @property
    def queued_seconds(self) -> float:
        return self._queued_samples / self.sample_rate

    def log(self, utterance: int) -> UtteranceLog:
        with self._lock:
            return self._logs.setdefault(utterance, UtteranceLog(utterance))
