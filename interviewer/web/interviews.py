"""The web app's interviews in progress: tickets waiting for their page, the registry of
running interviews bound to their owners, and the outbox from an interview's threads to its
WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from interviewer.interview.spec import InterviewSpec
from interviewer.web import security
from interviewer.web.live import LiveInterview

#: An interview page not opened within this time is forgotten (its spec was never used).
TICKET_TTL_S = 3600.0
MAX_OPEN_TICKETS_PER_OWNER = 5


@dataclass
class Ticket:
    """A validated interview spec waiting for its page to connect; used once."""

    id: str
    user_id: str
    spec: InterviewSpec
    created: float = field(default_factory=time.monotonic)
    live: LiveInterview | None = None


class Registry:
    """Tickets and running interviews, each bound to its owner."""

    def __init__(self, max_live: int, max_live_per_owner: int) -> None:
        self.max_live = max_live
        self.max_live_per_owner = max_live_per_owner
        self._lock = threading.Lock()
        self._tickets: dict[str, Ticket] = {}

    def add(self, user_id: str, spec: InterviewSpec) -> Ticket:
        with self._lock:
            self._expire()
            open_ = [t for t in self._tickets.values() if t.user_id == user_id and t.live is None]
            if len(open_) >= MAX_OPEN_TICKETS_PER_OWNER:
                # the oldest unopened page goes: people reload the form, that is no abuse
                oldest = min(open_, key=lambda t: t.created)
                del self._tickets[oldest.id]
            ticket = Ticket(security.new_ticket(), user_id, spec)
            self._tickets[ticket.id] = ticket
            return ticket

    def get(self, ticket_id: str, user_id: str) -> Ticket | None:
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is None or ticket.user_id != user_id:
                return None
            return ticket

    def claim(self, ticket_id: str, user_id: str, make: Callable[[Ticket], LiveInterview]) -> Any:
        """Bind a running interview to the ticket: the LiveInterview, or a refusal message."""
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is None or ticket.user_id != user_id:
                return "no such interview (it may have expired); start a new one"
            if ticket.live is not None:
                return "this interview was already started; see your history for its report"
            running = [t for t in self._tickets.values() if t.live and not t.live.done.is_set()]
            if len(running) >= self.max_live:
                return f"the server is running {len(running)} interviews; try again later"
            mine = [t for t in running if t.user_id == user_id]
            if len(mine) >= self.max_live_per_owner:
                return "you already have an interview running in another tab; end it first"
            ticket.live = make(ticket)
            return ticket.live

    def running(self) -> list[LiveInterview]:
        with self._lock:
            return [t.live for t in self._tickets.values() if t.live and not t.live.done.is_set()]

    def forget(self, live: LiveInterview) -> None:
        with self._lock:
            for key, t in list(self._tickets.items()):
                if t.live is live:
                    del self._tickets[key]

    def _expire(self) -> None:
        now = time.monotonic()
        for key, t in list(self._tickets.items()):
            if t.live is None and now - t.created > TICKET_TTL_S:
                del self._tickets[key]


class Outbox:
    """Messages from the interview's threads to the WebSocket, through the event loop."""

    CLOSE = object()
    #: queued messages at most (audio blocks are 32 ms each): a stalled client loses audio,
    #: the server does not grow a backlog
    MAX_ITEMS = 400

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.dropped = 0

    def put(self, item: Any) -> None:
        """From any thread; never blocks."""
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
            self.loop.call_soon_threadsafe(self._put, item)

    def _put(self, item: Any) -> None:
        if isinstance(item, bytes) and self.queue.qsize() >= self.MAX_ITEMS:
            self.dropped += 1
            return
        self.queue.put_nowait(item)

    def json(self, message: dict[str, Any]) -> None:
        self.put(message)

    def audio(self, data: bytes) -> None:
        self.put(data)

    async def pump(self, ws: WebSocket) -> None:
        while True:
            item = await self.queue.get()
            if item is self.CLOSE:
                return
            try:
                if isinstance(item, bytes):
                    await ws.send_bytes(item)
                else:
                    await ws.send_text(json.dumps(item))
                    if item.get("type") == "state" and item.get("state") == "ended":
                        await ws.close(1000)
                        return
            except (WebSocketDisconnect, RuntimeError):
                return  # the client is gone; the receive loop stops the interview
