"""Each answer's audio kept as a WAV file, for a reviewer to listen to (screening mode).

The browser's microphone blocks reach the runner through the duplex clock; :class:`MicTape`
keeps a copy of them with their capture times. When an answer is stored, its stretch
(``audio_start``..``audio_end`` on the conversation clock, padded a little so the first and last
words are not clipped) is cut from the tape and written where the caller says. Only the
candidate's side is kept: the interviewer's voice is the same synthetic text for everyone.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from pathlib import Path

import numpy as np

from interviewer.audio.io import write_wav
from interviewer.pipeline.records import ExchangeRecord
from interviewer.types import SAMPLE_RATE, AudioArray

log = logging.getLogger(__name__)

#: Seconds kept before the speech start and after its end (the VAD marks speech a little late).
PAD_S = 0.3
#: The tape holds at most this much audio (about 19 MB as int16): an answer longer than this
#: keeps its last part only.
KEEP_S = 600.0


class MicTape:
    """Microphone blocks with their capture times (the block's last sample), on any thread."""

    def __init__(self, sample_rate: int = SAMPLE_RATE, keep_s: float = KEEP_S) -> None:
        self.sample_rate = sample_rate
        self.keep_s = keep_s
        self._lock = threading.Lock()
        self._blocks: deque[tuple[float, np.ndarray]] = deque()
        self._samples = 0

    def add(self, block: AudioArray, t: float) -> None:
        pcm = (np.clip(block, -1.0, 32767.0 / 32768.0) * 32768.0).astype(np.int16)
        with self._lock:
            self._blocks.append((t, pcm))
            self._samples += len(pcm)
            while self._samples > self.keep_s * self.sample_rate and self._blocks:
                _, old = self._blocks.popleft()
                self._samples -= len(old)

    def clip(self, start: float, end: float) -> AudioArray:
        """The audio captured between ``start`` and ``end`` (monotonic seconds)."""
        with self._lock:
            pieces = []
            for t_end, pcm in self._blocks:
                t_start = t_end - len(pcm) / self.sample_rate
                if t_end <= start or t_start >= end:
                    continue
                a = max(0, round((start - t_start) * self.sample_rate))
                b = min(len(pcm), round((end - t_start) * self.sample_rate))
                pieces.append(pcm[a:b])
        if not pieces:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(pieces).astype(np.float32) / 32768.0

    def forget_before(self, t: float) -> None:
        with self._lock:
            while self._blocks and self._blocks[0][0] < t:
                _, old = self._blocks.popleft()
                self._samples -= len(old)


def save_answer(tape: MicTape, t0: float, record: ExchangeRecord, path: Path) -> Path | None:
    """Write the answer's audio to ``path`` (atomically); None for a typed or empty answer."""
    if record.audio_start is None or record.audio_end is None:
        return None
    start = t0 + record.audio_start - PAD_S
    end = t0 + record.audio_end + PAD_S
    audio = tape.clip(start, end)
    if not len(audio):
        return None
    tmp = path.with_name(path.name + ".part.wav")
    write_wav(tmp, audio, tape.sample_rate)
    os.replace(tmp, path)
    # what came before this answer's end is not needed again (a continued answer re-cuts from
    # its own start, which is never before the previous answer's end)
    tape.forget_before(start)
    return path
