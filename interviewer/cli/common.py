"""What every command shares: the consoles, the settings and context of this invocation, the
common options, and writing files. Typed errors become messages in ``interviewer.cli.main``."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from interviewer.config import Settings, load_settings
from interviewer.context import AppContext
from interviewer.errors import ConfigError

if TYPE_CHECKING:
    from interviewer.store import Store

# Rich assumes 80 columns when output is piped; tables of paths read better wider in logs.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

RoleOpt = Annotated[
    str | None, typer.Option("--role", help="A role or a position: 'Senior Data Scientist'.")
]
CompanyOpt = Annotated[str | None, typer.Option("--company", help="A company profile id or name.")]
LevelOpt = Annotated[str | None, typer.Option("--level", help="intern|junior|mid|senior|staff")]
TypeOpt = Annotated[str | None, typer.Option("--type", help="behavioral|technical|mixed")]
DbOpt = Annotated[Path | None, typer.Option("--db", help="DuckDB file (default: user data dir).")]


@dataclass
class State:
    """What the root callback parsed: the settings from config, environment and flags."""

    settings: Settings


def settings_of(ctx: typer.Context) -> Settings:
    state = ctx.find_root().obj
    if isinstance(state, State):
        return state.settings
    return load_settings()


def app_context(ctx: typer.Context | None, db: Path | None = None) -> AppContext:
    """This command's application context; the caller closes it (``with``)."""
    settings = settings_of(ctx) if ctx is not None else load_settings()
    return AppContext.from_settings(settings, db=db)


def open_store(db: Path | None) -> Store:
    from interviewer.store import Store

    return Store.open(db)


def write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write ({exc.strerror or exc})") from exc


def print_markdown(text: str) -> None:
    if sys.stdout.isatty():
        from rich.markdown import Markdown

        out.print(Markdown(text))
    else:
        sys.stdout.write(text + "\n")
