"""Silero VAD on torch (CPU): speech probability per 512-sample frame at 16 kHz."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.engines.base import VAD_FRAME_SAMPLES
from interviewer.errors import ModelError
from interviewer.types import SAMPLE_RATE, AudioArray


class SileroVAD:
    """Streaming Silero VAD. Not thread-safe: one instance per audio stream."""

    frame_samples = VAD_FRAME_SAMPLES

    def __init__(self, model_path: Path, model_id: str = "silero-vad") -> None:
        import torch
        from silero_vad.utils_vad import OnnxWrapper, init_jit_model

        self.model_id = model_id
        self._torch = torch
        try:
            with warnings.catch_warnings():
                # silero-vad's loader calls torch.jit.load, which torch now flags as deprecated
                warnings.simplefilter("ignore", DeprecationWarning)
                self._model: Any = (
                    OnnxWrapper(str(model_path), force_onnx_cpu=True)
                    if model_path.suffix == ".onnx"
                    else init_jit_model(str(model_path))
                )
        except Exception as exc:
            raise ModelError(
                f"vad model {model_path}: cannot load ({exc}); reinstall silero-vad"
            ) from exc

    def speech_prob(self, frame: AudioArray) -> float:
        if len(frame) != self.frame_samples:
            raise ValueError(f"VAD frames must be {self.frame_samples} samples, got {len(frame)}")
        tensor = self._torch.from_numpy(np.ascontiguousarray(frame, dtype=np.float32))
        with self._torch.inference_mode():
            return float(self._model(tensor, SAMPLE_RATE).item())

    def reset(self) -> None:
        self._model.reset_states()
