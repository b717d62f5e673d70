"""Frozen value types that flow between engines and the pipeline (no engine imports here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

#: Every engine that takes audio takes mono float32 at this rate.
SAMPLE_RATE = 16_000

AudioArray = npt.NDArray[np.float32]

#: The latency vocabulary (DESIGN.md): per exchange, in order, on one monotonic clock.
LATENCY_FIELDS = (
    "speech_end",
    "endpoint",
    "stt_final",
    "llm_first_token",
    "first_sentence",
    "tts_first_audio",
    "playback_start",
)


@dataclass(frozen=True)
class Word:
    """One recognised word with its time span (seconds from the start of the audio)."""

    word: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Segment:
    """A stretch of recognised speech."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0


@dataclass(frozen=True)
class Transcript:
    """What an STT engine returns for one piece of audio."""

    text: str
    segments: tuple[Segment, ...]
    duration: float
    language: str = "en"

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.segments for w in s.words)

    @property
    def no_speech_prob(self) -> float:
        """The highest no-speech probability over the segments (1.0 when nothing was heard)."""
        if not self.segments:
            return 1.0
        return max(s.no_speech_prob for s in self.segments)

    def to_json(self) -> dict[str, Any]:
        """The shape ``interviewer transcribe --json`` prints."""
        return {
            "text": self.text,
            "duration": round(self.duration, 3),
            "segments": [
                {
                    "start": round(s.start, 3),
                    "end": round(s.end, 3),
                    "text": s.text,
                    "no_speech_prob": round(s.no_speech_prob, 4),
                    "words": [
                        {
                            k: (round(v, 4) if isinstance(v, float) else v)
                            for k, v in asdict(w).items()
                        }
                        for w in s.words
                    ],
                }
                for s in self.segments
            ],
        }


@dataclass(frozen=True)
class AudioChunk:
    """A piece of synthesized speech: one sentence, mono float32 in [-1, 1]."""

    audio: AudioArray
    sample_rate: int
    text: str = ""

    @property
    def duration(self) -> float:
        return len(self.audio) / float(self.sample_rate)


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class LLMResult:
    """A finished generation, with the counters the benchmarks and tests read."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    #: prompt tokens whose KV state was reused from the previous call (prefix cache hit)
    reused_prompt_tokens: int = 0
    stopped: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
