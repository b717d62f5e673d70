"""Word error rate with Whisper-style normalisation (case, punctuation, spelled numbers)."""

from __future__ import annotations

import re

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SPELLING = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint", "ok": "okay"}


def _number_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + _number_words(rest))
    return " ".join(_ONES[int(d)] for d in str(n))


def normalize_text(text: str) -> str:
    """Lower-case, spell out numbers below 1000, drop punctuation, collapse spaces.

    Whisper writes "10 meters" where a reference says "ten meters", and references differ in
    case and punctuation; without this, WER would count formatting as recognition errors.
    """
    t = text.lower().replace("’", "'")
    t = re.sub(r"(?<=\d),(?=\d{3})", "", t)
    t = re.sub(r"\d+", lambda m: _number_words(int(m.group())), t)
    t = re.sub(r"[^\w\s']", " ", t)
    t = re.sub(r"(?<!\w)'|'(?!\w)", " ", t)
    words = [_SPELLING.get(w, w) for w in t.split()]
    return " ".join(words)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER after :func:`normalize_text` on both sides (1.0 for an empty hypothesis)."""
    import jiwer

    ref = normalize_text(reference)
    hyp = normalize_text(hypothesis)
    if not ref:
        raise ValueError("reference transcript is empty after normalisation")
    if not hyp:
        return 1.0
    return float(jiwer.wer(ref, hyp))


def corpus_word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Word errors over all pairs divided by all reference words: one long answer weighs more
    than a short one, and a single slip in a short one cannot dominate."""
    import jiwer

    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    refs = [normalize_text(r) for r in references]
    if not all(refs):
        raise ValueError("a reference transcript is empty after normalisation")
    return float(jiwer.wer(refs, [normalize_text(h) for h in hypotheses]))
