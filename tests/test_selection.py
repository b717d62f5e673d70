"""Question selection: filters, preferences, reproducibility and error messages."""

from __future__ import annotations

from collections import Counter

import pytest

from interviewer.errors import ConfigError
from interviewer.interview.bank import DIFFICULTY_BY_LEVEL, LEVELS, Bank, load_bank
from interviewer.interview.selection import (
    question_count,
    resolve_company,
    select_questions,
)
from interviewer.interview.spec import InterviewSpec


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank()


def spec(**values: object) -> InterviewSpec:
    values.setdefault("role", "data_scientist")
    return InterviewSpec(**values)


@pytest.mark.parametrize("role", ["data_scientist", "software_engineer", "ml_engineer"])
@pytest.mark.parametrize("level", LEVELS)
def test_matches_role_level_and_difficulty(bank: Bank, role: str, level: str) -> None:
    low, high = DIFFICULTY_BY_LEVEL[level]
    for seed in range(5):
        picked = select_questions(bank, spec(role=role, level=level, questions=4, seed=seed))
        assert len(picked) == 4
        assert len({q.id for q in picked}) == 4
        for q in picked:
            assert role in q.roles and level in q.levels
            assert low <= q.difficulty <= high
            assert not q.companies  # no company given: no company-specific questions


@pytest.mark.parametrize("kind", ["behavioral", "technical"])
def test_single_type(bank: Bank, kind: str) -> None:
    picked = select_questions(bank, spec(type=kind, questions=5, seed=1))
    assert {q.type for q in picked} == {kind}


def test_mixed_alternates_starting_behavioral(bank: Bank) -> None:
    picked = select_questions(bank, spec(type="mixed", questions=5, seed=2))
    assert [q.type for q in picked] == [
        "behavioral",
        "technical",
        "behavioral",
        "technical",
        "behavioral",
    ]


def test_distinct_competencies(bank: Bank) -> None:
    for seed in range(10):
        picked = select_questions(bank, spec(questions=6, seed=seed))
        competencies = [q.competency for q in picked]
        assert len(set(competencies)) == len(competencies), competencies


def test_easier_questions_come_first_within_a_type(bank: Bank) -> None:
    for seed in range(10):
        picked = select_questions(
            bank, spec(type="technical", level="senior", questions=4, seed=seed)
        )
        difficulties = [q.difficulty for q in picked]
        assert difficulties == sorted(difficulties)


def test_middle_difficulty_is_preferred(bank: Bank) -> None:
    # Senior spans 3-5; the middle (4) should be drawn more often than the edges.
    counts: Counter[int] = Counter()
    for seed in range(60):
        picked = select_questions(
            bank, spec(level="senior", type="technical", questions=3, seed=seed)
        )
        counts.update(q.difficulty for q in picked)
    pool = [q for q in bank.filter(role="data_scientist", level="senior", type="technical")]
    share_in_pool = sum(q.difficulty == 4 for q in pool) / len(pool)
    share_picked = counts[4] / sum(counts.values())
    assert share_picked > share_in_pool


def test_same_seed_same_list_and_seeds_differ(bank: Bank) -> None:
    s = spec(questions=4)
    first = select_questions(bank, s, seed=11)
    assert select_questions(bank, s, seed=11) == first
    others = {tuple(q.id for q in select_questions(bank, s, seed=n)) for n in range(12, 20)}
    assert len(others | {tuple(q.id for q in first)}) > 1


def test_without_seed_the_spec_decides(bank: Bank) -> None:
    a = select_questions(bank, spec(questions=4))
    assert select_questions(bank, spec(questions=4)) == a
    assert select_questions(bank, spec(questions=4, seed=99)) == select_questions(
        bank, spec(questions=4), seed=99
    )


def test_avoids_recent_questions(bank: Bank) -> None:
    s = spec(questions=3, seed=4)
    first = select_questions(bank, s)
    again = select_questions(bank, s, recent_ids={q.id for q in first})
    assert not {q.id for q in first} & {q.id for q in again}


def test_recent_questions_return_least_recent_first_when_the_pool_runs_out(bank: Bank) -> None:
    s = spec(role="software_engineer", level="intern", type="technical", questions=2, seed=1)
    pool = [q.id for q in bank.filter(role="software_engineer", level="intern", type="technical")]
    assert len(pool) >= 3
    # Everything was asked recently; the sequence is most recent first.
    picked = select_questions(bank, s, recent_ids=list(pool))
    assert {q.id for q in picked} == set(pool[-2:])
    # With one question left unasked, it comes first among the picks' candidates.
    fresh = pool[0]
    picked = select_questions(bank, s, recent_ids=pool[1:])
    assert fresh in {q.id for q in picked}


def test_company_emphasis_is_preferred(bank: Bank) -> None:
    profile = bank.company("marketvale")
    for seed in range(8):
        picked = select_questions(bank, spec(company="marketvale", type="behavioral", seed=seed))
        assert all(
            q.competency in profile.emphasis or "marketvale" in q.companies for q in picked
        ), [(q.id, q.competency) for q in picked]


def test_company_questions_come_with_their_company_only(bank: Bank) -> None:
    tagged = [q for q in bank if q.companies == ["quillpay"] and "data_scientist" in q.roles]
    assert tagged
    seen: set[str] = set()
    for seed in range(10):
        seen |= {
            q.id for q in select_questions(bank, spec(company="Quillpay", questions=5, seed=seed))
        }
    assert seen & {q.id for q in tagged}
    for seed in range(10):
        for q in select_questions(bank, spec(company="marketvale", questions=5, seed=seed)):
            assert q.companies in ([], ["marketvale"])


def test_free_text_company_is_not_a_profile(bank: Bank) -> None:
    assert resolve_company(bank, "Fernleaf Health Analytics") is bank.company("fernleaf_health")
    assert resolve_company(bank, "QUILLPAY") is bank.company("quillpay")
    assert resolve_company(bank, "Some Startup Ltd") is None
    assert resolve_company(bank, None) is None
    picked = select_questions(bank, spec(company="Some Startup Ltd", questions=3, seed=1))
    assert all(not q.companies for q in picked)


def test_question_count_from_budget() -> None:
    assert question_count(spec()) == 3
    assert question_count(spec(questions=5)) == 5
    assert question_count(spec(minutes=20)) == 5
    assert question_count(spec(minutes=10)) == 3
    assert question_count(spec(minutes=2)) == 1
    assert question_count(spec(minutes=30, questions=2)) == 2


def test_budget_picks_enough_questions(bank: Bank) -> None:
    assert len(select_questions(bank, spec(minutes=18, seed=1))) == 5


def test_small_pool_gives_fewer_questions_not_duplicates(bank: Bank) -> None:
    pool = bank.filter(role="software_engineer", level="intern", type="technical")
    picked = select_questions(
        bank, spec(role="software_engineer", level="intern", type="technical", questions=20)
    )
    assert len(picked) == len(pool) == len({q.id for q in picked})


def test_empty_pool_names_the_filter(bank: Bank) -> None:
    small = Bank(questions=[q for q in bank if q.type == "behavioral"], roles=bank.roles)
    with pytest.raises(ConfigError, match="no technical data_scientist questions for level 'mid'"):
        select_questions(small, spec(type="technical"))
    only_seniors = Bank(questions=[q for q in bank if q.levels == ["senior", "staff"]])
    with pytest.raises(ConfigError, match="no data_scientist questions for level 'intern'"):
        select_questions(only_seniors, spec(level="intern"))
    with pytest.raises(ConfigError, match="no questions for role 'data_scientist'"):
        select_questions(Bank(), spec())
    with pytest.raises(ConfigError, match="unknown role 'astronaut'"):
        select_questions(bank, spec(role="astronaut"))


def test_company_only_pool_names_the_company_filter(bank: Bank) -> None:
    quillpay_only = [q for q in bank if q.companies == ["quillpay"]]
    tagged = Bank(questions=quillpay_only, companies=bank.companies)
    question = quillpay_only[0]
    s = spec(role=question.roles[0], level=question.levels[0], company="marketvale")
    with pytest.raises(ConfigError, match=r"written for other companies.*company: Marketvale"):
        select_questions(tagged, s)
