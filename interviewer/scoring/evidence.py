"""Evidence: verbatim pieces of the candidate's answer, never paraphrases.

Everything a score shows as evidence must be a substring of what the candidate said. A model's
quotes are checked here after folding case and whitespace (a model rarely copies spacing
exactly), and each accepted quote is mapped back to the answer's own spelling and casing, so
the report never puts words in the candidate's mouth. A criterion with nothing verified gets
:data:`INSUFFICIENT`, not a guess.

The answer is what the recogniser heard, and it guesses at some words ("I let a project" for
"I led a project"). Words under :data:`LOW_CONFIDENCE` are found in the answer
(:func:`uncertain_spans`), each quote is shown with them marked (:func:`mark_uncertain`), and
a criterion whose evidence holds any says so (:func:`annotate_uncertain`), so a reader checks
the recording before counting such words against the candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "INSUFFICIENT",
    "LOW_CONFIDENCE",
    "MIN_QUOTE_WORDS",
    "UNSURE_MARK",
    "annotate_uncertain",
    "find_evidence",
    "locate",
    "mark_uncertain",
    "sentence_spans",
    "uncertain_spans",
    "unsure_note",
    "verify_quotes",
]

#: The evidence of a criterion for which nothing in the answer could be verified.
INSUFFICIENT = "insufficient evidence"
#: A quote must hold at least this many words: "I" or "5" proves nothing about an answer.
MIN_QUOTE_WORDS = 2
#: A word the recogniser gave a probability under this was a guess. On ../shared/audio (tiny.en,
#: beam 5) 6 of the 14 misheard words fall under 0.5 and 9 of the 207 right ones (4 %); under
#: 0.4 only 3 of the 14 would.
LOW_CONFIDENCE = 0.5
#: Follows each unsure word wherever the answer is quoted.
UNSURE_MARK = "(?)"
#: How far (characters) a word is looked for past the previous one: the stored text can differ
#: from the words' own spelling where a stretch was repaired from the streamed text.
_SEARCH_WINDOW = 40

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


def _word_fields(word: object) -> tuple[str, float]:
    if isinstance(word, Mapping):
        return str(word.get("word", "")), float(word.get("probability", 1.0))
    return str(getattr(word, "word", "")), float(getattr(word, "probability", 1.0))


def uncertain_spans(
    answer: str, words: Iterable[object], *, threshold: float = LOW_CONFIDENCE
) -> list[tuple[int, int]]:
    """Spans of ``answer`` holding a word (``Word`` or its stored dict) under ``threshold``.

    The words are matched in order, each near where the previous one ended; a word not found
    there (the text was repaired, or the answer joins several turns) is skipped.
    """
    spans: list[tuple[int, int]] = []
    cursor = 0
    for word in words:
        text, prob = _word_fields(word)
        core = text.strip().strip(".,!?;:\"'()…-")
        if not core:
            continue
        pattern = re.compile(r"(?<!\w)" + re.escape(core) + r"(?!\w)", re.IGNORECASE)
        m = pattern.search(answer, cursor, cursor + len(core) + _SEARCH_WINDOW)
        if m is None:
            continue
        cursor = m.end()
        if prob < threshold:
            spans.append((m.start(), m.end()))
    return spans


def mark_uncertain(text: str, spans: Sequence[tuple[int, int]], offset: int = 0) -> str:
    """``text`` (found at ``offset`` in the answer) with :data:`UNSURE_MARK` after each word of
    ``spans`` it holds."""
    out = []
    last = 0
    for s, e in sorted(spans):
        s, e = s - offset, e - offset
        if s < last or e > len(text) or s < 0:
            continue
        out.append(text[last:e] + UNSURE_MARK)
        last = e
    out.append(text[last:])
    return "".join(out)


def annotate_uncertain(
    scores: dict[str, Any],
    answer: str,
    words: Iterable[object],
    *,
    threshold: float = LOW_CONFIDENCE,
) -> dict[str, Any]:
    """Add to each criterion of a score document (``AnswerScore.to_json()``) whose evidence
    holds unsure words ``"evidence_marked"`` (the quotes with the marks) and ``"unsure"`` (the
    words). The evidence itself stays verbatim: it is what the report finds in the answer."""
    spans = uncertain_spans(answer, words, threshold=threshold)
    if not spans:
        return scores
    for crit in scores.get("criteria", {}).values():
        marked, unsure = [], []
        for quote in crit.get("evidence", []):
            at = locate(answer, quote) if quote != INSUFFICIENT else None
            if at is None:
                marked.append(quote)
                continue
            inside = [(s, e) for s, e in spans if at[0] <= s and e <= at[1]]
            marked.append(mark_uncertain(answer[at[0] : at[1]], inside, at[0]))
            unsure += [answer[s:e] for s, e in inside]
        if unsure:
            crit["evidence_marked"] = marked
            crit["unsure"] = list(dict.fromkeys(unsure))
    return scores


def unsure_note(words: Sequence[str]) -> str:
    """The report's note on a criterion whose evidence rests on unsure words."""
    listed = ", ".join(f"'{w}'" for w in words)
    return (
        f"{UNSURE_MARK} the recogniser was unsure of {listed}: check the recording before "
        "counting this against the candidate."
    )
