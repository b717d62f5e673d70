"""The FastAPI application: pages, the interview WebSocket, and the security checks around them.

``create_app`` takes everything it serves with (the application context: store, bank, engines;
and the access policy), so tests build it with fake engines and a temporary store, and
``interviewer serve`` with the real ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import UploadFile

from interviewer import __version__
from interviewer.context import AppContext
from interviewer.errors import InterviewerError
from interviewer.interview.bank import LEVELS, Bank
from interviewer.interview.spec import (
    INTERVIEW_TYPES,
    MAX_DOCUMENT_BYTES,
    InterviewSpec,
)
from interviewer.pipeline.runner import RunnerConfig
from interviewer.store import Store, StoreError
from interviewer.textsafe import storable
from interviewer.web import security
from interviewer.web.channel import Outbox, drive_socket, socket_refusal
from interviewer.web.engines import EngineHub
from interviewer.web.live import LiveInterview
from interviewer.web.registry import Registry, Ticket
from interviewer.web.security import AccessPolicy, CookieSigner, RequestError

if TYPE_CHECKING:
    from interviewer.screening import Screening

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"

#: The whole setup form: two documents at their limit plus the text fields.
MAX_FORM_BYTES = 2 * MAX_DOCUMENT_BYTES + 64 * 1024
MAX_NOTES_CHARS = 4000
MAX_SHORT_FIELD_CHARS = 120
OWNER_COOKIE_MAX_AGE_S = 365 * 24 * 3600
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# The report is the CLI's self-contained document: inline styles and SVG, no script at all.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'none'"
)


def create_app(
    context: AppContext,
    *,
    policy: AccessPolicy,
    hub: EngineHub | None = None,
    runner_config: Callable[[], RunnerConfig] | None = None,
    max_live: int = 4,
    max_live_per_owner: int = 2,
    shutdown_scoring_s: float = 5.0,
    live_scoring: bool = True,
    secret: bytes | None = None,
    screening: Screening | None = None,
    make_live: Callable[..., LiveInterview] = LiveInterview,
) -> FastAPI:
    """The web app. The context's store, bank (with the user's own questions) and engines
    are shared by every interview; ``hub`` (default: one around the context's engines) tracks
    their loading for the pages.

    ``live_scoring`` scores each answer with the LLM while the interview goes on (as the CLI
    does); the end of the interview then waits for the last score, which takes long on a small
    CPU. Off, the report scores the answers by the rules when it is first opened.

    ``make_live`` builds each interview (``interviewer serve --ray`` runs them on a cluster).

    ``secret`` signs the owner cookies; by default it is read from (or made in) a file beside
    the store, so owners survive a restart and the secret goes where the store's data goes.

    ``screening`` adds the company screening pages (:mod:`interviewer.web.screening`): logins,
    templates, invitations, the reviewers' dashboard and the candidates' links.
    """
    store = context.store
    bank = context.bank
    hub = hub if hub is not None else EngineHub(context.engines)
    registry = Registry(max_live, max_live_per_owner)
    key = (
        secret if secret is not None else security.load_secret(security.secret_path_for(store.path))
    )
    signer = CookieSigner(key)
    templates = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "j2"]),
    )
    make_config = runner_config or (lambda: RunnerConfig(barge_in=True))

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        # Server stopping (Ctrl-C): every interview ends as interrupted with its turns stored.
        lives = registry.running()
        for live in lives:
            live.stop(scoring_timeout=shutdown_scoring_s)
        for live in lives:
            await asyncio.to_thread(live.join, 30.0 + shutdown_scoring_s)

    app = FastAPI(
        title="interviewer", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.registry = registry
    app.state.hub = hub
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    # ------------------------------------------------------------------ helpers
    def page(name: str, request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
        html = templates.get_template(name).render(
            version=__version__, path=request.url.path, **ctx
        )
        return HTMLResponse(html, status_code=status)

    def error_page(request: Request, status: int, message: str) -> HTMLResponse:
        return page("error.html", request, status=status, status_code=status, message=message)

    def user_of(request: Request) -> str:
        return security.user_id_for(request.state.owner)

    def setup_context(values: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            # suggestions; any position is accepted and mapped to a role and level
            "positions": [r.replace("_", " ").title() for r in sorted(bank.roles - {"general"})]
            + ["Senior Data Scientist", "ML Engineer", "Marketing Analyst"],
            "levels": LEVELS,
            "types": INTERVIEW_TYPES,
            "companies": [c.name for c in bank.companies],
            "values": values or {},
            "max_mb": MAX_DOCUMENT_BYTES // 1024 // 1024,
            "engines": hub.status,
        }

    # ------------------------------------------------------------------ middleware
    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Any]) -> Response:
        if not policy.host_ok(request.headers.get("host")):
            return _plain(400, "bad Host header: open the app at http://127.0.0.1:PORT/")
        token_q = request.query_params.get("token")
        host = request.headers.get("host")
        # screening pages have their own credentials (a login, an invitation link)
        if policy.token is not None and not (screening and _screening_path(request.url.path)):
            token_name = security.token_cookie(host, request.url.scheme)
            given = request.cookies.get(token_name) or _bearer(request)
            if token_q is not None and policy.token_ok(token_q):
                # Once in the URL (as printed), then in a cookie: the token leaves the URL bar
                # and the history, and later requests need not carry it.
                query = {k: v for k, v in request.query_params.items() if k != "token"}
                target = request.url.path + (f"?{urlencode(query)}" if query else "")
                resp: Response = RedirectResponse(target, status_code=303)
                resp.set_cookie(token_name, token_q, httponly=True, samesite="strict", path="/")
                return _headers(resp)
            if not policy.token_ok(given):
                return _plain(
                    401,
                    "this server needs its access token: open the URL that `interviewer serve` "
                    "printed (it ends in ?token=...)",
                )
        if request.method not in ("GET", "HEAD", "OPTIONS") and not security.same_origin(
            request.headers.get("origin"), request.headers.get("host")
        ):
            return _plain(403, "cross-origin request refused: use the app's own pages")
        owner_name = security.owner_cookie(host, request.url.scheme)
        owner = signer.owner(owner_name, request.cookies.get(owner_name))
        fresh = owner is None
        if owner is None:
            # no cookie, another server's, or one signed under a rotated secret: a new owner
            owner = security.new_owner_id()
        request.state.owner = owner
        response: Response = await call_next(request)
        if fresh:
            response.set_cookie(
                owner_name,
                signer.sign(owner_name, owner),
                httponly=True,
                samesite="strict",
                path="/",
                max_age=OWNER_COOKIE_MAX_AGE_S,
            )
        return _headers(response)

    # ------------------------------------------------------------------ pages
    @app.get("/", response_class=HTMLResponse)
    async def setup(request: Request) -> HTMLResponse:
        return page("setup.html", request, **setup_context())

    @app.post("/interviews")
    async def create_interview(request: Request) -> Response:
        values: dict[str, Any] = {}
        try:
            registry.check_room(user_of(request))
            length = request.headers.get("content-length")
            if length is None:
                raise RequestError("the form must be sent with a Content-Length", 411)
            if not length.isdigit() or int(length) > MAX_FORM_BYTES:
                raise RequestError(
                    f"the form is too large; documents must be under "
                    f"{MAX_DOCUMENT_BYTES // 1024 // 1024} MB each",
                    413,
                )
            form = await request.form(max_files=2, max_fields=20)
            values = {k: storable(v) for k, v in form.items() if isinstance(v, str)}
            spec, notices = await _spec_from_form(form, bank)
            ticket = registry.add(user_of(request), spec, notices)
        except RequestError as exc:
            return page(
                "setup.html",
                request,
                status=exc.status,
                error=str(exc),
                **setup_context(values),
            )
        return RedirectResponse(f"/interview/{ticket.id}", status_code=303)

    @app.get("/interview/{ticket_id}", response_class=HTMLResponse)
    async def interview_page(request: Request, ticket_id: str) -> HTMLResponse:
        ticket = (
            registry.get(ticket_id, user_of(request))
            if security.TICKET_RE.match(ticket_id)
            else None
        )
        if ticket is None:
            return error_page(
                request, 404, "no such interview (it may have expired); start a new one"
            )
        return page(
            "interview.html",
            request,
            ticket=ticket.id,
            spec=ticket.spec,
            engines=hub.status,
            started=ticket.live is not None,
            notices=ticket.notices,
        )

    @app.get("/history", response_class=HTMLResponse)
    async def history(request: Request) -> HTMLResponse:
        sessions = await asyncio.to_thread(store.list_sessions, user_of(request), 200)
        return page("history.html", request, sessions=sessions)

    @app.get("/report/{session_id}")
    async def report(request: Request, session_id: str) -> Response:
        if not security.SESSION_ID_RE.match(session_id):
            return error_page(request, 404, "no such report")
        owned = await asyncio.to_thread(_owned_session, store, session_id, user_of(request))
        if not owned:
            # the same answer for "not yours" and "does not exist": ids are not probed
            return error_page(request, 404, "no such report")
        html = await asyncio.to_thread(_report_html, store, session_id, bank)
        resp = HTMLResponse(_with_nav(html))
        resp.headers["Content-Security-Policy"] = REPORT_CSP
        return resp

    @app.get("/progress")
    async def progress(request: Request) -> Response:
        from interviewer.report import render_progress_html

        html = await asyncio.to_thread(render_progress_html, store, user_of(request), bank=bank)
        resp = HTMLResponse(_with_nav(html))
        resp.headers["Content-Security-Policy"] = REPORT_CSP
        return resp

    @app.get("/api/status")
    async def status() -> JSONResponse:
        return JSONResponse(
            {
                "version": __version__,
                "engines": hub.status,
                "engines_error": hub.error,
                "running": len(registry.running()),
                "max_interviews": max_live,
            }
        )

    # ------------------------------------------------------------------ the interview socket
    @app.websocket("/ws/interview/{ticket_id}")
    async def interview_socket(ws: WebSocket, ticket_id: str) -> None:
        refusal = socket_refusal(ws, policy)
        owner_name = security.owner_cookie(ws.headers.get("host"), ws.url.scheme)
        owner = signer.owner(owner_name, ws.cookies.get(owner_name))
        if refusal is None and owner is None:
            refusal = "no owner cookie: open the interview page first"
        if refusal is None and not security.TICKET_RE.match(ticket_id):
            refusal = "no such interview"
        if refusal is not None:
            # Closing before accepting answers the handshake with HTTP 403.
            await ws.close(code=1008, reason=refusal[:120])
            return
        user_id = security.user_id_for(owner or "")
        loop = asyncio.get_running_loop()
        outbox = Outbox(loop, redact=(str(store.path),))

        def make(ticket: Ticket) -> LiveInterview:
            return make_live(
                spec=ticket.spec,
                user_id=user_id,
                hub=hub,
                store=store,
                bank=bank,
                emit=outbox.json,
                send_audio=outbox.audio,
                config=make_config(),
                on_done=registry.forget,
                live_scoring=live_scoring,
            )

        claimed = registry.claim(ticket_id, user_id, make)
        await ws.accept()
        if not isinstance(claimed, LiveInterview):
            await ws.send_text(json.dumps({"type": "error", "message": claimed}))
            await ws.close(code=1008)
            return
        await drive_socket(ws, claimed, outbox, shutdown_scoring_s)

    if screening is not None:
        from interviewer.web.screening import mount

        mount(
            app,
            screening,
            key=key,
            policy=policy,
            store=store,
            bank=bank,
            hub=hub,
            registry=registry,
            runner_config=make_config,
            live_scoring=live_scoring,
            shutdown_scoring_s=shutdown_scoring_s,
        )
    return app


# --------------------------------------------------------------------------- helpers


def _screening_path(path: str) -> bool:
    from interviewer.web.screening import screening_path

    return screening_path(path)


def _plain(status: int, message: str) -> Response:
    return _headers(Response(message + "\n", status_code=status, media_type="text/plain"))


def _headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy", PAGE_CSP)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["X-Frame-Options"] = "DENY"
    # interview URLs carry a ticket: never hand them to another site ("no-referrer" would
    # also make the browser send "Origin: null" on our own form posts)
    resp.headers["Referrer-Policy"] = "same-origin"
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Permissions-Policy"] = "microphone=(self), camera=(), geolocation=()"
    return resp


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


async def _spec_from_form(form: Any, bank: Bank) -> tuple[InterviewSpec, list[str]]:
    """Validate the setup form; every problem is a RequestError naming the field.

    Returns the spec and the notices about the documents (what was cut)."""

    def text(name: str, limit: int) -> str | None:
        value = form.get(name)
        if value is None or isinstance(value, UploadFile):
            return None
        # made storable here, where it enters: a lone surrogate or a NUL cannot be stored
        value = storable(value).strip()
        if len(value) > limit:
            raise RequestError(f"{name.replace('_', ' ')}: at most {limit} characters")
        return value or None

    def number(name: str) -> str | None:
        # ASCII digits only: int() would also take "٣" and "1_0"
        value = text(name, 10)
        if value is not None and not (value.isascii() and value.isdigit()):
            label = name.replace("_", " ")
            raise RequestError(f"{label}: use the digits 0-9 for a whole number, not {value!r}")
        return value

    data: dict[str, Any] = {
        "role": text("role", MAX_SHORT_FIELD_CHARS),
        "company": text("company", MAX_SHORT_FIELD_CHARS),
        "level": text("level", MAX_SHORT_FIELD_CHARS),
        "type": text("type", MAX_SHORT_FIELD_CHARS),
        "questions": number("questions"),
        "max_follow_ups": number("follow_ups"),
        "notes": text("notes", MAX_NOTES_CHARS),
    }
    notices: list[str] = []
    for field_name, label in (("job_description", "job description"), ("resume", "résumé")):
        upload = form.get(field_name)
        if isinstance(upload, UploadFile) and (upload.filename or upload.size):
            raw = await upload.read(MAX_DOCUMENT_BYTES + 1)
            extracted = await asyncio.to_thread(security.document_text, label, upload.filename, raw)
            data[field_name] = extracted.text
            notices.extend(extracted.notices)
    from interviewer.session import build_spec

    try:
        return build_spec(bank, None, data), notices
    except InterviewerError as exc:
        raise RequestError(str(exc)) from None


def _owned_session(store: Store, session_id: str, user_id: str) -> bool:
    try:
        record = store.get_session(session_id)
    except StoreError:
        return False
    return record.id == session_id and record.user_id == user_id


def _report_html(store: Store, session_id: str, bank: Bank) -> str:
    from interviewer.report import build_report, render_html

    return render_html(build_report(store, session_id, bank=bank))


_NAV = (
    '<nav style="font:14px system-ui,sans-serif;padding:8px 16px;background:#1f2937;">'
    '<a style="color:#fff;margin-right:16px" href="/">New interview</a>'
    '<a style="color:#fff;margin-right:16px" href="/history">History</a>'
    '<a style="color:#fff" href="/progress">Progress</a></nav>'
)


def _with_nav(html: str) -> str:
    """The report documents are the CLI's; in the app they get the app's links on top."""
    at = html.find("<body")
    if at < 0:
        return html
    end = html.find(">", at)
    return html[: end + 1] + _NAV + html[end + 1 :]
