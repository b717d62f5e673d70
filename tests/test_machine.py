"""The interview state machine on fakes: a whole interview, commands, silence, time, resume."""

from __future__ import annotations

import json
from typing import Any

import pytest

from interviewer.engines.fakes import FakeLLM
from interviewer.interview.bank import Bank, Question, load_bank
from interviewer.interview.base import Answer, Brain, Reply
from interviewer.interview.followup import FollowUpPolicy
from interviewer.interview.machine import (
    ANY_QUESTIONS,
    InterviewMachine,
    match_fact,
    parse_command,
)
from interviewer.interview.phrases import LAST_QUESTION
from interviewer.interview.prompts import FEW_SHOT
from interviewer.interview.spec import InterviewSpec

BEHAVIORAL_ANSWER = (
    "At my last job a teammate wanted to rewrite our pipeline in Spark. I wrote a comparison of "
    "both options and I proposed migrating one job first; it ran 40% faster."
)
TECHNICAL_ANSWER = (
    "A p-value is the probability of data at least as extreme as what we observed if the null "
    "hypothesis is true."
)
LONG_ANSWER = "I would start by looking at the data and then talk to the team about the options."
LLM_FOLLOW_UP = "What did your teammate say when you proposed migrating one job first?"


class Clock:
    """A settable clock (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += minutes * 60


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank()


@pytest.fixture(scope="module")
def three(bank: Bank) -> list[Question]:
    return [
        bank.get(i) for i in ("beh.conflict.teammate", "ds.stats.p_value", "beh.failure.project")
    ]


def make(
    bank: Bank,
    questions: list[Question],
    *,
    llm_replies: tuple[dict[str, Any], ...] = (),
    clock: Clock | None = None,
    **spec_values: Any,
) -> InterviewMachine:
    spec_values.setdefault("role", "data_scientist")
    spec_values.setdefault("seed", 1)
    spec = InterviewSpec(**spec_values)
    policy = FollowUpPolicy(FakeLLM(json_replies=llm_replies) if llm_replies else None)
    return InterviewMachine(
        bank, spec, followups=policy, questions=questions, clock=clock or Clock()
    )


def say(machine: InterviewMachine, text: str = "", *, timed_out: bool = False) -> tuple[Reply, str]:
    reply = machine.on_answer(Answer(text, duration=len(text) / 15, timed_out=timed_out))
    return reply, " ".join(reply.pieces)


def text_of(reply: Reply) -> str:
    return " ".join(reply.pieces)


# --------------------------------------------------------------------------- whole interview


def test_whole_interview(bank: Bank, three: list[Question]) -> None:
    machine = make(
        bank,
        three,
        company="quillpay",
        llm_replies=({"follow_up": LLM_FOLLOW_UP}, {"follow_up": FEW_SHOT[0].follow_up}),
    )
    brain: Brain = machine  # the pipeline's protocol
    assert brain.planned_next() == three[0].text

    opening = machine.start()
    pieces = list(opening.pieces)
    assert opening.kind == "greeting" and opening.question_id == three[0].id
    assert "data scientist" in pieces[0] and "Quillpay" in pieces[0]
    assert pieces[-1] == three[0].text  # a piece of its own, so planned audio can be reused
    assert machine.planned_next() is None  # a follow-up may come next

    reply, text = say(machine, BEHAVIORAL_ANSWER)
    assert reply.kind == "follow_up" and reply.is_follow_up
    assert reply.question_id == three[0].id
    assert text.endswith(LLM_FOLLOW_UP)
    assert reply.meta["source"] == "llm"
    planned = machine.planned_next()
    assert planned == three[1].text

    reply = machine.on_answer(Answer("He agreed after seeing the numbers, and we moved on."))
    pieces = list(reply.pieces)
    assert reply.kind == "question" and reply.question_id == three[1].id
    assert pieces[-1] == planned

    # The model's next proposal copies a few-shot example, so a rule probes instead.
    reply, text = say(machine, TECHNICAL_ANSWER)
    assert reply.kind == "follow_up" and reply.meta["source"] == "rule"
    assert "copies a few-shot example" in reply.meta["reason"]
    say(machine, "Usually it is compared with 0.05.")

    reply, text = say(machine, BEHAVIORAL_ANSWER)  # third question
    assert reply.kind == "follow_up"
    reply, text = say(machine, "I learned to prototype before arguing.")
    assert reply.kind == "candidate_questions"
    assert text.endswith(ANY_QUESTIONS)
    assert machine.planned_next() is None

    reply, text = say(machine, "Yes. How big is the company?")
    assert reply.kind == "candidate_questions"
    assert "350 people" in text and text.endswith("Is there anything else you'd like to know?")
    assert reply.meta == {"fact": "size and stage"}

    reply, text = say(machine, "What is the parental leave policy like?")
    assert reply.kind == "candidate_questions" and "recruiter" in text

    reply, text = say(machine, "No, that's all, thank you.")
    assert reply.kind == "closing" and reply.finished and machine.finished
    assert "Quillpay" in text

    kinds = [t.kind for t in machine.transcript]
    assert kinds == [
        "greeting",
        "answer",
        "follow_up",
        "answer",
        "question",
        "answer",
        "follow_up",
        "answer",
        "question",
        "answer",
        "follow_up",
        "answer",
        "candidate_questions",
        "answer",
        "candidate_questions",
        "answer",
        "candidate_questions",
        "answer",
        "closing",
    ]
    answers = machine.answers()
    assert list(answers) == [q.id for q in three]
    assert answers[three[0].id][0] == (three[0].text, BEHAVIORAL_ANSWER)
    assert answers[three[0].id][1][0] == LLM_FOLLOW_UP
    assert all(len(pairs) == 2 for pairs in answers.values())


def test_after_closing_the_machine_stays_closed(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three)
    machine.start()
    say(machine, "I'd like to stop the interview")
    reply, _ = say(machine, "hello?")
    assert reply.kind == "closing" and reply.finished


def test_call_order_is_enforced(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three)
    with pytest.raises(RuntimeError):
        machine.on_answer(Answer("hi"))
    machine.start()
    with pytest.raises(RuntimeError):
        machine.start()


def test_questions_default_to_the_selection(bank: Bank) -> None:
    spec = InterviewSpec(role="ml_engineer", level="senior", questions=2, seed=3)
    machine = InterviewMachine(bank, spec, followups=FollowUpPolicy(None))
    assert len(machine.questions) == 2
    assert all("ml_engineer" in q.roles for q in machine.questions)


def test_no_follow_ups_when_none_allowed(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three, max_follow_ups=0)
    machine.start()
    assert machine.planned_next() == three[1].text
    reply, _ = say(machine, BEHAVIORAL_ANSWER)
    assert reply.kind == "question" and reply.question_id == three[1].id


def test_two_follow_ups_are_different(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three, max_follow_ups=2)
    machine.start()
    first, first_text = say(machine, "We argued about it and it worked out.")
    second, second_text = say(machine, "It was about our pipeline at my last job.")
    third, _ = say(machine, LONG_ANSWER)
    assert first.kind == second.kind == "follow_up"
    assert first_text != second_text
    assert third.kind == "question"


def test_acknowledgements_vary_with_the_seed(bank: Bank, three: list[Question]) -> None:
    def leads(seed: int) -> list[str]:
        machine = make(bank, three, seed=seed, max_follow_ups=0)
        machine.start()
        return [next(machine.on_answer(Answer(LONG_ANSWER)).pieces) for _ in range(3)]

    assert leads(1) == leads(1)
    assert len({tuple(leads(seed)) for seed in range(6)}) > 1
    # the greeting said how many questions there are: the last one is not announced
    assert not any(lead.endswith(LAST_QUESTION) for lead in leads(1))


def test_the_last_question_is_announced_in_a_timed_interview(
    bank: Bank, three: list[Question]
) -> None:
    machine = make(bank, three, max_follow_ups=0, minutes=30)
    machine.start()
    leads = [next(machine.on_answer(Answer(LONG_ANSWER)).pieces) for _ in range(2)]
    assert leads[1].endswith(LAST_QUESTION) and not leads[0].endswith(LAST_QUESTION)


def test_greeting_without_a_profile_names_the_free_text_company(
    bank: Bank, three: list[Question]
) -> None:
    machine = make(bank, three, company="Acme Robotics", level="senior", minutes=20)
    text = text_of(machine.start())
    assert "the senior data scientist position at Acme Robotics" in text
    assert "about 20 minutes" in text


# --------------------------------------------------------------------------- commands


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("Could you repeat the question?", "repeat"),
        ("Um, sorry, could you repeat the question please?", "repeat"),
        ("Say that again?", "repeat"),
        ("repeat please", "repeat"),
        ("Sorry, I didn't catch that.", "repeat"),
        ("What was the question again?", "repeat"),
        ("Can you please repeat the question, I didn't catch the last part of it", "repeat"),
        ("Skip.", "skip"),
        ("Next question.", "skip"),
        ("Can we move on?", "skip"),
        ("Could we skip this one?", "skip"),
        ("I'd rather not answer that.", "skip"),
        ("Give me a moment.", "pause"),
        ("Let me think.", "pause"),
        ("One second.", "pause"),
        ("Hmm, let me think about that for a second.", "pause"),
        ("Hold on.", "pause"),
        ("End the interview.", "end"),
        ("Stop the interview, please.", "end"),
        ("I'd like to stop.", "end"),
        ("Can we stop here?", "end"),
        ("I think we should end the interview now, I have another meeting", "end"),
        ("I repeated the test.", None),
        ("We skipped lunch.", None),
        ("I ran the next experiment the following week.", None),
        ("In my last job I had to stop the interview process for a candidate.", None),
        (
            "Let me think about the trade-offs: latency first, then cost, then how to roll out.",
            None,
        ),
        ("We moved on to the next milestone after the launch.", None),
        ("Stop.", None),
        ("", None),
    ],
)
def test_parse_command(text: str, command: str | None) -> None:
    assert parse_command(text) == command


def test_repeat_returns_the_current_question_or_follow_up(
    bank: Bank, three: list[Question]
) -> None:
    machine = make(bank, three, llm_replies=({"follow_up": LLM_FOLLOW_UP},))
    machine.start()
    reply, text = say(machine, "Could you repeat the question?")
    assert reply.kind == "repeat" and text == f"Sure. {three[0].text}"
    say(machine, BEHAVIORAL_ANSWER)
    reply, text = say(machine, "say that again")
    assert reply.kind == "repeat" and text == f"Sure. {LLM_FOLLOW_UP}"
    assert machine.transcript[-2].kind == "command"


def test_skip_moves_to_the_next_question(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three)
    machine.start()
    reply, text = say(machine, "can we move on")
    assert reply.kind == "question" and reply.question_id == three[1].id
    assert text.startswith("No problem, let's move on.")
    assert three[0].id not in machine.answers()


def test_pause_asks_the_pipeline_to_wait(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three)
    machine.start()
    reply, _ = say(machine, "give me a moment")
    assert reply.kind == "ack" and reply.pause_listening
    reply, _ = say(machine, BEHAVIORAL_ANSWER)
    assert reply.kind == "follow_up"


def test_end_closes_the_interview(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three)
    machine.start()
    say(machine, BEHAVIORAL_ANSWER)
    reply, text = say(machine, "I'd like to stop")
    assert reply.kind == "closing" and reply.finished and machine.finished
    assert text.startswith("Of course, we can stop here.")
    assert machine.planned_next() is None


# --------------------------------------------------------------------------- silence and nudges


def test_silence_twice_moves_on(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three)
    machine.start()
    reply, text = say(machine, timed_out=True)
    assert reply.kind == "prompt" and "repeat the question" in text
    reply, text = say(machine, timed_out=True)
    assert reply.kind == "question" and reply.question_id == three[1].id
    assert text.startswith("Let's move on.")
    assert [t.kind for t in machine.transcript[:3]] == ["greeting", "silence", "prompt"]


def test_yes_after_the_silence_prompt_repeats(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three)
    machine.start()
    say(machine, timed_out=True)
    reply, text = say(machine, "yes please")
    assert reply.kind == "repeat" and text.endswith(three[0].text)
    # Speaking resets the count: the next silence is a first one again.
    reply, _ = say(machine, timed_out=True)
    assert reply.kind == "prompt"


def test_no_after_the_silence_prompt_waits(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three)
    machine.start()
    say(machine, timed_out=True)
    reply, text = say(machine, "No, it's fine.")
    assert reply.kind == "ack" and "ready" in text


def test_short_answer_gets_a_nudge_then_moves_on(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three, llm_replies=({"follow_up": LLM_FOLLOW_UP},))
    machine.start()
    reply, text = say(machine, "Not much.")
    assert reply.kind == "prompt" and text == "Could you say a bit more about that?"
    reply, _ = say(machine, "Nothing really.")
    assert reply.kind == "question" and reply.question_id == three[1].id


def test_short_answer_then_a_real_one_gets_a_follow_up(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three, llm_replies=({"follow_up": LLM_FOLLOW_UP},))
    machine.start()
    say(machine, "Hmm.")
    reply, _ = say(machine, BEHAVIORAL_ANSWER)
    assert reply.kind == "follow_up"
    assert machine.answers()[three[0].id][0][1] == f"Hmm. {BEHAVIORAL_ANSWER}"


def test_dont_know_gets_an_offer_to_move_on(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three)
    machine.start()
    reply, text = say(machine, "I don't know.")
    assert reply.kind == "prompt" and "move on" in text


def test_empty_transcript_asks_to_say_it_again(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three)
    machine.start()
    reply, text = say(machine, "")
    assert reply.kind == "prompt" and "didn't catch" in text


# --------------------------------------------------------------------------- time budget


def test_time_budget(bank: Bank, three: list[Question]) -> None:
    clock = Clock()
    machine = make(bank, three, clock=clock, minutes=10, max_follow_ups=1)
    machine.start()
    clock.advance(4)  # 6 minutes left: a follow-up fits
    reply, _ = say(machine, BEHAVIORAL_ANSWER)
    assert reply.kind == "follow_up"
    clock.advance(1)
    reply, _ = say(machine, LONG_ANSWER)
    assert reply.kind == "question" and reply.question_id == three[1].id
    clock.advance(3.5)  # 1.5 minutes left: no follow-up and no new question
    assert machine.planned_next() is None
    reply, text = say(machine, TECHNICAL_ANSWER)
    assert reply.kind == "candidate_questions"
    assert "nearly out of time" in text and text.endswith(ANY_QUESTIONS)
    assert machine.remaining() == pytest.approx(90.0)
    assert three[2].id not in {t.question_id for t in machine.transcript}


def test_short_time_skips_follow_ups(bank: Bank, three: list[Question]) -> None:
    clock = Clock()
    machine = make(bank, three, clock=clock, minutes=10, max_follow_ups=1)
    machine.start()
    clock.advance(7.5)  # 2.5 minutes left: another question, but no follow-up
    assert machine.planned_next() == three[1].text
    reply, _ = say(machine, BEHAVIORAL_ANSWER)
    assert reply.kind == "question" and reply.question_id == three[1].id


def test_time_over_goes_straight_to_closing(bank: Bank, three: list[Question]) -> None:
    clock = Clock()
    machine = make(bank, three, clock=clock, minutes=5)
    machine.start()
    clock.advance(6)
    reply, text = say(machine, BEHAVIORAL_ANSWER)
    assert reply.kind == "closing" and reply.finished and "out of time" in text


# --------------------------------------------------------------------------- resume


def test_resume_from_state_mid_interview(bank: Bank, three: list[Question]) -> None:
    clock = Clock()
    machine = make(bank, three, clock=clock, minutes=30)
    machine.start()
    say(machine, BEHAVIORAL_ANSWER)  # follow-up
    say(machine, LONG_ANSWER)  # second question asked
    clock.advance(5)
    state = json.loads(json.dumps(machine.state_dict()))  # what a store would keep

    later = Clock()
    resumed = InterviewMachine.from_state(bank, state, followups=FollowUpPolicy(None), clock=later)
    assert not resumed.finished
    assert resumed.elapsed() == pytest.approx(300.0)
    reply = resumed.start()
    pieces = list(reply.pieces)
    assert pieces[0].startswith("Welcome back")
    assert pieces[-1] == three[1].text and reply.question_id == three[1].id
    assert resumed.answers()[three[0].id] == machine.answers()[three[0].id]
    assert resumed.transcript[: len(machine.transcript)] == machine.transcript
    later.advance(1)
    assert resumed.elapsed() == pytest.approx(360.0)
    reply, _ = say(resumed, TECHNICAL_ANSWER)
    assert reply.kind == "follow_up" and reply.question_id == three[1].id


def test_resume_skips_a_question_already_answered(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three)
    machine.start()
    say(machine, BEHAVIORAL_ANSWER)  # answered; a follow-up is pending
    resumed = InterviewMachine.from_state(
        bank, machine.state_dict(), followups=FollowUpPolicy(None)
    )
    reply = resumed.start()
    assert reply.question_id == three[1].id


def test_resume_after_the_last_question_goes_to_candidate_questions(
    bank: Bank, three: list[Question]
) -> None:
    machine = make(bank, three[:1], max_follow_ups=0)
    machine.start()
    say(machine, BEHAVIORAL_ANSWER)
    resumed = InterviewMachine.from_state(
        bank, machine.state_dict(), followups=FollowUpPolicy(None)
    )
    reply = resumed.start()
    assert reply.kind == "candidate_questions" and text_of(reply).endswith(ANY_QUESTIONS)


def test_resume_of_a_finished_interview(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three)
    machine.start()
    say(machine, "end the interview")
    resumed = InterviewMachine.from_state(
        bank, machine.state_dict(), followups=FollowUpPolicy(None)
    )
    assert resumed.finished


def test_damaged_state_is_a_config_error(bank: Bank, three: list[Question]) -> None:
    from interviewer.errors import ConfigError

    state = make(bank, three).state_dict()
    with pytest.raises(ConfigError, match="damaged"):
        InterviewMachine.from_state(
            bank, {k: v for k, v in state.items() if k != "index"}, followups=FollowUpPolicy(None)
        )
    with pytest.raises(ConfigError, match="unknown question id"):
        InterviewMachine.from_state(
            bank, {**state, "question_ids": ["gone.question"]}, followups=FollowUpPolicy(None)
        )
    with pytest.raises(ConfigError, match="version"):
        InterviewMachine.from_state(bank, {**state, "version": 99}, followups=FollowUpPolicy(None))


# --------------------------------------------------------------------------- candidate questions


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("What does Quillpay do?", "what the company does"),
        ("What kind of products do you build?", "what the company does"),
        ("How big is the company?", "size and stage"),
        ("How many people work there?", "size and stage"),
        ("Is the job remote or in the office?", "working model"),
        ("What's your tech stack?", "tech stack"),
        ("What technologies do you use?", "tech stack"),
        ("How are the teams organised?", "team structure"),
        ("What are the next steps in the process?", "interview process"),
        ("What is the parental leave policy?", None),
        ("What's a typical day like?", None),
    ],
)
def test_match_fact(bank: Bank, question: str, topic: str | None) -> None:
    fact = match_fact(bank.company("quillpay"), question)
    assert (fact.topic if fact else None) == topic


def test_no_profile_means_no_facts() -> None:
    assert match_fact(None, "How big is the company?") is None


def test_candidate_questions_without_a_profile_are_declined(
    bank: Bank, three: list[Question]
) -> None:
    machine = make(bank, three[:1], max_follow_ups=0, company="Acme Robotics")
    machine.start()
    say(machine, BEHAVIORAL_ANSWER)
    reply, text = say(machine, "How big is the team?")
    assert reply.kind == "candidate_questions" and "recruiter" in text


def test_candidate_questions_are_limited(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three[:1], max_follow_ups=0, company="quillpay")
    machine.start()
    say(machine, BEHAVIORAL_ANSWER)
    say(machine, "What does the company do?")
    say(machine, "Is it remote?")
    reply, text = say(machine, "What's the tech stack?")
    assert reply.kind == "closing" and reply.finished
    assert "Go and Python" in text


def test_yes_then_a_question(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three[:1], max_follow_ups=0, company="quillpay")
    machine.start()
    say(machine, BEHAVIORAL_ANSWER)
    reply, text = say(machine, "Yes, I do.")
    assert reply.kind == "candidate_questions" and text == "Sure, go ahead."
    reply, text = say(machine, "Is it remote?")
    assert "Remote-first" in text
    reply, text = say(machine, "sorry, could you say that again")
    assert reply.kind == "repeat" and "Remote-first" in text


def test_silence_in_candidate_questions(bank: Bank, three: list[Question]) -> None:
    machine = make(bank, three[:1], max_follow_ups=0)
    machine.start()
    say(machine, BEHAVIORAL_ANSWER)
    reply, text = say(machine, timed_out=True)
    assert reply.kind == "prompt" and text.endswith(ANY_QUESTIONS)
    reply, _ = say(machine, timed_out=True)
    assert reply.kind == "closing" and reply.finished


# --------------------------------------------------------------------------- speculation


def test_follow_up_composed_during_the_pause_is_used(bank: Bank, three: list[Question]) -> None:
    llm = FakeLLM(json_replies=[{"follow_up": LLM_FOLLOW_UP}])
    spec = InterviewSpec(role="data_scientist", seed=1)
    machine = InterviewMachine(
        bank, spec, followups=FollowUpPolicy(llm), questions=three, clock=Clock()
    )
    machine.start()
    # the candidate paused: the model starts now; the rules' words can be synthesized ahead
    ahead = machine.speculate(BEHAVIORAL_ANSWER)
    assert ahead and ahead[0].startswith("You said")
    assert len(llm.prompts) == 1
    reply, text = say(machine, BEHAVIORAL_ANSWER)  # ... and the turn ended there
    assert text.endswith(LLM_FOLLOW_UP) and reply.meta["source"] == "llm"
    assert len(llm.prompts) == 1  # the early call was used, not repeated


def test_speculation_is_discarded_when_the_candidate_goes_on(
    bank: Bank, three: list[Question]
) -> None:
    llm = FakeLLM(json_replies=[{"follow_up": LLM_FOLLOW_UP}])
    spec = InterviewSpec(role="data_scientist", seed=1)
    machine = InterviewMachine(
        bank, spec, followups=FollowUpPolicy(llm), questions=three, clock=Clock()
    )
    machine.start()
    first_part = BEHAVIORAL_ANSWER.split(";")[0]
    machine.speculate(first_part)
    reply, _ = say(machine, BEHAVIORAL_ANSWER)
    list(reply.pieces)
    # a second call, on the whole answer; the speculative one was for other words
    assert len(llm.prompts) == 2
    assert BEHAVIORAL_ANSWER.split(";")[1].strip() in str(llm.prompts[-1])


def test_no_speculation_for_commands_short_turns_or_without_follow_ups(
    bank: Bank, three: list[Question]
) -> None:
    llm = FakeLLM(json_replies=[{"follow_up": LLM_FOLLOW_UP}])
    spec = InterviewSpec(role="data_scientist", seed=1, max_follow_ups=0)
    machine = InterviewMachine(
        bank, spec, followups=FollowUpPolicy(llm), questions=three, clock=Clock()
    )
    machine.start()
    assert machine.speculate(BEHAVIORAL_ANSWER) == []  # no follow-ups in this interview
    assert machine.speculate("could you repeat the question") == []
    assert llm.prompts == []


def test_withdraw_answer_returns_to_the_state_before_it(bank: Bank) -> None:
    """The candidate went on over the reply: after withdraw_answer the machine is where it was
    before the answer, and the whole answer then gets one turn in its transcript."""
    spec = InterviewSpec(role="data_scientist", questions=2, max_follow_ups=1, seed=3)
    machine = InterviewMachine(bank, spec, followups=FollowUpPolicy(None))
    machine.start()

    def state() -> dict[str, Any]:
        return {k: v for k, v in machine.state_dict().items() if k != "elapsed"}  # the clock's

    before = state()
    first = machine.on_answer(Answer("I led the migration.", 2.0))
    "".join(first.pieces)
    assert state() != before
    assert machine.withdraw_answer()
    assert state() == before
    assert not machine.withdraw_answer()  # only the last answer, once
    whole = "I led the migration, and the tricky part was keeping the old dashboards alive."
    machine.on_answer(Answer(whole, 6.0))
    assert [t.text for t in machine.transcript if t.kind == "answer"] == [whole]
