"""The reviewer's side: the dashboard, one candidate's report, recordings, ratings, exports.

Opening a candidate, overriding a score, exporting and deleting are audited by the service;
these handlers only decide what to show. Recordings are served only through
:meth:`Screening.candidate`'s check (the reviewer's organisation), from the path
:func:`recording_path` names, never from a path taken from the request.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from interviewer.screening import DashboardRow, recording_path
from interviewer.screening.errors import InvalidInput, NotFound
from interviewer.web.screening.pages import Parts
from interviewer.web.screening.staff import download, read_form, see_other

SORTS: dict[str, Any] = {
    "overall": lambda r: (r.overall is None, -(r.overall or 0.0)),
    "reviewer": lambda r: (r.reviewer_overall is None, -(r.reviewer_overall or 0.0)),
    "confidence": lambda r: (r.confidence is None, -(r.confidence or 0.0)),
    "date": lambda r: (r.date is None, -(r.date.timestamp() if r.date else 0.0)),
    "length": lambda r: (r.length_s is None, -(r.length_s or 0.0)),
    "name": lambda r: r.invitation.name.lower(),
}
MAX_NOTES = 4000
MAX_TURN_IDX = 10_000


def _score(raw: Any, label: str) -> float | None:
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{label}: {text!r} is not a number") from None
    if not 1.0 <= value <= 5.0:
        raise InvalidInput(f"{label}: scores go from 1 to 5 (got {text})")
    return value


def filtered(rows: list[DashboardRow], query: dict[str, str]) -> list[DashboardRow]:
    """The dashboard's filter and sort, from the query string."""
    text = query.get("q", "").strip().lower()
    if text:
        rows = [r for r in rows if text in f"{r.invitation.name} {r.invitation.email}".lower()]
    status = query.get("status", "")
    if status:
        rows = [r for r in rows if r.invitation.status == status]
    low = query.get("min", "").strip()
    if low:
        try:
            bound = float(low)
            rows = [r for r in rows if r.overall is not None and r.overall >= bound]
        except ValueError:
            pass
    if query.get("shortlisted") == "1":
        rows = [r for r in rows if r.shortlisted]
    return sorted(rows, key=SORTS.get(query.get("sort", "overall"), SORTS["overall"]))


def review_router(parts: Parts) -> APIRouter:
    router = APIRouter()
    s = parts.screening
    auth = parts.auth

    def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
        return asyncio.to_thread(fn, *args, **kwargs)

    @router.get("/screening/templates/{template_id}/dashboard")
    async def dashboard(request: Request, template_id: str) -> Response:
        user = auth.require(request, "admin", "reviewer")
        template = await call(s.template, user, template_id)
        rows = await call(s.dashboard, user, template_id)
        fairness = await call(s.fairness, user, template_id)
        query = dict(request.query_params)
        shown = filtered(rows, query)
        competencies = sorted({c for r in rows for c in r.competencies})
        return parts.page(
            "screening/dashboard.html",
            request,
            user=user,
            template=template,
            rows=shown,
            total=len(rows),
            competencies=competencies,
            fairness=fairness,
            query=query,
            sorts=list(SORTS),
        )

    @router.get("/screening/templates/{template_id}/export.{fmt}")
    async def export(request: Request, template_id: str, fmt: str) -> Response:
        user = auth.require(request, "admin", "reviewer")
        if fmt not in ("csv", "json"):
            raise NotFound("exports are .csv or .json")
        text = await call(s.export, user, template_id, fmt)
        media = "text/csv" if fmt == "csv" else "application/json"
        return download(text, media, f"candidates-{template_id}.{fmt}")

    @router.get("/screening/candidates/{invitation_id}")
    async def candidate(request: Request, invitation_id: str) -> Response:
        user = auth.require(request, "admin", "reviewer")
        invitation, record = await call(s.candidate, user, invitation_id)
        report = None
        if record is not None:
            report = await call(s.report, user, invitation_id)
        recorded = set()
        if record is not None:
            for turn in record.turns:
                if recording_path(parts.store.path, record.id, turn.idx).is_file():
                    recorded.add(turn.idx)
        reviews = await call(s.reviews, user, invitation_id)
        mine = next((r for r in reviews if r.reviewer_id == user.id), None)
        return parts.page(
            "screening/candidate.html",
            request,
            user=user,
            invitation=invitation,
            record=record,
            report=report,
            recorded=recorded,
            reviews=reviews,
            mine=mine,
            saved=request.query_params.get("saved") == "1",
        )

    @router.get("/screening/candidates/{invitation_id}/answers/{idx}.wav")
    async def recording(request: Request, invitation_id: str, idx: str) -> Response:
        user = auth.require(request, "admin", "reviewer")
        if not (idx.isascii() and idx.isdigit()) or int(idx) > MAX_TURN_IDX:
            raise NotFound("no such recording")
        path = await call(s.recording, user, invitation_id, int(idx))
        if path is None or not path.is_file():
            raise NotFound("no recording of this answer (typed, or removed under retention)")
        return FileResponse(path, media_type="audio/wav")

    @router.post("/screening/candidates/{invitation_id}/review")
    async def review(request: Request, invitation_id: str) -> Response:
        user = auth.require(request, "admin", "reviewer")
        form = await read_form(request)
        auth.check_csrf(request, form)
        overrides: dict[str, float] = {}
        for key in form:
            if key.startswith("override_"):
                name = key.removeprefix("override_")
                value = _score(form.get(key), name.replace("_", " "))
                if value is not None:
                    overrides[name] = value
        notes = str(form.get("notes") or "").strip()
        if len(notes) > MAX_NOTES:
            raise InvalidInput(f"notes: at most {MAX_NOTES} characters")
        await call(
            s.review,
            user,
            invitation_id,
            overall=_score(form.get("overall"), "your overall score"),
            notes=notes,
            overrides=overrides,
        )
        return see_other(f"/screening/candidates/{invitation_id}?saved=1")

    @router.post("/screening/candidates/{invitation_id}/shortlist")
    async def shortlist(request: Request, invitation_id: str) -> Response:
        user = auth.require(request, "admin", "reviewer")
        form = await read_form(request)
        auth.check_csrf(request, form)
        await call(s.shortlist, user, invitation_id, form.get("on") == "1")
        back = str(form.get("back") or "")
        return see_other(back if back.startswith("/screening/") else "/screening/templates")

    @router.post("/screening/candidates/{invitation_id}/delete")
    async def delete(request: Request, invitation_id: str) -> Response:
        user = auth.require(request, "admin")
        form = await read_form(request)
        auth.check_csrf(request, form)
        if form.get("confirm") != "yes":
            raise InvalidInput("tick the box to confirm the deletion")
        invitation, _ = await call(s.candidate, user, invitation_id)
        await call(s.delete_candidate, user, invitation_id)
        return see_other(f"/screening/templates/{invitation.template_id}/dashboard")

    return router
