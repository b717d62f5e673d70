"""Invitations: one link per candidate, single use, with an expiry.

The link's token (``secrets.token_urlsafe(32)``) is the candidate's only credential: it opens
that candidate's interview and nothing else. It works from the consent page through the
interview, and again after a dropped connection (the interrupted session resumes through
:func:`interviewer.session.resume_interview`), until the interview is completed or the
invitation expires; then :class:`LinkInvalid` says which. No email is sent: the reviewer copies
the link or exports the list as CSV for the company's own mail.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from interviewer.engines.base import LLM
from interviewer.interview.spec import InterviewSpec
from interviewer.interview.templated import TemplatePlan
from interviewer.screening.accounts import _name, normal_email
from interviewer.screening.errors import (
    Forbidden,
    InvalidInput,
    LinkInvalid,
    NotFound,
    ScreeningError,
)
from interviewer.screening.models import Invitation, InvitationStatus, Template, User
from interviewer.screening.templates import Templates, interview_plan
from interviewer.session import Interview
from interviewer.store import screening as sql
from interviewer.store.rows import Con

MAX_DAYS = 90
#: statuses in which the link still opens (until it expires)
OPEN_STATUSES = ("invited", "consented", "started", "interrupted")


@dataclass(frozen=True)
class InterviewSetup:
    """What an interview on this invitation runs with (``new_interview``'s arguments)."""

    invitation: Invitation
    spec: InterviewSpec
    plan: TemplatePlan
    #: the store's ``user_id`` of the candidate's session
    user_id: str
    #: the interrupted session to resume, or None for a first start
    resume_session_id: str | None


def link_for(base_url: str, token: str) -> str:
    """The candidate's link: ``base_url`` (the web app's invitation route) + ``/`` + token."""
    return f"{base_url.rstrip('/')}/{token}"


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula (a name like ``=HYPERLINK(...)``)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def invitation_from_row(r: Mapping[str, Any], at: datetime) -> Invitation:
    status = str(r["status"])
    session_status = r.get("session_status")
    if status in ("started", "interrupted") and session_status:
        if session_status == "finished":
            status = "completed"
        elif session_status in ("interrupted", "failed"):
            status = "interrupted"
    if status in OPEN_STATUSES and at >= r["expires_at"]:
        status = "expired"
    return Invitation(
        id=r["id"],
        token=r["token"],
        org_id=r["org_id"],
        template_id=r["template_id"],
        template_version=int(r["template_version"]),
        name=r["name"],
        email=r["email"],
        created_at=r["created_at"],
        expires_at=r["expires_at"],
        status=cast(InvitationStatus, status),
        session_id=r["session_id"],
        consented_at=r["consented_at"],
        shortlisted=bool(r["shortlisted"]),
        tombstone=r["tombstone"],
    )


class Invitations(Templates):
    def invite(
        self, actor: User, template_id: str, name: str, email: str, *, days: int = 7
    ) -> Invitation:
        """A link for one candidate to the template's newest version, valid for ``days``."""
        template = self.template(actor, template_id)
        if not 1 <= int(days) <= MAX_DAYS:
            raise InvalidInput(f"days: 1 to {MAX_DAYS}")
        at = self._now()
        inv_id = secrets.token_hex(8)
        row: dict[str, Any] = {
            "id": inv_id, "token": secrets.token_urlsafe(32),
            "org_id": actor.org_id, "template_id": template.id,
            "template_version": template.version, "name": _name(name),
            "email": normal_email(email), "created_by": actor.id, "created_at": at,
            "expires_at": at + timedelta(days=int(days)), "status": "invited",
            "session_id": None, "consented_at": None, "shortlisted": False, "tombstone": None,
        }  # fmt: skip

        def run(con: Con) -> None:
            sql.insert_invitation(con, row)
            # ids only: the audit log outlives a deletion on request, so it holds no
            # candidate's name or email
            self._audit(
                con, actor.org_id, actor.id, "invitation.create", inv_id,
                {"template_id": template.id, "version": template.version},
            )  # fmt: skip

        self._tables.write(run)
        return invitation_from_row(row, at)

    def invitations(self, actor: User, template_id: str) -> list[Invitation]:
        self.template(actor, template_id)
        at = self._now()
        with self._tables.read() as con:
            rows = sql.invitations_of(con, template_id=template_id, org_id=actor.org_id)
        return [invitation_from_row(r, at) for r in rows]

    def invitation(self, actor: User, invitation_id: str) -> Invitation:
        """One of the organisation's invitations (NotFound for another organisation's)."""
        self._require(actor)
        with self._tables.read() as con:
            row = sql.invitation_by_id(con, str(invitation_id))
        if row is None:
            raise NotFound(f"no candidate {invitation_id}")
        self._own(actor, row["org_id"], "candidate", invitation_id)
        return invitation_from_row(row, self._now())

    def invitations_csv(self, actor: User, template_id: str, base_url: str) -> str:
        """``name,email,link,expires_at,status`` per invitation, for the company's own mail."""
        rows = self.invitations(actor, template_id)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["name", "email", "link", "expires_at", "status"])
        for inv in rows:
            if inv.status in ("deleted", "purged"):
                continue
            writer.writerow(
                [csv_cell(inv.name), csv_cell(inv.email), link_for(base_url, inv.token),
                 inv.expires_at.isoformat(), inv.status]
            )  # fmt: skip
        self._audit_now(
            actor.org_id, actor.id, "invitations.export", template_id, {"rows": len(rows)}
        )
        return buf.getvalue()

    # --- the candidate's side (the token is the credential) -------------------------------

    def _by_token(self, token: str) -> Invitation:
        if not token or len(token) > 200:
            raise LinkInvalid("unknown")
        with self._tables.read() as con:
            row = sql.invitation_by_token(con, str(token))
        if row is None or not secrets.compare_digest(str(row["token"]), str(token)):
            raise LinkInvalid("unknown")
        return invitation_from_row(row, self._now())

    def open_link(self, token: str) -> tuple[Invitation, Template]:
        """The invitation and its template version; LinkInvalid(reason) unless it is open."""
        inv = self._by_token(token)
        reason = {"completed": "used", "expired": "expired", "deleted": "deleted",
                  "purged": "purged"}.get(inv.status)  # fmt: skip
        if reason:
            raise LinkInvalid(reason)
        return inv, self._template(inv.template_id, inv.template_version)

    def consent(self, token: str) -> Invitation:
        """The candidate agreed to what is recorded, who sees it and how long it is kept."""
        inv, _ = self.open_link(token)
        if inv.status != "invited":
            return inv
        at = self._now()

        def run(con: Con) -> None:
            sql.update_invitation(con, inv.id, status="consented", consented_at=at)
            self._audit(con, inv.org_id, f"candidate:{inv.id}", "candidate.consent", inv.id)

        self._tables.write(run)
        return replace(inv, status="consented", consented_at=at)

    def interview_setup(self, token: str) -> InterviewSetup:
        """What to start (or resume) the interview with; Forbidden before consent."""
        inv, template = self.open_link(token)
        if inv.status == "invited":
            raise Forbidden("the candidate has not given consent yet")
        spec, plan = interview_plan(self.bank, template)
        resume = inv.session_id if inv.status in ("started", "interrupted") else None
        return InterviewSetup(inv, spec, plan, f"candidate:{inv.id}", resume)

    def begin(
        self,
        token: str,
        *,
        llm: LLM | None,
        models: Mapping[str, str],
        instruction_tuned: bool,
        mode: str = "web",
        score: bool = True,
    ) -> Interview:
        """Start the candidate's interview, or resume the interrupted one, and record it on
        the invitation. The caller runs it and then calls :meth:`mark_finished`."""
        from interviewer.session import new_interview, resume_interview

        setup = self.interview_setup(token)
        if setup.resume_session_id is not None:
            record = self.store.get_session(setup.resume_session_id)
            if record.status == "running":
                raise ScreeningError("this interview is already open in another window")
            interview = resume_interview(
                store=self.store, session_id=record.id, llm=llm, bank=self.bank,
                instruction_tuned=instruction_tuned, score=score,
            )  # fmt: skip
        else:
            interview = new_interview(
                store=self.store, spec=setup.spec, llm=llm, models=models, mode=mode,
                bank=self.bank, instruction_tuned=instruction_tuned, user_id=setup.user_id,
                score=score, template=setup.plan,
            )  # fmt: skip
        self.attach_session(token, interview.session_id)
        return interview

    def attach_session(self, token: str, session_id: str) -> Invitation:
        inv, _ = self.open_link(token)
        if inv.status == "invited":
            raise Forbidden("the candidate has not given consent yet")
        if inv.session_id not in (None, session_id):
            raise InvalidInput("this invitation already has another interview")
        action = "interview.resume" if inv.session_id else "interview.start"

        def run(con: Con) -> None:
            # checked again inside the transaction: two tabs starting at once get one session
            now_row = sql.invitation_by_id(con, inv.id)
            if now_row is not None and now_row["session_id"] not in (None, session_id):
                raise InvalidInput("this invitation already has another interview")
            sql.update_invitation(con, inv.id, status="started", session_id=session_id)
            self._audit(con, inv.org_id, f"candidate:{inv.id}", action, inv.id,
                        {"session_id": session_id})  # fmt: skip

        self._tables.write(run)
        return replace(inv, status="started", session_id=session_id)

    def mark_finished(self, token: str, *, interrupted: bool) -> Invitation:
        """The interview ended: completed (the link is used up) or interrupted (it resumes
        with the same link until the invitation expires)."""
        inv = self._by_token(token)
        # an interview that runs past the expiry still ends normally
        if inv.session_id is None or inv.status in ("deleted", "purged"):
            raise LinkInvalid("unknown" if inv.status in OPEN_STATUSES else inv.status)
        status: InvitationStatus = "interrupted" if interrupted else "completed"

        def run(con: Con) -> None:
            sql.update_invitation(con, inv.id, status=status)
            self._audit(con, inv.org_id, f"candidate:{inv.id}", "interview.finish", inv.id,
                        {"status": status})  # fmt: skip

        self._tables.write(run)
        return replace(inv, status=status)
