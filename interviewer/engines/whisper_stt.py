"""faster-whisper (CTranslate2): int8 on CPU, float16 on CUDA."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from interviewer.engines import activity
from interviewer.errors import ModelError
from interviewer.types import SAMPLE_RATE, AudioArray, Segment, Transcript, Word

# Whisper invents text for near-silent input; below this RMS we skip the model entirely.
_SILENCE_RMS = 1e-4
# Whisper pads every call to a 30 s window (3000 mel frames), and the encoder's cost follows the
# window, not the speech: a 2 s utterance costs as much as a 28 s one. CTranslate2's encoder
# accepts a shorter window, so text-only calls on short audio (partials and the speculative
# final of the streaming pipeline) use one that holds the audio with room to spare: about 3x
# faster with the same WER on ../shared/audio (see benchmarks/engines.py). Windows under 10 s
# made tiny.en loop ("and so... and so..."), hence the floor.
_FRAMES_PER_S = 100
_MIN_FRAMES = 1000
_MAX_FRAMES = 3000
_FRAME_STEP = 500
SHORT_WINDOW_MAX_S = 25.0
# The guards of the long path (Whisper's own): a decode whose text compresses too well (a loop)
# or whose tokens are too unlikely is redone at the next temperature. With beam search the
# first try is the beam; the fallbacks sample. The streaming path above stays greedy and
# single-try: its text only has to be good enough for turn-taking, and fast.
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
COMPRESSION_RATIO_GUARD = 2.4
LOG_PROB_GUARD = -1.0


def window_frames(duration: float) -> int:
    """Encoder window (mel frames) for ``duration`` seconds: 1.3x the audio + 1 s, in 5 s steps."""
    need = int(duration * _FRAMES_PER_S * 1.3) + _FRAMES_PER_S
    steps = -(-need // _FRAME_STEP)
    return int(min(_MAX_FRAMES, max(_MIN_FRAMES, steps * _FRAME_STEP)))


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
        short_window: bool = True,
    ) -> None:
        from faster_whisper import WhisperModel

        self.model_id = model_id
        self.device = device
        self.short_window = short_window
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
        from faster_whisper.tokenizer import Tokenizer

        tok = Tokenizer(
            self._model.hf_tokenizer, self.multilingual, task="transcribe", language="en"
        )
        self._tokenizer = tok
        self._prompt = [*tok.sot_sequence, tok.no_timestamps]

    def transcribe(
        self,
        audio: AudioArray,
        *,
        word_timestamps: bool = True,
        beam_size: int = 1,
        initial_prompt: str | None = None,
        hotwords: str | None = None,
    ) -> Transcript:
        with activity.foreground():
            return self._transcribe(audio, word_timestamps, beam_size, initial_prompt, hotwords)

    def _transcribe(
        self,
        audio: AudioArray,
        word_timestamps: bool,
        beam_size: int,
        initial_prompt: str | None,
        hotwords: str | None = None,
    ) -> Transcript:
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        duration = len(audio) / SAMPLE_RATE
        if len(audio) == 0 or float(np.sqrt(np.mean(audio**2))) < _SILENCE_RMS:
            return Transcript(text="", segments=(), duration=duration)
        if (
            self.short_window
            and not word_timestamps
            and beam_size == 1
            and initial_prompt is None
            and hotwords is None
            and duration <= SHORT_WINDOW_MAX_S
        ):
            return self._transcribe_short(audio, duration)
        segments_iter, info = self._model.transcribe(
            audio,
            language="en",
            beam_size=beam_size,
            word_timestamps=word_timestamps,
            initial_prompt=initial_prompt,
            # unlike the initial prompt (which, without conditioning on previous text, reaches
            # only the first 30 s window), hotwords are placed before every window
            hotwords=hotwords,
            temperature=list(TEMPERATURES),
            compression_ratio_threshold=COMPRESSION_RATIO_GUARD,
            log_prob_threshold=LOG_PROB_GUARD,
            # the pipeline runs its own VAD; a second pass here would only add latency
            vad_filter=False,
            condition_on_previous_text=False,
            without_timestamps=not word_timestamps,
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

    def _transcribe_short(self, audio: AudioArray, duration: float) -> Transcript:
        """Text only, greedy, with an encoder window sized to the audio (see module notes)."""
        import ctranslate2

        frames = window_frames(duration)
        feats = self._model.feature_extractor(audio, chunk_length=frames // _FRAMES_PER_S)
        feats = feats[:, :frames]
        if feats.shape[1] < frames:
            feats = np.pad(feats, ((0, 0), (0, frames - feats.shape[1])))
        batch = np.ascontiguousarray(feats[None], dtype=np.float32)
        encoded = self._model.model.encode(ctranslate2.StorageView.from_array(batch), to_cpu=False)
        result = self._model.model.generate(
            encoded,
            [self._prompt],
            beam_size=1,
            # a generous bound on tokens for this much speech; stops runaway repetition
            max_length=int(24 + 6 * duration),
            suppress_blank=True,
            suppress_tokens=[-1],
            return_no_speech_prob=True,
        )[0]
        text = self._tokenizer.decode(result.sequences_ids[0]).strip()
        no_speech = float(getattr(result, "no_speech_prob", 0.0))
        seg = Segment(start=0.0, end=duration, text=text, no_speech_prob=no_speech)
        return Transcript(text=text, segments=(seg,) if text else (), duration=duration)
