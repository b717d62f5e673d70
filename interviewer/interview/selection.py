"""Choosing the questions for one interview from the bank.

The pool is narrowed by hard filters (role, level, type, company, difficulty). Then each slot of
the interview is filled by ranking the remaining questions on soft preferences, strongest first:

1. the slot's type (``mixed`` alternates behavioural and technical, starting behavioural);
2. not asked recently (when they must be reused, the least recently asked come first);
3. a competency not yet covered by an earlier pick;
4. written for the company, then in the company's emphasis, then the rest;
5. for questions built from a job description, the order they were built in (what the
   description asks for most first);
6. a seeded random draw weighted towards the middle of the level's difficulty range.

So the same spec and seed always give the same interview, and a different seed gives another
draw from the same preferences.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Collection, Sequence

from interviewer.errors import ConfigError
from interviewer.interview.bank import DIFFICULTY_BY_LEVEL, Bank, CompanyProfile, Question
from interviewer.interview.jd_questions import JD_PREFIX
from interviewer.interview.spec import InterviewSpec

__all__ = [
    "DEFAULT_QUESTIONS",
    "MINUTES_PER_QUESTION",
    "question_count",
    "resolve_company",
    "select_questions",
]

DEFAULT_QUESTIONS = 3
#: A bank question with its follow-ups takes about this long when spoken.
MINUTES_PER_QUESTION = 4.0

# Weights of the random draw by distance from the middle of the level's difficulty range: the
# middle is most likely, the edges still appear, so interviews do not all feel the same.
_DIFFICULTY_WEIGHTS = (3.0, 1.5, 0.75)


def question_count(spec: InterviewSpec) -> int:
    """How many bank questions the interview needs.

    An explicit count wins; with only a time budget, enough questions to fill it (the state
    machine stops early when time runs short); otherwise :data:`DEFAULT_QUESTIONS`.
    """
    if spec.questions is not None:
        return spec.questions
    if spec.minutes is not None:
        return max(1, math.ceil(spec.minutes / MINUTES_PER_QUESTION))
    return DEFAULT_QUESTIONS


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def resolve_company(bank: Bank, company: str | None) -> CompanyProfile | None:
    """The bank's profile for a company given by id or name, or None for free text."""
    if not company:
        return None
    key = _key(company)
    for profile in bank.companies:
        if key in (_key(profile.id), _key(profile.name)):
            return profile
    return None


def select_questions(
    bank: Bank,
    spec: InterviewSpec,
    *,
    recent_ids: Collection[str] = frozenset(),
    seed: int | None = None,
) -> list[Question]:
    """Pick the interview's questions, in the order they will be asked.

    ``recent_ids`` are questions the candidate saw in earlier sessions; if it is a sequence, it
    is read most recent first (the order a store returns them in), so that when the pool forces
    reuse, the least recently asked question comes back first. ``seed`` overrides the spec's
    seed; with neither, the seed is derived from the spec, so the result is still reproducible.

    Raises ConfigError when no question matches, naming the filter that emptied the pool. Returns
    fewer questions than asked for (never duplicates) when the pool is smaller than the count.
    """
    rng = random.Random(spec.derived_seed() if seed is None else seed)
    profile = resolve_company(bank, spec.company)
    pool = _pool(bank, spec, profile)
    count = min(question_count(spec), len(pool))

    recency = _recency(recent_ids)
    low, high = DIFFICULTY_BY_LEVEL[spec.level]
    middle = (low + high) / 2
    emphasis = set(profile.emphasis) if profile else set()
    # One random draw per question, made up front in pool order, so that the ranking of any one
    # question does not depend on the order in which the others are compared.
    draw: dict[str, float] = {}
    for q in pool:
        weight = _DIFFICULTY_WEIGHTS[min(int(abs(q.difficulty - middle) + 0.5), 2)]
        # Efraimidis-Spirakis: u ** (1 / w) ranks like a weighted draw without replacement.
        draw[q.id] = rng.random() ** (1.0 / weight)

    # Questions built from a job description come most important first (jd_questions).
    jd_rank = {q.id: i for i, q in enumerate(q for q in pool if q.id.startswith(JD_PREFIX))}

    def company_tier(q: Question) -> int:
        if profile is not None and profile.id in q.companies:
            return 0
        return 1 if q.competency in emphasis else 2

    slots = _slot_types(spec.type, count)
    picked: list[Question] = []
    used_competencies: set[str] = set()
    remaining = list(pool)
    for slot in slots:
        best = min(
            remaining,
            key=lambda q: (
                q.type != slot,
                recency.get(q.id, -1.0),
                q.competency in used_competencies,
                company_tier(q),
                jd_rank.get(q.id, 0),
                -draw[q.id],
            ),
        )
        picked.append(best)
        remaining.remove(best)
        used_competencies.add(best.competency)
    return _warm_up_order(picked)


def _pool(bank: Bank, spec: InterviewSpec, profile: CompanyProfile | None) -> list[Question]:
    """Questions passing every hard filter; ConfigError naming the filter that emptied it."""
    # Bank.filter validates role and level against the bank (with did-you-mean hints).
    pool = bank.filter(role=spec.role)
    if not pool:
        raise ConfigError(f"no questions for role {spec.role!r} in the question bank")
    pool = [q for q in pool if spec.level in q.levels]
    if not pool:
        raise ConfigError(f"no {spec.role} questions for level {spec.level!r}")
    if spec.type != "mixed":
        pool = [q for q in pool if q.type == spec.type]
        if not pool:
            raise ConfigError(
                f"no {spec.type} {spec.role} questions for level {spec.level!r}; "
                "try type mixed or another level"
            )
    # Questions written for one company talk about its domain; they suit only that company.
    pool = [
        q for q in pool if not q.companies or (profile is not None and profile.id in q.companies)
    ]
    if not pool:
        named = profile.name if profile else "no company"
        raise ConfigError(
            f"no {spec.role} questions for level {spec.level!r} once those written for other "
            f"companies are left out (company: {named})"
        )
    low, high = DIFFICULTY_BY_LEVEL[spec.level]
    pool = [q for q in pool if low <= q.difficulty <= high]
    if not pool:
        raise ConfigError(
            f"no {spec.role} questions of difficulty {low}-{high} (the range for {spec.level})"
        )
    return pool


def _recency(recent_ids: Collection[str]) -> dict[str, float]:
    """Sort key per recently asked id: higher means asked more recently (asked later, if at all)."""
    if isinstance(recent_ids, Sequence) and not isinstance(recent_ids, str):
        n = len(recent_ids)
        out: dict[str, float] = {}
        for position, qid in enumerate(recent_ids):
            out.setdefault(qid, float(n - position))
        return out
    return dict.fromkeys(recent_ids, 1.0)


def _slot_types(interview_type: str, count: int) -> list[str]:
    if interview_type == "mixed":
        return ["behavioral" if i % 2 == 0 else "technical" for i in range(count)]
    return [interview_type] * count


def _warm_up_order(picked: list[Question]) -> list[Question]:
    """Reorder each type's picks by difficulty (easier first), keeping the type pattern."""
    by_type: dict[str, list[Question]] = {}
    for q in picked:
        by_type.setdefault(q.type, []).append(q)
    for questions in by_type.values():
        questions.sort(key=lambda q: q.difficulty)
    # Follow the picks' types, not the slots: a slot holds the other type when its own ran out.
    return [by_type[q.type].pop(0) for q in picked]
