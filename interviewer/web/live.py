"""One interview in a browser tab: the CLI's pipeline, driven through a WebSocket duplex.

The interview is built exactly like ``interviewer practice`` builds it (``new_interview``, the
runner with ``Interview.record_exchange`` as its exchange callback, ``Interview.finish``); what
differs is the audio end and that events go to the browser as JSON messages. Everything runs on
one worker thread per interview, so the server's event loop never waits for a model.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from interviewer.errors import InterviewerError
from interviewer.interview.bank import Bank
from interviewer.interview.spec import InterviewSpec
from interviewer.pipeline.events import (
    AnswerContinues,
    BargeIn,
    CandidateFinal,
    CandidatePartial,
    CandidateRevised,
    HalfDuplex,
    InterviewerSays,
    RunnerEvent,
    SpeechStart,
)
from interviewer.pipeline.records import ExchangeRecord
from interviewer.pipeline.runner import InterviewRunner, RunnerConfig
from interviewer.store import Store
from interviewer.web import keeping
from interviewer.web.duplex import WebSocketDuplex
from interviewer.web.engines import EngineHub
from interviewer.web.recording import MicTape, save_answer

if TYPE_CHECKING:
    from interviewer.session import Interview

log = logging.getLogger(__name__)

Command = Literal["repeat", "skip", "pause", "end"]
#: What each button says: the state machine understands these as commands, the same words a
#: candidate would say, so a button and the voice take the same path (and are stored alike).
COMMAND_TEXT: dict[str, str] = {
    "repeat": "Could you repeat the question?",
    "skip": "Can we skip this question?",
    "pause": "Give me a moment.",
    "end": "Can we end the interview?",
}
MAX_TYPED_CHARS = 2000

Emit = Callable[[dict[str, Any]], None]


class LiveInterview:
    """Runs one interview on its own thread; ``emit`` and ``send_audio`` must not block."""

    def __init__(
        self,
        *,
        spec: InterviewSpec,
        user_id: str,
        hub: EngineHub,
        store: Store,
        bank: Bank,
        emit: Emit,
        send_audio: Callable[[bytes], None],
        config: RunnerConfig | None = None,
        on_done: Callable[[LiveInterview], None] | None = None,
        live_scoring: bool = True,
        begin: Callable[[Any], Interview] | None = None,
        record_to: Callable[[str, int], Path] | None = None,
    ) -> None:
        """``begin(engines)`` opens the interview instead of ``new_interview`` from ``spec``
        (screening: the invitation's template, or its interrupted session resumed);
        ``record_to(session_id, turn_idx)`` names the WAV file of each spoken answer (None: the
        audio is not kept, as in practice mode)."""
        self.spec = spec
        self.user_id = user_id
        self.hub = hub
        self.store = store
        self.bank = bank
        self.emit = emit
        self.config = config or RunnerConfig(barge_in=True)
        self.on_done = on_done
        self.live_scoring = live_scoring
        self.duplex = WebSocketDuplex(send_audio)
        self.begin = begin
        self.record_to = record_to
        self.tape: MicTape | None = None
        if record_to is not None:
            self.tape = MicTape()
            self.duplex.tap = self.tape.add
        self.session_id: str | None = None
        self.status: Literal["starting", "running", "finished", "interrupted", "failed"] = (
            "starting"
        )
        self.error: str | None = None
        self._runner: InterviewRunner | None = None
        self._lock = threading.Lock()
        self._stop_requested = False
        self._scoring_timeout: float | None = None
        self._hearing = False  # between the candidate's speech start and their final text
        self._thread: threading.Thread | None = None
        self.done = threading.Event()

    # ------------------------------------------------------------------ control (any thread)
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="web-interview", daemon=True)
        self._thread.start()

    def feed_audio(self, data: bytes) -> None:
        self.duplex.feed(data)

    def submit_text(self, text: str) -> None:
        """A typed answer; it cuts the interviewer short, as speaking would with barge-in."""
        text = " ".join(text.split())[:MAX_TYPED_CHARS]
        if not text:
            return
        with self._lock:
            runner = self._runner
        if runner is None:
            self.emit({"type": "notice", "message": "the interview has not started yet"})
            return
        runner.submit_text(text, interrupt=True)

    def hold(self) -> None:
        """The candidate is typing (or has no microphone): silence is not a missing answer."""
        with self._lock:
            runner = self._runner
        if runner is not None:
            runner.hold()

    def command(self, name: str) -> None:
        if name not in COMMAND_TEXT:
            self.emit({"type": "notice", "message": f"unknown command {name!r}"})
            return
        self.submit_text(COMMAND_TEXT[name])

    def stop(self, *, scoring_timeout: float | None = None) -> None:
        """The browser went away (or the server stops): end now, keeping what was recorded.

        ``scoring_timeout`` bounds the wait for the last answers' scores (a server shutting
        down should not wait minutes; ``interviewer score`` can finish them later).
        """
        with self._lock:
            self._stop_requested = True
            if scoring_timeout is not None:
                self._scoring_timeout = scoring_timeout
            runner = self._runner
        if runner is not None:
            runner.stop()

    def join(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)

    # ------------------------------------------------------------------ the worker thread
    def _state(self, state: str, **extra: Any) -> None:
        self.emit({"type": "state", "state": state, **extra})

    def _run(self) -> None:
        try:
            self._run_interview()
        except InterviewerError as exc:
            self._fail(str(exc))
        except Exception as exc:  # a bug must reach the page, not only the server log
            log.exception("web interview failed")
            self._fail(f"internal error: {type(exc).__name__}: {exc}")
        finally:
            try:
                if self.on_done is not None:
                    # before `done`: whoever waits for the interview (a reconnecting candidate,
                    # the server stopping) also waits for its bookkeeping (the invitation marked)
                    self.on_done(self)
            finally:
                self.done.set()

    def _fail(self, message: str) -> None:
        self.status = "failed"
        self.error = message
        self.emit({"type": "error", "message": message})
        self._state("ended", status="failed", session=self.session_id)

    def _run_interview(self) -> None:
        from interviewer.session import new_interview

        if not self.hub.loaded:
            self._state("loading", detail="loading models (first interview only)")
        engines = self.hub.get()
        if self._stop_requested:
            self.status = "interrupted"
            return  # the tab closed while the models loaded: no session was opened
        vad = engines.new_vad()  # Silero keeps state between frames: one per interview
        if self.begin is not None:
            interview = self.begin(engines)
        else:
            interview = new_interview(
                store=self.store,
                spec=self.spec,
                llm=engines.llm,
                models=engines.models,
                mode="web",
                bank=self.bank,
                # decides the follow-ups' prompts and the scoring blend, as in the CLI
                instruction_tuned=engines.instruction_tuned,
                user_id=self.user_id,
                # off: no background worker; the report scores the answers by the rules when it
                # is first built, and `interviewer score ID` can add the LLM's judgement later
                score=self.live_scoring,
            )
        self.session_id = interview.session_id
        self.emit(
            {
                "type": "session",
                "id": interview.session_id,
                "report": f"/report/{interview.session_id}",
                "questions": len(interview.machine.questions),
            }
        )
        # a resumed session already has turns: the count is the next answer's turn idx
        saved = (keeping.stored_turns(interview) or 0) if self.begin is not None else 0
        unsaved: list[ExchangeRecord] = []  # answers the store refused: kept, tried again

        def on_exchange(record: ExchangeRecord) -> None:
            nonlocal saved
            if not keeping.record_exchange(interview, record, saved):
                unsaved.append(record)
                notice = "saving your answer failed; it is kept and tried again at the end"
                self.emit({"type": "notice", "message": notice})
                return
            self._keep_audio(interview.session_id, saved, record)
            saved += 1
            self.emit({"type": "saved", "turns": saved})

        runner = InterviewRunner(
            brain=interview.machine,
            vad=vad,
            stt=engines.stt,
            stt_final=engines.stt_final,
            tts=engines.tts,
            duplex=self.duplex,
            config=self.config,
            on_event=self._on_event,
            on_your_turn=lambda: self._state("listening"),
            on_exchange=on_exchange,
        )
        with self._lock:
            self._runner = runner
            if self._stop_requested:
                runner.stop()  # run() then starts and ends at once, shutting down cleanly
        self.status = "running"
        error: BaseException | None = None
        try:
            runner.run()
        except BaseException as exc:
            error = exc
        finally:
            interrupted = not interview.machine.finished
            self._state("saving", detail="saving and scoring your answers…")
            summary = runner.transcript()["latency"]["summary"]
            keeping.finish(
                interview,
                unsaved,
                interrupted=interrupted,
                summary=summary,
                scoring_timeout=self._scoring_timeout,
            )
            self.status = "interrupted" if interrupted else "finished"
        if error is not None:
            raise error
        self._state("ended", status=self.status, session=self.session_id)

    def _keep_audio(self, session_id: str, idx: int, record: ExchangeRecord) -> None:
        if self.record_to is None or self.tape is None:
            return
        try:
            save_answer(self.tape, self.duplex.start_time, record, self.record_to(session_id, idx))
        except (OSError, RuntimeError, ValueError) as exc:
            # the transcript is stored; a recording that cannot be written must not end it
            log.warning("session %s: the audio of answer %d was not kept: %s", session_id, idx, exc)

    def _on_event(self, event: RunnerEvent) -> None:
        match event:
            case CandidatePartial(text=text):
                # A partial computed while the turn ended arrives after the final text (and may
                # repeat it): once the final is shown, partials wait for the next speech.
                if self._hearing:
                    self.emit({"type": "caption", "who": "candidate", "text": text, "final": False})
            case SpeechStart():
                self._hearing = True
                self._state("hearing")
            case CandidateFinal(text=text, typed=typed):
                self._hearing = False
                self.emit(
                    {
                        "type": "caption",
                        "who": "candidate",
                        "text": text,
                        "final": True,
                        "typed": typed,
                    }
                )
                self._state("thinking")
            case CandidateRevised(text=text):
                # the full pass over the whole answer replaces the streamed caption
                self.emit({"type": "revise", "who": "candidate", "text": text})
            case InterviewerSays(text=text, kind=kind):
                self.emit(
                    {
                        "type": "caption",
                        "who": "interviewer",
                        "text": text,
                        "final": True,
                        "kind": kind,
                    }
                )
                self._state("speaking")
            case BargeIn(typed=typed):
                # the browser still holds up to a few blocks: drop them so the voice stops now
                self.emit({"type": "flush"})
                self._hearing = not typed
                self._state("hearing" if self._hearing else "thinking")
            case AnswerContinues(answer=answer):
                # the reply just cut was withdrawn: the page joins what follows to this answer
                self.emit({"type": "continues", "answer": answer})
            case HalfDuplex(reason=reason):
                self.emit({"type": "notice", "message": reason})
