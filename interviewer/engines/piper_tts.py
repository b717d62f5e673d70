"""Piper TTS (ONNX Runtime): one audio chunk per sentence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from interviewer.errors import ModelError
from interviewer.text import split_sentences
from interviewer.types import AudioChunk


class PiperTTS:
    """A Piper voice. ``speed`` > 1 speaks faster; the noise scales vary the delivery."""

    def __init__(
        self,
        model_path: Path,
        config_path: Path | None = None,
        *,
        model_id: str = "piper",
        device: str = "cpu",
        speed: float = 1.0,
        noise_scale: float | None = None,
        noise_w_scale: float | None = None,
        speaker_id: int | None = None,
    ) -> None:
        from piper import PiperVoice, SynthesisConfig

        if speed <= 0:
            raise ValueError("speed must be positive")
        self.model_id = model_id
        try:
            self._voice = PiperVoice.load(
                str(model_path),
                config_path=str(config_path) if config_path else None,
                use_cuda=device == "cuda",
            )
        except Exception as exc:
            raise ModelError(
                f"tts voice {model_path}: cannot load ({type(exc).__name__}: {exc}); "
                "download the voice again (.onnx and .onnx.json)"
            ) from exc
        self.sample_rate = int(self._voice.config.sample_rate)
        self._syn = SynthesisConfig(
            speaker_id=speaker_id,
            length_scale=1.0 / speed,
            noise_scale=noise_scale,
            noise_w_scale=noise_w_scale,
            normalize_audio=False,
            volume=1.0,
        )

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        for sentence in split_sentences(text):
            parts = [
                c.audio_float_array for c in self._voice.synthesize(sentence, syn_config=self._syn)
            ]
            if not parts:
                continue
            audio = np.clip(np.concatenate(parts), -1.0, 1.0).astype(np.float32)
            yield AudioChunk(audio=audio, sample_rate=self.sample_rate, text=sentence)
