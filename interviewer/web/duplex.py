"""The browser as a duplex audio end: microphone in and voice out over one WebSocket.

The runner expects a sound card: a clock that ticks every 32 ms block, pulls the interviewer's
next block from a :class:`PlaybackBuffer` and hands over one microphone block. Network delivery
is bursty and a browser tab may send nothing at all (no microphone, typed answers only), so the
clock here is the server's own, like :class:`~interviewer.audio.duplex.VirtualDuplexLink`: the
browser's blocks wait in a small jitter buffer and each tick takes one (silence when none came),
and each tick's interviewer block goes out at once, so the browser plays it as it is
synthesized and the playback accounting (what was heard, barge-in cuts) stays true.

Wire format both ways: 16 kHz mono signed 16-bit little-endian PCM, any length per message.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np

from interviewer.audio.duplex import BLOCK, InputCallback, run_clock
from interviewer.audio.playback import PlaybackBuffer
from interviewer.types import SAMPLE_RATE, AudioArray

#: Blocks the jitter buffer holds at most (0.5 s): more means the browser is ahead of the clock
#: (a burst after a stall), and the oldest go, rather than the answer lagging for the whole turn.
MAX_INPUT_BLOCKS = 16
#: After running dry, wait for this many blocks before taking again, so one late message does
#: not turn into a gap in every following block.
PRIME_BLOCKS = 2


def pcm16_to_float(data: bytes) -> AudioArray:
    """Little-endian int16 PCM -> float32 in [-1, 1); a trailing odd byte is ignored."""
    n = len(data) // 2
    return np.frombuffer(data[: n * 2], dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm16(audio: AudioArray) -> bytes:
    clipped = np.clip(audio, -1.0, 32767.0 / 32768.0)
    return (clipped * 32768.0).astype("<i2").tobytes()


class WebSocketDuplex:
    """A duplex end whose microphone is fed by :meth:`feed` and whose speaker is ``send``."""

    def __init__(self, send: Callable[[bytes], None], *, realtime: bool = True) -> None:
        self.sample_rate = SAMPLE_RATE
        self.block = BLOCK
        self.playback = PlaybackBuffer(SAMPLE_RATE)
        self.start_time = 0.0
        self.realtime = realtime
        self._send = send
        self._lock = threading.Lock()
        self._blocks: deque[AudioArray] = deque()
        self._partial = np.zeros(0, dtype=np.float32)
        self._primed = False
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.ticks = 0
        self.received_samples = 0
        #: microphone blocks dropped because the browser ran ahead, and ticks with none to take
        self.dropped_blocks = 0
        self.starved_ticks = 0
        #: sees every microphone block the clock hands over (screening keeps them per answer)
        self.tap: Callable[[AudioArray, float], None] | None = None

    # ------------------------------------------------------------------ from the browser
    def feed(self, data: bytes) -> None:
        """Microphone audio as it arrives (any length); cut into blocks for the clock."""
        audio = pcm16_to_float(data)
        if not len(audio):
            return
        with self._lock:
            self.received_samples += len(audio)
            buf = np.concatenate([self._partial, audio]) if len(self._partial) else audio
            whole = len(buf) // self.block * self.block
            for i in range(0, whole, self.block):
                self._blocks.append(buf[i : i + self.block].copy())
            self._partial = buf[whole:].copy()
            while len(self._blocks) > MAX_INPUT_BLOCKS:
                self._blocks.popleft()
                self.dropped_blocks += 1

    def _next_input(self) -> AudioArray:
        with self._lock:
            if not self._primed and len(self._blocks) >= PRIME_BLOCKS:
                self._primed = True
            if self._primed and self._blocks:
                return self._blocks.popleft()
            if self._primed:
                self._primed = False
            self.starved_ticks += 1
        return np.zeros(self.block, dtype=np.float32)

    # ------------------------------------------------------------------ the clock
    def start(self, on_input: InputCallback) -> None:
        if self._thread is not None:
            raise RuntimeError("duplex already started")
        self.start_time = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, args=(on_input,), name="web-duplex", daemon=True
        )
        self._thread.start()

    def tick(self, on_input: InputCallback, now: float) -> None:
        """One block: the interviewer's next block out, one microphone block in."""
        out = self.playback.read(self.block, now)
        if np.any(out):
            # silence is not sent: the browser plays what comes, and a gap is a gap
            self._send(float_to_pcm16(out))
        block = self._next_input()
        if self.tap is not None:
            self.tap(block, now)
        on_input(block, now)
        self.ticks += 1

    def _run(self, on_input: InputCallback) -> None:
        run_clock(
            self._stop,
            self.block / self.sample_rate,
            self.realtime,
            lambda now, _lag: self.tick(on_input, now),
        )

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
