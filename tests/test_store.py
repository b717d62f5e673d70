"""The DuckDB store: migrations, one-writer concurrency, crash safety, export and ids."""

from __future__ import annotations

import csv
import io
import json
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from interviewer.store import LATENCY_KEYS, SCHEMA_VERSION, Store, StoreError, TurnRecord, schema

SPEC = {"role": "Backend Engineer", "company": "Acme", "level": "senior", "type": "behavioral"}
MODELS = {"stt": "whisper-small.en", "llm": "gemma3-270m"}


def make_turn(i: int, qid: str | None = None) -> TurnRecord:
    return TurnRecord(
        question_id=qid or f"q{i}",
        question_text=f"Question {i}?",
        answer_text=f"Answer {i}.",
        is_follow_up=i % 2 == 1,
        kind="follow_up" if i % 2 else "question",
        words=[{"word": "Answer", "start": 0.1 * i, "end": 0.1 * i + 0.3, "probability": 0.9}],
        audio_start=float(i),
        audio_end=i + 0.5,
        latency={"speech_end": 1.0, "endpoint": 1.2, "playback_start": None},
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "store.duckdb")
    yield s
    s.close()


def _versions(path: Path) -> list[tuple[int, object]]:
    con = duckdb.connect(str(path))
    try:
        return con.execute("SELECT version, applied_at FROM schema_version ORDER BY 1").fetchall()
    finally:
        con.close()


# --- migrations ---------------------------------------------------------------------------


def test_fresh_db_gets_all_migrations(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "new.duckdb"
    Store.open(path).close()
    assert [v for v, _ in _versions(path)] == list(range(1, SCHEMA_VERSION + 1))


def test_version_1_db_is_upgraded_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    assert schema.migrate(con, schema.MIGRATIONS[:1]) == [1]
    con.execute(
        "INSERT INTO sessions (id, created_at, updated_at, status, spec, models, mode) "
        "VALUES ('0123456789ab', now(), now(), 'running', '{}', '{}', 'demo')"
    )
    con.close()

    with Store.open(path) as store:
        rec = store.get_session("0123456789ab")
    assert [v for v, _ in _versions(path)] == list(range(1, SCHEMA_VERSION + 1))
    assert rec.owner_pid is None
    # no owner recorded: nobody can be running it any more
    assert rec.status == "interrupted"


def test_reopen_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    before = _versions(path)
    Store.open(path).close()
    assert _versions(path) == before
    con = duckdb.connect(str(path))
    assert schema.migrate(con) == []
    con.close()


def test_newer_db_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.duckdb"
    Store.open(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_version VALUES (?, now())", [SCHEMA_VERSION + 1])
    con.close()
    with pytest.raises(StoreError, match=r"newer interviewer.*upgrade") as err:
        Store.open(path)
    assert str(path) in str(err.value)


def test_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("just some notes\n")
    with pytest.raises(StoreError, match="not an interviewer database") as err:
        Store.open(path)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_second_store_in_one_process_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="already open in this process"):
        Store.open(store.path)


# --- writes and reads ---------------------------------------------------------------------


def test_turns_round_trip_with_scores_status_plan_events(store: Store) -> None:
    sid = store.create_session(SPEC, MODELS, "practice", plan={"questions": ["q0", "q1"]})
    assert len(sid) == 12
    assert [store.add_turn(sid, make_turn(i)) for i in range(3)] == [0, 1, 2]
    store.update_turn_scores(sid, 1, {"overall": 4, "criteria": {"star": 3}})
    store.update_plan(sid, {"questions": ["q0", "q1"], "next": 2})
    store.add_event(sid, "barge_in", {"at": 1.5})
    store.add_event(sid, "command", {"text": "repeat"}, wait=True)
    store.set_status(sid, "finished", summary={"overall": 3.5})

    rec = store.get_session(sid)
    assert (rec.status, rec.mode, rec.user_id, rec.spec, rec.models) == (
        "finished", "practice", "local", SPEC, MODELS,
    )  # fmt: skip
    assert rec.plan == {"questions": ["q0", "q1"], "next": 2}
    assert rec.summary == {"overall": 3.5}
    assert rec.finished_at is not None and rec.owner_pid is None
    t = rec.turns[1]
    assert (t.idx, t.question_id, t.is_follow_up, t.kind) == (1, "q1", True, "follow_up")
    assert t.words == make_turn(1).words
    assert t.scores == {"overall": 4, "criteria": {"star": 3}}
    assert list(t.latency) == list(LATENCY_KEYS)
    assert t.latency["endpoint"] == 1.2 and t.latency["stt_final"] is None
    assert [e.kind for e in store.get_events(sid)] == ["barge_in", "command"]

    with pytest.raises(StoreError, match="no turn 7"):
        store.update_turn_scores(sid, 7, {})


def test_queued_events_are_committed_by_close(tmp_path: Path) -> None:
    path = tmp_path / "ev.duckdb"
    with Store.open(path) as store:
        sid = store.create_session(SPEC, MODELS, "text")
        for i in range(20):
            store.add_event(sid, "timeout", {"n": i})
    with Store.open(path) as store:
        assert [e.data["n"] for e in store.get_events(sid)] == list(range(20))
    with pytest.raises(StoreError, match="closed"):
        store.add_event(sid, "error", {})


def test_concurrent_sessions_keep_every_turn_in_order(store: Store) -> None:
    sids = [store.create_session(SPEC, MODELS, "practice") for _ in range(3)]
    errors: list[BaseException] = []

    def interview(sid: str) -> None:
        try:
            for i in range(25):
                assert store.add_turn(sid, make_turn(i, qid=f"{sid}-{i}")) == i
                store.add_event(sid, "command", {"i": i})
                store.get_session(sid)  # reads interleaved with the other writers
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=interview, args=(sid,)) for sid in sids]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    for sid in sids:
        turns = store.get_session(sid).turns
        assert [t.idx for t in turns] == list(range(25))
        assert [t.question_id for t in turns] == [f"{sid}-{i}" for i in range(25)]


def test_threads_sharing_a_session_get_distinct_indexes(store: Store) -> None:
    sid = store.create_session(SPEC, MODELS, "web")
    got: list[int] = []
    lock = threading.Lock()

    def add() -> None:
        for i in range(10):
            idx = store.add_turn(sid, make_turn(i))
            with lock:
                got.append(idx)

    threads = [threading.Thread(target=add) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(got) == list(range(30))


# --- ids, listing, deletion ---------------------------------------------------------------


def _import_with_id(store: Store, sid: str, new_id: str) -> str:
    doc = json.loads(store.export_session(sid))
    doc["session"]["id"] = new_id
    return store.import_session_json(json.dumps(doc))


def test_session_ids_by_unique_prefix(store: Store) -> None:
    sid = store.create_session(SPEC, MODELS, "demo")
    for new_id in ("abcd00000001", "abcd00000002"):
        assert _import_with_id(store, sid, new_id) == new_id
    assert store.resolve_id("abcd00000001") == "abcd00000001"
    assert store.get_session("abcd00000002").id == "abcd00000002"
    assert store.resolve_id(sid[:4]) == sid
    with pytest.raises(StoreError, match="ambiguous"):
        store.get_session("abcd0000")
    with pytest.raises(StoreError, match=r"no session abc; see `interviewer sessions list`"):
        store.get_session("abc")  # too short to be a prefix
    with pytest.raises(StoreError, match="no session ffffffff"):
        store.add_turn("ffffffff", make_turn(0))


def test_delete_removes_turns_and_events(store: Store) -> None:
    keep = store.create_session(SPEC, MODELS, "practice")
    gone = store.create_session(SPEC, MODELS, "practice")
    for sid in (keep, gone):
        store.add_turn(sid, make_turn(0))
        store.add_event(sid, "error", {"msg": "x"}, wait=True)
    assert store.delete_session(gone[:6]) == gone
    with pytest.raises(StoreError, match=f"no session {gone}"):
        store.get_session(gone)
    assert [s.id for s in store.list_sessions()] == [keep]
    assert len(store.get_session(keep).turns) == 1 and len(store.get_events(keep)) == 1
    with store._read() as con:
        assert con.execute("SELECT count(*) FROM turns").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM events").fetchone() == (1,)


def test_list_sessions_newest_first_with_turn_counts(store: Store) -> None:
    ids = []
    for n in range(4):
        sid = store.create_session(SPEC, MODELS, "practice", user_id="ann" if n != 2 else "bob")
        for i in range(n):
            store.add_turn(sid, make_turn(i))
        ids.append(sid)
    listed = store.list_sessions()
    assert [s.id for s in listed] == ids[::-1]
    assert [s.turn_count for s in listed] == [3, 2, 1, 0]
    assert all(s.turns == [] for s in listed)
    assert [s.id for s in store.list_sessions(user_id="ann", limit=2)] == [ids[3], ids[1]]


def test_recent_question_ids_cover_the_newest_sessions(store: Store) -> None:
    for n in range(4):
        sid = store.create_session(SPEC, MODELS, "practice")
        store.add_turn(sid, make_turn(0, qid=f"s{n}"))
    other = store.create_session(SPEC, MODELS, "practice", user_id="bob")
    store.add_turn(other, make_turn(0, qid="bob-q"))
    store.add_turn(other, TurnRecord(question_text="Hello!", answer_text="", kind="greeting"))
    assert store.recent_question_ids("local", limit_sessions=2) == {"s3", "s2"}
    assert store.recent_question_ids("bob") == {"bob-q"}


def test_mark_interrupted_sessions(store: Store) -> None:
    mine = store.create_session(SPEC, MODELS, "practice")
    stale = store.create_session(SPEC, MODELS, "practice")
    dead_pid = _dead_pid()
    store._write(lambda con: con.execute("UPDATE sessions SET owner_pid = ?", [dead_pid]))
    store._write(
        lambda con: con.execute(
            "UPDATE sessions SET owner_pid = ? WHERE id = ?", [os.getpid(), mine]
        )
    )
    assert store.mark_interrupted_sessions() == [stale]
    assert store.get_session(mine).status == "running"
    assert store.get_session(stale).status == "interrupted"
    store.set_status(stale, "running")  # a resume takes it over
    assert store.mark_interrupted_sessions() == []


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# --- export / import ----------------------------------------------------------------------


def _filled_session(store: Store) -> str:
    sid = store.create_session(SPEC, MODELS, "practice", plan={"questions": ["q0", "q1", "q2"]})
    for i in range(3):
        store.add_turn(sid, make_turn(i))
    store.update_turn_scores(sid, 0, {"overall": 4, "criteria": {"star": 3, "depth": 5}})
    store.add_event(sid, "barge_in", {"at": 2.25}, wait=True)
    store.set_status(sid, "finished", summary={"overall": 4.0, "notes": "ünïcode ok"})
    return sid


def test_json_export_round_trip(store: Store, tmp_path: Path) -> None:
    sid = _filled_session(store)
    exported = store.export_session(sid[:5], "json")
    doc = json.loads(exported)
    assert doc["session"]["id"] == sid and len(doc["turns"]) == 3 and len(doc["events"]) == 1

    with Store.open(tmp_path / "other.duckdb") as other:
        assert other.import_session_json(exported) == sid
        assert other.export_session(sid, "json") == exported
    # the id is taken here, so the copy gets a new one with the same content
    copy = store.import_session_json(exported)
    assert copy != sid
    again = json.loads(store.export_session(copy))
    again["session"]["id"] = sid
    assert again == doc

    with pytest.raises(StoreError, match="not an interviewer session export"):
        store.import_session_json('{"hello": 1}')


def test_csv_export_has_one_row_per_turn(store: Store) -> None:
    sid = _filled_session(store)
    rows = list(csv.DictReader(io.StringIO(store.export_session(sid, "csv"))))
    assert len(rows) == 3
    header = list(rows[0])
    assert header[:3] == ["session_id", "idx", "created_at"]
    assert {f"latency.{k}" for k in LATENCY_KEYS} <= set(header)
    assert {"scores.overall", "scores.criteria.star", "scores.criteria.depth"} <= set(header)
    assert [r["idx"] for r in rows] == ["0", "1", "2"]
    assert rows[0]["scores.criteria.depth"] == "5" and rows[1]["scores.overall"] == ""
    assert rows[2]["answer_text"] == "Answer 2."


# --- other processes ----------------------------------------------------------------------

HELPER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from interviewer.store import Store, TurnRecord

    store = Store.open(Path(sys.argv[1]))
    sid = store.create_session({"role": "crash"}, {"llm": "m"}, "practice")
    print("session", sid, flush=True)
    if sys.argv[2] == "hold":
        time.sleep(120)
    i = 0
    while True:
        idx = store.add_turn(sid, TurnRecord(
            question_id=f"q{i}", question_text=f"Question {i}?", answer_text="x" * 500 + str(i),
            words=[{"word": "x", "start": i, "end": i + 1, "probability": 0.5}] * 20,
            latency={"speech_end": float(i)},
        ))
        print(f"turn {idx} committed", flush=True)
        i += 1
    """
)


class _Child:
    """The helper script in a subprocess, its stdout lines read with a timeout."""

    def __init__(self, tmp_path: Path, db: Path, mode: str, name: str = "helper") -> None:
        script = tmp_path / "helper.py"
        script.write_text(HELPER)
        self.stderr = (tmp_path / f"{name}.err").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, str(script), str(db), mode],
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def line(self, timeout: float = 60) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"helper printed nothing for {timeout}s (exit code {self.proc.poll()})")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.stderr.close()


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_turns_survive_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "crash.duckdb"
    child = _Child(tmp_path, db, "write")
    try:
        sid = child.line().split()[1]
        seen = [child.line() for _ in range(5)]
    finally:
        child.kill()
    assert seen == [f"turn {i} committed" for i in range(5)]

    with Store.open(db) as store:
        store.mark_interrupted_sessions()
        rec = store.get_session(sid)
    assert rec.status == "interrupted" and rec.finished_at is not None
    assert len(rec.turns) >= 5
    for i, t in enumerate(rec.turns):
        assert (t.idx, t.question_id, t.answer_text) == (i, f"q{i}", "x" * 500 + str(i))
        assert len(t.words) == 20 and t.latency["speech_end"] == float(i)


RAW_HOLDER = (
    "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
    "time.sleep(120)"
)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_process_outside_the_lock_gets_a_clear_error(tmp_path: Path) -> None:
    """The duckdb shell (or an old interviewer) keeping the file open: a clear error in time."""
    db = tmp_path / "busy.duckdb"
    Store.open(db).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", RAW_HOLDER, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "open"
        with pytest.raises(StoreError, match="another interviewer process") as err:
            Store.open(db, wait_s=0.5)
        assert f"pid {proc.pid}" in str(err.value) and str(db) in str(err.value)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    with Store.open(db) as store:  # once it is gone the file is ours again
        assert store.list_sessions() == []


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_cli_reads_and_writes_while_another_process_writes(tmp_path: Path) -> None:
    """`interviewer sessions list/show/export/delete` while an interview commits turns."""
    from typer.testing import CliRunner

    from interviewer.cli import app

    db = tmp_path / "shared.duckdb"
    child = _Child(tmp_path, db, "write")
    try:
        sid = child.line().split()[1]
        child.line()  # its first turn is in
        runner = CliRunner()
        listed = runner.invoke(app, ["sessions", "list", "--json", "--db", str(db)])
        assert listed.exit_code == 0, listed.output
        rows = json.loads(listed.stdout)
        # the writer is alive: its session stays 'running', not marked interrupted
        assert [(r["id"], r["status"]) for r in rows] == [(sid, "running")]
        assert rows[0]["turns"] >= 1
        exported = runner.invoke(app, ["sessions", "export", sid, "--db", str(db)])
        assert exported.exit_code == 0, exported.output
        assert json.loads(exported.stdout)["session"]["id"] == sid
        # a write of our own, then delete it, all while the child keeps committing
        with Store.open(db) as store:
            mine = store.create_session({"role": "cli"}, {"llm": "m"}, "practice")
            store.add_turn(mine, make_turn(0))
            store.set_status(mine, "finished")
        deleted = runner.invoke(app, ["sessions", "delete", mine, "--yes", "--db", str(db)])
        assert deleted.exit_code == 0, deleted.output
        n = int(child.line().split()[1])
        later = [child.line() for _ in range(3)]
        assert later == [f"turn {n + i} committed" for i in range(1, 4)]
    finally:
        child.kill()
    with Store.open(db) as store:
        assert [s.id for s in store.list_sessions()] == [sid]
        assert len(store.get_session(sid).turns) >= n + 4


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_two_writers_at_once_and_sigkill_of_either(tmp_path: Path) -> None:
    """Two processes commit turns into one file; killing one mid-stream leaves the other
    writing, and neither loses a committed turn."""
    db = tmp_path / "two.duckdb"
    a = _Child(tmp_path, db, "write", name="a")
    b = _Child(tmp_path, db, "write", name="b")
    try:
        sid_a = a.line().split()[1]
        sid_b = b.line().split()[1]
        seen_a = [a.line() for _ in range(5)]
        a.kill()  # possibly while it holds the lock or the file
        seen_b = [b.line() for _ in range(10)]  # b goes on: nothing is left locked
    finally:
        a.kill()
        b.kill()
    assert seen_a == [f"turn {i} committed" for i in range(5)]
    assert seen_b == [f"turn {i} committed" for i in range(10)]
    with Store.open(db) as store:
        for sid, n in ((sid_a, 5), (sid_b, 10)):
            rec = store.get_session(sid)
            assert rec.status == "interrupted"
            assert len(rec.turns) >= n
            for i, t in enumerate(rec.turns):
                assert (t.idx, t.question_id, t.answer_text) == (i, f"q{i}", "x" * 500 + str(i))
