"""Free-text positions map to a role and a level; a position without a technical bank gets a
behavioural interview, never an error."""

from __future__ import annotations

import pytest

from interviewer.interview.bank import load_bank
from interviewer.interview.positions import GENERAL_ROLE, map_position
from interviewer.interview.selection import select_questions
from interviewer.interview.spec import InterviewSpec

BANK = load_bank()


@pytest.mark.parametrize(
    ("text", "role", "level"),
    [
        ("Senior Data Scientist", "data_scientist", "senior"),
        ("Machine Learning Engineer", "ml_engineer", None),
        ("ML engineer", "ml_engineer", None),
        ("Staff Software Engineer", "software_engineer", "staff"),
        ("Jr. backend engineer", "software_engineer", "junior"),
        ("Product Owner", "product_manager", None),
        ("data_scientist", "data_scientist", None),
    ],
)
def test_positions_map_to_role_and_level(text: str, role: str, level: str | None) -> None:
    position = map_position(text, BANK.roles)
    assert (position.role, position.level, position.behavioral_only) == (role, level, False)


def test_unknown_position_gets_a_behavioral_interview_and_says_so() -> None:
    position = map_position("Marketing Analyst", BANK.roles)
    assert position.role == GENERAL_ROLE and position.behavioral_only
    assert "behavioural interview" in position.note
    spec = InterviewSpec.from_mapping(
        {"role": "Marketing Analyst", "questions": 3, "seed": 1}, roles=BANK.roles
    )
    assert spec.role == GENERAL_ROLE and spec.type == "behavioral"
    assert spec.notes is not None and "Marketing Analyst" in spec.notes
    questions = select_questions(BANK, spec)
    assert len(questions) == 3 and all(q.type == "behavioral" for q in questions)


def test_spec_takes_the_level_from_the_position_unless_given() -> None:
    spec = InterviewSpec.from_mapping({"role": "Senior Data Scientist"}, roles=BANK.roles)
    assert (spec.role, spec.level, spec.type) == ("data_scientist", "senior", "mixed")
    spec = InterviewSpec.from_mapping(
        {"role": "Senior Data Scientist", "level": "junior"}, roles=BANK.roles
    )
    assert spec.level == "junior"


def test_the_greeting_names_the_position_as_written_not_the_mapped_role() -> None:
    from interviewer.interview.phrases import greeting

    analyst = InterviewSpec.from_mapping({"role": "Senior Data Analyst"}, roles=BANK.roles)
    assert (analyst.role, analyst.level, analyst.position) == (
        "data_scientist",
        "senior",
        "Data Analyst",
    )
    assert "the senior Data Analyst position" in greeting(analyst, None, 3)
    # the role's own name as written adds nothing: the greeting stays as before
    scientist = InterviewSpec.from_mapping({"role": "Senior Data Scientist"}, roles=BANK.roles)
    assert scientist.position is None
    assert "the senior data scientist position" in greeting(scientist, None, 3)
