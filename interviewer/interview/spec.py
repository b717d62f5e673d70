"""What interview to run: role, company, level, type, length, and the candidate's documents.

A spec comes from a TOML file, from command-line flags, or both (flags win). Every value is
checked once, here, so that the selection and the state machine can trust it; a bad value is a
:class:`~interviewer.errors.ConfigError` that names the field and what it accepts, because these
values are typed by people.

A TOML file looks like::

    role = "Data Scientist"
    company = "quillpay"        # a company profile id, a company name, or any free text
    level = "mid"
    type = "mixed"
    questions = 4               # or: minutes = 20
    max_follow_ups = 1
    resume_file = "cv.pdf"      # relative to the TOML file; .txt, .md or .pdf
    job_description_file = "jd.md"
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from interviewer.errors import ConfigError
from interviewer.interview.bank import KNOWN_ROLES, LEVELS
from interviewer.interview.positions import map_position

__all__ = [
    "DOCUMENT_SUFFIXES",
    "INTERVIEW_TYPES",
    "MAX_DOCUMENT_BYTES",
    "InterviewSpec",
    "load_document",
]

INTERVIEW_TYPES: tuple[str, ...] = ("behavioral", "technical", "mixed")
DOCUMENT_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".pdf")
#: Résumés and job descriptions are a few pages; anything bigger is almost surely the wrong file.
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024

MAX_QUESTIONS = 20
MAX_MINUTES = 180.0
MAX_FOLLOW_UPS = 3

# What people type or say instead of the bank's role ids.
_ROLE_ALIASES: dict[str, str] = {
    "ds": "data_scientist",
    "data_science": "data_scientist",
    "swe": "software_engineer",
    "sde": "software_engineer",
    "software_developer": "software_engineer",
    "developer": "software_engineer",
    "mle": "ml_engineer",
    "machine_learning_engineer": "ml_engineer",
    "ml_eng": "ml_engineer",
    "pm": "product_manager",
    "product": "product_manager",
}
_LEVEL_ALIASES: dict[str, str] = {
    "entry": "junior",
    "graduate": "junior",
    "mid_level": "mid",
    "middle": "mid",
    "intermediate": "mid",
    "sr": "senior",
    "principal": "staff",
}
_TYPE_ALIASES: dict[str, str] = {
    "behavioural": "behavioral",
    "behaviour": "behavioral",
    "behavior": "behavioral",
    "tech": "technical",
    "both": "mixed",
    "mix": "mixed",
}


def _snake(value: str) -> str:
    """'Data Scientist' / 'data-scientist' / ' DATA_SCIENTIST ' -> 'data_scientist'."""
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


def _choice(field_name: str, value: Any, allowed: Iterable[str], aliases: Mapping[str, str]) -> str:
    # Keep a tuple's order (levels go intern..staff); sort sets for a stable message.
    names = list(allowed) if isinstance(allowed, tuple) else sorted(allowed)
    if not isinstance(value, str):
        raise ConfigError(
            f"{field_name}: expected text, got {value!r}; use one of {', '.join(names)}"
        )
    key = _snake(value)
    key = aliases.get(key, key)
    if key in names:
        return key
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise ConfigError(
        f"{field_name}: {value!r} is not allowed{hint}; use one of {', '.join(names)}"
    )


def _int(field_name: str, value: Any, low: int, high: int) -> int:
    # bool is an int in Python; "questions = true" is a typo, not 1.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(
            f"{field_name}: expected a whole number from {low} to {high}, got {value!r}"
        )
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(
            f"{field_name}: expected a whole number from {low} to {high}, got {value!r}"
        ) from None
    if not low <= number <= high:
        raise ConfigError(f"{field_name}: {number} is out of range; use {low} to {high}")
    return number


def _minutes(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"minutes: expected a number of minutes, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"minutes: expected a number of minutes, got {value!r}") from None
    if not 1.0 <= number <= MAX_MINUTES:
        raise ConfigError(f"minutes: {value} is out of range; use 1 to {MAX_MINUTES:g}")
    return number


def _text(field_name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{field_name}: expected text, got {type(value).__name__}")
    value = value.strip()
    return value or None


def load_document(path: str | Path) -> str:
    """The text of a résumé or job description in a .txt, .md or .pdf file.

    Raises ConfigError naming the file when it is missing, of another type, larger than 2 MB,
    unreadable, or has no text (a scanned PDF has only images).
    """
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES:
        raise ConfigError(f"{path}: unsupported file type; use {', '.join(DOCUMENT_SUFFIXES)}")
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise ConfigError(
            f"{path}: file is {size / 1024 / 1024:.1f} MB; documents must be under 2 MB"
        )
    text = _read_pdf(path) if suffix == ".pdf" else _read_text(path)
    text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if not text:
        hint = " (a scanned PDF has no text layer)" if suffix == ".pdf" else ""
        raise ConfigError(f"{path}: file has no text{hint}")
    return text


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    if b"\x00" in raw:
        raise ConfigError(f"{path}: not a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Old Windows editors still save cp1252; latin-1 accepts every byte, so it is the last try.
        return raw.decode("cp1252", errors="replace")


def _read_pdf(path: Path) -> str:
    try:
        from pypdf import PdfReader
    except ImportError as exc:  # pragma: no cover - pypdf is a declared dependency
        raise ConfigError(f"{path}: reading PDF files needs the pypdf package") from exc
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise ConfigError(f"{path}: PDF is password-protected; save an unprotected copy")
        return "\n".join((page.extract_text() or "") for page in reader.pages)
    except ConfigError:
        raise
    except Exception as exc:
        # pypdf raises a zoo of exception types on damaged files (PdfReadError, ValueError,
        # KeyError, ...); for the user they all mean the same thing.
        raise ConfigError(f"{path}: cannot read PDF ({type(exc).__name__}: {exc})") from exc


@dataclass(frozen=True)
class InterviewSpec:
    """One interview's settings, validated and normalised on construction.

    ``questions`` is the number of bank questions; with only ``minutes`` set, the count follows
    from the time budget (see :func:`interviewer.interview.selection.question_count`), and with
    both, ``minutes`` caps the interview while ``questions`` caps the count.
    """

    role: str
    company: str | None = None
    level: str = "mid"
    type: str = "mixed"
    notes: str | None = None
    job_description: str | None = None
    resume: str | None = None
    questions: int | None = None
    minutes: float | None = None
    max_follow_ups: int = 1
    seed: int | None = None

    def __post_init__(self) -> None:
        # Frozen, so normalised values are written with object.__setattr__; this runs for every
        # way of building a spec, including dataclasses.replace.
        set_ = object.__setattr__
        # Which roles exist depends on the bank, so membership is checked by from_mapping (and
        # again by the selection); here the role is only normalised.
        set_(self, "role", _normal_role(self.role))
        set_(self, "level", _choice("level", self.level, LEVELS, _LEVEL_ALIASES))
        set_(self, "type", _choice("type", self.type, INTERVIEW_TYPES, _TYPE_ALIASES))
        for name in ("company", "notes", "job_description", "resume"):
            set_(self, name, _text(name, getattr(self, name)))
        if self.questions is not None:
            set_(self, "questions", _int("questions", self.questions, 1, MAX_QUESTIONS))
        if self.minutes is not None:
            set_(self, "minutes", _minutes(self.minutes))
        set_(self, "max_follow_ups", _int("max_follow_ups", self.max_follow_ups, 0, MAX_FOLLOW_UPS))
        if self.seed is not None:
            set_(self, "seed", _int("seed", self.seed, 0, 2**63 - 1))

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        *,
        roles: Iterable[str] | None = None,
        base_dir: Path | None = None,
    ) -> InterviewSpec:
        """Build a spec from a dict (a parsed TOML file, or flags).

        ``roles`` are the roles the loaded bank knows (default: the built-in ones).
        ``resume_file`` / ``job_description_file`` are read with :func:`load_document`,
        relative to ``base_dir`` when given. Unknown keys are errors, with a suggestion.
        """
        values = _expand_files(data, base_dir)
        allowed = {f.name for f in fields(cls)}
        for key in values:
            if key not in allowed:
                names = sorted(allowed | {"resume_file", "job_description_file"})
                close = difflib.get_close_matches(key, names, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise ConfigError(f"unknown field {key!r}{hint}; known fields: {', '.join(names)}")
        known = _role_set(roles)
        if values.get("role") is None:
            raise ConfigError("role: required; use one of " + ", ".join(sorted(known)))
        if _normal_role(values["role"]) not in known:
            # A position as a person writes it: "Senior Data Scientist", "Marketing Analyst".
            position = map_position(values["role"], known)
            values["role"] = position.role
            if position.level and "level" not in values:
                values["level"] = position.level
            if position.behavioral_only:
                values["type"] = "behavioral"
                values["notes"] = "\n".join(filter(None, [values.get("notes"), position.note]))
        values["role"] = _choice("role", _normal_role(values["role"]), known, _ROLE_ALIASES)
        return cls(**values)

    @classmethod
    def from_toml(cls, path: str | Path, *, roles: Iterable[str] | None = None) -> InterviewSpec:
        """Read a spec from a TOML file; errors start with the file's path."""
        path = Path(path).expanduser()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read file ({exc})") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
        # A spec may sit in a [interview] table of a bigger config file.
        if isinstance(data.get("interview"), dict):
            data = data["interview"]
        try:
            return cls.from_mapping(data, roles=roles, base_dir=path.parent)
        except ConfigError as exc:
            if str(exc).startswith(str(path)):
                raise
            raise ConfigError(f"{path}: {exc}") from None

    def merged(
        self, overrides: Mapping[str, Any], *, roles: Iterable[str] | None = None
    ) -> InterviewSpec:
        """A copy with ``overrides`` applied (flags over a file); ``None`` values are ignored.

        File paths in overrides are relative to the current directory.
        """
        given = {k: v for k, v in overrides.items() if v is not None}
        if not given:
            return self
        data = self.to_dict()
        expanded = _expand_files(given, None)
        # A count given on the command line replaces a time budget from the file, and the other
        # way round, since the user asked for that shape of interview just now.
        if "questions" in expanded and "minutes" not in expanded:
            data["minutes"] = None
        if "minutes" in expanded and "questions" not in expanded:
            data["questions"] = None
        data.update(expanded)
        return InterviewSpec.from_mapping(data, roles=roles)

    # ------------------------------------------------------------------ derived values

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values; ``from_mapping(spec.to_dict())`` gives the spec back."""
        return asdict(self)

    def derived_seed(self) -> int:
        """``seed`` if set, else a stable number from the spec (same spec, same interview)."""
        if self.seed is not None:
            return self.seed
        key = {
            k: v
            for k, v in self.to_dict().items()
            if k in ("role", "company", "level", "type", "questions", "minutes")
        }
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).digest()
        return int.from_bytes(digest[:8], "big") >> 1

    @property
    def role_title(self) -> str:
        """The role as people say it: 'data scientist', 'ML engineer'."""
        words = self.role.replace("_", " ")
        return re.sub(r"\bml\b", "ML", words)


# --------------------------------------------------------------------------- helpers


def _role_set(roles: Iterable[str] | None) -> frozenset[str]:
    return KNOWN_ROLES | frozenset(roles or ())


def _normal_role(value: Any) -> str:
    if not isinstance(value, str) or not _snake(value):
        raise ConfigError(f"role: expected a role name, got {value!r}")
    key = _snake(value)
    return _ROLE_ALIASES.get(key, key)


def _expand_files(data: Mapping[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """Replace ``resume_file`` / ``job_description_file`` by the documents' text."""
    values = dict(data)
    for name in ("resume", "job_description"):
        key = f"{name}_file"
        if values.get(key) is None:
            values.pop(key, None)
            continue
        raw = values.pop(key)
        if not isinstance(raw, str | Path):
            raise ConfigError(f"{key}: expected a file path, got {raw!r}")
        path = Path(raw).expanduser()
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        if values.get(name) is not None:
            raise ConfigError(f"give either {name} or {key}, not both")
        values[name] = load_document(path)
    return values
