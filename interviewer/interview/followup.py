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
from interviewer.interview.answers import (
    covered_key_points,
    missing_star_parts,
    topic_phrase,
)
from interviewer.interview.bank import Question
from interviewer.interview.grounding import (
    PROBE_STEMS as _PROBE_STEMS,
)
from interviewer.interview.grounding import (
    invented_entities,
    judge_follow_up,
    question_sources,
)
from interviewer.interview.probes import plan_probes
from interviewer.interview.prompts import (
    FOLLOW_UP_SCHEMA,
    example_texts,
    follow_up_messages,
    follow_up_prompt,
)
from interviewer.text import ascii_text, content_words, split_sentences, words, wordset

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
    sentences = split_sentences(ascii_text(text))
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

        probes = plan_probes(question, answer_text)
        text, reason = self._rule(
            question, answer_text, asked, [(p.text, p.reason) for p in probes]
        )
        return FollowUpPlan(text, reason, probes[0].focus if probes else None)

    def model_follow_up(
        self, question: Question, answer_text: str, asked: Sequence[str], focus: str | None
    ) -> tuple[str | None, str, str | None]:
        """(accepted text or None, why, the model's raw text): one model call, checked."""

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
        return ascii_text(text).strip(" \"'")

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
            *((ascii_text(t), "rule: next follow-up from the bank") for t in question.follow_ups),
            *((t, "rule: generic probe") for t in _GENERIC_PROBES[:-1]),
        ]
        for text, reason in candidates:
            if self.validate(text, question, answer, asked) is None:
                return text, reason
        # Everything was asked already (or the bank's wording fails the checks): a neutral
        # closing probe, which always fits.
        return _GENERIC_PROBES[-1], "nothing left to probe"
