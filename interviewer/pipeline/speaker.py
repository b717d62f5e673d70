"""The speaking path: text pieces -> sentence chunker -> Piper -> playback buffer.

A TTS worker thread synthesizes sentence by sentence as the text arrives, so the first sentence
plays while the LLM is still writing the second. Text known in advance (the next bank question,
acknowledgements) is synthesized ahead of time into a small cache while the candidate speaks.
"""

from __future__ import annotations

import contextlib
import queue
import re
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from interviewer.audio.io import resample
from interviewer.audio.playback import PlaybackBuffer
from interviewer.engines.base import TTS
from interviewer.text import split_sentences
from interviewer.types import AudioArray

#: Silence added after each sentence; with Piper's own edges (about 0.2 s) the pause between
#: two sentences is about 0.35 s.
SENTENCE_GAP_S = 0.12

_ABBREV_END = re.compile(r"\b(?:e\.g|i\.e|etc|vs|mr|mrs|ms|dr|prof|inc|st|jr|sr)\.$", re.I)


def chunk_sentences(
    pieces: Iterable[str], on_sentence_time: Callable[[], None] | None = None
) -> Iterator[str]:
    """Regroup streamed text pieces into whole sentences, yielding each as soon as it closes.

    A piece that ends a sentence ("Thanks.") is yielded at once rather than when the next piece
    arrives: the next piece may be an LLM's follow-up that takes seconds to compose.
    """
    buf = ""
    for piece in pieces:
        decimal = piece[:1].isdigit() and re.search(r"\d[.,]$", buf) is not None
        if buf and piece and buf[-1] in ".?!,;:" and piece[0].isalnum() and not decimal:
            buf += " "  # whole-sentence pieces ("Let's begin.", "Tell me...") need a gap
        buf += piece
        parts = split_sentences(buf)
        if not parts:
            continue
        tail = buf.rstrip()
        closed = (
            tail.endswith((".", "?", "!"))
            and not _ABBREV_END.search(tail)
            and not re.search(r"\d\.$", tail)  # "3." may be the start of "3.5"
        )
        ready = parts if closed else parts[:-1]
        for sentence in ready:
            if on_sentence_time is not None:
                on_sentence_time()
                on_sentence_time = None
            yield sentence
        buf = "" if closed else parts[-1]
    rest = " ".join(buf.split())
    if rest:
        if on_sentence_time is not None:
            on_sentence_time()
        yield rest


@dataclass
class _Job:
    epoch: int
    utterance: int
    sentence: str
    on_audio: Callable[[], None] | None


class Speaker:
    """Owns the TTS engine on one worker thread."""

    def __init__(self, tts: TTS, playback: PlaybackBuffer, cache_size: int = 64) -> None:
        self.tts = tts
        self.playback = playback
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._prepare: queue.Queue[str] = queue.Queue(maxsize=32)
        #: sentences wanted soon, newest first, before ``_prepare``: what the candidate's
        #: latest pause makes likely. Older ones fall off the end: a speculation the candidate
        #: talked past must not keep the worker busy when the reply comes.
        self._urgent: deque[str] = deque(maxlen=6)
        self._cache: OrderedDict[str, AudioArray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._epoch = 0
        self._pending = 0
        self._pending_lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self.cache_hits = 0
        self.synthesized = 0

    # ---------------------------------------------------------------- control
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tts", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.cancel()
        self._jobs.put(None)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def cancel(self) -> None:
        """Barge-in: drop every queued sentence (the playback buffer is cleared by the caller)."""
        self._epoch += 1

    def say(
        self, utterance: int, sentence: str, on_audio: Callable[[], None] | None = None
    ) -> None:
        """Queue one sentence; ``on_audio`` fires when its audio is in the playback buffer.

        A sentence already synthesized, with nothing queued before it, goes into the playback
        buffer at once from the caller's thread: it must not wait behind whatever the worker
        is synthesizing ahead (a prepared sentence takes a second or more on a busy CPU).
        """
        with self._pending_lock:
            if self._pending == 0:
                cached = self._cached(sentence)
                if cached is not None:
                    self._write(utterance, sentence, cached)
                    if on_audio is not None:
                        on_audio()
                    return
            self._pending += 1
        self._jobs.put(_Job(self._epoch, utterance, sentence, on_audio))

    def prepare(self, text: str, *, urgent: bool = False) -> None:
        """Synthesize ``text`` into the cache when the worker is otherwise idle.

        ``urgent`` puts it before everything prepared earlier: text that may be said within a
        second or two (the follow-up planned at the candidate's pause, the model's once
        written, the next bank question).
        """
        sentences = [s for s in split_sentences(text) if s not in self._cache]
        if urgent:
            for sentence in reversed(sentences):  # in order, ahead of the older ones
                with contextlib.suppress(ValueError):  # the worker may have taken it
                    self._urgent.remove(sentence)
                self._urgent.appendleft(sentence)
            return
        for sentence in sentences:
            try:
                self._prepare.put_nowait(sentence)
            except queue.Full:
                return

    def ready(self, text: str) -> bool:
        """True when every sentence of ``text`` is synthesized (saying it costs no wait)."""
        sentences = split_sentences(text)
        with self._cache_lock:
            return bool(sentences) and all(s in self._cache for s in sentences)

    def ahead(self) -> float:
        """Seconds of the interviewer's voice still to play before a sentence said now would.

        Infinite while a sentence waits for synthesis: the next one goes after it anyway.
        """
        with self._pending_lock:
            if self._pending:
                return float("inf")
        return self.playback.queued_seconds

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every queued sentence is in the playback buffer."""
        with self._pending_lock:
            return self._pending_lock.wait_for(lambda: self._pending == 0, timeout)

    # ---------------------------------------------------------------- worker
    def _cached(self, sentence: str) -> AudioArray | None:
        with self._cache_lock:
            cached = self._cache.get(sentence)
            if cached is not None:
                self._cache.move_to_end(sentence)
                self.cache_hits += 1
            return cached

    def _audio_for(self, sentence: str) -> AudioArray:
        cached = self._cached(sentence)
        if cached is not None:
            return cached
        parts = [
            resample(c.audio, c.sample_rate, self.playback.sample_rate)
            for c in self.tts.synthesize(sentence)
        ]
        audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        self.synthesized += 1
        with self._cache_lock:
            self._cache[sentence] = audio
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return audio

    def _write(self, utterance: int, sentence: str, audio: AudioArray) -> None:
        # a short gap between sentences, as a speaker breathes
        gap = np.zeros(int(SENTENCE_GAP_S * self.playback.sample_rate), dtype=np.float32)
        self.playback.write(utterance, sentence, np.concatenate([audio, gap]))

    def _run(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=0.05)
            except queue.Empty:
                # idle: synthesize what is likely to be said next
                try:
                    sentence = self._urgent.popleft()
                except IndexError:
                    try:
                        sentence = self._prepare.get_nowait()
                    except queue.Empty:
                        continue
                self._audio_for(sentence)
                continue
            if job is None:
                return
            try:
                if job.epoch != self._epoch:
                    continue
                audio = self._audio_for(job.sentence)
                if job.epoch != self._epoch:
                    continue
                self._write(job.utterance, job.sentence, audio)
                if job.on_audio is not None:
                    job.on_audio()
            finally:
                with self._pending_lock:
                    self._pending -= 1
                    self._pending_lock.notify_all()
