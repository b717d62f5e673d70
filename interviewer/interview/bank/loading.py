"""Loading bank files, with every error as one ``file:line: field: message`` line.

To get the line, each file is composed into a YAML node tree (which keeps start marks) and a
pydantic error's ``loc`` path is walked down that tree. Checks that span files (unique ids,
known companies, declared roles) run after each file validates on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from interviewer.errors import ConfigError
from interviewer.interview.bank.schema import (
    BANK_SUFFIXES,
    DEFAULT_BANK_DIR,
    Bank,
    BankFile,
    Source,
    display_path,
    unknown_name,
)

__all__ = ["collect", "load_bank", "parse_file", "raise_first", "validate_bank_files"]


@dataclass(frozen=True)
class _Issue:
    path: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = display_path(self.path) + (f":{self.line}" if self.line is not None else "")
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class _Parsed:
    path: Path
    root: yaml.Node | None
    data: dict[str, Any]


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


def parse_file(path: Path, text: str | None = None) -> tuple[_Parsed | None, list[_Issue]]:
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
                            unknown_name("company", ref, company_ids),
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


def collect(
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
        result, found = parse_file(path, text)
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


def raise_first(issues: list[_Issue]) -> None:
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
    bank, issues = collect(_bank_paths(paths))
    raise_first(issues)
    assert bank is not None
    return bank


def validate_bank_files(paths: Sequence[Path] | None = None) -> list[str]:
    """Every problem in these bank files as ``file:line: field: message`` lines; [] if valid."""
    return [str(issue) for issue in collect(_bank_paths(paths))[1]]
