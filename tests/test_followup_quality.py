"""The follow-up quality set, the grounding judge and the ``followups`` bench section."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.bench.common import Progress
from interviewer.bench.followups import (
    bench_followups,
    headline_figures,
    judge_agreement,
    load_quality_set,
    summary_lines,
)
from interviewer.engines.fakes import FakeLLM
from interviewer.errors import ConfigError
from interviewer.interview.bank import Bank, load_bank
from interviewer.interview.grounding import (
    entity_mentions,
    invented_entities,
    judge_follow_up,
    star_parts_asked,
)

COST_ANSWER = (
    "At my last job, I led a project to cut our cloud costs. I profiled our data pipelines, "
    "moved cold data to cheaper storage, and we saved about thirty percent in three months."
)
AB_ANSWER = (
    "I ran an internal A/B test on our search ranking. The click-through rate dropped by two "
    "percent, so I rolled it back."
)


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank()


def test_the_set_has_at_least_sixty_labelled_follow_ups(bank: Bank) -> None:
    cases = load_quality_set(bank)
    items = [fu for c in cases for fu in c.follow_ups]
    assert len(items) >= 60
    assert all(fu.reason.strip() for fu in items)
    # both kinds, so the figures are not about one side only
    assert 0 < sum(fu.acceptable for fu in items) < len(items)
    assert sum(fu.invents for fu in items) >= 15


def test_issue_examples_invent_a_customer(bank: Bank) -> None:
    q = bank.get("beh.ownership.end_to_end")
    text = "What did you personally say to the customer when they were unhappy with your analysis?"
    assert invented_entities(text, [q.text, COST_ANSWER]) == ["customer"]
    j = judge_follow_up(text, q, COST_ANSWER)
    assert j.invents and not j.grounded and not j.relevant
    failed = bank.get("beh.innovation.failed_experiment")
    again = "What did you personally say to the customer when they were unhappy with your test?"
    assert judge_follow_up(again, failed, AB_ANSWER).invented == ("customer",)


def test_a_customer_the_candidate_named_is_not_invented(bank: Bank) -> None:
    q = bank.get("beh.customer.unhappy_customer")
    answer = "A customer complained that our export kept timing out, so I found a slow query."
    j = judge_follow_up("What did you say to the customer when they were unhappy?", q, answer)
    assert not j.invents


def test_grounded_follow_up_echoes_the_answer(bank: Bank) -> None:
    q = bank.get("beh.ownership.end_to_end")
    text = "You said you moved cold data to cheaper storage. How did you decide what was cold?"
    j = judge_follow_up(text, q, COST_ANSWER)
    assert j.grounded and j.relevant and not j.invents
    assert {"cold", "storag"} <= set(j.echoes)


def test_generic_probe_is_neither_grounded_nor_relevant(bank: Bank) -> None:
    q = bank.get("beh.ownership.end_to_end")
    j = judge_follow_up("What was the biggest project you worked on?", q, COST_ANSWER)
    assert not j.grounded and not j.relevant


def test_missing_star_part_counts_as_grounded(bank: Bank) -> None:
    q = bank.get("beh.failure.missed_deadline")
    answer = "I missed a deadline because I underestimated the cleaning. I told my manager early."
    j = judge_follow_up("Looking back, what did you learn from it?", q, answer)
    assert j.grounded and j.missing_part == "reflection"


def test_entity_mentions_numbers_names_and_nouns() -> None:
    found = entity_mentions("How did the CFO react to the three-week delay in March?")
    assert {"cfo", "three", "week", "delay", "march"} <= found
    # sentence openers and "I" are not names; "two" is too common to be a fact
    assert entity_mentions("What happens when two keys collide? I wonder.") == set()


def test_star_parts_asked() -> None:
    assert star_parts_asked("How did it turn out?") == ["result"]
    assert star_parts_asked("What did you personally do, step by step?") == ["action"]


def test_judge_agrees_with_the_hand_labels(bank: Bank) -> None:
    report = judge_agreement(load_quality_set(bank))
    # the judge's figures are only worth reporting if it mostly agrees with a person
    assert report["agreement"]["invents"] >= 0.95
    assert report["agreement"]["grounded"] >= 0.9
    assert report["agreement"]["relevant"] >= 0.9


def test_bad_set_names_the_file(tmp_path: Path, bank: Bank) -> None:
    path = tmp_path / "set.yaml"
    path.write_text("cases:\n  - question: no.such.question\n    answer: x\n    follow_ups: []\n")
    with pytest.raises(ConfigError, match=r"set\.yaml.*no\.such\.question"):
        load_quality_set(bank, path)
    path.write_text("cases: 3\n")
    with pytest.raises(ConfigError, match=r"set\.yaml: not a follow-up quality set"):
        load_quality_set(bank, path)


def test_bench_section_with_rules_and_a_model(bank: Bank) -> None:
    invented = {"follow_up": "What did the CEO say about the delay to the customer?"}
    section = bench_followups(
        FakeLLM(json_replies=[invented]), Progress(lambda line: None), bank=bank, llm_id="fake"
    )
    rules, fake = section["policies"]["rules"], section["policies"]["fake"]
    assert rules["n"] == fake["n"] >= 20
    assert rules["invents"] == 0.0 and rules["model_used"] == 0.0
    # the model's invented proposal never reaches the candidate
    assert fake["invents"] == 0.0
    assert all(row["follow_up"] != invented["follow_up"] for row in fake["rows"])
    # rules alone: every follow-up grounded, nearly all quote the candidate
    assert rules["grounded"] == 1.0 and rules["quotes_answer"] >= 0.8
    figures = headline_figures(section)
    assert figures["followups.rules.invents"] == 0.0
    assert any("| rules |" in line for line in summary_lines(section))
