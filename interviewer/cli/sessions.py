"""``interviewer sessions``: stored interviews (list, show, export, delete)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from interviewer.cli.common import DbOpt, err, open_store, out
from interviewer.errors import ConfigError

sessions_app = typer.Typer(help="Stored interviews: list, show, export, delete.")


@sessions_app.command("list")
def sessions_list(
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Stored interviews, newest first."""
    store = open_store(db)
    try:
        if as_json:
            rows = [
                {"id": s_.id, "created_at": s_.created_at.isoformat(), "mode": s_.mode,
                 "status": s_.status, "spec": s_.spec, "turns": s_.turn_count}
                for s_ in store.list_sessions(limit=limit)
            ]  # fmt: skip
            sys.stdout.write(json.dumps(rows, indent=2) + "\n")
            return
        table = Table(title="sessions")
        for col in ("id", "created", "mode", "status", "role", "level", "turns"):
            table.add_column(col)
        for s_ in store.list_sessions(limit=limit):
            table.add_row(
                s_.id,
                s_.created_at.strftime("%Y-%m-%d %H:%M"),
                s_.mode,
                s_.status,
                str(s_.spec.get("role", "")),
                str(s_.spec.get("level", "")),
                str(s_.turn_count),
            )
        out.print(table)
    finally:
        store.close()


@sessions_app.command("show")
def sessions_show(session_id: str, db: DbOpt = None) -> None:
    """One interview: its spec and every turn."""
    store = open_store(db)
    try:
        s_ = store.get_session(session_id)
        out.print(f"[bold]{s_.id}[/]  {s_.mode}  {s_.status}  {s_.created_at:%Y-%m-%d %H:%M}")
        out.print(f"spec: {escape(json.dumps(s_.spec))}")
        for t in s_.turns:
            tag = "follow-up" if t.is_follow_up else "question"
            out.print(f"[cyan]{t.idx:>2} {tag}[/] {escape(t.question_text)}")
            out.print(f"   [green]answer[/] {escape(t.answer_text) or '[dim](no answer)[/]'}")
    finally:
        store.close()


@sessions_app.command("export")
def sessions_export(
    session_id: str,
    fmt: Annotated[str, typer.Option("--format", help="json | csv")] = "json",
    output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
    db: DbOpt = None,
) -> None:
    """Export one interview as JSON or CSV (stdout, or -o FILE)."""
    if fmt not in ("json", "csv"):
        raise ConfigError(f"--format {fmt}: use json or csv")
    store = open_store(db)
    try:
        data = store.export_session(session_id, "json" if fmt == "json" else "csv")
    finally:
        store.close()
    if output is None:
        sys.stdout.write(data if data.endswith("\n") else data + "\n")
    else:
        output.write_text(data, encoding="utf-8")
        err.print(f"wrote {output}")


@sessions_app.command("delete")
def sessions_delete(
    session_id: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    db: DbOpt = None,
) -> None:
    """Delete one interview with its turns and events."""
    store = open_store(db)
    try:
        full = store.resolve_id(session_id)
        if not yes and not typer.confirm(f"delete session {full}?"):
            raise typer.Exit(1)
        store.delete_session(full)
        err.print(f"deleted {full}")
    finally:
        store.close()
