"""One store, many processes, as a user meets it: `interviewer serve` running, an interview
committing turns, and the CLI in another terminal; a second server on the same file."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from interviewer.store import Store
from tests.test_store import _Child

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL, flock")


class _Serve:
    """`interviewer serve` on a free loopback port, lazily loading its models."""

    def __init__(self, db: Path, env: dict[str, str], log: Path) -> None:
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "interviewer", "serve", "--host", "127.0.0.1", "--port", "0",
             "--no-browser", "--lazy", "--db", str(db)],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env,
        )  # fmt: skip
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        while True:
            try:
                line = lines.get(timeout=120)
            except queue.Empty:
                self.stop()
                pytest.fail(f"interviewer serve did not start in 120 s; see {log}")
            m = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            if m:
                self.url = m.group(1)
                return

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=30, trust_env=False)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.log.close()


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interviewer", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_cli_and_a_second_server_while_serve_runs_an_interview(tmp_path: Path) -> None:
    db = tmp_path / "interviewer.duckdb"
    env = {**os.environ, "INTERVIEWER_HOME": str(tmp_path / "home")}
    first = _Serve(db, env, tmp_path / "serve1.log")
    interview = _Child(tmp_path, db, "write")  # an interview committing turns meanwhile
    second: _Serve | None = None
    try:
        sid = interview.line().split()[1]
        interview.line()
        assert first.get("/history").status_code == 200
        # the failing command: it used to say another process is using the file
        listed = _cli(env, "sessions", "list", "--json", "--db", str(db))
        assert listed.returncode == 0, listed.stderr
        rows = json.loads(listed.stdout)
        assert [(r["id"], r["status"]) for r in rows] == [(sid, "running")]
        shown = _cli(env, "sessions", "show", sid, "--db", str(db))
        assert shown.returncode == 0 and "Question 0?" in shown.stdout, shown.stderr

        # a second server on the same file shares it
        second = _Serve(db, env, tmp_path / "serve2.log")
        assert second.get("/history").status_code == 200
        # SIGKILL of the first server: the second, the interview and the CLI go on
        first.stop(signal.SIGKILL)
        n = int(interview.line().split()[1])
        assert interview.line() == f"turn {n + 1} committed"
        assert second.get("/history").status_code == 200
        again = _cli(env, "sessions", "list", "--json", "--db", str(db))
        assert again.returncode == 0, again.stderr
    finally:
        interview.kill()
        first.stop()
        if second is not None:
            second.stop()
    with Store.open(db) as store:
        rec = store.get_session(sid)
    assert rec.status == "interrupted"  # its process was killed mid-interview
    assert len(rec.turns) >= n + 2
    assert [t.question_id for t in rec.turns] == [f"q{i}" for i in range(len(rec.turns))]
