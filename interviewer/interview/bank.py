"""The question bank: schema, loader and validator for the YAML files under ``questionbank/``.

Bank files are written by hand and imported from users, so every validation error is a single
line that names the file, the line and the field, e.g.
``questionbank/ds.yaml:42: questions[3].rubric.criteria[0].anchors: field required``. To get the
line, each file is composed into a YAML node tree (which keeps start marks) and a pydantic error's
``loc`` path is walked down that tree.

A bank file is a YAML mapping with any of these top-level keys:

``questions``
    a list of :class:`Question`;
``companies``
    a list of :class:`CompanyProfile`;
``roles``
    extra role ids (snake_case) that questions in any loaded file may use besides
    :data:`KNOWN_ROLES`;
``definitions``
    ignored by the loader; a place to define YAML anchors (``&star``) that questions reuse with
    aliases (``*star``), so shared rubric criteria are written once.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from interviewer.errors import ConfigError

__all__ = [
    "BANK_SUFFIXES",
    "DEFAULT_BANK_DIR",
    "DIFFICULTY_BY_LEVEL",
    "KNOWN_ROLES",
    "LEVELS",
    "QUESTION_TYPES",
    "Bank",
    "BankFile",
    "CompanyFact",
    "CompanyProfile",
    "Criterion",
    "Question",
    "Rubric",
    "Source",
    "add_question",
    "import_bank_file",
    "load_bank",
    "validate_bank_files",
]

DEFAULT_BANK_DIR = Path(__file__).resolve().parents[2] / "questionbank"
BANK_SUFFIXES = (".yaml", ".yml")

KNOWN_ROLES: frozenset[str] = frozenset(
    {"data_scientist", "software_engineer", "ml_engineer", "product_manager"}
)
LEVELS: tuple[str, ...] = ("intern", "junior", "mid", "senior", "staff")
QUESTION_TYPES: tuple[str, ...] = ("behavioral", "technical")
ANCHOR_LEVELS: tuple[int, ...] = (1, 3, 5)

# A question tagged with several levels must fit every one of them, so that a staff-only
# brain-teaser is never served to an intern just because the tags were written broadly.
DIFFICULTY_BY_LEVEL: dict[str, tuple[int, int]] = {
    "intern": (1, 3),
    "junior": (1, 3),
    "mid": (2, 4),
    "senior": (3, 5),
    "staff": (3, 5),
}

Level = Literal["intern", "junior", "mid", "senior", "staff"]
QuestionType = Literal["behavioral", "technical"]

_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
_SNAKE_PATTERN = r"^[a-z][a-z0-9_]*$"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Id = Annotated[str, StringConstraints(pattern=_ID_PATTERN)]
SnakeId = Annotated[str, StringConstraints(pattern=_SNAKE_PATTERN)]


def _check_role(role: str, info: ValidationInfo) -> str:
    # Roles declared in any loaded file's ``roles:`` arrive through the validation context, so a
    # bank can add a role without a code change while typos in role names are still caught.
    allowed = KNOWN_ROLES | _context_roles(info)
    if role not in allowed:
        raise ValueError(
            _unknown("role", role, allowed) + " (new roles go in a top-level roles: list)"
        )
    return role


def _context_roles(info: ValidationInfo) -> frozenset[str]:
    context = info.context if isinstance(info.context, dict) else {}
    return frozenset(context.get("roles", ()))


Role = Annotated[SnakeId, AfterValidator(_check_role)]


def _no_duplicates(values: Sequence[object], what: str) -> None:
    seen: set[object] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)


class _Model(BaseModel):
    # Typos in hand-written YAML (``follow_up:`` for ``follow_ups:``) must fail, not vanish.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(_Model):
    """One rubric criterion with behaviourally anchored levels 1, 3 and 5.

    Levels 2 and 4 are scored by interpolation between the neighbouring anchors.
    """

    name: SnakeId
    description: Text
    anchors: dict[int, Text]

    @field_validator("anchors")
    @classmethod
    def _three_anchors(cls, anchors: dict[int, str]) -> dict[int, str]:
        if sorted(anchors) != list(ANCHOR_LEVELS):
            raise ValueError(f"needs exactly the levels 1, 3 and 5 (got {sorted(anchors)})")
        return dict(sorted(anchors.items()))


class Rubric(_Model):
    """The criteria an answer is scored against."""

    criteria: list[Criterion] = Field(min_length=1)

    @field_validator("criteria")
    @classmethod
    def _unique_names(cls, criteria: list[Criterion]) -> list[Criterion]:
        _no_duplicates([c.name for c in criteria], "criterion name")
        return criteria


class Question(_Model):
    """One interview question with its probes, rubric and expected points."""

    id: Id
    text: Text
    type: QuestionType
    competency: SnakeId
    roles: list[Role] = Field(min_length=1)
    levels: list[Level] = Field(min_length=1)
    difficulty: int = Field(ge=1, le=5)
    companies: list[Id] = Field(default_factory=list)
    follow_ups: list[Text] = Field(min_length=2)
    rubric: Rubric
    key_points: list[Text] = Field(default_factory=list, validate_default=True)
    #: a short, hand-written noun phrase per key point ("effect size"), for follow-ups to name
    topics: list[Text] = Field(default_factory=list)
    evaluation_notes: Text | None = None

    @field_validator("roles", "levels", "companies")
    @classmethod
    def _unique_tags(cls, values: list[str], info: ValidationInfo) -> list[str]:
        _no_duplicates(values, f"entry in {info.field_name}")
        return values

    @field_validator("difficulty")
    @classmethod
    def _difficulty_fits_levels(cls, difficulty: int, info: ValidationInfo) -> int:
        for level in info.data.get("levels", ()):
            low, high = DIFFICULTY_BY_LEVEL[level]
            if not low <= difficulty <= high:
                raise ValueError(
                    f"difficulty {difficulty} does not suit level {level!r} (expected {low}-{high})"
                )
        return difficulty

    @field_validator("key_points")
    @classmethod
    def _technical_needs_key_points(cls, key_points: list[str], info: ValidationInfo) -> list[str]:
        # Technical answers are scored for coverage of these points; without them the scorer
        # would have nothing but the rubric's generic anchors to compare against.
        if info.data.get("type") == "technical" and not key_points:
            raise ValueError("technical questions need at least one key point")
        return key_points

    @field_validator("topics")
    @classmethod
    def _one_topic_per_key_point(cls, topics: list[str], info: ValidationInfo) -> list[str]:
        points = info.data.get("key_points") or []
        if topics and len(topics) != len(points):
            raise ValueError(f"needs one topic per key point ({len(points)}), got {len(topics)}")
        return topics


class CompanyFact(_Model):
    """A short fact the interviewer can give when the candidate asks about the company."""

    topic: Text
    answer: Text


class CompanyProfile(_Model):
    """A (fictional or archetypal) company whose values and style shape the interview."""

    id: Id
    name: Text
    values: list[Text] = Field(min_length=1)
    interview_style: Text
    emphasis: list[SnakeId] = Field(min_length=1)
    facts: list[CompanyFact] = Field(min_length=1)
    phrasing: list[Text] = Field(default_factory=list)


class BankFile(_Model):
    """The top level of one bank file."""

    roles: list[SnakeId] = Field(default_factory=list)
    questions: list[Question] = Field(default_factory=list)
    companies: list[CompanyProfile] = Field(default_factory=list)
    definitions: Any = None

    @field_validator("roles", "questions", "companies", mode="before")
    @classmethod
    def _empty_key_is_empty_list(cls, value: Any) -> Any:
        # ``questions:`` with nothing under it (a file being started) parses as null.
        return [] if value is None else value


@dataclass(frozen=True)
class Source:
    """Where a question or company was defined."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{_display(self.path)}:{self.line}"


class Bank:
    """A loaded, validated question bank."""

    def __init__(
        self,
        questions: Iterable[Question] = (),
        companies: Iterable[CompanyProfile] = (),
        roles: Iterable[str] = (),
        sources: dict[str, Source] | None = None,
    ) -> None:
        self._questions = {q.id: q for q in questions}
        self._companies = {c.id: c for c in companies}
        self._roles = frozenset(KNOWN_ROLES | set(roles))
        self._sources = dict(sources or {})

    @property
    def questions(self) -> tuple[Question, ...]:
        """All questions, in file order."""
        return tuple(self._questions.values())

    @property
    def companies(self) -> tuple[CompanyProfile, ...]:
        """All company profiles, in file order."""
        return tuple(self._companies.values())

    @property
    def roles(self) -> frozenset[str]:
        """Known roles plus those declared by the bank's files."""
        return self._roles

    def __len__(self) -> int:
        return len(self._questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self._questions.values())

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._questions

    def get(self, question_id: str) -> Question:
        """The question with this id; ConfigError (with close matches) if there is none."""
        try:
            return self._questions[question_id]
        except KeyError:
            raise ConfigError(_unknown("question id", question_id, self._questions)) from None

    def company(self, company_id: str) -> CompanyProfile:
        """The company profile with this id; ConfigError (with close matches) if there is none."""
        try:
            return self._companies[company_id]
        except KeyError:
            raise ConfigError(_unknown("company", company_id, self._companies)) from None

    def source(self, item_id: str) -> Source | None:
        """The file and line where a question (or, failing that, a company) was defined."""
        return self._sources.get(f"question:{item_id}") or self._sources.get(f"company:{item_id}")

    def filter(
        self,
        role: str | None = None,
        level: str | None = None,
        type: str | None = None,
        company: str | None = None,
        competency: str | None = None,
        include_generic: bool = True,
    ) -> list[Question]:
        """Questions matching every given criterion, in file order.

        With ``company``, questions written for that company match, and so do generic questions
        (no ``companies`` tag) unless ``include_generic`` is false; questions written only for
        other companies never match. An unknown role, level, type or company is a ConfigError,
        because these values come from command-line flags.
        """
        if role is not None and role not in self._roles:
            raise ConfigError(_unknown("role", role, self._roles))
        if level is not None and level not in LEVELS:
            raise ConfigError(_unknown("level", level, LEVELS))
        if type is not None and type not in QUESTION_TYPES:
            raise ConfigError(_unknown("question type", type, QUESTION_TYPES))
        if company is not None and company not in self._companies:
            raise ConfigError(_unknown("company", company, self._companies))
        out = []
        for q in self._questions.values():
            if role is not None and role not in q.roles:
                continue
            if level is not None and level not in q.levels:
                continue
            if type is not None and q.type != type:
                continue
            if competency is not None and q.competency != competency:
                continue
            if company is not None:
                generic = not q.companies
                if not (company in q.companies or (generic and include_generic)):
                    continue
            out.append(q)
        return out


def _unknown(what: str, value: str, known: Iterable[str]) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(value, names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"unknown {what} {value!r}{hint}"


# --- loading and validation --------------------------------------------------------------------


@dataclass(frozen=True)
class _Issue:
    path: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = _display(self.path) + (f":{self.line}" if self.line is not None else "")
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class _Parsed:
    path: Path
    root: yaml.Node | None
    data: dict[str, Any]


def _display(path: Path) -> str:
    # Relative paths read better in error lines and match what the user typed or sees in a tree.
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _find_files(paths: Sequence[Path]) -> tuple[list[Path], list[_Issue]]:
    files: list[Path] = []
    issues: list[_Issue] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix in BANK_SUFFIXES and p.is_file() and not p.name.startswith(".")
            )
        elif path.is_file():
            found = [path]
        else:
            issues.append(_Issue(path, None, "", "no such file or directory"))
            continue
        for p in found:
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                files.append(p)
    return files, issues


# libyaml is about ten times faster on the shipped bank and keeps the same line marks; the pure
# Python loader is the fallback where PyYAML was built without it.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(path: Path, text: str | None = None) -> tuple[_Parsed | None, list[_Issue]]:
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return None, [_Issue(path, None, "", f"cannot read file ({exc})")]
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        line = mark.line + 1 if mark is not None else None
        return None, [_Issue(path, line, "", f"invalid YAML: {problem}")]
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, [_Issue(path, None, "", f"invalid YAML: {first}")]
    finally:
        loader.dispose()
    if data is None:
        # An empty (or comments-only) file is an empty bank file, not an error.
        return _Parsed(path, root, {}), []
    if not isinstance(data, dict):
        return None, [
            _Issue(path, 1, "", "top level must be a mapping with questions:, companies: or roles:")
        ]
    return _Parsed(path, root, data), _duplicate_keys(path, root)


def _duplicate_keys(path: Path, root: yaml.Node | None) -> list[_Issue]:
    # PyYAML silently keeps the last of two equal keys, which would hide half of a hand-edited
    # question; report them instead.
    issues: list[_Issue] = []
    visited: set[int] = set()

    def walk(node: yaml.Node, loc: tuple[str | int, ...]) -> None:
        if id(node) in visited:
            return
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                if isinstance(key, yaml.ScalarNode) and name in seen:
                    issues.append(
                        _Issue(
                            path,
                            key.start_mark.line + 1,
                            _format_loc((*loc, name)),
                            "duplicate key",
                        )
                    )
                seen.add(name)
                walk(value, (*loc, name))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*loc, index))

    if root is not None:
        walk(root, ())
    return issues


def _format_loc(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _line_of(root: yaml.Node | None, loc: Sequence[str | int]) -> int:
    """1-based line of the deepest YAML node on ``loc`` that exists.

    A missing field therefore points at the mapping (or list item) that lacks it, and a wrong
    value at the key or item that holds it.
    """
    if root is None:
        return 1
    node = root
    line = root.start_mark.line
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    line = key.start_mark.line
                    node = value
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line
        else:
            break
    return line + 1


def _message(error: Any) -> str:
    msg = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    msg = msg[:1].lower() + msg[1:]
    value = error.get("input")
    if error["type"] not in ("missing", "value_error") and isinstance(
        value, str | int | float | bool
    ):
        shown = repr(value)
        msg += f" (got {shown if len(shown) <= 40 else shown[:37] + '...'})"
    return msg


def _validation_issues(parsed: _Parsed, exc: ValidationError) -> list[_Issue]:
    issues = []
    for error in exc.errors():
        # Drop the function/union tags pydantic inserts into ``loc``; only real keys and indices
        # exist in the file.
        loc = tuple(
            p for p in error["loc"] if isinstance(p, int) or not str(p).startswith("function")
        )
        issues.append(
            _Issue(parsed.path, _line_of(parsed.root, loc), _format_loc(loc), _message(error))
        )
    return issues


def _items(parsed: _Parsed, key: str) -> list[tuple[int, dict[str, Any]]]:
    items = parsed.data.get(key)
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)]


def _cross_file_issues(parsed: list[_Parsed]) -> tuple[list[_Issue], dict[str, Source]]:
    # Works on the raw data, not on validated models, so that one broken question does not also
    # produce spurious "unknown company" or missed-duplicate errors elsewhere.
    issues: list[_Issue] = []
    sources: dict[str, Source] = {}
    for kind in ("company", "question"):
        for p in parsed:
            for index, item in _items(p, _kind_key(kind)):
                item_id = item.get("id")
                if not isinstance(item_id, str):
                    continue
                loc = (_kind_key(kind), index, "id")
                here = Source(p.path, _line_of(p.root, loc))
                first = sources.get(f"{kind}:{item_id}")
                if first is not None:
                    issues.append(
                        _Issue(
                            p.path,
                            here.line,
                            _format_loc(loc),
                            f"duplicate {kind} id {item_id!r} (first defined at {first})",
                        )
                    )
                else:
                    sources[f"{kind}:{item_id}"] = here
    company_ids = {key.split(":", 1)[1] for key in sources if key.startswith("company:")}
    for p in parsed:
        for index, item in _items(p, "questions"):
            refs = item.get("companies")
            if not isinstance(refs, list):
                continue
            for j, ref in enumerate(refs):
                if isinstance(ref, str) and ref not in company_ids:
                    ref_loc = ("questions", index, "companies", j)
                    issues.append(
                        _Issue(
                            p.path,
                            _line_of(p.root, ref_loc),
                            _format_loc(ref_loc),
                            _unknown("company", ref, company_ids),
                        )
                    )
    return issues, sources


def _kind_key(kind: str) -> str:
    return "questions" if kind == "question" else "companies"


def _declared_roles(parsed: list[_Parsed]) -> set[str]:
    roles: set[str] = set()
    for p in parsed:
        declared = p.data.get("roles")
        if isinstance(declared, list):
            roles.update(r for r in declared if isinstance(r, str))
    return roles


def _collect(
    paths: Sequence[Path], extra: Sequence[tuple[Path, str]] = ()
) -> tuple[Bank | None, list[_Issue]]:
    """Validate bank files (and in-memory ``extra`` files); the bank is None if any issue."""
    files, issues = _find_files(paths)
    extra_keys = {p.resolve() for p, _ in extra}
    files = [f for f in files if f.resolve() not in extra_keys]
    parsed: list[_Parsed] = []
    sources_in: list[tuple[Path, str | None]] = [(f, None) for f in files]
    sources_in += [(p, t) for p, t in extra]
    for path, text in sources_in:
        result, found = _parse(path, text)
        issues += found
        if result is not None:
            parsed.append(result)

    # Roles are gathered from every file first: a question may use a role another file declares.
    roles = _declared_roles(parsed)
    context = {"roles": frozenset(roles)}
    models: list[BankFile] = []
    for p in parsed:
        try:
            models.append(BankFile.model_validate(p.data, context=context))
        except ValidationError as exc:
            issues += _validation_issues(p, exc)
    cross, sources = _cross_file_issues(parsed)
    issues += cross

    order = {p.path: i for i, p in enumerate(parsed)}
    issues.sort(key=lambda i: (order.get(i.path, -1), i.line or 0))
    if issues:
        return None, issues
    bank = Bank(
        questions=[q for m in models for q in m.questions],
        companies=[c for m in models for c in m.companies],
        roles=roles,
        sources=sources,
    )
    return bank, []


def _raise_first(issues: list[_Issue]) -> None:
    if issues:
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        raise ConfigError(f"{issues[0]}{more}")


def _bank_paths(paths: Sequence[Path] | None) -> list[Path]:
    return [Path(p) for p in paths] if paths else [DEFAULT_BANK_DIR]


def load_bank(paths: Sequence[Path] | None = None) -> Bank:
    """Load and validate every ``*.yaml``/``*.yml`` file under the given folders (or files).

    With no paths, loads the shipped ``questionbank/`` folder; pass it together with extra folders
    to add a user's own bank. Ids must be unique across all files, and companies that questions
    name must exist in one of them. Raises ConfigError naming the file, line and field of the
    first problem, plus how many more there are.
    """
    bank, issues = _collect(_bank_paths(paths))
    _raise_first(issues)
    assert bank is not None
    return bank


def validate_bank_files(paths: Sequence[Path] | None = None) -> list[str]:
    """Every problem in these bank files as ``file:line: field: message`` lines; [] if valid."""
    return [str(issue) for issue in _collect(_bank_paths(paths))[1]]


def _existing_paths(dest_dir: Path | None, existing: Sequence[Path] | None) -> list[Path]:
    if existing is not None:
        return [Path(p) for p in existing]
    candidates = [DEFAULT_BANK_DIR] if dest_dir is None else [DEFAULT_BANK_DIR, dest_dir]
    out: list[Path] = []
    for p in candidates:
        if p.exists() and all(p.resolve() != q.resolve() for q in out):
            out.append(p)
    return out


def _write_atomically(dest: Path, text: str) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def import_bank_file(src: Path, dest_dir: Path, existing: Sequence[Path] | None = None) -> Path:
    """Validate a user's bank file against the existing bank and copy it into ``dest_dir``.

    ``existing`` is the bank the file must fit (ids unique, companies known); by default the
    shipped ``questionbank/`` plus whatever is already in ``dest_dir``. The file is copied byte
    for byte, so its comments survive. Returns the new path; raises ConfigError on any problem,
    including a file of that name already in ``dest_dir``.
    """
    src = Path(src)
    dest_dir = Path(dest_dir)
    if src.suffix not in BANK_SUFFIXES:
        raise ConfigError(f"{_display(src)}: bank files must end in .yaml or .yml")
    if not src.is_file():
        raise ConfigError(f"{_display(src)}: no such file")
    dest = dest_dir / src.name
    if dest.exists():
        raise ConfigError(
            f"{_display(dest)}: a bank file of that name already exists; rename {src.name}"
        )
    try:
        text = src.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{_display(src)}: cannot read file ({exc})") from exc
    _, issues = _collect(_existing_paths(dest_dir, existing), extra=[(src, text)])
    _raise_first(issues)
    parsed, _ = _parse(src, text)
    if parsed is None or not (parsed.data.get("questions") or parsed.data.get("companies")):
        raise ConfigError(f"{_display(src)}: no questions or companies to import")
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = dest_dir / f".{src.name}.importing"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)
    return dest


def _question_yaml(question: Question, indent: int) -> str:
    item = question.model_dump(mode="python", exclude_none=True)
    for key in ("companies", "key_points", "topics"):
        if not item.get(key):
            item.pop(key, None)
    block = yaml.safe_dump(
        [item], sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in block.splitlines(True))


def _questions_block_end(text: str) -> tuple[int, int] | None:
    """(dash column, index just past the last line) of a block-style top-level ``questions:``.

    Found from the parser's events rather than the node tree, because aliases in the tree carry
    the marks of their anchors (earlier in the file) and block collections end at the next
    token (after any trailing comments, which belong to what follows).
    """
    try:
        events = list(yaml.parse(text, Loader=_Loader))
    except yaml.YAMLError:
        return None
    depth = 0
    is_key = False
    start = None
    for i, ev in enumerate(events):
        if isinstance(ev, yaml.CollectionStartEvent):
            if depth == 0 and not isinstance(ev, yaml.MappingStartEvent):
                return None
            depth += 1
            if depth == 1:
                is_key = True
        elif isinstance(ev, yaml.CollectionEndEvent):
            depth -= 1
            if depth == 1:
                is_key = not is_key
        elif isinstance(ev, yaml.ScalarEvent | yaml.AliasEvent) and depth == 1:
            if is_key and isinstance(ev, yaml.ScalarEvent) and ev.value == "questions":
                start = i + 1
                break
            is_key = not is_key
    if start is None or start >= len(events):
        return None
    first = events[start]
    if not isinstance(first, yaml.SequenceStartEvent) or first.flow_style:
        return None
    if first.start_mark is None:
        return None
    column = first.start_mark.column
    nested = 0
    end = _end_index(first)
    for ev in events[start:]:
        if isinstance(ev, yaml.CollectionStartEvent):
            nested += 1
        elif isinstance(ev, yaml.CollectionEndEvent):
            nested -= 1
            if nested == 0:
                break
            index = _end_index(ev)
            if index > 0 and text[index - 1] in "]}":
                end = max(end, index)
        elif isinstance(ev, yaml.ScalarEvent | yaml.AliasEvent):
            end = max(end, _end_index(ev))
    if end > 0 and text[end - 1] != "\n":
        newline = text.find("\n", end)
        end = len(text) if newline == -1 else newline + 1
    return column, end


def _load_yaml(text: str) -> Any:
    # The same loader as for validation, so that add_question accepts exactly what load_bank does.
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _end_index(event: yaml.Event) -> int:
    return event.end_mark.index if event.end_mark is not None else 0


def _with_question(text: str, question: Question) -> str:
    if not text.strip():
        return text + "questions:\n" + _question_yaml(question, 2)
    span = _questions_block_end(text)
    if span is not None:
        column, end = span
        head = text[:end] if text[:end].endswith("\n") else text[:end] + "\n"
        return head + _question_yaml(question, column) + text[end:]
    data = _load_yaml(text)
    if isinstance(data, dict) and "questions" not in data:
        # Appending a new top-level key keeps the rest of the file, comments included.
        sep = "" if text.endswith("\n") else "\n"
        return text + sep + "questions:\n" + _question_yaml(question, 2)
    # A flow-style or otherwise unusual ``questions:`` value: rewrite the file (comments are lost,
    # which beats guessing at an insertion point).
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        return text  # invalid as it stands; validation reports why
    item = _load_yaml(_question_yaml(question, 0))[0]
    data["questions"].append(item)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def add_question(
    question: Question, dest_file: Path, existing: Sequence[Path] | None = None
) -> None:
    """Append a question to a bank file (created if missing), keeping the file's comments.

    The question is revalidated and the whole resulting bank (``existing`` plus ``dest_file``;
    by default the shipped ``questionbank/``, not ``dest_file``'s folder, which may be any folder
    with unrelated YAML in it) is checked before anything is written, so a clashing id or unknown
    company leaves the file untouched. Raises ConfigError.
    """
    dest_file = Path(dest_file)
    if dest_file.suffix not in BANK_SUFFIXES:
        raise ConfigError(f"{_display(dest_file)}: bank files must end in .yaml or .yml")
    try:
        old = dest_file.read_text(encoding="utf-8") if dest_file.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{_display(dest_file)}: cannot read file ({exc})") from exc
    _, parse_issues = _parse(dest_file, old)
    _raise_first(parse_issues)
    new = _with_question(old, question)
    _, issues = _collect(_existing_paths(None, existing), extra=[(dest_file, new)])
    _raise_first(issues)
    _write_atomically(dest_file, new)
