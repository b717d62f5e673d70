"""The company's pages: logging in and out, users (admins), the audit log, templates, invitations.

Every handler names the roles it serves through :meth:`Auth.require`; the service checks the
role and the organisation again for each object, so an id from another organisation is a 404
whichever way it arrives. Every form post checks its CSRF token before anything else.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from interviewer.interview.bank import LEVELS
from interviewer.screening.errors import InvalidInput, LoginRefused, RateLimited
from interviewer.web.screening.forms import draft_from_form, form_values, values_from_form
from interviewer.web.screening.pages import Parts

#: a form is small text; the template form with every bank question ticked stays far below it
MAX_FORM_BYTES = 256 * 1024
MAX_FORM_FIELDS = 1000


async def read_form(request: Request) -> Any:
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > MAX_FORM_BYTES:
        raise InvalidInput(f"the form must be sent with a Content-Length under {MAX_FORM_BYTES}")
    return await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)


def see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def staff_router(parts: Parts) -> APIRouter:
    router = APIRouter()
    s = parts.screening
    auth = parts.auth

    def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
        # the store is DuckDB: its calls block, so they run off the event loop
        return asyncio.to_thread(fn, *args, **kwargs)

    # ------------------------------------------------------------------ login
    @router.get("/screening/login")
    async def login_page(request: Request) -> Response:
        if auth.user(request) is not None:
            return see_other("/screening/")
        return parts.page("screening/login.html", request)

    @router.post("/screening/login")
    async def login(request: Request) -> Response:
        form = await read_form(request)
        auth.check_csrf(request, form)
        email = str(form.get("email") or "").strip()
        client = request.client.host if request.client else "unknown"
        try:
            _user, token = await call(
                s.login, email, str(form.get("password") or ""), client=client
            )
        except (LoginRefused, RateLimited) as exc:
            # the rate limit's 429 comes with the same form, so a person can try later
            status = parts.error(request, exc).status_code
            page = parts.page(
                "screening/login.html", request, status=status, error=str(exc), email=email
            )
            if isinstance(exc, RateLimited):
                page.headers["Retry-After"] = str(exc.retry_after_s)
            return page
        response = see_other("/screening/")
        auth.set_login(request, response, token)
        return response

    @router.post("/screening/logout")
    async def logout(request: Request) -> Response:
        form = await read_form(request)
        auth.check_csrf(request, form)
        token = auth.token(request)
        if token:
            await call(s.logout, token)
        response = see_other("/screening/login")
        auth.clear_login(request, response)
        return response

    @router.get("/screening")
    @router.get("/screening/")
    async def home(request: Request) -> Response:
        user = auth.require(request)
        return see_other("/screening/users" if user.role == "admin" else "/screening/templates")

    # ------------------------------------------------------------------ admins
    @router.get("/screening/users")
    async def users(request: Request) -> Response:
        user = auth.require(request, "admin")
        listed = await call(s.users, user)
        return parts.page("screening/users.html", request, users=listed, user=user)

    @router.post("/screening/users")
    async def create_user(request: Request) -> Response:
        user = auth.require(request, "admin")
        form = await read_form(request)
        auth.check_csrf(request, form)
        values = {k: str(form.get(k) or "").strip() for k in ("email", "name", "role")}
        try:
            await call(
                s.create_user,
                user,
                values["email"],
                values["name"],
                values["role"] or "reviewer",
                str(form.get("password") or ""),
            )
        except InvalidInput as exc:
            listed = await call(s.users, user)
            return parts.page(
                "screening/users.html",
                request,
                status=400,
                users=listed,
                user=user,
                error=str(exc),
                values=values,
            )
        return see_other("/screening/users")

    @router.get("/screening/audit")
    async def audit(request: Request) -> Response:
        user = auth.require(request, "admin")
        entries = await call(s.audit_log, user, 1000)
        # the log holds ids only (it outlives deletions); the page names the organisation's users
        names = {u.id: f"{u.name} ({u.role})" for u in await call(s.users, user)}
        return parts.page("screening/audit.html", request, entries=entries, names=names, user=user)

    # ------------------------------------------------------------------ templates
    @router.get("/screening/templates")
    async def templates(request: Request) -> Response:
        user = auth.require(request, "admin", "reviewer")
        listed = await call(s.templates, user)
        return parts.page("screening/templates.html", request, templates=listed, user=user)

    def template_form(
        request: Request,
        user: Any,
        values: dict[str, Any],
        template: Any = None,
        error: str | None = None,
    ) -> Response:
        return parts.page(
            "screening/template_form.html",
            request,
            status=400 if error else 200,
            user=user,
            values=values,
            template=template,
            error=error,
            levels=LEVELS,
            bank=sorted(parts.bank.questions, key=lambda q: (q.competency, q.id)),
        )

    @router.get("/screening/templates/new")
    async def new_template(request: Request) -> Response:
        user = auth.require(request, "admin", "reviewer")
        return template_form(request, user, form_values(None))

    @router.get("/screening/templates/{template_id}/edit")
    async def edit_template(request: Request, template_id: str) -> Response:
        user = auth.require(request, "admin", "reviewer")
        template = await call(s.template, user, template_id)
        return template_form(request, user, form_values(template.draft), template)

    @router.post("/screening/templates")
    @router.post("/screening/templates/{template_id}")
    async def save_template(request: Request, template_id: str | None = None) -> Response:
        user = auth.require(request, "admin", "reviewer")
        form = await read_form(request)
        auth.check_csrf(request, form)
        current = None if template_id is None else await call(s.template, user, template_id)
        try:
            draft = draft_from_form(form, parts.bank)
            saved = await call(s.save_template, user, draft, template_id)
        except InvalidInput as exc:
            return template_form(request, user, values_from_form(form), current, str(exc))
        return see_other(f"/screening/templates/{saved.id}/invitations")

    # ------------------------------------------------------------------ invitations
    @router.get("/screening/templates/{template_id}/invitations")
    async def invitations(request: Request, template_id: str) -> Response:
        user = auth.require(request, "admin", "reviewer")
        return await invitations_page(request, user, template_id)

    async def invitations_page(
        request: Request, user: Any, template_id: str, status: int = 200, **extra: Any
    ) -> Response:
        template = await call(s.template, user, template_id)
        listed = await call(s.invitations, user, template_id)
        return parts.page(
            "screening/invitations.html",
            request,
            status=status,
            user=user,
            template=template,
            invitations=listed,
            base=str(request.base_url).rstrip("/"),
            **extra,
        )

    @router.post("/screening/templates/{template_id}/invitations")
    async def invite(request: Request, template_id: str) -> Response:
        user = auth.require(request, "admin", "reviewer")
        form = await read_form(request)
        auth.check_csrf(request, form)
        name = str(form.get("name") or "").strip()
        email = str(form.get("email") or "").strip()
        days_raw = str(form.get("days") or "7").strip()
        try:
            if not (days_raw.isascii() and days_raw.isdigit()):
                raise InvalidInput(f"valid for: {days_raw!r} is not a whole number of days")
            await call(s.invite, user, template_id, name, email, days=int(days_raw))
        except InvalidInput as exc:
            return await invitations_page(
                request,
                user,
                template_id,
                400,
                error=str(exc),
                values={"name": name, "email": email},
            )
        return see_other(f"/screening/templates/{template_id}/invitations")

    @router.get("/screening/templates/{template_id}/invitations.csv")
    async def invitations_csv(request: Request, template_id: str) -> Response:
        user = auth.require(request, "admin", "reviewer")
        links = str(request.base_url).rstrip("/") + "/s"
        text = await call(s.invitations_csv, user, template_id, links)
        return download(text, "text/csv", f"invitations-{template_id}.csv")

    return router


def download(text: str, media_type: str, filename: str) -> Response:
    safe = "".join(ch for ch in filename if ch.isalnum() or ch in "-_.") or "export"
    return Response(
        text,
        media_type=f"{media_type}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )
