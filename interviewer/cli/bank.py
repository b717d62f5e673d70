"""``interviewer bank``: list, show, validate and extend the question bank."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from interviewer.cli.common import CompanyOpt, LevelOpt, RoleOpt, TypeOpt, app_context, err, out
from interviewer.context import AppContext
from interviewer.errors import ConfigError, InterviewerError

bank_app = typer.Typer(help="List, show, validate and extend the question bank.")


def _context(ctx: typer.Context) -> AppContext:
    return app_context(ctx)


@bank_app.command("list")
def bank_list(
    ctx: typer.Context,
    role: RoleOpt = None,
    level: LevelOpt = None,
    type_: TypeOpt = None,
    company: CompanyOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Questions in the bank, optionally filtered."""
    bank = _context(ctx).bank
    qs = bank.filter(role=role, level=level, type=type_, company=company)
    if as_json:
        sys.stdout.write(json.dumps([q.model_dump() for q in qs], indent=2) + "\n")
        return
    table = Table(title=f"{len(qs)} questions")
    for col in ("id", "type", "competency", "difficulty", "text"):
        table.add_column(col, overflow="fold")
    for q in qs:
        table.add_row(q.id, q.type, q.competency, str(q.difficulty), q.text)
    out.print(table)


@bank_app.command("show")
def bank_show(ctx: typer.Context, question_id: str) -> None:
    """One question with its rubric, key points and follow-up probes."""
    import yaml

    q = _context(ctx).bank.get(question_id)
    out.print(escape(yaml.safe_dump(q.model_dump(), sort_keys=False, allow_unicode=True)))


@bank_app.command("validate")
def bank_validate(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: the bank).")
    ] = None,
) -> None:
    """Check bank files; every problem is printed as file:line: field: message."""
    from interviewer.interview.bank import DEFAULT_BANK_DIR, validate_bank_files

    paths = [DEFAULT_BANK_DIR, *files] if files else _context(ctx).bank_dirs
    problems = validate_bank_files(paths)
    for line in problems:
        err.print(escape(line), highlight=False)
    if problems:
        raise InterviewerError(f"{len(problems)} problem(s) in the question bank")
    out.print("question bank OK")


@bank_app.command("import")
def bank_import(ctx: typer.Context, file: Path) -> None:
    """Validate a YAML bank file and add it to your question bank."""
    from interviewer.interview.bank import import_bank_file

    dest = _context(ctx).user_bank_dir
    dest.mkdir(parents=True, exist_ok=True)
    path = import_bank_file(file, dest)
    out.print(f"imported {file} -> {path}")


@bank_app.command("add")
def bank_add(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A YAML file holding one question mapping.")],
) -> None:
    """Add one question (YAML mapping) to your own bank file, after validation."""
    import yaml

    from interviewer.interview.bank import Question, add_question

    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{file}: cannot read a YAML question ({exc})") from exc
    if isinstance(data, dict) and "questions" in data:
        raise ConfigError(f"{file}: holds a bank file; use `interviewer bank import {file}`")
    try:
        question = Question.model_validate(data)
    except Exception as exc:
        raise ConfigError(
            f"{file}: {str(exc).splitlines()[0]}; see `interviewer bank validate`"
        ) from exc
    dest = _context(ctx).user_bank_dir / "my_questions.yaml"
    dest.parent.mkdir(parents=True, exist_ok=True)
    add_question(question, dest)
    out.print(f"added {question.id} to {dest}")
