"""Follow-up questions: rules choose what to probe, the model phrases it, a validator checks.

Rules (:mod:`interviewer.interview.probes`) decide what is worth asking about: a missing STAR
part, an uncovered key point (named by the bank's ``topics``), a vague claim, an unexplained
number or decision, a red flag. The model is told that focus and proposes a follow-up.

The default model is a 270M base model. It is quick enough to propose a follow-up while the
candidate waits, but it often copies one of its few-shot examples, repeats the question, echoes
the answer, drifts off topic or brings in a customer nobody mentioned. Nothing it writes is
spoken unchecked: :func:`validate_follow_up` accepts only a short, on-topic question that copies
nothing, invents no person, product, number or event, and may lead with one sentence quoting
the candidate ("You said ..."); the policy also wants it grounded in the answer. When the model
fails (or there is none), the probe's template asks the same thing in the candidate's words.
"""

from __future__ import annotations

import difflib
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from interviewer.engines.base import LLM
from interviewer.errors import ModelError
from interviewer.interview.bank import Question
from interviewer.interview.prompts import (
    FOLLOW_UP_SCHEMA,
    example_texts,
    follow_up_messages,
    follow_up_prompt,
)
from interviewer.text import split_sentences

__all__ = [
    "BRIDGE_WAIT_S",
    "MAX_WORDS",
    "MIN_WORDS",
    "WAIT_S",
    "FollowUp",
    "FollowUpPlan",
    "FollowUpPolicy",
    "content_words",
    "covered_key_points",
    "missing_star_parts",
    "similarity",
    "topic_phrase",
    "validate_follow_up",
]

MIN_WORDS = 5
MAX_WORDS = 30
#: Above this similarity a proposal counts as a copy (max of token Jaccard and difflib ratio).
COPY_THRESHOLD = 0.8

# --------------------------------------------------------------------------- word handling


def _wordset(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated block (easier to read and edit)."""
    return frozenset(text.split())


STOPWORDS: frozenset[str] = _wordset(
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

# Words of a generic interview probe. A follow-up made only of these ("What did you personally
# do?", "What was the result?") fits any answer, so it needs no word in common with it.
_PROBE_WORDS: frozenset[str] = _wordset(
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

_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")

# Typographic characters a model or a bank file may use, and their spoken-equivalent ASCII.
_TYPOGRAPHY = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " "}
)


def _ascii(text: str) -> str:
    return " ".join(text.translate(_TYPOGRAPHY).split())


def words(text: str) -> list[str]:
    """Lower-case word tokens; apostrophes and hyphens inside a word are kept."""
    return _WORD.findall(_ascii(text).lower())


def _stem(word: str) -> str:
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
    return {_stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1}


_PROBE_STEMS = frozenset(_stem(w) for w in _PROBE_WORDS)


def similarity(a: str, b: str) -> float:
    """How alike two texts are, 0 to 1: the larger of token Jaccard and difflib's ratio."""
    ta, tb = words(a), words(b)
    if not ta or not tb:
        return 0.0
    sa, sb = set(ta), set(tb)
    jaccard = len(sa & sb) / len(sa | sb)
    ratio = difflib.SequenceMatcher(None, " ".join(ta), " ".join(tb), autojunk=False).ratio()
    return max(jaccard, ratio)


# --------------------------------------------------------------------------- validation

_SINGLE_OPENERS = _wordset(
    """
    what why how when where which who whom whose can could would will did do does is are was
    were have has had should shall may tell walk talk take describe explain give help share say
    if suppose imagine given in so and
    """
)
_TWO_WORD_OPENERS = frozenset(
    {"you mentioned", "you said", "looking back", "thinking back", "going back", "in hindsight"}
)
_QUOTE_VERB = re.compile(r"^you (?:said|mentioned|talked about)\b", re.IGNORECASE)
_QUOTE_LEAD = re.compile(r"you (?:said|mentioned|talked about)\b[^?]*\.$", re.IGNORECASE)
_PLACEHOLDER = re.compile(
    r"[\[\]{}<>|\\]|_{2,}|\.\.\.|\b(?:xxx+|tbd|todo|lorem|placeholder|n/a)\b", re.IGNORECASE
)
_AI_TALK = re.compile(
    r"\b(?:as an ai|an ai(?: language)? model|a (?:large )?language model|i am an ai|i'm an ai"
    r"|i cannot help|i can't help|openai|chatgpt)\b",
    re.IGNORECASE,
)
_PROMPT_LEAK = re.compile(r"\b(?:question|answer|follow[- ]?up|json|ask about)\s*:", re.IGNORECASE)


def _is_copy(a: str, b: str) -> bool:
    """``similarity(a, b) > COPY_THRESHOLD``, skipping the costly ratio when bounds settle it."""
    ta, tb = words(a), words(b)
    if not ta or not tb:
        return False
    sa, sb = set(ta), set(tb)
    if len(sa & sb) / len(sa | sb) > COPY_THRESHOLD:
        return True
    matcher = difflib.SequenceMatcher(None, " ".join(ta), " ".join(tb), autojunk=False)
    return (
        matcher.real_quick_ratio() > COPY_THRESHOLD
        and matcher.quick_ratio() > COPY_THRESHOLD
        and matcher.ratio() > COPY_THRESHOLD
    )


def _near_copy(text: str, others: Iterable[str]) -> bool:
    for other in others:
        if not other.strip():
            continue
        # Compare with the whole text and with each of its sentences: a model that copies
        # copies one sentence of a two-sentence question as readily as all of it.
        pieces = [other, *split_sentences(_ascii(other))]
        if any(_is_copy(text, piece) for piece in pieces):
            return True
    return False


def _topic_words(question: Question | str, answer: str) -> set[str]:
    if isinstance(question, Question):
        parts = [question.text, *question.key_points, *question.topics, *question.follow_ups]
    else:
        parts = [question]
    return content_words(" ".join([*parts, answer]))


def validate_follow_up(
    text: str,
    *,
    question: Question | str,
    answer: str,
    examples: Sequence[str] | None = None,
    asked: Sequence[str] = (),
) -> str | None:
    """None if ``text`` is fit to be spoken as a follow-up, else the reason it is not.

    ``examples`` are the texts of the prompt's few-shot examples (default: those of
    :mod:`interviewer.interview.prompts`); ``asked`` are follow-ups already asked on this
    question. With a :class:`Question`, its key points and bank follow-ups count as on topic.
    """
    if not text or not text.strip():
        return "empty"
    if any(ord(c) < 32 for c in text.replace("\n", " ")):
        return "contains control characters"
    clean = _ascii(text)
    if not clean.isascii():
        return "contains non-ASCII characters"
    if _PLACEHOLDER.search(clean):
        return "contains placeholder text or brackets"
    if _AI_TALK.search(clean):
        return "talks about being an AI"
    if _PROMPT_LEAK.search(clean):
        return "contains prompt labels"
    tokens = words(clean)
    if len(tokens) < MIN_WORDS:
        return f"too short ({len(tokens)} words; at least {MIN_WORDS})"
    if len(tokens) > MAX_WORDS:
        return f"too long ({len(tokens)} words; at most {MAX_WORDS})"
    if not clean.endswith("?"):
        return "not a question (does not end with '?')"
    if clean.count("?") > 1:
        return "asks more than one question"
    # "You said you cut the scope. Why that?" : one statement that quotes the answer may lead.
    sentences = split_sentences(clean)
    quoted = len(sentences) == 2 and _QUOTE_LEAD.match(sentences[0]) is not None
    if len(sentences) > 1 and not quoted:
        return "more than one sentence"
    asking = sentences[-1] if quoted else clean
    tokens = words(asking)
    first_two = " ".join(tokens[:2])
    opener = tokens[0].split("'")[0] if tokens else ""  # "what's", "how'd", "can't"
    if opener not in _SINGLE_OPENERS and first_two not in _TWO_WORD_OPENERS:
        return f"does not start like a question ({opener!r})"
    every = words(clean)
    if any(every[i] == every[i + 1] == every[i + 2] for i in range(len(every) - 2)):
        return "repeats a word"
    if len(set(every)) < len(every) / 2:
        return "repeats itself"
    if _near_copy(asking, example_texts() if examples is None else examples):
        return "copies a few-shot example"
    question_text = question.text if isinstance(question, Question) else question
    if _near_copy(asking, [question_text]):
        return "copies the question"
    if _near_copy(clean, asked) or _near_copy(asking, asked):
        return "repeats an earlier question"
    answer_norm = " ".join(words(answer))
    if _near_copy(asking, [answer]) or (answer_norm and " ".join(tokens) in answer_norm):
        return "copies the candidate's answer"
    # Imported here: grounding builds on this module's word handling.
    from interviewer.interview.grounding import invented_entities, question_sources

    invented = invented_entities(clean, [*question_sources(question), answer])
    if invented:
        return (
            f"brings in {', '.join(invented)}, which neither the question nor the answer mentions"
        )
    if quoted:
        # The quote must be the candidate's: most of its words come from the answer.
        lead = content_words(_QUOTE_VERB.sub("", sentences[0])) - _PROBE_STEMS
        if lead and len(lead & content_words(answer)) < 0.6 * len(lead):
            return "misquotes the candidate (the 'You said' part is not in the answer)"
    specific = content_words(asking) - _PROBE_STEMS
    if specific and not specific & _topic_words(question, answer):
        return "off topic (no content word in common with the question or the answer)"
    return None


# --------------------------------------------------------------------------- answer analysis

_SITUATION = re.compile(
    r"\b(?:when|while|at (?:my|our|the|a) |in (?:my|our) (?:last|previous|first|current|old)"
    r"|last (?:year|month|week|quarter|summer|spring|autumn|fall|winter)|(?:a|one) time"
    r"|project|team|company|client|customer|job|internship|course|class|startup|manager"
    r"|deadline|we had|there was|there were|i was (?:working|a|an|the|on|in|leading|responsible)"
    r"|my (?:task|goal|job|role)|responsible|situation)",
    re.IGNORECASE,
)
# "I would", "I think", "I usually" describe intentions or habits, not what was done.
_NOT_ACTION = _wordset(
    """
    would think guess believe feel mean am was usually always generally don't do can could will
    might hope wish like suppose tend normally typically try
    """
)
_ACTION_FILLER = _wordset("then also personally first quickly just immediately finally")
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
_VERB_BASES = _wordset(
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
_PARTICIPLES = _wordset(
    "chosen taken given done made known shown written seen drawn broken grown run set kept held"
)
_VERBS = frozenset(
    {"is", "are", "was", "were", "been", "being", "does", "did", "often", "rarely", "never"}
    | _PARTICIPLES
    | set(_VERB_BASES)
    | {v + ("es" if v.endswith(("s", "sh", "ch", "x")) else "s") for v in _VERB_BASES}
)
_IMPERATIVES = _wordset(
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
_WEAK = _wordset(
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
_OBJECT_STARTS = _wordset(
    """
    the a an its their his her your our to into onto with from that each all any some both
    how what why whether which
    """
)
# ... except prepositions, which follow nouns just as often ("SGD with momentum").
_VERB_OBJECTS = _OBJECT_STARTS - {"to", "with", "from"}
_CLAUSE_END = re.compile(r"\s*[,;:]\s*|\s+\(|\s+-\s+")


# Words ending in -ly that are not adverbs (an adverb ends a noun phrase).
_LY_NOUNS = _wordset("early daily weekly monthly yearly quarterly family anomaly supply")


def _is_plural(word: str) -> bool:
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
    head = _CLAUSE_END.split(_ascii(key_point), maxsplit=1)[0]
    raw = [t.strip(".!?\"'()") for t in head.split()]
    tokens = [(_spoken_case(t, i == 0), t.lower()) for i, t in enumerate(raw) if t]
    low = [t for _, t in tokens]
    skip = 0
    if low and low[0] in ("first", "then", "next", "finally", "also"):
        skip = 1  # "First aggregate events per user ..."
    if len(low) > skip and low[skip] in _IMPERATIVES:
        skip += 1
    elif len(low) > skip + 1 and (
        low[skip + 1] in _VERB_OBJECTS or (_is_plural(low[skip]) and low[skip + 1] not in _VERBS)
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
                or _is_plural(low[i - 1])
                or (_is_plural(word) and (nxt in _OBJECT_STARTS or nxt.endswith("ly")))
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


# --------------------------------------------------------------------------- the policy


@dataclass(frozen=True)
class FollowUp:
    """A follow-up to speak, where it came from, and why it was chosen."""

    text: str
    source: Literal["llm", "rule"]
    reason: str
    #: the model's proposal when it was rejected (for logs and tests)
    model_text: str | None = None
    #: what was said just before it, if anything (an acknowledgement)
    lead_in: str = ""


#: How long the candidate may wait for the model's follow-up, from the acknowledgement on, before
#: the rules' quote of their answer bridges the gap (about an acknowledgement's length) ...
WAIT_S = 0.8
#: ... and how much longer the model then has, while the quote plays, to supply the question.
BRIDGE_WAIT_S = 1.4

_GENERIC_PROBES = (
    "How would you measure whether it worked?",
    "Could you give me a concrete example of that?",
    "What was the hardest part, and how did you handle it?",
    "Is there anything you would like to add to that answer?",
)


@dataclass(frozen=True)
class FollowUpPlan:
    """What the rules chose: a ready follow-up, why, and the focus to give the model."""

    text: str
    reason: str
    focus: str | None

    @property
    def lead(self) -> str | None:
        """The "You said ..." sentence that opens :attr:`text`, if any (a bridge to speak)."""
        sentences = split_sentences(self.text)
        return sentences[0] if len(sentences) == 2 and _QUOTE_LEAD.match(sentences[0]) else None

    @property
    def question(self) -> str:
        """:attr:`text` without its lead."""
        lead = self.lead
        return self.text[len(lead) :].strip() if lead else self.text


#: Where a model call on its own thread leaves its result: (text or None, why, raw text).
_Box = queue.Queue[tuple[str | None, str, str | None]]


def _asking_part(text: str) -> str:
    sentences = split_sentences(_ascii(text))
    return sentences[-1] if sentences else text


class FollowUpPolicy:
    """Proposes one follow-up on an answer: the model's if it passes validation, else a rule's.

    ``llm`` may be None (rules only). ``instruction_tuned`` picks chat messages over a raw
    few-shot completion prompt. ``seed`` fixes the model's sampling. ``wait_s`` and
    ``bridge_wait_s`` bound how long :meth:`compose` waits for the model while the candidate
    listens (None: as long as it takes, as in text mode and the quality benchmark).
    """

    def __init__(
        self,
        llm: LLM | None,
        *,
        instruction_tuned: bool = False,
        max_tokens: int = 72,
        seed: int = 0,
        wait_s: float | None = WAIT_S,
        bridge_wait_s: float = BRIDGE_WAIT_S,
    ) -> None:
        self._llm = llm
        self._instruction_tuned = instruction_tuned
        self._max_tokens = max_tokens
        self._seed = seed
        self._examples = example_texts()
        self.wait_s = wait_s
        self.bridge_wait_s = bridge_wait_s
        # a model call started early on a speculative answer: (key, its result box)
        self._prefetched: tuple[tuple[str, str, tuple[str, ...]], _Box] | None = None
        self._prefetch_lock = threading.Lock()

    def plan(self, question: Question, answer_text: str, asked: Sequence[str] = ()) -> FollowUpPlan:
        """The rules' follow-up (a template quoting the answer), ready in milliseconds."""
        # Imported here: probes builds on this module's word handling.
        from interviewer.interview.probes import plan_probes

        probes = plan_probes(question, answer_text)
        text, reason = self._rule(
            question, answer_text, asked, [(p.text, p.reason) for p in probes]
        )
        return FollowUpPlan(text, reason, probes[0].focus if probes else None)

    def model_follow_up(
        self, question: Question, answer_text: str, asked: Sequence[str], focus: str | None
    ) -> tuple[str | None, str, str | None]:
        """(accepted text or None, why, the model's raw text): one model call, checked."""
        from interviewer.interview.grounding import judge_follow_up

        if self._llm is None:
            return None, "no model", None
        try:
            model_text = self._ask_model(question, answer_text, focus)
        except ModelError as exc:
            return None, f"model failed ({exc})", None
        problem = self.validate(model_text, question, answer_text, asked)
        if problem is None and not judge_follow_up(model_text, question, answer_text).grounded:
            problem = "not grounded (names nothing the candidate said, no missing part)"
        if problem is not None:
            return None, f"model proposal rejected: {problem}", model_text
        about = f" (asked about: {focus})" if focus else ""
        return model_text, f"model proposal passed validation{about}", model_text

    def propose(self, question: Question, answer_text: str, asked: Sequence[str] = ()) -> FollowUp:
        """A follow-up on ``answer_text`` that repeats none of ``asked`` (earlier follow-ups).

        The rules choose what to probe; the model phrases it, and its text is used only if it
        passes validation and is grounded in the answer. Otherwise a template that quotes the
        answer asks the same thing. Waits for the model as long as it takes.
        """
        plan = self.plan(question, answer_text, asked)
        text, why, model_text = self.model_follow_up(question, answer_text, asked, plan.focus)
        if text is not None:
            return FollowUp(text, "llm", why)
        return FollowUp(plan.text, "rule", f"{why}; {plan.reason}", model_text)

    def prefetch(self, question: Question, answer_text: str, asked: Sequence[str]) -> FollowUpPlan:
        """Start the model on a speculative answer (the candidate has paused, maybe for good).

        :meth:`compose` uses the result if it is asked about exactly this answer; otherwise it
        is discarded. Safe to call from another thread than :meth:`compose`'s. Returns the
        rules' plan, whose sentences the caller may synthesize ahead.
        """
        plan = self.plan(question, answer_text, asked)
        if self._llm is None or self.wait_s is None:
            return plan
        key = (question.id, answer_text, tuple(asked))
        with self._prefetch_lock:
            if self._prefetched is not None and self._prefetched[0] == key:
                return plan
        box = self._start_model(question, answer_text, asked, plan.focus)
        with self._prefetch_lock:
            self._prefetched = (key, box)
        return plan

    def _start_model(
        self, question: Question, answer_text: str, asked: Sequence[str], focus: str | None
    ) -> _Box:
        box: _Box = queue.Queue(maxsize=1)
        asked = list(asked)
        threading.Thread(
            target=lambda: box.put(self.model_follow_up(question, answer_text, asked, focus)),
            name="follow-up",
            daemon=True,
        ).start()
        return box

    def compose(
        self,
        question: Question,
        answer_text: str,
        asked: Sequence[str],
        on_done: Callable[[FollowUp], None],
        ack: str = "",
    ) -> Iterator[str]:
        """The follow-up as pieces to speak, without leaving the candidate in silence.

        The model runs on its own thread (started at the candidate's pause by
        :meth:`prefetch`, or now) while ``ack`` plays (a stock phrase, synthesized ahead, so
        the candidate hears the interviewer at once). If the model has not answered within
        ``wait_s``, the rules' quote of the candidate ("You said you cut the scope.") bridges
        the gap and the model gets ``bridge_wait_s`` more to supply the question; then the
        template's question is asked. ``on_done`` receives the follow-up as spoken, before its
        last piece is yielded. With ``wait_s`` None (typed answers) it waits for the model.
        """
        plan = self.plan(question, answer_text, asked)
        if self.wait_s is None:
            follow_up = replace(self.propose(question, answer_text, asked), lead_in=ack)
            on_done(follow_up)
            yield from (ack, follow_up.text) if ack else (follow_up.text,)
            return
        box: _Box | None = None
        if self._llm is not None:
            key = (question.id, answer_text, tuple(asked))
            with self._prefetch_lock:
                early, self._prefetched = self._prefetched, None
            if early is not None and early[0] == key:
                box = early[1]  # composed while the candidate's pause was still running
            else:
                box = self._start_model(question, answer_text, asked, plan.focus)

        def result(timeout: float) -> tuple[str | None, str, str | None] | None:
            if box is None:
                return None, "no model", None
            try:
                return box.get(timeout=max(0.0, timeout))
            except queue.Empty:
                return None

        def fallback(got: tuple[str | None, str, str | None] | None, lead_in: str) -> FollowUp:
            why = got[1] if got is not None else "model not ready in time"
            return FollowUp(plan.text, "rule", f"{why}; {plan.reason}", got and got[2], lead_in)

        if ack:
            yield ack  # cached audio: the candidate hears the interviewer at once
        got = result(self.wait_s)
        if got is not None and got[0] is not None:
            on_done(FollowUp(got[0], "llm", got[1], lead_in=ack))
            yield got[0]
            return
        lead = plan.lead
        if lead is None:
            on_done(fallback(got, ack))
            yield plan.text
            return
        yield lead  # the candidate's own words while the model finishes
        got = got or result(self.bridge_wait_s)
        if got is not None and got[0] is not None:
            asking = _asking_part(got[0])
            combined = f"{lead} {asking}"
            if self.validate(combined, question, answer_text, asked) is None:
                on_done(FollowUp(combined, "llm", f"{got[1]}; after the quote", lead_in=ack))
                yield asking
                return
        on_done(fallback(got, ack))
        yield plan.question

    def validate(
        self, text: str, question: Question, answer_text: str, asked: Sequence[str] = ()
    ) -> str | None:
        """:func:`validate_follow_up` against this policy's prompt examples."""
        return validate_follow_up(
            text, question=question, answer=answer_text, examples=self._examples, asked=asked
        )

    def _ask_model(self, question: Question, answer_text: str, focus: str | None = None) -> str:
        prompt = (
            follow_up_messages(question.text, answer_text, focus)
            if self._instruction_tuned
            else follow_up_prompt(question.text, answer_text, focus)
        )
        assert self._llm is not None
        value = self._llm.complete_json(
            prompt,
            FOLLOW_UP_SCHEMA,
            max_tokens=self._max_tokens,
            temperature=0.0,
            seed=self._seed,
        )
        text = value.get("follow_up")
        if not isinstance(text, str):
            raise ModelError("follow_up is not a string")
        return _ascii(text).strip(" \"'")

    def _rule(
        self,
        question: Question,
        answer: str,
        asked: Sequence[str],
        probes: Sequence[tuple[str, str]],
    ) -> tuple[str, str]:
        """The first rule-based follow-up that passes validation, with the reason it was chosen.

        First the planned probes (templates quoting the answer), then the bank's own follow-ups,
        then generic probes.
        """
        candidates = [
            *probes,
            *((_ascii(t), "rule: next follow-up from the bank") for t in question.follow_ups),
            *((t, "rule: generic probe") for t in _GENERIC_PROBES[:-1]),
        ]
        for text, reason in candidates:
            if self.validate(text, question, answer, asked) is None:
                return text, reason
        # Everything was asked already (or the bank's wording fails the checks): a neutral
        # closing probe, which always fits.
        return _GENERIC_PROBES[-1], "nothing left to probe"
