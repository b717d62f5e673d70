"""What the screening routes share: the page renderer, the errors as pages, the app's parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from interviewer import __version__
from interviewer.interview.bank import Bank
from interviewer.pipeline.runner import RunnerConfig
from interviewer.screening import Screening
from interviewer.screening.errors import (
    Forbidden,
    InvalidInput,
    LinkInvalid,
    LoginRefused,
    NotFound,
    RateLimited,
    ScreeningError,
)
from interviewer.store import Store
from interviewer.web.engines import EngineHub
from interviewer.web.registry import Registry
from interviewer.web.screening.auth import Auth, CsrfRefused, LoginNeeded

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
#: the paths the screening routes answer; they have their own logins, not the server token
#: (and the static files their pages load, which are public anyway)
PREFIXES = ("/screening", "/s/", "/ws/screening/", "/static/")

#: most specific first (a refused login may be a rate-limited one)
STATUS: dict[type[ScreeningError], int] = {
    RateLimited: 429,
    CsrfRefused: 403,
    InvalidInput: 400,
    LoginRefused: 401,
    Forbidden: 403,
    NotFound: 404,
    LinkInvalid: 410,
}


def status_of(exc: ScreeningError) -> int:
    for kind, status in STATUS.items():
        if isinstance(exc, kind):
            return status
    return 400


@dataclass
class Parts:
    """Everything the screening routes serve with."""

    screening: Screening
    auth: Auth
    store: Store
    bank: Bank
    hub: EngineHub
    registry: Registry
    runner_config: Callable[[], RunnerConfig]
    live_scoring: bool
    shutdown_scoring_s: float
    env: Environment

    def page(self, name: str, request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
        user = self.auth.user(request) if "user" not in ctx else ctx.pop("user")
        csrf = ctx.pop("csrf", None) or self.auth.csrf(request)
        html = self.env.get_template(name).render(
            version=__version__, path=request.url.path, user=user, csrf=csrf, **ctx
        )
        return HTMLResponse(html, status_code=status)

    def error(self, request: Request, exc: ScreeningError) -> Response:
        if isinstance(exc, LoginNeeded):
            return RedirectResponse("/screening/login", status_code=303)
        status = status_of(exc)
        return self.page(
            "screening/error.html", request, status=status, status_code=status, message=str(exc)
        )


def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "j2"]),
    )
