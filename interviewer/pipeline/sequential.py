"""The naive sequential baseline, for the benchmarks only.

Waits for the whole answer, transcribes all of it in one Whisper pass, generates the whole
reply, synthesizes all of it, then plays: no partials, no speculative finals, no TTS cache,
and the turn ends after ``silence_s`` whatever was said. It shares everything else with
:class:`InterviewRunner` (threads, audio, endpointer, latency marks, records), so the
streaming-against-sequential comparison in ``interviewer bench`` measures the pipeline alone.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from interviewer.audio.io import resample
from interviewer.interview.base import Reply
from interviewer.pipeline.events import InterviewerSays
from interviewer.pipeline.keeping import _Pending
from interviewer.pipeline.listener import Listener
from interviewer.pipeline.runner import InterviewRunner, TurnEnd
from interviewer.pipeline.speaker import chunk_sentences
from interviewer.pipeline.transcriber import FinalText
from interviewer.text import join_pieces
from interviewer.types import AudioArray, Word


class WholeAnswer:
    """The baseline's listener sink: keeps the turn's audio; nothing runs before its end."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frames: list[AudioArray] = []
        self._done: AudioArray | None = None

    def begin(self, pre_roll: list[AudioArray], probs: list[float]) -> None:
        with self._lock:
            self._frames = list(pre_roll)

    def append(self, frame: AudioArray, prob: float) -> None:
        with self._lock:
            self._frames.append(frame)

    def request_final(self, pause_id: int) -> None:
        """Nothing speculative in the baseline."""

    def resume(self, pause_id: int, pause_s: float) -> None:
        """Nothing was committed at the pause: the answer stays whole."""

    def finish(self, pause_id: int) -> None:
        with self._lock:
            frames, self._frames = self._frames, []
            self._done = np.concatenate(frames) if frames else None

    def take(self) -> AudioArray:
        """The audio of the turn that ended last (empty when none is waiting)."""
        with self._lock:
            audio, self._done = self._done, None
        return audio if audio is not None else np.zeros(0, dtype=np.float32)


class SequentialRunner(InterviewRunner):
    """:class:`InterviewRunner` with every stage run one after the other (see the module)."""

    #: the baseline composes nothing before the turn has ended
    speculates = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # no speculative text to judge a pause by: every pause of ``silence_s`` ends the turn
        self.endpointer.require_text = False
        self.answer = WholeAnswer()
        self.listener = Listener(self.vad, self.endpointer, self.answer)

    def _bind_voice(self) -> None:
        """The whole reply is written before any of it is synthesized: nothing to pace on."""

    def _warm_up(self) -> None:
        """No TTS cache in the baseline."""

    def _prepare_next(self) -> None:
        """No TTS cache in the baseline."""

    def _final(self, turn: TurnEnd) -> FinalText:
        audio = self.answer.take()
        result = self.transcriber.stt.transcribe(audio, word_timestamps=True)
        return FinalText(turn.pause_id, result.text, self.clock(), len(audio))

    def _full_pass(self, epoch: int, timeout: float) -> tuple[list[Word], str | None]:
        return [], None  # the final already was the full pass

    def _passes_done(self, pending: _Pending) -> bool:
        return True  # nothing to wait for (see _full_pass)

    def _say(self, reply: Reply, utt: int, marks: dict[str, float]) -> None:
        """The whole reply text, then all of its audio, then play."""
        text = join_pieces(reply.pieces)
        marks["llm_first_token"] = self.clock()
        sentences = list(chunk_sentences([text]))
        marks["first_sentence"] = self.clock()
        tts = self.speaker.tts
        audio = []
        for sentence in sentences:
            self.on_event(InterviewerSays(sentence, reply.kind))
            parts = [
                resample(c.audio, c.sample_rate, self.playback.sample_rate)
                for c in tts.synthesize(sentence)
            ]
            audio.append((sentence, np.concatenate(parts) if parts else np.zeros(0, np.float32)))
        marks["tts_first_audio"] = self.clock()
        for sentence, samples in audio:
            self.playback.write(utt, sentence, samples)
