"""Streaming transcription of the growing utterance, on one worker thread (the full pass on a
second).

Whisper's cost follows its encoder window, not the speech; the engine sizes the window to the
audio for text-only calls (see ``engines/whisper_stt.py``), so short calls are cheap. The plan:

* final: the moment silence begins, transcribe the speech since the last pause, text only; if
  the turn ends, the text is already (nearly) ready. The piece is decoded with
  ``FINAL_PAD_S`` of digital silence after it (see :func:`with_trailing_silence`). If speech
  resumes after a real pause (>= ``commit_pause_s``), that text is committed and its audio
  dropped, so every call covers only the speech since the last pause, whatever the answer's
  length;
* partials: while the candidate speaks, re-transcribe the uncommitted tail whenever
  ``partial_every_s`` of new audio has arrived and nothing more urgent is pending;
* commit: speech with no pauses never grows the window past ``commit_after_s``: the audio up
  to the quietest point is transcribed once and dropped (bounded memory, the text kept whole);
* words: once the turn has ended, one full pass (word timestamps) over the whole answer's
  audio, off the path to the interviewer's reply. Its text is the answer of record: the
  streamed text is stitched from pieces cut at every pause, each decoded without the others
  (lower case, no punctuation, words lost at the cuts); turn-taking only needs its last words.
  The pass is incremental: while the candidate still speaks, the committed pieces go as soon
  as they hold ``words_group_s`` of audio (a group is decoded whole, so each piece is heard
  with its neighbours; groups are cut at committed pauses, so the join needs no overlapping
  audio), and when the turn ends only the pieces since the last group remain. A 60 s answer's
  whole pass took ~20 s after the turn on a loaded 2-core machine; its last group takes one
  window (docs/benchmarks.md). The full pass has a thread of its own (``record_worker``), so
  a group being decoded never holds a speculative final back in this worker's queue; the
  engine runs the two side by side when it has a second worker (``load_stt`` gives Whisper
  two) or the full pass has its own model. Without the thread, a group ran when nothing else
  was due, and a final at a pause then waited for the group already running: up to 5.2 s on
  a loaded 2-core machine. After the turn, the rest goes in one pass of up to
  ``words_max_s`` (memory stays bounded). The full pass
  decodes with more effort (beam search, the question as prompt, optionally a larger model:
  see ``pipeline/record.py``); where it still loops on a stretch the streamed text of that
  stretch is kept, and passes are joined like committed pieces, so no word doubles at a join.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from interviewer.engines.base import STT
from interviewer.pipeline.record import FinalDecoding, Repair, repair, words_kept
from interviewer.pipeline.seams import Stretch, join_passes, join_text
from interviewer.pipeline.turn_end import Prosody, lone_tail, prosody_at_pause
from interviewer.types import SAMPLE_RATE, AudioArray, Word


@dataclass
class FinalText:
    pause_id: int
    text: str
    #: monotonic time the text became available
    ready_at: float
    #: samples of utterance audio it covers (from the utterance start)
    covers: int
    #: pitch, energy and timing of the last syllables before the pause
    prosody: Prosody | None = None
    #: a lone short word after a break just before the pause (seconds), often dropped by STT
    lone_tail_s: float | None = None


#: Digital silence appended to a speculative final's audio. Cut at the pause's first silent
#: frame, a piece of several seconds often loses its last words in tiny.en ("... the full
#: dashboard a" for "... a month later."), and the end-of-turn prediction then waits for an
#: outcome already said. With 0.8 s of zeros, the pieces at every long pause of the turn set
#: matched 2864 reference words instead of 2838, with 118 other words instead of 159
#: (benchmarks/final_padding.py); zeros cost no waiting, where the pause's own silence would.
FINAL_PAD_S = 0.8


def with_trailing_silence(audio: AudioArray, seconds: float = FINAL_PAD_S) -> AudioArray:
    """``audio`` followed by ``seconds`` of zeros: how a speculative final is decoded."""
    return np.concatenate([audio, np.zeros(int(seconds * SAMPLE_RATE), dtype=audio.dtype)])


@dataclass
class _Utterance:
    epoch: int
    frames: list[AudioArray] = field(default_factory=list)
    probs: list[float] = field(default_factory=list)
    base: int = 0  # samples dropped from the front (committed)
    total: int = 0  # samples appended so far
    committed_text: list[str] = field(default_factory=list)

    def audio(self, upto: int | None = None) -> AudioArray:
        """Uncommitted audio from ``base`` up to sample ``upto`` (absolute)."""
        if not self.frames:
            return np.zeros(0, dtype=np.float32)
        audio = np.concatenate(self.frames)
        return audio if upto is None else audio[: max(0, upto - self.base)]


@dataclass
class _WordJob:
    epoch: int
    audio: AudioArray
    offset: float
    decoding: FinalDecoding | None = None


class StreamingTranscriber:
    """Owns the current utterance's audio and runs every STT call on its own thread."""

    def __init__(
        self,
        stt: STT,
        now: Callable[[], float],
        *,
        on_partial: Callable[[str], None] | None = None,
        on_final: Callable[[FinalText], None] | None = None,
        partial_every_s: float = 1.2,
        commit_after_s: float = 20.0,
        commit_pause_s: float = 0.25,
        threshold: float = 0.5,
        words_max_s: float = 120.0,
        words_group_s: float = 15.0,
        final_stt: STT | None = None,
        final_decoding: FinalDecoding | None = None,
        record_worker: bool = True,
    ) -> None:
        self.stt = stt
        #: the model of the full pass (the answer of record); the streaming one when None
        self.final_stt = final_stt
        self.final_decoding = final_decoding or FinalDecoding()
        #: per utterance, the stretches of the full pass replaced by the streamed text
        self.repairs: dict[int, Repair] = {}
        self.now = now
        self.on_partial = on_partial
        self.on_final = on_final
        self.partial_every = int(partial_every_s * SAMPLE_RATE)
        self.commit_after = int(commit_after_s * SAMPLE_RATE)
        self.commit_pause_s = commit_pause_s
        self.threshold = threshold
        self.words_max = int(words_max_s * SAMPLE_RATE)
        #: queued audio that starts a full pass before the turn ends (``inf``: wait for it)
        self.words_group = min(self.words_max, int(min(words_group_s, 1e9) * SAMPLE_RATE))
        self._cond = threading.Condition()
        self._utt = _Utterance(epoch=0)
        self._final_req: tuple[int, int] | None = None  # (pause_id, upto samples)
        self._finals: dict[int, FinalText] = {}
        self._committable: set[int] = set()
        self._partials_on = False
        self._last_partial_at = 0
        self._word_jobs: deque[_WordJob] = deque()
        self._words_pending: dict[int, int] = {}
        #: per utterance, each pass's offset and its stretches (segment text, its words)
        self._texts: dict[int, list[tuple[float, list[Stretch]]]] = {}
        self._streamed: dict[int, str] = {}
        self._finished: set[int] = set()  # utterances whose last piece is queued
        self._finish_pause: tuple[int, int] | None = None  # (epoch, pause_id) that ends the turn
        self._stop = False
        self._thread: threading.Thread | None = None
        #: the full pass on a thread of its own (:meth:`_run_record`); False: on the streaming
        #: worker, after everything else
        self.record_worker = record_worker
        self._record_thread: threading.Thread | None = None
        self.calls = {"partial": 0, "final": 0, "commit": 0, "words": 0}

    # ---------------------------------------------------------------- producer side (listener)
    def begin(self, pre_roll: list[AudioArray], probs: list[float]) -> None:
        """A new utterance starts with these frames."""
        with self._cond:
            self._utt = _Utterance(epoch=self._utt.epoch + 1)
            for f, p in zip(pre_roll, probs, strict=True):
                self._append_locked(f, p)
            self._final_req = None
            self._finals.clear()
            self._committable.clear()
            self._partials_on = True
            self._last_partial_at = 0
            self._words_pending[self._utt.epoch] = 0
            self._texts[self._utt.epoch] = []
            for old in [e for e in self._texts if e < self._utt.epoch - 4]:
                self._words_pending.pop(old, None)
                self._texts.pop(old, None)
                self._streamed.pop(old, None)
                self.repairs.pop(old, None)
                self._finished.discard(old)
            self._cond.notify_all()

    def set_decoding(self, decoding: FinalDecoding) -> None:
        """How the full pass decodes the answers that follow (the question and its terms)."""
        with self._cond:
            self.final_decoding = decoding

    def append(self, frame: AudioArray, prob: float) -> None:
        with self._cond:
            self._append_locked(frame, prob)
            u = self._utt
            if (
                u.total - self._last_partial_at >= self.partial_every
                or u.total - u.base > self.commit_after
            ):
                self._cond.notify_all()

    def _append_locked(self, frame: AudioArray, prob: float) -> None:
        self._utt.frames.append(frame)
        self._utt.probs.append(prob)
        self._utt.total += len(frame)

    def request_final(self, pause_id: int) -> None:
        """Silence began: transcribe everything so far, speculatively."""
        with self._cond:
            self._final_req = (pause_id, self._utt.total)
            self._cond.notify_all()

    def resume(self, pause_id: int, pause_s: float) -> None:
        """Speech resumed after pause ``pause_id`` that lasted ``pause_s`` seconds.

        After a real pause the speculative final is kept as committed text (a pause is a safe
        place to cut); after a micro-pause (a stop consonant, a breath) it is dropped.
        """
        with self._cond:
            if pause_s < self.commit_pause_s:
                if self._final_req is not None and self._final_req[0] == pause_id:
                    self._final_req = None
                return
            final = self._finals.get(pause_id)
            if final is not None:
                self._commit_locked(final)
            else:
                self._committable.add(pause_id)

    def finish(self, pause_id: int) -> None:
        """The turn ended at ``pause_id``: queue the rest of the audio for the full pass."""
        with self._cond:
            self._partials_on = False
            self._finish_pause = (self._utt.epoch, pause_id)
            final = self._finals.get(pause_id)
            if final is not None:
                self._commit_locked(final)
            else:
                self._committable.add(pause_id)

    def _commit_locked(self, final: FinalText) -> None:
        u = self._utt
        if final.covers > u.base:
            u.committed_text = [final.text] if final.text else []
            self._drop_until_locked(final.covers)
        if self._finish_pause == (u.epoch, final.pause_id):
            self._streamed[u.epoch] = final.text
            self._finished.add(u.epoch)  # the last piece is queued: the full pass may run
            self._cond.notify_all()

    def _drop_until_locked(self, upto: int) -> None:
        """Drop audio up to ``upto`` (its text is committed) and queue its word timestamps."""
        u = self._utt
        audio_all = u.audio()
        drop = upto - u.base
        chunk, rest = audio_all[:drop], audio_all[drop:]
        self._word_jobs.append(_WordJob(u.epoch, chunk, u.base / SAMPLE_RATE, self.final_decoding))
        self._words_pending[u.epoch] = self._words_pending.get(u.epoch, 0) + 1
        frame = len(u.frames[0]) if u.frames else 512
        u.frames = [rest[i : i + frame] for i in range(0, len(rest), frame)]
        u.probs = u.probs[drop // frame :]
        u.base = upto
        self._cond.notify_all()

    def final_for(self, pause_id: int, timeout: float) -> FinalText | None:
        """Wait for the final of ``pause_id`` (requesting it if it was dropped)."""
        deadline = self.now() + timeout
        with self._cond:
            if pause_id not in self._finals and self._final_req is None:
                self._final_req = (pause_id, self._utt.total)
                self._cond.notify_all()
            while pause_id not in self._finals:
                left = deadline - self.now()
                if left <= 0 or self._stop:
                    return None
                self._cond.wait(left)
            return self._finals[pause_id]

    def full_pass(self, epoch: int, timeout: float) -> tuple[list[Word], str | None]:
        """Word timestamps (utterance-relative) and the text of utterance ``epoch`` from the
        full pass; the text is None until the pass has covered all of the audio."""
        deadline = self.now() + timeout
        with self._cond:
            while self._words_pending.get(epoch, 0) > 0 and not self._stop:
                left = deadline - self.now()
                if left <= 0:
                    break
                self._cond.wait(left)
            passes = sorted(self._texts.get(epoch, []), key=lambda p: p[0])
            stretches = join_passes(segments for _, segments in passes)
            words = [w for _, ws in stretches for w in ws]
            if self._words_pending.get(epoch, 0) > 0 or epoch not in self._texts:
                return words, None
            fixed = repair([seg for seg, _ in stretches], self._streamed.get(epoch, ""))
            self.repairs[epoch] = fixed
            # the words follow the text: none for a phrase written into silence or a loop
            words = [
                w
                for (seg, ws), kept in zip(stretches, fixed.kept, strict=True)
                for w in words_kept(ws, seg, kept)
            ]
            return words, fixed.text.strip()

    def take_audio(self) -> AudioArray:
        """All audio of the current utterance (sequential baseline: nothing was committed)."""
        with self._cond:
            return self._utt.audio()

    @property
    def epoch(self) -> int:
        return self._utt.epoch

    # ---------------------------------------------------------------- worker
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stt", daemon=True)
        self._thread.start()
        if self.record_worker:
            self._record_thread = threading.Thread(
                target=self._run_record, name="stt-record", daemon=True
            )
            self._record_thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._record_thread is not None:
            self._record_thread.join(timeout=10)

    def _pick_job(self) -> tuple[str, int, int] | None:
        """Most urgent first: a final, a commit of a long tail, a partial, word timestamps."""
        u = self._utt
        if self._final_req is not None:
            pause_id, upto = self._final_req
            return ("final", pause_id, upto)
        if u.total - u.base > self.commit_after:
            return ("commit", 0, self._commit_point())
        if self._partials_on and u.total - self._last_partial_at >= self.partial_every:
            return ("partial", 0, u.total)
        if not self.record_worker and self._word_jobs and self._words_ready():
            return ("words", 0, 0)
        return None

    def _run_record(self) -> None:
        """The full pass, on its own thread: a group decoding never holds up a final."""
        while True:
            with self._cond:
                while not (self._stop or (self._word_jobs and self._words_ready())):
                    self._cond.wait()
                if self._stop:
                    return
                wj = self._take_words_job()
            self._words_pass(wj, wj.decoding or self.final_decoding)

    def _words_pass(self, wj: _WordJob, decoding: FinalDecoding) -> None:
        result = (self.final_stt or self.stt).transcribe(
            wj.audio, word_timestamps=True, **decoding.kwargs()
        )
        with self._cond:
            self.calls["words"] += 1
            stretches = [
                (
                    seg.text.strip(),
                    [
                        Word(w.word, w.start + wj.offset, w.end + wj.offset, w.probability)
                        for w in seg.words
                    ],
                )
                for seg in result.segments
                if seg.text.strip()
            ]
            self._texts.setdefault(wj.epoch, []).append((wj.offset, stretches))
            self._words_pending[wj.epoch] = max(0, self._words_pending.get(wj.epoch, 1) - 1)
            self._cond.notify_all()

    def _turn_over(self, epoch: int) -> bool:
        return epoch in self._finished or epoch < self._utt.epoch

    def _words_ready(self) -> bool:
        """The oldest queued pieces may go: their turn has ended (or a newer one began), or
        they hold ``words_group_s`` of audio (the incremental pass)."""
        epoch = self._word_jobs[0].epoch
        if self._turn_over(epoch):
            return True
        queued = sum(len(j.audio) for j in self._word_jobs if j.epoch == epoch)
        return queued >= self.words_group

    def _take_words_job(self) -> _WordJob:
        """The oldest queued pieces of one utterance, joined (they are contiguous): one pass
        hears each piece with its neighbours. While the turn runs, a group of about
        ``words_group_s``; after it, all that is left, up to ``words_max_s``."""
        first = self._word_jobs.popleft()
        parts, n = [first.audio], len(first.audio)
        over = self._turn_over(first.epoch)
        while (
            self._word_jobs
            and self._word_jobs[0].epoch == first.epoch
            and n + len(self._word_jobs[0].audio) <= self.words_max
            and (over or n < self.words_group)
        ):
            nxt = self._word_jobs.popleft()
            parts.append(nxt.audio)
            n += len(nxt.audio)
            self._words_pending[first.epoch] = max(0, self._words_pending.get(first.epoch, 1) - 1)
        audio = np.concatenate(parts) if len(parts) > 1 else first.audio
        return _WordJob(first.epoch, audio, first.offset, first.decoding)

    def _commit_point(self) -> int:
        """Cut a long tail at its last pause (>= 0.3 s of silence) before the commit limit."""
        u = self._utt
        frame = len(u.frames[0]) if u.frames else 512
        limit_frames = min(len(u.probs), self.commit_after // frame)
        quiet_needed = max(1, int(0.3 * SAMPLE_RATE) // frame)
        run = 0
        best = None
        for i in range(limit_frames):
            run = run + 1 if u.probs[i] < self.threshold else 0
            if run >= quiet_needed:
                best = i - run // 2
        cut_frames = best if best is not None and best > limit_frames // 3 else limit_frames
        return u.base + cut_frames * frame

    def _run(self) -> None:
        while True:
            with self._cond:
                job = self._pick_job()
                while job is None and not self._stop:
                    self._cond.wait()
                    job = self._pick_job()
                if self._stop:
                    return
                assert job is not None
                kind, pause_id, upto = job
                epoch = self._utt.epoch
                # The text this job's audio follows. A pause committed while the job runs moves
                # both the committed text and the audio start; joining the result to the new
                # text would repeat the newly committed words.
                before = " ".join(self._utt.committed_text)
                base = self._utt.base
                if kind == "words":
                    wj = self._take_words_job()
                else:
                    audio = self._utt.audio(upto)
                if kind == "final":
                    self._final_req = None
                elif kind == "partial":
                    self._last_partial_at = upto
            if kind == "words":
                self._words_pass(wj, wj.decoding or self.final_decoding)
                continue
            heard = with_trailing_silence(audio) if kind == "final" else audio
            result = self.stt.transcribe(heard, word_timestamps=False)
            self.calls[kind] += 1
            final: FinalText | None = None
            text = ""
            with self._cond:
                if epoch != self._utt.epoch:
                    continue  # a new utterance began meanwhile
                u = self._utt
                text = join_text(before, result.text).strip()
                if kind == "commit":
                    if u.base != base:
                        # a pause was committed meanwhile and the audio start moved: this cut
                        # may fall before it; the next pick decides whether one is still due
                        continue
                    u.committed_text = [text] if text else []
                    self._drop_until_locked(upto)
                    continue
                if kind == "final":
                    # a few ms of numpy on the audio already at hand, for the turn prediction
                    prosody = prosody_at_pause(audio[-SAMPLE_RATE:])
                    frame = len(u.frames[0]) if u.frames else 512
                    tail = lone_tail(
                        u.probs, (upto - u.base) // frame, frame / SAMPLE_RATE, self.threshold
                    )
                    final = FinalText(pause_id, text, self.now(), upto, prosody, tail)
                    self._finals[pause_id] = final
                    if pause_id in self._committable:
                        self._committable.discard(pause_id)
                        self._commit_locked(final)
                    self._cond.notify_all()
            if kind == "partial" and self.on_partial is not None and text:
                self.on_partial(text)
            if final is not None and self.on_final is not None:
                self.on_final(final)
