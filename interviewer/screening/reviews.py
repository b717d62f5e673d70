"""The reviewer's side: the dashboard, a candidate's report, ratings, shortlist and export.

A dashboard row holds the machine's figures (from the same report model as the practice
report: overall, per competency, confidence, delivery) next to the reviewer's own rating, and
flags a disagreement when the two overall scores differ by :data:`DISAGREE_AT` or more. Every
view of a candidate, rating and export goes to the audit log.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from interviewer.errors import ConfigError
from interviewer.report.model import Report, build_report
from interviewer.screening.errors import InvalidInput, LinkInvalid, NotFound
from interviewer.screening.invitations import Invitations, csv_cell
from interviewer.screening.models import CandidateResult, DashboardRow, Invitation, Review, User
from interviewer.screening.recordings import recording_path
from interviewer.store import SessionRecord, StoreError
from interviewer.store import screening as sql
from interviewer.store.rows import Con
from interviewer.textsafe import storable

#: Machine and reviewer overall scores this far apart (or further) are a disagreement.
DISAGREE_AT = 1.0
MAX_NOTES = 5000
SORT_KEYS = ("overall", "name", "date", "confidence", "length", "reviewer", "status")
_SNAKE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Delivery figures exported per candidate.
DELIVERY_EXPORT = ("words_per_minute", "hesitations_per_minute", "long_pauses_inside_sentence")


def _score(value: Any, field: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field}: a score from 1 to 5") from None
    if not (math.isfinite(v) and 1.0 <= v <= 5.0):
        raise InvalidInput(f"{field}: a score from 1 to 5")
    return round(v, 2)


def review_from_row(r: Mapping[str, Any]) -> Review:
    return Review(
        invitation_id=r["invitation_id"],
        session_id=r["session_id"],
        reviewer_id=r["reviewer_id"],
        overall=r["overall"],
        notes=r["notes"],
        overrides={str(k): float(v) for k, v in dict(r["overrides"] or {}).items()},
        ts=r["ts"],
    )


def session_length_s(started: datetime, ended: datetime | None) -> float | None:
    return None if ended is None else round((ended - started).total_seconds(), 1)


class Reviewing(Invitations):
    # --- building rows --------------------------------------------------------------------

    def _report(self, inv: Invitation) -> Report | None:
        """The candidate's report (None before the interview or after a purge). Answers the
        live worker did not score are scored by the rules now, once the interview is over."""
        if inv.session_id is None or inv.status in ("purged", "deleted"):
            return None
        try:
            record = self.store.get_session(inv.session_id)
            live = record.status == "running"
            return build_report(self.store, record.id, bank=self.bank, score_missing=not live)
        except (StoreError, ConfigError):
            return None

    def _row(self, inv: Invitation, review: Review | None) -> DashboardRow:
        report = self._report(inv)
        if report is not None:
            s = report.session
            overall: float | None = report.overall
            competencies = dict(report.competencies)
            confidence, delivery = report.confidence, dict(report.delivery)
            date: datetime | None = s.created_at
            length = session_length_s(s.created_at, s.finished_at or s.updated_at)
        else:
            stone = inv.tombstone or {}
            overall = stone.get("overall")
            competencies = dict(stone.get("competencies") or {})
            confidence, delivery = stone.get("confidence"), dict(stone.get("delivery") or {})
            date = datetime.fromisoformat(stone["date"]) if stone.get("date") else None
            length = stone.get("length_s")
        mine = review.overall if review else None
        disagrees = overall is not None and mine is not None and abs(overall - mine) >= DISAGREE_AT
        return DashboardRow(
            invitation=inv, overall=overall, competencies=competencies, confidence=confidence,
            delivery=delivery, date=date, length_s=length, reviewer_overall=mine,
            disagrees=disagrees, shortlisted=inv.shortlisted, review=review,
        )  # fmt: skip

    def _reviews(self, invitations: list[Invitation]) -> dict[str, Review]:
        with self._tables.read() as con:
            rows = sql.latest_reviews(con, [i.id for i in invitations])
        return {k: review_from_row(v) for k, v in rows.items()}

    # --- the dashboard --------------------------------------------------------------------

    def dashboard(
        self,
        actor: User,
        template_id: str,
        *,
        sort: str = "overall",
        descending: bool = True,
        shortlisted_only: bool = False,
        status: str | None = None,
    ) -> list[DashboardRow]:
        """The template's candidates side by side (every version's), sorted; unknown values
        of ``sort`` are InvalidInput. Rows without the sorted value come last."""
        if sort not in SORT_KEYS:
            raise InvalidInput(f"sort: one of {', '.join(SORT_KEYS)}")
        invitations = [
            i
            for i in self.invitations(actor, template_id)
            if (not shortlisted_only or i.shortlisted) and (status is None or i.status == status)
        ]
        reviews = self._reviews(invitations)
        rows = [self._row(i, reviews.get(i.id)) for i in invitations]
        key = {
            "overall": lambda r: r.overall,
            "name": lambda r: r.invitation.name.lower(),
            "date": lambda r: r.date.timestamp() if r.date else None,
            "confidence": lambda r: r.confidence,
            "length": lambda r: r.length_s,
            "reviewer": lambda r: r.reviewer_overall,
            "status": lambda r: r.invitation.status,
        }[sort]
        present = sorted((r for r in rows if key(r) is not None), key=key, reverse=descending)
        return present + [r for r in rows if key(r) is None]

    def candidate(self, actor: User, invitation_id: str) -> tuple[Invitation, SessionRecord | None]:
        """One candidate's invitation and stored interview (None before it or after a purge
        or deletion); audited as a view of the candidate."""
        inv = self.invitation(actor, invitation_id)
        record = None
        if inv.session_id is not None and inv.status not in ("purged", "deleted"):
            try:
                record = self.store.get_session(inv.session_id)
            except StoreError:
                record = None
        self._audit_now(actor.org_id, actor.id, "candidate.view", inv.id,
                        {"session_id": inv.session_id})  # fmt: skip
        return inv, record

    def report(self, actor: User, invitation_id: str) -> Report | None:
        """The candidate's report: figures, evidence, delivery, the template's evaluation
        instructions (view it after :meth:`candidate`, which audits the view)."""
        return self._report(self.invitation(actor, invitation_id))

    def reviews(self, actor: User, invitation_id: str) -> list[Review]:
        """Every rating of the candidate, oldest first (the newest is the current one)."""
        inv = self.invitation(actor, invitation_id)
        with self._tables.read() as con:
            return [review_from_row(r) for r in sql.reviews_of(con, inv.id)]

    def candidate_result(self, token: str) -> CandidateResult:
        """For the candidate's thank-you page: their scores only if the template shows them."""
        inv = self._by_token(token)
        if inv.status in ("deleted", "purged"):
            raise LinkInvalid(inv.status)
        template = self._template(inv.template_id, inv.template_version)
        show = template.draft.show_scores
        if not show or inv.status != "completed":
            return CandidateResult(inv.name, inv.status, show)
        row = self._row(inv, None)
        return CandidateResult(inv.name, inv.status, show, row.overall, row.competencies)

    def recording(self, actor: User, invitation_id: str, turn_idx: int) -> Path:
        """The WAV of one answer, for a reviewer to play (audited)."""
        inv = self.invitation(actor, invitation_id)
        if inv.session_id is None or inv.status in ("purged", "deleted"):
            raise NotFound(f"no recording for candidate {invitation_id}")
        path = recording_path(self.store.path, inv.session_id, int(turn_idx))
        if not path.is_file():
            raise NotFound(f"no recording of answer {turn_idx}")
        self._audit_now(actor.org_id, actor.id, "recording.play", inv.id, {"turn": int(turn_idx)})
        return path

    def review(
        self,
        actor: User,
        invitation_id: str,
        *,
        overall: float | None,
        notes: str = "",
        overrides: Mapping[str, float] | None = None,
    ) -> Review:
        """The reviewer's own rating next to the machine's (kept as history; the newest
        counts). ``overrides``: criterion or competency name -> 1-5."""
        inv = self.invitation(actor, invitation_id)
        mine = _score(overall, "overall")
        clean: dict[str, float] = {}
        for name, value in dict(overrides or {}).items():
            if not _SNAKE.match(str(name)):
                raise InvalidInput(f"overrides: {name!r} is not a criterion or competency name")
            score = _score(value, f"overrides.{name}")
            if score is not None:
                clean[str(name)] = score
        text = storable(str(notes or "")).strip()
        if len(text) > MAX_NOTES:
            raise InvalidInput(f"notes: at most {MAX_NOTES} characters")
        machine = self._row(inv, None).overall
        review = Review(inv.id, inv.session_id, actor.id, mine, text, clean, self._now())

        def run(con: Con) -> None:
            sql.insert_review(con, {
                "invitation_id": inv.id, "session_id": inv.session_id,
                "reviewer_id": actor.id, "overall": mine, "notes": text,
                "overrides": clean, "ts": review.ts,
            })  # fmt: skip
            self._audit(con, actor.org_id, actor.id, "review.override", inv.id,
                        {"overall": mine, "machine_overall": machine, "overrides": clean,
                         "notes_changed": bool(text)})  # fmt: skip

        self._tables.write(run)
        return review

    def shortlist(self, actor: User, invitation_id: str, on: bool) -> None:
        inv = self.invitation(actor, invitation_id)

        def run(con: Con) -> None:
            sql.update_invitation(con, inv.id, shortlisted=bool(on))
            self._audit(
                con, actor.org_id, actor.id, "candidate.shortlist", inv.id, {"on": bool(on)}
            )

        self._tables.write(run)

    def export(self, actor: User, template_id: str, fmt: Literal["csv", "json"]) -> str:
        """The dashboard as CSV (one row per candidate) or JSON (audited)."""
        if fmt not in ("csv", "json"):
            raise InvalidInput("format: csv or json")
        rows = self.dashboard(actor, template_id, sort="name", descending=False)
        if fmt == "json":
            text = json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False)
        else:
            text = _csv(rows)
        self._audit_now(actor.org_id, actor.id, "export", template_id,
                        {"format": fmt, "rows": len(rows)})  # fmt: skip
        return text


def _csv(rows: list[DashboardRow]) -> str:
    competencies = sorted({c for r in rows for c in r.competencies})
    head = [
        "name", "email", "status", "template_version", "date", "length_s", "overall",
        "confidence", "reviewer_overall", "disagrees", "shortlisted", "reviewer_notes",
    ]  # fmt: skip
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head + [f"competency:{c}" for c in competencies] + list(DELIVERY_EXPORT))
    for r in rows:
        d = r.to_dict()
        w.writerow(
            [csv_cell(d[k]) for k in head]
            + [csv_cell(r.competencies.get(c)) for c in competencies]
            + [csv_cell(r.delivery.get(k)) for k in DELIVERY_EXPORT]
        )
    return buf.getvalue()
