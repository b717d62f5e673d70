"""The store's records and how they map to table rows, column by column name.

Each table's columns are listed once here (``SESSION_COLUMNS``, ``TURN_COLUMNS``,
``EVENT_COLUMNS``), and the record dataclasses use the same names, so reading a row, writing
one, the JSON export, its import and the CSV export all follow these lists. A column's storage
type decides its conversion: JSON columns hold JSON text, timestamp columns naive UTC.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from interviewer.errors import InterviewerError
from interviewer.types import LATENCY_FIELDS

__all__ = [
    "EVENT_COLUMNS",
    "LATENCY_KEYS",
    "MIN_PREFIX",
    "MODES",
    "SESSION_COLUMNS",
    "STATUSES",
    "TURN_COLUMNS",
    "EventRecord",
    "SessionRecord",
    "StoreError",
    "TurnRecord",
]

Con = duckdb.DuckDBPyConnection

STATUSES = ("running", "finished", "interrupted", "failed")
MODES = ("demo", "practice", "text", "web")
#: Per-turn timestamps (seconds on the pipeline clock); a missing one is stored as null.
LATENCY_KEYS = LATENCY_FIELDS

SESSION_COLUMNS: tuple[str, ...] = (
    "id", "created_at", "updated_at", "finished_at", "status", "spec", "models", "user_id",
    "mode", "plan", "summary", "owner_pid",
)  # fmt: skip
TURN_COLUMNS: tuple[str, ...] = (
    "idx", "created_at", "question_id", "question_text", "is_follow_up", "kind", "answer_text",
    "words", "audio_start", "audio_end", "latency", "scores",
)  # fmt: skip
EVENT_COLUMNS: tuple[str, ...] = ("ts", "kind", "data")
#: Ids may be given as a unique prefix of at least this many characters.
MIN_PREFIX = 4

# Storage types that need converting; every other column is stored as the value itself.
JSON_COLUMNS = frozenset(
    {"spec", "models", "plan", "summary", "words", "latency", "scores", "data"}
    | {"sections", "machine", "results"}  # bench_runs
)
TIME_COLUMNS = frozenset({"created_at", "updated_at", "finished_at", "ts"})


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


# --- values -----------------------------------------------------------------------------------


def now() -> datetime:
    """The current time as stored: naive UTC."""
    # TIMESTAMP, not TIMESTAMPTZ: TIMESTAMPTZ would tie reads to the session time zone.
    return datetime.now(UTC).replace(tzinfo=None)


def naive_utc(ts: datetime) -> datetime:
    return ts if ts.tzinfo is None else ts.astimezone(UTC).replace(tzinfo=None)


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def encode(column: str, value: Any) -> Any:
    """A record's value as the column stores it."""
    if column in JSON_COLUMNS:
        return dumps(value)
    if column in TIME_COLUMNS and isinstance(value, datetime):
        return naive_utc(value)
    return value


def decode(column: str, value: Any) -> Any:
    """A stored value as the record holds it (JSON parsed, timestamps made UTC-aware)."""
    if value is None:
        return None
    if column in JSON_COLUMNS:
        return json.loads(value)
    if column in TIME_COLUMNS:
        return value.replace(tzinfo=UTC)
    return value


def iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat()


def from_iso(column: str, value: Any) -> Any:
    """An exported value back in record form (timestamps were written as ISO 8601 text)."""
    if column in TIME_COLUMNS and value is not None:
        return datetime.fromisoformat(value)
    return value


def latency(values: Mapping[str, float | None]) -> dict[str, float | None]:
    """Every latency key, None where not measured."""
    return {**{k: None for k in LATENCY_KEYS}, **values}


# --- rows -------------------------------------------------------------------------------------


def fetch(con: Con, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows as ``{column name: value}``: readers index by name, never by position."""
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def insert(con: Con, table: str, values: Mapping[str, Any]) -> None:
    """Insert one row of ``{column: value}`` (values already in stored form)."""
    cols = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    con.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(values.values()))


def select_list(columns: Sequence[str], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + c for c in columns)


def session_from_row(row: Mapping[str, Any], turn_count: int = 0) -> SessionRecord:
    return SessionRecord(**{c: decode(c, row[c]) for c in SESSION_COLUMNS}, turn_count=turn_count)


def turn_from_row(row: Mapping[str, Any]) -> TurnRecord:
    return TurnRecord(**{c: decode(c, row[c]) for c in TURN_COLUMNS})


def turn_row(turn: TurnRecord, idx: int, created_at: datetime) -> dict[str, Any]:
    """A new turn's stored values; the store assigns ``idx`` and ``created_at``."""
    values = {c: getattr(turn, c) for c in TURN_COLUMNS}
    values.update(idx=idx, created_at=created_at, latency=latency(turn.latency))
    return {c: encode(c, v) for c, v in values.items()}
