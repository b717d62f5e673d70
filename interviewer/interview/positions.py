"""Free-text positions: "Senior Data Scientist", "ML engineer", "Marketing Analyst".

:func:`map_position` turns a position as a person writes it into the bank's role and level.
A position with no technical bank is not an error: it gets a behavioural interview under
:data:`GENERAL_ROLE` (declared in questionbank/behavioral.yaml), and the returned note says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["GENERAL_ROLE", "Position", "map_position"]

#: The role every behavioural question is tagged with, for positions without a technical bank.
GENERAL_ROLE = "general"

# Longest phrases first, so "machine learning engineer" wins over "engineer".
_ROLE_PHRASES: tuple[tuple[str, str], ...] = (
    ("machine learning engineer", "ml_engineer"),
    ("machine learning scientist", "data_scientist"),
    ("mlops engineer", "ml_engineer"),
    ("ml ops engineer", "ml_engineer"),
    ("ml engineer", "ml_engineer"),
    ("ai engineer", "ml_engineer"),
    ("deep learning engineer", "ml_engineer"),
    ("mle", "ml_engineer"),
    ("data scientist", "data_scientist"),
    ("applied scientist", "data_scientist"),
    ("research scientist", "data_scientist"),
    ("decision scientist", "data_scientist"),
    ("data science", "data_scientist"),
    ("product analyst", "data_scientist"),
    ("data analyst", "data_scientist"),
    ("product manager", "product_manager"),
    ("product owner", "product_manager"),
    ("product lead", "product_manager"),
    ("technical program manager", "product_manager"),
    ("software engineer", "software_engineer"),
    ("software developer", "software_engineer"),
    ("backend engineer", "software_engineer"),
    ("back end engineer", "software_engineer"),
    ("frontend engineer", "software_engineer"),
    ("front end engineer", "software_engineer"),
    ("full stack engineer", "software_engineer"),
    ("fullstack engineer", "software_engineer"),
    ("full stack developer", "software_engineer"),
    ("web developer", "software_engineer"),
    ("platform engineer", "software_engineer"),
    ("site reliability engineer", "software_engineer"),
    ("devops engineer", "software_engineer"),
    ("programmer", "software_engineer"),
    ("developer", "software_engineer"),
    ("swe", "software_engineer"),
    ("sde", "software_engineer"),
    ("ds", "data_scientist"),
    ("pm", "product_manager"),
)
_LEVEL_WORDS: tuple[tuple[str, str], ...] = (
    ("intern", "intern"),
    ("internship", "intern"),
    ("trainee", "intern"),
    ("junior", "junior"),
    ("jr", "junior"),
    ("graduate", "junior"),
    ("entry level", "junior"),
    ("associate", "junior"),
    ("mid level", "mid"),
    ("mid", "mid"),
    ("intermediate", "mid"),
    ("senior", "senior"),
    ("sr", "senior"),
    ("lead", "senior"),
    ("staff", "staff"),
    ("principal", "staff"),
    ("distinguished", "staff"),
)


@dataclass(frozen=True)
class Position:
    """What a free-text position maps to; ``level`` is None when the text names none."""

    text: str
    role: str
    level: str | None
    behavioral_only: bool
    note: str


def _words(text: str) -> str:
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split()) + " "


def map_position(text: str, roles: Iterable[str]) -> Position:
    """Map ``text`` to one of ``roles`` (the bank's) and a level.

    A bank role id or alias matches itself; otherwise the longest known job-title phrase in the
    text decides. With no match, or a match to a role the bank does not have, the position gets
    :data:`GENERAL_ROLE` and a behavioural interview.
    """
    known = set(roles)
    said = _words(text)
    snake = "_".join(said.split())
    level = next((lv for w, lv in _LEVEL_WORDS if f" {w} " in said), None)
    role = snake if snake in known else None
    if role is None:
        role = next((r for phrase, r in _ROLE_PHRASES if f" {phrase} " in said), None)
    if role is not None and role in known:
        where = f", {level}" if level else ""
        return Position(text, role, level, False, f"position {text!r}: {role}{where}")
    return Position(
        text,
        GENERAL_ROLE,
        level,
        True,
        f"position {text!r}: no technical question bank for it, so a behavioural interview",
    )


def position_title(text: str) -> str:
    """The position as written, without its level words ("Senior Data Analyst" -> "Data
    Analyst"): the greeting names the level itself, and a mapped role's own name ("data
    scientist") would misname a "Data Analyst" to the candidate."""
    title = f" {' '.join(text.split())} "
    for word, _level in sorted(_LEVEL_WORDS, key=lambda wl: -len(wl[0])):
        title = re.sub(rf"(?i)(?<=[\s(/-]){re.escape(word)}\.?(?=[\s)/,-])", " ", title)
    return " ".join(title.split()).strip(" ,-/")
