"""Probe planning: what to ask about, and follow-ups that quote the candidate's own words."""

from __future__ import annotations

from typing import Any

import pytest

from interviewer.interview.bank import Bank, load_bank
from interviewer.interview.followup import FollowUp, FollowUpPolicy, validate_follow_up
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
    # the recogniser closed a sentence at a pause inside a list of actions: the subject holds
    assert (
        answer_clauses(
            "I told my manager early, cut the scope. And delivered the core analysis a week later."
        )[-1]
        == "I delivered the core analysis a week later"
    )


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
    assert probe.kind == "key_point" and probe.focus == "hash collisions"
    assert "hash collisions" in probe.text


def test_without_topics_no_key_point_probe_is_made_up(bank: Bank) -> None:
    # Every shipped question has topics; the user's own questions may have none.
    q = bank.get("ds.stats.type_errors_power").model_copy(update={"topics": []})
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


class _SlowLLM:
    """A fake model whose JSON answer takes ``delay`` seconds."""

    def __init__(self, reply: str, delay: float) -> None:
        from interviewer.engines.fakes import FakeLLM

        self._fake = FakeLLM(json_replies=[{"follow_up": reply}])
        self.delay = delay
        self.model_id = "slow-fake"

    def complete_json(self, prompt, schema, **kw):  # type: ignore[no-untyped-def]
        import time

        time.sleep(self.delay)
        return self._fake.complete_json(prompt, schema, **kw)


GOOD = "You said you moved cold data to cheaper storage. How did you decide what counted as cold?"


def _compose(
    bank: Bank, llm: Any, wait_s: float, bridge_wait_s: float
) -> tuple[list[str], list[FollowUp]]:
    q = bank.get("beh.ownership.end_to_end")
    policy = FollowUpPolicy(llm, wait_s=wait_s, bridge_wait_s=bridge_wait_s)
    done: list[FollowUp] = []
    pieces = list(policy.compose(q, COST_ANSWER, [], done.append))
    return pieces, done


def test_compose_speaks_a_ready_model_follow_up_after_the_acknowledgement(bank: Bank) -> None:
    q = bank.get("beh.ownership.end_to_end")
    fast: Any = _SlowLLM(GOOD, 0.0)
    done: list[FollowUp] = []
    policy = FollowUpPolicy(fast, wait_s=2.0)
    pieces = list(policy.compose(q, COST_ANSWER, [], done.append, ack="Thanks."))
    assert pieces == ["Thanks.", GOOD]
    assert done[0].source == "llm" and done[0].text == GOOD and done[0].lead_in == "Thanks."


def test_compose_without_a_quote_acknowledges_first(bank: Bank) -> None:
    q = bank.get("swe.ds.hash_map")
    good = "What happens when two keys land in the same bucket?"
    fast: Any = _SlowLLM(good, 0.0)
    policy = FollowUpPolicy(fast, wait_s=2.0)
    done: list[FollowUp] = []
    pieces = list(policy.compose(q, "Hashing.", [], done.append, ack="Thanks."))
    assert pieces == ["Thanks.", good]
    assert done[0].lead_in == "Thanks." and done[0].text == good


def test_typed_answers_wait_for_the_model(bank: Bank) -> None:
    q = bank.get("beh.ownership.end_to_end")
    slow: Any = _SlowLLM(GOOD, 0.3)
    policy = FollowUpPolicy(slow, wait_s=None)
    done: list[FollowUp] = []
    pieces = list(policy.compose(q, COST_ANSWER, [], done.append, ack="Thanks."))
    assert pieces == ["Thanks.", GOOD] and done[0].source == "llm"


def test_compose_bridges_a_slow_model_with_the_candidates_words(bank: Bank) -> None:
    pieces, done = _compose(bank, _SlowLLM(GOOD, 0.4), wait_s=0.05, bridge_wait_s=3.0)
    # the quote comes first, at once; the model's question follows it
    assert pieces[0] == "You said you saved about thirty percent in three months."
    assert pieces[1] == "How did you decide what counted as cold?"
    assert done[0].source == "llm" and "after the quote" in done[0].reason
    assert done[0].text == " ".join(pieces)


def test_compose_falls_back_to_the_template_when_the_model_is_too_slow(bank: Bank) -> None:
    pieces, done = _compose(bank, _SlowLLM(GOOD, 1.0), wait_s=0.05, bridge_wait_s=0.05)
    assert pieces == [
        "You said you saved about thirty percent in three months.",
        "How did you measure that?",
    ]
    assert done[0].source == "rule" and "model not ready" in done[0].reason
    assert done[0].text == " ".join(pieces)


def test_compose_without_a_quote_waits_once_then_asks(bank: Bank) -> None:
    q = bank.get("swe.ds.hash_map")
    answer = "Hashing."  # nothing to quote
    slow: Any = _SlowLLM(GOOD, 1.0)
    policy = FollowUpPolicy(slow, wait_s=0.05)
    done: list[FollowUp] = []
    pieces = list(policy.compose(q, answer, [], done.append))
    assert len(pieces) == 1 and done[0].source == "rule" and pieces[0] == done[0].text
