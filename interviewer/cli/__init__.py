"""The ``interviewer`` command. The only place that turns errors into messages and exit codes.

One module per command group; :mod:`interviewer.cli.common` holds what they share. Nothing
outside this package imports it (``python -m interviewer`` aside): the web app, the demo and
the bench take an :class:`~interviewer.context.AppContext` instead.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from interviewer import __version__
from interviewer.cli.admin import admin_app
from interviewer.cli.audio import devices, say, transcribe
from interviewer.cli.bank import bank_app
from interviewer.cli.bench import bench_app
from interviewer.cli.common import State, err, out
from interviewer.cli.interview import demo, practice, resume
from interviewer.cli.models import models_app
from interviewer.cli.scoring import progress, report, score
from interviewer.cli.serve import serve
from interviewer.cli.sessions import sessions_app
from interviewer.config import ROLES, load_settings
from interviewer.errors import InterviewerError

app = typer.Typer(
    name="interviewer",
    help="A fully local, offline voice interviewer.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        out.print(f"interviewer {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    device: Annotated[str | None, typer.Option(help="auto | cpu | cuda")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML config file.")] = None,
    vad: Annotated[
        str | None, typer.Option(help="VAD model: auto, embedded, a name or a path.")
    ] = None,
    stt: Annotated[
        str | None, typer.Option(help="STT model: auto, embedded, a name or a path.")
    ] = None,
    stt_final: Annotated[
        str | None,
        typer.Option(
            "--stt-final",
            help="STT model of the stored answer only (a larger Whisper): a name or a path.",
        ),
    ] = None,
    llm: Annotated[
        str | None, typer.Option(help="LLM model: auto, embedded, a name or a path.")
    ] = None,
    llm_url: Annotated[
        str | None,
        typer.Option(
            "--llm-url",
            help="An OpenAI-compatible server (llama.cpp, Ollama, vLLM) instead of a local "
            "GGUF; --llm then names its model.",
        ),
    ] = None,
    tts: Annotated[
        str | None, typer.Option(help="TTS voice: auto, embedded, a name or a path.")
    ] = None,
    threads: Annotated[int | None, typer.Option(help="CPU threads per engine (0: all).")] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """A fully local, offline voice interviewer."""
    ctx.obj = State(
        load_settings(
            config,
            device=device,
            vad=vad,
            stt=stt,
            stt_final=stt_final,
            llm=llm,
            llm_url=llm_url,
            tts=tts,
            threads=threads,
        )
    )


# Registered in the order `interviewer --help` lists them.
app.add_typer(models_app, name="models")
app.command()(transcribe)
app.command()(say)
app.add_typer(bank_app, name="bank")
app.add_typer(sessions_app, name="sessions")
app.command()(demo)
app.command()(practice)
app.command()(devices)
app.command()(resume)
app.command()(score)
app.command()(report)
app.command()(progress)
app.add_typer(bench_app, name="bench")
app.command("serve")(serve)
app.add_typer(admin_app, name="admin")


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point: typed errors become one line on stderr and exit code 2."""
    # A service manager or CI stops us with SIGTERM: treat it like Ctrl-C, so the interview in
    # progress is saved (recording, transcript, answered turns) before exiting.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except InterviewerError as exc:
        # markup off: messages quote paths and config keys such as "[models]"
        err.print(Text("error: ", style="red") + Text(str(exc)), highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


__all__ = ["ROLES", "app", "main"]
