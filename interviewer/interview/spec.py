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
import logging
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from interviewer.errors import ConfigError
from interviewer.interview.bank import KNOWN_ROLES, LEVELS
from interviewer.interview.jd_questions import jd_questions
from interviewer.interview.positions import GENERAL_ROLE, map_position, position_title

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

log = logging.getLogger(__name__)


def _snake(value: str) -> str:
    """'Data Scientist' / 'data-scientist' / ' DATA_SCIENTIST ' -> 'data_scientist'."""
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


def _choice(value: Any, allowed: Iterable[str], aliases: Mapping[str, str]) -> str:
    # Keep a tuple's order (levels go intern..staff); sort sets for a stable message.
    names = list(allowed) if isinstance(allowed, tuple) else sorted(allowed)
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}; use one of {', '.join(names)}")
    key = _snake(value)
    key = aliases.get(key, key)
    if key in names:
        return key
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise ValueError(f"{value!r} is not allowed{hint}; use one of {', '.join(names)}")


def _int(value: Any, low: int, high: int) -> int:
    # bool is an int in Python; "questions = true" is a typo, not 1.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected a whole number from {low} to {high}, got {value!r}")
    # int() also takes "٣" and "1_0"; a count is written in ASCII digits
    if isinstance(value, str) and not re.fullmatch(r"\s*[+-]?[0-9]+\s*", value):
        raise ValueError(f"expected a whole number from {low} to {high}, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"expected a whole number from {low} to {high}, got {value!r}") from None
    if not low <= number <= high:
        raise ValueError(f"{number} is out of range; use {low} to {high}")
    return number


def _minutes(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a number of minutes, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"expected a number of minutes, got {value!r}") from None
    if not 1.0 <= number <= MAX_MINUTES:
        raise ValueError(f"{value} is out of range; use 1 to {MAX_MINUTES:g}")
    return number


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__}")
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
    # The web app's bounded reader (a child process with CPU, memory and time limits, text
    # capped): a small hostile PDF must not cost minutes or gigabytes here either.
    from interviewer.documents import DocumentError, extract_pdf

    try:
        extracted = extract_pdf(path)
    except DocumentError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    for notice in extracted.notices:
        log.warning("%s: %s", path, notice)
    return extracted.text


class InterviewSpec(BaseModel):
    """One interview's settings, validated and normalised on construction.

    ``questions`` is the number of bank questions; with only ``minutes`` set, the count follows
    from the time budget (see :func:`interviewer.interview.selection.question_count`), and with
    both, ``minutes`` caps the interview while ``questions`` caps the count. Invalid values raise
    :class:`ConfigError` (``field: what is wrong; what it accepts``), not pydantic's error.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: str
    #: the position as the user wrote it, when it maps to no bank role ("Marketing Analyst")
    position: str | None = None
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

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigError(_first_error(exc)) from None

    # Which roles exist depends on the bank, so membership is checked by from_mapping (and
    # again by the selection); here the role is only normalised.
    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: Any) -> str:
        return _normal_role(value)

    @field_validator("level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> str:
        return _choice(value, LEVELS, _LEVEL_ALIASES)

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> str:
        return _choice(value, INTERVIEW_TYPES, _TYPE_ALIASES)

    @field_validator("position", "company", "notes", "job_description", "resume", mode="before")
    @classmethod
    def _texts(cls, value: Any) -> str | None:
        return _text(value)

    @field_validator("questions", mode="before")
    @classmethod
    def _questions(cls, value: Any) -> int | None:
        return None if value is None else _int(value, 1, MAX_QUESTIONS)

    @field_validator("minutes", mode="before")
    @classmethod
    def _budget(cls, value: Any) -> float | None:
        return None if value is None else _minutes(value)

    @field_validator("max_follow_ups", mode="before")
    @classmethod
    def _follow_ups(cls, value: Any) -> int:
        return _int(value, 0, MAX_FOLLOW_UPS)

    @field_validator("seed", mode="before")
    @classmethod
    def _seed(cls, value: Any) -> int | None:
        return None if value is None else _int(value, 0, 2**63 - 1)

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
        allowed = set(cls.model_fields)
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
            title = position_title(position.text)
            if title and _words_of(title) != position.role.replace("_", " "):
                values["position"] = title
            if position.behavioral_only:
                note = position.note
                # With a job description the technical questions come from it (jd_questions);
                # without one, or with one that names nothing to ask about, none are technical.
                if values.get("job_description") and jd_questions(str(values["job_description"])):
                    note += ", with technical questions from the job description"
                else:
                    values["type"] = "behavioral"
                values["notes"] = "\n".join(filter(None, [values.get("notes"), note]))
        try:
            values["role"] = _choice(_normal_role(values["role"]), known, _ROLE_ALIASES)
        except ValueError as exc:
            raise ConfigError(f"role: {exc}") from None
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
        return self.model_dump()

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
        """The role as people say it: 'data scientist', 'ML engineer', or the position as
        written, without its level, when it differs from the role's name ('Marketing Analyst',
        'Data Analyst' for the data_scientist role)."""
        if self.position:
            return self.position
        words = self.role.replace("_", " ")
        return re.sub(r"\bml\b", "ML", words)


# --------------------------------------------------------------------------- helpers


def _words_of(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _role_set(roles: Iterable[str] | None) -> frozenset[str]:
    # the general role (a behavioural interview for any position) comes with the shipped bank
    return KNOWN_ROLES | {GENERAL_ROLE} | frozenset(roles or ())


def _first_error(exc: ValidationError) -> str:
    """The first problem as ``field: message``, in the words of this module's validators."""
    error = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in error["loc"]) or "spec"
    if error["type"] == "extra_forbidden":
        return f"unknown field {field!r}"
    if error["type"] == "missing":
        return f"{field}: required"
    cause = error.get("ctx", {}).get("error")
    return f"{field}: {cause if cause is not None else error['msg']}"


def _normal_role(value: Any) -> str:
    if not isinstance(value, str) or not _snake(value):
        raise ValueError(f"expected a role name, got {value!r}")
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
