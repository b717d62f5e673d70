"""The store's single writer thread: each change committed in its own transaction.

Writes from any thread are queued; the thread opens the file (under the cross-process lock of
:class:`.connection.FileAccess`) and commits what was queued meanwhile in that one opening, so
a burst of events costs one opening, not one per event. A change that fails is rolled back and
its caller gets a :class:`~interviewer.store.rows.StoreError` naming the file.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from interviewer.store.connection import FileAccess
from interviewer.store.rows import Con, StoreError

__all__ = ["Writer"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_Job = tuple[Callable[[Con], Any], "Future[Any]"]


class Writer:
    """Commits queued changes to ``path`` on one thread; :meth:`close` commits what is queued."""

    def __init__(self, path: Path, access: FileAccess) -> None:
        self.path = path
        self._access = access
        self._state_lock = threading.Lock()
        self.closed = False
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="store-writer", daemon=True)
        self._thread.start()

    def close(self) -> bool:
        """Commit what is queued and stop the thread; False if it was already closed."""
        with self._state_lock:
            if self.closed:
                return False
            self.closed = True
            self._queue.put(None)
        self._thread.join()
        return True

    def _loop(self) -> None:
        job = self._queue.get()
        while job is not None:
            batch = [job]
            try:
                with self._access.use() as con:
                    # What was queued while the file was closed goes in this one opening.
                    while batch:
                        self._run_job(con, batch.pop())
                        try:
                            nxt = self._queue.get_nowait()
                        except queue.Empty:
                            break
                        if nxt is None:
                            return
                        batch.append(nxt)
            except BaseException as e:  # the file could not be opened: fail what is waiting
                for _, fut in batch:
                    if fut.set_running_or_notify_cancel():
                        fut.set_exception(e)
            job = self._queue.get()

    def _run_job(self, con: Con, job: _Job) -> None:
        fn, fut = job
        if not fut.set_running_or_notify_cancel():
            return
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

    def submit(self, fn: Callable[[Con], T]) -> Future[T]:
        fut: Future[T] = Future()
        with self._state_lock:
            if self.closed:
                raise StoreError(f"the store for {self.path} is closed")
            self._queue.put((fn, fut))
        return fut

    def write(self, fn: Callable[[Con], T]) -> T:
        return self.submit(fn).result()

    def write_nowait(self, fn: Callable[[Con], Any]) -> None:
        def report(fut: Future[Any]) -> None:
            if (err := fut.exception()) is not None:
                log.error("store write failed: %s", err)

        self.submit(fn).add_done_callback(report)
