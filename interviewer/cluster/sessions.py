"""Interviews spread over the cluster: one actor per interview, the web app relaying its socket.

:class:`InterviewWorker` is the actor: it runs the web app's own :class:`~interviewer.web.live.
LiveInterview` (the same pipeline, the same keeping of answers) with engines that call the Serve
deployments and a store that calls the store's owner. It is placed with Ray's ``SPREAD``
strategy, so interviews land on every node. :class:`RemoteLive` stands in for the
LiveInterview in the web app: the browser's audio and commands go up in order, in batches, on one
thread; messages and the interviewer's voice come down on another, by long polls.

If the actor's node is lost mid-interview, the relay marks the session *interrupted* (its
committed turns are in the store already) and tells the browser; ``interviewer resume ID``
continues it. The other interviews are not affected.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from interviewer.cluster.proxies import replica_lost
from interviewer.web.live import LiveInterview

log = logging.getLogger(__name__)

#: Messages an interview may queue for the relay (32 ms audio blocks and JSON), at most.
MAX_OUTBOUND = 4000
#: How long one poll for outbound messages waits when there are none.
PULL_WAIT_S = 0.25
#: Inputs sent to the actor in one call, at most.
MAX_PUSH_ITEMS = 256
#: A call to the interview's actor that takes longer than this means its node is gone.
CALL_TIMEOUT_S = 30.0
#: Creating the actor (a node may have to start a worker process).
START_TIMEOUT_S = 120.0


class InterviewWorker:
    """The actor's class: one LiveInterview, its outbound messages held for the relay."""

    def __init__(self, make_live: Callable[..., LiveInterview], kwargs: dict[str, Any]) -> None:
        self._out: deque[tuple[str, Any]] = deque(maxlen=MAX_OUTBOUND)
        self._cond = threading.Condition()
        self.live = make_live(emit=self._emit, send_audio=self._audio, **kwargs)

    def _put(self, item: tuple[str, Any]) -> None:
        with self._cond:
            self._out.append(item)
            self._cond.notify_all()

    def _emit(self, message: dict[str, Any]) -> None:
        self._put(("json", message))

    def _audio(self, data: bytes) -> None:
        self._put(("audio", data))

    def where(self) -> dict[str, Any]:
        import os

        import ray

        return {"node": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}

    def start(self) -> None:
        self.live.start()

    def push(self, items: list[tuple[str, Any]]) -> None:
        """Inputs from the browser, in the order they came."""
        live = self.live
        for kind, value in items:
            if kind == "audio":
                live.feed_audio(value)
            elif kind == "text":
                live.submit_text(value)
            elif kind == "command":
                live.command(value)
            elif kind == "hold":
                live.hold()
            elif kind == "stop":
                live.stop(scoring_timeout=value)

    def pull(self, wait_s: float) -> tuple[list[tuple[str, Any]], bool, str, str | None]:
        """Messages queued so far (waiting up to ``wait_s`` for one); whether the interview is
        over with nothing left to send; its status and session id."""
        done = self.live.done.is_set()  # read first: once set, every message is queued
        with self._cond:
            if not self._out and not done:
                self._cond.wait(timeout=wait_s)
            items = list(self._out)
            self._out.clear()
        return items, done, self.live.status, self.live.session_id


class RemoteLive(LiveInterview):
    """The web app's side of an interview that runs in an :class:`InterviewWorker` actor.

    It has the LiveInterview's interface (the app and its registry use it unchanged); nothing of
    the pipeline runs here.
    """

    def __init__(self, *, cluster: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._send_audio: Callable[[bytes], None] = kwargs["send_audio"]
        self.cluster = cluster
        self.node: str | None = None
        self.actor: Any = None
        self._up: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._relay_done = threading.Event()

    # ------------------------------------------------------------------ from the browser
    def feed_audio(self, data: bytes) -> None:
        self._up.put(("audio", data))

    def submit_text(self, text: str) -> None:
        self._up.put(("text", text))

    def hold(self) -> None:
        self._up.put(("hold", None))

    def command(self, name: str) -> None:
        self._up.put(("command", name))

    def stop(self, *, scoring_timeout: float | None = None) -> None:
        with self._lock:
            self._stop_requested = True
        self._up.put(("stop", scoring_timeout))

    # ------------------------------------------------------------------ the relay
    def _run(self) -> None:
        try:
            self._relay()
        except Exception as exc:
            self._lost(exc)
        finally:
            self._relay_done.set()
            self.done.set()
            if self.on_done is not None:
                self.on_done(self)
            if self.actor is not None:
                self.cluster.release(self.actor)

    def _relay(self) -> None:
        import ray

        self.actor = self.cluster.spawn_interview(
            spec=self.spec,
            user_id=self.user_id,
            config=self.config,
            live_scoring=self.live_scoring,
        )
        where = ray.get(self.actor.where.remote(), timeout=START_TIMEOUT_S)
        self.node = where["node"]
        ray.get(self.actor.start.remote(), timeout=CALL_TIMEOUT_S)
        self.status = "running"
        up = threading.Thread(target=self._uplink, name="relay-up", daemon=True)
        up.start()
        try:
            while True:
                items, done, status, session_id = ray.get(
                    self.actor.pull.remote(PULL_WAIT_S), timeout=CALL_TIMEOUT_S
                )
                if session_id:
                    self.session_id = session_id
                for kind, value in items:
                    if kind == "audio":
                        self._send_audio(value)
                    else:
                        self.emit(value)
                if done:
                    self.status = status
                    return
        finally:
            self._relay_done.set()
            up.join(timeout=CALL_TIMEOUT_S)

    def _uplink(self) -> None:
        import ray

        while not self._relay_done.is_set():
            try:
                first = self._up.get(timeout=PULL_WAIT_S)
            except queue.Empty:
                continue
            batch = [first]
            while len(batch) < MAX_PUSH_ITEMS:
                try:
                    batch.append(self._up.get_nowait())
                except queue.Empty:
                    break
            try:
                ray.get(self.actor.push.remote(batch), timeout=CALL_TIMEOUT_S)
            except Exception as exc:
                # the downlink sees the same loss and marks the session; nothing to send to
                log.info("interview relay: input not delivered: %s", exc)
                return

    def _lost(self, exc: BaseException) -> None:
        """The actor (or its node) is gone: what it committed stays; the session is marked."""
        lost = replica_lost(exc) or type(exc).__name__ == "GetTimeoutError"
        reason = "the machine running this interview stopped" if lost else str(exc)
        log.warning("interview %s on node %s lost: %s", self.session_id, self.node, exc)
        self.status = "interrupted" if self.session_id else "failed"
        self.error = reason
        if self.session_id:
            try:
                self.store.set_status(self.session_id, "interrupted")
                self.store.add_event(
                    self.session_id, "node_lost", {"node": self.node, "error": str(exc)[:500]}
                )
            except Exception:
                log.exception("could not mark session %s interrupted", self.session_id)
            message = (
                f"{reason}; the answers given so far are saved: "
                f"`interviewer resume {self.session_id}` continues it"
            )
        else:
            message = f"{reason} before the interview started; start a new one"
        self.emit({"type": "error", "message": message})
        self.emit({"type": "state", "state": "ended", "status": self.status,
                   "session": self.session_id})  # fmt: skip
