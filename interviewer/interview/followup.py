"""Follow-up questions: rules choose what to probe, the model phrases it, a validator checks.

Rules (:mod:`interviewer.interview.probes`) decide what is worth asking about: a missing STAR
part, an uncovered key point (named by the bank's ``topics``), a vague claim, an unexplained
number or decision, a red flag. The model is told that focus and proposes a follow-up.

The default model is a 270M base model. It is quick enough to propose a follow-up while the
candidate waits, but it often copies one of its few-shot examples, repeats the question, echoes
the answer, drifts off topic or brings in a customer nobody mentioned. Nothing it writes is
spoken unchecked: :func:`validate_follow_up` (in :mod:`interviewer.interview.validation`)
accepts only a short, on-topic question that copies nothing, invents no person, product,
number or event, and may lead with one sentence quoting the candidate ("You said ..."); the
policy also wants it grounded in the answer. When the model fails (or there is none), the
probe's template asks the same thing in the candidate's words.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
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
from interviewer.interview.grounding import judge_follow_up
from interviewer.interview.pacing import (
    AUDIO_FIRST_S,
    BRIDGE_AFTER_S,
    HANDOFF_S,
    PACE_CAP_S,
    POLL_S,
    Voice,
    in_time,
    soon_ready,
)
from interviewer.interview.probes import plan_probes
from interviewer.interview.prompts import (
    FOLLOW_UP_SCHEMA,
    example_texts,
    follow_up_messages,
    follow_up_prompt,
)
from interviewer.interview.validation import (
    MAX_WORDS,
    MIN_WORDS,
    QUOTE_LEAD,
    similarity,
    validate_follow_up,
)
from interviewer.text import ascii_text, content_words, split_sentences

__all__ = [
    "BRIDGE_AFTER_S",
    "BRIDGE_WAIT_S",
    "HANDOFF_S",
    "MAX_WORDS",
    "MIN_WORDS",
    "WAIT_S",
    "FollowUp",
    "FollowUpPlan",
    "FollowUpPolicy",
    "Voice",
    "content_words",
    "covered_key_points",
    "missing_star_parts",
    "similarity",
    "topic_phrase",
    "validate_follow_up",
]

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
        return sentences[0] if len(sentences) == 2 and QUOTE_LEAD.match(sentences[0]) else None

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
        #: set by the pipeline (``bind_voice``): compose then hands over at the end of each
        #: sentence actually played rather than after fixed waits
        self.voice: Voice | None = None
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
        box = self._start_model(question, answer_text, asked, plan)
        with self._prefetch_lock:
            self._prefetched = (key, box)
        return plan

    def _start_model(
        self, question: Question, answer_text: str, asked: Sequence[str], plan: FollowUpPlan
    ) -> _Box:
        box: _Box = queue.Queue(maxsize=1)
        asked = list(asked)
        voice = self.voice

        def run() -> None:
            if voice is not None:
                # The rules' follow-up is what the candidate hears when the model is late, and
                # on two busy cores the model slows its synthesis down: it goes first.
                deadline = time.monotonic() + AUDIO_FIRST_S
                while not voice.ready(plan.text) and time.monotonic() < deadline:
                    time.sleep(POLL_S)
            box.put(self.model_follow_up(question, answer_text, asked, plan.focus))

        threading.Thread(target=run, name="follow-up", daemon=True).start()
        return box

    def compose(
        self,
        question: Question,
        answer_text: str,
        asked: Sequence[str],
        on_done: Callable[[FollowUp], None],
        ack: str = "",
        bridge: str = "",
        long_ack: str = "",
    ) -> Iterator[str]:
        """The follow-up as pieces to speak, without leaving the candidate in silence.

        The model runs on its own thread (started at the candidate's pause by
        :meth:`prefetch`, or now) while ``ack`` plays (a stock phrase, synthesized ahead, so
        the candidate hears the interviewer at once). If the model has not answered within
        ``wait_s``, the rules' quote of the candidate ("You said you cut the scope.") bridges
        the gap and the model gets ``bridge_wait_s`` more to supply the question; then the
        template's question is asked. With a :class:`Voice` the waits follow the audio instead
        (see :meth:`_paced`), and ``bridge`` (a stock phrase) fills the line if the quote's
        audio is not made in time. ``on_done`` receives the follow-up as spoken, before its
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
                box = self._start_model(question, answer_text, asked, plan)

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

        if self.voice is not None:
            yield from self._paced(
                self.voice, plan, box, question, answer_text, asked, on_done, ack, bridge, long_ack
            )
            return
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

    def _paced(
        self,
        voice: Voice,
        plan: FollowUpPlan,
        box: _Box | None,
        question: Question,
        answer_text: str,
        asked: Sequence[str],
        on_done: Callable[[FollowUp], None],
        ack: str,
        bridge: str,
        long_ack: str = "",
    ) -> Iterator[str]:
        """:meth:`compose` paced on the voice: each sentence is queued as the one before ends.

        The acknowledgement (synthesized ahead) plays at once. The model's follow-up follows it
        if the model has written it and its audio is synthesized before the acknowledgement
        ends; otherwise the rules' quote of the answer does (synthesized when the candidate
        paused), then the model's question if its audio is ready before the quote ends, else
        the template's question (also synthesized at the pause). A fixed wait used to leave
        the candidate in silence whenever synthesis took longer than the acknowledgement.
        When the answer's text came late, the quote may not be synthesized by the time the
        acknowledgement ends: ``bridge``, synthesized at the start of the interview, is said
        in between ("Let me follow up on that.").
        """
        got: tuple[str | None, str, str | None] | None = None

        def wait_for(make: Callable[[str], str | None]) -> str | None:
            """The model's text as ``make`` shapes it, once its audio is ready; None when the
            model has nothing usable or the sentence playing now is about to end."""
            nonlocal got
            wanted: str | None = None
            deadline = time.monotonic() + PACE_CAP_S  # a voice that stopped playing
            while time.monotonic() < deadline:
                if wanted is None and got is not None:
                    wanted = make(got[0]) if got[0] is not None else None
                    if wanted is None:
                        return None  # the model had nothing usable: nothing to wait for
                    voice.prepare(wanted, urgent=True)
                if wanted is not None and voice.ready(wanted):
                    return wanted
                if voice.ahead() <= HANDOFF_S:
                    return None
                if got is None and box is None:
                    return None
                if got is None and box is not None:
                    with contextlib.suppress(queue.Empty):
                        got = box.get(timeout=POLL_S)
                else:
                    time.sleep(POLL_S)
            return None

        def fallback(lead_in: str) -> FollowUp:
            if got is None:
                why = "model not ready in time"
            elif got[0] is not None:
                why = "model's follow-up not synthesized in time"
            else:
                why = got[1]
            return FollowUp(plan.text, "rule", f"{why}; {plan.reason}", got and got[2], lead_in)

        voice.prepare(plan.text, urgent=True)  # already done, unless the answer changed since
        if long_ack and voice.ready(long_ack) and not in_time(voice, plan.lead or plan.text, ack):
            # more time for the quote's synthesis, without another sentence; not when the
            # quote will be made while the short one plays (it usually is: its text came a
            # few hundred ms before the turn ended, and takes about that to synthesize)
            ack = long_ack
        if ack:
            yield ack  # cached audio: the candidate hears the interviewer at once
        text = wait_for(lambda proposal: proposal)
        if text is not None and got is not None:
            on_done(FollowUp(text, "llm", got[1], lead_in=ack))
            yield text
            return
        lead = plan.lead
        if not voice.ready(lead or plan.text):
            ready = self._ready_probe(voice, question, answer_text, asked)
            if ready is not None:
                # another of the rules' probes of this answer, synthesized at an earlier pause
                on_done(FollowUp(ready[0], "rule", f"{ready[1]} (its audio was ready)", None, ack))
                yield ready[0]
                return
        if bridge and voice.ready(bridge) and not soon_ready(voice, lead or plan.text):
            yield bridge  # rather than silence while the quote is synthesized
            text = wait_for(lambda proposal: proposal)
            if text is not None and got is not None:
                on_done(FollowUp(text, "llm", got[1], lead_in=f"{ack} {bridge}".strip()))
                yield text
                return
            ack = f"{ack} {bridge}".strip()
        if lead is None:
            on_done(fallback(ack))
            yield plan.text
            return
        yield lead  # the candidate's own words while the model finishes

        def after_quote(proposal: str) -> str | None:
            asking = _asking_part(proposal)
            ok = self.validate(f"{lead} {asking}", question, answer_text, asked) is None
            return asking if ok else None

        asking = wait_for(after_quote)
        if asking is not None and got is not None:
            on_done(FollowUp(f"{lead} {asking}", "llm", f"{got[1]}; after the quote", lead_in=ack))
            yield asking
            return
        on_done(fallback(ack))
        yield plan.question

    def _ready_probe(
        self, voice: Voice, question: Question, answer_text: str, asked: Sequence[str]
    ) -> tuple[str, str] | None:
        """A probe the rules find for the whole answer whose audio is already made: the
        candidate's earlier pauses planned (and synthesized) follow-ups on the answer so far,
        and the last words usually come too late to synthesize the first choice in time."""
        for probe in plan_probes(question, answer_text):
            if (
                voice.ready(probe.text)
                and self.validate(probe.text, question, answer_text, asked) is None
            ):
                return probe.text, probe.reason
        return None

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
