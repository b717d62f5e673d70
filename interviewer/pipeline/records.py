"""What the runner records: one answer's record for the store, its latency marks, the turns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from interviewer.types import LATENCY_FIELDS, Word


@dataclass(frozen=True)
class ExchangeRecord:
    """One candidate answer and what it answered: what ``on_exchange`` hands to the store.

    Built by the runner once the reply is audible (so ``latency`` is complete), and by the text
    mode for a typed answer (no audio, no latency).
    """

    #: the interviewer's words the answer follows, as heard (None before any question)
    question: str | None
    answer: str
    question_id: str | None = None
    is_follow_up: bool = False
    #: the interviewer reply kind that asked it (``question``, ``follow_up``, ``prompt`` ...)
    kind: str = "question"
    #: word timings from the full pass, relative to the start of the answer's audio
    words: tuple[Word, ...] = ()
    #: where the answer lies in the conversation recording, in seconds
    audio_start: float | None = None
    audio_end: float | None = None
    #: the latency marks relative to the conversation start (``LATENCY_FIELDS``)
    latency: Mapping[str, float | None] = field(default_factory=dict)
    #: the streamed text the interviewer acted on, when the full pass heard it differently
    answer_streamed: str | None = None
    timed_out: bool = False
    #: some of the answer was said while the interviewer was speaking
    overlapping: bool = False

    def word_dicts(self) -> list[dict[str, Any]]:
        """``{"word", "start", "end", "probability"}`` per word: the store's shape."""
        return [asdict(w) for w in self.words]

    def to_json(self) -> dict[str, Any]:
        """The record as plain JSON types (the keys the untyped record always had)."""
        doc: dict[str, Any] = {
            "question": self.question,
            "question_id": self.question_id,
            "is_follow_up": self.is_follow_up,
            "kind": self.kind,
            "answer": self.answer,
            "words": self.word_dicts(),
            "audio_start": self.audio_start,
            "audio_end": self.audio_end,
            "latency": dict(self.latency),
        }
        if self.answer_streamed is not None:
            doc["answer_streamed"] = self.answer_streamed
        if self.timed_out:
            doc["timed_out"] = True
        if self.overlapping:
            doc["overlapping"] = True
        return doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ExchangeRecord:
        """The record back from :meth:`to_json` (e.g. after its strings were cleaned)."""
        return cls(
            question=doc.get("question"),
            answer=str(doc.get("answer") or ""),
            question_id=doc.get("question_id"),
            is_follow_up=bool(doc.get("is_follow_up")),
            kind=str(doc.get("kind") or "question"),
            words=tuple(Word(**w) for w in doc.get("words") or ()),
            audio_start=doc.get("audio_start"),
            audio_end=doc.get("audio_end"),
            latency=dict(doc.get("latency") or {}),
            answer_streamed=doc.get("answer_streamed"),
            timed_out=bool(doc.get("timed_out")),
            overlapping=bool(doc.get("overlapping")),
        )


@dataclass
class Exchange:
    """One answer -> reply exchange, times in seconds on the monotonic clock."""

    speech_end: float | None = None
    endpoint: float | None = None
    stt_final: float | None = None
    llm_first_token: float | None = None
    first_sentence: float | None = None
    tts_first_audio: float | None = None
    playback_start: float | None = None
    reply_kind: str = ""
    timed_out: bool = False
    #: first audio of the reply's substance: the follow-up or next question, not the "Thanks."
    question_start: float | None = None
    #: "follow_up" | "question" (what the substance was), "" when the reply asked nothing
    substance_kind: str = ""
    #: the longest silence between two audible stretches of the reply (seconds)
    max_silence: float | None = None

    @property
    def substance(self) -> float | None:
        """What the candidate waits for: their last word to the first word of the question."""
        if self.question_start is None or self.speech_end is None:
            return None
        return self.question_start - self.speech_end

    @property
    def voice_to_voice(self) -> float | None:
        if self.playback_start is None or self.speech_end is None:
            return None
        return self.playback_start - self.speech_end

    @property
    def response(self) -> float | None:
        if self.playback_start is None or self.endpoint is None:
            return None
        return self.playback_start - self.endpoint

    def relative(self, t0: float) -> dict[str, float | None]:
        return {
            k: (None if v is None else round(v - t0, 4))
            for k, v in asdict(self).items()
            if k in LATENCY_FIELDS
        }

    def substance_marks(self, t0: float) -> dict[str, Any]:
        """``question_start`` (conversation time), ``substance_ms`` and ``max_silence_ms``."""

        def ms(value: float | None) -> float | None:
            return None if value is None else round(1000 * value, 1)

        return {
            "question_start": None
            if self.question_start is None
            else round(self.question_start - t0, 4),
            "substance_kind": self.substance_kind or None,
            "substance_ms": ms(self.substance),
            "max_silence_ms": ms(self.max_silence),
        }


@dataclass
class TurnLog:
    speaker: str  # "interviewer" | "candidate"
    text: str
    start: float
    end: float
    kind: str = ""
    question_id: str | None = None
    words: list[Word] = field(default_factory=list)
    interrupted: bool = False
    #: a candidate turn (partly) said while the interviewer was speaking
    overlapping: bool = False


def percentiles_ms(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None}
    arr = np.asarray(values) * 1000.0
    return {
        "p50": round(float(np.percentile(arr, 50)), 1),
        "p95": round(float(np.percentile(arr, 95)), 1),
    }


def transcript_doc(
    turns: list[TurnLog], exchanges: list[Exchange], t0: float, stats: dict[str, Any]
) -> dict[str, Any]:
    """The ``transcript.json`` document: turns, per-exchange latency and its summary, ``stats``.

    Times are relative to ``t0``, the conversation's start; exchanges that timed out (no
    answer) have no latency and are left out.
    """
    answered = [e for e in exchanges if not e.timed_out]
    v2v = [e.voice_to_voice for e in answered if e.voice_to_voice is not None]
    resp = [e.response for e in answered if e.response is not None]
    return {
        "turns": [
            {
                "speaker": t.speaker,
                "text": t.text,
                "start": round(t.start, 3),
                "end": round(t.end, 3),
            }
            | ({"interrupted": True} if t.interrupted else {})
            | ({"overlapping": True} if t.overlapping else {})
            for t in turns
        ],
        "latency": {
            "exchanges": [e.relative(t0) | e.substance_marks(t0) for e in answered],
            "summary": {
                "voice_to_voice_ms": percentiles_ms(v2v),
                "response_ms": percentiles_ms(resp),
                **substance_summary(answered),
            },
        },
        "stats": stats,
    }


def substance_summary(exchanges: list[Exchange]) -> dict[str, Any]:
    """``substance_ms`` (p50/p95, all and per kind) and the longest silence in a turn."""
    out: dict[str, Any] = {}
    for kind in ("", "follow_up", "question"):
        values = [
            e.substance
            for e in exchanges
            if e.substance is not None and (not kind or e.substance_kind == kind)
        ]
        out["substance_ms" if not kind else f"substance_{kind}_ms"] = percentiles_ms(values)
    silences = [e.max_silence for e in exchanges if e.max_silence is not None]
    out["max_silence_ms"] = percentiles_ms(silences) | {
        "max": round(1000 * max(silences), 1) if silences else None
    }
    return out
