"""Piper en_US-joe-medium (embedded): sentence chunks, and a TTS -> STT round trip."""

from __future__ import annotations

import numpy as np
import pytest

from interviewer.audio.io import resample
from interviewer.metrics import word_error_rate

pytestmark = pytest.mark.real


def test_one_chunk_per_sentence(real_tts) -> None:  # type: ignore[no-untyped-def]
    text = "Welcome to the interview. Tell me about yourself! What brings you here?"
    chunks = list(real_tts.synthesize(text))
    assert [c.text for c in chunks] == [
        "Welcome to the interview.",
        "Tell me about yourself!",
        "What brings you here?",
    ]
    for c in chunks:
        assert c.sample_rate == real_tts.sample_rate == 22_050
        assert c.audio.dtype == np.float32
        assert 0.5 < c.duration < 5.0
        assert np.abs(c.audio).max() <= 1.0
        assert np.sqrt(np.mean(c.audio**2)) > 0.01  # audible, not silence


def test_longer_sentence_takes_longer(real_tts) -> None:  # type: ignore[no-untyped-def]
    short = next(iter(real_tts.synthesize("Thank you.")))
    long = next(
        iter(real_tts.synthesize("Thank you for walking me through that very detailed example."))
    )
    assert long.duration > 2 * short.duration


def test_empty_text_gives_no_chunks(real_tts) -> None:  # type: ignore[no-untyped-def]
    assert list(real_tts.synthesize("   ")) == []


@pytest.mark.parametrize(
    "text",
    [
        "Tell me about a time you disagreed with your manager.",
        "How would you design an experiment to test a new pricing page?",
        "What is the difference between precision and recall?",
    ],
)
def test_round_trip_through_whisper(real_tts, real_stt, text: str) -> None:  # type: ignore[no-untyped-def]
    audio = np.concatenate([c.audio for c in real_tts.synthesize(text)])
    heard = real_stt.transcribe(resample(audio, real_tts.sample_rate)).text
    # Piper samples noise inside the model, so each rendering differs a little; one or two
    # words misheard out of ten or twelve is within what tiny.en does on clean speech.
    assert word_error_rate(text, heard) <= 0.3, heard


def test_seeded_candidate_voice_repeats_its_audio() -> None:
    """``demo --seed``: Piper draws its noise inside the ONNX graph, so only a seeded voice
    speaks a script the same way twice; an unseeded or differently seeded one varies."""
    from interviewer.audio.candidate import candidate_voice, render_text
    from interviewer.config import Settings

    text = "I checked the lift against a holdout group."

    def speak(seed: int | None) -> tuple[np.ndarray, np.ndarray]:
        voice = candidate_voice(Settings(), None, seed)
        return render_text(voice, text), render_text(voice, text)

    first, second = speak(7), speak(7)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    # within one voice the noise moves on: the second rendering is not the first again
    assert not np.array_equal(first[0], first[1])
    other = speak(8)[0]
    assert len(other) != len(first[0]) or not np.array_equal(other, first[0])
