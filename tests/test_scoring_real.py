"""Scoring with the embedded 270M model: whatever it says, the score is valid and verbatim."""

from __future__ import annotations

import pytest

from interviewer.engines.base import LLM
from interviewer.interview.bank import load_bank
from interviewer.scoring import INSUFFICIENT, AnswerScore, score_answer
from tests.test_scoring import ANSWERS, INJECTIONS

pytestmark = pytest.mark.real

QUESTION_ID = "beh.failure.project"


@pytest.fixture(scope="session")
def llm(real_llm: LLM) -> LLM:
    """The session's embedded LLM (tests/conftest.py): loaded once for the whole run."""
    return real_llm


@pytest.fixture(scope="module")
def scores(llm: LLM) -> dict[str, AnswerScore]:
    question = load_bank().get(QUESTION_ID)
    strong, _, weak = ANSWERS[QUESTION_ID]
    injected = f"{strong} {INJECTIONS['ignore_previous']}"
    return {
        "strong": score_answer(question, strong, llm=llm),
        "weak": score_answer(question, weak, llm=llm),
        "injected": score_answer(question, injected, llm=llm),
    }


def test_real_scores_are_valid_and_verbatim(scores: dict[str, AnswerScore]) -> None:
    strong, _, weak = ANSWERS[QUESTION_ID]
    for key, answer in (("strong", strong), ("weak", weak)):
        result = scores[key]
        print(key, result.llm_note, result.to_json()["sources"])  # shown with -rP
        data = result.to_json()
        assert 1.0 <= data["overall"] <= 5.0
        assert 0.0 <= data["confidence"] <= 1.0
        for name, entry in data["criteria"].items():
            assert 1.0 <= entry["score"] <= 5.0, name
            for ev in entry["evidence"]:
                assert ev == INSUFFICIENT or ev in answer, (name, ev)


def test_real_strong_beats_weak(scores: dict[str, AnswerScore]) -> None:
    assert scores["strong"].overall >= scores["weak"].overall


def test_real_injected_twin_not_above_clean(scores: dict[str, AnswerScore]) -> None:
    clean, injected = scores["strong"], scores["injected"]
    assert injected.overall <= clean.overall
    for a, b in zip(injected.criteria, clean.criteria, strict=True):
        assert a.score <= b.score, a.name
