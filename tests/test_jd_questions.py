"""A position with no technical bank gets technical questions built from its job description:
the skills extracted, the questions built on them, the interview that says so, and the session
that resumes, scores and reports them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from interviewer.interview.bank import load_bank
from interviewer.interview.base import Answer
from interviewer.interview.followup import FollowUpPolicy
from interviewer.interview.jd_questions import (
    JD_NOTICE,
    JD_PREFIX,
    NO_BANK_NOTICE,
    jd_questions,
    with_jd_questions,
)
from interviewer.interview.jd_skills import extract_skills
from interviewer.interview.machine import InterviewMachine
from interviewer.interview.positions import GENERAL_ROLE
from interviewer.interview.selection import select_questions
from interviewer.interview.spec import InterviewSpec
from interviewer.pipeline.records import ExchangeRecord
from interviewer.report.model import build_report
from interviewer.session import new_interview, resume_interview
from interviewer.store import Store

BANK = load_bank()

MARKETING = """\
# Marketing Analyst

We are a growing online retailer looking for a Marketing Analyst to join our growth team.

## What you'll do
- Build and maintain weekly retention dashboards in Looker
- Analyse the performance of email and paid social campaigns and recommend where to spend budget
- Design and read A/B tests with the CRM team
- Present findings to the marketing leadership team every month

## What we're looking for
- 2+ years of experience with SQL and dashboarding in Looker or Tableau
- Knowledge of marketing attribution and customer segmentation
- Familiarity with Google Analytics and HubSpot
- Excellent communication skills
"""

PRODUCT = """\
Senior Product Manager, Payments

About the role
You will own the roadmap for our checkout and payments experience.

Responsibilities:
* Own the product roadmap for checkout and payments
* Run user research with merchants and turn insights into requirements
* Work with engineering and design in two-week scrum sprints
* Define success metrics for every launch and track them after release

Requirements:
* Proven experience in product discovery and prioritization
* Comfortable with Jira, Confluence and SQL for basic analysis
* Understanding of payment regulations such as PSD2 is a plus
"""

NURSE = """\
Registered Nurse - Acute Medical Ward

Key duties
1. Carry out patient assessments and develop individual care plans
2. Administer medications safely and monitor patients for side effects
3. Maintain accurate clinical documentation in Epic
4. Educate patients and families before discharge

Essential
- Current nursing registration and BLS certification
- Experience in acute care, including wound care and IV therapy
- Knowledge of infection control procedures
"""

NOTHING = "We are a friendly team in a lovely office. Apply now and join us!"


def _names(text: str) -> list[str]:
    return [s.name for s in extract_skills(text).skills]


# --------------------------------------------------------------------------- extraction


def test_skills_after_cue_phrases_keep_the_descriptions_words() -> None:
    names = _names(MARKETING)
    # "experience with SQL and dashboarding in Looker or Tableau" splits into its skills, and
    # the bare "Looker" is not listed again beside "dashboarding in Looker"
    assert names[:3] == ["SQL", "dashboarding in Looker", "Tableau"]
    assert {"marketing attribution", "customer segmentation", "Google Analytics", "HubSpot"} <= set(
        names
    )
    assert "Looker" not in names
    # "Excellent communication skills" names no skill to ask about
    assert not any("communication" in n for n in names)


def test_tools_and_bullets_of_a_product_description() -> None:
    found = extract_skills(PRODUCT)
    names = [s.name for s in found.skills]
    assert names[:2] == ["product discovery", "prioritization"]
    assert {"Jira", "Confluence", "SQL", "PSD2"} <= set(names)
    duties = [d.text for d in found.responsibilities]
    assert duties[:2] == [
        "own the product roadmap for checkout and payments",
        "run user research with merchants and turn insights into requirements",
    ]


def test_numbered_duties_and_verb_forms_of_a_nursing_description() -> None:
    found = extract_skills(NURSE)
    assert {"wound care", "IV therapy", "infection control procedures", "Epic", "BLS"} <= {
        s.name for s in found.skills
    }
    duties = {d.text: d for d in found.responsibilities}
    assert "carry out patient assessments and develop individual care plans" in duties
    assert duties["carry out patient assessments and develop individual care plans"].subject == (
        "patient assessments"
    )
    assert "administer medications safely and monitor patients for side effects" in duties
    assert {s.category for s in found.skills if s.name in ("wound care", "Epic")} == {"clinical"}


def test_prose_with_joined_cues_and_names_written_with_capitals() -> None:
    text = (
        "We need an HR generalist with knowledge of employment law and experience with HRIS "
        "systems such as Workday."
    )
    assert _names(text) == ["employment law", "HRIS systems", "Workday"]
    (first, *_) = jd_questions(text)
    assert first.text.startswith("The role asks for employment law. Tell me about a time")


def test_a_description_that_names_nothing_gives_no_questions() -> None:
    assert extract_skills(NOTHING).skills == ()
    assert jd_questions(NOTHING) == []


# --------------------------------------------------------------------------- questions


@pytest.mark.parametrize(
    ("text", "first", "mentions"),
    [
        (MARKETING, "jd.analytics.sql", ["SQL", "dashboarding in Looker", "retention dashboards"]),
        (PRODUCT, "jd.product.product_discovery", ["product discovery", "prioritization"]),
        (NURSE, "jd.clinical.epic", ["Epic", "clinical documentation"]),
    ],
)
def test_questions_name_what_the_description_asks_for(
    text: str, first: str, mentions: list[str]
) -> None:
    questions = jd_questions(text)
    assert 2 <= len(questions) <= 3
    assert questions[0].id == first
    for word in mentions:
        assert word in questions[0].text, (word, questions[0].text)
    names = {s.name for s in extract_skills(text).skills}
    duties = {d.text for d in extract_skills(text).responsibilities}
    for q in questions:
        assert q.id.startswith(JD_PREFIX) and q.type == "technical"
        assert q.roles == [GENERAL_ROLE] and len(q.key_points) == len(q.topics) >= 4
        # each question quotes something the description named, in its own words
        assert any(n in q.text for n in names | duties), q.text
        # ... and reads as one or two sentences ending in a question, not a template with gaps
        assert q.text.endswith("?") and "{" not in q.text and "  " not in q.text
        assert not re.search(r"\b(\w+) \1\b", q.text), q.text
        # the first key point and topic carry the description's words
        assert any(n in q.key_points[0] or n in q.topics[0] for n in names | duties) or (
            q.topics[0] in q.text
        ), (q.key_points[0], q.topics[0])
    assert len({q.id for q in questions}) == len(questions)


def test_the_same_description_gives_the_same_questions() -> None:
    assert jd_questions(MARKETING) == jd_questions(MARKETING)


def test_marketing_questions_read_as_written() -> None:
    first = jd_questions(MARKETING)[0]
    assert first.text == (
        "The role asks for SQL and dashboarding in Looker, and one of the duties is to build and "
        "maintain weekly retention dashboards in Looker. Walk me through how you would do that: "
        "where does the data come from, and how do you check the numbers are right?"
    )
    assert first.topics[:2] == ["your use of SQL", "where the data comes from"]


# --------------------------------------------------------------------------- the interview


def _spec(**extra: object) -> InterviewSpec:
    data: dict[str, object] = {"role": "Marketing Analyst", "seed": 1}
    data.update(extra)
    return InterviewSpec.from_mapping(data, roles=BANK.roles)


def test_spec_keeps_a_mixed_interview_when_the_description_has_questions() -> None:
    spec = _spec(job_description=MARKETING)
    assert (spec.role, spec.type, spec.position) == (GENERAL_ROLE, "mixed", "Marketing Analyst")
    assert spec.notes and "technical questions from the job description" in spec.notes
    # without a description, or with one that names nothing, it stays behavioural
    assert _spec().type == "behavioral"
    assert _spec(job_description=NOTHING).type == "behavioral"
    # a spec for a bank role is not touched
    assert with_jd_questions(BANK, InterviewSpec.from_mapping({"role": "data_scientist"})) is BANK


def test_selection_asks_the_top_description_questions_between_behavioural_ones() -> None:
    spec = _spec(job_description=MARKETING, questions=5)
    picked = select_questions(with_jd_questions(BANK, spec), spec)
    assert [q.type for q in picked] == ["behavioral", "technical"] * 2 + ["behavioral"]
    built = [q.id for q in jd_questions(MARKETING)]
    assert [q.id for q in picked if q.type == "technical"] == built[:2]
    only = _spec(job_description=MARKETING, type="technical")
    assert [q.id for q in select_questions(with_jd_questions(BANK, only), only)] == built


def test_the_interview_says_where_its_questions_come_from() -> None:
    policy = FollowUpPolicy(None, instruction_tuned=False)
    spec = _spec(job_description=MARKETING, type="technical", questions=1)
    opening = " ".join(InterviewMachine(BANK, spec, followups=policy).start().pieces)
    assert "the Marketing Analyst position" in opening and JD_NOTICE in opening
    assert "SQL" in opening  # the first question follows
    plain = " ".join(InterviewMachine(BANK, _spec(), followups=policy).start().pieces)
    assert NO_BANK_NOTICE in plain and JD_NOTICE not in plain


def test_session_with_description_questions_resumes_scores_and_reports(tmp_path: Path) -> None:
    spec = _spec(job_description=MARKETING, type="technical", questions=2)
    answer = (
        "I would pull sessions and orders from the warehouse with SQL, define retention as a "
        "repeat purchase within thirty days, and check the weekly totals against the finance "
        "numbers before sharing the Looker dashboard."
    )
    with Store.open(tmp_path / "db.duckdb") as store:
        first = new_interview(
            store=store, spec=spec, llm=None, models={}, mode="text", bank=BANK,
            instruction_tuned=False,
        )  # fmt: skip
        reply = first.machine.start()
        asked = reply.question_id
        assert asked is not None and asked.startswith(JD_PREFIX)
        exchange = ExchangeRecord(
            question="".join(reply.pieces), answer=answer, question_id=asked,
            is_follow_up=False, kind=reply.kind,
        )  # fmt: skip
        first.machine.on_answer(Answer(answer))
        first.record_exchange(exchange)
        first.finish(interrupted=True)

        # The stored spec is all the questions are built from: the bank alone has none of them.
        assert asked not in BANK
        resumed = resume_interview(
            store=store, session_id=first.session_id, llm=None, bank=BANK,
            instruction_tuned=False,
        )  # fmt: skip
        reply = resumed.machine.start()
        assert reply.question_id is not None and reply.question_id.startswith(JD_PREFIX)
        assert reply.question_id != asked
        resumed.finish(interrupted=False)

        report = build_report(store, first.session_id, bank=BANK)
        (view,) = [q for q in report.questions if q.question_id == asked]
        assert view.scores is not None and view.overall is not None

    # Re-scoring the stored session scores the answer against the same question, not a
    # look-alike from the bank.
    rescored = subprocess.run(
        [sys.executable, "-m", "interviewer", "score", first.session_id, "--no-llm", "--db",
         str(tmp_path / "db.duckdb")],
        capture_output=True, text=True, env={**os.environ, "INTERVIEWER_HOME": str(tmp_path)},
        timeout=300, check=False,
    )  # fmt: skip
    assert rescored.returncode == 0, rescored.stderr
    assert f"({asked})" in rescored.stdout


# --------------------------------------------------------------------------- the command line


@pytest.mark.real
def test_practice_text_with_a_job_description(tmp_path: Path) -> None:
    jd = tmp_path / "jd.md"
    jd.write_text(MARKETING, encoding="utf-8")
    env = {**os.environ, "INTERVIEWER_HOME": str(tmp_path)}
    answer = "I would join orders to sessions in SQL and check totals against finance."
    proc = subprocess.run(
        [sys.executable, "-m", "interviewer", "--llm", "embedded", "practice", "--text",
         "--role", "Marketing Analyst", "--jd", str(jd), "--type", "technical",
         "--questions", "1", "--follow-ups", "0", "--db", str(tmp_path / "db.duckdb")],
        input=f"{answer}\nNo, thank you.\n", capture_output=True, text=True, env=env,
        timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = " ".join(proc.stdout.split())
    assert "Marketing Analyst position" in out
    assert JD_NOTICE in out
    assert "The role asks for SQL and dashboarding in Looker" in out
    listing = subprocess.run(
        [sys.executable, "-m", "interviewer", "sessions", "list", "--json", "--db",
         str(tmp_path / "db.duckdb")],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    (only,) = json.loads(listing.stdout)
    assert only["status"] == "finished"
