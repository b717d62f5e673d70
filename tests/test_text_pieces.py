"""Reply pieces joined for text mode and transcripts."""

from __future__ import annotations

import pytest

from interviewer.engines.fakes import FakeLLM
from interviewer.interview.bank import load_bank
from interviewer.interview.base import Answer
from interviewer.interview.followup import FollowUpPolicy
from interviewer.interview.machine import InterviewMachine
from interviewer.interview.spec import InterviewSpec
from interviewer.text import join_pieces


@pytest.mark.parametrize(
    ("pieces", "text"),
    [
        (["Thanks.", "What did you do?"], "Thanks. What did you do?"),
        (["Let's begin.", "A test shows..."], "Let's begin. A test shows..."),
        (["Good question.", "Yes!", "Next?"], "Good question. Yes! Next?"),
        # a model's tokens keep their own spacing, and decimals stay whole
        (["What", " was", " the", " 3", ".", "5", " ratio?"], "What was the 3.5 ratio?"),
        (["Hello,", "world."], "Hello, world."),
        ([], ""),
    ],
)
def test_join_pieces(pieces: list[str], text: str) -> None:
    assert join_pieces(pieces) == text


def test_machine_replies_read_as_spaced_sentences() -> None:
    bank = load_bank()
    spec = InterviewSpec.from_mapping(
        {"role": "data_scientist", "level": "mid", "type": "behavioral", "questions": 2}
    )
    machine = InterviewMachine(bank, spec, followups=FollowUpPolicy(FakeLLM()))
    said = [join_pieces(machine.start().pieces)]
    answer = "At my last job I set up a weekly review, and we cut the backlog by half in a month."
    said.append(join_pieces(machine.on_answer(Answer(answer, 5.0)).pieces))
    for text in said:
        assert ".W" not in text and ".A" not in text and ".T" not in text, text
