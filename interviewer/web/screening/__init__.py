"""Screening mode's web side: the company's pages and the candidates' invitation links.

:func:`mount` adds the routes to the app ``create_app`` built when it is given a
:class:`~interviewer.screening.Screening`; without one the app is the practice app, unchanged.
The routes have their own credentials (a login, or an invitation link), so the practice
server's access token does not apply to them (:data:`PREFIXES`).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response

from interviewer.interview.bank import Bank
from interviewer.pipeline.runner import RunnerConfig
from interviewer.screening import Screening
from interviewer.screening.errors import ScreeningError
from interviewer.store import Store
from interviewer.web.engines import EngineHub
from interviewer.web.registry import Registry
from interviewer.web.screening.auth import Auth
from interviewer.web.screening.candidate import candidate_router
from interviewer.web.screening.pages import PREFIXES, Parts, environment
from interviewer.web.screening.review import review_router
from interviewer.web.screening.staff import staff_router
from interviewer.web.security import AccessPolicy

__all__ = ["PREFIXES", "mount", "screening_path"]


def screening_path(path: str) -> bool:
    return path == "/screening" or path.startswith(PREFIXES)


def mount(
    app: FastAPI,
    screening: Screening,
    *,
    key: bytes,
    policy: AccessPolicy,
    store: Store,
    bank: Bank,
    hub: EngineHub,
    registry: Registry,
    runner_config: Callable[[], RunnerConfig],
    live_scoring: bool,
    shutdown_scoring_s: float,
) -> None:
    parts = Parts(
        screening=screening,
        auth=Auth(screening, key),
        store=store,
        bank=bank,
        hub=hub,
        registry=registry,
        runner_config=runner_config,
        live_scoring=live_scoring,
        shutdown_scoring_s=shutdown_scoring_s,
        env=environment(),
    )

    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ScreeningError)
        return parts.error(request, exc)

    app.add_exception_handler(ScreeningError, on_error)
    app.include_router(staff_router(parts))
    app.include_router(review_router(parts))
    app.include_router(candidate_router(parts, policy))
    app.state.screening = screening
