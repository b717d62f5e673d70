"""Small text helpers shared by TTS, the speaking path, the interview logic and the reports.

The tokenizer, the crude stemmer and the stopwords are shared by the follow-up validator, the
intent rules and the scorer, so that they all agree on what counts as "the same word".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


def wordset(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated block (easier to read and edit)."""
    return frozenset(text.split())


STOPWORDS: frozenset[str] = wordset(
    """
    a about above after again against all also am an and any anything are as at be because been
    before being below between both but by can could did do does doing done down during each
    either else even ever every everything few for from further get gets got had has have having
    he her here hers him his how i i'd i'll i'm i've if in into is it it's its itself just let me
    might more most much must my myself no nor not nothing now of off on once one only or other
    our ours out over own per quite rather really same she should so some something such than
    that that's the their theirs them then there these they this those though through thus to
    too under until up upon us very was we we'd we're were what what's when where whether which
    while who whom whose why will with within without would yes yet you you'd you're your yours
    yourself
    """
)

_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")

# Typographic characters a model or a bank file may use, and their spoken-equivalent ASCII.
_TYPOGRAPHY = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " "}
)


def ascii_text(text: str) -> str:
    """Typographic quotes and dashes as plain ASCII, whitespace collapsed."""
    return " ".join(text.translate(_TYPOGRAPHY).split())


def words(text: str) -> list[str]:
    """Lower-case word tokens; apostrophes and hyphens inside a word are kept."""
    return _WORD.findall(ascii_text(text).lower())


def stem(word: str) -> str:
    """A deliberately crude stemmer: 'measured', 'measures', 'measuring' -> 'measur'.

    It only has to make two spellings of one word meet; it never has to produce a real word.
    """
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def content_words(text: str) -> set[str]:
    """Stems of the words that carry meaning (no stopwords, no single letters)."""
    return {stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1}


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
