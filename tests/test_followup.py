"""Follow-ups: the validator against bad model output, the model path and the rule fallback."""

from __future__ import annotations

import pytest

from interviewer.engines.fakes import FakeLLM
from interviewer.interview.bank import Bank, Question, load_bank
from interviewer.interview.followup import (
    FollowUpPolicy,
    content_words,
    covered_key_points,
    missing_star_parts,
    similarity,
    topic_phrase,
    validate_follow_up,
)
from interviewer.interview.prompts import (
    FEW_SHOT,
    FOLLOW_UP_SCHEMA,
    example_texts,
    follow_up_messages,
    follow_up_prompt,
)


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank()


@pytest.fixture(scope="module")
def p_value(bank: Bank) -> Question:
    return bank.get("ds.stats.p_value")


@pytest.fixture(scope="module")
def conflict(bank: Bank) -> Question:
    return bank.get("beh.conflict.teammate")


P_VALUE_ANSWER = (
    "A p-value is the probability of seeing a test statistic at least as extreme as the one we "
    "observed, assuming the null hypothesis is true. For a product manager I'd say it tells us "
    "how surprising the data would be if the change did nothing."
)
CONFLICT_ANSWER = (
    "At my last job a teammate wanted to rewrite our data pipeline in Spark. I thought it was "
    "too risky, so I wrote a short comparison of both options and we agreed to migrate one job "
    "first."
)

# --------------------------------------------------------------------------- the validator

BAD_OUTPUTS = [
    ("", "empty"),
    ("   ", "empty"),
    (FEW_SHOT[0].follow_up, "copies a few-shot example"),
    (FEW_SHOT[2].follow_up, "copies a few-shot example"),
    # the example with one noun swapped is still a copy
    (
        "You said you turned the runbook into a pipeline. How did you get the team to use it?",
        "few-shot example",
    ),
    # nobody mentioned a number or a customer: the model must not bring one in
    ("How would you explain a p-value of 0.03 to a manager?", "brings in 0.03"),
    ("What would you tell the customer about that p-value?", "brings in customer"),
    (
        "You said you rewrote the scoring code from scratch. What did you find?",
        "misquotes the candidate",
    ),
    (FEW_SHOT[1].question, "copies a few-shot example"),
    ("How would you explain it to a product manager?", "copies the question"),
    ("What is a p-value? How would you explain it to a product manager?", "more than one"),
    (
        "What is a p-value, and how would you explain it to a product manager?",
        "copies the question",
    ),
    (
        "Is a p-value the probability of seeing a test statistic at least as extreme as the one "
        "we observed?",
        "copies the candidate's answer",
    ),
    ("Tell me more about the null hypothesis you used.", "not a question"),
    ("What did you do? Why did you do it?", "asks more than one question"),
    (
        "Could you walk me through every single step of the analysis you ran, including how you "
        "chose the null hypothesis, the test statistic, the sample size and the threshold for "
        "significance in that specific test?",
        "too long",
    ),
    ("Why?", "too short"),
    ("Can you tell me more about [topic]?", "placeholder"),
    ("How did you choose the <metric> for the test?", "placeholder"),
    ("What did you learn from ___ in that test?", "placeholder"),
    ("As an AI model, I cannot ask a follow-up question here?", "AI"),
    ("What is your favourite colour of the ocean at sunset?", "off topic"),
    ("Which football team won the league championship last year?", "brings in year"),
    ("Which football team won the league championship?", "off topic"),
    ("What did the null hypothesis say about 统计 results?", "non-ASCII"),
    ("Great answer, what sample size did you use for the test?", "does not start like a question"),
    ("What what what sample size did you use for the test?", "repeats a word"),
    ("Answer: what sample size did you use for the test?", "prompt labels"),
]


@pytest.mark.parametrize(("text", "reason"), BAD_OUTPUTS)
def test_bad_model_outputs_are_rejected(p_value: Question, text: str, reason: str) -> None:
    problem = validate_follow_up(text, question=p_value, answer=P_VALUE_ANSWER, asked=[])
    assert problem is not None, text
    assert reason in problem, (text, problem)


def test_earlier_follow_up_is_not_asked_again(p_value: Question) -> None:
    asked = ["What sample size did you use, and how did it affect the p-value?"]
    problem = validate_follow_up(
        "What sample size did you use, and how did that affect your p-value?",
        question=p_value,
        answer=P_VALUE_ANSWER,
        asked=asked,
    )
    assert problem == "repeats an earlier question"


@pytest.mark.parametrize(
    "text",
    [
        "What sample size did you use, and how did it affect the p-value?",
        "How would you explain a small p-value to a manager who wants a yes or no?",
        "You said it tells us how surprising the data would be. How would you make that concrete?",
        "What did you personally do when the result was not significant?",
        "Looking back, what would you do differently?",
        "You mentioned the null hypothesis; how did you choose it?",
        # typographic quotes and dashes from a model are fine
        "What’s the difference between a p-value and the effect size – in practice?",
    ],
)
def test_good_follow_ups_are_accepted(p_value: Question, text: str) -> None:
    assert validate_follow_up(text, question=p_value, answer=P_VALUE_ANSWER) is None


def test_validator_accepts_a_plain_question_text() -> None:
    problem = validate_follow_up(
        "Which join did you use for the late orders?",
        question="How would you find customers with late orders in SQL?",
        answer="I would join orders to deliveries and filter on the date.",
        examples=[],
    )
    assert problem is None


def test_similarity_and_content_words() -> None:
    assert similarity("What did you learn?", "what did you learn") == 1.0
    assert similarity("What did you learn?", "How big is the team?") < 0.5
    assert similarity("", "anything") == 0.0
    assert content_words("The measured results were measuring things") >= {"measur", "result"}
    assert "the" not in content_words("the")


# --------------------------------------------------------------------------- the model path


def policy_with(*replies: dict[str, object]) -> tuple[FollowUpPolicy, FakeLLM]:
    llm = FakeLLM(json_replies=replies)
    return FollowUpPolicy(llm), llm


def test_valid_model_proposal_is_used(p_value: Question) -> None:
    text = "What sample size did you use, and how did it affect the p-value?"
    policy, llm = policy_with({"follow_up": text})
    follow_up = policy.propose(p_value, P_VALUE_ANSWER, [])
    assert follow_up.source == "llm"
    assert follow_up.text == text
    assert follow_up.model_text is None
    prompt = llm.prompts[-1]
    assert isinstance(prompt, str)
    # the rules chose what to probe; the model is told so
    assert prompt.endswith(
        f"Answer: {P_VALUE_ANSWER}\nAsk about: the significance level\nFollow-up: "
    )
    assert p_value.text in prompt


def test_copied_example_falls_back_to_rules(p_value: Question) -> None:
    policy, _ = policy_with({"follow_up": FEW_SHOT[3].follow_up})
    follow_up = policy.propose(p_value, P_VALUE_ANSWER, [])
    assert follow_up.source == "rule"
    assert "copies a few-shot example" in follow_up.reason
    assert follow_up.model_text == FEW_SHOT[3].follow_up
    assert validate_follow_up(follow_up.text, question=p_value, answer=P_VALUE_ANSWER) is None


def test_model_error_falls_back_to_rules(p_value: Question) -> None:
    policy, _ = policy_with()  # no scripted reply: the fake raises ModelError
    follow_up = policy.propose(p_value, P_VALUE_ANSWER, [])
    assert follow_up.source == "rule"
    assert follow_up.reason.startswith("model failed")


def test_schema_breaking_output_falls_back_to_rules(p_value: Question) -> None:
    policy, _ = policy_with({"follow_up": "How " + "very " * 40 + "long?"})
    follow_up = policy.propose(p_value, P_VALUE_ANSWER, [])
    assert follow_up.source == "rule" and "model failed" in follow_up.reason


def test_without_a_model_rules_are_used(conflict: Question) -> None:
    follow_up = FollowUpPolicy(None).propose(conflict, CONFLICT_ANSWER, [])
    assert follow_up.source == "rule" and follow_up.reason.startswith("no model")


def test_instruction_tuned_models_get_chat_messages(p_value: Question) -> None:
    llm = FakeLLM(json_replies=[{"follow_up": "What sample size did you use in that test?"}])
    FollowUpPolicy(llm, instruction_tuned=True).propose(p_value, P_VALUE_ANSWER, [])
    messages = llm.prompts[-1]
    assert not isinstance(messages, str)
    assert messages[0].role == "system"
    assert [m.role for m in messages[1:]] == ["user", "assistant"] * len(FEW_SHOT) + ["user"]
    assert P_VALUE_ANSWER in messages[-1].content


def test_prompt_shapes() -> None:
    prompt = follow_up_prompt("Q?", "word " * 400)
    assert prompt.count("Follow-up: ") == len(FEW_SHOT) + 1
    assert "... word" in prompt  # long answers keep their end
    assert len(follow_up_messages("Q?", "A.")) == 2 + 2 * len(FEW_SHOT)
    assert set(example_texts()) >= {s.follow_up for s in FEW_SHOT}
    assert FOLLOW_UP_SCHEMA["properties"]["follow_up"]["maxLength"] == 160


def test_few_shot_examples_are_not_bank_questions(bank: Bank) -> None:
    # A copied example must never be a plausible follow-up to a real question, so the examples
    # stay off the bank's topics.
    for question in bank:
        for example in FEW_SHOT:
            assert similarity(example.question, question.text) < 0.7, question.id
            for follow_up in question.follow_ups:
                assert similarity(example.follow_up, follow_up) < 0.7, (question.id, follow_up)


# --------------------------------------------------------------------------- rules: STAR


@pytest.mark.parametrize(
    ("answer", "missing"),
    [
        ("We argued and it worked out.", ["situation", "action", "reflection"]),
        (
            "At my last job we had a conflict about the schema and we fixed it eventually.",
            ["action", "reflection"],
        ),
        (
            "At my last job I would usually talk to the person first and then decide.",
            ["action", "result", "reflection"],
        ),
        (
            "At my last job our team disagreed about the schema, so I set up a meeting and I "
            "wrote a proposal.",
            ["result", "reflection"],
        ),
        (
            "At my last job our team disagreed about the schema, so I set up a meeting and I "
            "wrote a proposal. In the end we shipped two weeks early.",
            ["reflection"],
        ),
        (
            "At my last job our team disagreed about the schema, so I set up a meeting and I "
            "wrote a proposal. We shipped two weeks early, and I learned to write things down.",
            [],
        ),
    ],
)
def test_missing_star_parts(answer: str, missing: list[str]) -> None:
    assert missing_star_parts(answer) == missing


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("We argued and it worked out.", "STAR action"),
        (
            "At my last job we had a conflict about the schema and we fixed it eventually.",
            "STAR action",
        ),
        (
            "At my last job our team disagreed about the schema, so I set up a meeting and I "
            "wrote a proposal.",
            "STAR result",
        ),
        (
            "At my last job our team disagreed about the schema, so I set up a meeting and I "
            "wrote a proposal. In the end we shipped two weeks early.",
            "decision",
        ),
    ],
)
def test_rules_probe_the_first_thing_missing(
    conflict: Question, answer: str, expected: str
) -> None:
    follow_up = FollowUpPolicy(None).propose(conflict, answer, [])
    assert expected in follow_up.reason
    assert validate_follow_up(follow_up.text, question=conflict, answer=answer) is None


def test_rule_follow_up_quotes_the_candidate(conflict: Question) -> None:
    answer = (
        "At my last job our team disagreed about the schema, so I set up a meeting and I "
        "wrote a proposal."
    )
    follow_up = FollowUpPolicy(None).propose(conflict, answer, [])
    assert follow_up.text.startswith("You said you wrote a proposal. ")
    assert "STAR result" in follow_up.reason


def test_complete_star_answer_gets_the_banks_follow_ups_in_turn(conflict: Question) -> None:
    answer = (
        "At my last job a teammate wanted a rewrite. I wrote a comparison and I ran a one-week "
        "trial; we measured it against the old job and it finished 30% faster. I learned to "
        "test ideas cheaply."
    )
    policy = FollowUpPolicy(None)
    first = policy.propose(conflict, answer, [])
    assert first.text == conflict.follow_ups[0]
    second = policy.propose(conflict, answer, [first.text])
    assert second.text == conflict.follow_ups[1]


def test_star_probe_already_asked_moves_to_the_next_part(conflict: Question) -> None:
    answer = "We argued and it worked out."
    policy = FollowUpPolicy(None)
    first = policy.propose(conflict, answer, [])
    second = policy.propose(conflict, answer, [first.text])
    assert "STAR action" in first.reason
    assert "STAR" in second.reason and second.reason != first.reason


# --------------------------------------------------------------------------- rules: key points


def test_key_point_coverage(p_value: Question) -> None:
    covered = covered_key_points(p_value, P_VALUE_ANSWER)
    assert covered[0] is True
    assert covered[2] is False  # the significance level was never mentioned


def test_key_point_probe_asks_about_an_uncovered_point(p_value: Question) -> None:
    follow_up = FollowUpPolicy(None).propose(p_value, P_VALUE_ANSWER, [])
    assert follow_up.source == "rule"
    assert "key point 3" in follow_up.reason
    assert "significance level" in follow_up.text
    # It names the topic without giving the answer away.
    assert "0.05" not in follow_up.text and "reject" not in follow_up.text.lower()
    assert validate_follow_up(follow_up.text, question=p_value, answer=P_VALUE_ANSWER) is None


def test_fully_covered_technical_answer_gets_a_bank_follow_up(p_value: Question) -> None:
    answer = " ".join(p_value.key_points)
    follow_up = FollowUpPolicy(None).propose(p_value, answer, [])
    assert follow_up.text in p_value.follow_ups


@pytest.mark.parametrize(
    ("key_point", "phrase"),
    [
        ("Invalidation is the hard part; use TTLs", "invalidation"),
        ("A cache stampede happens when a popular key expires", "a cache stampede"),
        ("Choose the threshold from business costs", "the threshold"),
        ("Feature scaling improves conditioning and speeds convergence", "feature scaling"),
        ("Dynamic arrays double their capacity when full", "dynamic arrays"),
        ("SGD with momentum accumulates a moving average", "SGD"),
        ("Identifies concrete pain points such as forgetting", "concrete pain points"),
        ("Migrate incrementally with the strangler fig pattern", "the strangler fig pattern"),
        (
            "It is compared with a significance level alpha chosen in advance",
            "a significance level alpha",
        ),
        ("Goodhart's law; when a measure becomes a target", "goodhart's law"),
    ],
)
def test_topic_phrase(key_point: str, phrase: str) -> None:
    assert topic_phrase(key_point) == phrase


def test_topic_phrase_gives_up_on_vague_points() -> None:
    assert topic_phrase("It is the main one") is None
    assert topic_phrase("Useful for many things") is None


def test_rule_probes_pass_the_validator_for_every_bank_question(bank: Bank) -> None:
    policy = FollowUpPolicy(None)
    answers = [
        "I am not sure, I think it depends on the situation.",
        "We worked on it as a team and it went fine in the end.",
    ]
    for question in bank:
        for answer in answers:
            asked: list[str] = []
            for _ in range(3):
                follow_up = policy.propose(question, answer, asked)
                problem = validate_follow_up(
                    follow_up.text, question=question, answer=answer, asked=asked
                )
                assert problem is None, (question.id, follow_up.text, problem)
                asked.append(follow_up.text)
