"""Turn-taking policy on scripted VAD probabilities (no audio, no models)."""

from __future__ import annotations

import pytest

from interviewer.pipeline.endpointing import EndpointConfig, Endpointer, ends_unfinished, tail_kind

F = 0.032  # frame length


def feed(ep: Endpointer, pattern: list[tuple[float, float]], t0: float = 0.0):  # type: ignore[no-untyped-def]
    """pattern: (probability, seconds) runs; returns [(kind, t, event)]."""
    t = t0
    events = []
    for prob, secs in pattern:
        for _ in range(round(secs / F)):
            t += F
            ev = ep.feed(prob, t)
            if ev is not None:
                events.append((ev.kind, round(t, 3), ev))
    return events


def test_speech_then_silence_ends_the_turn_once_text_is_known() -> None:
    ep = Endpointer(EndpointConfig(turn_model="rules", silence_s=0.5, filler_silence_s=2.0))
    ep.open(0.0)
    events = feed(ep, [(0.0, 0.5), (0.9, 1.0), (0.1, 0.3)])
    assert [k for k, _, _ in events] == ["speech_start", "pause"]
    pause = events[-1][2]
    ep.set_tail_text(pause.pause_id, "I led the migration.")
    events = feed(ep, [(0.1, 0.5)], t0=1.8)
    assert [k for k, _, _ in events] == ["end_of_turn"]
    end = events[0][2]
    assert end.speech_end == pytest.approx(1.5, abs=F)
    assert end.t - end.speech_end == pytest.approx(0.5, abs=2 * F)


def test_waits_through_a_thinking_pause_after_a_filler() -> None:
    ep = Endpointer(EndpointConfig(turn_model="rules", silence_s=0.5, filler_silence_s=2.0))
    ep.open(0.0)
    events = feed(ep, [(0.9, 1.0), (0.0, 0.064)])
    pause = events[-1][2]
    assert pause.kind == "pause"
    ep.set_tail_text(pause.pause_id, "At my last job I, um")
    # 1.5 s of silence: a finished sentence would have ended the turn, "um" must not
    assert feed(ep, [(0.0, 1.5)], t0=1.064) == []
    # the candidate goes on
    events = feed(ep, [(0.9, 0.5)], t0=2.564)
    assert [k for k, _, _ in events] == ["resume"]


def test_unfinished_text_still_ends_after_the_long_limit() -> None:
    ep = Endpointer(EndpointConfig(turn_model="rules", silence_s=0.5, filler_silence_s=2.0))
    ep.open(0.0)
    events = feed(ep, [(0.9, 1.0), (0.0, 0.064)])
    ep.set_tail_text(events[-1][2].pause_id, "and so")
    events = feed(ep, [(0.0, 2.5)], t0=1.064)
    assert [k for k, _, _ in events] == ["end_of_turn"]
    assert events[0][2].t - 1.0 == pytest.approx(2.0, abs=2 * F)


def test_no_end_of_turn_before_the_text_is_known() -> None:
    ep = Endpointer(EndpointConfig(turn_model="rules", silence_s=0.5, filler_silence_s=2.0))
    ep.open(0.0)
    feed(ep, [(0.9, 1.0)])
    assert [k for k, _, _ in feed(ep, [(0.0, 1.5)], t0=1.0)] == ["pause"]


def test_short_blips_are_not_speech() -> None:
    ep = Endpointer(EndpointConfig(min_speech_s=0.2, no_answer_s=100))
    ep.open(0.0)
    assert feed(ep, [(0.9, 0.1), (0.0, 0.5)] * 5) == []


def test_silence_times_out() -> None:
    ep = Endpointer(EndpointConfig(no_answer_s=3.0))
    ep.open(0.0)
    events = feed(ep, [(0.0, 4.0)])
    assert [k for k, _, _ in events] == ["timeout"]
    assert events[0][1] == pytest.approx(3.0, abs=F)
    assert ep.state == "closed"


def test_hold_suspends_the_timeout() -> None:
    ep = Endpointer(EndpointConfig(no_answer_s=3.0, hold_s=20.0))
    ep.open(0.0)
    ep.hold(0.0)
    assert feed(ep, [(0.0, 10.0)]) == []
    assert [k for k, _, _ in feed(ep, [(0.9, 0.5)], t0=10.0)] == ["speech_start"]


def test_closed_ignores_speech_unless_barge_in() -> None:
    ep = Endpointer(EndpointConfig(barge_in_s=0.3))
    assert feed(ep, [(0.9, 2.0)]) == []  # half-duplex: interviewer speaking, mic ignored
    ep.speaking_over = True
    events = feed(ep, [(0.9, 0.5)], t0=2.0)
    assert [k for k, _, _ in events] == ["barge_in"]
    assert events[0][1] == pytest.approx(2.32, abs=F)
    assert ep.state == "speech"


@pytest.mark.parametrize(
    "text,unfinished",
    [
        ("I improved the pipeline.", False),
        ("We measured retention", False),
        ("So I started with, um", True),
        ("and then I", True),
        ("I looked at the data,", True),
        ("because", True),
        ("Well...", True),
        ("Um.", True),  # Whisper's period after a lone hesitation
        ("Sure. Uh.", True),
        ("", False),
    ],
)
def test_ends_unfinished(text: str, unfinished: bool) -> None:
    assert ends_unfinished(text) is unfinished


def test_text_without_closing_punctuation_waits_longer() -> None:
    ep = Endpointer(
        EndpointConfig(
            turn_model="rules", silence_s=0.5, uncertain_silence_s=1.5, filler_silence_s=2.0
        )
    )
    ep.open(0.0)
    events = feed(ep, [(0.9, 1.0), (0.0, 0.064)])
    ep.set_tail_text(events[-1][2].pause_id, "Sure at my last job")
    assert feed(ep, [(0.0, 1.2)], t0=1.064) == []  # a finished sentence would have ended
    events = feed(ep, [(0.0, 0.5)], t0=2.264)
    assert [k for k, _, _ in events] == ["end_of_turn"]
    assert events[0][2].t - 1.0 == pytest.approx(1.5, abs=2 * F)


@pytest.mark.parametrize(
    "text,kind",
    [
        ("I improved the pipeline.", "finished"),
        ("Was that clear?", "finished"),
        ("We measured retention", "uncertain"),
        ("So I started with, um", "unfinished"),
        ("and then I", "unfinished"),
        ("", "uncertain"),
    ],
)
def test_tail_kind(text: str, kind: str) -> None:
    assert tail_kind(text) == kind
