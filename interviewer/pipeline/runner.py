"""The streaming interview loop: one runner owns the threads, barge-in and shutdown.

Threads (nothing starts in a constructor):
  audio clock  (link or sound card) -> frames queue
  listen       VAD + endpointing per 32 ms frame; feeds the transcriber
  stt          partials while the candidate speaks, speculative final at each pause
  brain        the caller's thread: brain.on_answer -> sentence chunker -> tts queue
  tts          Piper, sentence by sentence, into the playback buffer

Every exchange records the seven latency marks on one monotonic clock (DESIGN.md).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from interviewer.audio.duplex import Duplex
from interviewer.audio.io import resample
from interviewer.engines.base import STT, TTS, VAD
from interviewer.interview.base import Answer, Brain, Reply
from interviewer.pipeline.endpointing import EndpointConfig, Endpointer, Event
from interviewer.pipeline.speaker import Speaker, chunk_sentences
from interviewer.pipeline.transcriber import FinalText, StreamingTranscriber
from interviewer.text import join_pieces, split_sentences
from interviewer.types import LATENCY_FIELDS, AudioArray, Word


@dataclass
class Exchange:
    """One answer -> reply exchange, times in seconds on the monotonic clock."""

    speech_end: float | None = None
    endpoint: float | None = None
    stt_final: float | None = None
    llm_first_token: float | None = None
    first_sentence: float | None = None
    tts_first_audio: float | None = None
    playback_start: float | None = None
    reply_kind: str = ""
    timed_out: bool = False
    #: first audio of the reply's substance: the follow-up or next question, not the "Thanks."
    question_start: float | None = None
    #: "follow_up" | "question" (what the substance was), "" when the reply asked nothing
    substance_kind: str = ""
    #: the longest silence between two audible stretches of the reply (seconds)
    max_silence: float | None = None

    @property
    def substance(self) -> float | None:
        """What the candidate waits for: their last word to the first word of the question."""
        if self.question_start is None or self.speech_end is None:
            return None
        return self.question_start - self.speech_end

    @property
    def voice_to_voice(self) -> float | None:
        if self.playback_start is None or self.speech_end is None:
            return None
        return self.playback_start - self.speech_end

    @property
    def response(self) -> float | None:
        if self.playback_start is None or self.endpoint is None:
            return None
        return self.playback_start - self.endpoint

    def relative(self, t0: float) -> dict[str, float | None]:
        return {
            k: (None if v is None else round(v - t0, 4))
            for k, v in asdict(self).items()
            if k in LATENCY_FIELDS
        }

    def substance_marks(self, t0: float) -> dict[str, Any]:
        """``question_start`` (conversation time), ``substance_ms`` and ``max_silence_ms``."""

        def ms(value: float | None) -> float | None:
            return None if value is None else round(1000 * value, 1)

        return {
            "question_start": None
            if self.question_start is None
            else round(self.question_start - t0, 4),
            "substance_kind": self.substance_kind or None,
            "substance_ms": ms(self.substance),
            "max_silence_ms": ms(self.max_silence),
        }


@dataclass
class TurnLog:
    speaker: str  # "interviewer" | "candidate"
    text: str
    start: float
    end: float
    kind: str = ""
    question_id: str | None = None
    words: list[Word] = field(default_factory=list)
    interrupted: bool = False


@dataclass
class RunnerConfig:
    endpoint: EndpointConfig = field(default_factory=EndpointConfig)
    barge_in: bool = False
    #: half-duplex: after the interviewer's last sample, wait this long before listening, so
    #: the room's echo of its own voice is not taken for the candidate
    listen_after_s: float = 0.15
    stt_final_timeout_s: float = 15.0
    #: False runs the naive sequential baseline (benchmarks only): wait for the whole answer,
    #: transcribe all of it with the full Whisper pass, generate the whole reply, synthesize all
    #: of it, then play. No partials, no speculative finals, no cache.
    streaming: bool = True
    frames_queue_max: int = 400  # ~13 s of audio: a stall longer than that drops old frames


@dataclass
class _TurnEnd:
    speech_start: float | None
    speech_end: float | None
    endpoint: float
    pause_id: int
    timed_out: bool = False
    epoch: int = 0
    utt_t0: float = 0.0
    #: a typed turn (web text box, buttons): its final text, known without STT
    typed: str | None = None


class InterviewRunner:
    """Runs one interview through a duplex audio end until the brain says it is finished."""

    def __init__(
        self,
        *,
        brain: Brain,
        vad: VAD,
        stt: STT,
        tts: TTS,
        duplex: Duplex,
        config: RunnerConfig | None = None,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
        on_your_turn: Callable[[], None] | None = None,
        on_exchange: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.brain = brain
        self.vad = vad
        self.duplex = duplex
        self.cfg = config or RunnerConfig()
        self.on_event = on_event or (lambda kind, data: None)
        self.on_your_turn = on_your_turn
        self.on_exchange = on_exchange
        self.clock = time.monotonic
        self.playback = duplex.playback
        self.playback_events: dict[int, float] = {}
        self.playback.on_event = self._on_playback
        self.speaker = Speaker(tts, self.playback)
        self.endpointer = Endpointer(self.cfg.endpoint, frame_s=duplex.block / duplex.sample_rate)
        self.transcriber = StreamingTranscriber(
            stt,
            self.clock,
            on_partial=lambda text: self.on_event("partial", {"text": text}),
            on_final=self._on_final,
            threshold=self.cfg.endpoint.threshold,
        )
        self._frames: queue.Queue[tuple[AudioArray, float]] = queue.Queue(self.cfg.frames_queue_max)
        self._turns: queue.Queue[_TurnEnd] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._utterance = 0
        self._barge = threading.Event()
        self._listen_lock = threading.Lock()
        self._started = False
        self._shutdown_done = False
        self.t0 = 0.0
        self.turns: list[TurnLog] = []
        self.exchanges: list[Exchange] = []
        self.dropped_frames = 0
        self.barge_ins = 0
        self.interrupted = False
        self.error: BaseException | None = None
        self._current_question: str | None = None
        self._candidate_start: float | None = None
        self._pending_record: dict[str, Any] | None = None
        self._utt_t0 = 0.0
        self._sequential_audio: AudioArray | None = None
        self._pending_exchange: Exchange | None = None
        if not self.cfg.streaming:
            self.transcriber.partial_every = 1 << 40
            self.transcriber.commit_after = 1 << 40
            self.endpointer.require_text = False

    # ------------------------------------------------------------------ audio side
    def _on_input(self, frame: AudioArray, t: float) -> None:
        """Audio callback: copy and queue, never run a model here."""
        try:
            self._frames.put_nowait((frame, t))
        except queue.Full:
            # a stalled machine: drop the oldest block rather than lag further behind
            with contextlib.suppress(queue.Empty):
                self._frames.get_nowait()
            self.dropped_frames += 1
            self._frames.put_nowait((frame, t))

    def _on_playback(self, kind: str, utterance: int, t: float) -> None:
        if kind == "start":
            self.playback_events[utterance] = t

    def _on_final(self, final: FinalText) -> None:
        self.endpointer.set_tail_text(final.pause_id, final.text)
        # The candidate paused: the brain may start its reply while the endpoint silence runs.
        speculate = getattr(self.brain, "speculate", None)
        if speculate is not None and self.cfg.streaming and final.text.strip():
            for text in speculate(final.text) or ():
                self.speaker.prepare(text)  # e.g. the quote that may bridge to the follow-up

    def _listen(self) -> None:
        cfg = self.cfg.endpoint
        frame_s = self.duplex.block / self.duplex.sample_rate
        pre_roll: deque[tuple[AudioArray, float]] = deque(
            maxlen=max(1, int(cfg.pre_roll_s / frame_s) + 8)
        )
        in_turn = False
        while not self._stop.is_set():
            try:
                frame, t = self._frames.get(timeout=0.1)
            except queue.Empty:
                continue
            prob = self.vad.speech_prob(frame)
            with self._listen_lock:
                self.endpointer.speaking_over = self.cfg.barge_in and self.playback.busy
                ev = self.endpointer.feed(prob, t)
            if in_turn:
                self.transcriber.append(frame, prob)
            else:
                pre_roll.append((frame, prob))
            if ev is None:
                continue
            if ev.kind in ("speech_start", "barge_in"):
                in_turn = True
                self._candidate_start = ev.speech_start
                keep = int((t - (ev.speech_start or t) + cfg.pre_roll_s) / frame_s) + 1
                frames = list(pre_roll)[-keep:]
                self._utt_t0 = t - len(frames) * frame_s  # when the utterance audio begins
                self.transcriber.begin([f for f, _ in frames], [p for _, p in frames])
                pre_roll.clear()
                if ev.kind == "barge_in":
                    self._barge_in(t)
                self.on_event("speech_start", {"t": t})
            elif ev.kind == "pause":
                if self.cfg.streaming:
                    self.transcriber.request_final(ev.pause_id)
            elif ev.kind == "resume":
                self.transcriber.resume(ev.pause_id, ev.t - (ev.speech_end or ev.t))
            elif ev.kind == "end_of_turn":
                in_turn = False
                if self.cfg.streaming:
                    self.transcriber.finish(ev.pause_id)
                else:
                    self._sequential_audio = self.transcriber.take_audio()
                self._turns.put(self._turn_end(ev))
            elif ev.kind == "timeout":
                self._turns.put(_TurnEnd(None, None, t, 0, timed_out=True))

    def _turn_end(self, ev: Event) -> _TurnEnd:
        return _TurnEnd(
            self._candidate_start, ev.speech_end, ev.t, ev.pause_id, epoch=self.transcriber.epoch
        )

    def _barge_in(self, t: float) -> None:
        """The candidate talks over the interviewer: stop within one block, drop what is queued."""
        self.barge_ins += 1
        self._barge.set()
        self.speaker.cancel()
        cut = self.playback.clear()
        self.on_event("barge_in", {"t": t, "cut": cut, "cleared_at": self.clock()})

    def hold(self) -> None:
        """The candidate is answering another way (typing): no silence timeout for a while.

        Like "give me a moment", for up to ``EndpointConfig.hold_s``; call again to extend.
        """
        with self._listen_lock:
            self.endpointer.hold(self.clock())

    def submit_text(self, text: str, *, interrupt: bool = False) -> None:
        """A turn typed instead of spoken (the web page's text box and buttons).

        It is the candidate's next turn, with ``text`` as its final transcript; the brain sees it
        like speech, so "skip this question" is a command. With ``interrupt`` the interviewer
        stops talking at once, as for a barge-in, so a button does not wait for a long reply.
        """
        t = self.clock()
        with self._listen_lock:
            # a turn spoken half-way is superseded; its end must not become a second answer
            self.endpointer.close()
        if interrupt:
            self._barge.set()
            self.speaker.cancel()
            cut = self.playback.clear()
            self.on_event(
                "barge_in", {"t": t, "cut": cut, "cleared_at": self.clock(), "typed": True}
            )
        self._turns.put(_TurnEnd(None, None, t, -1, typed=text))

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self._started:
            raise RuntimeError("runner already started")
        self._started = True
        self.speaker.start()
        self.transcriber.start()
        listen = threading.Thread(target=self._listen, name="listen", daemon=True)
        listen.start()
        self._threads.append(listen)
        self.duplex.start(self._on_input)
        self.t0 = getattr(self.duplex, "start_time", 0.0) or self.clock()

    def stop(self) -> None:
        """Ask :meth:`run` to end soon, from any thread (a web client went away).

        :meth:`run` then shuts down on its own thread, so no thread it starts is left behind
        even when this comes before it started; the answer already heard is still handed to
        ``on_exchange``.
        """
        self._stop.set()

    def shutdown(self) -> None:
        """Idempotent: stop the audio clock and every thread; safe from any exit path."""
        if self._shutdown_done:
            return
        self._shutdown_done = True
        self._stop.set()
        self.duplex.stop()
        self.speaker.stop()
        self.transcriber.stop()
        for th in self._threads:
            th.join(timeout=5)

    def run(self) -> None:
        """Run the whole interview in the calling thread (Ctrl-C ends it cleanly)."""
        self.start()
        try:
            # words the interviewer says again and again: synthesized while the greeting plays
            if self.cfg.streaming:
                for phrase in getattr(self.brain, "stock_phrases", lambda: [])():
                    self.speaker.prepare(phrase)
            reply = self.brain.start()
            exchange: Exchange | None = None
            while not self._stop.is_set():
                self._speak(reply, exchange)
                if reply.finished or self.brain.finished:
                    break
                turn = self._await_turn(reply)
                if turn is None:
                    break
                answer, exchange = turn
                reply = self.brain.on_answer(answer)
            # stopped (see stop()) between an answer and its reply: the answer is still stored
            self._flush_pending()
        except KeyboardInterrupt:
            self.interrupted = True
            self._flush_pending()
        except BaseException as exc:  # recorded, then re-raised by the caller after saving
            self.error = exc
            self._flush_pending()
            raise
        finally:
            self.shutdown()

    # ------------------------------------------------------------------ speaking
    def _speak(self, reply: Reply, exchange: Exchange | None) -> None:
        self._utterance += 1
        utt = self._utterance
        self._barge.clear()
        with self._listen_lock:
            self.endpointer.close()
        marks: dict[str, float] = {}

        def mark(name: str) -> Callable[[], None]:
            def _set() -> None:
                marks.setdefault(name, self.clock())

            return _set

        pieces: Iterator[str] = reply.pieces
        if not self.cfg.streaming:
            self._speak_sequential(reply, utt, marks)
            pieces = iter(())
        try:
            for sentence in chunk_sentences(
                self._first_piece_timer(pieces, marks), mark("first_sentence")
            ):
                if self._barge.is_set() or self._stop.is_set():
                    break
                self.on_event("interviewer", {"text": sentence, "kind": reply.kind})
                self.speaker.say(utt, sentence, on_audio=mark("tts_first_audio"))
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # stops an LLM stream cut short by a barge-in
        # Store the exchange as soon as the reply is audible (its latency is then complete),
        # not after the whole reply: a crash mid-reply must not lose the candidate's answer.
        while not (self._stop.is_set() or self._barge.is_set() or utt in self.playback_events):
            nothing_to_play = self.speaker.wait_idle(0.02) and not self.playback.busy
            if nothing_to_play and utt not in self.playback_events:
                break
        start = self.playback_events.get(utt)
        if exchange is not None:
            exchange.llm_first_token = marks.get("llm_first_token")
            exchange.first_sentence = marks.get("first_sentence")
            exchange.tts_first_audio = marks.get("tts_first_audio")
            exchange.playback_start = start
            exchange.reply_kind = reply.kind
            self.exchanges.append(exchange)
            self._emit_exchange(exchange)
        self._wait_played(utt)
        log = self.playback.log(utt)
        if exchange is not None:
            asks = split_sentences(reply.meta.get("asks", ""))
            entry = next((e for e in log.sentences if e.sentence in asks), None)
            exchange.question_start = entry.start if entry is not None else None
            exchange.substance_kind = reply.meta.get("asks_kind", "") if entry else ""
            exchange.max_silence = log.max_silence
        start = start or log.first_sample_time
        heard = log.heard_text()
        if heard:
            self.turns.append(
                TurnLog(
                    "interviewer",
                    heard,
                    (start or self.t0) - self.t0,
                    (log.last_sample_time or start or self.t0) - self.t0,
                    kind=reply.kind,
                    question_id=reply.question_id,
                    interrupted=log.interrupted,
                )
            )
        if reply.kind in ("question", "greeting", "follow_up", "repeat"):
            self._current_question = heard or self._current_question
        planned = self.brain.planned_next()
        if planned and self.cfg.streaming:
            self.speaker.prepare(planned)

    def _sequential_final(self, turn: _TurnEnd) -> FinalText:
        audio = self._sequential_audio
        self._sequential_audio = None
        if audio is None:
            audio = np.zeros(0, dtype=np.float32)
        result = self.transcriber.stt.transcribe(audio, word_timestamps=True)
        return FinalText(turn.pause_id, result.text, self.clock(), len(audio))

    def _emit_exchange(self, exchange: Exchange, words_timeout: float | None = None) -> None:
        """Hand the finished answer (with latency and word timestamps) to ``on_exchange``.

        The record stays pending until the callback has returned, so an interrupt at any point
        before that still finds it in :meth:`_flush_pending` and nothing is lost.
        """
        record = self._pending_record
        if record is None:
            return
        record = dict(record)
        record["latency"] = exchange.relative(self.t0)
        epoch = record.pop("epoch", None)
        utt_t0 = record.pop("utt_t0", None) or self.t0
        words: list[Word] = []
        if epoch is not None:
            # computed off the reply's path; by now (the reply is audible) usually done
            timeout = self.cfg.stt_final_timeout_s if words_timeout is None else words_timeout
            words, text = self.transcriber.full_pass(epoch, timeout)
            shift = utt_t0 - self.t0  # utterance-relative -> conversation time
            turn = next((t for t in reversed(self.turns) if t.speaker == "candidate"), None)
            if turn is not None:
                turn.words = [
                    Word(w.word, w.start + shift, w.end + shift, w.probability) for w in words
                ]
            # The full pass heard the answer whole: its text is the one kept and scored. The
            # streamed text (what the interviewer acted on) is kept beside it.
            if text and text != record.get("answer"):
                record["answer_streamed"] = record.get("answer", "")
                record["answer"] = text
                if turn is not None:
                    turn.text = text
                self.on_event("candidate_revised", {"text": text})
        record["words"] = [asdict(w) for w in words]
        if self.on_exchange is not None:
            self.on_exchange(record)
        self._pending_record = None

    def _flush_pending(self) -> None:
        """On Ctrl-C or an error: store the answer already heard, with what is known of it."""
        if self._pending_record is not None:
            self._emit_exchange(self._pending_exchange or Exchange(), words_timeout=0.0)

    def _speak_sequential(self, reply: Reply, utt: int, marks: dict[str, float]) -> None:
        """Baseline: the whole reply text, then all of its audio, then play."""
        text = join_pieces(reply.pieces)
        marks["llm_first_token"] = self.clock()
        sentences = list(chunk_sentences([text]))
        marks["first_sentence"] = self.clock()
        tts = self.speaker.tts
        audio = []
        for sentence in sentences:
            self.on_event("interviewer", {"text": sentence, "kind": reply.kind})
            parts = [
                resample(c.audio, c.sample_rate, self.playback.sample_rate)
                for c in tts.synthesize(sentence)
            ]
            audio.append((sentence, np.concatenate(parts) if parts else np.zeros(0, np.float32)))
        marks["tts_first_audio"] = self.clock()
        for sentence, samples in audio:
            self.playback.write(utt, sentence, samples)

    def _first_piece_timer(self, pieces, marks: dict[str, float]):  # type: ignore[no-untyped-def]
        for piece in pieces:
            marks.setdefault("llm_first_token", self.clock())
            yield piece

    def _wait_played(self, utt: int) -> None:
        """Until the reply's audio has all been played (or cut by a barge-in)."""
        while not self._stop.is_set() and not self._barge.is_set():
            if self.speaker.wait_idle(0.05) and not self.playback.busy:
                return

    # ------------------------------------------------------------------ listening
    def _await_turn(self, reply: Reply) -> tuple[Answer, Exchange] | None:
        if not self._barge.is_set():
            # half-duplex: open the microphone only after the interviewer's voice has died away
            self._stop.wait(self.cfg.listen_after_s)
            with self._listen_lock:
                self.endpointer.open(self.clock())
                if reply.pause_listening:
                    self.endpointer.hold(self.clock())
            if self.on_your_turn is not None:
                self.on_your_turn()
        while not self._stop.is_set():
            try:
                turn = self._turns.get(timeout=0.1)
            except queue.Empty:
                continue
            if turn.timed_out:
                self.on_event("timeout", {})
                ex = Exchange(endpoint=turn.endpoint, timed_out=True)
                self._pending_exchange = ex
                self._pending_record = {
                    "question": self._current_question,
                    "question_id": reply.question_id,
                    "is_follow_up": reply.is_follow_up,
                    "kind": reply.kind,
                    "answer": "",
                    "words": [],
                    "audio_start": None,
                    "audio_end": None,
                    "timed_out": True,
                }
                return Answer("", 0.0, timed_out=True), ex
            if turn.typed is not None:
                return self._typed_answer(turn, reply)
            if self.cfg.streaming:
                final = self.transcriber.final_for(turn.pause_id, self.cfg.stt_final_timeout_s)
            else:
                final = self._sequential_final(turn)
            text = final.text if final else ""
            ex = Exchange(
                speech_end=turn.speech_end,
                endpoint=turn.endpoint,
                stt_final=max(final.ready_at, turn.endpoint) if final else None,
            )
            self._pending_exchange = ex
            start = turn.speech_start or turn.endpoint
            duration = (turn.speech_end or turn.endpoint) - start
            self.turns.append(
                TurnLog(
                    "candidate",
                    text,
                    start - self.t0,
                    (turn.speech_end or turn.endpoint) - self.t0,
                )
            )
            self.on_event("candidate", {"text": text})
            self._pending_record = {
                "question": self._current_question,
                "question_id": reply.question_id,
                "is_follow_up": reply.is_follow_up,
                "kind": reply.kind,
                "answer": text,
                "epoch": turn.epoch,
                "utt_t0": turn.utt_t0,
                "audio_start": round(start - self.t0, 3),
                "audio_end": round((turn.speech_end or turn.endpoint) - self.t0, 3),
            }
            return Answer(text, max(0.0, duration)), ex
        return None

    def _typed_answer(self, turn: _TurnEnd, reply: Reply) -> tuple[Answer, Exchange]:
        text = turn.typed or ""
        ex = Exchange(endpoint=turn.endpoint, stt_final=turn.endpoint)
        self._pending_exchange = ex
        at = turn.endpoint - self.t0
        self.turns.append(TurnLog("candidate", text, at, at))
        self.on_event("candidate", {"text": text, "typed": True})
        self._pending_record = {
            "question": self._current_question,
            "question_id": reply.question_id,
            "is_follow_up": reply.is_follow_up,
            "kind": reply.kind,
            "answer": text,
            "words": [],
            "audio_start": None,
            "audio_end": None,
        }
        return Answer(text, 0.0, timed_out=not text.strip()), ex

    # ------------------------------------------------------------------ results
    def transcript(self) -> dict[str, Any]:
        """The ``transcript.json`` document: turns, per-exchange latency and its summary."""
        exchanges = [e for e in self.exchanges if not e.timed_out]
        v2v = [e.voice_to_voice for e in exchanges if e.voice_to_voice is not None]
        resp = [e.response for e in exchanges if e.response is not None]
        return {
            "turns": [
                {
                    "speaker": t.speaker,
                    "text": t.text,
                    "start": round(t.start, 3),
                    "end": round(t.end, 3),
                }
                | ({"interrupted": True} if t.interrupted else {})
                for t in self.turns
            ],
            "latency": {
                "exchanges": [e.relative(self.t0) | e.substance_marks(self.t0) for e in exchanges],
                "summary": {
                    "voice_to_voice_ms": percentiles_ms(v2v),
                    "response_ms": percentiles_ms(resp),
                    **substance_summary(exchanges),
                },
            },
            "stats": {
                "barge_ins": self.barge_ins,
                "dropped_frames": self.dropped_frames,
                "stt_calls": dict(self.transcriber.calls),
                "tts_cache_hits": self.speaker.cache_hits,
                "interrupted": self.interrupted,
            },
        }


def substance_summary(exchanges: list[Exchange]) -> dict[str, Any]:
    """``substance_ms`` (p50/p95, all and per kind) and the longest silence in a turn."""
    out: dict[str, Any] = {}
    for kind in ("", "follow_up", "question"):
        values = [
            e.substance
            for e in exchanges
            if e.substance is not None and (not kind or e.substance_kind == kind)
        ]
        out["substance_ms" if not kind else f"substance_{kind}_ms"] = percentiles_ms(values)
    silences = [e.max_silence for e in exchanges if e.max_silence is not None]
    out["max_silence_ms"] = percentiles_ms(silences) | {
        "max": round(1000 * max(silences), 1) if silences else None
    }
    return out


def percentiles_ms(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None}
    arr = np.asarray(values) * 1000.0
    return {
        "p50": round(float(np.percentile(arr, 50)), 1),
        "p95": round(float(np.percentile(arr, 95)), 1),
    }
