"""What sharing the store between processes costs per write (docs/store.md).

    PYTHONPATH=. python scripts/bench_store.py [N]

Prints p50/p95 of ``Store.add_turn`` (a 500-character answer with 20 words): on the shipped
store, with the linger off (open and close per write), while a second process writes turns in a
tight loop, and the same transaction on one long-lived DuckDB connection (the old design) as the
baseline of the same run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from interviewer.store import Store, TurnRecord
from interviewer.store.rows import insert, now, turn_row


def turn(i: int) -> TurnRecord:
    return TurnRecord(
        question_id=f"q{i}",
        question_text="Question?",
        answer_text="x" * 500,
        words=[{"word": "x", "start": 0, "end": 1, "probability": 0.5}] * 20,
        latency={"speech_end": 1.0},
    )


def timed(n: int, fn: Callable[[int], object]) -> str:
    ts = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        ts.append(time.perf_counter() - t)
    ts.sort()
    return (
        f"p50 {statistics.median(ts) * 1000:7.1f} ms   p95 {ts[int(0.95 * n) - 1] * 1000:7.1f} ms"
    )


def main(n: int) -> None:
    db = Path(tempfile.mkdtemp()) / "bench.duckdb"
    with Store.open(db) as st:
        sid = st.create_session({}, {}, "practice")
        print("shipped (2 s linger)        ", timed(n, lambda i: st.add_turn(sid, turn(i))))
        st._access.linger_s = 0.0
        print("open + close per write      ", timed(n, lambda i: st.add_turn(sid, turn(i))))
        st._access.linger_s = 2.0
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", str(db)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "go"
    try:
        with Store.open(db) as st:
            sid = st.create_session({}, {}, "practice")
            print("shipped, another writer busy", timed(n, lambda i: st.add_turn(sid, turn(i))))
    finally:
        child.kill()
        child.wait()
    con = duckdb.connect(str(db))

    def old(i: int) -> None:
        con.execute("BEGIN TRANSACTION")
        row = con.execute(
            "SELECT coalesce(max(idx) + 1, 0) FROM turns WHERE session_id = ?", [sid]
        ).fetchone()
        idx = int(row[0]) if row else 0
        insert(con, "turns", {"session_id": sid, **turn_row(turn(i), idx, now())})
        con.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", [now(), sid])
        con.execute("COMMIT")

    print("one long-lived connection   ", timed(n, old))
    con.close()


def child(db: Path) -> None:
    with Store.open(db) as st:
        sid = st.create_session({}, {}, "practice")
        print("go", flush=True)
        i = 0
        while True:
            st.add_turn(sid, turn(i))
            i += 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(Path(sys.argv[2]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
