"""``interviewer admin``: create-user, purge, audit, delete-candidate, through typer's runner
(and once through the real entry point, for the one-line error)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from interviewer.cli import app
from interviewer.screening import InvalidInput, NotFound, Screening
from interviewer.store import Store
from tests.screening_helpers import BANK, CHEAP, DRIFT_ANSWER, STAR_ANSWER, draft, take_interview

runner = CliRunner()


def admin(db: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["admin", *args, "--db", str(db)], input=input)


def test_create_user_bootstraps_an_organisation_and_its_admin(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    made = admin(db, "create-user", "--org", "Acme", "--email", "Boss@Acme.test", "--name",
                 "Boss", "--password-stdin", input="a long enough password\n")  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "created admin boss@acme.test" in made.output
    again = admin(db, "create-user", "--org", "Acme", "--email", "rev@acme.test",
                  "--name", "Rev", "--role", "reviewer", "--password-stdin",
                  input="another long one\n")  # fmt: skip
    assert again.exit_code == 0, again.output
    with Store.open(db) as store:
        scr = Screening(store, BANK, hasher=CHEAP)
        boss, _ = scr.login("boss@acme.test", "a long enough password", client="t")
        assert boss.role == "admin"
        assert [u.role for u in scr.users(boss)] == ["admin", "reviewer"]


def test_create_user_errors_are_clear(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    orphan = admin(db, "create-user", "--org", "Nowhere", "--email", "r@x.test", "--name", "R",
                   "--role", "reviewer", "--password-stdin", input="long enough pw\n")  # fmt: skip
    assert isinstance(orphan.exception, InvalidInput)
    assert "no organisation 'Nowhere'; create its admin first" in str(orphan.exception)
    short = admin(db, "create-user", "--org", "A", "--email", "a@x.test", "--name", "A",
                  "--password-stdin", input="short\n")  # fmt: skip
    assert isinstance(short.exception, InvalidInput) and "password" in str(short.exception)
    empty = admin(db, "create-user", "--org", "A", "--email", "a@x.test", "--name", "A",
                  "--password-stdin", input="")  # fmt: skip
    assert "no password on standard input" in str(empty.exception)
    # through the real entry point: exit 2 and one line naming the fix, no traceback
    proc = subprocess.run(
        [sys.executable, "-m", "interviewer", "admin", "create-user", "--db", str(db),
         "--org", "A", "--email", "a@x.test", "--name", "A", "--role", "owner"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--role: admin or reviewer, not 'owner'" in proc.stderr


def test_purge_audit_and_delete_candidate(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    with Store.open(db) as store:
        scr = Screening(store, BANK, hasher=CHEAP)
        boss = scr.bootstrap_admin("Acme", "boss@acme.test", "Boss", "a long enough password")
        t = scr.save_template(boss, draft(retention_days=1))
        old = scr.invite(boss, t.id, "Old", "old@x.test")
        keep = scr.invite(boss, t.id, "Keep", "keep@x.test")
        take_interview(scr, old.token, [STAR_ANSWER, DRIFT_ANSWER])
        # finished two days ago: past the template's one-day retention
        store._write(lambda con: con.execute(
            "UPDATE sessions SET finished_at = finished_at - INTERVAL 2 DAY"))  # fmt: skip
    purged = admin(db, "purge")
    assert purged.exit_code == 0, purged.output
    assert "purged session" in purged.output and "1 interview(s)" in purged.output
    assert "nothing to purge" in admin(db, "purge").output

    missing = admin(db, "delete-candidate", "nope", "--yes")
    assert isinstance(missing.exception, NotFound) and "no candidate nope" in str(missing.exception)
    refused = admin(db, "delete-candidate", keep.id, input="n\n")
    assert refused.exit_code == 1 and "nothing deleted" in refused.output
    deleted = admin(db, "delete-candidate", keep.id, "--yes")
    assert deleted.exit_code == 0 and f"deleted the data of candidate {keep.id}" in deleted.output

    log = admin(db, "audit", "--json")
    assert log.exit_code == 0, log.output
    entries = json.loads(log.output)
    actions = [(e["actor"], e["action"]) for e in entries]
    assert ("cli", "purge") in actions and ("cli", "candidate.delete") in actions
    assert ("cli", "user.create") in actions and ("cli", "org.create") in actions
    table = admin(db, "audit", "--limit", "3")
    assert table.exit_code == 0 and "candidate.delete" in table.output
