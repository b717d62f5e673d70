"""Trends across one user's interviews: overall and per-competency scores, pace and fillers."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from interviewer.store import Store

if TYPE_CHECKING:
    from interviewer.interview.bank import Bank

#: The most interviews a progress view covers (the newest ones).
MAX_SESSIONS = 30


@dataclass
class ProgressRow:
    session_id: str
    created_at: datetime
    role: str
    status: str
    overall: float | None
    competencies: dict[str, float]
    delivery: dict[str, float]


@dataclass
class Progress:
    user_id: str
    rows: list[ProgressRow] = field(default_factory=list)

    @property
    def competencies(self) -> list[str]:
        """Competencies by how many interviews covered them."""
        counts: dict[str, int] = {}
        for r in self.rows:
            for c in r.competencies:
                counts[c] = counts.get(c, 0) + 1
        return sorted(counts, key=lambda c: (-counts[c], c))

    @property
    def trend(self) -> float | None:
        """Least-squares slope of the overall score per interview (None under 3 scored)."""
        points = [(i, r.overall) for i, r in enumerate(self.rows) if r.overall is not None]
        if len(points) < 3:
            return None
        xs = [float(i) for i, _ in points]
        ys = [float(v) for _, v in points if v is not None]
        return statistics.linear_regression(xs, ys).slope

    def to_json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "trend_per_interview": self.trend,
            "sessions": [
                {
                    "session_id": r.session_id,
                    "created_at": r.created_at.isoformat(),
                    "role": r.role,
                    "status": r.status,
                    "overall": r.overall,
                    "competencies": r.competencies,
                    "delivery": r.delivery,
                }
                for r in self.rows
            ],
        }


def build_progress(store: Store, user_id: str = "local", *, bank: Bank) -> Progress:
    """Every stored interview of ``user_id`` with answers, oldest first.

    ``bank`` (with the user's own questions) names the competency of a stored score that
    does not carry one.

    Scores are read as stored (the worker's, or those a report added); unscored sessions still
    show their delivery figures.
    """
    from interviewer.report.model import delivery_summary

    progress = Progress(user_id)
    sessions = [s for s in store.list_sessions(user_id, limit=MAX_SESSIONS) if s.turn_count]
    for meta in sorted(sessions, key=lambda s: s.created_at):
        record = store.get_session(meta.id)
        last: dict[str, dict[str, Any]] = {}
        for turn in record.turns:
            if turn.question_id and turn.scores is not None:
                last[turn.question_id] = turn.scores
        by_comp: dict[str, list[float]] = {}
        for qid, doc in last.items():
            comp = str(doc.get("competency") or _competency(bank, qid))
            by_comp.setdefault(comp, []).append(float(doc["overall"]))
        overall = [float(d["overall"]) for d in last.values()]
        progress.rows.append(
            ProgressRow(
                session_id=record.id,
                created_at=record.created_at,
                role=str(record.spec.get("role") or "–"),
                status=record.status,
                overall=round(statistics.fmean(overall), 2) if overall else None,
                competencies={c: round(statistics.fmean(v), 2) for c, v in by_comp.items()},
                delivery=delivery_summary(record.turns),
            )
        )
    return progress


def _competency(bank: Bank, question_id: str) -> str:
    from interviewer.errors import ConfigError

    try:
        return str(bank.get(question_id).competency)
    except ConfigError:
        return "other"
