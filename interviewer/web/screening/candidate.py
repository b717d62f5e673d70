"""The candidate's side: the invitation link's pages and its interview socket.

The link's token is the candidate's only credential and opens only their own invitation:
consent (what is recorded, who sees it, how long it is kept), a microphone check, the interview
in the practice app's voice page, and a thank-you page. The interview is the template's (CORE's
``interview_setup``); its session is attached to the invitation as soon as it exists, each
spoken answer is kept as a WAV for the reviewers, and a connection that drops leaves the
invitation interrupted, so the same link opens it again until it expires.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import Response

from interviewer.screening import recording_path
from interviewer.screening.errors import LinkInvalid, ScreeningError
from interviewer.store import StoreError
from interviewer.web import security
from interviewer.web.channel import Outbox, drive_socket, socket_refusal
from interviewer.web.live import LiveInterview
from interviewer.web.registry import Ticket
from interviewer.web.screening.pages import Parts
from interviewer.web.screening.staff import read_form, see_other
from interviewer.web.security import AccessPolicy, RequestError

log = logging.getLogger(__name__)

#: the statuses in which the link opens the interview (after consent; again after a drop)
OPEN = ("consented", "started", "interrupted")


def link_ok(token: str) -> bool:
    return security.TICKET_RE.match(token) is not None


def candidate_router(parts: Parts, policy: AccessPolicy) -> APIRouter:
    router = APIRouter()
    s = parts.screening
    auth = parts.auth
    # the link is the credential on these paths, not the server's access token
    socket_policy = dataclasses.replace(policy, token=None)

    async def opened(token: str) -> tuple[Any, Any]:
        if not link_ok(token):
            raise LinkInvalid("unknown")
        return await asyncio.to_thread(s.open_link, token)

    def candidate_page(name: str, request: Request, token: str, **ctx: Any) -> Response:
        # no login on these pages: the forms' CSRF token is bound to the link
        return parts.page(
            name, request, user=None, csrf=auth.csrf(request, token), token=token, **ctx
        )

    @router.get("/s/{token}")
    async def consent_page(request: Request, token: str) -> Response:
        invitation, template = await opened(token)
        return candidate_page(
            "screening/consent.html", request, token, invitation=invitation, template=template
        )

    @router.post("/s/{token}/consent")
    async def consent(request: Request, token: str) -> Response:
        await opened(token)
        form = await read_form(request)
        auth.check_csrf(request, form, token)
        if form.get("agree") != "yes":
            invitation, template = await opened(token)
            return candidate_page(
                "screening/consent.html",
                request,
                token,
                invitation=invitation,
                template=template,
                error="tick the box to agree, or close this page to decline",
            )
        await asyncio.to_thread(s.consent, token)
        return see_other(f"/s/{token}/mic")

    @router.get("/s/{token}/mic")
    async def mic_check(request: Request, token: str) -> Response:
        invitation, template = await opened(token)
        if invitation.status not in OPEN:
            return see_other(f"/s/{token}")
        return candidate_page(
            "screening/mic.html", request, token, invitation=invitation, template=template
        )

    @router.get("/s/{token}/interview")
    async def interview(request: Request, token: str) -> Response:
        invitation, template = await opened(token)
        if invitation.status not in OPEN:
            return see_other(f"/s/{token}")
        draft = template.draft
        return candidate_page(
            "screening/interview.html",
            request,
            token,
            ticket=token,
            invitation=invitation,
            draft=draft,
            engines=parts.hub.status,
            started=False,
            notices=[],
            spec={
                "role_title": draft.position,
                "company": "",
                "level": draft.level,
                "type": "screening",
                "questions": len(draft.questions),
                "max_follow_ups": draft.follow_ups,
            },
            resumed=invitation.status == "interrupted",
        )

    @router.get("/s/{token}/thanks")
    async def thanks(request: Request, token: str) -> Response:
        if not link_ok(token):
            raise LinkInvalid("unknown")
        result = await asyncio.to_thread(s.candidate_result, token)
        return candidate_page("screening/thanks.html", request, token, result=result)

    @router.websocket("/ws/screening/{token}")
    async def socket(ws: WebSocket, token: str) -> None:
        refusal = socket_refusal(ws, socket_policy)
        if refusal is None and not link_ok(token):
            refusal = "this interview link is not valid"
        invitation: Any = None
        if refusal is None:
            try:
                invitation, _template = await asyncio.to_thread(s.open_link, token)
            except ScreeningError as exc:
                refusal = str(exc)
        if refusal is None and invitation.status not in OPEN:
            refusal = "agree to the consent page first (open your link again)"
        if refusal is not None:
            await ws.close(code=1008, reason=refusal[:120])
            return
        owner = f"invitation-{invitation.id}"
        loop = asyncio.get_running_loop()
        outbox = Outbox(loop, redact=(str(parts.store.path),))
        claimed: Any
        if any(live.user_id == owner for live in parts.registry.running()):
            claimed = "this interview is already open in another tab or window"
        else:
            try:
                setup = await asyncio.to_thread(s.interview_setup, token)
                ticket = parts.registry.add(owner, setup.spec)
                claimed = parts.registry.claim(
                    ticket.id, owner, lambda t: _live(parts, t, token, outbox)
                )
            except (ScreeningError, RequestError) as exc:
                claimed = str(exc)
        await ws.accept()
        if not isinstance(claimed, LiveInterview):
            await ws.send_text(json.dumps({"type": "error", "message": claimed}))
            await ws.close(code=1008)
            return
        await drive_socket(ws, claimed, outbox, parts.shutdown_scoring_s)

    return router


def _live(parts: Parts, ticket: Ticket, token: str, outbox: Outbox) -> LiveInterview:
    s = parts.screening

    def begin(engines: Any) -> Any:
        # the template's interview, or the interrupted one resumed; attached to the invitation
        return s.begin(
            token,
            llm=engines.llm,
            models=engines.models,
            instruction_tuned=engines.instruction_tuned,
            score=parts.live_scoring,
        )

    def record_to(session_id: str, idx: int) -> Path:
        path = recording_path(parts.store.path, session_id, idx)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def done(live: LiveInterview) -> None:
        parts.registry.forget(live)
        if live.session_id is None:
            return  # the page went before the interview opened: the link is as it was
        try:
            s.mark_finished(token, interrupted=live.status != "finished")
        except (ScreeningError, StoreError) as exc:
            # the session keeps its own status; the invitation stays "started" (resumable)
            log.warning("invitation of session %s: not marked finished: %s", live.session_id, exc)

    return LiveInterview(
        spec=ticket.spec,
        user_id=ticket.user_id,
        hub=parts.hub,
        store=parts.store,
        bank=parts.bank,
        emit=outbox.json,
        send_audio=outbox.audio,
        config=parts.runner_config(),
        on_done=done,
        live_scoring=parts.live_scoring,
        begin=begin,
        record_to=record_to,
    )
