"""The screening mode's records: organisations, users, templates, invitations, reviews, audit.

Plain frozen dataclasses; the store (:mod:`interviewer.store.screening`) reads and writes them
and :class:`~interviewer.screening.service.Screening` checks who may see which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "INVITATION_STATUSES",
    "ROLES",
    "AuditEntry",
    "CandidateResult",
    "DashboardRow",
    "FairnessCheck",
    "Invitation",
    "Org",
    "PurgeReport",
    "Review",
    "Role",
    "Template",
    "TemplateDraft",
    "TemplateQuestion",
    "User",
]

Role = Literal["admin", "reviewer"]
ROLES: tuple[str, ...] = ("admin", "reviewer")
InvitationStatus = Literal[
    "invited", "consented", "started", "interrupted", "completed", "expired", "deleted", "purged"
]
INVITATION_STATUSES: tuple[str, ...] = (
    "invited", "consented", "started", "interrupted", "completed", "expired", "deleted", "purged",
)  # fmt: skip


@dataclass(frozen=True)
class Org:
    id: str
    name: str


@dataclass(frozen=True)
class User:
    id: str
    org_id: str
    email: str
    name: str
    role: Role
    created_at: datetime


@dataclass(frozen=True)
class TemplateQuestion:
    """A bank question (``bank_id``), or one written fresh for the template (``bank_id`` None)
    with its own rubric: the key points a good answer covers."""

    bank_id: str | None
    text: str
    competency: str
    type: Literal["behavioral", "technical"]
    key_points: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "bank_id": self.bank_id,
            "text": self.text,
            "competency": self.competency,
            "type": self.type,
            "key_points": list(self.key_points),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TemplateQuestion:
        return cls(
            bank_id=d.get("bank_id"),
            text=str(d["text"]),
            competency=str(d["competency"]),
            type=d["type"],
            key_points=tuple(str(p) for p in d.get("key_points", ())),
        )


@dataclass(frozen=True)
class TemplateDraft:
    """What a reviewer writes; every save of it is a new :class:`Template` version."""

    name: str
    position: str
    level: str
    questions: tuple[TemplateQuestion, ...]
    follow_ups: int = 1
    time_limit_min: float = 20
    #: the organisation's evaluation instructions: they reach the scoring prompt (as the
    #: employer's text, never as the candidate's) and are shown in the report
    instructions: str = ""
    #: rubric criterion name -> weight in an answer's overall score (unlisted criteria: 1)
    weights: Mapping[str, float] = field(default_factory=dict)
    retention_days: int = 90
    #: whether the candidate sees their scores on the thank-you page
    show_scores: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "position": self.position,
            "level": self.level,
            "questions": [q.to_dict() for q in self.questions],
            "follow_ups": self.follow_ups,
            "time_limit_min": self.time_limit_min,
            "instructions": self.instructions,
            "weights": dict(self.weights),
            "retention_days": self.retention_days,
            "show_scores": self.show_scores,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TemplateDraft:
        return cls(
            name=str(d["name"]),
            position=str(d["position"]),
            level=str(d["level"]),
            questions=tuple(TemplateQuestion.from_dict(q) for q in d["questions"]),
            follow_ups=int(d.get("follow_ups", 1)),
            time_limit_min=float(d.get("time_limit_min", 20)),
            instructions=str(d.get("instructions", "")),
            weights={str(k): float(v) for k, v in dict(d.get("weights", {})).items()},
            retention_days=int(d.get("retention_days", 90)),
            show_scores=bool(d.get("show_scores", False)),
        )


@dataclass(frozen=True)
class Template:
    id: str
    org_id: str
    version: int
    created_by: str
    created_at: datetime
    draft: TemplateDraft


@dataclass(frozen=True)
class Invitation:
    id: str
    token: str
    org_id: str
    template_id: str
    template_version: int
    name: str
    email: str
    created_at: datetime
    expires_at: datetime
    #: ``expired`` is derived on reading (an unfinished invitation past its expiry)
    status: InvitationStatus
    session_id: str | None
    consented_at: datetime | None = None
    shortlisted: bool = False
    #: numbers kept when the transcript was purged (overall, competencies, date, length)
    tombstone: dict[str, Any] | None = None


@dataclass(frozen=True)
class CandidateResult:
    """What the candidate's thank-you page may show: scores only if the template allows."""

    name: str
    status: InvitationStatus
    show_scores: bool
    overall: float | None = None
    competencies: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    ts: datetime
    org_id: str | None
    #: a user id, ``cli`` (the terminal), ``system`` (scheduled purge) or ``candidate:<inv id>``
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class Review:
    invitation_id: str
    session_id: str | None
    reviewer_id: str
    overall: float | None
    notes: str
    #: criterion or competency name -> the reviewer's score (1-5)
    overrides: dict[str, float]
    ts: datetime


@dataclass(frozen=True)
class DashboardRow:
    invitation: Invitation
    overall: float | None
    competencies: dict[str, float]
    #: the scorer's mean confidence (0-1) over the scored answers
    confidence: float | None
    delivery: dict[str, Any]
    date: datetime | None
    length_s: float | None
    reviewer_overall: float | None
    #: the machine's and the reviewer's overall differ by at least one point
    disagrees: bool
    shortlisted: bool
    review: Review | None = None

    def to_dict(self) -> dict[str, Any]:
        inv = self.invitation
        return {
            "invitation_id": inv.id,
            "name": inv.name,
            "email": inv.email,
            "status": inv.status,
            "session_id": inv.session_id,
            "template_id": inv.template_id,
            "template_version": inv.template_version,
            "overall": self.overall,
            "competencies": self.competencies,
            "confidence": self.confidence,
            "delivery": self.delivery,
            "date": self.date.isoformat() if self.date else None,
            "length_s": self.length_s,
            "reviewer_overall": self.reviewer_overall,
            "reviewer_notes": self.review.notes if self.review else "",
            "disagrees": self.disagrees,
            "shortlisted": self.shortlisted,
        }


@dataclass(frozen=True)
class FairnessCheck:
    """Whether answers' scores follow the recogniser's confidence in their words."""

    n: int
    #: Pearson's r between mean word confidence and score (None below the minimum n)
    r: float | None
    warn: bool
    message: str
    spearman: float | None = None
    #: mean score of the lowest-confidence quartile of answers minus that of the rest
    gap: float | None = None


@dataclass
class PurgeReport:
    sessions: list[str] = field(default_factory=list)
    recordings: int = 0
    turns: int = 0
    events: int = 0
