"""Interview tickets (a validated spec waiting for its page) and the interviews running.

Memory per visitor is bounded: a ticket holds at most two documents of
:data:`~interviewer.documents.MAX_DOCUMENT_CHARS` characters, an owner at most
:data:`MAX_OPEN_TICKETS_PER_OWNER` tickets, and the server at most :data:`MAX_OPEN_TICKETS`,
whoever asks: a client without a cookie is a new owner on every request, so only the
server-wide cap bounds anything against it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from interviewer.interview.spec import InterviewSpec
from interviewer.web import security
from interviewer.web.live import LiveInterview
from interviewer.web.security import RequestError

#: An interview page not opened within this time is forgotten (its spec was never used).
TICKET_TTL_S = 3600.0
MAX_OPEN_TICKETS_PER_OWNER = 5
#: unopened interview pages held for all owners together
MAX_OPEN_TICKETS = 64


class ServerBusy(RequestError):
    """The server-wide ticket cap is reached: HTTP 429."""

    def __init__(self, open_tickets: int) -> None:
        super().__init__(
            f"the server already holds {open_tickets} interviews that were set up but not "
            f"started (at most {MAX_OPEN_TICKETS}); start one of yours, or try again within "
            f"{int(TICKET_TTL_S // 60)} minutes",
            429,
        )


@dataclass
class Ticket:
    """A validated interview spec waiting for its page to connect; used once."""

    id: str
    user_id: str
    spec: InterviewSpec
    created: float = field(default_factory=time.monotonic)
    live: LiveInterview | None = None
    #: what the page should say about the setup (a document cut short, pages skipped)
    notices: list[str] = field(default_factory=list)


class Registry:
    """Tickets and running interviews, each bound to its owner."""

    def __init__(self, max_live: int, max_live_per_owner: int) -> None:
        self.max_live = max_live
        self.max_live_per_owner = max_live_per_owner
        self._lock = threading.Lock()
        self._tickets: dict[str, Ticket] = {}

    def check_room(self, user_id: str) -> None:
        """Raise :class:`ServerBusy` when a new ticket for ``user_id`` could not be added; called
        before the form is read, so a full server does not parse uploads for nothing."""
        with self._lock:
            self._room(user_id)

    def add(self, user_id: str, spec: InterviewSpec, notices: list[str] | None = None) -> Ticket:
        with self._lock:
            mine = self._room(user_id)
            if len(mine) >= MAX_OPEN_TICKETS_PER_OWNER:
                # the oldest unopened page goes: people reload the form, that is no abuse
                oldest = min(mine, key=lambda t: t.created)
                del self._tickets[oldest.id]
            ticket = Ticket(security.new_ticket(), user_id, spec, notices=list(notices or []))
            self._tickets[ticket.id] = ticket
            return ticket

    def _room(self, user_id: str) -> list[Ticket]:
        self._expire()
        open_ = [t for t in self._tickets.values() if t.live is None]
        mine = [t for t in open_ if t.user_id == user_id]
        if len(mine) < MAX_OPEN_TICKETS_PER_OWNER and len(open_) >= MAX_OPEN_TICKETS:
            raise ServerBusy(len(open_))
        return mine

    def open_tickets(self) -> list[Ticket]:
        with self._lock:
            return [t for t in self._tickets.values() if t.live is None]

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
