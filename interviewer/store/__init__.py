"""Durable storage for interviews: a DuckDB file with sessions, turns and events."""

from interviewer.store.bench_runs import BenchRunRecord
from interviewer.store.db import (
    LATENCY_KEYS,
    MODES,
    STATUSES,
    EventRecord,
    SessionRecord,
    Store,
    StoreError,
    TurnRecord,
)
from interviewer.store.schema import LATEST as SCHEMA_VERSION

__all__ = [
    "LATENCY_KEYS",
    "MODES",
    "SCHEMA_VERSION",
    "STATUSES",
    "BenchRunRecord",
    "EventRecord",
    "SessionRecord",
    "Store",
    "StoreError",
    "TurnRecord",
]
