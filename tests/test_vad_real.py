"""Silero VAD (embedded) on the real recordings, on silence and on noise."""

from __future__ import annotations

import numpy as np
import pytest

from interviewer.audio.io import load_audio
from tests.conftest import CLIPS, Clip, clip_at, clip_named

pytestmark = pytest.mark.real


def frame_probs(vad, audio: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    vad.reset()
    n = vad.frame_samples
    return np.array([vad.speech_prob(audio[i : i + n]) for i in range(0, len(audio) - n + 1, n)])


@pytest.mark.parametrize("clip", CLIPS, ids=lambda c: c.path.name)
def test_speech_found_in_every_clip(real_vad, clip: Clip) -> None:  # type: ignore[no-untyped-def]
    audio = load_audio(clip.path)
    probs = frame_probs(real_vad, audio)
    voiced = probs > 0.5
    # Every clip is someone talking: at least a fifth of it is voiced, and the speech is found
    # as a run of consecutive frames (not isolated blips).
    assert voiced.mean() > 0.2, f"only {voiced.mean():.0%} of frames voiced"
    longest = max(len(run) for run in "".join("1" if v else "0" for v in voiced).split("0"))
    assert longest * 0.032 >= 0.3


def test_no_speech_in_silence(real_vad) -> None:  # type: ignore[no-untyped-def]
    probs = frame_probs(real_vad, np.zeros(16_000 * 3, dtype=np.float32))
    assert probs.max() < 0.2


@pytest.mark.parametrize("level", [0.01, 0.1])
def test_no_speech_in_white_noise(real_vad, level: float) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    noise = (rng.standard_normal(16_000 * 3) * level).astype(np.float32)
    probs = frame_probs(real_vad, noise)
    assert (probs > 0.5).mean() < 0.05


def test_speech_after_silence_is_located(real_vad) -> None:  # type: ignore[no-untyped-def]
    clip = clip_named("librispeech")
    speech = load_audio(clip.path)
    audio = np.concatenate([np.zeros(16_000 * 2, np.float32), speech, np.zeros(16_000, np.float32)])
    probs = frame_probs(real_vad, audio)
    first = int(np.argmax(probs > 0.5)) * 512 / 16_000
    last = (len(probs) - 1 - int(np.argmax(probs[::-1] > 0.5))) * 512 / 16_000
    assert 1.9 <= first <= 2.6
    assert 2.0 + clip.duration - 1.0 <= last <= 2.0 + clip.duration + 0.3


def test_reset_restores_state(real_vad) -> None:  # type: ignore[no-untyped-def]
    audio = load_audio(clip_at(0).path)[: 512 * 20]
    first = frame_probs(real_vad, audio)
    second = frame_probs(real_vad, audio)
    np.testing.assert_allclose(first, second, atol=1e-5)


def test_wrong_frame_size_rejected(real_vad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="512"):
        real_vad.speech_prob(np.zeros(480, dtype=np.float32))
