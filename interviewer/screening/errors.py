"""The screening mode's typed errors; all are :class:`~interviewer.errors.InterviewerError`.

The web layer maps them to status codes (Forbidden 403, NotFound 404, LinkInvalid 410,
LoginRefused 401, RateLimited 429, InvalidInput 400); the CLI prints them as one line.
"""

from __future__ import annotations

from interviewer.errors import InterviewerError


class ScreeningError(InterviewerError):
    """Anything the screening mode refuses."""


class InvalidInput(ScreeningError):
    """A form value or template field is not acceptable; the message names the field."""


class Forbidden(ScreeningError):
    """The actor's role does not allow this action."""


class NotFound(ScreeningError):
    """No such id in the actor's organisation (another organisation's ids look the same)."""


class LinkInvalid(ScreeningError):
    """An invitation link that is unknown, expired, already used or withdrawn.

    ``reason`` is one of ``unknown``, ``expired``, ``used``, ``deleted``, ``purged``.
    """

    def __init__(self, reason: str, message: str | None = None) -> None:
        self.reason = reason
        super().__init__(
            message or _LINK_MESSAGES.get(reason, f"this link is not valid ({reason})")
        )


_LINK_MESSAGES = {
    "unknown": "this interview link is not valid; ask the company for a new one",
    "expired": "this interview link has expired; ask the company for a new one",
    "used": "this interview link has already been used for a completed interview",
    "deleted": "this interview was withdrawn",
    "purged": "this interview's data has been removed under the retention policy",
}


class LoginRefused(ScreeningError):
    """Wrong email or password (never says which)."""


class RateLimited(ScreeningError):
    """Too many failed logins from this client for this email; ``retry_after_s`` says when."""

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"too many failed logins; try again in {retry_after_s} s")
