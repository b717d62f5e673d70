"""Deterministic signals: what rules can tell about an answer without a model.

Each signal is a score from 1 to 5 plus the verbatim sentences of the answer it relied on, so
every rule-based judgement can be shown and checked. The STAR and key-point detectors are the
ones the follow-up policy uses (:mod:`interviewer.interview.answers`), applied sentence by
sentence here to find the evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interviewer.interview.answers import missing_star_parts
from interviewer.interview.bank import Question
from interviewer.scoring.evidence import sentence_spans
from interviewer.text import content_words, words

__all__ = [
    "STAR_PARTS",
    "KeyPointCoverage",
    "Signal",
    "coverage",
    "key_point_coverage",
    "length",
    "reasoning",
    "relevance",
    "specificity",
    "star",
]

STAR_PARTS = ("situation", "action", "result", "reflection")


@dataclass(frozen=True)
class Signal:
    """One rule's verdict: a score in [1, 5], the sentences it relied on, and a short note."""

    name: str
    score: float
    evidence: tuple[str, ...] = ()
    note: str = ""


def _clamp(x: float) -> float:
    return max(1.0, min(5.0, x))


def _sentences(answer: str) -> list[str]:
    return [answer[s:e] for s, e in sentence_spans(answer)]


_NUMBER = re.compile(
    r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|fifty|hundred|thousand"
    r"|million|billion|half|twice|doubled|halved|tripled|percent)\b",
    re.IGNORECASE,
)
_REASON = re.compile(
    r"\b(?:because|since|so that|in order to|which meant|which means|the reason|trade-?offs?"
    r"|however|instead|rather than|depends|unless|otherwise|edge cases?|downside|risk"
    r"|assum\w+|for example|for instance|e\.g\.|whereas|on the other hand|alternatively"
    r"|decided|chose|weighed|considered)\b",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- STAR


def star(answer: str) -> dict[str, Signal]:
    """STAR parts of a behavioural answer: situation/task, own actions, result, reflection."""
    found: dict[str, list[str]] = {p: [] for p in STAR_PARTS}
    for sentence in _sentences(answer):
        for part in set(STAR_PARTS) - set(missing_star_parts(sentence)):
            found[part].append(sentence)
    out: dict[str, Signal] = {}
    for part in STAR_PARTS:
        hits = found[part]
        numbers = sum(1 for s in hits if _NUMBER.search(s))
        reasons = sum(1 for s in hits if _REASON.search(s))
        if not hits:
            score, note = 1.0, f"no {part}"
        elif part == "result":
            score = 2.5 + 0.5 * min(len(hits) - 1, 2) + (1.5 if numbers else 0.0)
            note = "quantified" if numbers else "not quantified"
        elif part == "action":
            score = 1.5 + 0.75 * min(len(hits), 3) + 0.5 * min(reasons, 2)
            note = f"{len(hits)} first-person actions"
        else:
            score = 3.0 + 0.75 * min(len(hits) - 1, 2) + (0.5 if numbers or reasons else 0.0)
            note = f"{len(hits)} sentences"
        out[part] = Signal(part, _clamp(score), tuple(hits[:2]), note)
    return out


# --------------------------------------------------------------------------- key points

# Spoken answers abbreviate and paraphrase; these expansions let "H0" meet "null hypothesis".
# Keys and values are lower-case phrases; both directions are applied.
SYNONYMS: dict[str, str] = {
    "h0": "null hypothesis",
    "null": "null hypothesis",
    "fp": "false positive",
    "fn": "false negative",
    "type i error": "false positive",
    "type ii error": "false negative",
    "type 1 error": "false positive",
    "type 2 error": "false negative",
    "significance level": "alpha",
    "ml": "machine learning",
    "db": "database",
    "sql": "database query",
    "api": "interface",
    "latency": "response time",
    "throughput": "requests per second",
    "ab test": "experiment",
    "a/b test": "experiment",
    "a/b": "experiment",
    "kpi": "metric",
    "roi": "return on investment",
    "p-value": "p value probability",
    "stakeholders": "stakeholder",
    "customer": "user",
    "customers": "users",
    "cache": "caching",
    "overfit": "overfitting",
    "regularisation": "regularization",
    "optimise": "optimize",
    "prioritise": "prioritize",
    "behaviour": "behavior",
}


def _expand(text: str) -> str:
    low = " ".join(words(text))
    extra = []
    for a, b in SYNONYMS.items():
        if re.search(rf"(?<!\w){re.escape(a)}(?!\w)", low):
            extra.append(b)
        if re.search(rf"(?<!\w){re.escape(b)}(?!\w)", low):
            extra.append(a)
    return " ".join([low, *extra])


def _grams(word: str) -> set[str]:
    padded = f"#{word}#"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _near(stem: str, said: set[str]) -> str | None:
    """An answer stem equal to ``stem`` or close to it in character trigrams (typos, forms)."""
    if stem in said:
        return stem
    if len(stem) < 5:
        return None
    g = _grams(stem)
    best, best_sim = None, 0.0
    for other in sorted(said):
        if len(other) < 4 or abs(len(other) - len(stem)) > 3:
            continue
        h = _grams(other)
        sim = len(g & h) / len(g | h)
        if sim > best_sim:
            best, best_sim = other, sim
    return best if best_sim >= 0.55 else None


@dataclass(frozen=True)
class KeyPointCoverage:
    """How much of one key point an answer covers, and the sentences that cover it."""

    point: str
    fraction: float
    covered: bool
    evidence: tuple[str, ...]


def key_point_coverage(question: Question, answer: str) -> list[KeyPointCoverage]:
    """Per key point: share of its content words the answer says (with synonyms and near
    spellings), whether that counts as covered, and the sentences that say them."""
    sentences = _sentences(answer)
    sentence_words = [content_words(_expand(s)) for s in sentences]
    said = set().union(*sentence_words) if sentence_words else set()
    out = []
    for point in question.key_points:
        needed = content_words(_expand(point)) - content_words(question.text)
        if not needed:
            needed = content_words(point)
        matched = {m for stem in needed if (m := _near(stem, said)) is not None}
        hits = sum(1 for stem in needed if _near(stem, said) is not None)
        fraction = hits / len(needed) if needed else 0.0
        covered = hits >= min(2, len(needed)) and fraction >= 0.4
        ranked = sorted(
            ((-len(sw & matched), i) for i, sw in enumerate(sentence_words) if sw & matched),
        )
        evidence = tuple(sentences[i] for _, i in ranked[:2]) if covered else ()
        out.append(KeyPointCoverage(point, fraction, covered, evidence))
    return out


def coverage(question: Question, answer: str) -> Signal:
    """Coverage of the question's key points (1 with none covered, 5 with all well covered)."""
    points = key_point_coverage(question, answer)
    if not points:
        return Signal("coverage", 3.0, (), "no key points")
    # A key point half-said counts almost fully: answers paraphrase, key points are verbose.
    credit = [min(1.0, p.fraction / 0.5) if p.covered else p.fraction for p in points]
    score = 1.0 + 4.0 * sum(credit) / len(points)
    evidence: list[str] = []
    for p in points:
        for sentence in p.evidence:
            if sentence not in evidence:
                evidence.append(sentence)
    n = sum(p.covered for p in points)
    return Signal("coverage", _clamp(score), tuple(evidence[:3]), f"{n}/{len(points)} covered")


# --------------------------------------------------------------------------- other signals

_OWN = re.compile(r"\b(?:i|i'm|i've|i'd|my|me|myself)\b", re.IGNORECASE)
_WE = re.compile(r"\b(?:we|we're|we've|our|us)\b", re.IGNORECASE)


def specificity(answer: str) -> Signal:
    """Numbers, concrete first-person actions, ownership ("I" over "we") and outcomes."""
    sentences = _sentences(answer)
    numeric = [s for s in sentences if _NUMBER.search(s)]
    actions = [s for s in sentences if "action" not in missing_star_parts(s)]
    outcomes = [s for s in sentences if "result" not in missing_star_parts(s)]
    own = len(_OWN.findall(answer))
    we = len(_WE.findall(answer))
    score = 1.0 + 0.6 * min(len(numeric), 3) + 0.5 * min(len(actions), 3)
    score += 0.4 * min(len(outcomes), 2)
    if own + we:
        score += 0.5 * (own / (own + we)) - 0.25
    evidence = tuple(dict.fromkeys(numeric[:1] + actions[:1] + outcomes[:1]))
    note = f"{len(numeric)} numeric, {len(actions)} action sentences, I/we {own}/{we}"
    return Signal("specificity", _clamp(score), evidence, note)


def reasoning(answer: str) -> Signal:
    """Reasons, trade-offs, alternatives and examples: what separates depth from recall."""
    hits = [s for s in _sentences(answer) if _REASON.search(s)]
    kinds = {m.group(0).lower() for s in hits for m in _REASON.finditer(s)}
    score = 1.0 + 0.8 * min(len(hits), 3) + 0.4 * min(len(kinds), 4)
    return Signal("reasoning", _clamp(score), tuple(hits[:2]), f"{len(kinds)} kinds of reasoning")


def relevance(question: Question, answer: str) -> Signal:
    """Content words shared with the question, its rubric descriptions and key points."""
    topic = " ".join(
        [question.text, question.competency.replace("_", " "), *question.key_points]
        + [c.description for c in question.rubric.criteria]
    )
    topic_words = content_words(_expand(topic))
    sentences = _sentences(answer)
    shared: set[str] = set()
    evidence: list[str] = []
    for s in sentences:
        common = content_words(_expand(s)) & topic_words
        if common:
            shared |= common
            if len(evidence) < 2:
                evidence.append(s)
    said = content_words(answer)
    share = len(said & topic_words) / len(said) if said else 0.0
    score = 1.0 + 0.5 * min(len(shared), 6) + 4.0 * min(share, 0.25)
    note = f"{len(shared)} topic words, {share:.0%} of content words"
    return Signal("relevance", _clamp(score), tuple(evidence), note)


#: Word counts that suit a spoken answer, per question type (about 45 s to 2.5 min).
IDEAL_WORDS: dict[str, tuple[int, int]] = {"behavioral": (110, 320), "technical": (70, 280)}


def length(answer: str, question_type: str = "behavioral") -> Signal:
    """Too short, about right or rambling, from the word count."""
    n = len(words(answer))
    low, high = IDEAL_WORDS.get(question_type, (90, 300))
    if n < low:
        score = 1.0 + 4.0 * (n / low) ** 1.5
        note = "too short"
    elif n <= high:
        score, note = 5.0, "about right"
    else:
        score = 5.0 - 2.0 * min(1.0, (n - high) / high)
        note = "rambling"
    return Signal("length", _clamp(score), (), f"{note} ({n} words)")
