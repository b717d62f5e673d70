"""Full-duplex audio ends: the virtual in-process link and the sound card.

Both drive the same two callbacks once per block: the interviewer's outgoing block is pulled
from a :class:`PlaybackBuffer`, the incoming (microphone) block is handed to ``on_input`` with
the time its last sample was captured, on the one monotonic clock every latency figure uses.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from interviewer.audio.playback import PlaybackBuffer
from interviewer.audio.recorder import StereoRecorder
from interviewer.errors import InterviewerError
from interviewer.types import SAMPLE_RATE, AudioArray

BLOCK = 512  # 32 ms at 16 kHz: the VAD frame, so one block is one VAD decision

InputCallback = Callable[[AudioArray, float], None]


class AudioDeviceError(InterviewerError):
    """A sound device is missing, busy or cannot be opened."""


class Duplex(Protocol):
    sample_rate: int
    block: int
    playback: PlaybackBuffer

    def start(self, on_input: InputCallback) -> None: ...

    def stop(self) -> None: ...


class CandidateEnd:
    """The simulated candidate's side of the virtual link: a mouth and an ear."""

    def __init__(self) -> None:
        self._mouth: deque[AudioArray] = deque()
        self._lock = threading.Lock()
        self._speaking = threading.Event()
        self.done_speaking = threading.Event()
        self.done_speaking.set()
        self.heard_until = 0.0  # last time the interviewer made a sound (link clock)

    def speak(self, audio: AudioArray) -> None:
        """Queue speech; it goes out block by block in real time."""
        with self._lock:
            for i in range(0, len(audio), BLOCK):
                block = np.zeros(BLOCK, dtype=np.float32)
                part = audio[i : i + BLOCK]
                block[: len(part)] = part
                self._mouth.append(block)
            self.done_speaking.clear()

    def stop_speaking(self) -> None:
        with self._lock:
            self._mouth.clear()
            self.done_speaking.set()

    def _next_block(self) -> AudioArray:
        with self._lock:
            if self._mouth:
                block = self._mouth.popleft()
                if not self._mouth:
                    self.done_speaking.set()
                return block
        return np.zeros(BLOCK, dtype=np.float32)


def run_clock(
    stop: threading.Event, period: float, realtime: bool, tick: Callable[[float, float], None]
) -> None:
    """Call ``tick(now, lag)`` once per ``period`` until ``stop`` (as fast as possible when not
    ``realtime``); ``lag`` is how late the tick is."""
    next_tick = time.monotonic()
    while not stop.is_set():
        now = time.monotonic()
        if realtime and now < next_tick:
            stop.wait(next_tick - now)
            continue
        tick(now, now - next_tick)
        next_tick += period
        # A stall (the machine was busy) must not be followed by a burst of catch-up ticks:
        # a sound card would have dropped those blocks too.
        if time.monotonic() - next_tick > 0.5:
            next_tick = time.monotonic()


class VirtualDuplexLink:
    """An in-process duplex 'sound card' that connects the interviewer to a simulated candidate.

    One thread ticks every block in real time, like a sound card's clock: it plays the
    interviewer's next block to the candidate, takes the candidate's next block as microphone
    input, and records both. Nothing else runs on that thread, so the clock stays steady.
    """

    def __init__(self, recorder: StereoRecorder | None = None, *, realtime: bool = True) -> None:
        self.sample_rate = SAMPLE_RATE
        self.block = BLOCK
        self.playback = PlaybackBuffer(SAMPLE_RATE)
        self.candidate = CandidateEnd()
        self.recorder = recorder
        self.realtime = realtime
        self.start_time = 0.0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.ticks = 0
        self.max_lag = 0.0

    def start(self, on_input: InputCallback) -> None:
        if self._thread is not None:
            raise RuntimeError("link already started")
        self.start_time = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, args=(on_input,), name="link", daemon=True
        )
        self._thread.start()

    def _run(self, on_input: InputCallback) -> None:
        period = self.block / self.sample_rate

        def tick(now: float, lag: float) -> None:
            self.max_lag = max(self.max_lag, lag)
            out = self.playback.read(self.block, now)
            if np.any(out):
                self.candidate.heard_until = now + period
            mic = self.candidate._next_block()
            if self.recorder is not None:
                self.recorder.write(out, mic)
            # the block handed over now is what was "captured" during the last period
            on_input(mic, now)
            self.ticks += 1

        run_clock(self._stop, period, self.realtime, tick)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)


class WavFileSource(VirtualDuplexLink):
    """A recorded answer as the microphone: the file is "spoken" in real time from the start.

    What the interviewer says goes nowhere but the recording; useful to run the pipeline on
    real speech without a sound card (tests, benchmarks, batch processing of answers).
    """

    def __init__(
        self, path: Path, recorder: StereoRecorder | None = None, *, lead_in_s: float = 0.5
    ):
        super().__init__(recorder)
        from interviewer.audio.io import load_audio

        audio = load_audio(path)
        self.candidate.speak(
            np.concatenate([np.zeros(int(lead_in_s * SAMPLE_RATE), np.float32), audio])
        )


class SoundDeviceDuplex:
    """Microphone and speakers through PortAudio (sounddevice), one duplex stream."""

    def __init__(
        self,
        input_device: int | str | None = None,
        output_device: int | str | None = None,
        recorder: StereoRecorder | None = None,
    ) -> None:
        self.sample_rate = SAMPLE_RATE
        self.block = BLOCK
        self.playback = PlaybackBuffer(SAMPLE_RATE)
        self.recorder = recorder
        self._devices = (input_device, output_device)
        self._stream: object | None = None
        self.start_time = 0.0

    def start(self, on_input: InputCallback) -> None:
        sd = import_sounddevice()
        recorder = self.recorder

        def callback(indata, outdata, frames, time_info, status):  # type: ignore[no-untyped-def]
            now = time.monotonic()
            out = self.playback.read(frames, now)
            outdata[:, 0] = out
            mic = indata[:, 0].astype(np.float32, copy=True)
            if recorder is not None:
                recorder.write(out, mic)
            on_input(mic, now)

        try:
            stream = sd.Stream(
                samplerate=self.sample_rate,
                blocksize=self.block,
                channels=1,
                dtype="float32",
                device=self._devices,
                callback=callback,
            )
            stream.start()
        except Exception as exc:  # PortAudioError, ValueError for unknown device names
            raise AudioDeviceError(
                f"cannot open audio devices (input={self._devices[0]}, output={self._devices[1]}): "
                f"{exc}; see `interviewer devices`"
            ) from exc
        self.start_time = time.monotonic()
        self._stream = stream

    def stop(self) -> None:
        stream = self._stream
        self._stream = None
        if stream is not None:
            stream.stop()  # type: ignore[attr-defined]
            stream.close()  # type: ignore[attr-defined]


def import_sounddevice():  # type: ignore[no-untyped-def]
    """Import sounddevice, turning a missing PortAudio library into a one-line fix."""
    try:
        import sounddevice as sd
    except OSError as exc:
        raise AudioDeviceError(
            "PortAudio is not installed (sounddevice needs it): "
            "sudo apt-get install libportaudio2, or use `--text` / `interviewer demo`"
        ) from exc
    return sd


def list_devices() -> list[dict[str, object]]:
    sd = import_sounddevice()
    devices = []
    for idx, dev in enumerate(sd.query_devices()):
        devices.append(
            {
                "index": idx,
                "name": dev["name"],
                "inputs": dev["max_input_channels"],
                "outputs": dev["max_output_channels"],
                "default_rate": dev["default_samplerate"],
            }
        )
    return devices
