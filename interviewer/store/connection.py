"""Opening the database file, and the checks around it: who owns a session, which id is meant.

DuckDB lets one process at a time open a file for writing, and holds that lock for as long as the
file is open. So that a server and any number of CLI commands can share one file, a process
opens it only for the duration of an operation (:class:`FileAccess`), under a cross-process lock
on a sidecar file (``<db>.lock``), and closes it again. DuckDB reports a locked or foreign file in
its own words; :func:`connect` turns those into one line that says what to do.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from interviewer.store import schema
from interviewer.store.rows import MIN_PREFIX, Con, StoreError

__all__ = ["LOCK_WAIT_S", "FileAccess", "connect", "pid_alive", "resolve_session"]

#: How long an operation waits for another process to finish with the file before giving up.
#: Each process holds it for one operation (milliseconds), so only a stuck one hits this.
LOCK_WAIT_S = 30.0


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


def _is_locked(err: duckdb.Error) -> bool:
    return "Could not set lock" in str(err)


def _open(path: Path, deadline: float) -> Con:
    """``duckdb.connect``, retried while a process outside our lock (the duckdb shell, an older
    interviewer) has the file open."""
    delay = 0.005
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.Error as e:
            if not _is_locked(e) or time.monotonic() >= deadline:
                raise _open_error(path, e) from e
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def connect(path: Path, wait_s: float = 0.0) -> Con:
    """Open the DuckDB file and bring its schema up to date; StoreError says what to do."""
    con = _open(path, time.monotonic() + wait_s)
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


def _flock(fd: int, deadline: float, path: Path) -> None:
    import fcntl

    delay = 0.001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        if time.monotonic() >= deadline:
            raise StoreError(
                f"another process has held {path} too long; it may be stuck: stop it and try again"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


def _open_fd(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        raise StoreError(f"cannot open the lock file {path}: {e.strerror}") from e


class _FileLock:
    """An exclusive ``flock`` on ``<db>.lock`` with a timeout, taken through a turnstile.

    The turnstile (``<db>.lock-queue``) is held by the one process waiting next, while it polls
    the lock; the holder must pass the turnstile to take the lock again, so a process that writes
    in a tight loop cannot starve the others: they alternate. The kernel drops both when the
    process dies, SIGKILL included, so a crash never leaves the store locked. On systems without
    ``fcntl`` DuckDB's own lock and the retry in :func:`_open` are all there is.
    """

    def __init__(self, db: Path) -> None:
        self.path = db.with_name(db.name + ".lock")
        self.queue_path = db.with_name(db.name + ".lock-queue")
        self._fd: int | None = None
        self._queue_fd: int | None = None

    def acquire(self, deadline: float) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return
        if self._fd is None:
            self._fd = _open_fd(self.path)
        if self._queue_fd is None:
            self._queue_fd = _open_fd(self.queue_path)
        _flock(self._queue_fd, deadline, self.path)
        try:
            _flock(self._fd, deadline, self.path)
        finally:
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)

    def someone_waiting(self) -> bool:
        """Whether another process is at the turnstile, waiting for the lock."""
        if self._queue_fd is None:
            return False
        import fcntl

        try:
            fcntl.flock(self._queue_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._queue_fd, fcntl.LOCK_UN)
        return False

    def release(self) -> None:
        if self._fd is None:
            return
        import fcntl

        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        for fd in (self._fd, self._queue_fd):
            if fd is not None:
                os.close(fd)
        self._fd = self._queue_fd = None


class FileAccess:
    """The database file, open only while this process is using it.

    The first user takes the cross-process lock and opens the file; each user gets a cursor of
    its own. When the last one is done the file stays open for ``linger_s`` in case more work
    follows (opening costs about 90 ms and closing, which checkpoints, 50 ms: ten times a
    write), unless another process is waiting for it: then it is closed at once (DuckDB
    checkpoints) and the lock released, so that process has its turn. A watcher thread, alive
    only while the file lingers open, notices a waiter within ``POLL_S``.

    Committed transactions are in DuckDB's write-ahead log before ``COMMIT`` returns, so a
    process killed while holding the file loses nothing committed: the next one to open it
    replays the log.
    """

    POLL_S = 0.01

    def __init__(self, path: Path, wait_s: float = LOCK_WAIT_S, linger_s: float = 2.0) -> None:
        self.path = path
        self.wait_s = wait_s
        self.linger_s = linger_s
        self._lock = _FileLock(path)
        self._mutex = threading.Lock()
        self._users = 0
        self._con: Con | None = None
        self._idle_since = 0.0
        self._watcher: threading.Thread | None = None
        self._checked = False
        #: times this process opened the file (the benchmark reads it)
        self.opens = 0

    @contextlib.contextmanager
    def use(self) -> Iterator[Con]:
        with self._mutex:
            if self._con is None:
                deadline = time.monotonic() + self.wait_s
                self._lock.acquire(deadline)
                try:
                    if self._checked:
                        self._con = _open(self.path, deadline)
                    else:
                        # Schema check and upgrade once per process, under the lock, so two
                        # processes never migrate the same file at once.
                        self._con = connect(self.path, wait_s=self.wait_s)
                        self._checked = True
                except BaseException:
                    self._lock.release()
                    raise
                self.opens += 1
            cur = self._con.cursor()
            self._users += 1
        try:
            yield cur
        finally:
            with self._mutex:
                with contextlib.suppress(duckdb.Error):
                    cur.close()
                self._users -= 1
                if self._users == 0:
                    self._idle_since = time.monotonic()
                    if self.linger_s <= 0 or self._lock.someone_waiting():
                        self._shut()
                    elif self._watcher is None:
                        self._watcher = threading.Thread(
                            target=self._watch, name="store-file-watch", daemon=True
                        )
                        self._watcher.start()

    def _watch(self) -> None:
        while True:
            time.sleep(self.POLL_S)
            with self._mutex:
                if (
                    self._con is not None
                    and self._users == 0
                    and (
                        time.monotonic() - self._idle_since >= self.linger_s
                        or self._lock.someone_waiting()
                    )
                ):
                    self._shut()
                if self._con is None:
                    # under the mutex, so a use() that reopens the file starts a new watcher
                    self._watcher = None
                    return

    def _shut(self) -> None:
        con, self._con = self._con, None
        try:
            if con is not None:
                with contextlib.suppress(duckdb.Error):
                    con.close()
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close the file and release the lock; only once no thread uses the file."""
        with self._mutex:
            if self._users == 0 and self._con is not None:
                self._shut()
            self._lock.close()
