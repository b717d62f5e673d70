"""Reading and writing audio files, and resampling.

Every decoder error becomes an :class:`AudioFileError` naming the file, so the CLI can print one
line and exit 2 instead of a traceback from libsndfile or FFmpeg.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from interviewer.errors import AudioFileError
from interviewer.types import SAMPLE_RATE, AudioArray

#: Shorter than this cannot hold a word; a WAV header followed by a few stray bytes decodes to
#: a handful of samples, and must not pass as a (silent) answer.
MIN_SECONDS = 0.02
SUPPORTED_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3")


def resample(audio: AudioArray, src_rate: int, dst_rate: int = SAMPLE_RATE) -> AudioArray:
    """Resample mono float32 audio (soxr, high quality)."""
    if src_rate == dst_rate or len(audio) == 0:
        return np.ascontiguousarray(audio, dtype=np.float32)
    return np.asarray(soxr.resample(audio, src_rate, dst_rate, quality="HQ"), dtype=np.float32)


def _decode_with_av(path: Path) -> tuple[AudioArray, int]:
    # libsndfile reads wav/flac/ogg/mp3 in current wheels; FFmpeg (PyAV, already a dependency of
    # faster-whisper) covers what an older libsndfile or an odd container cannot.
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioFileError(f"{path}: no audio stream in this file")
            stream = container.streams.audio[0]
            rate = int(stream.rate or stream.codec_context.sample_rate)
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            parts: list[AudioArray] = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1).astype(np.float32))
    except AudioFileError:
        raise
    except Exception as exc:
        raise AudioFileError(
            f"{path}: cannot decode audio ({type(exc).__name__}); "
            f"expected one of {', '.join(SUPPORTED_SUFFIXES)}"
        ) from exc
    audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    return audio, rate


def read_audio(path: str | Path) -> tuple[AudioArray, int]:
    """Read any supported file as mono float32 at its own sample rate."""
    p = Path(path)
    if not p.exists():
        raise AudioFileError(f"{p}: no such file")
    if p.is_dir():
        raise AudioFileError(f"{p}: is a folder, not an audio file")
    if p.stat().st_size == 0:
        raise AudioFileError(f"{p}: the file is empty (0 bytes)")
    try:
        data, rate = sf.read(str(p), dtype="float32", always_2d=True)
        audio = data.mean(axis=1).astype(np.float32) if data.shape[1] > 1 else data[:, 0]
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        audio, rate = _decode_with_av(p)
    if len(audio) == 0:
        raise AudioFileError(f"{p}: holds no audio samples")
    if len(audio) < rate * MIN_SECONDS:
        raise AudioFileError(
            f"{p}: only {1000 * len(audio) / rate:.1f} ms of audio; truncated or corrupt"
        )
    if not np.all(np.isfinite(audio)):
        raise AudioFileError(f"{p}: holds NaN or infinite samples")
    return np.ascontiguousarray(audio, dtype=np.float32), int(rate)


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> AudioArray:
    """Read a file and return mono float32 at ``sample_rate`` (16 kHz by default)."""
    audio, rate = read_audio(path)
    return resample(audio, rate, sample_rate)


def write_wav(path: str | Path, audio: AudioArray, sample_rate: int) -> Path:
    """Write mono or (n, channels) float audio as 16-bit PCM WAV; creates parent folders."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    clipped = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0)
    sf.write(str(p), clipped, sample_rate, subtype="PCM_16")
    return p
