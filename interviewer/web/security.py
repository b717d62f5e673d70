"""Who may talk to the web app, and what may come in.

- Loopback by default. Any other address needs an access token: ``?token=`` once (then an
  HttpOnly cookie), or ``Authorization: Bearer``. On loopback the Host header must name the
  loopback, so a page on another site that rebinds its DNS name to 127.0.0.1 gets nothing.
- Cross-site requests: a WebSocket or a POST must come from a page of this server (Origin).
- Each browser gets an owner id (an HttpOnly, SameSite=Strict cookie); sessions are stored under
  a hash of it, and every page that shows a session checks it belongs to the asking owner.
  Browsers send cookies to every port of a host, so the cookies are bound to this server: the
  names carry the port (``interviewer_owner_8765``) and the owner cookie is the id plus an HMAC
  of it under a secret kept beside the store (:class:`CookieSigner`); a new secret
  (``interviewer serve --rotate-secret``) turns every owner cookie into a new owner.
- Uploads: size, type by name *and* content; the file name never reaches the file system.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from interviewer.documents import DocumentError, Extracted, cap, extract_pdf
from interviewer.errors import ConfigError, InterviewerError
from interviewer.interview.spec import DOCUMENT_SUFFIXES, MAX_DOCUMENT_BYTES, load_document
from interviewer.textsafe import storable

OWNER_COOKIE_PREFIX = "interviewer_owner"
TOKEN_COOKIE_PREFIX = "interviewer_token"
_OWNER_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_SIGNED_RE = re.compile(r"^([A-Za-z0-9_-]{32,64})\.([A-Za-z0-9_-]{43})$")
SECRET_BYTES = 32
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


def port_of(host_header: str | None, scheme: str = "http") -> str:
    """The port a browser used to reach us (from the Host header); the scheme's default if none."""
    value = (host_header or "").strip()
    tail = value.rsplit("]", 1)[-1] if value.startswith("[") else value
    port = tail.rsplit(":", 1)[1] if tail.count(":") == 1 else ""
    if port.isascii() and port.isdigit() and len(port) <= 5:
        return str(int(port))
    return "443" if scheme in ("https", "wss") else "80"


def owner_cookie(host_header: str | None, scheme: str = "http") -> str:
    """The owner cookie's name for this server: ``interviewer_owner_PORT``."""
    return f"{OWNER_COOKIE_PREFIX}_{port_of(host_header, scheme)}"


def token_cookie(host_header: str | None, scheme: str = "http") -> str:
    return f"{TOKEN_COOKIE_PREFIX}_{port_of(host_header, scheme)}"


class CookieSigner:
    """Owner cookies are ``ID.MAC``: the MAC (HMAC-SHA256 under this server's secret, over the
    cookie's name and the id) makes a cookie minted by another server, or under an older
    secret, worth nothing here."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the cookie secret must be at least 16 bytes")
        self._secret = secret

    def _mac(self, name: str, owner: str) -> str:
        digest = hmac.new(self._secret, f"{name}\x00{owner}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign(self, name: str, owner: str) -> str:
        return f"{owner}.{self._mac(name, owner)}"

    def owner(self, name: str, value: str | None) -> str | None:
        """The owner id in a cookie value, if this server signed it under ``name``."""
        match = _SIGNED_RE.match(value or "")
        if match is None:
            return None
        owner, mac = match.groups()
        return owner if hmac.compare_digest(mac, self._mac(name, owner)) else None


def secret_path_for(store_path: Path) -> Path:
    """The cookie secret lives beside the store: the owner ids in the store depend on it."""
    return store_path.with_name(store_path.name + ".web-secret")


def load_secret(path: Path, *, rotate: bool = False) -> bytes:
    """This server's cookie secret, made (readable by the user only) when missing or ``rotate``.

    Rotating it makes every browser a new owner: their earlier reports stay in the store (the
    CLI lists them) but no old cookie opens them in the app any more.
    """
    if not rotate:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = b""
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the web app's secret ({exc})") from exc
        if len(data) >= SECRET_BYTES:
            return data[:SECRET_BYTES]
    secret = secrets.token_bytes(SECRET_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secret)
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the web app's secret ({exc})") from exc
    return secret


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
    name = storable(filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:80] or "upload"


def document_text(label: str, filename: str | None, data: bytes) -> Extracted:
    """The text of an uploaded résumé or job description, checked by name and by content.

    ``label`` names the form field in messages. Raises :class:`RequestError` (413 too big, 415
    wrong type, 400 unreadable or empty). The bytes are parsed from a file in a private
    temporary directory under a fixed name, removed afterwards; the upload's own name is used
    for its suffix and in messages, never as a path. A PDF is read by a child process with
    limits (:mod:`interviewer.documents`), and the text is capped; the notices say what
    was cut, prefixed with ``label``.
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
            if suffix == ".pdf":
                extracted = extract_pdf(path)
            else:
                extracted = cap(Extracted(storable(load_document(path))))
        except DocumentError as exc:
            raise RequestError(f"{label} ({shown}): {exc}") from None
        except ConfigError as exc:
            raise RequestError(str(exc).replace(str(path), f"{label} ({shown})")) from None
    if not extracted.text:
        why = "; ".join(extracted.notices) or "a scanned PDF has no text layer"
        raise RequestError(f"{label} ({shown}): file has no text ({why})")
    extracted.notices = [f"{label} ({shown}): {n}" for n in extracted.notices]
    return extracted
