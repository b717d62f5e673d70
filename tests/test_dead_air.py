"""No dead air before the substance of a reply: the speaker's fast path and priorities, the
follow-up paced on the audio actually played, and answers stored without holding up the next
reply (fakes; the timings themselves are in ``interviewer bench``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, cast

import pytest

from interviewer.audio.playback import PlaybackBuffer
from interviewer.engines.fakes import FakeTTS
from interviewer.errors import ModelError
from interviewer.interview.bank import Bank, load_bank
from interviewer.interview.followup import HANDOFF_S, FollowUp, FollowUpPolicy
from interviewer.pipeline.speaker import SENTENCE_GAP_S, Speaker, gap_after
from interviewer.text import split_sentences
from interviewer.types import AudioChunk
from tests.conftest import wait_until

COST_ANSWER = (
    "Sure. At my last job, I led a project to cut our cloud costs. I profiled our data "
    "pipelines, moved cold data to cheaper storage, and we saved about thirty percent in three "
    "months."
)
LEAD = "You said you saved about thirty percent in three months."
TEMPLATE_QUESTION = "How did you measure that?"
GOOD = "You said you moved cold data to cheaper storage. How did you decide what counted as cold?"


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank()


# --------------------------------------------------------------------------- the speaker


class _GatedTTS(FakeTTS):
    """Synthesizing ``slow`` blocks until ``release`` is set (a long sentence on a busy CPU)."""

    def __init__(self, slow: str) -> None:
        super().__init__(seconds_per_char=0.01)
        self.slow = slow
        self.started = threading.Event()
        self.release = threading.Event()

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        if text == self.slow:
            self.started.set()
            self.release.wait(10)
        yield from super().synthesize(text)


def _gated_speaker(slow: str) -> tuple[_GatedTTS, PlaybackBuffer, Speaker]:
    """A started speaker whose voice holds ``slow`` until released, "Thanks." in its cache."""
    tts = _GatedTTS(slow)
    playback = PlaybackBuffer(16_000)
    speaker = Speaker(tts, playback)
    speaker.start()
    speaker.prepare("Thanks.")
    assert wait_until(lambda: speaker.ready("Thanks."))
    return tts, playback, speaker


def test_a_cached_sentence_does_not_wait_behind_a_synthesis_in_flight() -> None:
    tts, playback, speaker = _gated_speaker("A long sentence prepared ahead.")
    try:
        speaker.prepare("A long sentence prepared ahead.")
        assert tts.started.wait(5)
        # the worker is busy synthesizing; the acknowledgement is in the buffer already
        speaker.say(1, "Thanks.")
        assert [s.sentence for s in playback.log(1).sentences] == ["Thanks."]
        assert 0 < speaker.ahead() < float("inf")
        # a sentence to synthesize keeps its place: a cached one said after it waits for it
        speaker.say(2, "Something new.")
        speaker.say(2, "Thanks.")
        assert speaker.ahead() == float("inf")
        tts.release.set()
        assert speaker.wait_idle(5)
        assert [s.sentence for s in playback.log(2).sentences] == ["Something new.", "Thanks."]
    finally:
        tts.release.set()
        speaker.stop()


def test_urgent_sentences_come_first_and_stale_ones_fall_off() -> None:
    tts = _GatedTTS("Blocking the worker.")
    speaker = Speaker(tts, PlaybackBuffer(16_000))
    speaker.start()
    try:
        speaker.prepare("Blocking the worker.")
        assert tts.started.wait(5)
        speaker.prepare("A stock phrase.")
        # what each pause of the candidate made likely, oldest first
        for n in ("One", "Two", "Three", "Four"):
            speaker.prepare(f"Plan {n} quote. Plan {n} question?", urgent=True)
        tts.release.set()
        assert wait_until(lambda: speaker.ready("A stock phrase."))
        spoken = tts.spoken[1:]
        # the latest plan first, in its own order; the oldest plan was dropped
        assert spoken[:2] == ["Plan Four quote.", "Plan Four question?"]
        assert spoken[-1] == "A stock phrase."
        assert "Plan One quote." not in spoken and "Plan One question?" not in spoken
    finally:
        tts.release.set()
        speaker.stop()


# --------------------------------------------------------------------------- pacing


class _Voice:
    """A scripted voice: ``ahead()`` returns the next value of ``aheads`` (the last one
    forever), and what is prepared is synthesized at once unless ``synthesizes`` is False."""

    def __init__(
        self,
        aheads: list[float],
        *,
        synthesizes: bool = True,
        cached: tuple[str, ...] = (),
        etas: dict[str, float] | None = None,
    ) -> None:
        self.aheads = list(aheads)
        #: seconds until a text not ready is synthesized (absent: not on its way)
        self.etas = etas or {}
        self.returned: list[float] = []
        self.synthesizes = synthesizes
        self.prepared: list[str] = []
        # by sentence, like the speaker's cache
        self._ready: set[str] = {s for text in cached for s in split_sentences(text)}

    def ahead(self) -> float:
        value = self.aheads.pop(0) if len(self.aheads) > 1 else self.aheads[0]
        self.returned.append(value)
        return value

    def ready(self, text: str) -> bool:
        return all(s in self._ready for s in split_sentences(text))

    def prepare(self, text: str, *, urgent: bool = False) -> None:
        self.prepared.append(text)
        if self.synthesizes:
            self._ready.update(split_sentences(text))

    def eta(self, text: str) -> float:
        return 0.0 if self.ready(text) else self.etas.get(text, float("inf"))

    def seconds(self, text: str) -> float | None:
        # a short acknowledgement as Piper says it, with the gap after it
        return 0.75 if self.ready(text) else None


class _GatedLLM:
    """A model whose answer (``reply``, or a ModelError) comes only once ``release`` is set."""

    model_id = "gated-fake"

    def __init__(self, reply: str | None, *, released: bool = False) -> None:
        self.reply = reply
        self.release = threading.Event()
        if released:
            self.release.set()
        self.prompts: list[Any] = []

    def complete_json(self, prompt: Any, schema: Any, **kw: Any) -> dict[str, Any]:
        self.prompts.append(prompt)
        self.release.wait(10)
        if self.reply is None:
            raise ModelError("no reply")
        return {"follow_up": self.reply}


def _paced(
    bank: Bank, llm: Any, voice: _Voice, answer: str = COST_ANSWER
) -> tuple[Iterator[str], list[FollowUp]]:
    policy = FollowUpPolicy(llm)
    policy.voice = voice
    done: list[FollowUp] = []
    q = bank.get("beh.ownership.end_to_end")
    return policy.compose(q, answer, [], done.append, ack="Thanks."), done


def test_a_ready_model_follow_up_follows_the_acknowledgement(bank: Bank) -> None:
    voice = _Voice([5.0])  # the acknowledgement is far from over: no hurry
    pieces, done = _paced(bank, _GatedLLM(GOOD, released=True), voice)
    assert list(pieces) == ["Thanks.", GOOD]
    assert done[0].source == "llm" and GOOD in voice.prepared


def test_the_quote_is_queued_as_the_acknowledgement_ends(bank: Bank) -> None:
    llm = _GatedLLM(GOOD)  # the model is still writing
    voice = _Voice([1.0, 0.7, 0.4, HANDOFF_S - 0.05, 0.6, 0.3, 0.1])
    pieces, done = _paced(bank, llm, voice)
    try:
        assert next(pieces) == "Thanks."
        assert next(pieces) == LEAD
        # not before the acknowledgement was nearly over, and not a poll later
        assert voice.returned[-1] <= HANDOFF_S
        assert all(v > HANDOFF_S for v in voice.returned[:-1])
        n = len(voice.returned)
        assert next(pieces) == TEMPLATE_QUESTION
        assert voice.returned[-1] <= HANDOFF_S
        assert all(v > HANDOFF_S for v in voice.returned[n:-1])
        assert list(pieces) == []
    finally:
        llm.release.set()
    assert done[0].source == "rule" and "model not ready in time" in done[0].reason
    assert done[0].text == f"{LEAD} {TEMPLATE_QUESTION}"


def test_the_models_question_after_the_quote_when_its_audio_is_ready(bank: Bank) -> None:
    llm = _GatedLLM(GOOD)
    voice = _Voice([0.5, HANDOFF_S, 3.0])  # the quote plays for a while
    pieces, done = _paced(bank, llm, voice)
    assert next(pieces) == "Thanks."
    assert next(pieces) == LEAD
    llm.release.set()
    assert list(pieces) == ["How did you decide what counted as cold?"]
    assert done[0].source == "llm" and done[0].text.startswith(LEAD)


def test_a_model_follow_up_whose_audio_is_late_is_not_waited_for(bank: Bank) -> None:
    llm = _GatedLLM(GOOD, released=True)

    class _Late(_Voice):
        """The acknowledgement ends just after the model's text was asked for."""

        def ahead(self) -> float:
            return HANDOFF_S if GOOD in self.prepared else 5.0

    # the rules' follow-up was synthesized at the pause; nothing else gets synthesized
    voice = _Late([5.0], synthesizes=False, cached=(f"{LEAD} {TEMPLATE_QUESTION}",))
    pieces, done = _paced(bank, llm, voice)
    assert list(pieces) == ["Thanks.", LEAD, TEMPLATE_QUESTION]
    assert done[0].source == "rule" and "not synthesized in time" in done[0].reason
    assert GOOD in voice.prepared  # it was asked for, urgently


def test_a_quote_not_yet_synthesized_gets_a_bridge_not_silence(bank: Bank) -> None:
    bridge = "Let me follow up on that."
    voice = _Voice([0.5, HANDOFF_S, 0.0], synthesizes=False, cached=(bridge,))
    policy = FollowUpPolicy(cast(Any, _GatedLLM(None, released=True)))  # the model fails
    policy.voice = voice
    done: list[FollowUp] = []
    q = bank.get("beh.ownership.end_to_end")
    pieces = list(policy.compose(q, COST_ANSWER, [], done.append, ack="Thanks.", bridge=bridge))
    assert pieces == ["Thanks.", bridge, LEAD, TEMPLATE_QUESTION]
    # the bridge is not the substance: what the follow-up asks starts with the quote
    assert done[0].text == f"{LEAD} {TEMPLATE_QUESTION}"
    assert done[0].lead_in == f"Thanks. {bridge}"
    # with the quote ready, no bridge
    ready = _Voice([0.5, HANDOFF_S, 0.0], cached=(bridge, LEAD))
    policy.voice = ready
    again = list(policy.compose(q, COST_ANSWER, [], done.append, ack="Thanks.", bridge=bridge))
    assert again == ["Thanks.", LEAD, TEMPLATE_QUESTION]


def test_a_probe_synthesized_at_an_earlier_pause_beats_a_bridge(bank: Bank) -> None:
    from interviewer.interview.probes import plan_probes

    bridge = "Let me follow up on that."
    q = bank.get("beh.ownership.end_to_end")
    policy = FollowUpPolicy(None)
    probes = [
        p for p in plan_probes(q, COST_ANSWER) if policy.validate(p.text, q, COST_ANSWER) is None
    ]
    assert len(probes) >= 2 and probes[0].text == f"{LEAD} {TEMPLATE_QUESTION}"
    other = probes[1].text  # planned at an earlier pause, and synthesized then
    policy.voice = _Voice([0.5, HANDOFF_S, 0.0], synthesizes=False, cached=(bridge, other))
    done: list[FollowUp] = []
    pieces = list(policy.compose(q, COST_ANSWER, [], done.append, ack="Thanks.", bridge=bridge))
    assert pieces == ["Thanks.", other]
    assert done[0].source == "rule" and "audio was ready" in done[0].reason


def test_a_quote_ready_within_the_pause_needs_no_bridge(bank: Bank) -> None:
    bridge = "Let me follow up on that."

    class _Soon(_Voice):
        """The quote's audio is made once the acknowledgement has ended."""

        def ready(self, text: str) -> bool:
            return text == bridge or (text == LEAD and self.returned[-1:] == [0.0])

    voice = _Soon([0.5, HANDOFF_S, 0.0], synthesizes=False)
    policy = FollowUpPolicy(None)
    policy.voice = voice
    q = bank.get("beh.ownership.end_to_end")
    done: list[FollowUp] = []
    pieces = list(policy.compose(q, COST_ANSWER, [], done.append, ack="Thanks.", bridge=bridge))
    assert pieces == ["Thanks.", LEAD, TEMPLATE_QUESTION]


def test_without_a_model_nothing_waits_for_the_acknowledgement(bank: Bank) -> None:
    voice = _Voice([5.0])  # the rules' follow-up goes into the queue behind it at once
    pieces, done = _paced(bank, None, voice)
    assert list(pieces) == ["Thanks.", LEAD, TEMPLATE_QUESTION]
    assert done[0].source == "rule"


def test_a_discarded_speculation_does_not_leak(bank: Bank) -> None:
    """The candidate paused, the model started on that answer, and then they went on."""

    class _PerAnswer(_GatedLLM):
        def complete_json(self, prompt: Any, schema: Any, **kw: Any) -> dict[str, Any]:
            self.prompts.append(prompt)
            if "the reports" in str(prompt):
                raise ModelError("no reply for the longer answer")
            return {"follow_up": GOOD}

    llm: Any = _PerAnswer(None)
    policy = FollowUpPolicy(llm)
    voice = _Voice([0.5, HANDOFF_S])
    policy.voice = voice
    q = bank.get("beh.ownership.end_to_end")
    voice.prepare(policy.prefetch(q, COST_ANSWER, []).text)  # as the runner does
    assert wait_until(lambda: len(llm.prompts) == 1)
    longer = COST_ANSWER + " Then I automated the reports so the team saw it weekly."
    done: list[FollowUp] = []
    spoken = list(policy.compose(q, longer, [], done.append, ack="Thanks."))
    assert done[0].source == "rule" and GOOD not in " ".join(spoken)
    assert not any("cold" in p for p in voice.prepared)


# --------------------------------------------------------------------------- in the pipeline


def _answer_text(audio: Any) -> str:
    # the fake recogniser tells the answers apart by their loudness
    peak = float(abs(audio).max())
    if peak > 0.45:
        return COST_ANSWER
    return "I compared the bills before and after." if peak > 0.25 else "No, thank you."


def test_the_follow_up_is_queued_before_the_acknowledgement_has_played(bank: Bank) -> None:
    """Through the runner: the quote and the question go into the playback buffer while the
    sentence before them still plays (the buffer never runs dry inside the reply)."""
    from interviewer.interview.machine import InterviewMachine
    from interviewer.interview.spec import InterviewSpec
    from tests.test_pipeline import make_runner, run, tone

    llm: Any = _GatedLLM(GOOD)  # the model never answers in time: the rules' follow-up is spoken
    spec = InterviewSpec(role="data_scientist", seed=1, max_follow_ups=1)
    machine = InterviewMachine(
        bank,
        spec,
        followups=FollowUpPolicy(llm),
        questions=[bank.get("beh.ownership.end_to_end")],
    )
    answers = [tone(0.8, 0.6), tone(0.6, 0.3), tone(0.5, 0.15)]
    runner, cand, _, _ = make_runner(
        machine, answers, _answer_text, tts=FakeTTS(seconds_per_char=0.02)
    )
    drained: list[float] = []
    forward = runner.playback.on_event

    def on_playback(kind: str, utterance: int, t: float) -> None:
        if kind == "drained":
            drained.append(t)
        if forward is not None:
            forward(kind, utterance, t)

    runner.playback.on_event = on_playback
    try:
        run(runner, cand, timeout=60)
    finally:
        llm.release.set()
    follow_up = next(t for t in runner.turns if t.kind == "follow_up")
    assert LEAD in follow_up.text and follow_up.text.endswith(TEMPLATE_QUESTION)
    reply = next(
        runner.playback.log(u)
        for u in range(1, 10)
        if any(s.sentence == LEAD for s in runner.playback.log(u).sentences)
    )
    starts = [s.start for s in reply.sentences]
    assert len(starts) == 3 and all(s is not None for s in starts)
    assert not [t for t in drained if starts[0] < t < starts[-1]]  # type: ignore[operator]
    first = runner.transcript()["latency"]["exchanges"][0]
    assert first["substance_kind"] == "follow_up"


def test_answers_wait_for_their_full_pass_without_holding_up_the_next_turn() -> None:
    """An answer heard out is stored once its full pass is done, oldest first, from the loop
    that awaits the next turn: never by blocking that loop."""
    from interviewer.interview.fixed import FixedQuestionsBrain
    from interviewer.pipeline.keeping import _Pending
    from interviewer.pipeline.records import Exchange, ExchangeRecord
    from tests.test_pipeline import make_runner

    runner, _, _, _ = make_runner(FixedQuestionsBrain(["Q1?"]), [], ["x."])
    passes: dict[int, str] = {}  # epoch -> the full pass's text, once done
    runner._full_pass = lambda epoch, timeout: ([], passes.get(epoch))  # type: ignore[method-assign]
    stored: list[ExchangeRecord] = []
    runner.on_exchange = stored.append

    def heard(epoch: int, text: str) -> None:
        record = ExchangeRecord(f"Q{epoch}?", text)
        runner._pending = _Pending(record, Exchange(), ((epoch, 0.0),), (text,))
        runner._keep_for_later()

    heard(1, "first answer")
    runner._emit_later(wait=False)
    assert stored == []  # its pass is still running: nothing blocks, nothing is lost
    heard(2, "second answer")
    passes[2] = "Second answer."
    runner._emit_later(wait=False)
    assert stored == []  # the older one goes first
    passes[1] = "First answer."
    runner._emit_later(wait=False)
    assert [r.answer for r in stored] == ["First answer.", "Second answer."]
    assert stored[0].answer_streamed == "first answer"
    # interrupted while one still waits: stored with what is known
    heard(3, "third answer")
    runner._flush_pending()
    assert [r.answer for r in stored][-1] == "third answer" and not runner._later


def test_the_longer_acknowledgement_when_the_quote_is_not_synthesized(bank: Bank) -> None:
    q = bank.get("beh.ownership.end_to_end")
    policy = FollowUpPolicy(None)
    long_ack = "Thank you for that."
    for cached, first in (((long_ack,), long_ack), ((long_ack, LEAD), "Thanks.")):
        policy.voice = _Voice([0.0], synthesizes=False, cached=cached)
        done: list[FollowUp] = []
        pieces = list(
            policy.compose(q, COST_ANSWER, [], done.append, ack="Thanks.", long_ack=long_ack)
        )
        assert pieces[0] == first and LEAD in pieces
    # the quote is being synthesized and will be made while "Thanks." plays: the short one
    for eta, first in ((0.3, "Thanks."), (1.5, long_ack)):
        policy.voice = _Voice(
            [0.0], synthesizes=False, cached=(long_ack, "Thanks."), etas={LEAD: eta}
        )
        pieces = list(
            policy.compose(q, COST_ANSWER, [], done.append, ack="Thanks.", long_ack=long_ack)
        )
        assert pieces[0] == first, eta


def test_the_speaker_says_when_a_sentence_will_be_synthesized() -> None:
    tts, _, speaker = _gated_speaker("A long sentence in flight.")
    try:
        assert speaker.eta("Thanks.") == 0.0
        length = speaker.seconds("Thanks.")
        assert length is not None and length == pytest.approx(
            len("Thanks.") * 0.01 + gap_after("Thanks."), abs=0.02
        )
        assert gap_after("Thanks.") == 0.0 and gap_after("Tell me more.") == SENTENCE_GAP_S
        assert speaker.eta("Never prepared.") == float("inf")
        assert speaker.seconds("Never prepared.") is None
        speaker.prepare("A long sentence in flight.", urgent=True)
        assert tts.started.wait(5)
        speaker.prepare("Queued behind it.", urgent=True)
        in_flight = speaker.eta("A long sentence in flight.")
        behind = speaker.eta("Queued behind it.")
        assert 0.0 <= in_flight < behind < float("inf")
        tts.release.set()
        assert wait_until(lambda: speaker.ready("Queued behind it."))
        assert speaker.eta("A long sentence in flight. Queued behind it.") == 0.0
    finally:
        tts.release.set()
        speaker.stop()
