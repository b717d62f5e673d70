"""Editing bank files: ``interviewer bank add`` (append a question) and ``bank import``.

A user's bank file is hand-written, so an edit must keep it recognisably theirs: comments,
anchors and aliases, quoting and indentation survive. ``add_question`` edits through
ruamel.yaml's round-trip loader and dumper rather than by splicing text; the whole resulting
bank is validated with the same loader as :func:`~interviewer.interview.bank.load_bank` before
anything is written, and the write is atomic.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedBase, CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.util import load_yaml_guess_indent

from interviewer.errors import ConfigError
from interviewer.interview.bank.loading import collect, parse_file, raise_first
from interviewer.interview.bank.schema import (
    BANK_SUFFIXES,
    DEFAULT_BANK_DIR,
    Question,
    display_path,
)

__all__ = ["add_question", "import_bank_file"]

#: Line width for a new question's text, the shipped bank's line length.
WIDTH = 100
#: The round trip must not re-wrap what the user wrote: plain scalars are re-emitted, and a
#: narrower width would fold their long lines.
_KEEP_LINES = 1 << 16


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
        raise ConfigError(f"{display_path(src)}: bank files must end in .yaml or .yml")
    if not src.is_file():
        raise ConfigError(f"{display_path(src)}: no such file")
    dest = dest_dir / src.name
    if dest.exists():
        raise ConfigError(
            f"{display_path(dest)}: a bank file of that name already exists; rename {src.name}"
        )
    try:
        text = src.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display_path(src)}: cannot read file ({exc})") from exc
    _, issues = collect(_existing_paths(dest_dir, existing), extra=[(src, text)])
    raise_first(issues)
    parsed, _ = parse_file(src, text)
    if parsed is None or not (parsed.data.get("questions") or parsed.data.get("companies")):
        raise ConfigError(f"{display_path(src)}: no questions or companies to import")
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = dest_dir / f".{src.name}.importing"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)
    return dest


def _question_yaml(question: Question, indent: int) -> str:
    item = question.model_dump(mode="python", exclude_none=True)
    for key in ("companies", "key_points", "topics", "red_flags"):
        if not item.get(key):
            item.pop(key, None)
    block = yaml.safe_dump(
        [item], sort_keys=False, allow_unicode=True, width=WIDTH, default_flow_style=False
    )
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in block.splitlines(True))


def _round_trip(sequence: int = 2, offset: int = 0) -> YAML:
    """A round-trip YAML (comments, anchors, key order and quoting kept) in the file's indent.

    ``sequence`` and ``offset`` are ruamel's: ``questions:\n  - id:`` is sequence 4, offset 2;
    mappings are indented by what is left after the dash.
    """
    rt = YAML()
    rt.preserve_quotes = True
    rt.width = _KEEP_LINES
    mapping = sequence - offset if sequence > offset else sequence
    rt.indent(mapping=mapping, sequence=sequence, offset=offset)
    return rt


def _last_comment_slot(node: Any) -> tuple[CommentedBase, Any, int] | None:
    """Where ruamel keeps the comment that follows a collection: on its deepest last element.

    Returns (container, key, index into ``container.ca.items[key]``), or None for an empty or
    scalar node.
    """
    while isinstance(node, CommentedMap | CommentedSeq) and len(node):
        key: Any = next(reversed(node)) if isinstance(node, CommentedMap) else len(node) - 1
        child = node[key]
        if isinstance(child, CommentedMap | CommentedSeq) and len(child):
            node = child
            continue
        return node, key, 2 if isinstance(node, CommentedMap) else 0
    return None


def _move_trailing_comment(old: Any, new: Any) -> None:
    """Hand the comment lines after ``old`` over to ``new``, which is appended after it.

    ruamel attaches the comments and blank lines between the last list item and the next key
    ("# about companies") to that last item, so without this the new item would land after
    them, separated from its list. The end-of-line comment of the old item's last line stays.
    """
    src, dst = _last_comment_slot(old), _last_comment_slot(new)
    if src is None or dst is None:
        return
    holder, key, index = src
    slots = holder.ca.items.get(key)
    token = slots[index] if slots and len(slots) > index else None
    if token is None:
        return
    value = getattr(token, "value", None)
    if not isinstance(value, str) or "\n" not in value:
        return
    own_line, rest = value.split("\n", 1)
    if not rest:
        return
    token.value = own_line + "\n"
    moved = type(token)("\n" + rest, token.start_mark, token.end_mark)
    new_holder, new_key, new_index = dst
    new_slots = new_holder.ca.items.setdefault(new_key, [None, None, None, None])
    new_slots[new_index] = moved


def _with_question(text: str, question: Question) -> str:
    if not text.strip():
        return text + "questions:\n" + _question_yaml(question, 2)
    try:
        _, sequence, offset = load_yaml_guess_indent(text)
        rt = _round_trip(sequence or 2, offset or 0)
        data = rt.load(text)
    except RuamelError:
        return text  # invalid as it stands; validation reports why
    if data is None:
        # Only comments so far: they stay on top of the new list.
        sep = "" if text.endswith("\n") else "\n"
        return text + sep + "questions:\n" + _question_yaml(question, 2)
    if not isinstance(data, CommentedMap):
        return text
    item = rt.load(_question_yaml(question, 0))[0]
    questions = data.get("questions")
    if questions is None:
        data["questions"] = CommentedSeq([item])
    elif isinstance(questions, CommentedSeq):
        if questions.fa.flow_style():
            # A new question in a one-line ``[...]`` list would be unreadable: go block style.
            questions.fa.set_block_style()
        elif len(questions):
            _move_trailing_comment(questions[-1], item)
        questions.append(item)
    else:
        return text
    out = io.StringIO()
    rt.dump(data, out)
    return out.getvalue()


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
        raise ConfigError(f"{display_path(dest_file)}: bank files must end in .yaml or .yml")
    try:
        old = dest_file.read_text(encoding="utf-8") if dest_file.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display_path(dest_file)}: cannot read file ({exc})") from exc
    _, parse_issues = parse_file(dest_file, old)
    raise_first(parse_issues)
    new = _with_question(old, question)
    _, issues = collect(_existing_paths(None, existing), extra=[(dest_file, new)])
    raise_first(issues)
    _write_atomically(dest_file, new)
