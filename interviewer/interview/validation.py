"""Whether a proposed follow-up is fit to be spoken: :func:`validate_follow_up`.

The default model is a 270M base model: it copies its few-shot examples, repeats the question,
echoes the answer, drifts off topic or brings in a customer nobody mentioned. Nothing it writes
is spoken unless these checks pass. (Split from :mod:`interviewer.interview.followup`, which
re-exports these names.)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from interviewer.interview.bank import Question
from interviewer.interview.grounding import (
    PROBE_STEMS as _PROBE_STEMS,
)
from interviewer.interview.grounding import (
    invented_entities,
    question_sources,
)
from interviewer.interview.prompts import example_texts
from interviewer.text import ascii_text, content_words, split_sentences, words, wordset

__all__ = [
    "COPY_THRESHOLD",
    "MAX_WORDS",
    "MIN_WORDS",
    "QUOTE_LEAD",
    "similarity",
    "validate_follow_up",
]

MIN_WORDS = 5
MAX_WORDS = 30
#: Above this similarity a proposal counts as a copy (max of token Jaccard and difflib ratio).
COPY_THRESHOLD = 0.8

# --------------------------------------------------------------------------- similarity


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

_SINGLE_OPENERS = wordset(
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
QUOTE_LEAD = re.compile(r"you (?:said|mentioned|talked about)\b[^?]*\.$", re.IGNORECASE)
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
        pieces = [other, *split_sentences(ascii_text(other))]
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
    clean = ascii_text(text)
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
    quoted = len(sentences) == 2 and QUOTE_LEAD.match(sentences[0]) is not None
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
