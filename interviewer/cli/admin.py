"""``interviewer admin``: the screening mode's terminal side (accounts, retention, audit).

Whoever can run these has the database file, so they act as the operator (``cli`` in the
audit log) rather than as a logged-in user; every change is audited all the same.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from interviewer.cli.common import DbOpt, app_context, err, out
from interviewer.errors import ConfigError

admin_app = typer.Typer(help="Screening mode: create users, purge old data, read the audit log.")


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise ConfigError("--password-stdin: no password on standard input")
        return line
    if not sys.stdin.isatty():
        raise ConfigError("no terminal to ask for the password; pipe it with --password-stdin")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@admin_app.command("create-user")
def create_user(
    ctx: typer.Context,
    email: Annotated[str, typer.Option("--email", help="The user's login.")],
    name: Annotated[str, typer.Option("--name", help="The user's name.")],
    org: Annotated[str, typer.Option("--org", help="The organisation (created for an admin).")],
    role: Annotated[str, typer.Option("--role", help="admin | reviewer")] = "admin",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    db: DbOpt = None,
) -> None:
    """Create a user: the first admin of an organisation (which it creates), or another one."""
    from interviewer.screening import Screening

    if role not in ("admin", "reviewer"):
        raise ConfigError(f"--role: admin or reviewer, not {role!r}")
    password = _read_password(password_stdin)
    with app_context(ctx, db) as app:
        user = Screening(app.store, app.bank).operator_create_user(
            org,
            email,
            name,
            "admin" if role == "admin" else "reviewer",
            password,
        )
    out.print(
        f"created {user.role} {escape(user.email)} (id {user.id}, organisation {escape(org)})"
    )


@admin_app.command("purge")
def purge(ctx: typer.Context, db: DbOpt = None) -> None:
    """Delete recordings and transcripts older than their template's retention period."""
    from interviewer.screening import Screening

    with app_context(ctx, db) as app:
        report = Screening(app.store, app.bank).purge(actor="cli")
    if not report.sessions:
        out.print("nothing to purge")
        return
    for sid in report.sessions:
        out.print(f"purged session {sid}")
    out.print(
        f"{len(report.sessions)} interview(s): {report.turns} answers, {report.events} events, "
        f"{report.recordings} recording(s) deleted"
    )


@admin_app.command("audit")
def audit(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="Newest entries to show.")] = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    db: DbOpt = None,
) -> None:
    """The audit log (every organisation's), newest first."""
    from interviewer.screening import Screening

    with app_context(ctx, db) as app:
        entries = Screening(app.store, app.bank).all_audit(limit)
    if as_json:
        rows = [
            {"seq": e.seq, "ts": e.ts.isoformat(), "org_id": e.org_id, "actor": e.actor,
             "action": e.action, "target": e.target, "detail": e.detail}
            for e in entries
        ]  # fmt: skip
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title="audit log")
    for col in ("seq", "when (UTC)", "org", "actor", "action", "target", "detail"):
        table.add_column(col)
    for e in entries:
        table.add_row(
            str(e.seq), f"{e.ts:%Y-%m-%d %H:%M:%S}", e.org_id or "", e.actor, e.action,
            e.target, escape(json.dumps(e.detail, ensure_ascii=False)),
        )  # fmt: skip
    out.print(table)


@admin_app.command("delete-candidate")
def delete_candidate(
    ctx: typer.Context,
    invitation_id: Annotated[str, typer.Argument(help="The candidate's invitation id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    db: DbOpt = None,
) -> None:
    """Delete one candidate's data on request: recordings, transcript, scores, reviews."""
    from interviewer.screening import Screening

    if not yes and not typer.confirm(f"Delete all data of candidate {invitation_id}?"):
        err.print("nothing deleted")
        raise typer.Exit(1)
    with app_context(ctx, db) as app:
        inv = Screening(app.store, app.bank).operator_delete_candidate(invitation_id)
    out.print(f"deleted the data of candidate {inv.id} (session {inv.session_id or 'none'})")
