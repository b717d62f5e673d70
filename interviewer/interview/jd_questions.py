"""Technical questions built from a job description, for positions with no technical bank.

A position such as "Marketing Analyst" has no technical questions in the bank, so it gets a
behavioural interview (:mod:`interviewer.interview.positions`). When the candidate gives the job
description, :func:`jd_questions` turns the two or three things it asks for most into technical
questions: what :func:`~interviewer.interview.jd_skills.extract_skills` found, quoted in the
description's own words, set in a hand-written question for its area of work (analytics,
marketing, clinical, ...), with key points, topics and follow-ups to score and probe against.

The questions are rules only and depend on nothing but the description's text, so the same
description always gives the same questions with the same ids. :func:`with_jd_questions` adds
them to the bank for one interview; resuming, scoring and the report call it with the stored
spec and find the questions again by id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from interviewer.interview.bank import LEVELS, Bank, Question
from interviewer.interview.jd_skills import Responsibility, Skill, extract_skills, is_tool
from interviewer.interview.positions import GENERAL_ROLE

__all__ = ["JD_NOTICE", "JD_PREFIX", "NO_BANK_NOTICE", "jd_questions", "with_jd_questions"]

#: Every question built here has an id starting with this, so a transcript shows its origin.
JD_PREFIX = "jd."
#: What the interviewer says when some questions come from the job description.
JD_NOTICE = (
    "This position has no technical question bank, so the technical questions come from your "
    "job description."
)
#: ... and when none do: no job description, or one that names nothing to ask about.
NO_BANK_NOTICE = "This position has no technical question bank, so this is a behavioural interview."
MAX_QUESTIONS = 3
# Fits every level's difficulty range (see DIFFICULTY_BY_LEVEL), so no level loses them.
_DIFFICULTY = 3


@dataclass(frozen=True)
class _Area:
    """How to ask about one area of work: the task, the question's second half, the points a
    good answer covers (with the topic a follow-up names for each), and bank follow-ups."""

    task: str  # after "The role asks for X. ", with {it} for "it" or "them"
    ask: str  # after "one of the duties is to Y. Walk me through how you would do that: "
    points: tuple[tuple[str, str], ...]
    follow_ups: tuple[str, str]


_AREAS: dict[str, _Area] = {
    "analytics": _Area(
        task=(
            "Walk me through how you would use {it} to build a weekly report for the team: "
            "where does the data come from, and how do you check the numbers are right?"
        ),
        ask="where does the data come from, and how do you check the numbers are right?",
        points=(
            (
                "Names the data sources and how they are joined or combined",
                "where the data comes from",
            ),
            ("Defines each metric precisely before building anything", "the metric definitions"),
            (
                "Checks the numbers, for example against a known total or the source system",
                "checking the numbers",
            ),
            (
                "Shapes the result for its audience and keeps it maintained",
                "keeping the report useful",
            ),
        ),
        follow_ups=(
            "How would you notice if the numbers went wrong after launch?",
            "Who would use it, and what decision would it change?",
        ),
    ),
    "marketing": _Area(
        task=(
            "Tell me how you would plan and measure a campaign with {it}: what goal would you set, "
            "and how would you know whether it worked?"
        ),
        ask="what goal would you set, and how would you know whether it worked?",
        points=(
            (
                "Sets a clear goal and a target audience before choosing channels",
                "the goal and the audience",
            ),
            ("Chooses channels and budget with a reason", "the channels and the budget"),
            (
                "Measures the effect against a baseline or a holdout, not only clicks",
                "measuring the effect",
            ),
            (
                "Learns from the results and adjusts the next campaign",
                "adjusting the next campaign",
            ),
        ),
        follow_ups=(
            "How would you tell the campaign's effect apart from what would have happened anyway?",
            "What would you change if the first two weeks disappointed?",
        ),
    ),
    "clinical": _Area(
        task=(
            "Walk me through how you would put {it} into practice for a patient on a busy shift: "
            "what would you check first, and how would you make sure nothing is missed?"
        ),
        ask="what would you check first, and how would you make sure nothing is missed?",
        points=(
            ("Assesses the patient and checks safety before acting", "assessing the patient first"),
            (
                "Prioritises by clinical urgency when several patients need care",
                "prioritising by urgency",
            ),
            ("Documents accurately and promptly in the record", "the documentation"),
            (
                "Escalates concerns and communicates with the team, the patient and the family",
                "escalating and communicating",
            ),
        ),
        follow_ups=(
            "What would make you escalate to a doctor straight away?",
            "How do you hand over to the next shift so nothing is lost?",
        ),
    ),
    "product": _Area(
        task=(
            "Tell me about a time you used {it} to decide what to build next: "
            "what evidence did you have, and how did you bring people along?"
        ),
        ask="what evidence would you use, and how would you bring people along?",
        points=(
            ("Starts from the user problem and evidence for it", "the evidence you used"),
            ("Prioritises with explicit criteria and trade-offs", "the trade-offs"),
            ("Brings engineering, design and stakeholders along", "bringing people along"),
            ("Defines how success will be measured after release", "measuring success"),
        ),
        follow_ups=(
            "What did you decide not to build, and why?",
            "How did you know afterwards that it was the right call?",
        ),
    ),
    "sales": _Area(
        task=(
            "Tell me how you would use {it} to manage your pipeline over a quarter: what would you "
            "track, and how would you decide where to spend your time?"
        ),
        ask="what would you track, and how would you decide where to spend your time?",
        points=(
            ("Tracks deals by stage with realistic probabilities", "tracking the pipeline"),
            ("Qualifies opportunities and focuses on the most promising", "qualifying the deals"),
            ("Forecasts honestly and flags risks early", "the forecast"),
            ("Keeps the records up to date so others can rely on them", "keeping records current"),
        ),
        follow_ups=(
            "How do you decide that a deal is no longer worth your time?",
            "What would you do in the last month of a quarter you were behind on?",
        ),
    ),
    "finance": _Area(
        task=(
            "Walk me through how you would use {it} in a monthly budget-versus-actual review: "
            "where do the numbers come from, and how do you check they are right?"
        ),
        ask="where do the numbers come from, and how do you check they are right?",
        points=(
            ("Names the sources of the numbers and reconciles them", "where the numbers come from"),
            (
                "Explains the main variances rather than only listing them",
                "explaining the variances",
            ),
            ("Checks the figures with controls or a second method", "checking the figures"),
            ("Presents the result clearly to the budget holders", "presenting the result"),
        ),
        follow_ups=(
            "What would you do with a variance nobody can explain?",
            "How would you make the review faster next month?",
        ),
    ),
    "design": _Area(
        task=(
            "Tell me how you would use {it} to take a design from brief to hand-off: how would you "
            "test it with users, and how would you know it was ready?"
        ),
        ask="how would you test it with users, and how would you know it was ready?",
        points=(
            ("Starts from the users' problem and the brief's goal", "the users' problem"),
            ("Explores options and prototypes before polishing", "prototyping the options"),
            (
                "Tests with real users and changes the design on what they find",
                "testing with users",
            ),
            ("Hands off with specifications engineers can build from", "the hand-off"),
        ),
        follow_ups=(
            "What did a usability test last change in one of your designs?",
            "How do you handle feedback you disagree with?",
        ),
    ),
    "operations": _Area(
        task=(
            "Tell me how you would use {it} to plan and run a project: how would you set the plan, "
            "spot slippage early and keep people informed?"
        ),
        ask="how would you set the plan, and how would you spot slippage early?",
        points=(
            ("Breaks the work into steps with owners and dates", "the plan and its owners"),
            ("Tracks progress and spots slippage early", "spotting slippage"),
            ("Manages risks and dependencies", "the risks and dependencies"),
            ("Keeps stakeholders informed", "keeping people informed"),
        ),
        follow_ups=(
            "What would you do if a supplier missed a date you depended on?",
            "How would you know the project was on track without asking everyone?",
        ),
    ),
    "content": _Area(
        task=(
            "Tell me how you would use {it} to produce a piece of content: who is it for, and how "
            "would you know it worked?"
        ),
        ask="who is it for, and how would you know it worked?",
        points=(
            ("Starts from the audience and the purpose", "the audience and purpose"),
            ("Plans, drafts and edits with a clear structure", "drafting and editing"),
            ("Checks accuracy and tone before publishing", "checking before publishing"),
            ("Measures how the content performed and learns from it", "measuring how it performed"),
        ),
        follow_ups=(
            "How do you decide what to cut from a draft?",
            "Which measure of success would you trust most, and why?",
        ),
    ),
}

_SKILL_POINTS: tuple[tuple[str, str], ...] = (
    ("Describes a concrete task where this was used", "the task itself"),
    ("Explains their own steps and choices", "the steps you took"),
    ("Says how they checked that it had worked", "checking that it worked"),
)
_SKILL_FOLLOW_UPS = (
    "What was the hardest part of that, and how did you handle it?",
    "What would you do differently next time?",
)
_DUTY_POINTS: tuple[tuple[str, str], ...] = (
    (
        "Starts by understanding the current state and who depends on the work",
        "where you would start",
    ),
    ("Has a concrete plan with first steps and priorities", "your first steps"),
    ("Defines how success would be measured", "how you would measure success"),
    ("Names the risks or dependencies and how to handle them", "the risks involved"),
)  # fmt: skip
_DUTY_FOLLOW_UPS = (
    "What would you need from others to do that well?",
    "What would worry you most in the first month, and why?",
)

_RUBRIC: dict[str, Any] = {
    "criteria": [
        {
            "name": "correctness",
            "description": "The approach is sound and covers what the role asks for.",
            "anchors": {
                1: "The approach would not work, or misses what the task is about.",
                3: "A workable approach with a gap or a missing step.",
                5: "A sound, complete approach that covers the key points and states assumptions.",
            },
        },
        {
            "name": "depth",
            "description": "Goes beyond naming tools to how and why, with trade-offs.",
            "anchors": {
                1: "Names tools or steps only.",
                3: "Explains how, with some reasons.",
                5: "Explains how and why, the trade-offs and what can go wrong.",
            },
        },
        {
            "name": "practical_judgement",
            "description": "Connects the answer to real work: checks, priorities and pitfalls.",
            "anchors": {
                1: "No sense of how this is done in practice.",
                3: "Mentions practical checks when prompted.",
                5: "Brings up checks, priorities and pitfalls unprompted, from experience.",
            },
        },
        {
            "name": "communication",
            "description": "Clear and structured, at the right level for the listener.",
            "anchors": {
                1: "Hard to follow.",
                3: "Understandable and mostly structured.",
                5: "Structured, concise and concrete.",
            },
        },
    ]
}


def _slug(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()[:6]
    return "_".join(words) or "skill"


def _mentions(text: str, skill: Skill) -> bool:
    # The skill's name, or a name written in capitals inside it ("Looker" in "dashboarding in
    # Looker"), appears in the text.
    names = [skill.name, *(w for w in skill.name.split() if w[:1].isupper())]
    return any(
        re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text, re.IGNORECASE) is not None for n in names
    )


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _question(qid: str, text: str, competency: str, points: Sequence[tuple[str, str]],
              follow_ups: Sequence[str]) -> Question:  # fmt: skip
    data = {
        "id": qid,
        "text": text,
        "type": "technical",
        "competency": competency,
        "roles": [GENERAL_ROLE],
        "levels": list(LEVELS),
        "difficulty": _DIFFICULTY,
        "follow_ups": list(follow_ups),
        "rubric": _RUBRIC,
        "key_points": [p for p, _ in points],
        "topics": [t for _, t in points],
    }
    # The schema checks roles against those declared by the bank's files; the general role is
    # declared in questionbank/behavioral.yaml, so it is named here the same way.
    return Question.model_validate(data, context={"roles": [GENERAL_ROLE]})


def _area_question(area: str, skills: list[Skill], duty: Responsibility | None) -> Question:
    spec = _AREAS[area]
    names = [s.name for s in skills[:2]]
    asks = f"The role asks for {_join(names)}"
    if duty is not None:
        text = (
            f"{asks}, and one of the duties is to {duty.text}. "
            f"Walk me through how you would do that: {spec.ask}"
        )
    else:
        text = f"{asks}. " + spec.task.format(it="them" if len(names) > 1 else "it")
    first = (f"Shows hands-on use of {_join(names)}, with specifics", f"your use of {names[0]}")
    points = [first, *spec.points]
    return _question(f"{JD_PREFIX}{area}.{_slug(names[0])}", text, area, points, spec.follow_ups)


def _skill_question(skill: Skill) -> Question:
    text = (
        f"The role asks for {skill.name}. Tell me about a time you put that into practice: "
        "what was the task, what did you do, and how did you know it had worked?"
    )
    first = (f"Shows hands-on experience of {skill.name}", f"your experience of {skill.name}")
    return _question(
        f"{JD_PREFIX}skill.{_slug(skill.name)}", text, "job_skills",
        [first, *_SKILL_POINTS], _SKILL_FOLLOW_UPS,
    )  # fmt: skip


def _duty_question(duty: Responsibility) -> Question:
    text = (
        f"One of the duties is to {duty.text}. How would you approach that in your first few "
        "months: where would you start, and how would you know it was going well?"
    )
    first = (f"Understands what it takes to {duty.text}", duty.subject)
    return _question(
        f"{JD_PREFIX}duty.{_slug(duty.text)}", text, "job_duties",
        [first, *_DUTY_POINTS], _DUTY_FOLLOW_UPS,
    )  # fmt: skip


def jd_questions(job_description: str, *, limit: int = MAX_QUESTIONS) -> list[Question]:
    """Up to ``limit`` technical questions on what ``job_description`` asks for most.

    First the area of work it names most skills in (with a duty from that area when it lists
    one), then the next area, then a duty or a skill not yet asked about. Empty when the text
    names nothing to ask about.
    """
    found = extract_skills(job_description)
    out: list[Question] = []
    duties = list(found.responsibilities)
    leftovers: list[Skill] = []
    for area, skills in found.by_category():
        if area not in _AREAS:
            leftovers += skills
            continue
        if len(out) >= 2:
            leftovers += skills
            continue
        # A duty joins the question only when it names one of the skills, and then the
        # question names those skills, so that it stays about one piece of work.
        duty = next((d for d in duties if any(_mentions(d.text, s) for s in skills)), None)
        named = skills[:2]
        if duty is not None:
            duties.remove(duty)
            named = [s for s in skills if _mentions(duty.text, s)][:2]
            # ... and a tool asked for in the same breath ("SQL and dashboarding in Looker").
            tools = [
                s for s in skills
                if s not in named and is_tool(s.name) and named and s.line == named[0].line
            ]  # fmt: skip
            if len(named) == 1 and tools:
                named = [s for s in skills if s in (named[0], tools[0])]
        out.append(_area_question(area, named, duty))
        leftovers += [s for s in skills if s not in named]
    if len(out) < limit and duties:
        out.append(_duty_question(duties[0]))
    for skill in leftovers:
        if len(out) >= limit:
            break
        out.append(_skill_question(skill))
    unique: dict[str, Question] = {}
    for q in out:
        unique.setdefault(q.id, q)
    return list(unique.values())[:limit]


def with_jd_questions(bank: Bank, spec: Any) -> Bank:
    """``bank`` plus the questions built from ``spec``'s job description, when the spec is for
    a position with no technical bank; else ``bank`` itself.

    ``spec`` is an :class:`~interviewer.interview.spec.InterviewSpec` or its stored ``dict``.
    """
    get = spec.get if isinstance(spec, dict) else lambda key: getattr(spec, key, None)
    text = get("job_description")
    if get("role") != GENERAL_ROLE or not text:
        return bank
    extra = [q for q in jd_questions(str(text)) if q.id not in bank]
    return bank.extended(extra) if extra else bank
