"""One small Protocol per engine.

The pipeline, the interview logic and the CLI talk to these protocols only; the real engines
(silero_vad, whisper_stt, llama_llm, piper_tts) and the scripted fakes (fakes.py) implement them.
Engines do no work in their constructors beyond loading their model: nothing starts threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from interviewer.types import AudioArray, AudioChunk, ChatMessage, LLMResult, Transcript

#: Silero VAD works on fixed frames of 512 samples at 16 kHz (32 ms).
VAD_FRAME_SAMPLES = 512


@runtime_checkable
class VAD(Protocol):
    """Voice activity detection on 16 kHz mono float32 frames."""

    frame_samples: int

    def speech_prob(self, frame: AudioArray) -> float:
        """Probability in [0, 1] that ``frame`` (exactly ``frame_samples`` long) holds speech.

        Stateful: frames must be fed in order; call :meth:`reset` between streams.
        """
        ...

    def reset(self) -> None:
        """Forget the recurrent state, before a new, unrelated stream."""
        ...


@runtime_checkable
class STT(Protocol):
    """Speech to text on 16 kHz mono float32 audio."""

    model_id: str

    def transcribe(
        self,
        audio: AudioArray,
        *,
        word_timestamps: bool = True,
        beam_size: int = 1,
        initial_prompt: str | None = None,
    ) -> Transcript:
        """Transcribe ``audio`` whole. Empty or silent audio gives an empty text, not an error."""
        ...


@runtime_checkable
class LLM(Protocol):
    """A local language model that streams tokens and can be held to a JSON schema."""

    model_id: str

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
        """Yield text pieces as they are generated.

        A plain string is used as a raw completion prompt; a list of messages goes through the
        model's chat template. Generation ends early, cleanly, once ``stop_event`` is set.
        """
        ...

    def complete_json(
        self,
        prompt: str | Sequence[ChatMessage],
        schema: Mapping[str, Any],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> dict[str, Any]:
        """Generate under a grammar built from ``schema``; return the parsed object.

        Raises :class:`interviewer.errors.ModelError` if the output is not valid JSON for the
        schema (possible when ``max_tokens`` cuts it short); callers fall back to rules.
        """
        ...

    @property
    def last_result(self) -> LLMResult | None:
        """Counters of the last finished call (prompt tokens, reused prefix tokens, ...)."""
        ...


@runtime_checkable
class TTS(Protocol):
    """Text to speech, one audio chunk per sentence."""

    model_id: str
    sample_rate: int

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        """Yield one chunk per sentence of ``text``, as soon as each is ready."""
        ...
