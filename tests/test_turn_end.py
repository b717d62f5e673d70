"""End-of-turn prediction: text, completeness for the question, prosody, unheard speech; and the
endpointer's waits and nudge on scripted VAD probabilities (no models)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from interviewer.pipeline.endpointing import EndpointConfig, Endpointer
from interviewer.pipeline.turn_end import (
    Prosody,
    TurnEndConfig,
    TurnEvidence,
    lone_tail,
    pitch_track,
    predict,
    prosody_at_pause,
    question_kind,
    unheard_after,
    wait_for,
)
from tests.test_endpointing import F, feed

STORY = "Tell me about a time you disagreed with a colleague."
FOLLOW = "How did you measure that?"
SR = 16_000


@pytest.mark.parametrize(
    "question,kind",
    [
        (STORY, "story"),
        ("Walk me through a project you are proud of.", "story"),
        ("How would you design an experiment to test a new checkout page?", "explain"),
        (FOLLOW, "short"),
        ("Thank you. How would you explain overfitting to a product manager?", "explain"),
        ("Understood, thank you. Tell me about a mistake you made.", "story"),
        ("Alright. Tell me about a time you said no to a request. Why, and how?", "story"),
        ("You said you cut the scope at a time of crisis. How did you measure that?", "short"),
        (None, "unknown"),
    ],
)
def test_question_kind(question: str | None, kind: str) -> None:
    assert question_kind(question) == kind


@pytest.mark.parametrize(
    "text",
    [
        "Um.",  # a filler Whisper closed with a period
        "Sure. Let me think.",  # a preamble that does not answer yet
        "I led the migration of our reporting stack, and",
        "I led the migration of our reporting stack and.",  # the period Whisper adds
        "At my last job I led the migration of our reporting stack.",  # no outcome yet
    ],
)
def test_a_story_that_has_not_got_going_waits_the_longest(text: str) -> None:
    d = predict(TurnEvidence(text, STORY))
    assert d.p_end < 0.25
    assert d.wait_s == TurnEndConfig().max_wait_s
    assert d.nudge  # unsure at the longest wait: a gentle nudge, not the next question


def test_a_complete_story_ends_after_the_shortest_wait() -> None:
    text = (
        "At my last job I led the migration of our reporting stack. I moved the dashboards one "
        "team at a time, and we finished two weeks early."
    )
    d = predict(TurnEvidence(text, STORY))
    assert d.p_end >= 0.75 and d.wait_s == TurnEndConfig().min_wait_s and not d.nudge


def test_a_one_sentence_reply_to_a_follow_up_is_complete() -> None:
    d = predict(TurnEvidence("I compared it with the previous quarter's bill.", FOLLOW))
    assert d.wait_s == TurnEndConfig().min_wait_s
    # the same words to a story question are only its first sentence
    assert predict(TurnEvidence("I compared it with the previous quarter's bill.", STORY)).nudge


def test_saying_it_is_done_ends_even_an_unfinished_story() -> None:
    assert predict(TurnEvidence("Honestly, I don't know.", STORY)).p_end > 0.5


def test_unheard_speech_after_the_last_word_lowers_the_probability() -> None:
    text = "I compared it with the previous quarter's bill."
    base = predict(TurnEvidence(text, FOLLOW))
    dropped = predict(TurnEvidence(text, FOLLOW, unheard_s=0.4))
    assert dropped.p_end < base.p_end - 0.3
    assert dropped.wait_s > base.wait_s
    assert any("not recognised" in r for r in dropped.reasons)


def test_prosody_moves_the_probability_but_never_decides_alone() -> None:
    text = "I compared it with the previous quarter's bill."
    falling = predict(TurnEvidence(text, FOLLOW, prosody=Prosody(-10.0, -9.0, 1.6)))
    rising = predict(TurnEvidence(text, FOLLOW, prosody=Prosody(4.0, 0.0, 1.0)))
    assert falling.p_end > rising.p_end
    # a level or rising pitch alone does not turn a complete answer into a long wait
    assert rising.wait_s < TurnEndConfig().max_wait_s
    # nor does a falling one end a story that has not got going
    assert predict(TurnEvidence("Um.", STORY, prosody=Prosody(-10.0, -9.0, 1.6))).nudge


def test_the_language_model_vote_is_bounded_and_optional() -> None:
    text = "I compared it with the previous quarter's bill."
    alone = predict(TurnEvidence(text, FOLLOW))
    yes = predict(TurnEvidence(text, FOLLOW, llm_p_complete=1.0))
    no = predict(TurnEvidence(text, FOLLOW, llm_p_complete=0.0))
    nan = predict(TurnEvidence(text, FOLLOW, llm_p_complete=float("nan")))
    assert no.p_end < alone.p_end < yes.p_end
    assert nan.p_end == alone.p_end  # an invalid vote is ignored
    # bounded: a confident "complete" cannot end a trailing "and"
    assert predict(TurnEvidence("and", FOLLOW, llm_p_complete=1.0)).p_end < 0.5


def test_wait_is_monotonic_in_the_probability() -> None:
    cfg = TurnEndConfig()
    waits = [wait_for(p / 20, cfg) for p in range(21)]
    assert waits == sorted(waits, reverse=True)
    assert waits[0] == cfg.max_wait_s and waits[-1] == cfg.min_wait_s


# ---------------------------------------------------------------------------- prosody


def _voice(f0_start: float, f0_end: float, seconds: float, amp_end: float = 0.3) -> np.ndarray:
    """A buzz with a glide in pitch and a ramp in loudness, then 0.3 s of silence."""
    n = int(seconds * SR)
    f0 = np.linspace(f0_start, f0_end, n)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    amp = np.linspace(0.3, amp_end, n)
    x = amp * (np.sign(np.sin(phase)) * 0.5 + np.sin(phase))
    return np.concatenate([x, np.zeros(int(0.3 * SR))]).astype(np.float32)


def test_pitch_track_follows_a_glide() -> None:
    f0 = pitch_track(_voice(200, 200, 0.5)[: int(0.5 * SR)])
    assert np.nanmedian(f0) == pytest.approx(200, rel=0.05)


def test_prosody_tells_a_fall_from_a_rise() -> None:
    fall = prosody_at_pause(_voice(180, 110, 1.0, amp_end=0.05))
    rise = prosody_at_pause(_voice(120, 170, 1.0))
    assert fall.pitch_slope is not None and fall.pitch_slope < -6.0
    assert rise.pitch_slope is not None and rise.pitch_slope > 2.0
    assert fall.energy_drop_db < -6.0 < rise.energy_drop_db


def test_prosody_of_silence_or_too_little_audio_is_unknown() -> None:
    assert prosody_at_pause(np.zeros(SR, np.float32)).pitch_slope is None
    assert prosody_at_pause(np.zeros(100, np.float32)) == Prosody(None, 0.0, None)


# ---------------------------------------------------------------------------- endpointer


def _paused(ep: Endpointer, text: str, question: str | None) -> float:
    """Open on ``question``, 1 s of speech, a pause whose tail text is ``text``; returns t."""
    ep.open(0.0, question)
    events = feed(ep, [(0.9, 1.0), (0.0, 0.064)])
    assert events[-1][0] == "pause"
    ep.set_tail_text(events[-1][2].pause_id, text)
    return 1.064


def test_endpointer_waits_through_a_pause_after_a_closed_first_sentence() -> None:
    ep = Endpointer(EndpointConfig(silence_s=0.5))
    t = _paused(ep, "At my last job I led the migration of our reporting stack.", STORY)
    # the punctuation-only rules would end the turn after 0.5 s; the story is not told yet
    assert feed(ep, [(0.0, 2.0)], t0=t) == []
    assert [k for k, _, _ in feed(ep, [(0.9, 0.3)], t0=t + 2.0)] == ["resume"]


def test_endpointer_rules_mode_ends_on_the_period() -> None:
    ep = Endpointer(EndpointConfig(silence_s=0.5, turn_model="rules"))
    t = _paused(ep, "At my last job I led the migration of our reporting stack.", STORY)
    assert [k for k, _, _ in feed(ep, [(0.0, 1.0)], t0=t)] == ["end_of_turn"]


def test_endpointer_ends_a_complete_reply_after_the_short_wait() -> None:
    ep = Endpointer(EndpointConfig(silence_s=0.5))
    t = _paused(ep, "I compared it with the previous quarter's bill.", FOLLOW)
    events = feed(ep, [(0.0, 1.0)], t0=t)
    assert [k for k, _, _ in events] == ["end_of_turn"]
    assert events[0][2].t - 1.0 == pytest.approx(0.5, abs=2 * F)


def test_endpointer_nudges_then_ends_after_a_further_silence() -> None:
    cfg = EndpointConfig(silence_s=0.5, max_wait_s=2.0, after_nudge_s=1.5)
    ep = Endpointer(cfg)
    t = _paused(ep, "Um.", STORY)
    events = feed(ep, [(0.0, 4.0)], t0=t)
    assert [k for k, _, _ in events] == ["nudge", "end_of_turn"]
    nudge, end = events[0][2], events[1][2]
    assert nudge.t - 1.0 == pytest.approx(2.0, abs=2 * F)
    assert end.t - nudge.t == pytest.approx(1.5, abs=2 * F)


def test_speech_after_a_nudge_continues_the_same_turn() -> None:
    ep = Endpointer(EndpointConfig(silence_s=0.5, max_wait_s=2.0, after_nudge_s=1.5))
    t = _paused(ep, "Um.", STORY)
    assert [k for k, _, _ in feed(ep, [(0.0, 2.2)], t0=t)] == ["nudge"]
    events = feed(ep, [(0.9, 0.5), (0.0, 0.1)], t0=t + 2.2)
    assert [k for k, _, _ in events] == ["resume", "pause"]
    assert events[-1][2].pause_id == 2  # same turn, next pause


def test_endpointer_without_nudges_ends_at_the_longest_wait() -> None:
    ep = Endpointer(EndpointConfig(silence_s=0.5, max_wait_s=2.0, nudge=False))
    t = _paused(ep, "Um.", STORY)
    events = feed(ep, [(0.0, 3.0)], t0=t)
    assert [k for k, _, _ in events] == ["end_of_turn"]
    assert events[0][2].t - 1.0 == pytest.approx(2.0, abs=2 * F)


def test_lone_tail_finds_a_short_word_set_apart_before_the_pause() -> None:
    speech, gap, word = [0.9] * 40, [0.1] * 6, [0.9] * 7  # 1.3 s, 0.19 s, 0.22 s
    assert lone_tail([*speech, *gap, *word, 0.0, 0.0], 53, F) == pytest.approx(7 * F)
    # a sentence that runs to the pause, a long last word, or a first word alone: none
    assert lone_tail([*speech, 0.0], 40, F) is None
    assert lone_tail([*speech, *gap, *([0.9] * 20)], 66, F) is None
    assert lone_tail([0.0] * 10 + word, 17, F) is None
    # a comma's break the VAD blurred to three frames still sets the word apart; two do not
    assert lone_tail([*speech, *([0.2] * 3), *word], 50, F) == pytest.approx(7 * F)
    assert lone_tail([*speech, *([0.2] * 2), *word], 49, F) is None


def test_a_lone_word_the_recogniser_closed_with_a_period_means_more_is_coming() -> None:
    text = "I would say the model memorised the examples it saw."
    question = "How would you explain overfitting to a product manager?"
    plain = predict(TurnEvidence(text, question))
    lone = predict(TurnEvidence(text, question, lone_tail_s=0.19))
    assert lone.p_end < plain.p_end - 0.25
    assert lone.wait_s >= 2.5


def test_unheard_after_finds_a_dropped_word_inside_the_stretched_last_word() -> None:
    # "...reporting stack, and": the aligner gave "stack" all of "stack" (0.32 s), the comma's
    # break (0.19 s) and "and" (0.22 s); only the audio after the break is unheard
    before, stack, gap, word = [0.9] * 60, [0.9] * 10, [0.1] * 6, [0.9] * 7
    probs = [*before, *stack, *gap, *word]
    start, end = 60 * F, len(probs) * F
    assert unheard_after((start, end), probs, F) == pytest.approx(7 * F)
    # the same word with no break in it: everything is heard
    assert unheard_after((start, 70 * F), [*before, *stack], F) == 0.0
    # speech after the last word's end (past the slack) is unheard too
    assert unheard_after((start, 70 * F), [*before, *stack, *([0.9] * 8)], F) == pytest.approx(
        8 * F - 0.1, abs=F
    )
    assert unheard_after(None, probs, F) is None


def test_unrecognised_audio_lengthens_the_wait_and_counts_once_with_a_lone_tail() -> None:
    text = "I would say the model memorised the examples it saw."
    question = "How would you explain overfitting to a product manager?"
    plain = predict(TurnEvidence(text, question, unheard_s=0.0))
    unheard = predict(TurnEvidence(text, question, unheard_s=0.22 + 0.1))
    both = predict(TurnEvidence(text, question, unheard_s=0.32, lone_tail_s=0.22))
    lone = predict(TurnEvidence(text, question, lone_tail_s=0.22))
    assert unheard.p_end < plain.p_end - 0.25 and unheard.wait_s > plain.wait_s
    assert both.p_end < unheard.p_end
    # the two usually see the same word: less than the sum of both on their own
    assert (
        math.log(both.p_end / (1 - both.p_end))
        > math.log(unheard.p_end / (1 - unheard.p_end)) - 1.5
    )
    assert lone.p_end < plain.p_end


def test_evidence_arriving_after_the_text_changes_the_wait_of_that_pause_only() -> None:
    ep = Endpointer(EndpointConfig(silence_s=0.5))
    question = "How did you decide which team went first?"
    t = _paused(ep, "I started with the team that had the fewest reports.", question)
    pause_id = ep.pause_id
    quick = ep.last_decision
    assert quick is not None and quick.wait_s == pytest.approx(0.5)
    ep.add_evidence(pause_id, llm_p_complete=0.02)
    slow = ep.last_decision
    assert slow is not None and slow.p_end < quick.p_end and slow.wait_s > quick.wait_s
    assert any("language model" in r for r in slow.reasons)
    # the turn now waits past the short wait
    assert feed(ep, [(0.0, 0.6)], t0=t) == []
    # a vote for a pause that is over (or another one) changes nothing
    feed(ep, [(0.9, 0.3), (0.0, 0.064)], t0=t + 0.6)
    now = ep.last_decision
    ep.add_evidence(pause_id, llm_p_complete=0.99)
    assert ep.last_decision is now


def test_the_live_listener_finds_the_lone_tail_before_a_pause() -> None:
    """The listener asks for the pause's text once the pause's first silent frame has reached
    the transcriber; the lone word before the pause must still be found there (it was only
    found in the replay, and the live interview cut in on "... it saw, and [pause 1.7] ...")."""
    from interviewer.engines.fakes import FakeVAD
    from interviewer.pipeline.listener import Listener
    from interviewer.pipeline.transcriber import StreamingTranscriber
    from interviewer.types import Transcript

    class _Text:
        model_id = "text"

        def transcribe(self, audio, **_):  # type: ignore[no-untyped-def]
            said = "I would say the model memorised the examples it saw."
            return Transcript(text=said, segments=(), duration=len(audio) / 16_000)

    speech, gap, word, pause = [0.9] * 40, [0.1] * 6, [0.9] * 7, [0.0] * 10
    probs = [*speech, *gap, *word, *pause]
    # a real clock: final_for's timeout must run out if the final never comes
    tr = StreamingTranscriber(_Text(), time.monotonic, partial_every_s=1e9)
    tr.start()
    try:
        ep = Endpointer(EndpointConfig())
        listener = Listener(FakeVAD(probs), ep, tr)
        listener.open(0.0, question="How would you explain overfitting to a product manager?")
        kinds = []
        for k in range(len(probs)):
            ev = listener.feed(np.zeros(512, np.float32), (k + 1) * F)
            kinds.append(ev.kind if ev is not None else None)
        assert "pause" in kinds
        final = tr.final_for(ep.pause_id, 5)
    finally:
        tr.stop()
    assert final is not None
    assert final.lone_tail_s == pytest.approx(7 * F)
