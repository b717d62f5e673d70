"""Session export (JSON, CSV) and import of a JSON export.

The JSON export carries every column of the session, its turns and events under the column
names of :mod:`interviewer.store.rows`, and the import reads them back through the same lists,
so a column added there travels both ways. The CSV has one row per turn: the turn's columns in
table order, with ``words`` as a count, ``latency`` spread over one column per key and
``scores`` flattened into dotted columns.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from interviewer.store.rows import (
    EVENT_COLUMNS,
    LATENCY_KEYS,
    SESSION_COLUMNS,
    TURN_COLUMNS,
    EventRecord,
    SessionRecord,
    StoreError,
    encode,
    from_iso,
    iso,
)

__all__ = ["EXPORT_FORMAT", "Imported", "export_csv", "export_json", "parse_export"]

EXPORT_FORMAT = "interviewer.session"
# Columns that describe this database's copy, not the session: not exported, not imported.
_LOCAL_COLUMNS = frozenset({"owner_pid"})
_SESSION_EXPORTED = tuple(c for c in SESSION_COLUMNS if c not in _LOCAL_COLUMNS)


def _iso_dates(values: dict[str, Any]) -> dict[str, Any]:
    return {k: iso(v) if k in ("created_at", "updated_at", "finished_at", "ts") else v
            for k, v in values.items()}  # fmt: skip


def export_json(record: SessionRecord, events: list[EventRecord]) -> str:
    session = _iso_dates({c: getattr(record, c) for c in _SESSION_EXPORTED})
    turns = [_iso_dates({c: getattr(t, c) for c in TURN_COLUMNS}) for t in record.turns]
    doc = {
        "format": EXPORT_FORMAT,
        "version": 1,
        "session": session,
        "turns": turns,
        "events": [_iso_dates({c: getattr(e, c) for c in EVENT_COLUMNS}) for e in events],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}", v, out)
    elif isinstance(value, list):
        out[prefix] = json.dumps(value, ensure_ascii=False)
    else:
        out[prefix] = value


def _csv_cells(column: str, value: Any) -> dict[str, Any]:
    """One turn column as its CSV cells (``scores`` is handled apart: its columns vary)."""
    if column == "words":
        return {"word_count": len(value)}
    if column == "latency":
        return {f"latency.{key}": value.get(key) for key in LATENCY_KEYS}
    if column == "created_at":
        return {column: iso(value)}
    return {column: value}


_CSV_COLUMNS: tuple[str, ...] = (
    "session_id",
    *(
        cell
        for column in TURN_COLUMNS
        if column != "scores"
        for cell in _csv_cells(column, {"words": [], "latency": {}}.get(column))
    ),
)


def export_csv(record: SessionRecord) -> str:
    rows: list[dict[str, Any]] = []
    score_cols: dict[str, None] = {}  # ordered set
    for t in record.turns:
        row: dict[str, Any] = {"session_id": record.id}
        for column in TURN_COLUMNS:
            if column != "scores":
                row |= _csv_cells(column, getattr(t, column))
        scores: dict[str, Any] = {}
        if t.scores is not None:
            _flatten("scores", t.scores, scores)
        score_cols.update(dict.fromkeys(scores))
        rows.append(row | scores)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*_CSV_COLUMNS, *score_cols], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@dataclass
class Imported:
    """An export's rows in stored form, ready to insert under a session id of our choosing."""

    exported_id: str
    session: dict[str, Any]
    turns: list[dict[str, Any]]
    events: list[dict[str, Any]]


def _stored(doc: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    return {c: encode(c, from_iso(c, doc[c])) for c in columns}


def parse_export(text: str) -> Imported:
    """Read a JSON export; a session exported while 'running' comes back 'interrupted'.

    Raises StoreError naming what is wrong when the text is not an export.
    """
    try:
        doc = json.loads(text)
        if doc.get("format") != EXPORT_FORMAT:
            raise ValueError("not an export")
        s = doc["session"]
        session = _stored(s, tuple(c for c in _SESSION_EXPORTED if c != "id"))
        if session["status"] == "running":
            session["status"] = "interrupted"
        return Imported(
            exported_id=str(s["id"]),
            session=session,
            turns=[_stored(t, TURN_COLUMNS) for t in doc["turns"]],
            events=[_stored(e, EVENT_COLUMNS) for e in doc["events"]],
        )
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise StoreError(f"not an interviewer session export ({e})") from e
