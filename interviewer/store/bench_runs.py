"""Stored ``interviewer bench`` runs: the ``bench_runs`` table and its records.

The functions take a connection; :class:`~interviewer.store.db.Store` runs them on its writer
thread (``insert_run``) or on a read cursor (the rest), as for sessions.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from interviewer.store.rows import (
    MIN_PREFIX,
    Con,
    StoreError,
    decode,
    encode,
    fetch,
    insert,
    now,
    select_list,
)

__all__ = ["BENCH_COLUMNS", "BenchRunRecord", "get_run", "insert_run", "list_runs"]

BENCH_COLUMNS: tuple[str, ...] = (
    "id", "created_at", "label", "quick", "sections", "machine", "results", "out_dir", "wall_s",
)  # fmt: skip


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


def _record(row: Mapping[str, Any]) -> BenchRunRecord:
    record = BenchRunRecord(**{c: decode(c, row[c]) for c in BENCH_COLUMNS})
    record.quick = bool(record.quick)
    return record


def insert_run(
    con: Con,
    results: dict[str, Any],
    *,
    label: str,
    quick: bool,
    out_dir: str | None,
    wall_s: float | None,
) -> str:
    """Insert one results document; return the new run's id (12 hex characters)."""
    while True:
        rid = secrets.token_hex(6)
        if not con.execute("SELECT 1 FROM bench_runs WHERE id = ?", [rid]).fetchone():
            break
    values = {
        "id": rid,
        "created_at": now(),
        "label": label,
        "quick": quick,
        "sections": list(results.get("sections", [])),
        "machine": results.get("machine", {}),
        "results": results,
        "out_dir": out_dir,
        "wall_s": wall_s,
    }
    insert(con, "bench_runs", {c: encode(c, values[c]) for c in BENCH_COLUMNS})
    return rid


def list_runs(con: Con, limit: int) -> list[BenchRunRecord]:
    rows = fetch(
        con,
        f"SELECT {select_list(BENCH_COLUMNS)} FROM bench_runs ORDER BY created_at DESC, id LIMIT ?",
        [limit],
    )
    return [_record(r) for r in rows]


def _resolve(con: Con, run_id: str) -> str:
    """The full id for ``run_id`` or a unique prefix of one (at least 4 characters)."""
    if con.execute("SELECT 1 FROM bench_runs WHERE id = ?", [run_id]).fetchone():
        return run_id
    if len(run_id) >= MIN_PREFIX:
        rows = con.execute(
            "SELECT id FROM bench_runs WHERE starts_with(id, ?) ORDER BY id LIMIT 5", [run_id]
        ).fetchall()
        if len(rows) == 1:
            return str(rows[0][0])
        if rows:
            ids = ", ".join(r[0] for r in rows)
            raise StoreError(f"benchmark run id {run_id} is ambiguous ({ids}); give more of it")
    raise StoreError(f"no benchmark run {run_id}; see `interviewer bench list`")


def get_run(con: Con, run_id: str) -> BenchRunRecord:
    rid = _resolve(con, run_id)
    rows = fetch(con, f"SELECT {select_list(BENCH_COLUMNS)} FROM bench_runs WHERE id = ?", [rid])
    if not rows:
        raise StoreError(f"no benchmark run {run_id}; see `interviewer bench list`")
    return _record(rows[0])
