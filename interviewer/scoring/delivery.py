"""Delivery metrics from word timestamps: pace, fillers, hedges, pauses. Pure arithmetic.

Words the recogniser was unsure of (probability below :data:`MIN_PROBABILITY`) are never counted
against the speaker: a misheard "um" or "maybe" is the recogniser's fault, not theirs.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from interviewer.text import HESITATIONS
from interviewer.types import Word

__all__ = [
    "HEDGES",
    "LONG_PAUSE_S",
    "MIN_PROBABILITY",
    "Delivery",
    "delivery_metrics",
]

MIN_PROBABILITY = 0.4
LONG_PAUSE_S = 1.0

#: Multi-word hedges are matched as token sequences.
HEDGES: tuple[tuple[str, ...], ...] = (
    ("i", "think"),
    ("i", "guess"),
    ("maybe",),
    ("perhaps",),
    ("sort", "of"),
    ("kind", "of"),
    ("probably",),
)
# "what kind of index", "a sort of queue": a noun use, not a hedge.
_NOUN_DETERMINERS = frozenset({"what", "which", "this", "that", "a", "the", "any", "every", "some"})
# "you know how it works" is a real clause, "you know, it was hard" is a filler.
_KNOW_OBJECTS = frozenset(
    {"how", "what", "that", "the", "why", "where", "when", "which", "who", "if", "whether", "a"}
)
_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*$")


@dataclass(frozen=True)
class Delivery:
    """Delivery metrics of one answer. Rates are per minute of speaking time."""

    duration_s: float
    word_count: int
    words_per_minute: float
    hesitations: int  # um, uh
    discourse_fillers: int  # like, so, you know
    hesitations_per_minute: float
    discourse_fillers_per_minute: float
    hedges: int
    hedges_per_minute: float
    long_pauses_inside_sentence: int
    long_pauses_between_sentences: int
    longest_pause_s: float
    uncertain_words: int

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, floats rounded to 0.01."""
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(self).items()}


def _token(word: Word) -> str:
    return word.word.strip().strip(".,!?;:\"'()[]…").lower()


def _per_minute(count: int, seconds: float) -> float:
    return count * 60.0 / seconds if seconds > 0 else 0.0


def delivery_metrics(words: Sequence[Word]) -> Delivery:
    """Pace, fillers, hedges and long pauses of one answer's recognised words."""
    words = [w for w in words if _token(w) or w.word.strip()]
    if not words:
        return Delivery(0.0, 0, 0.0, 0, 0, 0.0, 0.0, 0, 0.0, 0, 0, 0.0, 0)
    duration = max(0.0, words[-1].end - words[0].start)
    tokens = [_token(w) for w in words]
    sure = [w.probability >= MIN_PROBABILITY for w in words]

    def starts_sentence(i: int) -> bool:
        return i == 0 or bool(_SENTENCE_END.search(words[i - 1].word.strip()))

    def comma_around(i: int) -> bool:
        before = i > 0 and words[i - 1].word.strip().endswith(",")
        return before or words[i].word.strip().endswith(",")

    hesitations = discourse = hedges = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        prev = tokens[i - 1] if i > 0 else ""
        if tok in HESITATIONS and sure[i]:
            hesitations += 1
        elif sure[i] and (
            (tok == "like" and (comma_around(i) or starts_sentence(i)))
            or (tok == "so" and starts_sentence(i))
        ):
            discourse += 1
        elif tok == "you" and nxt == "know" and all(sure[i : i + 2]):
            after = tokens[i + 2] if i + 2 < len(tokens) else ""
            if after not in _KNOW_OBJECTS:
                discourse += 1
                i += 2
                continue
        for hedge in HEDGES:
            n = len(hedge)
            if tuple(tokens[i : i + n]) != hedge or not all(sure[i : i + n]):
                continue
            if hedge[0] in ("sort", "kind") and prev in _NOUN_DETERMINERS:
                continue
            hedges += 1
            break
        i += 1

    inside = between = 0
    longest = 0.0
    for a, b in itertools.pairwise(words):
        gap = b.start - a.end
        longest = max(longest, gap)
        if gap >= LONG_PAUSE_S:
            if _SENTENCE_END.search(a.word.strip()):
                between += 1
            else:
                inside += 1
    return Delivery(
        duration_s=duration,
        word_count=len(words),
        words_per_minute=_per_minute(len(words), duration),
        hesitations=hesitations,
        discourse_fillers=discourse,
        hesitations_per_minute=_per_minute(hesitations, duration),
        discourse_fillers_per_minute=_per_minute(discourse, duration),
        hedges=hedges,
        hedges_per_minute=_per_minute(hedges, duration),
        long_pauses_inside_sentence=inside,
        long_pauses_between_sentences=between,
        longest_pause_s=max(0.0, longest),
        uncertain_words=sum(not s for s in sure),
    )
