"""Opening the database file, and the checks around it: who owns a session, which id is meant.

DuckDB reports a locked or foreign file in its own words; :func:`connect` turns those into one
line that says what to do.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from interviewer.store import schema
from interviewer.store.rows import MIN_PREFIX, Con, StoreError

__all__ = ["connect", "pid_alive", "resolve_session"]


def pid_alive(pid: int) -> bool:
    """Whether a process with this id is running (on POSIX; elsewhere always False)."""
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


def resolve_session(con: Con, session_id: str) -> str:
    """The full id for ``session_id`` or a unique prefix of one (at least 4 characters)."""
    if con.execute("SELECT 1 FROM sessions WHERE id = ?", [session_id]).fetchone():
        return session_id
    if len(session_id) >= MIN_PREFIX:
        rows = con.execute(
            "SELECT id FROM sessions WHERE starts_with(id, ?) ORDER BY id LIMIT 5", [session_id]
        ).fetchall()
        if len(rows) == 1:
            return str(rows[0][0])
        if rows:
            ids = ", ".join(r[0] for r in rows)
            raise StoreError(f"session id {session_id} is ambiguous ({ids}); give more of it")
    raise StoreError(f"no session {session_id}; see `interviewer sessions list`")


def connect(path: Path) -> Con:
    """Open the DuckDB file and bring its schema up to date; StoreError says what to do."""
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
    return con
