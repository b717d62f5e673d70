"""Who may talk to the web app, and what may come in.

- Loopback by default. Any other address needs an access token: ``?token=`` once (then an
  HttpOnly cookie), or ``Authorization: Bearer``. On loopback the Host header must name the
  loopback, so a page on another site that rebinds its DNS name to 127.0.0.1 gets nothing.
- Cross-site requests: a WebSocket or a POST must come from a page of this server (Origin).
- Each browser gets an owner id (an HttpOnly, SameSite=Strict cookie); sessions are stored under
  a hash of it, and every page that shows a session checks it belongs to the asking owner.
- Uploads: size, type by name *and* content; the file name never reaches the file system.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from interviewer.errors import ConfigError, InterviewerError
from interviewer.interview.spec import DOCUMENT_SUFFIXES, MAX_DOCUMENT_BYTES, load_document

OWNER_COOKIE = "interviewer_owner"
TOKEN_COOKIE = "interviewer_token"
_OWNER_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
SESSION_ID_RE = re.compile(r"^[0-9a-f]{12}$")
TICKET_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class RequestError(InterviewerError):
    """Bad input from a request; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class AccessPolicy:
    """How the server was bound; decides the token and Host checks."""

    host: str
    token: str | None = None

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def token_ok(self, given: str | None) -> bool:
        if self.token is None:
            return True
        return given is not None and secrets.compare_digest(given.encode(), self.token.encode())

    def host_ok(self, host_header: str | None) -> bool:
        """On loopback, only loopback names: the defence against DNS rebinding."""
        if not self.loopback:
            return True  # reachable by other names on purpose; the token guards it
        if not host_header:
            return False
        return hostname(host_header) in LOOPBACK_NAMES


def hostname(host_header: str) -> str:
    """'127.0.0.1:8765' -> '127.0.0.1'; '[::1]:8765' -> '::1'."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def same_origin(origin: str | None, host_header: str | None) -> bool:
    """The Origin header names this server (scheme http/https, the same host and port)."""
    if not origin or not host_header or origin == "null":
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return parts.netloc.lower() == host_header.strip().lower()


def new_owner_id() -> str:
    return secrets.token_urlsafe(32)


def valid_owner(value: str | None) -> bool:
    return bool(value) and _OWNER_RE.match(value or "") is not None


def user_id_for(owner: str) -> str:
    """The store's user id for an owner: a hash, so the database never holds the cookie."""
    return "web-" + hashlib.sha256(owner.encode()).hexdigest()[:24]


def new_ticket() -> str:
    return secrets.token_urlsafe(24)


# --------------------------------------------------------------------------- uploads

#: Magic numbers of formats people pick by mistake (they are not text even if named .txt).
_BINARY_MAGIC = (b"%PDF-", b"PK\x03\x04", b"MZ", b"\x7fELF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")


def safe_display_name(filename: str | None) -> str:
    """The upload's name for messages only: no directories, printable, short."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:80] or "upload"


def document_text(label: str, filename: str | None, data: bytes) -> str:
    """The text of an uploaded résumé or job description, checked by name and by content.

    ``label`` names the form field in messages. Raises :class:`RequestError` (413 too big, 415
    wrong type, 400 unreadable or empty). The bytes are parsed from a file in a private
    temporary directory under a fixed name, removed afterwards; the upload's own name is used
    for its suffix and in messages, never as a path.
    """
    shown = safe_display_name(filename)
    suffix = Path(shown).suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES:
        kind = f"'{suffix}'" if suffix else "a file without an extension"
        raise RequestError(
            f"{label} ({shown}): {kind} is not supported; use {', '.join(DOCUMENT_SUFFIXES)}",
            415,
        )
    if len(data) > MAX_DOCUMENT_BYTES:
        raise RequestError(
            f"{label} ({shown}): file is {len(data) / 1024 / 1024:.1f} MB; "
            f"documents must be under {MAX_DOCUMENT_BYTES // 1024 // 1024} MB",
            413,
        )
    if not data.strip():
        raise RequestError(f"{label} ({shown}): the file is empty")
    if suffix == ".pdf":
        if not data.startswith(b"%PDF-"):
            raise RequestError(f"{label} ({shown}): not a PDF file (its content is not PDF)", 415)
    elif data.startswith(_BINARY_MAGIC) or b"\x00" in data[:65536]:
        raise RequestError(f"{label} ({shown}): not a text file (its content is binary)", 415)
    with tempfile.TemporaryDirectory(prefix="interviewer-upload-") as tmp:
        path = Path(tmp) / f"document{suffix}"
        path.write_bytes(data)
        try:
            return load_document(path)
        except ConfigError as exc:
            raise RequestError(str(exc).replace(str(path), f"{label} ({shown})")) from None
