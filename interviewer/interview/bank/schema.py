"""The question bank's schema: pydantic models for questions, rubrics and companies, and
:class:`Bank`, the loaded and validated whole.

Every model forbids unknown keys, so a typo in a hand-written bank file fails loudly;
:mod:`interviewer.interview.bank.loading` turns a validation error into a ``file:line`` message.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from interviewer.errors import ConfigError

__all__ = [
    "ANCHOR_LEVELS",
    "BANK_SUFFIXES",
    "DEFAULT_BANK_DIR",
    "DIFFICULTY_BY_LEVEL",
    "KNOWN_ROLES",
    "LEVELS",
    "QUESTION_TYPES",
    "Bank",
    "BankFile",
    "CompanyFact",
    "CompanyProfile",
    "Criterion",
    "Question",
    "RedFlag",
    "Rubric",
    "Source",
    "display_path",
    "unknown_name",
]

DEFAULT_BANK_DIR = Path(__file__).resolve().parents[3] / "questionbank"
BANK_SUFFIXES = (".yaml", ".yml")

KNOWN_ROLES: frozenset[str] = frozenset(
    {"data_scientist", "software_engineer", "ml_engineer", "product_manager"}
)
LEVELS: tuple[str, ...] = ("intern", "junior", "mid", "senior", "staff")
QUESTION_TYPES: tuple[str, ...] = ("behavioral", "technical")
ANCHOR_LEVELS: tuple[int, ...] = (1, 3, 5)

# A question tagged with several levels must fit every one of them, so that a staff-only
# brain-teaser is never served to an intern just because the tags were written broadly.
DIFFICULTY_BY_LEVEL: dict[str, tuple[int, int]] = {
    "intern": (1, 3),
    "junior": (1, 3),
    "mid": (2, 4),
    "senior": (3, 5),
    "staff": (3, 5),
}

Level = Literal["intern", "junior", "mid", "senior", "staff"]
QuestionType = Literal["behavioral", "technical"]

_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
_SNAKE_PATTERN = r"^[a-z][a-z0-9_]*$"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Id = Annotated[str, StringConstraints(pattern=_ID_PATTERN)]
SnakeId = Annotated[str, StringConstraints(pattern=_SNAKE_PATTERN)]


def _check_role(role: str, info: ValidationInfo) -> str:
    # Roles declared in any loaded file's ``roles:`` arrive through the validation context, so a
    # bank can add a role without a code change while typos in role names are still caught.
    allowed = KNOWN_ROLES | _context_roles(info)
    if role not in allowed:
        raise ValueError(
            unknown_name("role", role, allowed) + " (new roles go in a top-level roles: list)"
        )
    return role


def _context_roles(info: ValidationInfo) -> frozenset[str]:
    context = info.context if isinstance(info.context, dict) else {}
    return frozenset(context.get("roles", ()))


Role = Annotated[SnakeId, AfterValidator(_check_role)]


def _no_duplicates(values: Sequence[object], what: str) -> None:
    seen: set[object] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)


class _Model(BaseModel):
    # Typos in hand-written YAML (``follow_up:`` for ``follow_ups:``) must fail, not vanish.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(_Model):
    """One rubric criterion with behaviourally anchored levels 1, 3 and 5.

    Levels 2 and 4 are scored by interpolation between the neighbouring anchors.
    """

    name: SnakeId
    description: Text
    anchors: dict[int, Text]

    @field_validator("anchors")
    @classmethod
    def _three_anchors(cls, anchors: dict[int, str]) -> dict[int, str]:
        if sorted(anchors) != list(ANCHOR_LEVELS):
            raise ValueError(f"needs exactly the levels 1, 3 and 5 (got {sorted(anchors)})")
        return dict(sorted(anchors.items()))


class Rubric(_Model):
    """The criteria an answer is scored against."""

    criteria: list[Criterion] = Field(min_length=1)

    @field_validator("criteria")
    @classmethod
    def _unique_names(cls, criteria: list[Criterion]) -> list[Criterion]:
        _no_duplicates([c.name for c in criteria], "criterion name")
        return criteria


class RedFlag(_Model):
    """A common wrong claim for a technical question: an answer that states it loses
    correctness, and the report quotes the sentence with ``why``."""

    claim: Text
    why: Text


class Question(_Model):
    """One interview question with its probes, rubric and expected points."""

    id: Id
    text: Text
    type: QuestionType
    competency: SnakeId
    roles: list[Role] = Field(min_length=1)
    levels: list[Level] = Field(min_length=1)
    difficulty: int = Field(ge=1, le=5)
    companies: list[Id] = Field(default_factory=list)
    follow_ups: list[Text] = Field(min_length=2)
    rubric: Rubric
    key_points: list[Text] = Field(default_factory=list, validate_default=True)
    #: a short, hand-written noun phrase per key point ("effect size"), for follow-ups to name
    topics: list[Text] = Field(default_factory=list)
    red_flags: list[RedFlag] = Field(default_factory=list)
    evaluation_notes: Text | None = None

    @field_validator("roles", "levels", "companies")
    @classmethod
    def _unique_tags(cls, values: list[str], info: ValidationInfo) -> list[str]:
        _no_duplicates(values, f"entry in {info.field_name}")
        return values

    @field_validator("difficulty")
    @classmethod
    def _difficulty_fits_levels(cls, difficulty: int, info: ValidationInfo) -> int:
        for level in info.data.get("levels", ()):
            low, high = DIFFICULTY_BY_LEVEL[level]
            if not low <= difficulty <= high:
                raise ValueError(
                    f"difficulty {difficulty} does not suit level {level!r} (expected {low}-{high})"
                )
        return difficulty

    @field_validator("key_points")
    @classmethod
    def _technical_needs_key_points(cls, key_points: list[str], info: ValidationInfo) -> list[str]:
        # Technical answers are scored for coverage of these points; without them the scorer
        # would have nothing but the rubric's generic anchors to compare against.
        if info.data.get("type") == "technical" and not key_points:
            raise ValueError("technical questions need at least one key point")
        return key_points

    @field_validator("topics")
    @classmethod
    def _one_topic_per_key_point(cls, topics: list[str], info: ValidationInfo) -> list[str]:
        points = info.data.get("key_points") or []
        if topics and len(topics) != len(points):
            raise ValueError(f"needs one topic per key point ({len(points)}), got {len(topics)}")
        return topics


class CompanyFact(_Model):
    """A short fact the interviewer can give when the candidate asks about the company."""

    topic: Text
    answer: Text


class CompanyProfile(_Model):
    """A (fictional or archetypal) company whose values and style shape the interview."""

    id: Id
    name: Text
    values: list[Text] = Field(min_length=1)
    interview_style: Text
    emphasis: list[SnakeId] = Field(min_length=1)
    facts: list[CompanyFact] = Field(min_length=1)
    phrasing: list[Text] = Field(default_factory=list)


class BankFile(_Model):
    """The top level of one bank file."""

    roles: list[SnakeId] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    companies: list[CompanyProfile] = Field(default_factory=list)
    definitions: Any = None

    @field_validator("roles", "questions", "companies", mode="before")
    @classmethod
    def _empty_key_is_empty_list(cls, value: Any) -> Any:
        # ``questions:`` with nothing under it (a file being started) parses as null.
        return [] if value is None else value


@dataclass(frozen=True)
class Source:
    """Where a question or company was defined."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}"


class Bank:
    """A loaded, validated question bank."""

    def __init__(
        self,
        questions: Iterable[Question] = (),
        companies: Iterable[CompanyProfile] = (),
        roles: Iterable[str] = (),
        sources: dict[str, Source] | None = None,
    ) -> None:
        self._questions = {q.id: q for q in questions}
        self._companies = {c.id: c for c in companies}
        self._roles = frozenset(KNOWN_ROLES | set(roles))
        self._sources = dict(sources or {})

    def extended(self, questions: Iterable[Question]) -> Bank:
        """A copy with ``questions`` added (same companies, roles and sources); for questions
        built for one interview, such as those from a job description."""
        return Bank(
            [*self._questions.values(), *questions],
            self._companies.values(),
            self._roles,
            self._sources,
        )

    @property
    def questions(self) -> tuple[Question, ...]:
        """All questions, in file order."""
        return tuple(self._questions.values())

    @property
    def companies(self) -> tuple[CompanyProfile, ...]:
        """All company profiles, in file order."""
        return tuple(self._companies.values())

    @property
    def roles(self) -> frozenset[str]:
        """Known roles plus those declared by the bank's files."""
        return self._roles

    def __len__(self) -> int:
        return len(self._questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self._questions.values())

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._questions

    def get(self, question_id: str) -> Question:
        """The question with this id; ConfigError (with close matches) if there is none."""
        try:
            return self._questions[question_id]
        except KeyError:
            raise ConfigError(unknown_name("question id", question_id, self._questions)) from None

    def company(self, company_id: str) -> CompanyProfile:
        """The company profile with this id; ConfigError (with close matches) if there is none."""
        try:
            return self._companies[company_id]
        except KeyError:
            raise ConfigError(unknown_name("company", company_id, self._companies)) from None

    def source(self, item_id: str) -> Source | None:
        """The file and line where a question (or, failing that, a company) was defined."""
        return self._sources.get(f"question:{item_id}") or self._sources.get(f"company:{item_id}")

    def filter(
        self,
        role: str | None = None,
        level: str | None = None,
        type: str | None = None,
        company: str | None = None,
        competency: str | None = None,
        include_generic: bool = True,
    ) -> list[Question]:
        """Questions matching every given criterion, in file order.

        With ``company``, questions written for that company match, and so do generic questions
        (no ``companies`` tag) unless ``include_generic`` is false; questions written only for
        other companies never match. An unknown role, level, type or company is a ConfigError,
        because these values come from command-line flags.
        """
        if role is not None and role not in self._roles:
            raise ConfigError(unknown_name("role", role, self._roles))
        if level is not None and level not in LEVELS:
            raise ConfigError(unknown_name("level", level, LEVELS))
        if type is not None and type not in QUESTION_TYPES:
            raise ConfigError(unknown_name("question type", type, QUESTION_TYPES))
        if company is not None and company not in self._companies:
            raise ConfigError(unknown_name("company", company, self._companies))
        out = []
        for q in self._questions.values():
            if role is not None and role not in q.roles:
                continue
            if level is not None and level not in q.levels:
                continue
            if type is not None and q.type != type:
                continue
            if competency is not None and q.competency != competency:
                continue
            if company is not None:
                generic = not q.companies
                if not (company in q.companies or (generic and include_generic)):
                    continue
            out.append(q)
        return out


def unknown_name(what: str, value: str, known: Iterable[str]) -> str:
    """``unknown role 'x'; did you mean y?``: the error for a name that is not defined."""
    names = sorted(known)
    close = difflib.get_close_matches(value, names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"unknown {what} {value!r}{hint}"


def display_path(path: Path) -> str:
    """The path as the user would write it: relative to the working folder when inside it."""
    # Relative paths read better in error lines and match what the user typed or sees in a tree.
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)
