"""What every part of :class:`~interviewer.screening.service.Screening` shares: the store's
screening tables, the bank, the clock, the role and organisation checks, and the audit log.

The parts (accounts, templates, invitations, reviews, retention) are mixins over this base, so
each stays about one responsibility while the web app sees one object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher

from interviewer.interview.bank import Bank
from interviewer.screening.errors import Forbidden, NotFound
from interviewer.screening.models import AuditEntry, User
from interviewer.store import Store
from interviewer.store import screening as sql
from interviewer.store.rows import Con


def utcnow() -> datetime:
    return datetime.now(UTC)


class ScreeningBase:
    def __init__(
        self,
        store: Store,
        bank: Bank,
        *,
        now: Callable[[], datetime] = utcnow,
        hasher: PasswordHasher | None = None,
    ) -> None:
        """``hasher``: argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile)
        unless given (tests pass a cheaper one)."""
        self.store = store
        self.bank = bank
        self._clock = now
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None
        self._tables = sql.ScreeningTables(store)

    def _now(self) -> datetime:
        at = self._clock()
        return at if at.tzinfo is not None else at.replace(tzinfo=UTC)

    # --- checks ---------------------------------------------------------------------------

    @staticmethod
    def _require(actor: User | None, roles: Iterable[str] = ("admin", "reviewer")) -> User:
        if actor is None:
            raise Forbidden("log in first")
        allowed = tuple(roles)
        if actor.role not in allowed:
            raise Forbidden(f"this needs the {' or '.join(allowed)} role")
        return actor

    @staticmethod
    def _own(actor: User, org_id: str | None, what: str, ident: str) -> None:
        # Another organisation's id is "not found", exactly like an id that does not exist,
        # so ids cannot be probed across organisations.
        if org_id != actor.org_id:
            raise NotFound(f"no {what} {ident}")

    # --- audit ----------------------------------------------------------------------------

    def _audit(
        self,
        con: Con,
        org_id: str | None,
        actor: str,
        action: str,
        target: str,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Append to the audit log inside the caller's transaction (the change and its entry
        commit together or not at all)."""
        sql.append_audit(con, self._now(), org_id, actor, action, target, detail)

    def _audit_now(
        self,
        org_id: str | None,
        actor: str,
        action: str,
        target: str,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        self._tables.write(lambda con: self._audit(con, org_id, actor, action, target, detail))

    def audit_log(self, actor: User, limit: int = 500) -> list[AuditEntry]:
        """The organisation's audit log, newest first (admins only)."""
        self._require(actor, ("admin",))
        with self._tables.read() as con:
            rows = sql.audit_rows(con, actor.org_id, limit)
        return [entry_from_row(r) for r in rows]

    def all_audit(self, limit: int = 500) -> list[AuditEntry]:
        """Every organisation's log (the terminal's `admin audit`, which has the file anyway)."""
        with self._tables.read() as con:
            rows = sql.audit_rows(con, None, limit)
        return [entry_from_row(r) for r in rows]


def entry_from_row(r: Mapping[str, Any]) -> AuditEntry:
    return AuditEntry(
        seq=int(r["seq"]),
        ts=r["ts"],
        org_id=r["org_id"],
        actor=r["actor"],
        action=r["action"],
        target=r["target"],
        detail=dict(r["detail"] or {}),
    )
