"""What an answer contains: STAR parts, covered key points, and a key point's topic phrase.

Rules over the words, no model: the follow-up policy uses them to choose what to probe, the
scorer's signals to describe an answer. They only need to be good enough to pick a question or
a hint; the scorer makes the real judgement.
"""

from __future__ import annotations

import re

from interviewer.interview.bank import Question
from interviewer.text import STOPWORDS, ascii_text, content_words, words, wordset

__all__ = ["covered_key_points", "missing_star_parts", "topic_phrase"]

_SITUATION = re.compile(
    r"\b(?:when|while|at (?:my|our|the|a) |in (?:my|our) (?:last|previous|first|current|old)"
    r"|last (?:year|month|week|quarter|summer|spring|autumn|fall|winter)|(?:a|one) time"
    r"|project|team|company|client|customer|job|internship|course|class|startup|manager"
    r"|deadline|we had|there was|there were|i was (?:working|a|an|the|on|in|leading|responsible)"
    r"|my (?:task|goal|job|role)|responsible|situation)",
    re.IGNORECASE,
)
# "I would", "I think", "I usually" describe intentions or habits, not what was done.
_NOT_ACTION = wordset(
    """
    would think guess believe feel mean am was usually always generally don't do can could will
    might hope wish like suppose tend normally typically try
    """
)
_ACTION_FILLER = wordset("then also personally first quickly just immediately finally")
_RESULT = re.compile(
    r"\d|%|\b(?:percent|per cent|doubled|halved|tripled|twice|half|increas\w*|decreas\w*"
    r"|reduc\w*|improv\w*|cut|saved|grew|grown|dropped|raised|lowered|launched|shipped"
    r"|delivered|released|finished|completed|succeeded|success\w*|won|result\w*|outcome\w*"
    r"|impact|in the end|eventually|ended up|paid off|worked out|turned out|went well|fixed"
    r"|solved|resolved|met the|beat"
    r"|exceeded|hundred|thousand|million|billion)\b",
    re.IGNORECASE,
)
_REFLECTION = re.compile(
    r"\b(?:learn(?:ed|t)?|lessons?|takeaway|next time|differently|hindsight|looking back"
    r"|reali[sz](?:e|ed)|since then|taught me|now i|i now|would have|should have|retrospect"
    r"|reflect\w*)\b",
    re.IGNORECASE,
)


def _has_action(answer: str) -> bool:
    tokens = words(answer)
    for i, token in enumerate(tokens):
        if token != "i":
            continue
        rest = [t for t in tokens[i + 1 : i + 4] if t not in _ACTION_FILLER]
        if rest and rest[0] not in _NOT_ACTION and rest[0] not in STOPWORDS:
            return True
    return False


def missing_star_parts(answer: str) -> list[str]:
    """Which STAR parts a behavioural answer lacks, in the order an interviewer would ask.

    Parts: ``situation`` (context and task), ``action`` (first-person "I did ..."), ``result``
    (numbers or outcome words) and ``reflection`` (what was learned).
    """
    missing = []
    if not _SITUATION.search(answer):
        missing.append("situation")
    if not _has_action(answer):
        missing.append("action")
    if not _RESULT.search(answer):
        missing.append("result")
    if not _REFLECTION.search(answer):
        missing.append("reflection")
    return missing


def covered_key_points(question: Question, answer: str) -> list[bool]:
    """For each key point, whether the answer shares enough of its content words.

    Coverage is judged by word overlap (at least two words and 30% of the key point's), which is
    enough to choose what to probe; the scorer makes the real judgement.
    """
    said = content_words(answer)
    out = []
    for point in question.key_points:
        needed = content_words(point)
        shared = len(needed & said)
        out.append(shared >= min(2, len(needed)) and shared >= 0.3 * len(needed))
    return out


# Verbs that end a noun phrase in a key point ("A cache stampede | happens when ..."), in their
# base and third-person forms.
_VERB_BASES = wordset(
    """
    be can could should must may might will would do has have had cannot give gave need mean
    make made help use used reduce add happen assume work take keep let show come allow require
    depend avoid become cause lead get matter tend include shift range cost trade store scale run
    grow provide support improve stop prevent produce return remain change fail handle
    apply affect control choose combine replay own open send parse resolve adapt decouple
    maximise maximize minimise minimize converge accumulate alternate penalise penalize drive
    shrink estimate compare measure ensure guarantee hold limit break follow split push pull
    diverge oscillate rise fall skip slow speed increase decrease lower raise force reconcile
    mislead violate aggregate see understand decide predict identify clarify explain prioritise
    prioritize define mention discuss prefer consider diagnose mitigate migrate invest communicate
    involve escalate correlate evaluate adjust collect deduplicate normalise normalize decompose
    validate describe separate simulate align tune resample rewrite remove replace appear
    """
)
# Irregular participles: 'a significance level chosen in advance'.
_PARTICIPLES = wordset(
    "chosen taken given done made known shown written seen drawn broken grown run set kept held"
)
_VERBS = frozenset(
    {"is", "are", "was", "were", "been", "being", "does", "did", "often", "rarely", "never"}
    | _PARTICIPLES
    | set(_VERB_BASES)
    | {v + ("es" if v.endswith(("s", "sh", "ch", "x")) else "s") for v in _VERB_BASES}
)
_IMPERATIVES = wordset(
    """
    read filter index check clarify choose use tune define test compare store cluster consider
    measure ask explain start add avoid keep prefer split monitor validate estimate run look set
    pick write build handle apply state align plan segment identify prioritise prioritize
    document communicate involve escalate research describe mention name discuss know separate
    make mitigate migrate invest diagnose draw track parameterise parameterize pair review
    pre-register break treat log correlate alert decide evaluate understand find resample adjust
    collect group version guard train label simulate sample cache shard batch retry limit
    reduce remove replace rewrite profile partition deduplicate normalise normalize scale
    decompose switch watch frame size
    """
)
# Nouns too vague to probe on their own ("Could you also talk about the goal?").
_WEAK = wordset(
    """
    large small good bad high low common key main hard part parts way thing things first well
    more less often usually willing able same different important new better worse simple many
    much other several various each both one ones whole rest goal goals case cases data change
    changes example examples approach idea ideas problem problems issue issues option options
    result results method methods process steps step stage stages solution solutions user users
    type time times terms business specific question questions opportunity capability feature
    features core central critical essential necessary possible likely row rows day days
    """
)
_ARTICLES = frozenset({"the", "a", "an"})
# After a verb comes its object: "Adam adapts | a ...", "Drop | the old column", "It
# describes | what ..."; a noun is rarely followed directly by one of these.
_OBJECT_STARTS = wordset(
    """
    the a an its their his her your our to into onto with from that each all any some both
    how what why whether which
    """
)
# ... except prepositions, which follow nouns just as often ("SGD with momentum").
_VERB_OBJECTS = _OBJECT_STARTS - {"to", "with", "from"}
_CLAUSE_END = re.compile(r"\s*[,;:]\s*|\s+\(|\s+-\s+")


# Words ending in -ly that are not adverbs (an adverb ends a noun phrase).
_LY_NOUNS = wordset("early daily weekly monthly yearly quarterly family anomaly supply")


def is_plural(word: str) -> bool:
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s"))


def _is_participle(word: str) -> bool:
    return len(word) > 4 and word.endswith("ed") and not word.endswith("eed")


def _spoken_case(token: str, first: bool) -> str:
    # Key points are in sentence case: 'Invalidation' becomes 'invalidation', while acronyms
    # and names ('SGD', 'AdamW', 'L1', 'ROC-AUC') keep their case for the TTS.
    return token.lower() if first and re.fullmatch(r"[A-Z][a-z'-]+", token) else token


# Adjective endings: a lone adjective ('useful', 'independent') is no topic to ask about.
_ADJECTIVE = re.compile(r"(?:ful|ible|able|ent|ant|ive|ous|ical)$")


def topic_phrase(key_point: str) -> str | None:
    """The key point's leading noun phrase ('Invalidation is the hard part' -> 'invalidation').

    A heuristic without a tagger: the first run of content words in the key point's first
    clause, after an imperative or third-person verb that opens it ('Choose a metric ...',
    'Clarifies the goal ...'), ended by a verb, a participle, or any word after a plural. None
    when no run is short (1-4 words) and specific enough to ask about.
    """
    head = _CLAUSE_END.split(ascii_text(key_point), maxsplit=1)[0]
    raw = [t.strip(".!?\"'()") for t in head.split()]
    tokens = [(_spoken_case(t, i == 0), t.lower()) for i, t in enumerate(raw) if t]
    low = [t for _, t in tokens]
    skip = 0
    if low and low[0] in ("first", "then", "next", "finally", "also"):
        skip = 1  # "First aggregate events per user ..."
    if len(low) > skip and low[skip] in _IMPERATIVES:
        skip += 1
    elif len(low) > skip + 1 and (
        low[skip + 1] in _VERB_OBJECTS or (is_plural(low[skip]) and low[skip + 1] not in _VERBS)
    ):
        # 'Watch for locks ...', 'Identifies concrete pain points ...': an imperative, or a
        # rubric-style verb with the candidate as its implied subject.
        skip += 1
    i = skip
    while i < len(tokens):
        start = i
        run: list[str] = []
        while i < len(tokens):
            word, nxt = low[i], (low[i + 1] if i + 1 < len(low) else "")
            adverb = word.endswith("ly") and word not in _LY_NOUNS
            # A word before an object is a verb when it opens the run or looks conjugated
            # ("communicate | the plan", "adapts | a"), not inside a noun ("network partition").
            verb = word in _VERBS or (nxt in _VERB_OBJECTS and (not run or word.endswith("s")))
            if word in STOPWORDS or verb or adverb or word.isdigit() or "_" in word:
                break
            if run and (
                _is_participle(word)
                or is_plural(low[i - 1])
                or (is_plural(word) and (nxt in _OBJECT_STARTS or nxt.endswith("ly")))
            ):
                break
            run.append(tokens[i][0])
            i += 1
        last = run[-1].lower() if run else ""
        specific = last not in _WEAK and not _is_participle(last)
        if len(run) == 1 and _ADJECTIVE.search(last):
            specific = False
        if 1 <= len(run) <= 4 and specific and (len(last) > 2 or any(map(str.isdigit, last))):
            article = low[start - 1] if start > skip else ""
            return " ".join([article, *run] if article in _ARTICLES else run)
        i = i + 1 if run else start + 1
    return None
