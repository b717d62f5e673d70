"""Follow-up questions: the model proposes, a validator checks, rules fill in.

The default model is a 270M base model. It is quick enough to propose a follow-up while the
candidate waits, but it often copies one of its few-shot examples, repeats the question, echoes
the answer or drifts off topic. Nothing it writes is spoken unchecked: :func:`validate_follow_up`
accepts only a single, short, on-topic question that copies nothing, and when the model fails
(or there is none) a rule-based probe asks for what the answer is missing: a STAR part for
behavioural questions, an uncovered key point for technical ones.
"""

from __future__ import annotations

import difflib
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from interviewer.engines.base import LLM
from interviewer.errors import ModelError
from interviewer.interview.answers import (
    covered_key_points,
    is_plural,
    missing_star_parts,
    topic_phrase,
)
from interviewer.interview.bank import Question
from interviewer.interview.prompts import (
    FOLLOW_UP_SCHEMA,
    example_texts,
    follow_up_messages,
    follow_up_prompt,
)
from interviewer.text import ascii_text, content_words, split_sentences, stem, words, wordset

__all__ = [
    "MAX_WORDS",
    "MIN_WORDS",
    "FollowUp",
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

# --------------------------------------------------------------------------- similarity

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
    deadlines priority priorities
    """
)

_PROBE_STEMS = frozenset(stem(w) for w in _PROBE_WORDS)


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
_PLACEHOLDER = re.compile(
    r"[\[\]{}<>|\\]|_{2,}|\.\.\.|\b(?:xxx+|tbd|todo|lorem|placeholder|n/a)\b", re.IGNORECASE
)
_AI_TALK = re.compile(
    r"\b(?:as an ai|an ai(?: language)? model|a (?:large )?language model|i am an ai|i'm an ai"
    r"|i cannot help|i can't help|openai|chatgpt)\b",
    re.IGNORECASE,
)
_PROMPT_LEAK = re.compile(r"\b(?:question|answer|follow[- ]?up|json)\s*:", re.IGNORECASE)


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
        parts = [question.text, *question.key_points, *question.follow_ups]
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
    if len(split_sentences(clean)) > 1:
        return "more than one sentence"
    first_two = " ".join(tokens[:2])
    opener = tokens[0].split("'")[0]  # "what's", "how'd", "can't"
    if opener not in _SINGLE_OPENERS and first_two not in _TWO_WORD_OPENERS:
        return f"does not start like a question ({tokens[0]!r})"
    if any(tokens[i] == tokens[i + 1] == tokens[i + 2] for i in range(len(tokens) - 2)):
        return "repeats a word"
    if len(set(tokens)) < len(tokens) / 2:
        return "repeats itself"
    if _near_copy(clean, example_texts() if examples is None else examples):
        return "copies a few-shot example"
    question_text = question.text if isinstance(question, Question) else question
    if _near_copy(clean, [question_text]):
        return "copies the question"
    if _near_copy(clean, asked):
        return "repeats an earlier question"
    answer_norm = " ".join(words(answer))
    if _near_copy(clean, [answer]) or (answer_norm and " ".join(tokens) in answer_norm):
        return "copies the candidate's answer"
    specific = content_words(clean) - _PROBE_STEMS
    if specific and not specific & _topic_words(question, answer):
        return "off topic (no content word in common with the question or the answer)"
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


_STAR_PROBES: dict[str, str] = {
    "situation": "Could you set the scene a little: where was this, and what was your role?",
    "action": "What did you personally do, step by step?",
    "result": "How did it turn out, and can you put a number on the result?",
    "reflection": "Looking back, what did you learn, and what would you do differently?",
}
_KEY_POINT_TEMPLATES = (
    "Could you also talk about {phrase}?",
    "What would you say about {phrase} here?",
    "Where {verb} {phrase} come in?",
)
_GENERIC_PROBES = (
    "How would you measure whether it worked?",
    "Could you give me a concrete example of that?",
    "What was the hardest part, and how did you handle it?",
    "Is there anything you would like to add to that answer?",
)


class FollowUpPolicy:
    """Proposes one follow-up on an answer: the model's if it passes validation, else a rule's.

    ``llm`` may be None (rules only). ``instruction_tuned`` picks chat messages over a raw
    few-shot completion prompt. ``seed`` fixes the model's sampling.
    """

    def __init__(
        self,
        llm: LLM | None,
        *,
        instruction_tuned: bool = False,
        max_tokens: int = 72,
        seed: int = 0,
    ) -> None:
        self._llm = llm
        self._instruction_tuned = instruction_tuned
        self._max_tokens = max_tokens
        self._seed = seed
        self._examples = example_texts()

    def propose(self, question: Question, answer_text: str, asked: Sequence[str] = ()) -> FollowUp:
        """A follow-up on ``answer_text`` that repeats none of ``asked`` (earlier follow-ups)."""
        why_not_model = "no model"
        model_text: str | None = None
        if self._llm is not None:
            try:
                model_text = self._ask_model(question, answer_text)
            except ModelError as exc:
                why_not_model = f"model failed ({exc})"
            else:
                problem = self.validate(model_text, question, answer_text, asked)
                if problem is None:
                    return FollowUp(model_text, "llm", "model proposal passed validation")
                why_not_model = f"model proposal rejected: {problem}"
        text, reason = self._rule(question, answer_text, asked)
        return FollowUp(text, "rule", f"{why_not_model}; {reason}", model_text)

    def validate(
        self, text: str, question: Question, answer_text: str, asked: Sequence[str] = ()
    ) -> str | None:
        """:func:`validate_follow_up` against this policy's prompt examples."""
        return validate_follow_up(
            text, question=question, answer=answer_text, examples=self._examples, asked=asked
        )

    def _ask_model(self, question: Question, answer_text: str) -> str:
        prompt = (
            follow_up_messages(question.text, answer_text)
            if self._instruction_tuned
            else follow_up_prompt(question.text, answer_text)
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
        return ascii_text(text).strip(" \"'")

    def _rule(self, question: Question, answer: str, asked: Sequence[str]) -> tuple[str, str]:
        """The first rule-based probe that passes validation, with the reason it was chosen."""
        candidates = list(self._rule_candidates(question, answer))
        for text, reason in candidates:
            if self.validate(text, question, answer, asked) is None:
                return text, reason
        # Everything was asked already (or the bank's wording fails the checks): a neutral
        # closing probe, which always fits.
        return _GENERIC_PROBES[-1], "nothing left to probe"

    def _rule_candidates(self, question: Question, answer: str) -> Iterable[tuple[str, str]]:
        if question.type == "behavioral":
            for part in missing_star_parts(answer):
                yield _STAR_PROBES[part], f"rule: answer lacks the STAR {part}"
        else:
            covered = covered_key_points(question, answer)
            for index, (point, ok) in enumerate(zip(question.key_points, covered, strict=True)):
                if ok:
                    continue
                phrase = topic_phrase(point)
                # Probe a concept the candidate did not name and the question did not give.
                if phrase is None or content_words(phrase) <= content_words(
                    f"{answer} {question.text}"
                ):
                    continue
                yield _key_point_probe(question.id, phrase), f"rule: key point {index + 1} missing"
        for text in question.follow_ups:
            yield ascii_text(text), "rule: next follow-up from the bank"
        for text in _GENERIC_PROBES[:-1]:
            yield text, "rule: generic probe"


def _key_point_probe(question_id: str, phrase: str) -> str:
    # Stable variety: the template depends on the question and phrase, not on a global counter,
    # so the same interview replays with the same words.
    index = zlib.crc32(f"{question_id}:{phrase}".encode()) % len(_KEY_POINT_TEMPLATES)
    verb = "do" if is_plural(phrase.split()[-1]) else "does"
    return _KEY_POINT_TEMPLATES[index].format(phrase=phrase, verb=verb)
