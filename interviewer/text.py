"""Small text helpers shared by TTS, the speaking path and the reports."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

#: Hesitation sounds, as Whisper spells them. Delivery metrics count them apart from discourse
#: fillers ("like", "so"); turn-taking waits longer after one.
HESITATIONS = frozenset({"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "mm"})

# A sentence ends at . ! ? (or …) followed by space/end, unless the dot belongs to a common
# abbreviation or a decimal number: splitting "e.g. this" would make Piper pause mid-thought.
_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "etc",
    "vs",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "inc",
    "st",
    "jr",
    "sr",
}
_END = re.compile(r"([.!?…]+)([\"')\]]*)(\s+|$)")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences for sentence-by-sentence synthesis."""
    text = " ".join(text.split())
    out: list[str] = []
    start = 0
    for m in _END.finditer(text):
        end = m.end()
        candidate = text[start : m.start()]
        last_word = candidate.rsplit(" ", 1)[-1].lower()
        if m.group(1) == "." and (last_word in _ABBREVIATIONS or len(last_word) == 1):
            continue
        sentence = text[start:end].strip()
        if sentence:
            out.append(sentence)
        start = end
    rest = text[start:].strip()
    if rest:
        out.append(rest)
    return out


def join_pieces(pieces: Iterable[str]) -> str:
    """Reply pieces as one text, with a space where one whole sentence meets the next.

    Pieces are whole sentences ("Thanks.", "What did you ...?") or a model's tokens (" the",
    "3", ".5"); only the first kind needs a gap, or "Thanks.What did you" reaches the screen.
    """
    out = ""
    for piece in pieces:
        decimal = piece[:1].isdigit() and re.search(r"\d[.,]$", out) is not None
        if out and piece and out[-1] in ".?!,;:" and piece[0].isalnum() and not decimal:
            out += " "
        out += piece
    return out


def format_number(value: Any, digits: int = 1, missing: str = "–") -> str:
    """A figure for a table: floats to ``digits`` decimals, ``missing`` for None."""
    if value is None:
        return missing
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
