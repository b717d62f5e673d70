"""Is a follow-up about what the candidate said? Grounding, relevance and invented entities.

A follow-up is *grounded* when it picks up something the candidate said (a specific word of the
answer that the question did not supply) or asks for the rubric part the answer is missing (a
STAR part, an uncovered key point). It *invents* when it brings in a person, organisation,
product, number, time or event that neither the question (its text, key points and topics) nor
the answer mentions: "What did you say to the customer?" after an answer with no customer in it.

The checks are lexical on purpose: they run on every proposal before it is spoken, in
microseconds, and their agreement with hand labels is measured by ``interviewer bench --only
followups`` on ``benchmarks/data/followup_quality.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from interviewer.interview.answers import covered_key_points, missing_star_parts
from interviewer.interview.bank import Question
from interviewer.text import content_words, wordset
from interviewer.text import stem as _stem

__all__ = [
    "ENTITY_NOUNS",
    "Judgement",
    "entity_mentions",
    "invented_entities",
    "judge_follow_up",
    "question_sources",
    "star_parts_asked",
]

# Words of a generic interview probe. A follow-up made only of these ("What did you personally
# do?", "What was the result?") fits any answer, so it needs no word in common with it.
_PROBE_WORDS: frozenset[str] = wordset(
    """
    action actions add answer affect afterwards achieve approach approaches alternative alternatives
    assumption assumptions back benefit best biggest bit challenge challenges change changes
    check choice choose chose concrete consider context cost costs deal decide decided decision
    decisions describe detail details did different differently difficult downside effect else
    example examples expect explain give fail failed failure feedback feel felt first go goal goals
    handle handled happen happened hard hardest help idea ideally impact improve instead involved
    kind know learn learned learnt lesson lessons little look looking main make manage measure
    measured mean metric metrics mistake moment next number numbers option options outcome
    outcomes part people person personally plan point problem process put react reaction reason
    reasons responsible result results risk risks role say scene set share situation specific
    step steps success succeed surprise surprised take talk task team tell thing things think
    time today trade-off trade-offs turn turned walk way well went work worked worry wrong
    project projects sure track manager colleague colleagues stakeholder stakeholders deadline
    deadlines priority priorities own away weigh connect rather
    """
)

PROBE_STEMS = frozenset(_stem(w) for w in _PROBE_WORDS)
_PROBE_STEMS = PROBE_STEMS


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Nouns that name a person, a group, a product or an event: a follow-up may only use one the
#: question or the answer used. Hand-written classes, not topics: they say what may not be
#: made up, never what to ask about.
ENTITY_NOUNS: frozenset[str] = _wordset(
    """
    customer client user buyer shopper patient student parent partner vendor supplier
    contractor consultant investor regulator auditor recruiter candidate
    manager boss ceo cto cfo coo cpo vp director head executive founder stakeholder sponsor
    colleague coworker teammate peer lead engineer designer analyst scientist researcher intern
    mentor mentee owner board committee
    marketing sales finance legal hr support operations procurement
    company startup agency competitor
    app dashboard tier subscription plan contract refund invoice budget bonus promotion
    meeting retrospective retro standup offsite workshop conference presentation demo interview
    launch release outage incident escalation audit reorg layoff acquisition merger lawsuit
    complaint bug delay holiday
    year quarter month week weekend morning evening night
    monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    """
)
_ENTITY_STEMS = frozenset(_stem(w) for w in ENTITY_NOUNS)

_NUMBER_WORDS = _wordset(
    """
    three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
    thousand million billion percent dozen
    """
)
# "one" and "two" are left out: "when two keys collide" names no fact the candidate gave.
_RAW_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[A-Za-z0-9]+")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)([A-Za-z]+)")


def entity_mentions(text: str) -> set[str]:
    """Entity-like words in ``text``, lower-case: numbers, capitalised names, entity nouns.

    A capitalised word counts unless it opens a sentence or is "I"; hyphenated words are split
    ("three-week" gives "three" and "week").
    """
    found: set[str] = set()
    openers = {m.group(1) for m in _SENTENCE_START.finditer(text)}
    for token in _RAW_TOKEN.findall(text):
        low = token.lower()
        number = token[0].isdigit() or low in _NUMBER_WORDS
        name = token[0].isupper() and token != "I" and token not in openers
        if number or name or _stem(low) in _ENTITY_STEMS or low in ENTITY_NOUNS:
            found.add(low)
    return found


def _source_forms(sources: Iterable[str]) -> set[str]:
    forms: set[str] = set()
    for text in sources:
        for token in _RAW_TOKEN.findall(text):
            low = token.lower()
            forms.add(low)
            forms.add(_stem(low))
    return forms


def invented_entities(text: str, sources: Iterable[str]) -> list[str]:
    """The entity mentions of ``text`` that none of ``sources`` contains, sorted."""
    known = _source_forms(sources)
    return sorted(e for e in entity_mentions(text) if e not in known and _stem(e) not in known)


def question_sources(question: Question | str) -> list[str]:
    """What the interviewer may refer to besides the answer: the question and its rubric."""
    if isinstance(question, str):
        return [question]
    return [question.text, *question.key_points, *getattr(question, "topics", ())]


# What each STAR part sounds like when a follow-up asks for it.
_ASKS: dict[str, re.Pattern[str]] = {
    "situation": re.compile(
        r"\b(?:set the scene|context|background|where was this|your role|at stake)\b", re.I
    ),
    "action": re.compile(
        r"\b(?:personally|step by step|what did you do|how did you (?:handle|approach|go about"
        r"|tackle|do))\b",
        re.I,
    ),
    "result": re.compile(
        r"\b(?:turn(?:ed)? out|result|outcome|impact|achieve\w*|how did (?:it|that|the \w+) go"
        r"|go in the end|put a number)\b",
        re.I,
    ),
    "reflection": re.compile(
        r"\b(?:learn\w*|differently|looking back|in hindsight|same call|again)\b", re.I
    ),
}


def star_parts_asked(text: str) -> list[str]:
    """The STAR parts a follow-up asks for, in STAR order."""
    return [part for part, pattern in _ASKS.items() if pattern.search(text)]


@dataclass(frozen=True)
class Judgement:
    """How one follow-up relates to the question and the answer."""

    grounded: bool
    relevant: bool
    invented: tuple[str, ...]
    #: specific words of the answer the follow-up picks up
    echoes: tuple[str, ...] = ()
    #: the missing rubric part it asks for ("result", "key point 2"), if any
    missing_part: str | None = None

    @property
    def invents(self) -> bool:
        return bool(self.invented)


def _near(stem: str, pool: set[str]) -> bool:
    """``stem`` is in ``pool`` up to an ending the crude stemmer leaves ("week"/"weekly",
    "practic"/"practis", "disagre"/"disagreement")."""
    if stem in pool:
        return True
    for other in pool:
        shorter = min(len(stem), len(other))
        need = max(4, shorter - 1)
        if shorter >= need and stem[:need] == other[:need]:
            return True
    return False


def _missing_part(text: str, question: Question, answer: str, specific: set[str]) -> str | None:
    if question.type == "behavioral":
        missing = missing_star_parts(answer)
        return next((p for p in star_parts_asked(text) if p in missing), None)
    topics = list(getattr(question, "topics", ()))
    covered = covered_key_points(question, answer)
    for index, (point, ok) in enumerate(zip(question.key_points, covered, strict=True)):
        if ok:
            continue
        about = content_words(point)
        if index < len(topics):
            about |= content_words(topics[index])
        if specific & about:
            return f"key point {index + 1}"
    return None


def judge_follow_up(text: str, question: Question, answer: str) -> Judgement:
    """Grounded, relevant and invented entities of ``text`` as a follow-up to ``answer``."""
    invented = invented_entities(text, [*question_sources(question), answer])
    specific = content_words(text) - _PROBE_STEMS
    said, asked = content_words(answer), content_words(question.text)
    echoes = {w for w in specific if _near(w, said) and not _near(w, asked)}
    part = _missing_part(text, question, answer, specific)
    grounded = not invented and (bool(echoes) or part is not None)
    on_topic = bool(specific & content_words(" ".join(question_sources(question))))
    asks_star = question.type == "behavioral" and bool(star_parts_asked(text))
    relevant = not invented and (grounded or on_topic or asks_star)
    return Judgement(grounded, relevant, tuple(invented), tuple(sorted(echoes)), part)
