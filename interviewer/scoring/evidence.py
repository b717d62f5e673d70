"""Evidence: verbatim pieces of the candidate's answer, never paraphrases.

Everything a score shows as evidence must be a substring of what the candidate said. A model's
quotes are checked here after folding case and whitespace (a model rarely copies spacing
exactly), and each accepted quote is mapped back to the answer's own spelling and casing, so
the report never puts words in the candidate's mouth. A criterion with nothing verified gets
:data:`INSUFFICIENT`, not a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = [
    "INSUFFICIENT",
    "MIN_QUOTE_WORDS",
    "find_evidence",
    "locate",
    "sentence_spans",
    "verify_quotes",
]

#: The evidence of a criterion for which nothing in the answer could be verified.
INSUFFICIENT = "insufficient evidence"
#: A quote must hold at least this many words: "I" or "5" proves nothing about an answer.
MIN_QUOTE_WORDS = 2

_QUOTE_CHARS = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*(?=\s|$)|\n+")


def _fold(text: str) -> tuple[str, list[int]]:
    """Lower-cased text with whitespace runs as one space, and each character's source index."""
    out: list[str] = []
    index: list[int] = []
    space = False
    for i, ch in enumerate(text.translate(_QUOTE_CHARS)):
        if ch.isspace():
            space = bool(out)
            continue
        if space:
            out.append(" ")
            index.append(i)
            space = False
        for low in ch.lower():
            out.append(low)
            index.append(i)
    return "".join(out), index


def locate(answer: str, quote: str) -> tuple[int, int] | None:
    """The span of ``answer`` that ``quote`` matches after folding case and whitespace."""
    folded_quote, _ = _fold(quote.translate(_QUOTE_CHARS).strip().strip("\"'").strip())
    if not folded_quote:
        return None
    folded, index = _fold(answer)
    at = folded.find(folded_quote)
    if at < 0:
        return None
    start = index[at]
    end = index[at + len(folded_quote) - 1] + 1
    return start, end


def verify_quotes(
    answer: str, quotes: Iterable[object], *, exclude: Sequence[tuple[int, int]] = ()
) -> list[str]:
    """The quotes that really occur in ``answer``, in the answer's own spelling.

    Non-strings, quotes of fewer than :data:`MIN_QUOTE_WORDS` words, quotes that overlap a span
    in ``exclude`` (text addressed to the grader) and duplicates are dropped.
    """
    out: list[str] = []
    for quote in quotes:
        if not isinstance(quote, str) or len(_WORD.findall(quote)) < MIN_QUOTE_WORDS:
            continue
        span = locate(answer, quote)
        if span is None or any(span[0] < e and s < span[1] for s, e in exclude):
            continue
        text = answer[span[0] : span[1]]
        if text not in out:
            out.append(text)
    return out


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, trimmed of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        piece = text[s:e]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if e - trail > s + lead:
            out.append((s + lead, e - trail))
    return out


def find_evidence(answer: str, keywords: Iterable[str], *, limit: int = 2) -> list[str]:
    """Sentences of ``answer`` (verbatim) that contain any keyword, most matches first.

    Keywords match case-insensitively at word starts, so 'measur' finds 'measured'.
    """
    keys = [k.strip().lower() for k in keywords if k and k.strip()]
    if not keys:
        return []
    patterns = [re.compile(r"(?<!\w)" + re.escape(k), re.IGNORECASE) for k in keys]
    scored = []
    for order, (s, e) in enumerate(sentence_spans(answer)):
        sentence = answer[s:e]
        hits = sum(1 for p in patterns if p.search(sentence))
        if hits:
            scored.append((-hits, order, sentence))
    scored.sort()
    return [sentence for _, _, sentence in scored[:limit]]
