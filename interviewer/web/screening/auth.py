"""Logins, CSRF tokens and the cookie that carries a login, for the screening pages.

- The login cookie holds the session token :meth:`Screening.login` issued (the store keeps only
  its hash). It is HttpOnly, SameSite=Strict, ``Secure`` when the page came over https (directly
  or through a proxy that says so in ``X-Forwarded-Proto``), and named after the port like the
  practice app's cookies.
- Every form post carries a CSRF token: an HMAC, under a key derived from the server's secret,
  of the browser's owner id and its login token (none before logging in). A token from another
  login session, another browser or another server is worth nothing; logging out or in again
  changes it. The guard middleware's Origin check stays in front of it.
- Candidates have no login: their link's token is the credential, and their one form (consent)
  carries a CSRF token bound to that link and the browser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from interviewer.screening import Screening, User
from interviewer.screening.errors import ScreeningError
from interviewer.web import security

LOGIN_COOKIE_PREFIX = "interviewer_login"
#: a login lasts a working day; the store decides whether its token is still good
LOGIN_MAX_AGE_S = 12 * 3600


class LoginNeeded(ScreeningError):
    """No (valid) login cookie: the pages answer with the login form."""


class CsrfRefused(ScreeningError):
    """A form post without the right CSRF token."""


def login_cookie(request: Request) -> str:
    return (
        f"{LOGIN_COOKIE_PREFIX}_{security.port_of(request.headers.get('host'), request.url.scheme)}"
    )


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


class Auth:
    """The login and CSRF checks of one app; ``key`` is the server's cookie secret."""

    def __init__(self, screening: Screening, key: bytes) -> None:
        self.screening = screening
        # a key of its own, so a CSRF token can never be confused with an owner cookie's MAC
        self._key = hmac.new(key, b"interviewer screening csrf", hashlib.sha256).digest()

    # ------------------------------------------------------------------ logins
    def token(self, request: Request) -> str | None:
        return request.cookies.get(login_cookie(request))

    def user(self, request: Request) -> User | None:
        """The logged-in user of this request, or None (no cookie, expired, logged out)."""
        # looked up once per request (the store is asked, the token is hashed)
        if not hasattr(request.state, "screening_user"):
            request.state.screening_user = self.screening.user_for_token(self.token(request))
        user: User | None = request.state.screening_user
        return user

    def require(self, request: Request, *roles: str) -> User:
        """The user, if logged in with one of ``roles`` (any role when none is named)."""
        from interviewer.screening.errors import Forbidden

        user = self.user(request)
        if user is None:
            raise LoginNeeded("please log in")
        if roles and user.role not in roles:
            raise Forbidden(f"this page is for {' or '.join(roles)}s only")
        return user

    def set_login(self, request: Request, response: Response, token: str) -> None:
        response.set_cookie(
            login_cookie(request),
            token,
            max_age=LOGIN_MAX_AGE_S,
            path="/",
            secure=is_https(request),
            httponly=True,
            samesite="strict",
        )

    def clear_login(self, request: Request, response: Response) -> None:
        response.delete_cookie(
            login_cookie(request),
            path="/",
            secure=is_https(request),
            httponly=True,
            samesite="strict",
        )

    # ------------------------------------------------------------------ CSRF
    def _mac(self, *parts: str) -> str:
        digest = hmac.new(self._key, "\x00".join(parts).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def csrf(self, request: Request, bound_to: str | None = None) -> str:
        """The token this browser's forms carry: bound to its owner id and its login (or, for a
        candidate, to ``bound_to``: the invitation link's token)."""
        owner = str(getattr(request.state, "owner", ""))
        return self._mac(
            "csrf", owner, bound_to if bound_to is not None else self.token(request) or ""
        )

    def check_csrf(self, request: Request, form: Any, bound_to: str | None = None) -> None:
        given = form.get("csrf")
        if not isinstance(given, str) or not hmac.compare_digest(
            given.encode(), self.csrf(request, bound_to).encode()
        ):
            raise CsrfRefused(
                "the form's security token is missing or out of date; reload the page and "
                "send it again"
            )
