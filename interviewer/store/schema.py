"""Schema migrations for the DuckDB store.

``MIGRATIONS`` is append-only: migration *n* (1-based) takes a database from version *n - 1* to
*n*. Never edit a released migration; add a new one, so every existing file upgrades the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import duckdb

Migration = str | Callable[[duckdb.DuckDBPyConnection], None]

# No foreign keys: DuckDB rewrites some updates of a referenced row as delete + insert, which a
# foreign key then rejects. The store keeps turns and events consistent itself (one writer, one
# transaction per change).
_V1 = """
CREATE TABLE sessions (
    id          VARCHAR PRIMARY KEY,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status      VARCHAR NOT NULL,
    spec        JSON NOT NULL,
    models      JSON NOT NULL,
    user_id     VARCHAR NOT NULL DEFAULT 'local',
    mode        VARCHAR NOT NULL,
    plan        JSON,
    summary     JSON
);
CREATE TABLE turns (
    session_id    VARCHAR NOT NULL,
    idx           INTEGER NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    question_id   VARCHAR,
    question_text VARCHAR NOT NULL,
    is_follow_up  BOOLEAN NOT NULL,
    kind          VARCHAR NOT NULL,
    answer_text   VARCHAR NOT NULL,
    words         JSON NOT NULL,
    audio_start   DOUBLE,
    audio_end     DOUBLE,
    latency       JSON NOT NULL,
    scores        JSON,
    PRIMARY KEY (session_id, idx)
);
CREATE SEQUENCE events_seq;
CREATE TABLE events (
    seq        BIGINT NOT NULL DEFAULT nextval('events_seq'),
    session_id VARCHAR NOT NULL,
    ts         TIMESTAMP NOT NULL,
    kind       VARCHAR NOT NULL,
    data       JSON NOT NULL
);
"""

# The process that runs a session, so one left 'running' by a killed process can be told apart
# from a live one (see Store.mark_interrupted_sessions).
_V2 = "ALTER TABLE sessions ADD COLUMN owner_pid INTEGER;"

# Benchmark runs (`interviewer bench`): the whole results.json is kept, so any two runs can be
# compared later; machine and label are split out for listing.
_V3 = """
CREATE TABLE bench_runs (
    id         VARCHAR PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    label      VARCHAR NOT NULL DEFAULT '',
    quick      BOOLEAN NOT NULL,
    sections   JSON NOT NULL,
    machine    JSON NOT NULL,
    results    JSON NOT NULL,
    out_dir    VARCHAR,
    wall_s     DOUBLE
);
"""

# Screening mode (docs/screening.md): organisations, accounts, versioned templates, invitations,
# reviews and the audit log. The audit log is append-only: no code path updates or deletes it
# (tests/test_screening_core.py reads the code for one). Login tokens are stored as sha256
# hashes; invitation tokens are kept as given, because the link is shown and exported again.
_V4 = """
CREATE TABLE orgs (
    id         VARCHAR PRIMARY KEY,
    name       VARCHAR NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE users (
    id            VARCHAR PRIMARY KEY,
    org_id        VARCHAR NOT NULL,
    email         VARCHAR NOT NULL UNIQUE,
    name          VARCHAR NOT NULL,
    role          VARCHAR NOT NULL,
    password_hash VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE TABLE login_tokens (
    token_hash VARCHAR PRIMARY KEY,
    user_id    VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE TABLE login_failures (
    email  VARCHAR NOT NULL,
    client VARCHAR NOT NULL,
    ts     TIMESTAMP NOT NULL
);
CREATE TABLE templates (
    id         VARCHAR NOT NULL,
    version    INTEGER NOT NULL,
    org_id     VARCHAR NOT NULL,
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    draft      JSON NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE TABLE invitations (
    id               VARCHAR PRIMARY KEY,
    token            VARCHAR NOT NULL UNIQUE,
    org_id           VARCHAR NOT NULL,
    template_id      VARCHAR NOT NULL,
    template_version INTEGER NOT NULL,
    name             VARCHAR NOT NULL,
    email            VARCHAR NOT NULL,
    created_by       VARCHAR NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    status           VARCHAR NOT NULL,
    session_id       VARCHAR,
    consented_at     TIMESTAMP,
    shortlisted      BOOLEAN NOT NULL DEFAULT false,
    tombstone        JSON
);
CREATE TABLE reviews (
    invitation_id VARCHAR NOT NULL,
    session_id    VARCHAR,
    reviewer_id   VARCHAR NOT NULL,
    overall       DOUBLE,
    notes         VARCHAR NOT NULL,
    overrides     JSON NOT NULL,
    ts            TIMESTAMP NOT NULL
);
CREATE SEQUENCE audit_seq;
CREATE TABLE audit_log (
    seq    BIGINT NOT NULL DEFAULT nextval('audit_seq') PRIMARY KEY,
    ts     TIMESTAMP NOT NULL,
    org_id VARCHAR,
    actor  VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    target VARCHAR NOT NULL,
    detail JSON NOT NULL
);
"""

MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _V3, _V4)

#: The schema version this code writes.
LATEST = len(MIGRATIONS)


def db_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of an open database (0 for an empty one)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_version'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(
    con: duckdb.DuckDBPyConnection, migrations: Sequence[Migration] = MIGRATIONS
) -> list[int]:
    """Apply the pending ``migrations`` in one transaction; return the versions applied.

    All or nothing, so a failure leaves the file at its old version. The caller checks for a
    database newer than ``migrations`` first (this raises ``ValueError`` for one).
    """
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
        )
        current = db_version(con)
        if current > len(migrations):
            raise ValueError(f"database is at schema v{current}, newer than v{len(migrations)}")
        applied: list[int] = []
        for version, step in enumerate(migrations[current:], start=current + 1):
            if isinstance(step, str):
                con.execute(step)
            else:
                step(con)
            now = datetime.now(UTC).replace(tzinfo=None)
            con.execute("INSERT INTO schema_version VALUES (?, ?)", [version, now])
            applied.append(version)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return applied
