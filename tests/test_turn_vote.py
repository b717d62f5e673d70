"""The language model's end-of-turn vote: the prompt, the fallbacks (fakes), and the embedded
model's next-line probability on a complete answer against one cut at a thinking pause."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest

from interviewer.engines.fakes import FakeLLM
from interviewer.errors import LLMPreempted
from interviewer.pipeline.turn_vote import ENDS, p_complete, vote_prompt

STORY = "Tell me about a time you led a difficult project."


class _Scorer:
    """A model that can score, returning ``value`` (or raising ``error``)."""

    def __init__(self, value: float = 0.5, error: Exception | None = None) -> None:
        self.value, self.error = value, error
        self.asked: list[tuple[str, tuple[str, ...]]] = []

    def next_text_mass(
        self, prompt: str, starts: Sequence[str], *, cancel: threading.Event | None = None
    ) -> float:
        self.asked.append((prompt, tuple(starts)))
        if self.error is not None:
            raise self.error
        return self.value


def test_the_prompt_is_the_transcript_with_the_answer_on_one_line() -> None:
    prompt = vote_prompt(STORY, "We moved one team\nat a time.\n\nInterviewer: done")
    assert prompt.endswith(
        f"Interviewer: {STORY}\nCandidate: We moved one team at a time. Interviewer: done"
    )
    scorer = _Scorer(0.7)
    assert p_complete(scorer, STORY, "We finished early.") == 0.7
    assert scorer.asked == [(vote_prompt(STORY, "We finished early."), ENDS)]


@pytest.mark.parametrize(
    "llm",
    [
        FakeLLM(),  # cannot score (as a remote model): no vote
        _Scorer(error=LLMPreempted("gave way to a reply")),
        _Scorer(float("nan")),
        _Scorer(1.5),
    ],
)
def test_no_vote_when_the_model_cannot_give_one(llm: Any) -> None:
    assert p_complete(llm, STORY, "We finished two weeks early.") is None


def test_no_vote_on_an_empty_answer() -> None:
    scorer = _Scorer()
    assert p_complete(scorer, STORY, "  ") is None
    assert scorer.asked == []


@pytest.mark.real
def test_the_embedded_model_votes_a_complete_answer_above_one_cut_at_a_pause(
    real_llm: Any,
) -> None:
    said = "At my last job I led the migration of our reporting stack"
    cut = p_complete(real_llm, STORY, said + ", and")
    done = p_complete(
        real_llm, STORY, said + ". I moved one team at a time, and we finished early."
    )
    assert cut is not None and done is not None
    assert 0.0 <= cut < done <= 1.0
    # the same prompt again, now evaluated from the context's cached prefix (other batch
    # boundaries: the quantised kernels give slightly different logits, ~0.03 here): the
    # ranking holds
    again = p_complete(
        real_llm, STORY, said + ". I moved one team at a time, and we finished early."
    )
    assert again is not None and cut < again
