"""The interview store: sessions, turns and events in one DuckDB file.

DuckDB allows one process at a time to have a file open, so a ``Store`` opens it only per
operation, under a cross-process lock (:class:`.connection.FileAccess`): a server and the CLI, or
two servers, share one file. Inside the process one ``Store`` is shared between interviews; a
single writer thread (:mod:`.writer`) commits each change in its own transaction (the changes
queued meanwhile go in the same opening of the file); reads run on short-lived cursors from any
thread.

The records and their column lists live in :mod:`.rows`, export and import in :mod:`.transfer`,
benchmark runs in :mod:`.bench_runs`, opening the file in :mod:`.connection`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, TypeVar

import duckdb

from interviewer.config import user_data_dir
from interviewer.store import bench_runs
from interviewer.store.bench_runs import BenchRunRecord
from interviewer.store.connection import LOCK_WAIT_S, FileAccess, pid_alive, resolve_session
from interviewer.store.rows import (
    EVENT_COLUMNS,
    LATENCY_KEYS,
    MODES,
    SESSION_COLUMNS,
    STATUSES,
    TURN_COLUMNS,
    Con,
    EventRecord,
    SessionRecord,
    StoreError,
    TurnRecord,
    decode,
    dumps,
    fetch,
    insert,
    now,
    select_list,
    session_from_row,
    turn_from_row,
    turn_row,
)
from interviewer.store.transfer import EXPORT_FORMAT, export_csv, export_json, parse_export
from interviewer.store.writer import Writer

__all__ = [
    "DB_FILENAME",
    "EXPORT_FORMAT",
    "LATENCY_KEYS",
    "MODES",
    "STATUSES",
    "BenchRunRecord",
    "EventRecord",
    "SessionRecord",
    "Store",
    "StoreError",
    "TurnRecord",
]


T = TypeVar("T")

DB_FILENAME = "interviewer.duckdb"


# --- the store ------------------------------------------------------------------------------


class Store:
    """Sessions, turns and events in a DuckDB file; safe to share between threads.

    Write methods queue work for the writer thread and, unless ``wait=False``, return once it is
    committed. Session ids may be given as a unique prefix of at least 4 characters.
    """

    def __init__(self, path: Path, access: FileAccess) -> None:
        """Use ``Store.open``."""
        self.path = path
        self._key = str(path.resolve())
        self._access = access
        self._writer = Writer(path, access)

    @classmethod
    def open(cls, path: Path | None = None, *, wait_s: float = LOCK_WAIT_S) -> Store:
        """Open (creating or upgrading) the database; sessions left by dead processes are marked
        'interrupted'. Default path: ``user_data_dir() / "interviewer.duckdb"``.

        Other processes may use the same file meanwhile; an operation waits up to ``wait_s`` for
        them to finish theirs."""
        path = Path(path) if path is not None else user_data_dir() / DB_FILENAME
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create {path.parent}: {e.strerror}") from e
        key = str(path.resolve())
        with _registry_lock:
            if key in _open_paths:
                # A second Store would be a second writer racing the first on the same rows.
                raise StoreError(f"{path} is already open in this process; share its Store")
            _open_paths.add(key)
        access = FileAccess(path, wait_s)
        try:
            with access.use():  # fail here, not on the first write, if the file is unusable
                pass
            store = cls(path, access)
        except BaseException:
            access.close()
            with _registry_lock:
                _open_paths.discard(key)
            raise
        atexit.register(store.close)
        try:
            store.mark_interrupted_sessions()
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        """Commit what is queued, stop the writer and close the file. Idempotent."""
        if not self._writer.close():
            return
        self._access.close()
        with _registry_lock:
            _open_paths.discard(self._key)
        atexit.unregister(self.close)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing -------------------------------------------------------------------------

    def _write(self, fn: Callable[[Con], T]) -> T:
        return self._writer.write(fn)

    def _write_nowait(self, fn: Callable[[Con], Any]) -> None:
        self._writer.write_nowait(fn)

    @contextlib.contextmanager
    def _read(self) -> Iterator[Con]:
        if self._writer.closed:
            raise StoreError(f"the store for {self.path} is closed")
        with self._access.use() as cur:
            try:
                yield cur
            except duckdb.Error as e:
                raise StoreError(f"reading {self.path} failed: {str(e).splitlines()[0]}") from e

    # --- writes ---------------------------------------------------------------------------

    def create_session(
        self,
        spec: dict[str, Any],
        models: dict[str, str],
        mode: str,
        plan: dict[str, Any] | None = None,
        user_id: str = "local",
    ) -> str:
        """Start a 'running' session owned by this process; return its id (12 hex chars)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")

        def run(con: Con) -> str:
            while True:
                sid = secrets.token_hex(6)
                if not con.execute("SELECT 1 FROM sessions WHERE id = ?", [sid]).fetchone():
                    break
            at = now()
            row = {
                "id": sid, "created_at": at, "updated_at": at, "finished_at": None,
                "status": "running", "spec": dumps(spec), "models": dumps(models),
                "user_id": user_id, "mode": mode, "plan": dumps(plan), "summary": None,
                "owner_pid": os.getpid(),
            }  # fmt: skip
            insert(con, "sessions", {c: row[c] for c in SESSION_COLUMNS})
            return sid

        sid = self._write(run)
        with _registry_lock:
            _owned.add(sid)
        return sid

    def add_turn(self, session_id: str, turn: TurnRecord) -> int:
        """Append ``turn`` as the session's next one; return its idx once it is committed."""

        def run(con: Con) -> int:
            sid = resolve_session(con, session_id)
            row = con.execute(
                "SELECT coalesce(max(idx) + 1, 0) FROM turns WHERE session_id = ?", [sid]
            ).fetchone()
            idx = int(row[0]) if row else 0
            at = now()
            insert(con, "turns", {"session_id": sid, **turn_row(turn, idx, at)})
            con.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", [at, sid])
            return idx

        return self._write(run)

    def update_turn_scores(self, session_id: str, idx: int, scores: dict[str, Any]) -> None:
        """Store the scoring worker's result for one turn."""

        def run(con: Con) -> None:
            sid = resolve_session(con, session_id)
            found = con.execute(
                "UPDATE turns SET scores = ? WHERE session_id = ? AND idx = ? RETURNING idx",
                [dumps(scores), sid, idx],
            ).fetchall()
            if not found:
                raise StoreError(f"session {sid} has no turn {idx}")
            con.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", [now(), sid])

        self._write(run)

    def add_event(
        self, session_id: str, kind: str, data: dict[str, Any] | None = None, wait: bool = False
    ) -> None:
        """Log an event. By default it is queued and committed in the background."""
        ts = now()

        def run(con: Con) -> None:
            sid = resolve_session(con, session_id)
            con.execute(
                "INSERT INTO events (session_id, ts, kind, data) VALUES (?, ?, ?, ?)",
                [sid, ts, kind, dumps(data or {})],
            )

        if wait:
            self._write(run)
        else:
            self._write_nowait(run)

    def set_status(
        self, session_id: str, status: str, summary: dict[str, Any] | None = None
    ) -> None:
        """Change a session's status; ``summary`` replaces the stored one when given.

        Any status but 'running' sets ``finished_at``; 'running' (a resume) clears it and makes
        this process the owner.
        """
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")

        def run(con: Con) -> str:
            sid = resolve_session(con, session_id)
            at = now()
            running = status == "running"
            con.execute(
                "UPDATE sessions SET status = ?, updated_at = ?, finished_at = ?, "
                "summary = coalesce(?, summary), owner_pid = ? WHERE id = ?",
                [status, at, None if running else at, dumps(summary),
                 os.getpid() if running else None, sid],
            )  # fmt: skip
            return sid

        sid = self._write(run)
        with _registry_lock:
            if status == "running":
                _owned.add(sid)
            else:
                _owned.discard(sid)

    def update_plan(self, session_id: str, plan: dict[str, Any]) -> None:
        """Replace the session's plan (what a resume needs)."""

        def run(con: Con) -> None:
            sid = resolve_session(con, session_id)
            con.execute(
                "UPDATE sessions SET plan = ?, updated_at = ? WHERE id = ?",
                [dumps(plan), now(), sid],
            )

        self._write(run)

    def delete_session(self, session_id: str) -> str:
        """Delete a session with its turns and events; return the full id."""

        def run(con: Con) -> str:
            sid = resolve_session(con, session_id)
            con.execute("DELETE FROM events WHERE session_id = ?", [sid])
            con.execute("DELETE FROM turns WHERE session_id = ?", [sid])
            con.execute("DELETE FROM sessions WHERE id = ?", [sid])
            return sid

        return self._write(run)

    def mark_interrupted_sessions(self) -> list[str]:
        """Mark 'running' sessions whose owner process is gone as 'interrupted'; return their ids.

        A session owned by this process counts as live only if this process created or resumed
        it, so a pid reused after a crash (pid 1 in a container) does not keep it 'running'.
        """
        with self._read() as con:
            rows = con.execute(
                "SELECT id, owner_pid FROM sessions WHERE status = 'running'"
            ).fetchall()
        me = os.getpid()
        with _registry_lock:
            owned = set(_owned)
        dead = [
            sid
            for sid, pid in rows
            if pid is None or (sid not in owned if pid == me else not pid_alive(pid))
        ]
        if not dead:
            return []

        def run(con: Con) -> None:
            at = now()
            for sid in dead:
                con.execute(
                    "UPDATE sessions SET status = 'interrupted', finished_at = ?, updated_at = ? "
                    "WHERE id = ? AND status = 'running'",
                    [at, at, sid],
                )

        self._write(run)
        return dead

    # --- reads ----------------------------------------------------------------------------

    def resolve_id(self, session_id: str) -> str:
        """The full id for a full id or unique prefix; StoreError if none or several match."""
        with self._read() as con:
            return resolve_session(con, session_id)

    def get_session(self, session_id: str) -> SessionRecord:
        """A session with its turns, in order."""
        with self._read() as con:
            sid = resolve_session(con, session_id)
            rows = fetch(
                con, f"SELECT {select_list(SESSION_COLUMNS)} FROM sessions WHERE id = ?", [sid]
            )
            turns = fetch(
                con,
                f"SELECT {select_list(TURN_COLUMNS)} FROM turns WHERE session_id = ? ORDER BY idx",
                [sid],
            )
        if not rows:  # deleted between the two queries
            raise StoreError(f"no session {session_id}; see `interviewer sessions list`")
        record = session_from_row(rows[0], len(turns))
        record.turns = [turn_from_row(t) for t in turns]
        return record

    def get_events(self, session_id: str) -> list[EventRecord]:
        """A session's events in the order they were logged."""
        with self._read() as con:
            sid = resolve_session(con, session_id)
            rows = fetch(
                con,
                f"SELECT {select_list(EVENT_COLUMNS)} FROM events WHERE session_id = ? "
                "ORDER BY seq",
                [sid],
            )
        return [EventRecord(sid, **{c: decode(c, r[c]) for c in EVENT_COLUMNS}) for r in rows]

    def list_sessions(self, user_id: str | None = None, limit: int = 50) -> list[SessionRecord]:
        """Sessions newest first, with ``turn_count`` (``turns`` left empty)."""
        with self._read() as con:
            rows = fetch(
                con,
                f"SELECT {select_list(SESSION_COLUMNS, 's')}, "
                "(SELECT count(*) FROM turns t WHERE t.session_id = s.id) AS turn_count "
                "FROM sessions s WHERE ? IS NULL OR s.user_id = ? "
                "ORDER BY s.created_at DESC, s.id LIMIT ?",
                [user_id, user_id, limit],
            )
        return [session_from_row(r, int(r["turn_count"])) for r in rows]

    def recent_question_ids(self, user_id: str, limit_sessions: int = 5) -> set[str]:
        """Question ids asked in the user's newest ``limit_sessions`` sessions."""
        with self._read() as con:
            rows = con.execute(
                "SELECT DISTINCT t.question_id FROM turns t JOIN ("
                "  SELECT id FROM sessions WHERE user_id = ? ORDER BY created_at DESC LIMIT ?"
                ") s ON t.session_id = s.id WHERE t.question_id IS NOT NULL",
                [user_id, limit_sessions],
            ).fetchall()
        return {r[0] for r in rows}

    # --- export / import ------------------------------------------------------------------

    def export_session(self, session_id: str, fmt: Literal["json", "csv"] = "json") -> str:
        """The session as JSON (session, turns and events) or CSV (one row per turn)."""
        record = self.get_session(session_id)
        if fmt == "json":
            return export_json(record, self.get_events(record.id))
        if fmt == "csv":
            return export_csv(record)
        raise ValueError(f"fmt must be 'json' or 'csv', not {fmt!r}")

    def import_session_json(self, text: str) -> str:
        """Import a JSON export; return the new session's id.

        The exported id is kept unless this database already has it. A session exported while
        'running' comes back 'interrupted'.
        """
        doc = parse_export(text)

        def run(con: Con) -> str:
            sid = doc.exported_id
            while con.execute("SELECT 1 FROM sessions WHERE id = ?", [sid]).fetchone():
                sid = secrets.token_hex(6)
            insert(con, "sessions", {"id": sid, **doc.session})
            for turn in doc.turns:
                insert(con, "turns", {"session_id": sid, **turn})
            for event in doc.events:
                insert(con, "events", {"session_id": sid, **event})
            return sid

        return self._write(run)

    # --- benchmark runs -------------------------------------------------------------------

    def add_bench_run(
        self,
        results: dict[str, Any],
        *,
        label: str = "",
        quick: bool = False,
        out_dir: str | None = None,
        wall_s: float | None = None,
    ) -> str:
        """Store one ``interviewer bench`` results document; return the run's id (12 hex)."""
        return self._write(
            lambda con: bench_runs.insert_run(
                con, results, label=label, quick=quick, out_dir=out_dir, wall_s=wall_s
            )
        )

    def list_bench_runs(self, limit: int = 50) -> list[BenchRunRecord]:
        """Benchmark runs newest first (``results`` included: compare needs it)."""
        with self._read() as con:
            return bench_runs.list_runs(con, limit)

    def get_bench_run(self, run_id: str) -> BenchRunRecord:
        """One benchmark run by id or unique prefix (at least 4 characters)."""
        with self._read() as con:
            return bench_runs.get_run(con, run_id)


# Sessions this process created or resumed: the only 'running' rows with our pid that are live.
_owned: set[str] = set()
# Database files this process has open (resolved paths).
_open_paths: set[str] = set()
_registry_lock = threading.Lock()
