"""Interview commands as a user runs them: bank, practice --text, sessions, resume."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def run(*args: str, home: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTERVIEWER_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "interviewer", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip


def sessions(db: Path, home: Path) -> list[dict[str, Any]]:
    proc = run("sessions", "list", "--json", "--db", str(db), home=home)
    assert proc.returncode == 0, proc.stderr
    rows: list[dict[str, Any]] = json.loads(proc.stdout)
    return rows


GOOD_QUESTION = """\
id: acme.sql.dedupe
text: How would you remove duplicate customer rows in SQL while keeping the newest one?
type: technical
competency: sql
roles: [data_scientist]
levels: [junior, mid]
difficulty: 2
follow_ups:
  - What if two rows have the same timestamp?
  - How would you check the result?
key_points:
  - Use ROW_NUMBER() partitioned by the customer key, ordered by the timestamp descending
  - Keep the rows where the row number is 1
rubric:
  criteria:
    - name: correctness
      description: The query is right.
      anchors:
        1: Wrong or no query.
        3: Works but misses ties.
        5: Correct, handles ties and explains why.
"""


def test_bank_validate_ok_and_list_json(tmp_path: Path) -> None:
    proc = run("bank", "validate", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "question bank OK" in proc.stdout
    proc = run(
        "bank", "list", "--role", "data_scientist", "--type", "technical", "--json", home=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    items = json.loads(proc.stdout)
    assert len(items) >= 60
    assert all("data_scientist" in q["roles"] and q["type"] == "technical" for q in items)


def test_bank_validate_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    lines = GOOD_QUESTION.replace("difficulty: 2", "difficulty: 9").splitlines()
    # as an item of a bank file's question list: the difficulty ends up on line 8
    body = ["questions:", "  - " + lines[0], *("    " + ln for ln in lines[1:])]
    broken.write_text("\n".join(body) + "\n")
    assert body[7].strip() == "difficulty: 9"
    proc = run("bank", "validate", str(broken), home=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{broken}:8:" in proc.stderr and "difficulty" in proc.stderr


def test_bank_add_then_show(tmp_path: Path) -> None:
    q = tmp_path / "q.yaml"
    q.write_text(GOOD_QUESTION)
    proc = run("bank", "add", str(q), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = run("bank", "show", "acme.sql.dedupe", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "ROW_NUMBER" in proc.stdout
    # adding the same id again is refused, with the id named
    proc = run("bank", "add", str(q), home=tmp_path)
    assert proc.returncode == 2 and "acme.sql.dedupe" in proc.stderr


ANSWER = (
    "At my last job I noticed our churn dashboard double counted customers, so I rewrote the "
    "query with a window function and the numbers dropped by eight percent."
)


@pytest.mark.real
def test_practice_text_then_sessions(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    proc = run(
        "--llm", "embedded", "practice", "--text", "--role", "data_scientist", "--type",
        "behavioral", "--questions", "1", "--follow-ups", "0", "--db", str(db),
        home=tmp_path, stdin=f"{ANSWER}\nNo, thank you.\n",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "interviewer" in proc.stdout and "Do you have any questions" in proc.stdout
    # sentences from separate pieces are spaced ("Let's begin. Tell me", not "begin.Tell me")
    assert "Let's begin. " in proc.stdout
    assert not re.search(r"[a-z][.?!][A-Z]", proc.stdout), proc.stdout

    listing = run("sessions", "list", "--db", str(db), home=tmp_path)
    assert listing.returncode == 0 and "finished" in listing.stdout
    (only,) = sessions(db, tmp_path)
    session_id = only["id"]
    assert only["status"] == "finished" and only["turns"] >= 1
    exported = run("sessions", "export", "--db", str(db), session_id, home=tmp_path)
    doc = json.loads(exported.stdout)
    answers = [t["answer_text"] for t in doc["turns"]]
    assert ANSWER in answers
    as_csv = run(
        "sessions", "export", "--db", str(db), "--format", "csv", session_id, home=tmp_path
    )
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert any(r["answer_text"] == ANSWER for r in rows)
    shown = run("sessions", "show", "--db", str(db), session_id, home=tmp_path)
    assert "window function" in shown.stdout
    deleted = run("sessions", "delete", "--db", str(db), "-y", session_id, home=tmp_path)
    assert deleted.returncode == 0
    assert (
        "no session" in run("sessions", "show", "--db", str(db), session_id, home=tmp_path).stderr
    )


@pytest.mark.real
def test_interrupted_practice_resumes(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    # two questions, but the input ends after the first answer: the session is interrupted
    first = run(
        "--llm", "embedded", "practice", "--text", "--role", "data_scientist", "--type",
        "behavioral", "--questions", "2", "--follow-ups", "0", "--db", str(db),
        home=tmp_path, stdin=f"{ANSWER}\n",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    (only,) = sessions(db, tmp_path)
    assert only["status"] == "interrupted"
    session_id = only["id"]
    resumed = run(
        "--llm", "embedded", "resume", session_id, "--db", str(db),
        home=tmp_path, stdin="I would plan a buffer and share progress weekly.\nNo, thank you.\n",
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    doc = json.loads(run("sessions", "export", "--db", str(db), session_id, home=tmp_path).stdout)
    assert doc["session"]["status"] == "finished"
    answers = [t["answer_text"] for t in doc["turns"]]
    assert answers[0] == ANSWER
    assert "I would plan a buffer and share progress weekly." in answers


STRONG = (
    "In my last role our fraud model looked great offline but missed new fraud patterns in "
    "production. I set up drift monitoring on the input features, found that a partner had "
    "changed a field's format, and retrained with a time-based validation split. Precision "
    "recovered from 0.61 to 0.83 within two weeks. I learned to validate on recent data first."
)
WEAK = "It was fine. We did some things and it worked out."


def test_score_json_ranks_a_strong_answer_above_a_weak_one(tmp_path: Path) -> None:
    question = "Tell me about a model that did well offline but disappointed in production."
    results = {}
    for name, text in (("strong", STRONG), ("weak", WEAK)):
        answer = tmp_path / f"{name}.txt"
        answer.write_text(text)
        proc = run("score", "--question", question, "--answer-file", str(answer), "--json",
                   "--no-llm", home=tmp_path)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        assert set(doc) >= {"overall", "criteria", "strengths", "improvements", "sources"}
        for crit in doc["criteria"].values():
            assert 1 <= crit["score"] <= 5
            assert all(e == "insufficient evidence" or e in text for e in crit["evidence"])
        results[name] = doc["overall"]
    assert results["strong"] > results["weak"]


def test_score_missing_answer_file(tmp_path: Path) -> None:
    proc = run("score", "--question", "Why?", "--answer-file", str(tmp_path / "no.txt"),
               home=tmp_path)  # fmt: skip
    assert proc.returncode == 2 and "no.txt" in proc.stderr and "Traceback" not in proc.stderr
