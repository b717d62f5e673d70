"""Retention and deletion: recordings and transcripts do not outlive their purpose.

Each template version sets a retention period. :meth:`Retention.purge` (``interviewer admin
purge``, and the server once a day) deletes the recordings and the transcript (turns, events
and the saved interview state, which quotes the answers) of every interview finished longer
ago than that; the session row stays as a tombstone and the invitation keeps the numbers
(overall, per competency, confidence, delivery, date, length), so the dashboard shows the
candidate as "purged". A candidate's data is deleted on request with
:meth:`Retention.delete_candidate`. Both are recorded in the audit log; the log itself is never
purged.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from interviewer.screening.errors import NotFound
from interviewer.screening.fairness import answer_confidence, fairness_check
from interviewer.screening.invitations import invitation_from_row
from interviewer.screening.models import FairnessCheck, Invitation, PurgeReport, User
from interviewer.screening.recordings import delete_recordings
from interviewer.screening.reviews import Reviewing
from interviewer.store import StoreError
from interviewer.store import screening as sql
from interviewer.store.rows import Con


class Retention(Reviewing):
    def purge(self, *, now: datetime | None = None, actor: str = "system") -> PurgeReport:
        """Purge every interview past its template's retention; return what went."""
        at = now or self._now()
        with self._tables.read() as con:
            rows = [
                r for r in sql.invitations_of(con)
                if r["session_id"] and r["status"] not in ("deleted", "purged")
            ]  # fmt: skip
        report = PurgeReport()
        retention: dict[tuple[str, int], int] = {}
        for r in rows:
            key = (r["template_id"], int(r["template_version"]))
            if key not in retention:
                retention[key] = self._template(*key).draft.retention_days
            with self._tables.read() as con:
                times = sql.session_times(con, r["session_id"])
            if times is None or times["status"] == "running":
                continue
            ended = times["finished_at"] or times["updated_at"]
            if ended + timedelta(days=retention[key]) > at:
                continue
            inv = invitation_from_row(r, at)
            turns, events, files = self._erase(inv, actor, "purge", keep_numbers=True)
            report.sessions.append(inv.session_id or "")
            report.turns += turns
            report.events += events
            report.recordings += files
        return report

    def delete_candidate(self, actor: User, invitation_id: str) -> None:
        """Delete a candidate's data on request (admins): recordings, transcript, scores,
        reviews, name and email; the invitation stays as an anonymous "deleted" row."""
        self._require(actor, ("admin",))
        inv = self.invitation(actor, invitation_id)
        self._erase(inv, actor.id, "candidate.delete", keep_numbers=False)

    def operator_delete_candidate(self, invitation_id: str) -> Invitation:
        """:meth:`delete_candidate` from the terminal (``interviewer admin delete-candidate``)."""
        with self._tables.read() as con:
            row = sql.invitation_by_id(con, str(invitation_id))
        if row is None:
            raise NotFound(f"no candidate {invitation_id}")
        inv = invitation_from_row(row, self._now())
        self._erase(inv, "cli", "candidate.delete", keep_numbers=False)
        return inv

    def _erase(
        self, inv: Invitation, actor: str, action: str, *, keep_numbers: bool
    ) -> tuple[int, int, int]:
        stone: dict[str, Any] | None = None
        if keep_numbers:
            row = self._row(inv, None)
            stone = {
                "overall": row.overall, "competencies": row.competencies,
                "confidence": row.confidence, "delivery": row.delivery,
                "date": row.date.isoformat() if row.date else None, "length_s": row.length_s,
                "purged_at": self._now().isoformat(),
            }  # fmt: skip
        files = delete_recordings(self.store.path, inv.session_id) if inv.session_id else 0
        sid = inv.session_id

        def run(con: Con) -> tuple[int, int]:
            turns = events = 0
            if sid is not None:
                turns, events = sql.purge_session_content(con, sid)
                if not keep_numbers:
                    sql.delete_session_row(con, sid)
            if keep_numbers:
                sql.update_invitation(con, inv.id, status="purged", tombstone=stone)
            else:
                reviews = sql.delete_reviews(con, inv.id)
                sql.update_invitation(
                    con, inv.id, status="deleted", name="(deleted)", email="", tombstone=None,
                    shortlisted=False,
                )  # fmt: skip
            detail = {"session_id": sid, "turns": turns, "events": events, "recordings": files}
            if not keep_numbers:
                detail["reviews"] = reviews
            self._audit(con, inv.org_id, actor, action, inv.id, detail)
            return turns, events

        turns, events = self._tables.write(run)
        return turns, events, files

    # --- fairness -------------------------------------------------------------------------

    def fairness(self, actor: User, template_id: str) -> FairnessCheck:
        """Scores against speech-recognition confidence over the template's interviews."""
        pairs: list[tuple[float, float]] = []
        for inv in self.invitations(actor, template_id):
            if inv.session_id is None or inv.status in ("purged", "deleted"):
                continue
            try:
                record = self.store.get_session(inv.session_id)
            except StoreError:
                continue
            words: dict[str, list[dict[str, Any]]] = {}
            score: dict[str, float] = {}
            for turn in record.turns:
                if not turn.question_id:
                    continue
                words.setdefault(turn.question_id, []).extend(turn.words)
                if turn.scores is not None:  # the last scored turn holds the question's score
                    score[turn.question_id] = float(turn.scores["overall"])
            for qid, overall in score.items():
                conf = answer_confidence(words.get(qid, ()))
                if conf is not None:
                    pairs.append((conf, overall))
        return fairness_check(pairs)
