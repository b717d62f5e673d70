"""Probe planning: what to ask about, and follow-ups that quote the candidate's own words."""

from __future__ import annotations

import pytest

from interviewer.interview.bank import Bank, load_bank
from interviewer.interview.followup import FollowUpPolicy, validate_follow_up
from interviewer.interview.probes import answer_clauses, plan_probes, second_person

COST_ANSWER = (
    "Sure. At my last job, I led a project to cut our cloud costs. I profiled our data "
    "pipelines, moved cold data to cheaper storage, and we saved about thirty percent in three "
    "months."
)


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank()


def test_second_person() -> None:
    assert second_person("I moved our data to my bucket") == "you moved your data to your bucket"
    assert second_person("I was on call and we're fine") == "you were on call and you're fine"


def test_clauses_carry_their_subject_and_drop_fragments() -> None:
    assert answer_clauses(COST_ANSWER) == [
        "I led a project to cut our cloud costs",
        "I profiled our data pipelines",
        "I moved cold data to cheaper storage",
        "we saved about thirty percent in three months",
    ]
    # "old and new flows" is one phrase, "two engineers" no clause
    clauses = answer_clauses(
        "I worked with a designer and two engineers, and we compared old and new flows."
    )
    assert clauses == [
        "I worked with a designer and two engineers",
        "we compared old and new flows",
    ]


def test_unexplained_number_and_decision_are_probed(bank: Bank) -> None:
    probes = plan_probes(bank.get("beh.ownership.end_to_end"), COST_ANSWER)
    assert [p.kind for p in probes[:2]] == ["number", "decision"]
    assert probes[0].text.startswith("You said you saved about thirty percent in three months.")
    assert probes[1].text.startswith("You said you moved cold data to cheaper storage.")
    assert probes[1].focus == "why you moved cold data to cheaper storage"


def test_vague_claim_is_probed(bank: Bank) -> None:
    answer = (
        "Nobody knew the goal, so I interviewed the users of the reports and it improved a lot."
    )
    probe = plan_probes(bank.get("beh.ambiguity.unclear_goal"), answer)[0]
    assert probe.kind == "vague" and probe.text.startswith("You said it improved a lot.")


def test_key_point_probe_names_the_bank_topic(bank: Bank) -> None:
    q = bank.get("swe.ds.hash_map")
    answer = "A hash map hashes the key to pick a bucket in an array. Lookups are O(1) on average."
    probe = plan_probes(q, answer)[0]
    assert probe.kind == "key_point" and probe.focus == "collisions"
    assert "collisions" in probe.text


def test_without_topics_no_key_point_probe_is_made_up(bank: Bank) -> None:
    q = bank.get("ds.stats.type_errors_power")
    assert not q.topics
    assert all(p.kind != "key_point" for p in plan_probes(q, "Type one is a false positive."))


def test_every_template_passes_the_validator(bank: Bank) -> None:
    for qid, answer in (
        ("beh.ownership.end_to_end", COST_ANSWER),
        ("swe.ds.hash_map", "A hash map hashes the key to pick a bucket in an array."),
    ):
        q = bank.get(qid)
        for probe in plan_probes(q, answer):
            assert validate_follow_up(probe.text, question=q, answer=answer) is None, probe


def test_red_flag_is_probed_first(bank: Bank) -> None:
    q = bank.get("ds.stats.p_value").model_copy(
        update={"red_flags": ["The p-value is the probability that the null hypothesis is true"]}
    )
    answer = "The p-value is the probability that the null hypothesis is true, so lower is better."
    probe = plan_probes(q, answer)[0]
    assert probe.kind == "red_flag"
    assert probe.text.startswith("You said the p-value is the probability")


def test_policy_uses_the_template_when_the_model_invents(bank: Bank) -> None:
    from interviewer.engines.fakes import FakeLLM

    q = bank.get("beh.ownership.end_to_end")
    llm = FakeLLM(json_replies=[{"follow_up": "What did you say to the customer about it?"}])
    follow_up = FollowUpPolicy(llm).propose(q, COST_ANSWER, [])
    assert follow_up.source == "rule"
    assert "brings in customer" in follow_up.reason
    assert follow_up.text.startswith("You said you saved about thirty percent")
    # the model was told what to ask about
    prompt = llm.prompts[-1]
    assert isinstance(prompt, str)
    assert "Ask about: how you measured that you saved about thirty percent" in prompt
