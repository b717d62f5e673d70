"""The speaking path: text pieces -> sentence chunker -> Piper -> playback buffer.

A TTS worker thread synthesizes sentence by sentence as the text arrives, so the first sentence
plays while the LLM is still writing the second. Text known in advance (the next bank question,
acknowledgements) is synthesized ahead of time into a small cache while the candidate speaks.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import re
import threading
import time
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

log = logging.getLogger(__name__)


def gap_after(sentence: str) -> float:
    """The silence added after ``sentence``. None after a one- or two-word acknowledgement
    ("Thanks.", "Got it."): said as a lead-in, it runs on into what follows after Piper's own
    0.2 s, as a person says "Okay. Tell me about..."; a whole sentence gets the full pause."""
    return 0.0 if len(sentence.split()) <= 2 and sentence.endswith(".") else SENTENCE_GAP_S


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


#: Put in the job queue by an urgent :meth:`Speaker.prepare`: the worker, idle and waiting on
#: the queue, starts that synthesis now rather than at its next poll (up to 50 ms later).
_WAKE = _Job(-1, -1, "", None)
#: Synthesis seconds per character before the first sentence is timed (Piper medium on 2
#: loaded cores; an idle core does about 4 ms).
_SECONDS_PER_CHAR = 0.01


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
        #: sentences that could not be synthesized (the engine raised twice) and were skipped
        self.failed = 0
        #: the sentence being synthesized: (sentence, started, expected seconds)
        self._busy: tuple[str, float, float] | None = None
        #: synthesis seconds per character, a moving average over what this voice made
        self._per_char = _SECONDS_PER_CHAR

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
            if sentences:
                self._jobs.put(_WAKE)
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

    def eta(self, text: str) -> float:
        """Seconds until every sentence of ``text`` is synthesized: 0 when it is, infinite
        when it is not on its way (neither being synthesized nor prepared urgently).

        An estimate, from the sentences ahead of it in the worker's order and this voice's
        measured synthesis speed: what a reply can count on before it commits to a sentence
        (a short acknowledgement, or a longer one to cover the synthesis).
        """
        sentences = split_sentences(text)
        if not sentences:
            return math.inf
        with self._cache_lock:
            missing = {s for s in sentences if s not in self._cache}
            if not missing:
                return 0.0
            busy, urgent = self._busy, list(self._urgent)
            cached = set(self._cache)
        wait = 0.0
        if busy is not None:
            sentence, started, expected = busy
            wait = max(0.0, started + expected - time.monotonic())
            missing.discard(sentence)
        for sentence in urgent:
            if not missing:
                break
            if sentence not in cached:
                wait += len(sentence) * self._per_char
                missing.discard(sentence)
        return wait if not missing else math.inf

    def seconds(self, text: str) -> float | None:
        """How long ``text`` plays (with the gaps after its sentences), if it is synthesized."""
        total = 0.0
        with self._cache_lock:
            for sentence in split_sentences(text):
                audio = self._cache.get(sentence)
                if audio is None:
                    return None
                total += len(audio) / self.playback.sample_rate + gap_after(sentence)
        return total or None

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
        started = time.monotonic()
        with self._cache_lock:
            self._busy = (sentence, started, len(sentence) * self._per_char)
        try:
            parts = [
                resample(c.audio, c.sample_rate, self.playback.sample_rate)
                for c in self.tts.synthesize(sentence)
            ]
        finally:
            with self._cache_lock:
                self._busy = None
        audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        self.synthesized += 1
        with self._cache_lock:
            if sentence:
                took = (time.monotonic() - started) / len(sentence)
                self._per_char = 0.7 * self._per_char + 0.3 * took
            self._cache[sentence] = audio
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return audio

    def _synthesize(self, sentence: str) -> AudioArray | None:
        """The sentence's audio, tried twice; None if the engine fails both times. The worker
        must outlive an engine error: the runner waits for every queued sentence, and a dead
        worker left that wait hanging for the rest of the interview."""
        for attempt in (1, 2):
            try:
                return self._audio_for(sentence)
            except Exception:
                log.warning("synthesis failed (try %d of 2): %r", attempt, sentence, exc_info=True)
        self.failed += 1
        return None

    def _write(self, utterance: int, sentence: str, audio: AudioArray) -> None:
        # a short gap between sentences, as a speaker breathes
        gap = np.zeros(int(gap_after(sentence) * self.playback.sample_rate), dtype=np.float32)
        self.playback.write(utterance, sentence, np.concatenate([audio, gap]))

    def _run(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=0.05)
            except queue.Empty:
                job = _WAKE
            if job is _WAKE:
                # idle: synthesize what is likely to be said next
                with self._cache_lock:  # taken and marked busy at once, for eta()
                    sentence = self._urgent.popleft() if self._urgent else None
                    if sentence is not None and sentence not in self._cache:
                        self._busy = (sentence, time.monotonic(), len(sentence) * self._per_char)
                if sentence is None:
                    try:
                        sentence = self._prepare.get_nowait()
                    except queue.Empty:
                        continue
                # a sentence made ahead is a guess: if the engine fails on it (a remote
                # replica lost with its node), the sentence is made again when it is said
                try:
                    self._audio_for(sentence)
                except Exception:
                    log.warning("synthesis ahead of time failed: %r", sentence, exc_info=True)
                continue
            if job is None:
                return
            try:
                if job.epoch != self._epoch:
                    continue
                audio = self._synthesize(job.sentence)
                if audio is None or job.epoch != self._epoch:
                    continue
                self._write(job.utterance, job.sentence, audio)
                if job.on_audio is not None:
                    job.on_audio()
            finally:
                with self._pending_lock:
                    self._pending -= 1
                    self._pending_lock.notify_all()
