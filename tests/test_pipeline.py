"""The streaming runner on fakes, through the virtual duplex link in real time.

The candidate's "speech" is a loud tone (the fake VAD hears loudness), the fake STT returns the
scripted text, the fake TTS speaks tones whose length follows the text. What is checked is the
pipeline's own behaviour: turn order, barge-in, endpointing, timeouts, shutdown.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from interviewer.audio.candidate import RenderedAnswer, SimulatedCandidate
from interviewer.audio.duplex import VirtualDuplexLink
from interviewer.engines.fakes import FakeSTT, FakeTTS, FakeVAD
from interviewer.interview.base import Answer, Brain, Reply
from interviewer.interview.fixed import FixedQuestionsBrain
from interviewer.pipeline.endpointing import EndpointConfig
from interviewer.pipeline.events import (
    AnswerContinues,
    BargeIn,
    CandidateRevised,
    HalfDuplex,
    InterviewerSays,
    NoAnswer,
    RunnerEvent,
)
from interviewer.pipeline.records import ExchangeRecord
from interviewer.pipeline.runner import InterviewRunner, RunnerConfig
from interviewer.pipeline.sequential import SequentialRunner
from interviewer.types import LATENCY_FIELDS

SR = 16_000


def tone(seconds: float, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * 300 * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SR), dtype=np.float32)


FAST = EndpointConfig(silence_s=0.4, filler_silence_s=1.6, no_answer_s=1.5, min_speech_s=0.1)


def make_runner(
    brain: Brain,
    answers: list[np.ndarray],
    stt_texts: list[str] | Callable[[np.ndarray], str],
    *,
    config: RunnerConfig | None = None,
    tts: FakeTTS | None = None,
    gap_s: float = 0.2,
    runner_class: type[InterviewRunner] = InterviewRunner,
) -> tuple[InterviewRunner, SimulatedCandidate, VirtualDuplexLink, list[RunnerEvent]]:
    link = VirtualDuplexLink()
    rendered = [RenderedAnswer(a, "") for a in answers]
    candidate = SimulatedCandidate(
        link.candidate, rendered, RenderedAnswer(silence(0.1), ""), gap_s=gap_s
    )
    events: list[RunnerEvent] = []
    runner = runner_class(
        brain=brain,
        vad=FakeVAD(threshold=0.05),
        stt=FakeSTT(stt_texts),
        tts=tts or FakeTTS(seconds_per_char=0.01),
        duplex=link,
        config=config or RunnerConfig(endpoint=FAST, listen_after_s=0.05),
        on_event=events.append,
        on_your_turn=candidate.your_turn,
    )
    return runner, candidate, link, events


def run(runner, candidate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    candidate.start(time.monotonic)
    th = threading.Thread(target=runner.run)
    th.start()
    th.join(timeout)
    candidate.stop()
    assert not th.is_alive(), "runner did not finish"


def test_turn_order_and_latency_marks() -> None:
    brain = FixedQuestionsBrain(["First question?", "Second question?"])
    answers = [tone(0.8), tone(0.6)]
    runner, cand, _, _events = make_runner(brain, answers, ["first answer.", "second answer."])
    run(runner, cand)
    speakers = [t.speaker for t in runner.turns]
    assert speakers == ["interviewer", "candidate", "interviewer", "candidate", "interviewer"]
    assert [a.text for a in brain.answers] == ["first answer.", "second answer."]
    assert runner.turns[0].text.endswith("First question?")
    assert runner.turns[2].text.endswith("Second question?")
    assert runner.turns[-1].kind == "closing"
    # turns do not overlap and follow the clock
    starts = [t.start for t in runner.turns]
    assert starts == sorted(starts)
    doc = runner.transcript()
    assert len(doc["latency"]["exchanges"]) == 2
    for ex in doc["latency"]["exchanges"]:
        marks = [ex[k] for k in LATENCY_FIELDS]
        assert None not in marks
        assert marks == sorted(marks), ex  # every stage after the one before
    assert doc["latency"]["summary"]["voice_to_voice_ms"]["p50"] > 0


def test_endpointing_waits_through_a_thinking_pause() -> None:
    brain = FixedQuestionsBrain(["Tell me about it?"])
    # speech, a 1.0 s thinking pause after "so, um", more (louder) speech
    answer = np.concatenate([tone(0.7, amp=0.3), silence(1.0), tone(0.7, amp=0.6)])

    def text_for(audio: np.ndarray) -> str:
        # The fake "recognises" each stretch by its loudness. The speculative final at the pause
        # hears "so, um,"; after the pause only the new stretch is transcribed.
        return "I fixed the build." if np.abs(audio).max() > 0.45 else "so, um,"

    runner, cand, _, _ = make_runner(brain, [answer], text_for)
    run(runner, cand)
    assert [a.text for a in brain.answers] == ["so, um, I fixed the build."]
    assert [t.speaker for t in runner.turns].count("candidate") == 1


def test_finished_sentence_ends_at_the_same_pause() -> None:
    brain = FixedQuestionsBrain(["Tell me about it?", "And then?"])
    answer = np.concatenate([tone(0.7), silence(1.0), tone(0.7)])
    runner, cand, _, _ = make_runner(brain, [answer, tone(0.5)], ["I fixed the build.", "Done."])
    run(runner, cand)
    # a finished sentence + 1.0 s of silence (> 0.4 s) ends the first turn at the pause
    assert brain.answers[0].text == "I fixed the build."


def test_silence_gets_a_prompt_then_moves_on() -> None:
    brain = FixedQuestionsBrain(["Question one?", "Question two?"])
    runner, cand, _, events = make_runner(brain, [silence(0.1), silence(0.1), tone(0.5)], ["ok."])
    run(runner, cand)
    kinds = [t.kind for t in runner.turns if t.speaker == "interviewer"]
    assert kinds[:3] == ["greeting", "prompt", "question"]
    assert brain.answers[0].timed_out and brain.answers[1].timed_out
    assert sum(isinstance(e, NoAnswer) for e in events) == 2


def test_barge_in_stops_playback_and_keeps_only_what_was_heard() -> None:
    long_q = " ".join([f"This is a long question sentence number {i}." for i in range(1, 9)])
    brain = FixedQuestionsBrain([long_q, "Short one?"])
    cfg = RunnerConfig(endpoint=FAST, barge_in=True, listen_after_s=0.05)
    runner, cand, link, events = make_runner(
        brain,
        [tone(0.6), tone(0.5)],
        ["sorry, can I stop you there.", "yes."],
        config=cfg,
        tts=FakeTTS(seconds_per_char=0.03),
    )

    # The candidate does not wait for its turn the first time: it talks over the question.
    def barge_soon() -> None:
        time.sleep(1.5)
        link.candidate.speak(tone(0.6))

    threading.Thread(target=barge_soon, daemon=True).start()
    cand.answers.pop(0)
    run(runner, cand)
    assert runner.barge_ins == 1
    first = runner.turns[0]
    assert first.speaker == "interviewer" and first.interrupted
    # only the sentences (partly) played before the barge-in are in the record
    assert "number 8" not in first.text
    assert first.text.endswith("—") or len(first.text) < len(long_q)
    assert brain.answers[0].text == "sorry, can I stop you there."
    # playback stopped within a block or two of the barge-in decision
    # Once the buffer is cleared, at most the block already being played finishes: the last
    # heard sample is within one 32 ms block of the clear (both on the link's clock).
    cleared = next(e.cleared_at for e in events if isinstance(e, BargeIn))
    assert (first.end + runner.t0) - cleared <= 512 / 16_000 + 1e-3


def test_clean_shutdown_leaves_no_threads() -> None:
    before = {t.name for t in threading.enumerate()}
    brain = FixedQuestionsBrain(["Only question?"])
    runner, cand, _, _ = make_runner(brain, [tone(0.4)], ["fine."])
    run(runner, cand)
    runner.shutdown()  # idempotent
    time.sleep(0.2)
    left = {t.name for t in threading.enumerate()} - before
    assert not (left & {"link", "listen", "stt", "tts", "candidate"}), left


def test_bounded_frame_queue_drops_instead_of_lagging() -> None:
    brain = FixedQuestionsBrain(["Q?"])
    runner, _, _, _ = make_runner(brain, [], ["x"], config=RunnerConfig(frames_queue_max=5))
    for i in range(20):
        runner._on_input(np.zeros(512, dtype=np.float32), float(i))
    assert runner._frames.qsize() == 5
    assert runner.dropped_frames == 15
    # the newest frames are the ones kept
    assert [runner._frames.get_nowait()[1] for _ in range(5)] == [15.0, 16.0, 17.0, 18.0, 19.0]


def test_answer_type_is_passed_through() -> None:
    brain = FixedQuestionsBrain(["Q?"])
    runner, cand, _, _ = make_runner(brain, [tone(0.5)], ["an answer."])
    run(runner, cand)
    assert isinstance(brain.answers[0], Answer)
    assert brain.answers[0].duration > 0.3


def test_sequential_baseline_runs_the_same_interview() -> None:
    brain = FixedQuestionsBrain(["First question?", "Second question?"])
    cfg = RunnerConfig(endpoint=FAST, listen_after_s=0.05)
    runner, cand, _, _ = make_runner(
        brain, [tone(0.8), tone(0.6)], ["one.", "two."], config=cfg, runner_class=SequentialRunner
    )
    run(runner, cand)
    assert [a.text for a in brain.answers] == ["one.", "two."]
    assert runner.transcriber.calls["partial"] == 0  # nothing speculative in the baseline
    assert runner.speaker.cache_hits == 0
    for ex in runner.transcript()["latency"]["exchanges"]:
        # FixedQuestionsBrain marks no substance; every latency mark is there
        assert None not in [ex[k] for k in LATENCY_FIELDS]


def test_join_text_drops_words_repeated_across_a_pause() -> None:
    from interviewer.pipeline.seams import join_text

    assert join_text("Sure.", "Sure. At my last job,") == "Sure. At my last job,"
    assert join_text("I led the project", "the project and we saved") == (
        "I led the project and we saved"
    )
    assert join_text("", "Hello there.") == "Hello there."
    assert join_text("We shipped.", "Then we grew.") == "We shipped. Then we grew."


def test_partial_in_flight_across_a_commit_is_not_doubled() -> None:
    """A partial picked before a pause is committed covers the committed words too."""
    import time

    from interviewer.pipeline.transcriber import StreamingTranscriber
    from interviewer.types import Transcript

    gate = threading.Event()
    picked = threading.Event()

    class GatedSTT:
        model_id = "gated"

        def transcribe(self, audio, *, word_timestamps=True, beam_size=1, initial_prompt=None):  # type: ignore[no-untyped-def]
            # the speech it was given: a final comes with digital silence after it
            seconds = np.count_nonzero(audio) / 16_000
            if seconds > 1.0 and not word_timestamps:
                picked.set()
                gate.wait(5)
            text = "one two three four." if seconds <= 0.6 else "one two three four. five six"
            return Transcript(text=text, segments=(), duration=seconds)

    partials: list[str] = []
    tr = StreamingTranscriber(GatedSTT(), time.monotonic, on_partial=partials.append)
    tr.start()
    try:
        frame = np.full(512, 0.1, dtype=np.float32)
        tr.begin([], [])
        for _ in range(16):  # 0.51 s of speech, then a pause
            tr.append(frame, 0.9)
        tr.request_final(1)
        assert tr.final_for(1, 5).text == "one two three four."  # type: ignore[union-attr]
        for _ in range(24):  # the speech goes on: a partial is picked and held
            tr.append(frame, 0.9)
        assert picked.wait(5)
        tr.resume(1, pause_s=0.5)  # the pause is committed while the partial runs
        gate.set()
        deadline = time.monotonic() + 5
        while not partials and time.monotonic() < deadline:
            time.sleep(0.01)
        assert partials == ["one two three four. five six"]
    finally:
        gate.set()
        tr.stop()


class _WholePassSTT:
    """Text-only calls hear "piece"; a full pass (word timestamps) hears its length."""

    model_id = "whole-pass"

    def __init__(self) -> None:
        self.word_calls: list[float] = []

    def transcribe(self, audio, *, word_timestamps=True, beam_size=1, initial_prompt=None):  # type: ignore[no-untyped-def]
        from interviewer.types import Segment, Transcript, Word

        seconds = len(audio) / 16_000
        if not word_timestamps:
            return Transcript(text="piece", segments=(), duration=seconds)
        self.word_calls.append(seconds)
        text = f"Heard {seconds:.2f} seconds."
        words = tuple(Word(w, 0.0, seconds, 0.9) for w in text.split())
        return Transcript(
            text=text, segments=(Segment(0.0, seconds, text, words),), duration=seconds
        )


def _speak(tr: object, seconds: float) -> None:
    frame = np.full(512, 0.1, dtype=np.float32)
    for _ in range(round(seconds * 16_000 / 512)):
        tr.append(frame, 0.9)  # type: ignore[attr-defined]


def test_the_whole_answer_gets_one_full_pass_once_the_turn_ends() -> None:
    """Pieces cut at pauses wait for the turn's end, then go through Whisper together: one
    pass hears every word with its neighbours, and its text is the answer's."""
    from interviewer.pipeline.transcriber import StreamingTranscriber

    stt = _WholePassSTT()
    tr = StreamingTranscriber(stt, time.monotonic, partial_every_s=1e9)
    tr.start()
    try:
        tr.begin([], [])
        _speak(tr, 0.64)
        tr.request_final(1)
        assert tr.final_for(1, 5) is not None
        tr.resume(1, pause_s=0.5)  # a real pause: the first piece is committed and queued
        _speak(tr, 0.96)
        tr.request_final(2)
        assert tr.final_for(2, 5) is not None
        assert stt.word_calls == []  # the turn has not ended: the piece waits
        tr.finish(2)
        words, text = tr.full_pass(tr.epoch, 5)
    finally:
        tr.stop()
    assert stt.word_calls == [pytest.approx(1.6, abs=0.001)]
    assert text == "Heard 1.60 seconds." and len(words) == 3


def test_a_monologue_gets_a_full_pass_per_words_max_s() -> None:
    """Memory stays bounded: queued pieces go as soon as they hold ``words_max_s`` of audio,
    and the answer's text is the passes' texts in order."""
    from interviewer.pipeline.transcriber import StreamingTranscriber

    stt = _WholePassSTT()
    tr = StreamingTranscriber(stt, time.monotonic, partial_every_s=1e9, words_max_s=1.0)
    tr.start()
    try:
        tr.begin([], [])
        for pause in range(1, 5):
            _speak(tr, 0.64)
            tr.request_final(pause)
            assert tr.final_for(pause, 5) is not None
            tr.resume(pause, pause_s=0.5)
        deadline = time.monotonic() + 5
        while not stt.word_calls and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stt.word_calls, "pieces over words_max_s must not wait for the turn's end"
        _speak(tr, 0.64)
        tr.request_final(5)
        assert tr.final_for(5, 5) is not None
        tr.finish(5)
        _, text = tr.full_pass(tr.epoch, 5)
    finally:
        tr.stop()
    assert all(s <= 1.0 for s in stt.word_calls)
    assert sum(stt.word_calls) == pytest.approx(5 * 0.64, abs=0.001)
    assert text == " ".join(f"Heard {s:.2f} seconds." for s in stt.word_calls)


def test_the_answer_of_record_is_the_full_pass_text() -> None:
    """The interviewer acts on the streamed text; what is stored, scored and shown afterwards
    is the full pass's, with the streamed text kept beside it."""
    brain = FixedQuestionsBrain(["Tell me about it?"])
    answer = np.concatenate([tone(0.7), silence(0.5), tone(0.7)])
    runner, cand, _, events = make_runner(brain, [answer], ["ignored"])
    stt = _WholePassSTT()
    runner.transcriber.stt = stt
    records: list[ExchangeRecord] = []
    runner.on_exchange = records.append
    run(runner, cand)
    assert [a.text for a in brain.answers] == ["piece"]  # what the brain acted on
    assert len(stt.word_calls) == 1  # one pass over the whole answer
    (record,) = records
    assert record.answer.startswith("Heard ") and record.answer_streamed == "piece"
    cand_turn = next(t for t in runner.turns if t.speaker == "candidate")
    assert cand_turn.text == record.answer
    assert CandidateRevised(record.answer) in events
    # the full pass's word times (utterance-relative) are moved to conversation time: the
    # utterance's audio begins a pre-roll before the detected start
    assert cand_turn.words[0].start == pytest.approx(cand_turn.start - FAST.pre_roll_s, abs=0.1)
    assert record.words[0].start == 0.0  # the store keeps them relative to the answer


class _RecordingSink:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.frames = 0

    def begin(self, pre_roll: list, probs: list[float]) -> None:
        self.calls.append(("begin", len(pre_roll)))
        self.frames = len(pre_roll)

    def append(self, frame: np.ndarray, prob: float) -> None:
        self.frames += 1

    def request_final(self, pause_id: int) -> None:
        self.calls.append(("request_final", pause_id))

    def resume(self, pause_id: int, pause_s: float) -> None:
        self.calls.append(("resume", pause_id, round(pause_s, 3)))

    def finish(self, pause_id: int) -> None:
        self.calls.append(("finish", pause_id))


def test_listener_hands_the_turn_to_its_sink_with_the_pre_roll() -> None:
    from interviewer.pipeline.endpointing import Endpointer
    from interviewer.pipeline.listener import Listener

    frame_s = 512 / SR
    # 20 quiet blocks, 10 voiced, a 4-block pause, 10 voiced, then silence until the turn ends
    probs = [0.0] * 20 + [1.0] * 10 + [0.0] * 4 + [1.0] * 10 + [0.0] * 40
    cfg = EndpointConfig(min_speech_s=0.1, pre_roll_s=0.2, silence_s=0.4, resume_s=0.05)
    endpointer = Endpointer(cfg, frame_s=frame_s)
    endpointer.require_text = False  # no transcript here: the silence alone ends the turn
    sink = _RecordingSink()
    listener = Listener(FakeVAD(probs), endpointer, sink)
    listener.open(0.0)
    kinds, at = [], {}
    for i in range(len(probs)):
        t = (i + 1) * frame_s
        ev = listener.feed(np.zeros(512, np.float32), t)
        if ev is not None:
            kinds.append(ev.kind)
            at[ev.kind] = i
            if ev.kind == "speech_start":
                assert listener.speech_start == pytest.approx(20 * frame_s, abs=1e-6)
                # the utterance starts a pre-roll before the detected start
                assert listener.utt_t0 == pytest.approx(20 * frame_s - 0.2, abs=frame_s)
    assert kinds == ["speech_start", "pause", "resume", "pause", "end_of_turn"]
    assert [c[0] for c in sink.calls] == [
        "begin", "request_final", "resume", "request_final", "finish"
    ]  # fmt: skip
    keep = sink.calls[0][1]
    # the start is known 4 voiced blocks in (0.128 s >= min_speech_s); 0.2 s more is 6.25
    assert keep == 4 + 6 + 1
    assert sink.calls[1] == ("request_final", 1) and sink.calls[-1] == ("finish", 2)
    assert not listener.in_turn
    # every block from the pre-roll to the end of the turn reached the sink, and no more
    assert sink.frames == keep + at["end_of_turn"] - at["speech_start"]


def test_exchange_record_json_has_the_records_keys() -> None:
    from interviewer.types import Word

    record = ExchangeRecord(
        question="Tell me about it?",
        answer="I fixed the build.",
        question_id="q1",
        kind="question",
        words=(Word("I", 0.1, 0.2, 0.9),),
        audio_start=1.0,
        audio_end=2.5,
        latency={"speech_end": 2.5, "playback_start": 3.1},
    )
    doc = record.to_json()
    assert doc == {
        "question": "Tell me about it?",
        "question_id": "q1",
        "is_follow_up": False,
        "kind": "question",
        "answer": "I fixed the build.",
        "words": [{"word": "I", "start": 0.1, "end": 0.2, "probability": 0.9}],
        "audio_start": 1.0,
        "audio_end": 2.5,
        "latency": {"speech_end": 2.5, "playback_start": 3.1},
    }
    assert ExchangeRecord.from_json(json.loads(json.dumps(doc))) == record
    revised = ExchangeRecord("Q?", "", timed_out=True, answer_streamed="x")
    assert revised.to_json()["timed_out"] is True
    assert revised.to_json()["answer_streamed"] == "x"
    assert ExchangeRecord.from_json(revised.to_json()) == revised


class _SlowFollowUpBrain:
    """Acknowledges at once, then takes ``delay`` seconds to compose its follow-up."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.answers: list[Answer] = []
        self._done = False

    def start(self) -> Reply:
        return Reply("question", iter(["First question?"]), question_id="q1")

    def on_answer(self, answer: Answer) -> Reply:
        self.answers.append(answer)
        if len(self.answers) > 1:
            self._done = True
            return Reply("closing", iter(["Goodbye."]), finished=True)
        meta: dict[str, str] = {}

        def pieces() -> Iterator[str]:
            yield "Thanks."
            time.sleep(self.delay)
            meta.update(asks="What did you do next?", asks_kind="follow_up")
            yield "What did you do next?"

        return Reply("follow_up", pieces(), question_id="q1", is_follow_up=True, meta=meta)

    def planned_next(self) -> str | None:
        return None

    @property
    def finished(self) -> bool:
        return self._done


def test_substance_and_silence_are_measured() -> None:
    brain = _SlowFollowUpBrain(delay=1.0)
    runner, cand, _, _ = make_runner(brain, [tone(0.6), tone(0.5)], ["An answer.", "More."])
    run(runner, cand)
    doc = runner.transcript()
    first, second = doc["latency"]["exchanges"]
    # the acknowledgement plays at once; the follow-up only after the brain's delay
    assert first["substance_kind"] == "follow_up"
    assert first["question_start"] - first["playback_start"] >= 0.9
    assert first["substance_ms"] >= 1000 * (first["question_start"] - first["speech_end"]) - 1
    # the wait shows up as silence inside the interviewer's turn
    assert first["max_silence_ms"] > 500
    # the closing asks nothing: no substance, but its silences are still measured
    assert second["substance_kind"] is None and second["substance_ms"] is None
    summary = doc["latency"]["summary"]
    assert summary["substance_follow_up_ms"]["p50"] == first["substance_ms"]
    assert summary["substance_question_ms"]["p50"] is None
    assert summary["max_silence_ms"]["max"] >= first["max_silence_ms"]
    from interviewer.demo import latency_rows

    labels = [row[0] for row in latency_rows(doc)]
    assert "last word -> follow-up" in labels and "longest silence in a turn" in labels


def _loudness_text(audio: np.ndarray) -> str:
    # the fake "recognises" each stretch by its loudness
    peak = float(np.abs(audio).max())
    if peak > 0.5:
        return "and the tricky part was the old dashboards."
    return "I led the migration." if peak > 0.25 else "yes."


# punctuation-only endpointing: a finished sentence ends the turn at once (no nudge)
YIELDING = RunnerConfig(
    endpoint=dataclasses.replace(FAST, turn_model="rules"), barge_in=True, listen_after_s=0.05
)


def _talk_over_reply(runner: InterviewRunner, link: VirtualDuplexLink, audio: np.ndarray) -> None:
    """Speak ``audio`` once, as the reply to the first answer starts (during its ack)."""
    events: list[RunnerEvent] = []
    forward = runner.on_event
    spoken = threading.Event()

    def on_event(event: RunnerEvent) -> None:
        events.append(event)
        forward(event)
        if isinstance(event, InterviewerSays) and event.kind == "question" and not spoken.is_set():
            spoken.set()
            threading.Timer(0.05, link.candidate.speak, (audio,)).start()

    runner.on_event = on_event


def test_talking_over_the_acknowledgement_continues_the_same_answer() -> None:
    """The interviewer yields within a block; before and after are one answer: one on_answer,
    one stored record, one candidate turn, marked overlapping."""
    brain = FixedQuestionsBrain(["Tell me about a project?", "What did you learn?"])
    runner, cand, link, events = make_runner(
        brain,
        [tone(0.7, amp=0.3), tone(0.5, amp=0.2)],
        _loudness_text,
        config=YIELDING,
        tts=FakeTTS(seconds_per_char=0.06),
    )
    records: list[ExchangeRecord] = []
    runner.on_exchange = records.append
    _talk_over_reply(runner, link, tone(1.0, amp=0.6))
    run(runner, cand)
    merged = "I led the migration. and the tricky part was the old dashboards."
    assert [a.text for a in brain.answers] == [merged, "yes."]
    assert brain.answers[0].duration > 1.4  # both stretches of speech
    assert runner.yields == 1 and runner.barge_ins == 1
    assert [r.answer for r in records] == [merged, "yes."]
    assert records[0].overlapping and not records[1].overlapping
    assert records[0].audio_end is not None and records[0].audio_start is not None
    assert records[0].audio_end - records[0].audio_start > 1.5
    # the full pass of each utterance, words on the answer's clock
    assert [w.word for w in records[0].words][:2] == ["I", "led"]
    assert records[0].words[-1].start > records[0].words[0].start + 0.7
    doc = runner.transcript()
    cand_turns = [t for t in doc["turns"] if t["speaker"] == "candidate"]
    assert [t["text"] for t in cand_turns] == [merged, "yes."]
    assert cand_turns[0]["overlapping"] and "overlapping" not in cand_turns[1]
    # the cut reply stays in the transcript, after the answer's start, marked interrupted
    cut = doc["turns"][2]
    assert cut["speaker"] == "interviewer" and cut["interrupted"]
    assert cand_turns[0]["start"] < cut["start"] < cand_turns[0]["end"]
    assert doc["stats"]["yields"] == 1
    # playback stopped within a block of the barge-in decision
    barge = next(e for e in events if isinstance(e, BargeIn))
    assert (cut["end"] + runner.t0) - barge.cleared_at <= 512 / 16_000 + 1e-3
    assert any(isinstance(e, AnswerContinues) for e in events)
    # the question was asked again after the yield, and heard out
    asked = [t["text"] for t in doc["turns"] if t["speaker"] == "interviewer"]
    assert sum("What did you learn?" in a for a in asked) == 1


class _NoWithdraw:
    """A brain that cannot take an answer back."""

    def __init__(self, inner: FixedQuestionsBrain) -> None:
        self.inner = inner

    def start(self) -> Reply:
        return self.inner.start()

    def on_answer(self, answer: Answer) -> Reply:
        return self.inner.on_answer(answer)

    def planned_next(self) -> str | None:
        return self.inner.planned_next()

    @property
    def finished(self) -> bool:
        return self.inner.finished


def test_speech_over_the_interviewer_is_stored_and_marked_overlapping() -> None:
    """A brain that cannot withdraw its reply gets the rest as a turn of its own, but nothing
    said over the interviewer is lost: it is transcribed, stored and marked."""
    inner = FixedQuestionsBrain(["Tell me about a project?", "What did you learn?", "Last?"])
    runner, cand, link, _events = make_runner(
        _NoWithdraw(inner),
        [tone(0.7, amp=0.3), tone(0.5, amp=0.2)],
        _loudness_text,
        config=YIELDING,
        tts=FakeTTS(seconds_per_char=0.06),
    )
    records: list[ExchangeRecord] = []
    runner.on_exchange = records.append
    _talk_over_reply(runner, link, tone(1.0, amp=0.6))
    run(runner, cand)
    over = "and the tricky part was the old dashboards."
    assert [a.text for a in inner.answers] == ["I led the migration.", over, "yes."]
    assert runner.yields == 0
    assert [(r.answer, r.overlapping) for r in records] == [
        ("I led the migration.", False),
        (over, True),
        ("yes.", False),
    ]
    assert records[1].to_json()["overlapping"] is True
    turns = [t for t in runner.transcript()["turns"] if t["speaker"] == "candidate"]
    assert [t.get("overlapping", False) for t in turns] == [False, True, False]


def test_half_duplex_says_so() -> None:
    brain = FixedQuestionsBrain(["Only question?"])
    cfg = RunnerConfig(endpoint=FAST, barge_in=False, listen_after_s=0.05)
    runner, cand, _, events = make_runner(brain, [tone(0.4)], ["fine."], config=cfg)
    run(runner, cand)
    assert any(isinstance(e, HalfDuplex) for e in events)
    assert [a.text for a in brain.answers] == ["fine."]
