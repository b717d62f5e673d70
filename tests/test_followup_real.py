"""Follow-ups from the embedded 270M model on real bank questions.

Whatever the model writes, what the policy returns must pass the validator: either the model's
proposal was fit to speak, or the rules stepped in. The assertion messages record which.
"""

from __future__ import annotations

import pytest

from interviewer.engines.base import LLM
from interviewer.interview.bank import load_bank
from interviewer.interview.followup import FollowUpPolicy, validate_follow_up

pytestmark = pytest.mark.real

CASES = [
    (
        "beh.conflict.teammate",
        "At my last job a teammate wanted to rewrite our data pipeline in Spark. I thought it was "
        "too risky, so I wrote a comparison of both options and we agreed to migrate one job "
        "first.",
    ),
    (
        "ds.stats.p_value",
        "A p-value is the probability of seeing data at least as extreme as ours if the null "
        "hypothesis is true. For a product manager I would say it measures how surprising the "
        "result would be if the change did nothing.",
    ),
    (
        "beh.failure.project",
        "I once missed the deadline for a sales dashboard because I underestimated the data "
        "cleaning. I told my manager early and we cut the scope to the two most used charts.",
    ),
]


@pytest.fixture(scope="session")
def llm(real_llm: LLM) -> LLM:
    """The session's embedded LLM (tests/conftest.py): loaded once for the whole run."""
    return real_llm


@pytest.mark.parametrize(("question_id", "answer"), CASES, ids=[c[0] for c in CASES])
def test_real_follow_up_is_valid(llm: LLM, question_id: str, answer: str) -> None:
    question = load_bank().get(question_id)
    follow_up = FollowUpPolicy(llm).propose(question, answer, [])
    where = (
        f"source={follow_up.source} text={follow_up.text!r} reason={follow_up.reason!r} "
        f"model_text={follow_up.model_text!r}"
    )
    print(where)  # shown with -rP: which path produced the follow-up
    assert follow_up.text.endswith("?"), where
    assert validate_follow_up(follow_up.text, question=question, answer=answer, asked=[]) is None, (
        where
    )
    if follow_up.source == "rule":
        assert follow_up.model_text is not None or "model failed" in follow_up.reason, where
