"""The interview store: sessions, turns and events in one DuckDB file.

DuckDB allows one writing process per file, so a process opens the file once and shares one
``Store`` between its interviews. Inside the process a single writer thread owns the write
connection and commits each change in its own transaction; reads run on short-lived cursors from
any thread.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import io
import json
import logging
import os
import queue
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import duckdb

from interviewer.config import user_data_dir
from interviewer.errors import InterviewerError
from interviewer.store import schema
from interviewer.types import LATENCY_FIELDS

log = logging.getLogger(__name__)

T = TypeVar("T")
Con = duckdb.DuckDBPyConnection

DB_FILENAME = "interviewer.duckdb"
STATUSES = ("running", "finished", "interrupted", "failed")
MODES = ("demo", "practice", "text", "web")
#: Per-turn timestamps (seconds on the pipeline clock); a missing one is stored as null.
LATENCY_KEYS = LATENCY_FIELDS
EXPORT_FORMAT = "interviewer.session"
_MIN_PREFIX = 4


class StoreError(InterviewerError):
    """The database cannot be opened, read or written, or a session id does not match."""


@dataclass
class TurnRecord:
    """One question and the candidate's answer to it."""

    question_text: str
    answer_text: str
    question_id: str | None = None
    is_follow_up: bool = False
    #: the interviewer reply kind that asked it (``question``, ``follow_up``, ``prompt`` ...)
    kind: str = "question"
    #: word timings: ``{"word", "start", "end", "probability"}`` each
    words: list[dict[str, Any]] = field(default_factory=list)
    #: where the answer lies in the conversation recording, in seconds
    audio_start: float | None = None
    audio_end: float | None = None
    latency: dict[str, float | None] = field(default_factory=dict)
    scores: dict[str, Any] | None = None
    #: set by the store
    idx: int = -1
    created_at: datetime | None = None


@dataclass
class EventRecord:
    """Something that happened during a session (barge-in, command, timeout, error, resume)."""

    session_id: str
    ts: datetime
    kind: str
    data: dict[str, Any]


@dataclass
class SessionRecord:
    """A session row; ``turns`` is filled by ``get_session`` only, ``turn_count`` always."""

    id: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    status: str
    spec: dict[str, Any]
    models: dict[str, str]
    user_id: str
    mode: str
    plan: dict[str, Any] | None
    summary: dict[str, Any] | None
    owner_pid: int | None
    turn_count: int = 0
    turns: list[TurnRecord] = field(default_factory=list)


# --- helpers --------------------------------------------------------------------------------


def _now() -> datetime:
    # Stored as naive UTC (TIMESTAMP): TIMESTAMPTZ would tie reads to the session time zone.
    return datetime.now(UTC).replace(tzinfo=None)


def _aware(ts: datetime | None) -> datetime | None:
    return None if ts is None else ts.replace(tzinfo=UTC)


def _naive_utc(ts: datetime) -> datetime:
    return ts if ts.tzinfo is None else ts.astimezone(UTC).replace(tzinfo=None)


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _latency(values: dict[str, float | None]) -> dict[str, float | None]:
    return {**{k: None for k in LATENCY_KEYS}, **values}


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        # os.kill would terminate the process on Windows. Treating the pid as dead is safe: DuckDB
        # lets one process write the file, so a live owner would have kept us from opening it.
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _open_error(path: Path, err: duckdb.Error) -> StoreError:
    msg = str(err)
    if "Could not set lock" in msg:
        m = re.search(r"PID (\d+)", msg)
        who = f" (pid {m.group(1)})" if m else ""
        return StoreError(
            f"another interviewer process{who} is using {path}; wait for it to finish or stop it"
        )
    if "not a valid DuckDB database" in msg:
        return StoreError(
            f"{path} is not an interviewer database; move it away or set INTERVIEWER_HOME"
        )
    return StoreError(f"cannot open {path}: {msg.splitlines()[0]}")


_SESSION_COLS = (
    "id, created_at, updated_at, finished_at, status, spec, models, user_id, mode, plan, "
    "summary, owner_pid"
)
_TURN_COLS = (
    "idx, created_at, question_id, question_text, is_follow_up, kind, answer_text, words, "
    "audio_start, audio_end, latency, scores"
)


def _session(row: tuple[Any, ...], turn_count: int = 0) -> SessionRecord:
    created, updated = _aware(row[1]), _aware(row[2])
    assert created is not None and updated is not None
    return SessionRecord(
        id=row[0],
        created_at=created,
        updated_at=updated,
        finished_at=_aware(row[3]),
        status=row[4],
        spec=_loads(row[5]),
        models=_loads(row[6]),
        user_id=row[7],
        mode=row[8],
        plan=_loads(row[9]),
        summary=_loads(row[10]),
        owner_pid=row[11],
        turn_count=turn_count,
    )


def _turn(row: tuple[Any, ...]) -> TurnRecord:
    return TurnRecord(
        idx=row[0],
        created_at=_aware(row[1]),
        question_id=row[2],
        question_text=row[3],
        is_follow_up=row[4],
        kind=row[5],
        answer_text=row[6],
        words=_loads(row[7]),
        audio_start=row[8],
        audio_end=row[9],
        latency=_loads(row[10]),
        scores=_loads(row[11]),
    )


def _resolve(con: Con, session_id: str) -> str:
    """The full id for ``session_id`` or a unique prefix of one (at least 4 characters)."""
    if con.execute("SELECT 1 FROM sessions WHERE id = ?", [session_id]).fetchone():
        return session_id
    if len(session_id) >= _MIN_PREFIX:
        rows = con.execute(
            "SELECT id FROM sessions WHERE starts_with(id, ?) ORDER BY id LIMIT 5", [session_id]
        ).fetchall()
        if len(rows) == 1:
            return str(rows[0][0])
        if rows:
            ids = ", ".join(r[0] for r in rows)
            raise StoreError(f"session id {session_id} is ambiguous ({ids}); give more of it")
    raise StoreError(f"no session {session_id}; see `interviewer sessions list`")


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}", v, out)
    elif isinstance(value, list):
        out[prefix] = json.dumps(value, ensure_ascii=False)
    else:
        out[prefix] = value


# --- the store ------------------------------------------------------------------------------

_Job = tuple[Callable[[Con], Any], "Future[Any]"]


class Store:
    """Sessions, turns and events in a DuckDB file; safe to share between threads.

    Write methods queue work for the writer thread and, unless ``wait=False``, return once it is
    committed. Session ids may be given as a unique prefix of at least 4 characters.
    """

    def __init__(self, path: Path, con: Con) -> None:
        """Use ``Store.open``."""
        self.path = path
        self._key = str(path.resolve())
        self._root = con
        self._cursor_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._closed = False
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._writer = threading.Thread(
            target=self._write_loop, args=(con.cursor(),), name="store-writer", daemon=True
        )
        self._writer.start()

    @classmethod
    def open(cls, path: Path | None = None) -> Store:
        """Open (creating or upgrading) the database; sessions left by dead processes are marked
        'interrupted'. Default path: ``user_data_dir() / "interviewer.duckdb"``."""
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
        try:
            store = cls._connect(path)
        except BaseException:
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

    @classmethod
    def _connect(cls, path: Path) -> Store:
        try:
            con = duckdb.connect(str(path))
        except duckdb.Error as e:
            raise _open_error(path, e) from e
        try:
            found = schema.db_version(con)
            if found > schema.LATEST:
                raise StoreError(
                    f"{path} was written by a newer interviewer (schema v{found}, this one knows "
                    f"v{schema.LATEST}); upgrade interviewer"
                )
            schema.migrate(con)
        except duckdb.Error as e:
            con.close()
            raise StoreError(f"cannot upgrade {path}: {str(e).splitlines()[0]}") from e
        except BaseException:
            con.close()
            raise
        return cls(path, con)

    def close(self) -> None:
        """Commit what is queued, stop the writer and close the file. Idempotent."""
        with self._state_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._writer.join()
        with self._cursor_lock:
            self._root.close()
        with _registry_lock:
            _open_paths.discard(self._key)
        atexit.unregister(self.close)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing -------------------------------------------------------------------------

    def _write_loop(self, con: Con) -> None:
        while (job := self._queue.get()) is not None:
            fn, fut = job
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                con.execute("BEGIN TRANSACTION")
                result = fn(con)
                con.execute("COMMIT")
            except duckdb.Error as e:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                first = str(e).splitlines()[0]
                fut.set_exception(StoreError(f"writing to {self.path} failed: {first}"))
            except BaseException as e:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                fut.set_exception(e)
            else:
                fut.set_result(result)
        con.close()

    def _submit(self, fn: Callable[[Con], T]) -> Future[T]:
        fut: Future[T] = Future()
        with self._state_lock:
            if self._closed:
                raise StoreError(f"the store for {self.path} is closed")
            self._queue.put((fn, fut))
        return fut

    def _write(self, fn: Callable[[Con], T]) -> T:
        return self._submit(fn).result()

    def _write_nowait(self, fn: Callable[[Con], Any]) -> None:
        def report(fut: Future[Any]) -> None:
            if (err := fut.exception()) is not None:
                log.error("store write failed: %s", err)

        self._submit(fn).add_done_callback(report)

    @contextlib.contextmanager
    def _read(self) -> Iterator[Con]:
        # A cursor is a connection of its own; creating one from the shared root is not
        # thread-safe, using it afterwards from this thread is.
        with self._cursor_lock:
            if self._closed:
                raise StoreError(f"the store for {self.path} is closed")
            cur = self._root.cursor()
        try:
            yield cur
        except duckdb.Error as e:
            raise StoreError(f"reading {self.path} failed: {str(e).splitlines()[0]}") from e
        finally:
            cur.close()

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
            now = _now()
            con.execute(
                f"INSERT INTO sessions ({_SESSION_COLS}) VALUES (?, ?, ?, NULL, 'running', ?, ?, "
                "?, ?, ?, NULL, ?)",
                [sid, now, now, _dumps(spec), _dumps(models), user_id, mode, _dumps(plan),
                 os.getpid()],
            )  # fmt: skip
            return sid

        sid = self._write(run)
        with _registry_lock:
            _owned.add(sid)
        return sid

    def add_turn(self, session_id: str, turn: TurnRecord) -> int:
        """Append ``turn`` as the session's next one; return its idx once it is committed."""

        def run(con: Con) -> int:
            sid = _resolve(con, session_id)
            row = con.execute(
                "SELECT coalesce(max(idx) + 1, 0) FROM turns WHERE session_id = ?", [sid]
            ).fetchone()
            idx = int(row[0]) if row else 0
            now = _now()
            con.execute(
                f"INSERT INTO turns (session_id, {_TURN_COLS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [sid, idx, now, turn.question_id, turn.question_text, turn.is_follow_up,
                 turn.kind, turn.answer_text, _dumps(turn.words), turn.audio_start,
                 turn.audio_end, _dumps(_latency(turn.latency)), _dumps(turn.scores)],
            )  # fmt: skip
            con.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", [now, sid])
            return idx

        return self._write(run)

    def update_turn_scores(self, session_id: str, idx: int, scores: dict[str, Any]) -> None:
        """Store the scoring worker's result for one turn."""

        def run(con: Con) -> None:
            sid = _resolve(con, session_id)
            found = con.execute(
                "UPDATE turns SET scores = ? WHERE session_id = ? AND idx = ? RETURNING idx",
                [_dumps(scores), sid, idx],
            ).fetchall()
            if not found:
                raise StoreError(f"session {sid} has no turn {idx}")
            con.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", [_now(), sid])

        self._write(run)

    def add_event(
        self, session_id: str, kind: str, data: dict[str, Any] | None = None, wait: bool = False
    ) -> None:
        """Log an event. By default it is queued and committed in the background."""
        ts = _now()

        def run(con: Con) -> None:
            sid = _resolve(con, session_id)
            con.execute(
                "INSERT INTO events (session_id, ts, kind, data) VALUES (?, ?, ?, ?)",
                [sid, ts, kind, _dumps(data or {})],
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
            sid = _resolve(con, session_id)
            now = _now()
            running = status == "running"
            con.execute(
                "UPDATE sessions SET status = ?, updated_at = ?, finished_at = ?, "
                "summary = coalesce(?, summary), owner_pid = ? WHERE id = ?",
                [status, now, None if running else now, _dumps(summary),
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
            sid = _resolve(con, session_id)
            con.execute(
                "UPDATE sessions SET plan = ?, updated_at = ? WHERE id = ?",
                [_dumps(plan), _now(), sid],
            )

        self._write(run)

    def delete_session(self, session_id: str) -> str:
        """Delete a session with its turns and events; return the full id."""

        def run(con: Con) -> str:
            sid = _resolve(con, session_id)
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
            if pid is None or (sid not in owned if pid == me else not _pid_alive(pid))
        ]
        if not dead:
            return []

        def run(con: Con) -> None:
            now = _now()
            for sid in dead:
                con.execute(
                    "UPDATE sessions SET status = 'interrupted', finished_at = ?, updated_at = ? "
                    "WHERE id = ? AND status = 'running'",
                    [now, now, sid],
                )

        self._write(run)
        return dead

    # --- reads ----------------------------------------------------------------------------

    def resolve_id(self, session_id: str) -> str:
        """The full id for a full id or unique prefix; StoreError if none or several match."""
        with self._read() as con:
            return _resolve(con, session_id)

    def get_session(self, session_id: str) -> SessionRecord:
        """A session with its turns, in order."""
        with self._read() as con:
            sid = _resolve(con, session_id)
            row = con.execute(
                f"SELECT {_SESSION_COLS} FROM sessions WHERE id = ?", [sid]
            ).fetchone()
            turns = con.execute(
                f"SELECT {_TURN_COLS} FROM turns WHERE session_id = ? ORDER BY idx", [sid]
            ).fetchall()
        if row is None:  # deleted between the two queries
            raise StoreError(f"no session {session_id}; see `interviewer sessions list`")
        record = _session(row, len(turns))
        record.turns = [_turn(t) for t in turns]
        return record

    def get_events(self, session_id: str) -> list[EventRecord]:
        """A session's events in the order they were logged."""
        with self._read() as con:
            sid = _resolve(con, session_id)
            rows = con.execute(
                "SELECT ts, kind, data FROM events WHERE session_id = ? ORDER BY seq", [sid]
            ).fetchall()
        return [EventRecord(sid, ts.replace(tzinfo=UTC), kind, _loads(d)) for ts, kind, d in rows]

    def list_sessions(self, user_id: str | None = None, limit: int = 50) -> list[SessionRecord]:
        """Sessions newest first, with ``turn_count`` (``turns`` left empty)."""
        cols = ", ".join(f"s.{c.strip()}" for c in _SESSION_COLS.split(","))
        with self._read() as con:
            rows = con.execute(
                f"SELECT {cols}, (SELECT count(*) FROM turns t WHERE t.session_id = s.id) "
                "FROM sessions s WHERE ? IS NULL OR s.user_id = ? "
                "ORDER BY s.created_at DESC, s.id LIMIT ?",
                [user_id, user_id, limit],
            ).fetchall()
        return [_session(r[:-1], int(r[-1])) for r in rows]

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
            return _export_json(record, self.get_events(record.id))
        if fmt == "csv":
            return _export_csv(record)
        raise ValueError(f"fmt must be 'json' or 'csv', not {fmt!r}")

    def import_session_json(self, text: str) -> str:
        """Import a JSON export; return the new session's id.

        The exported id is kept unless this database already has it. A session exported while
        'running' comes back 'interrupted'.
        """
        try:
            doc = json.loads(text)
            if doc.get("format") != EXPORT_FORMAT:
                raise ValueError("not an export")
            s, turns, events = doc["session"], doc["turns"], doc["events"]
            status = "interrupted" if s["status"] == "running" else s["status"]
            session_row = [
                _naive_utc(datetime.fromisoformat(s["created_at"])),
                _naive_utc(datetime.fromisoformat(s["updated_at"])),
                s["finished_at"] and _naive_utc(datetime.fromisoformat(s["finished_at"])),
                status, _dumps(s["spec"]), _dumps(s["models"]), s["user_id"], s["mode"],
                _dumps(s["plan"]), _dumps(s["summary"]),
            ]  # fmt: skip
            turn_rows = [
                [t["idx"], _naive_utc(datetime.fromisoformat(t["created_at"])), t["question_id"],
                 t["question_text"], t["is_follow_up"], t["kind"], t["answer_text"],
                 _dumps(t["words"]), t["audio_start"], t["audio_end"], _dumps(t["latency"]),
                 _dumps(t["scores"])]
                for t in turns
            ]  # fmt: skip
            event_rows = [
                [_naive_utc(datetime.fromisoformat(e["ts"])), e["kind"], _dumps(e["data"])]
                for e in events
            ]
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise StoreError(f"not an interviewer session export ({e})") from e

        def run(con: Con) -> str:
            sid = str(s["id"])
            while con.execute("SELECT 1 FROM sessions WHERE id = ?", [sid]).fetchone():
                sid = secrets.token_hex(6)
            con.execute(
                f"INSERT INTO sessions ({_SESSION_COLS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [sid, *session_row],
            )
            for t in turn_rows:
                con.execute(
                    f"INSERT INTO turns (session_id, {_TURN_COLS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [sid, *t],
                )
            for ev in event_rows:
                con.execute(
                    "INSERT INTO events (session_id, ts, kind, data) VALUES (?, ?, ?, ?)",
                    [sid, *ev],
                )
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
        sections = list(results.get("sections", []))
        machine = results.get("machine", {})

        def run(con: Con) -> str:
            while True:
                rid = secrets.token_hex(6)
                if not con.execute("SELECT 1 FROM bench_runs WHERE id = ?", [rid]).fetchone():
                    break
            con.execute(
                f"INSERT INTO bench_runs ({_BENCH_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [rid, _now(), label, quick, _dumps(sections), _dumps(machine), _dumps(results),
                 out_dir, wall_s],
            )  # fmt: skip
            return rid

        return self._write(run)

    def list_bench_runs(self, limit: int = 50) -> list[BenchRunRecord]:
        """Benchmark runs newest first (``results`` included: compare needs it)."""
        with self._read() as con:
            rows = con.execute(
                f"SELECT {_BENCH_COLS} FROM bench_runs ORDER BY created_at DESC, id LIMIT ?",
                [limit],
            ).fetchall()
        return [_bench_run(r) for r in rows]

    def get_bench_run(self, run_id: str) -> BenchRunRecord:
        """One benchmark run by id or unique prefix (at least 4 characters)."""
        with self._read() as con:
            rid = _resolve_bench(con, run_id)
            row = con.execute(
                f"SELECT {_BENCH_COLS} FROM bench_runs WHERE id = ?", [rid]
            ).fetchone()
        if row is None:
            raise StoreError(f"no benchmark run {run_id}; see `interviewer bench list`")
        return _bench_run(row)


# Sessions this process created or resumed: the only 'running' rows with our pid that are live.
_owned: set[str] = set()
# Database files this process has open (resolved paths).
_open_paths: set[str] = set()
_registry_lock = threading.Lock()


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat()


def _export_json(record: SessionRecord, events: list[EventRecord]) -> str:
    session = asdict(record)
    for key in ("turns", "turn_count", "owner_pid"):
        session.pop(key)
    for key in ("created_at", "updated_at", "finished_at"):
        session[key] = _iso(session[key])
    turns = []
    for t in record.turns:
        d = asdict(t)
        d["created_at"] = _iso(t.created_at)
        turns.append(d)
    doc = {
        "format": EXPORT_FORMAT,
        "version": 1,
        "session": session,
        "turns": turns,
        "events": [{"ts": _iso(e.ts), "kind": e.kind, "data": e.data} for e in events],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


def _export_csv(record: SessionRecord) -> str:
    rows: list[dict[str, Any]] = []
    score_cols: dict[str, None] = {}  # ordered set
    for t in record.turns:
        row: dict[str, Any] = {
            "session_id": record.id,
            "idx": t.idx,
            "created_at": _iso(t.created_at),
            "question_id": t.question_id,
            "question_text": t.question_text,
            "is_follow_up": t.is_follow_up,
            "kind": t.kind,
            "answer_text": t.answer_text,
            "word_count": len(t.words),
            "audio_start": t.audio_start,
            "audio_end": t.audio_end,
        }
        for key in LATENCY_KEYS:
            row[f"latency.{key}"] = t.latency.get(key)
        scores: dict[str, Any] = {}
        if t.scores is not None:
            _flatten("scores", t.scores, scores)
        score_cols.update(dict.fromkeys(scores))
        rows.append(row | scores)
    header = [
        "session_id", "idx", "created_at", "question_id", "question_text", "is_follow_up", "kind",
        "answer_text", "word_count", "audio_start", "audio_end",
        *(f"latency.{k}" for k in LATENCY_KEYS), *score_cols,
    ]  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# --- benchmark runs -------------------------------------------------------------------------

_BENCH_COLS = "id, created_at, label, quick, sections, machine, results, out_dir, wall_s"


@dataclass
class BenchRunRecord:
    """One stored ``interviewer bench`` run; ``results`` is its whole results.json document."""

    id: str
    created_at: datetime
    label: str
    quick: bool
    sections: list[str]
    machine: dict[str, Any]
    results: dict[str, Any]
    out_dir: str | None
    wall_s: float | None


def _bench_run(row: tuple[Any, ...]) -> BenchRunRecord:
    created = _aware(row[1])
    assert created is not None
    return BenchRunRecord(
        id=row[0],
        created_at=created,
        label=row[2],
        quick=bool(row[3]),
        sections=_loads(row[4]),
        machine=_loads(row[5]),
        results=_loads(row[6]),
        out_dir=row[7],
        wall_s=row[8],
    )


def _resolve_bench(con: Con, run_id: str) -> str:
    """The full id for ``run_id`` or a unique prefix of one (at least 4 characters)."""
    if con.execute("SELECT 1 FROM bench_runs WHERE id = ?", [run_id]).fetchone():
        return run_id
    if len(run_id) >= _MIN_PREFIX:
        rows = con.execute(
            "SELECT id FROM bench_runs WHERE starts_with(id, ?) ORDER BY id LIMIT 5", [run_id]
        ).fetchall()
        if len(rows) == 1:
            return str(rows[0][0])
        if rows:
            ids = ", ".join(r[0] for r in rows)
            raise StoreError(f"benchmark run id {run_id} is ambiguous ({ids}); give more of it")
    raise StoreError(f"no benchmark run {run_id}; see `interviewer bench list`")
