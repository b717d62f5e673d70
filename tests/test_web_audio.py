"""The web app's audio end and the runner hooks it uses, on fakes.

WebSocketDuplex is driven tick by tick (no real-time clock) where the test is about its
buffering; the runner hooks (typed turns, stop from another thread) run the real runner through
the in-process link, like tests/test_pipeline.py.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from interviewer.audio.duplex import BLOCK, VirtualDuplexLink
from interviewer.engines.fakes import FakeSTT, FakeTTS, FakeVAD
from interviewer.interview.base import Answer, Reply
from interviewer.interview.fixed import FixedQuestionsBrain
from interviewer.pipeline.endpointing import EndpointConfig
from interviewer.pipeline.events import (
    AnswerContinues,
    BargeIn,
    CandidateFinal,
    CandidatePartial,
    HalfDuplex,
    InterviewerSays,
    NoAnswer,
    RunnerEvent,
    SpeechStart,
)
from interviewer.pipeline.records import ExchangeRecord
from interviewer.pipeline.runner import InterviewRunner, RunnerConfig
from interviewer.types import AudioArray
from interviewer.web.duplex import (
    MAX_INPUT_BLOCKS,
    PRIME_BLOCKS,
    WebSocketDuplex,
    float_to_pcm16,
    pcm16_to_float,
)

SR = 16_000
FAST = EndpointConfig(silence_s=0.3, filler_silence_s=1.0, no_answer_s=20.0, min_speech_s=0.1)


def ramp(n: int, start: int = 0) -> AudioArray:
    """Distinct sample values, so a block's origin is visible after the trip."""
    return ((np.arange(start, start + n) % 20000) / 32768.0).astype(np.float32)


class Inputs:
    def __init__(self) -> None:
        self.blocks: list[np.ndarray] = []

    def __call__(self, block: np.ndarray, t: float) -> None:
        self.blocks.append(block)


def test_pcm_round_trip_is_exact_to_16_bits() -> None:
    audio = np.array([-1.0, -0.5, 0.0, 0.25, 0.999], dtype=np.float32)
    back = pcm16_to_float(float_to_pcm16(audio))
    assert np.allclose(back, audio, atol=1 / 32768)
    assert float_to_pcm16(np.array([2.0, -2.0], np.float32)) == float_to_pcm16(
        np.array([32767 / 32768, -1.0], np.float32)
    )
    assert len(pcm16_to_float(b"\x01\x00\x02")) == 1  # a trailing odd byte is ignored


def test_microphone_messages_of_any_length_become_whole_blocks() -> None:
    duplex = WebSocketDuplex(lambda b: None, realtime=False)
    audio = ramp(3 * BLOCK + 100)
    pcm = float_to_pcm16(audio)
    pieces = [pcm[:1400], pcm[1400:2202], pcm[2202:]]  # 700, 401, rest samples
    for p in pieces:
        duplex.feed(p)
    got = Inputs()
    for _ in range(3):
        duplex.tick(got, 0.0)
    assert [len(b) for b in got.blocks] == [BLOCK] * 3
    assert np.allclose(np.concatenate(got.blocks), audio[: 3 * BLOCK], atol=1 / 32768)
    assert duplex.received_samples == len(audio)


def test_a_burst_keeps_only_the_newest_half_second() -> None:
    duplex = WebSocketDuplex(lambda b: None, realtime=False)
    n = MAX_INPUT_BLOCKS + 10
    duplex.feed(float_to_pcm16(ramp(n * BLOCK)))
    assert duplex.dropped_blocks == 10
    got = Inputs()
    duplex.tick(got, 0.0)
    assert np.allclose(got.blocks[0], ramp(BLOCK, 10 * BLOCK), atol=1 / 32768)


def test_after_running_dry_it_waits_for_a_cushion() -> None:
    duplex = WebSocketDuplex(lambda b: None, realtime=False)
    got = Inputs()
    duplex.feed(float_to_pcm16(ramp(BLOCK) + 0.1))
    duplex.tick(got, 0.0)  # one block is not yet a cushion: silence, and it waits
    assert not np.any(got.blocks[-1]) and duplex.starved_ticks == 1
    duplex.feed(float_to_pcm16(ramp(BLOCK * (PRIME_BLOCKS - 1)) + 0.1))
    for _ in range(PRIME_BLOCKS):
        duplex.tick(got, 0.0)
    assert all(np.any(b) for b in got.blocks[-PRIME_BLOCKS:])
    duplex.tick(got, 0.0)  # dry again
    assert not np.any(got.blocks[-1])


def test_the_interviewer_voice_goes_out_block_by_block_and_silence_does_not() -> None:
    sent: list[bytes] = []
    duplex = WebSocketDuplex(sent.append, realtime=False)
    voice = ramp(2 * BLOCK + 10) + 0.01
    duplex.playback.write(1, "Hello.", voice)
    got = Inputs()
    for _ in range(5):
        duplex.tick(got, 0.0)
    assert len(sent) == 3  # two whole blocks and the zero-padded rest; nothing after
    out = np.concatenate([pcm16_to_float(b) for b in sent])
    assert np.allclose(out[: len(voice)], voice, atol=1 / 32768)
    assert duplex.playback.log(1).heard_text() == "Hello."


# --------------------------------------------------------------------------- runner hooks


def make_runner(brain: Any, **kw: Any) -> tuple[InterviewRunner, list, list]:
    events: list[RunnerEvent] = []
    records: list[ExchangeRecord] = []
    runner = InterviewRunner(
        brain=brain,
        vad=FakeVAD(threshold=0.05),
        stt=FakeSTT(["spoken answer."]),
        tts=kw.pop("tts", FakeTTS(seconds_per_char=0.01)),
        duplex=VirtualDuplexLink(),
        config=RunnerConfig(endpoint=FAST, listen_after_s=0.05, barge_in=True),
        on_event=events.append,
        on_exchange=records.append,
        **kw,
    )
    return runner, events, records


def run_in_thread(runner: InterviewRunner) -> threading.Thread:
    th = threading.Thread(target=runner.run)
    th.start()
    return th


def wait_for(pred: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_a_typed_answer_is_the_candidates_turn() -> None:
    brain = FixedQuestionsBrain(["First question?", "Second question?"])
    listening = threading.Event()
    runner, events, records = make_runner(brain, on_your_turn=listening.set)
    th = run_in_thread(runner)
    wait_for(listening.is_set)
    listening.clear()
    runner.submit_text("I typed this answer.")
    wait_for(listening.is_set)
    listening.clear()
    runner.submit_text("And this one.")
    th.join(10)
    assert not th.is_alive()
    assert [a.text for a in brain.answers] == ["I typed this answer.", "And this one."]
    assert [r.answer for r in records] == ["I typed this answer.", "And this one."]
    assert (records[0].question or "").endswith("First question?")
    assert records[0].words == () and records[0].audio_start is None
    assert CandidateFinal("I typed this answer.", typed=True) in events
    spoken = [t.text for t in runner.turns if t.speaker == "candidate"]
    assert spoken == ["I typed this answer.", "And this one."]


def test_a_typed_command_can_cut_the_interviewer_short() -> None:
    # a slow voice: the greeting would take seconds to play
    brain = FixedQuestionsBrain(
        ["A long question that takes a while to say, word by word?"], closing="Bye.", ack="OK."
    )
    runner, events, records = make_runner(brain, tts=FakeTTS(seconds_per_char=0.05))
    th = run_in_thread(runner)
    wait_for(lambda: bool(runner.playback_events))  # the greeting is audible
    time.sleep(0.3)
    runner.submit_text("skip", interrupt=True)
    th.join(10)
    assert not th.is_alive()
    cut = [e for e in events if isinstance(e, BargeIn)]
    assert cut and cut[0].typed is True
    greeting = next(t for t in runner.turns if t.speaker == "interviewer")
    assert greeting.interrupted and greeting.text.endswith("—")
    assert brain.answers[0].text == "skip"
    assert records[0].answer == "skip"


def test_stop_before_the_runner_starts_leaves_no_thread() -> None:
    before = {t.ident for t in threading.enumerate()}
    runner, _, records = make_runner(FixedQuestionsBrain(["Q?"]))
    runner.stop()
    th = run_in_thread(runner)
    th.join(10)
    assert not th.is_alive()
    time.sleep(0.2)
    left = [t.name for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert left == []
    assert records == []


class BlockingBrain(FixedQuestionsBrain):
    """on_answer waits until released: the window between an answer and its reply."""

    def __init__(self) -> None:
        super().__init__(["Q1?", "Q2?"])
        self.entered = threading.Event()
        self.release = threading.Event()

    def on_answer(self, answer: Answer) -> Reply:
        self.entered.set()
        self.release.wait(10)
        return super().on_answer(answer)


def test_stop_between_an_answer_and_its_reply_still_hands_over_the_answer() -> None:
    brain = BlockingBrain()
    listening = threading.Event()
    runner, _, records = make_runner(brain, on_your_turn=listening.set)
    th = run_in_thread(runner)
    wait_for(listening.is_set)
    runner.submit_text("my answer")
    wait_for(brain.entered.is_set)
    runner.stop()  # the browser went away while the brain was thinking
    brain.release.set()
    th.join(10)
    assert not th.is_alive()
    assert [r.answer for r in records] == ["my answer"]


def test_hold_keeps_a_silent_candidate_from_timing_out() -> None:
    quick = EndpointConfig(no_answer_s=0.5, silence_s=0.3, hold_s=30.0)
    brain = FixedQuestionsBrain(["Q1?"])
    listening = threading.Event()
    events: list[RunnerEvent] = []
    runner = InterviewRunner(
        brain=brain,
        vad=FakeVAD(threshold=0.05),
        stt=FakeSTT(["unused"]),
        tts=FakeTTS(seconds_per_char=0.005),
        duplex=VirtualDuplexLink(),
        config=RunnerConfig(endpoint=quick, listen_after_s=0.05),
        on_event=events.append,
        on_your_turn=listening.set,
    )
    th = run_in_thread(runner)
    wait_for(listening.is_set)
    runner.hold()  # the candidate started typing
    time.sleep(1.5)  # three times the silence timeout
    assert not [e for e in events if isinstance(e, NoAnswer)]
    runner.submit_text("typed after a while")
    th.join(10)
    assert not th.is_alive()
    assert [a.text for a in brain.answers] == ["typed after a while"]


def test_partials_are_shown_only_while_the_candidate_is_speaking() -> None:
    from interviewer.web.live import LiveInterview

    sent: list[dict] = []
    live = LiveInterview(
        spec=None,  # type: ignore[arg-type]  # never started: only the event mapping is used
        user_id="u",
        hub=None,  # type: ignore[arg-type]
        store=None,  # type: ignore[arg-type]
        bank=None,  # type: ignore[arg-type]
        emit=sent.append,
        send_audio=lambda b: None,
    )
    live._on_event(SpeechStart(0.0))
    live._on_event(CandidatePartial("at my last"))
    live._on_event(CandidateFinal("At my last job."))
    # computed while the turn ended: it would repeat the answer under the final caption
    live._on_event(CandidatePartial("At my last job. at my last job"))
    captions = [(m["text"], m["final"]) for m in sent if m["type"] == "caption"]
    assert captions == [("at my last", False), ("At my last job.", True)]


def test_the_page_is_told_of_a_yield_an_answer_that_continues_and_a_nudge() -> None:
    from interviewer.web.live import LiveInterview

    sent: list[dict] = []
    live = LiveInterview(
        spec=None,  # type: ignore[arg-type]  # never started: only the event mapping is used
        user_id="u",
        hub=None,  # type: ignore[arg-type]
        store=None,  # type: ignore[arg-type]
        bank=None,  # type: ignore[arg-type]
        emit=sent.append,
        send_audio=lambda b: None,
    )
    live._on_event(InterviewerSays("Take your time.", "nudge"))
    live._on_event(InterviewerSays("Thank you.", "ack"))
    live._on_event(BargeIn(1.0, (3,), 1.01))
    live._on_event(AnswerContinues(1.2, "At my last job I led the migration"))
    live._on_event(HalfDuplex("the microphone is shut while the interviewer speaks"))
    kinds = [(m["type"], m.get("kind") or m.get("answer") or m.get("message")) for m in sent]
    assert [k for k in kinds if k[0] != "state"] == [
        ("caption", "nudge"),
        ("caption", "ack"),
        ("flush", None),
        ("continues", "At my last job I led the migration"),
        ("notice", "the microphone is shut while the interviewer speaks"),
    ]
