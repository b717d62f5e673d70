"""``interviewer models``: where each role's model comes from; verify and download them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from interviewer.cli.common import err, out, settings_of
from interviewer.config import ROLES
from interviewer.context import Engines
from interviewer.engines.verify import VERIFY_ORDER, VerifyResult, verify_role
from interviewer.errors import ConfigError, InterviewerError

models_app = typer.Typer(help="Show, verify and download models.", invoke_without_command=True)


def _short_path(path: Path) -> str:
    """Shorten a model path for the table: ``<site-packages>/...`` and ``~`` prefixes."""
    text = str(path)
    marker = "site-packages" + "/"
    if marker in text:
        return "<site-packages>/" + text.split(marker, 1)[1]
    home = str(Path.home())
    return "~" + text[len(home) :] if text.startswith(home + "/") else text


def _fmt_size(n: int) -> str:
    if n <= 0:
        return "-"
    if n >= 1 << 30:
        return f"{n / (1 << 30):.2f} GB"
    return f"{n / (1 << 20):.1f} MB"


@models_app.callback()
def models_main(
    ctx: typer.Context,
    verify: Annotated[
        bool, typer.Option("--verify", help="Load each model and run a tiny inference.")
    ] = False,
    role: Annotated[
        list[str] | None, typer.Option("--role", help="Only these roles (vad, stt, llm, tts).")
    ] = None,
) -> None:
    """Print where each role's model comes from; with --verify, load and run each one."""
    if ctx.invoked_subcommand is not None:
        return
    from interviewer.registry import resolve_all

    settings = settings_of(ctx)
    roles = role or list(ROLES)
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ConfigError(f"--role {unknown[0]}: unknown role; roles: {', '.join(ROLES)}")
    resolved = [m for m in resolve_all(settings) if m.role in roles]
    results: dict[str, VerifyResult] = {}
    if verify:
        shared: dict[str, Any] = {}
        engines = Engines(settings)
        for r in VERIFY_ORDER:
            model = next((m for m in resolved if m.role == r), None)
            if model is None:
                continue
            if not model.ok:
                results[r] = VerifyResult(False, f"{model.path}: {model.problem}")
                continue
            with err.status(f"loading {r} model {model.model_id} ..."):
                try:
                    results[r] = verify_role(r, engines, shared)
                except InterviewerError as exc:
                    results[r] = VerifyResult(False, str(exc))
    # the embedded LLM may have been assembled meanwhile
    resolved = [m for m in resolve_all(settings) if m.role in roles]
    table = Table(title="interviewer models")
    for col in ("role", "model id", "source", "path", "size", "status"):
        table.add_column(col, overflow="fold")
    if verify:
        table.add_column("load s", justify="right")
        table.add_column("infer s", justify="right")
    for m in resolved:
        if verify:
            res = results[m.role]
            detail = escape(res.detail)
            status = f"[green]ok[/] {detail}" if res.ok else f"[red]FAILED[/] {detail}"
            extra = [f"{res.load_s:.2f}", f"{res.infer_s:.2f}"] if res.ok else ["-", "-"]
        else:
            if m.source == "remote":
                status = "on the server (--verify asks it)"
            elif m.ok:
                status = "[green]ok[/]" if m.path.exists() else "ok (assembled on first use)"
            else:
                status = f"[red]{escape(m.problem)}[/]"
            extra = []
        where = (settings.llm_url or "") if m.source == "remote" else _short_path(m.path)
        row = [m.role, m.model_id, m.source, where, _fmt_size(m.size_bytes), status]
        table.add_row(*row, *extra)
    out.print(table)
    failed = [name for name, r in results.items() if not r.ok] or (
        [m.role for m in resolved if not m.ok] if not verify else []
    )
    if failed:
        first = results.get(failed[0])
        reason = (
            first.detail
            if first
            else next(f"{m.path}: {m.problem}" for m in resolved if m.role == failed[0])
        )
        raise InterviewerError(f"{failed[0]} model not usable: {reason}")


@models_app.command("download")
def models_download(
    names: Annotated[list[str] | None, typer.Argument(help="Manifest names to download.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List downloadable models.")] = False,
    dest: Annotated[Path | None, typer.Option(help="Folder to download into.")] = None,
    manifest: Annotated[Path | None, typer.Option(help="Manifest TOML file.")] = None,
) -> None:
    """Download models from models/manifest.toml (resumes, verifies sha256)."""
    from interviewer.download_cli import run

    code = run(names or [], list_=list_, dest=dest, manifest_path=manifest)
    if code:
        raise typer.Exit(code)
