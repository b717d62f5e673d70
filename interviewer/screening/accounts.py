"""Accounts: organisations, admins and reviewers, logins and their session tokens.

Passwords are hashed with argon2id (argon2-cffi's defaults). A login returns a random token
(``secrets.token_urlsafe(32)``) that the web app puts in its cookie; the store keeps only its
sha256, so a copy of the database opens no session. Failed logins are counted per email and
client in the store (they survive a restart and are shared by every server on the file):
:data:`MAX_FAILURES` within :data:`FAILURE_WINDOW` refuse further tries for that pair until the
oldest failure leaves the window. Candidates have no account: their invitation link is theirs.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from interviewer.screening.base import ScreeningBase
from interviewer.screening.errors import InvalidInput, LoginRefused, RateLimited
from interviewer.screening.models import ROLES, Org, Role, User
from interviewer.store import screening as sql
from interviewer.store.rows import Con
from interviewer.textsafe import storable

#: Failed logins per (email, client) allowed within :data:`FAILURE_WINDOW`.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
#: How long a login lasts.
SESSION_TTL = timedelta(hours=12)
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normal_email(email: str) -> str:
    value = storable(str(email)).strip().lower()
    if not _EMAIL.match(value) or len(value) > 254:
        raise InvalidInput(f"email: {email!r} is not an email address")
    return value


def _name(name: str, field: str = "name") -> str:
    value = " ".join(storable(str(name)).split())
    if not value or len(value) > 200:
        raise InvalidInput(f"{field}: required, at most 200 characters")
    return value


def check_password(password: str) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"password: between {MIN_PASSWORD} and {MAX_PASSWORD} characters")
    return password


def user_from_row(r: Mapping[str, Any]) -> User:
    return User(
        id=r["id"],
        org_id=r["org_id"],
        email=r["email"],
        name=r["name"],
        role=cast(Role, r["role"]),
        created_at=r["created_at"],
    )


class Accounts(ScreeningBase):
    def bootstrap_admin(self, org_name: str, email: str, name: str, password: str) -> User:
        """An admin from the terminal (``interviewer admin create-user``): creates the
        organisation if it has no row yet, else adds another admin to it."""
        return self._add_user(None, _name(org_name, "org"), email, name, "admin", password)

    def operator_create_user(
        self, org_name: str, email: str, name: str, role: Role, password: str
    ) -> User:
        """A user from the terminal: an admin creates the organisation if it is new; a
        reviewer needs an organisation that exists."""
        org = _name(org_name, "org")
        if role != "admin":
            with self._tables.read() as con:
                if sql.org_by_name(con, org) is None:
                    raise InvalidInput(f"org: no organisation {org!r}; create its admin first")
        return self._add_user(None, org, email, name, role, password)

    def create_user(self, actor: User, email: str, name: str, role: Role, password: str) -> User:
        """An admin adds an admin or reviewer to their own organisation."""
        self._require(actor, ("admin",))
        return self._add_user(actor, None, email, name, role, password)

    def _add_user(
        self,
        actor: User | None,
        org_name: str | None,
        email: str,
        name: str,
        role: str,
        password: str,
    ) -> User:
        if role not in ROLES:
            raise InvalidInput(f"role: one of {', '.join(ROLES)}, not {role!r}")
        email = normal_email(email)
        name = _name(name)
        pw_hash = self._hasher.hash(check_password(password))
        at = self._now()
        uid = secrets.token_hex(8)

        def run(con: Con) -> User:
            if sql.user_by_email(con, email) is not None:
                raise InvalidInput(f"email: {email} already has an account")
            if actor is not None:
                org_id = actor.org_id
            else:
                org = sql.org_by_name(con, str(org_name))
                org_id = org["id"] if org else secrets.token_hex(8)
                if org is None:
                    sql.insert_org(con, org_id, str(org_name), at)
                    self._audit(con, org_id, "cli", "org.create", org_id, {"name": org_name})
            row = {"id": uid, "org_id": org_id, "email": email, "name": name, "role": role,
                   "password_hash": pw_hash, "created_at": at}  # fmt: skip
            sql.insert_user(con, row)
            self._audit(
                con, org_id, actor.id if actor else "cli", "user.create", uid,
                {"email": email, "role": role},
            )  # fmt: skip
            return user_from_row(row)

        return self._tables.write(run)

    def users(self, actor: User) -> list[User]:
        """The organisation's accounts (admins only)."""
        self._require(actor, ("admin",))
        with self._tables.read() as con:
            return [user_from_row(r) for r in sql.users_of_org(con, actor.org_id)]

    def org(self, actor: User) -> Org:
        with self._tables.read() as con:
            row = sql.org_by_id(con, actor.org_id)
        return Org(actor.org_id, row["name"] if row else "")

    def login(self, email: str, password: str, *, client: str) -> tuple[User, str]:
        """Check the password; return the user and a new session token.

        LoginRefused for a wrong email or password (the same message for both), RateLimited
        after :data:`MAX_FAILURES` failures of this email from this client in the window.
        """
        try:
            email = normal_email(email)
        except InvalidInput:
            raise LoginRefused("wrong email or password") from None
        client = str(client)[:200]
        at = self._now()
        with self._tables.read() as con:
            recent = sql.failures_since(con, email, client, at - FAILURE_WINDOW)
            row = sql.user_by_email(con, email)
        if len(recent) >= MAX_FAILURES:
            retry = recent[-MAX_FAILURES] + FAILURE_WINDOW - at
            raise RateLimited(max(1, int(retry.total_seconds()) + 1))
        if self._dummy_hash is None:
            # verified when the email is unknown: a wrong email costs what a wrong password does
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        ok = False
        try:
            ok = self._hasher.verify(
                row["password_hash"] if row else self._dummy_hash, str(password)
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok or row is None:
            self._tables.write(
                lambda con: sql.add_failure(con, email, client, at, at - FAILURE_WINDOW)
            )
            raise LoginRefused("wrong email or password")
        token = secrets.token_urlsafe(32)

        def run(con: Con) -> None:
            sql.clear_failures(con, email, client)
            sql.delete_expired_tokens(con, at)
            sql.insert_token(con, hash_token(token), row["id"], at, at + SESSION_TTL)

        self._tables.write(run)
        return user_from_row(row), token

    def user_for_token(self, token: str | None) -> User | None:
        """The user logged in with ``token``, or None (no token, unknown, expired, logged out)."""
        if not token:
            return None
        with self._tables.read() as con:
            row = sql.user_by_token(con, hash_token(token), self._now())
        return None if row is None else user_from_row(row)

    def logout(self, token: str) -> None:
        if token:
            self._tables.write(lambda con: sql.delete_token(con, hash_token(token)))
