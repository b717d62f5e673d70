"""The conversation recording: one stereo WAV, interviewer left, candidate right."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import soundfile as sf

from interviewer.types import AudioArray


class StereoRecorder:
    """Streams blocks to disk as they come, so a long interview never sits in memory.

    The file is valid after every flush (libsndfile rewrites the header), so Ctrl-C or a crash
    leaves a playable recording of everything up to the last second.
    """

    def __init__(self, path: Path, sample_rate: int, flush_seconds: float = 1.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.sample_rate = sample_rate
        self._file = sf.SoundFile(str(path), "w", sample_rate, 2, "PCM_16")
        self._pending: list[np.ndarray] = []
        self._pending_n = 0
        self._flush_n = int(flush_seconds * sample_rate)
        self._lock = threading.Lock()
        self.frames_written = 0
        self._closed = False

    def write(self, left: AudioArray, right: AudioArray) -> None:
        if self._closed:
            return
        block = np.stack([left, right], axis=1).astype(np.float32)
        with self._lock:
            self._pending.append(np.clip(block, -1.0, 1.0))
            self._pending_n += len(block)
            if self._pending_n >= self._flush_n:
                self._flush_locked()

    def _flush_locked(self) -> None:
        if self._pending:
            data = np.concatenate(self._pending)
            self._file.write(data)
            self._file.flush()
            self.frames_written += len(data)
            self._pending.clear()
            self._pending_n = 0

    @property
    def seconds(self) -> float:
        return (self.frames_written + self._pending_n) / self.sample_rate

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._flush_locked()
            self._file.close()
            self._closed = True
