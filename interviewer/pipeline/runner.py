"""The streaming interview loop: one runner owns the threads, barge-in and shutdown.

Threads (nothing starts in a constructor):
  audio clock  (link or sound card) -> frames queue
  listen       the Listener: VAD + endpointing per 32 ms frame; feeds the transcriber
  stt          partials while the candidate speaks, speculative final at each pause
  brain        the caller's thread: brain.on_answer -> sentence chunker -> tts queue
  tts          Piper, sentence by sentence, into the playback buffer

Every exchange records the seven latency marks on one monotonic clock (DESIGN.md). What
happens is reported to ``on_event`` as the typed events of ``pipeline/events.py``; each answer
reaches ``on_exchange`` as an :class:`ExchangeRecord`. The sequential baseline of the benchmark
is ``pipeline/sequential.py``.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from interviewer.audio.duplex import Duplex
from interviewer.engines.base import STT, TTS, VAD
from interviewer.interview.base import Answer, Brain, Reply
from interviewer.pipeline.endpointing import EndpointConfig, Endpointer, Event
from interviewer.pipeline.events import (
    BargeIn,
    CandidatePartial,
    HalfDuplex,
    InterviewerSays,
    RunnerEvent,
    SpeechStart,
)
from interviewer.pipeline.keeping import Keeping, _Pending
from interviewer.pipeline.listener import Listener
from interviewer.pipeline.record import answer_decoding
from interviewer.pipeline.records import Exchange, ExchangeRecord, TurnLog
from interviewer.pipeline.speaker import Speaker, chunk_sentences
from interviewer.pipeline.transcriber import FinalText, StreamingTranscriber
from interviewer.pipeline.turn_end import NUDGE_TEXT
from interviewer.text import split_sentences
from interviewer.types import LATENCY_FIELDS as LATENCY_FIELDS  # re-exported for the demo
from interviewer.types import AudioArray


@dataclass
class RunnerConfig:
    endpoint: EndpointConfig = field(default_factory=EndpointConfig)
    #: full duplex: the candidate may talk over the interviewer, who then yields (stops within
    #: one block and listens). Only safe where the microphone does not hear the loudspeaker
    #: (headphones, echo cancellation, the demo's virtual link); off, the microphone is shut
    #: while the interviewer speaks (half duplex) and speech over it is not heard.
    barge_in: bool = True
    #: half-duplex: after the interviewer's last sample, wait this long before listening, so
    #: the room's echo of its own voice is not taken for the candidate
    listen_after_s: float = 0.15
    stt_final_timeout_s: float = 15.0
    frames_queue_max: int = 400  # ~13 s of audio: a stall longer than that drops old frames


@dataclass
class TurnEnd:
    """A turn has ended (or timed out, or was typed): from the listen thread to the brain's."""

    speech_start: float | None
    speech_end: float | None
    endpoint: float
    pause_id: int
    timed_out: bool = False
    epoch: int = 0
    utt_t0: float = 0.0
    #: a typed turn (web text box, buttons): its final text, known without STT
    typed: str | None = None
    #: the turn began while the interviewer was speaking
    overlapping: bool = False


def _marker(marks: dict[str, float], name: str, clock: Callable[[], float]) -> Callable[[], None]:
    """A callback that records when ``name`` first happened."""

    def _set() -> None:
        marks.setdefault(name, clock())

    return _set


class InterviewRunner(Keeping):
    """Runs one interview through a duplex audio end until the brain says it is finished."""

    #: at each speculative final, let the brain start composing its reply (the brain's
    #: ``speculate``); the sequential baseline does not
    speculates = True

    def __init__(
        self,
        *,
        brain: Brain,
        vad: VAD,
        stt: STT,
        tts: TTS,
        duplex: Duplex,
        config: RunnerConfig | None = None,
        on_event: Callable[[RunnerEvent], None] | None = None,
        on_your_turn: Callable[[], None] | None = None,
        on_exchange: Callable[[ExchangeRecord], None] | None = None,
        stt_final: STT | None = None,
    ) -> None:
        self.brain = brain
        self.vad = vad
        self.duplex = duplex
        self.cfg = config or RunnerConfig()
        self.on_event: Callable[[RunnerEvent], None] = on_event or (lambda event: None)
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
            on_partial=lambda text: self.on_event(CandidatePartial(text)),
            on_final=self._on_final,
            threshold=self.cfg.endpoint.threshold,
            final_stt=stt_final,
        )
        self.listener = Listener(vad, self.endpointer, self.transcriber)
        self._frames: queue.Queue[tuple[AudioArray, float]] = queue.Queue(self.cfg.frames_queue_max)
        self._turns: queue.Queue[TurnEnd] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._utterance = 0
        self._barge = threading.Event()
        self._started = False
        self._shutdown_done = False
        self.t0 = 0.0
        self.turns: list[TurnLog] = []
        self.exchanges: list[Exchange] = []
        self.dropped_frames = 0
        self.barge_ins = 0
        self.nudges = 0
        self.interrupted = False
        self.error: BaseException | None = None
        self._current_question: str | None = None
        self._pending: _Pending | None = None
        self._continuing: _Pending | None = None  # see Keeping
        self._voice_barge = False  # the barge-in of this reply was speech (not a button)
        self._later: list[_Pending] = []  # answers heard out, to store (see Keeping)
        self._overlap_turn = False  # the turn under way began over the interviewer's voice
        self.yields = 0

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
        self.listener.set_tail_text(
            final.pause_id, final.text, prosody=final.prosody, lone_tail_s=final.lone_tail_s
        )
        # The candidate paused: the brain may start its reply while the endpoint silence runs.
        speculate = getattr(self.brain, "speculate", None)
        if speculate is not None and self.speculates and final.text.strip():
            for text in speculate(final.text) or ():
                # the follow-up the rules planned (its quote leads it): said in a second or two
                self.speaker.prepare(text, urgent=True)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                frame, t = self._frames.get(timeout=0.1)
            except queue.Empty:
                continue
            ev = self.listener.feed(
                frame, t, speaking_over=self.cfg.barge_in and self.playback.busy
            )
            if ev is None:
                continue
            if ev.kind in ("speech_start", "barge_in"):
                self._overlap_turn = ev.kind == "barge_in"
                if ev.kind == "barge_in":
                    self._voice_barge = True
                    self._barge_in(t)
                self.on_event(SpeechStart(t))
            elif ev.kind == "end_of_turn":
                self._turns.put(self._turn_end(ev))
            elif ev.kind == "timeout":
                self._turns.put(TurnEnd(None, None, t, 0, timed_out=True))
            elif ev.kind == "nudge":
                self._nudge(t)

    def _nudge(self, t: float) -> None:
        """A long pause in an answer that is not over: a gentle word; the turn stays open."""
        self.nudges += 1
        self._utterance += 1
        self.speaker.say(self._utterance, NUDGE_TEXT)
        self.turns.append(TurnLog("interviewer", NUDGE_TEXT, t - self.t0, t - self.t0, "nudge"))
        self.on_event(InterviewerSays(NUDGE_TEXT, "nudge"))

    def _turn_end(self, ev: Event) -> TurnEnd:
        return TurnEnd(
            self.listener.speech_start,
            ev.speech_end,
            ev.t,
            ev.pause_id,
            epoch=self.transcriber.epoch,
            utt_t0=self.listener.utt_t0,
            overlapping=self._overlap_turn,
        )

    def _barge_in(self, t: float, *, typed: bool = False) -> None:
        """The candidate talks over the interviewer: stop within one block, drop what is queued."""
        if not typed:
            self.barge_ins += 1
        self._barge.set()
        self.speaker.cancel()
        cut = self.playback.clear()
        self.on_event(BargeIn(t, tuple(cut), self.clock(), typed=typed))

    def hold(self) -> None:
        """The candidate is answering another way (typing): no silence timeout for a while.

        Like "give me a moment", for up to ``EndpointConfig.hold_s``; call again to extend.
        """
        self.listener.hold(self.clock())

    def submit_text(self, text: str, *, interrupt: bool = False) -> None:
        """A turn typed instead of spoken (the web page's text box and buttons).

        It is the candidate's next turn, with ``text`` as its final transcript; the brain sees it
        like speech, so "skip this question" is a command. With ``interrupt`` the interviewer
        stops talking at once, as for a barge-in, so a button does not wait for a long reply.
        """
        t = self.clock()
        # a turn spoken half-way is superseded; its end must not become a second answer
        self.listener.close()
        if interrupt:
            self._barge_in(t, typed=True)
        self._turns.put(TurnEnd(None, None, t, -1, typed=text))

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self._started:
            raise RuntimeError("runner already started")
        self._started = True
        self._bind_voice()
        self.speaker.start()
        self.transcriber.start()
        listen = threading.Thread(target=self._listen, name="listen", daemon=True)
        listen.start()
        self._threads.append(listen)
        self.duplex.start(self._on_input)
        self.t0 = getattr(self.duplex, "start_time", 0.0) or self.clock()

    def _bind_voice(self) -> None:
        """Let the brain pace its reply on the audio actually played (``bind_voice``)."""
        bind = getattr(self.brain, "bind_voice", None)
        if callable(bind):
            bind(self.speaker)

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
        if not self.cfg.barge_in:
            self.on_event(
                HalfDuplex(
                    "the microphone is shut while the interviewer speaks (no headphones or "
                    "echo cancellation declared): it will not stop if you talk over it"
                )
            )
        try:
            self._warm_up()
            reply = self.brain.start()
            exchange: Exchange | None = None
            while not self._stop.is_set():
                self._speak(reply, exchange)
                if self._continuing is None and (reply.finished or self.brain.finished):
                    break
                self.transcriber.set_decoding(answer_decoding(self.brain, self._current_question))
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

    def _warm_up(self) -> None:
        """Words the interviewer says again and again: synthesized while the greeting plays."""
        for phrase in getattr(self.brain, "stock_phrases", lambda: [])():
            self.speaker.prepare(phrase)
        self.speaker.prepare(NUDGE_TEXT)

    # ------------------------------------------------------------------ speaking
    def _speak(self, reply: Reply, exchange: Exchange | None) -> None:
        self._utterance += 1
        utt = self._utterance
        self._barge.clear()
        self._voice_barge = False
        self.listener.close()
        # With barge-in on, the answer is stored once its reply has been heard out: if the
        # candidate talks over the reply, they were not done, and the answer goes on.
        withdraw = getattr(self.brain, "withdraw_answer", None)
        defer = (
            self.cfg.barge_in
            and exchange is not None
            and self._pending is not None
            and self._pending.parts != ()
            and callable(withdraw)
        )
        marks: dict[str, float] = {}
        self._say(reply, utt, marks)
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
            if not defer:
                self._emit_exchange(exchange)
        self._wait_played(utt)
        yielded = False
        if defer and exchange is not None:
            if self._barge.is_set() and self._voice_barge and callable(withdraw) and withdraw():
                yielded = True
                self._continue_answer()
            elif reply.finished or self.brain.finished:
                self._emit_exchange(exchange)
            else:
                # stored once its full pass is done, while the next turn is awaited
                self._keep_for_later()
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
        if reply.kind in ("question", "greeting", "follow_up", "repeat") and not yielded:
            self._current_question = heard or self._current_question
        self._prepare_next()

    def _say(self, reply: Reply, utt: int, marks: dict[str, float]) -> None:
        """Each sentence goes to speech as soon as the reply's stream closes it."""
        pieces: Iterator[str] = reply.pieces
        try:
            for sentence in chunk_sentences(
                self._first_piece_timer(pieces, marks),
                _marker(marks, "first_sentence", self.clock),
            ):
                if self._barge.is_set() or self._stop.is_set():
                    break
                self.on_event(InterviewerSays(sentence, reply.kind))
                self.speaker.say(
                    utt, sentence, on_audio=_marker(marks, "tts_first_audio", self.clock)
                )
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # stops an LLM stream cut short by a barge-in

    def _prepare_next(self) -> None:
        """Synthesize what the interviewer will probably say next while the candidate talks."""
        planned = self.brain.planned_next()
        if planned:
            self.speaker.prepare(planned, urgent=True)

    def _first_piece_timer(self, pieces: Iterable[str], marks: dict[str, float]) -> Iterator[str]:
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
            self.listener.open(
                self.clock(), hold=reply.pause_listening, question=self._current_question
            )
            if self.on_your_turn is not None:
                self.on_your_turn()
        while not self._stop.is_set():
            self._emit_later(wait=False)
            try:
                turn = self._turns.get(timeout=0.1)
            except queue.Empty:
                continue
            if turn.typed is not None or turn.timed_out:
                self._end_continuation()
            if turn.timed_out:
                return self._no_answer(turn, reply)
            if turn.typed is not None:
                return self._typed_answer(turn, reply)
            final = self._final(turn)
            text = final.text if final else ""
            ex = Exchange(
                speech_end=turn.speech_end,
                endpoint=turn.endpoint,
                stt_final=max(final.ready_at, turn.endpoint) if final else None,
            )
            cont, self._continuing = self._continuing, None
            if cont is not None:
                return self._continued(cont, turn, text, ex)
            return self._heard(turn, reply, text, ex)
        return None

    def _final(self, turn: TurnEnd) -> FinalText | None:
        """The turn's text: the speculative final of its last pause (usually ready by now)."""
        return self.transcriber.final_for(turn.pause_id, self.cfg.stt_final_timeout_s)
