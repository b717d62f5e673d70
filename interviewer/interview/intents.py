"""What a candidate's turn means besides an answer: commands, yes/no, questions, fact lookup.

The interview machine asks these before it treats a turn as an answer. Everything here is a
rule over the transcribed words (no model): STT output is noisy, so each rule tolerates
fillers and courtesies around the intent, and a long turn only counts as a command when it
plainly asks for one.
"""

from __future__ import annotations

import re
from typing import Literal

from interviewer.interview.bank import CompanyFact, CompanyProfile
from interviewer.text import content_words, wordset

__all__ = [
    "CLEAR_COMMAND_WORDS",
    "SHORT_COMMAND_WORDS",
    "Command",
    "is_no",
    "is_question",
    "is_yes",
    "match_fact",
    "parse_command",
    "says_dont_know",
]

Command = Literal["repeat", "skip", "pause", "end"]

# --------------------------------------------------------------------------- commands


# Hesitations and courtesies STT leaves around a command ("um, sorry, could you repeat that").
_FILLERS = wordset(
    "um umm uh uhh erm er ah hmm hm mm oh okay ok so well sorry hey yeah alright right actually "
    "please thanks"
)
# How people ask: "could you", "can we", "I'd like to", "let's" ... (optional in short commands).
_ASK = (
    r"(?:(?:can|could|would|will|may|should) (?:you|we|i)(?: please)? |please |"
    r"(?:i'd|i would|i|we) (?:like|want|need|have) to |let's |let us |i'd rather |"
    r"maybe (?:we can )?|do you mind if we |mind if we |(?:i think )?we should )"
)
_REPEAT = (
    r"(?:repeat(?: (?:that|it|this|the question|the last question|the last part|yourself))?"
    r"(?: again)?|say (?:that|it|the question) again|say again|come again|pardon(?: me)?"
    r"|one more time|(?:what was|what's|what is) the question(?: again)?"
    r"|i didn't (?:catch|hear|get|understand) (?:that|it|the question|you)"
    r"|hear (?:it|that|the question) again|go over (?:that|the question) again)"
)
_SKIP = (
    r"(?:skip(?: (?:this|that|it|this one|that one|this question|the question|ahead))?"
    r"|(?:go|move|jump)(?: on)? to the next(?: question| one)?|(?:the )?next(?: question| one)?"
    r"|move on|pass(?: on (?:this|that)(?: one)?)?"
    r"|(?:i'd|i would) rather not answer(?: (?:this|that|it|this one|that one|this question))?)"
)
_PAUSE = (
    r"(?:give me (?:a|one|a few) (?:moment|second|sec|minute)s?(?: to think)?"
    r"|(?:let me|i need to|i have to|i'll|i want to) think(?: about (?:it|that|this))?"
    r"(?: for a (?:moment|second|sec|minute|bit))?"
    r"|(?:just )?(?:one|a) (?:second|sec|moment|minute)"
    r"|(?:hold|hang) on(?: a (?:second|sec|moment))?"
    r"|wait(?: a (?:second|sec|moment))?|i need (?:a|one) (?:moment|second|minute)"
    r"|(?:have|take) a (?:moment|second|minute)(?: to think)?)"
)
_END_VERB = r"(?:end|stop|finish|wrap up|quit|conclude)"
_END_OBJECT = r"(?: (?:the |this |our )?interview)"
_END_WHEN = r"(?: (?:here|now|early|for today|for now|please))"
_END = (
    rf"(?:{_ASK}{_END_VERB}{_END_OBJECT}?{_END_WHEN}?|{_END_VERB}{_END_OBJECT}{_END_WHEN}?"
    rf"|{_END_VERB}{_END_WHEN}|that's enough for today|let's call it a day)"
)
_SHORT_COMMANDS: tuple[tuple[Command, re.Pattern[str]], ...] = (
    ("end", re.compile(_END)),
    ("skip", re.compile(rf"{_ASK}?{_SKIP}")),
    ("repeat", re.compile(rf"{_ASK}?{_REPEAT}")),
    ("pause", re.compile(rf"{_ASK}?{_PAUSE}")),
)
# In a longer turn only unmistakable requests count, and only phrased as a request, so that
# "in my last job I had to stop the interview process" is an answer, not the end.
_REQUEST = (
    r"(?:^|\b(?:please|can you|could you|would you|can we|could we|should we|let's|"
    r"we should|i'd like to|i would like to|i want to|i need to|i have to)\s+)"
)
_CLEAR_COMMANDS: tuple[tuple[Command, re.Pattern[str]], ...] = (
    ("end", re.compile(rf"{_REQUEST}(?:end|stop|finish) (?:the |this )?interview\b")),
    (
        "skip",
        re.compile(
            rf"{_REQUEST}(?:skip (?:this|that|the) question|move on to the next question"
            r"|go to the next question)\b"
        ),
    ),
    ("repeat", re.compile(rf"{_REQUEST}(?:repeat|say again) (?:the|that) question\b")),
    ("pause", re.compile(rf"{_REQUEST}give me (?:a|one) (?:moment|second|minute)\b")),
)
SHORT_COMMAND_WORDS = 8
CLEAR_COMMAND_WORDS = 15


def _normalise(text: str) -> list[str]:
    text = text.replace("’", "'").lower()
    return re.sub(r"[^a-z0-9' ]+", " ", text).split()


def _strip_fillers(tokens: list[str]) -> list[str]:
    start, end = 0, len(tokens)
    while start < end:
        if tokens[start] in _FILLERS:
            start += 1
        elif tokens[start : min(end, start + 2)] == ["thank", "you"]:
            start += 2
        else:
            break
    while end > start:
        if tokens[end - 1] in _FILLERS:
            end -= 1
        elif tokens[max(start, end - 2) : end] == ["thank", "you"]:
            end -= 2
        else:
            break
    return tokens[start:end]


def parse_command(text: str) -> Command | None:
    """The command in a candidate's turn, or None if the turn is an answer.

    A short turn (up to 8 words, fillers aside) counts when it is nothing but a command in
    one of its usual phrasings ("could you repeat the question", "skip", "can we move on", "let
    me think", "I'd like to stop"); a longer turn (up to 15 words) only when it plainly asks
    for one ("could you repeat the question, I didn't catch the end").
    """
    tokens = _normalise(text)
    core = _strip_fillers(tokens)
    if not core:
        return None
    phrase = " ".join(core)
    if len(core) <= SHORT_COMMAND_WORDS:
        for command, pattern in _SHORT_COMMANDS:
            if pattern.fullmatch(phrase):
                return command
    if len(tokens) <= CLEAR_COMMAND_WORDS:
        for command, pattern in _CLEAR_COMMANDS:
            if pattern.search(phrase):
                return command
    return None


_YES = re.compile(
    r"(?:yes|yeah|yep|yup|sure|please|ok|okay|i do|i have|go ahead|please do|yes please|"
    r"that would be (?:great|good|helpful)|yes i do|yeah please|sure please|i have one)"
)
_NO = re.compile(
    r"^(?:no|nope|nah|not really|not at the moment|not right now|not for now|nothing|none|"
    r"i'm good|i am good|i'm fine|i am fine|that's (?:all|it|everything)|i think that's (?:all|it)|"
    r"i don't|i do not|no questions)\b"
)
_QUESTION_START = wordset(
    "what what's why how how's when where where's which who who's whose is are do does did can "
    "could would will should have has was were am"
)
_ASKING = re.compile(
    r"\b(?:i was wondering|i'd like to know|i would like to know|(?:could|can) you tell me|"
    r"tell me (?:about|more)|i'm curious|curious about|i wanted to ask|my question is|"
    r"what about|how about)\b"
)
_DONT_KNOW = re.compile(
    r"\b(?:(?:i )?(?:don't|do not) know|no idea|not sure|i can't remember|i don't remember|"
    r"never (?:done|heard))\b"
)


def is_yes(text: str) -> bool:
    """Whether the turn is nothing but a yes ("yes please", "sure", "go ahead")."""
    core = _strip_fillers(_normalise(text))
    return bool(core) and bool(_YES.fullmatch(" ".join(core)))


def is_no(text: str) -> bool:
    """Whether the turn starts with a no ("no", "not really", "I'm good")."""
    return bool(_NO.match(" ".join(_normalise(text))))


def says_dont_know(text: str) -> bool:
    """Whether the candidate says they don't know ("no idea", "I can't remember")."""
    return bool(_DONT_KNOW.search(text.lower()))


_LEADING_REPLY_WORDS = wordset("yes yeah yep sure no nope but and actually so well")


def is_question(text: str) -> bool:
    """Whether the turn asks something (a question word first, a '?', or "I was wondering")."""
    tokens = _strip_fillers(_normalise(text))
    # "Yes, what's the team like?" and "No, but how big is the company?" are questions.
    while tokens and tokens[0] in _LEADING_REPLY_WORDS:
        tokens = tokens[1:]
    if not tokens:
        return False
    return "?" in text or tokens[0] in _QUESTION_START or bool(_ASKING.search(" ".join(tokens)))


# --------------------------------------------------------------------------- company facts

# Ways candidates ask about a fact's topic, paired with the topic names the bank uses.
_FACT_INTENTS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (re.compile(asked), re.compile(topic))
    for asked, topic in (
        (
            r"\bwhat (?:does|do|is) (?:\w+ ){0,3}(?:do|does|make|build|sell|offer)\b"
            r"|\bproducts?\b|\bbusiness\b|\bmission\b|\bwhat (?:is|are) you building\b",
            r"what the (?:company|organi[sz]ation) does|business|product",
        ),
        (
            r"\bhow (?:big|large)\b|\bhow many (?:people|employees|staff|engineers)\b|\bsize\b"
            r"|\bheadcount\b|\bemployees\b|\bfunding\b|\bstage\b|\bgrowing\b",
            r"\bsize\b|\bscale\b|\bstage\b",
        ),
        (
            r"\bremote\b|\boffice\b|\bhybrid\b|\bfrom home\b|\bin person\b|\bon ?site\b"
            r"|\bwork(?:ing)? model\b|\bbased\b|\blocated\b|\blocation\b",
            r"working model|location|office",
        ),
        (
            r"\bprocess\b|\bnext steps?\b|\brounds?\b|\bwhat happens next\b|\bhear back\b",
            r"interview process|hiring|assessment",
        ),
        (
            r"\btech\b|\btechnolog\w*|\bstack\b|\btools?\b|\blanguages?\b|\bframeworks?\b",
            r"tech|stack|tools",
        ),
        (
            r"\bteams?\b|\bsquads?\b|\breport(?:ing)? to\b|\bwho (?:would|will) i work with\b"
            r"|\bstructured?\b|\borgani[sz]ed\b",
            r"team",
        ),
        (
            r"\bsalary\b|\bpay\b|\bcompensation\b|\bequity\b|\bstock\b|\bbenefits\b",
            r"salary|equity|compensation|benefits",
        ),
        (
            r"\blearning\b|\btraining\b|\bgrowth\b|\bcareer\b|\bpromotion\b|\bdevelop\w*"
            r"|\blevels?\b|\bprogression\b",
            r"learning|development|levels|career",
        ),
        (r"\bon ?call\b|\bpager\b|\bincidents?\b", r"on-call"),
        (r"\bculture\b|\bvalues\b|\bprinciples\b", r"principles|values|culture"),
    )
)
# Words that say nothing about which fact is wanted.
_GENERIC_ASK_WORDS = content_words(
    "company organisation organization work working job role like know tell question questions "
    "ask wondering curious day typical"
)


def match_fact(company: CompanyProfile | None, question: str) -> CompanyFact | None:
    """The company fact that answers the candidate's question, or None.

    A fact scores 3 when the question asks about its topic in one of the usual ways ("how
    big ..." for size), 2 per topic word the question uses and 1 per word shared with the
    fact's answer; the best fact with at least 2 wins (the first one on ties).
    """
    if company is None:
        return None
    asked = " ".join(_normalise(question))
    asked_words = content_words(asked) - _GENERIC_ASK_WORDS
    best: tuple[int, CompanyFact | None] = (0, None)
    for fact in company.facts:
        topic = fact.topic.lower()
        score = sum(3 for a, t in _FACT_INTENTS if a.search(asked) and t.search(topic))
        score += 2 * len(asked_words & content_words(topic))
        score += len(asked_words & content_words(fact.answer))
        if score > best[0]:
            best = (score, fact)
    return best[1] if best[0] >= 2 else None
