"""Benchmark runs in the DuckDB store: migration 3, add / list / get with id prefixes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from interviewer.store import SCHEMA_VERSION, Store, StoreError, schema


def _results(label: str, p50: float) -> dict:
    return {
        "format": "interviewer.bench",
        "sections": ["vad", "e2e"],
        "machine": {"cpu": "test cpu", "devices": {"vad": "cpu"}},
        "e2e": {"streaming_p50_ms": p50, "p50_ratio": 0.25},
        "label": label,
    }


def test_v2_database_gains_bench_runs_keeping_its_sessions(tmp_path: Path) -> None:
    path = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(path))
    assert schema.migrate(con, schema.MIGRATIONS[:2]) == [1, 2]
    con.execute(
        "INSERT INTO sessions (id, created_at, updated_at, status, spec, models, mode) "
        "VALUES ('0123456789ab', now(), now(), 'finished', '{}', '{}', 'demo')"
    )
    con.close()
    with Store.open(path) as store:
        assert store.get_session("0123456789ab").status == "finished"
        rid = store.add_bench_run(_results("after upgrade", 600.0))
        assert store.get_bench_run(rid).label == ""
    con = duckdb.connect(str(path))
    versions = [v for (v,) in con.execute("SELECT version FROM schema_version").fetchall()]
    con.close()
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    assert SCHEMA_VERSION >= 3


def test_add_list_and_get_bench_runs(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        first = store.add_bench_run(
            _results("a", 610.0), label="baseline", quick=True, out_dir="/x", wall_s=120.5
        )
        second = store.add_bench_run(_results("b", 590.0), label="gpu", quick=False)
        runs = store.list_bench_runs()
        assert [r.id for r in runs] == [second, first]  # newest first
        got = store.get_bench_run(first[:6])  # a unique prefix
        assert got.id == first
        assert got.label == "baseline"
        assert got.quick is True
        assert got.out_dir == "/x"
        assert got.wall_s == 120.5
        assert got.sections == ["vad", "e2e"]
        assert got.machine == {"cpu": "test cpu", "devices": {"vad": "cpu"}}
        assert got.results["e2e"]["streaming_p50_ms"] == 610.0
        assert store.list_bench_runs(limit=1)[0].id == second


def test_unknown_and_ambiguous_run_ids(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    con = duckdb.connect(str(path))
    for rid in ("abcd00000001", "abcd00000002"):
        con.execute(
            "INSERT INTO bench_runs (id, created_at, quick, sections, machine, results) "
            "VALUES (?, now(), false, '[]', '{}', '{}')",
            [rid],
        )
    con.close()
    with Store.open(path) as store:
        with pytest.raises(StoreError, match=r"abcd is ambiguous \(abcd00000001, abcd00000002\)"):
            store.get_bench_run("abcd")
        assert store.get_bench_run("abcd00000002").id == "abcd00000002"
        assert store.get_bench_run("abcd00000001").results == {}
        with pytest.raises(StoreError, match=r"no benchmark run zzzz.*bench list"):
            store.get_bench_run("zzzz")
        # shorter than 4 characters is never taken as a prefix
        with pytest.raises(StoreError, match="no benchmark run abc;"):
            store.get_bench_run("abc")
