"""The screening mode's tables (migration v4): the SQL, and nothing else.

Functions take a connection and return plain dicts (JSON columns parsed, timestamps UTC-aware),
so the store knows nothing of :mod:`interviewer.screening`, which builds its records from them.
:class:`ScreeningTables` runs them through the :class:`~interviewer.store.db.Store`'s writer
thread (one transaction per call, so a change and its audit entry commit together) or on a read
cursor, under the same cross-process lock as every other store operation.

The audit log has :func:`append_audit` and :func:`audit_rows` only: no statement here or
anywhere else updates or deletes it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from interviewer.store.rows import Con, dumps, fetch, insert, naive_utc

if TYPE_CHECKING:
    from interviewer.store.db import Store

T = TypeVar("T")

_JSON = frozenset({"draft", "overrides", "tombstone", "detail", "plan", "spec", "summary"})
#: Invitation columns a status change may set (ids, tokens and owners never change).
INVITATION_MUTABLE = frozenset(
    {"status", "session_id", "consented_at", "shortlisted", "tombstone", "name", "email"}
)


class ScreeningTables:
    """The screening tables of one :class:`Store`: ``write(fn)`` / ``read()`` as the store's."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def write(self, fn: Callable[[Con], T]) -> T:
        return self.store._write(fn)

    @contextlib.contextmanager
    def read(self) -> Iterator[Con]:
        with self.store._read() as con:
            yield con


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if value is not None and key in _JSON and isinstance(value, str):
            value = json.loads(value)
        elif isinstance(value, datetime):
            value = value.replace(tzinfo=UTC)
        out[key] = value
    return out


def _rows(con: Con, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    return [_row(r) for r in fetch(con, sql, params)]


def _one(con: Con, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
    rows = _rows(con, sql, params)
    return rows[0] if rows else None


def _ts(value: datetime | None) -> datetime | None:
    return None if value is None else naive_utc(value)


# --- organisations and users --------------------------------------------------------------


def org_by_name(con: Con, name: str) -> dict[str, Any] | None:
    return _one(con, "SELECT id, name, created_at FROM orgs WHERE name = ?", [name])


def org_by_id(con: Con, org_id: str) -> dict[str, Any] | None:
    return _one(con, "SELECT id, name, created_at FROM orgs WHERE id = ?", [org_id])


def insert_org(con: Con, org_id: str, name: str, at: datetime) -> None:
    insert(con, "orgs", {"id": org_id, "name": name, "created_at": _ts(at)})


_USER = "id, org_id, email, name, role, password_hash, created_at"


def insert_user(con: Con, row: Mapping[str, Any]) -> None:
    insert(con, "users", {**row, "created_at": _ts(row["created_at"])})


def user_by_email(con: Con, email: str) -> dict[str, Any] | None:
    return _one(con, f"SELECT {_USER} FROM users WHERE email = ?", [email])


def user_by_id(con: Con, user_id: str) -> dict[str, Any] | None:
    return _one(con, f"SELECT {_USER} FROM users WHERE id = ?", [user_id])


def users_of_org(con: Con, org_id: str) -> list[dict[str, Any]]:
    return _rows(con, f"SELECT {_USER} FROM users WHERE org_id = ? ORDER BY created_at", [org_id])


# --- logins -------------------------------------------------------------------------------


def insert_token(
    con: Con, token_hash: str, user_id: str, at: datetime, expires_at: datetime
) -> None:
    insert(
        con,
        "login_tokens",
        {"token_hash": token_hash, "user_id": user_id, "created_at": _ts(at),
         "expires_at": _ts(expires_at)},
    )  # fmt: skip


def user_by_token(con: Con, token_hash: str, at: datetime) -> dict[str, Any] | None:
    return _one(
        con,
        f"SELECT {', '.join('u.' + c for c in _USER.split(', '))} FROM login_tokens t "
        "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.expires_at > ?",
        [token_hash, _ts(at)],
    )


def delete_token(con: Con, token_hash: str) -> None:
    con.execute("DELETE FROM login_tokens WHERE token_hash = ?", [token_hash])


def delete_expired_tokens(con: Con, at: datetime) -> None:
    con.execute("DELETE FROM login_tokens WHERE expires_at <= ?", [_ts(at)])


def failures_since(con: Con, email: str, client: str, since: datetime) -> list[datetime]:
    rows = con.execute(
        "SELECT ts FROM login_failures WHERE email = ? AND client = ? AND ts > ? ORDER BY ts",
        [email, client, _ts(since)],
    ).fetchall()
    return [r[0].replace(tzinfo=UTC) for r in rows]


def add_failure(con: Con, email: str, client: str, at: datetime, forget_before: datetime) -> None:
    con.execute("DELETE FROM login_failures WHERE ts <= ?", [_ts(forget_before)])
    insert(con, "login_failures", {"email": email, "client": client, "ts": _ts(at)})


def clear_failures(con: Con, email: str, client: str) -> None:
    con.execute("DELETE FROM login_failures WHERE email = ? AND client = ?", [email, client])


# --- templates ----------------------------------------------------------------------------

_TEMPLATE = "id, version, org_id, created_by, created_at, draft"


def insert_template_version(
    con: Con, template_id: str, org_id: str, created_by: str, at: datetime, draft: Any
) -> int:
    """Add the next version of ``template_id`` (1 for a new id); return its number."""
    row = con.execute(
        "SELECT coalesce(max(version), 0) FROM templates WHERE id = ?", [template_id]
    ).fetchone()
    version = int(row[0]) + 1 if row else 1
    insert(
        con,
        "templates",
        {"id": template_id, "version": version, "org_id": org_id, "created_by": created_by,
         "created_at": _ts(at), "draft": dumps(draft)},
    )  # fmt: skip
    return version


def template_row(con: Con, template_id: str, version: int | None) -> dict[str, Any] | None:
    if version is None:
        return _one(
            con,
            f"SELECT {_TEMPLATE} FROM templates WHERE id = ? ORDER BY version DESC LIMIT 1",
            [template_id],
        )
    return _one(
        con,
        f"SELECT {_TEMPLATE} FROM templates WHERE id = ? AND version = ?",
        [template_id, version],
    )


def latest_templates(con: Con, org_id: str | None) -> list[dict[str, Any]]:
    """The newest version of each template (of one organisation, or all), oldest first."""
    return _rows(
        con,
        f"SELECT {_TEMPLATE} FROM templates t WHERE (? IS NULL OR org_id = ?) AND version = "
        "(SELECT max(version) FROM templates t2 WHERE t2.id = t.id) ORDER BY created_at, id",
        [org_id, org_id],
    )


def template_versions(con: Con, template_id: str) -> list[dict[str, Any]]:
    return _rows(
        con, f"SELECT {_TEMPLATE} FROM templates WHERE id = ? ORDER BY version", [template_id]
    )


# --- invitations --------------------------------------------------------------------------

_INVITATION = (
    "id, token, org_id, template_id, template_version, name, email, created_by, created_at, "
    "expires_at, status, session_id, consented_at, shortlisted, tombstone, "
    # the interview's own status, so an invitation whose session ended reads as such even if
    # the web app never reported the end (a crash, a closed tab)
    "(SELECT s.status FROM sessions s WHERE s.id = invitations.session_id) AS session_status"
)


def insert_invitation(con: Con, row: Mapping[str, Any]) -> None:
    values = dict(row)
    for key in ("created_at", "expires_at", "consented_at"):
        values[key] = _ts(values.get(key))
    values["tombstone"] = dumps(values.get("tombstone"))
    insert(con, "invitations", values)


def invitation_by_token(con: Con, token: str) -> dict[str, Any] | None:
    return _one(con, f"SELECT {_INVITATION} FROM invitations WHERE token = ?", [token])


def invitation_by_id(con: Con, invitation_id: str) -> dict[str, Any] | None:
    return _one(con, f"SELECT {_INVITATION} FROM invitations WHERE id = ?", [invitation_id])


def invitations_of(
    con: Con, *, template_id: str | None = None, org_id: str | None = None
) -> list[dict[str, Any]]:
    return _rows(
        con,
        f"SELECT {_INVITATION} FROM invitations WHERE (? IS NULL OR template_id = ?) "
        "AND (? IS NULL OR org_id = ?) ORDER BY created_at, id",
        [template_id, template_id, org_id, org_id],
    )


def update_invitation(con: Con, invitation_id: str, **values: Any) -> None:
    bad = set(values) - INVITATION_MUTABLE
    if bad:
        raise ValueError(f"invitation columns {sorted(bad)} cannot change")
    sets, params = [], []
    for key, value in values.items():
        sets.append(f"{key} = ?")
        if key == "tombstone":
            value = dumps(value)
        elif isinstance(value, datetime):
            value = _ts(value)
        params.append(value)
    con.execute(f"UPDATE invitations SET {', '.join(sets)} WHERE id = ?", [*params, invitation_id])


# --- reviews ------------------------------------------------------------------------------


def insert_review(con: Con, row: Mapping[str, Any]) -> None:
    insert(con, "reviews", {**row, "overrides": dumps(row["overrides"]), "ts": _ts(row["ts"])})


def latest_reviews(con: Con, invitation_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The newest review of each invitation (earlier ones are kept, as history)."""
    if not invitation_ids:
        return {}
    marks = ", ".join("?" for _ in invitation_ids)
    rows = _rows(
        con,
        "SELECT invitation_id, session_id, reviewer_id, overall, notes, overrides, ts "
        f"FROM reviews WHERE invitation_id IN ({marks}) ORDER BY ts",
        list(invitation_ids),
    )
    return {r["invitation_id"]: r for r in rows}


def reviews_of(con: Con, invitation_id: str) -> list[dict[str, Any]]:
    return _rows(
        con,
        "SELECT invitation_id, session_id, reviewer_id, overall, notes, overrides, ts "
        "FROM reviews WHERE invitation_id = ? ORDER BY ts",
        [invitation_id],
    )


def delete_reviews(con: Con, invitation_id: str) -> int:
    """A candidate's data deleted on request takes the reviewers' notes about them along."""
    rows = con.execute(
        "DELETE FROM reviews WHERE invitation_id = ? RETURNING 1", [invitation_id]
    ).fetchall()
    return len(rows)


# --- the audit log (append-only) ----------------------------------------------------------


def append_audit(
    con: Con,
    at: datetime,
    org_id: str | None,
    actor: str,
    action: str,
    target: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    con.execute(
        "INSERT INTO audit_log (ts, org_id, actor, action, target, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [_ts(at), org_id, actor, action, target, dumps(dict(detail or {}))],
    )


def audit_rows(con: Con, org_id: str | None, limit: int) -> list[dict[str, Any]]:
    """Newest first; ``org_id`` None: every organisation's (the terminal's view)."""
    return _rows(
        con,
        "SELECT seq, ts, org_id, actor, action, target, detail FROM audit_log "
        "WHERE ? IS NULL OR org_id = ? ORDER BY seq DESC LIMIT ?",
        [org_id, org_id, limit],
    )


# --- a session's content (retention, deletion on request) ---------------------------------


def session_times(con: Con, session_id: str) -> dict[str, Any] | None:
    return _one(
        con,
        "SELECT id, created_at, updated_at, finished_at, status FROM sessions WHERE id = ?",
        [session_id],
    )


def purge_session_content(con: Con, session_id: str) -> tuple[int, int]:
    """Delete a session's turns and events and its saved interview state (which quotes the
    answers); the session row stays as a tombstone. Returns (turns, events) deleted."""
    turns = con.execute(
        "DELETE FROM turns WHERE session_id = ? RETURNING 1", [session_id]
    ).fetchall()
    events = con.execute(
        "DELETE FROM events WHERE session_id = ? RETURNING 1", [session_id]
    ).fetchall()
    con.execute("UPDATE sessions SET plan = NULL, summary = NULL WHERE id = ?", [session_id])
    return len(turns), len(events)


def delete_session_row(con: Con, session_id: str) -> None:
    con.execute("DELETE FROM sessions WHERE id = ?", [session_id])
