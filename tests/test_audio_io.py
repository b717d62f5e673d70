"""Audio file reading: every format we claim, and every kind of bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from interviewer.audio.io import load_audio, read_audio, resample, write_wav
from interviewer.errors import AudioFileError
from tests.conftest import Clip, clip_at, clip_named


def jfk() -> Clip:
    return clip_named("jfk_ask_not.flac")


def test_reads_flac_stereo_44k_as_mono_16k() -> None:
    audio = load_audio(jfk().path)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) / 16_000 == pytest.approx(jfk().duration, abs=0.01)


@pytest.mark.parametrize(
    "fmt,subtype", [("WAV", "PCM_16"), ("OGG", "VORBIS"), ("MP3", "MPEG_LAYER_III")]
)
def test_other_formats(tmp_path: Path, fmt: str, subtype: str) -> None:
    audio, rate = read_audio(jfk().path)
    path = tmp_path / f"jfk.{fmt.lower()}"
    sf.write(str(path), audio, rate, format=fmt, subtype=subtype)
    out = load_audio(path)
    # lossy codecs pad a little; the length must still match within 0.1 s
    assert abs(len(out) / 16_000 - jfk().duration) < 0.1


def test_resample_keeps_duration() -> None:
    x = np.sin(np.linspace(0, 100, 44_100)).astype(np.float32)
    assert len(resample(x, 44_100, 16_000)) == 16_000


def test_write_then_read(tmp_path: Path) -> None:
    x = (0.5 * np.sin(np.linspace(0, 200, 16_000))).astype(np.float32)
    path = write_wav(tmp_path / "sub" / "x.wav", x, 16_000)
    y = load_audio(path)
    assert np.max(np.abs(x - y)) < 1e-3


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda d: d / "missing.wav", "no such file"),
        (lambda d: _write(d / "empty.wav", b""), "empty"),
        (
            lambda d: _write(d / "notes.wav", b"these are my interview notes, not audio\n" * 20),
            "cannot decode",
        ),
        (lambda d: _corrupt(d / "corrupt.wav"), "cannot decode|no audio"),
        (lambda d: d, "folder"),
    ],
    ids=["missing", "empty", "text-renamed-wav", "corrupt", "folder"],
)
def test_bad_input_is_a_typed_one_line_error(tmp_path: Path, make, match: str) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    with pytest.raises(AudioFileError, match=match) as info:
        load_audio(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _corrupt(path: Path) -> Path:
    # A real WAV header followed by garbage where the data chunk should be.
    shutil.copy(clip_at(1).path, path)
    raw = bytearray(path.read_bytes())
    raw[12:] = bytes(np.random.default_rng(0).integers(0, 255, len(raw) - 12, dtype=np.uint8))
    path.write_bytes(bytes(raw[:400]))
    return path
