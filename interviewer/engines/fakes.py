"""Scripted fakes of the four engines, for testing the logic around them without models.

They implement the same protocols as the real engines and pass the same protocol tests; what
they return is scripted by the test (or derived simply from the input), never a model's guess.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from interviewer.engines.base import VAD_FRAME_SAMPLES
from interviewer.errors import ModelError
from interviewer.text import split_sentences
from interviewer.types import (
    SAMPLE_RATE,
    AudioArray,
    AudioChunk,
    ChatMessage,
    LLMResult,
    Segment,
    Transcript,
    Word,
)


class FakeVAD:
    """Scripted probabilities, or (without a script) loudness: RMS above ``threshold`` is speech."""

    frame_samples = VAD_FRAME_SAMPLES

    def __init__(self, probs: Iterable[float] | None = None, threshold: float = 0.01) -> None:
        self.model_id = "fake-vad"
        self._script = list(probs) if probs is not None else None
        self._queue: deque[float] = deque(self._script or [])
        self.threshold = threshold
        self.frames_seen = 0

    def speech_prob(self, frame: AudioArray) -> float:
        if len(frame) != self.frame_samples:
            raise ValueError(f"VAD frames must be {self.frame_samples} samples, got {len(frame)}")
        self.frames_seen += 1
        if self._script is not None:
            return self._queue.popleft() if self._queue else 0.0
        rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64))))
        return 1.0 if rms >= self.threshold else 0.0

    def reset(self) -> None:
        self._queue = deque(self._script or [])


class FakeSTT:
    """Returns scripted texts in order (the last one repeats), words spread over the audio."""

    def __init__(
        self,
        texts: Sequence[str] | Callable[[AudioArray], str] = ("hello world",),
        *,
        silence_rms: float = 1e-4,
    ) -> None:
        self.model_id = "fake-stt"
        self._texts = texts
        self._calls = 0
        self._silence_rms = silence_rms
        self.calls: list[int] = []  # audio lengths seen, for assertions on call planning

    def transcribe(
        self,
        audio: AudioArray,
        *,
        word_timestamps: bool = True,
        beam_size: int = 1,
        initial_prompt: str | None = None,
        hotwords: str | None = None,
    ) -> Transcript:
        self.calls.append(len(audio))
        duration = len(audio) / SAMPLE_RATE
        if len(audio) == 0 or float(np.sqrt(np.mean(np.square(audio)))) < self._silence_rms:
            return Transcript(text="", segments=(), duration=duration)
        if callable(self._texts):
            text = self._texts(audio)
        else:
            text = self._texts[min(self._calls, len(self._texts) - 1)]
        self._calls += 1
        tokens = text.split()
        words: tuple[Word, ...] = ()
        if word_timestamps and tokens:
            step = duration / len(tokens)
            words = tuple(
                Word(word=t, start=i * step, end=(i + 1) * step, probability=0.9)
                for i, t in enumerate(tokens)
            )
        seg = Segment(start=0.0, end=duration, text=text, words=words, no_speech_prob=0.01)
        return Transcript(text=text, segments=(seg,), duration=duration)


class FakeLLM:
    """Streams scripted replies word by word; JSON replies come from ``json_replies``.

    ``token_delay`` (seconds) slows the stream so tests can stop it half-way.
    """

    def __init__(
        self,
        replies: Sequence[str] = ("Thank you. Could you tell me more?",),
        *,
        json_replies: Sequence[Mapping[str, Any]] = (),
        token_delay: float = 0.0,
    ) -> None:
        self.model_id = "fake-llm"
        self._replies = list(replies)
        self._json = [dict(r) for r in json_replies]
        self._n = 0
        self._nj = 0
        self._delay = token_delay
        self._last: LLMResult | None = None
        self._held: list[str] = []
        self.prompts: list[str | Sequence[ChatMessage]] = []

    @staticmethod
    def _tokens(prompt: str | Sequence[ChatMessage]) -> list[str]:
        if isinstance(prompt, str):
            return prompt.split()
        return [w for m in prompt for w in (f"<{m.role}>", *m.content.split())]

    def _reuse(self, tokens: list[str]) -> int:
        n = 0
        for a, b in zip(self._held, tokens[:-1], strict=False):
            if a != b:
                break
            n += 1
        self._held = tokens
        return n

    def stream(
        self,
        prompt: str | Sequence[ChatMessage],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        stop_event: threading.Event | None = None,
        seed: int = 0,
    ) -> Iterator[str]:
        self.prompts.append(prompt)
        tokens = self._tokens(prompt)
        reused = self._reuse(tokens)
        reply = self._replies[min(self._n, len(self._replies) - 1)]
        self._n += 1
        for s in stop:
            if s and s in reply:
                reply = reply[: reply.index(s)]
        out: list[str] = []
        stopped = False
        for i, word in enumerate(reply.split(" ")[:max_tokens]):
            if stop_event is not None and stop_event.wait(self._delay):
                stopped = True
                break
            if stop_event is None and self._delay:
                threading.Event().wait(self._delay)
            piece = word if i == 0 else " " + word
            out.append(piece)
            yield piece
        self._last = LLMResult(
            text="".join(out),
            prompt_tokens=len(tokens),
            completion_tokens=len(out),
            reused_prompt_tokens=reused,
            stopped=stopped,
        )

    def complete_json(
        self,
        prompt: str | Sequence[ChatMessage],
        schema: Mapping[str, Any],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> dict[str, Any]:
        import jsonschema

        self.prompts.append(prompt)
        tokens = self._tokens(prompt)
        reused = self._reuse(tokens)
        if not self._json:
            raise ModelError("fake-llm: no scripted JSON reply")
        value = self._json[min(self._nj, len(self._json) - 1)]
        self._nj += 1
        text = json.dumps(value)
        self._last = LLMResult(text, len(tokens), len(text.split()), reused)
        try:
            jsonschema.validate(value, schema)
        except jsonschema.ValidationError as exc:
            raise ModelError(f"fake-llm: output breaks the schema: {exc.message}") from exc
        return value

    @property
    def last_result(self) -> LLMResult | None:
        return self._last


class FakeTTS:
    """A quiet tone per sentence, 60 ms per character, so durations follow the text."""

    def __init__(self, sample_rate: int = 22_050, seconds_per_char: float = 0.06) -> None:
        self.model_id = "fake-tts"
        self.sample_rate = sample_rate
        self._spc = seconds_per_char
        self.spoken: list[str] = []

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        for sentence in split_sentences(text):
            self.spoken.append(sentence)
            n = max(1, int(len(sentence) * self._spc * self.sample_rate))
            t = np.arange(n, dtype=np.float32) / self.sample_rate
            audio = (0.2 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
            yield AudioChunk(audio=audio, sample_rate=self.sample_rate, text=sentence)
