"""Rules for answers built to look good to surface rules: each returns a verdict and the
sentence that shows it, so the report can say why a criterion was capped.

- :func:`hypothetical`: "I would ..." in place of a past example;
- :func:`no_example`: a behavioural answer with no past event in it at all;
- :func:`we_without_i`: a story told in "we" with no action of the candidate's own;
- :func:`buzzword_list`: terms strung together with nothing said about any of them;
- :func:`circular`: the question's own words said back, nothing added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interviewer.text import content_words, words

__all__ = ["Trap", "buzzword_list", "circular", "hypothetical", "no_example", "we_without_i"]


@dataclass(frozen=True)
class Trap:
    """A trap rule's verdict; ``evidence`` is a verbatim sentence of the answer."""

    name: str
    hit: bool
    evidence: str = ""
    note: str = ""


_HYPO = re.compile(
    r"\b(?:i|we|you)\s+(?:would|'d|should|could|will|'ll|might|can)\b|\bi'd\b|\bif (?:i|a|an|the)\b"
    r"|\bi (?:always|usually|typically|generally|tend to|try to|believe|like to)\b",
    re.IGNORECASE,
)
# A first-person clause in the past: "I rolled back", "we found", "I was on call".
_PAST = re.compile(
    r"\b(?:i|we|my team|our team)\s+(?:(?:then|also|first|personally|quickly|finally|"
    r"immediately|later|just|had|still)\s+)*(?:\w+ed|was|were|had|did|led|took|made|built|"
    r"wrote|found|told|met|got|saw|went|ran|set|put|brought|chose|learned|learnt|spent|sent|"
    r"gave|kept|paid|shipped|began|won|lost|felt|knew|thought|held|left|read|drew|rose|"
    r"sold|taught|understood|became|caught|dug)\b",
    re.IGNORECASE,
)
_I_ACTION = re.compile(
    r"\bi\s+(?:(?:then|also|first|personally|quickly|finally|immediately|later|just)\s+)*"
    r"(?!would|could|should|might|think|believe|feel|guess|mean)[a-z]+",
    re.IGNORECASE,
)
_WE = re.compile(r"\b(?:we|our|us|our team)\b", re.IGNORECASE)


def _sentences(answer: str) -> list[str]:
    from interviewer.scoring.evidence import sentence_spans

    return [answer[s:e] for s, e in sentence_spans(answer)]


def hypothetical(answer: str) -> Trap:
    """Most sentences say what one would do, and at most one says what happened."""
    sentences = _sentences(answer)
    if not sentences:
        return Trap("hypothetical", False)
    hypo = [s for s in sentences if _HYPO.search(s)]
    past = [s for s in sentences if _PAST.search(s) and not _HYPO.search(s)]
    hit = len(hypo) >= max(2, len(sentences) / 2) and len(past) <= 1
    note = f"{len(hypo)} of {len(sentences)} sentences hypothetical, {len(past)} past"
    return Trap("hypothetical", hit, hypo[0] if hit else "", note)


def no_example(answer: str) -> Trap:
    """Two or more sentences and not one first-person clause in the past."""
    sentences = _sentences(answer)
    past = [s for s in sentences if _PAST.search(s)]
    hit = len(sentences) >= 2 and not past
    return Trap("no_example", hit, sentences[0] if hit else "", f"{len(past)} past sentences")


def we_without_i(answer: str) -> Trap:
    """Three or more "we" and no sentence where the candidate ("I") did something."""
    own = [s for s in _sentences(answer) if _I_ACTION.search(s)]
    we = len(_WE.findall(answer))
    hit = we >= 3 and not own
    first_we = next((s for s in _sentences(answer) if _WE.search(s)), "")
    return Trap("we_without_i", hit, first_we if hit else "", f"I-actions {len(own)}, we {we}")


_SEGMENT = re.compile(r"[,;:]|\band\b|\bor\b")
_VERBISH = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|do|does|did|can|will|would|should|means?|"
    r"makes?|gives?|shows?|takes?|uses?|keeps?|lets?|goes|went|because|so|if|when|then|"
    r"\w+ed)\b",
    re.IGNORECASE,
)


def buzzword_list(answer: str) -> Trap:
    """Most of the answer is lists of short terms (two to three words between commas) and
    there is hardly a reason or mechanism in it."""
    sentences = _sentences(answer)
    listy = []
    for s in sentences:
        parts = [p.strip() for p in _SEGMENT.split(s) if p and p.strip()]
        short = [p for p in parts if len(p.split()) <= 3 and not _VERBISH.search(p)]
        if len(parts) >= 5 and len(short) >= 0.6 * len(parts):
            listy.append(s)
    n_words = len(words(answer))
    list_words = sum(len(words(s)) for s in listy)
    # Lists are also how a good answer names options, so the scorer acts on this only where
    # the answer covers little (see its caps).
    hit = bool(listy) and list_words >= 0.35 * n_words
    note = f"{len(listy)} list sentences, {list_words}/{n_words} words"
    return Trap("buzzword_list", hit, listy[0] if hit else "", note)


def circular(question_text: str, answer: str) -> Trap:
    """The answer says the question back: few content words beyond the question's own, and
    those repeated."""
    said = [w for w in words(answer) if content_words(w)]
    if len(said) < 8:
        return Trap("circular", False)
    asked = content_words(question_text)
    new = [w for w in said if not (content_words(w) & asked)]
    distinct_new = {next(iter(content_words(w))) for w in new}
    share_new = len(distinct_new) / len(said)
    hit = share_new < 0.25
    first = _sentences(answer)[0] if hit else ""
    return Trap("circular", hit, first, f"{len(distinct_new)} new content words of {len(said)}")
