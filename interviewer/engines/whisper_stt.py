"""faster-whisper (CTranslate2): int8 on CPU, float16 on CUDA."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from interviewer.errors import ModelError
from interviewer.types import SAMPLE_RATE, AudioArray, Segment, Transcript, Word

# Whisper invents text for near-silent input; below this RMS we skip the model entirely.
_SILENCE_RMS = 1e-4
# Whisper pads every call to a 30 s window, so a 2 s utterance costs nearly as much as a 25 s
# one. CTranslate2 accepts a shorter window (faster-whisper's chunk_length): we round the audio
# length up to a multiple of this step, which roughly halves the cost of short turns.
_WINDOW_STEP_S = 5
_MAX_WINDOW_S = 30


def window_for(duration: float) -> int:
    """Shortest window (s, a multiple of 5, at most 30) that holds ``duration`` + 0.5 s."""
    need = duration + 0.5
    steps = -(-need // _WINDOW_STEP_S)  # ceiling division
    return int(min(_MAX_WINDOW_S, max(_WINDOW_STEP_S, steps * _WINDOW_STEP_S)))


class WhisperSTT:
    """Thread-safe for concurrent ``transcribe`` calls (CTranslate2 queues them)."""

    def __init__(
        self,
        model_path: Path,
        *,
        model_id: str = "whisper",
        device: str = "cpu",
        compute_type: str | None = None,
        cpu_threads: int = 0,
        num_workers: int = 1,
        adaptive_window: bool = True,
    ) -> None:
        from faster_whisper import WhisperModel

        self.model_id = model_id
        self.device = device
        self.adaptive_window = adaptive_window
        self.compute_type = compute_type or ("float16" if device == "cuda" else "int8")
        try:
            self._model = WhisperModel(
                str(model_path),
                device=device,
                compute_type=self.compute_type,
                cpu_threads=cpu_threads,
                num_workers=num_workers,
                local_files_only=True,
            )
        except Exception as exc:
            raise ModelError(
                f"stt model {model_path}: cannot load ({type(exc).__name__}: {exc}); "
                "download it again or point --stt at a CTranslate2 Whisper folder"
            ) from exc
        self.multilingual = bool(self._model.model.is_multilingual)

    def transcribe(
        self,
        audio: AudioArray,
        *,
        word_timestamps: bool = True,
        beam_size: int = 1,
        initial_prompt: str | None = None,
    ) -> Transcript:
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        duration = len(audio) / SAMPLE_RATE
        if len(audio) == 0 or float(np.sqrt(np.mean(audio**2))) < _SILENCE_RMS:
            return Transcript(text="", segments=(), duration=duration)
        segments_iter, info = self._model.transcribe(
            audio,
            language="en",
            beam_size=beam_size,
            word_timestamps=word_timestamps,
            initial_prompt=initial_prompt,
            # the pipeline runs its own VAD; a second pass here would only add latency
            vad_filter=False,
            condition_on_previous_text=False,
            without_timestamps=not word_timestamps,
            chunk_length=window_for(duration) if self.adaptive_window else None,
        )
        segments = []
        for seg in segments_iter:
            words = tuple(
                Word(
                    word=w.word.strip(),
                    start=float(w.start),
                    end=float(w.end),
                    probability=float(w.probability),
                )
                for w in (seg.words or ())
            )
            segments.append(
                Segment(
                    start=float(seg.start),
                    end=float(seg.end),
                    text=seg.text.strip(),
                    words=words,
                    no_speech_prob=float(seg.no_speech_prob),
                    avg_logprob=float(seg.avg_logprob),
                )
            )
        text = " ".join(s.text for s in segments if s.text).strip()
        return Transcript(
            text=text, segments=tuple(segments), duration=duration, language=info.language or "en"
        )
