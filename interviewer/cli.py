"""The ``interviewer`` command. The only place that turns errors into messages and exit codes."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from interviewer import __version__
from interviewer.config import ROLES, Settings, load_settings
from interviewer.errors import ConfigError, InterviewerError

app = typer.Typer(
    name="interviewer",
    help="A fully local, offline voice interviewer.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
models_app = typer.Typer(help="Show, verify and download models.", invoke_without_command=True)
app.add_typer(models_app, name="models")

# Rich assumes 80 columns when output is piped; tables of paths read better wider in logs.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


@dataclass
class State:
    settings: Settings


def _settings(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    state = root.obj
    if isinstance(state, State):
        return state.settings
    return load_settings()


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
    llm: Annotated[
        str | None, typer.Option(help="LLM model: auto, embedded, a name or a path.")
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
        load_settings(config, device=device, vad=vad, stt=stt, llm=llm, tts=tts, threads=threads)
    )


# ---------------------------------------------------------------------------- models


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


@dataclass
class VerifyResult:
    ok: bool
    detail: str
    load_s: float = 0.0
    infer_s: float = 0.0


def _verify_role(role: str, settings: Settings, shared: dict[str, Any]) -> VerifyResult:
    from interviewer import engines

    t0 = time.perf_counter()
    if role == "vad":
        vad = engines.load_vad(settings)
        t1 = time.perf_counter()
        frame = np.zeros(vad.frame_samples, dtype=np.float32)
        prob = vad.speech_prob(frame)
        if not 0.0 <= prob <= 1.0:
            return VerifyResult(False, f"speech probability {prob} outside [0, 1]")
        return VerifyResult(
            True, f"silence -> p(speech)={prob:.3f}", t1 - t0, time.perf_counter() - t1
        )
    if role == "tts":
        tts = engines.load_tts(settings)
        t1 = time.perf_counter()
        chunks = list(tts.synthesize("Tell me about a project you are proud of."))
        audio = np.concatenate([c.audio for c in chunks]) if chunks else np.zeros(0, np.float32)
        if len(audio) < tts.sample_rate // 4:
            return VerifyResult(False, "synthesized less than 0.25 s of audio")
        from interviewer.audio.io import resample

        shared["tts_audio"] = resample(audio, tts.sample_rate)
        return VerifyResult(
            True,
            f"{len(audio) / tts.sample_rate:.2f} s of speech",
            t1 - t0,
            time.perf_counter() - t1,
        )
    if role == "stt":
        stt = engines.load_stt(settings)
        t1 = time.perf_counter()
        heard = shared.get("tts_audio")
        audio = np.zeros(16_000, dtype=np.float32) if heard is None else heard
        text = stt.transcribe(audio).text
        detail = f"heard: {text!r}" if text else "ran on 1 s of silence"
        return VerifyResult(True, detail, t1 - t0, time.perf_counter() - t1)
    llm = engines.load_llm(settings)
    t1 = time.perf_counter()
    text = "".join(llm.stream("The interview began with a question about", max_tokens=8))
    if not text.strip():
        return VerifyResult(False, "generated no text")
    sample = " ".join(text.split())[:40]
    return VerifyResult(True, f"generated: {sample!r}", t1 - t0, time.perf_counter() - t1)


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

    settings = _settings(ctx)
    roles = role or list(ROLES)
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ConfigError(f"--role {unknown[0]}: unknown role; roles: {', '.join(ROLES)}")
    resolved = [m for m in resolve_all(settings) if m.role in roles]
    results: dict[str, VerifyResult] = {}
    if verify:
        shared: dict[str, Any] = {}
        # TTS before STT, so STT is checked on real speech (a round trip) rather than silence.
        for r in ("vad", "tts", "stt", "llm"):
            model = next((m for m in resolved if m.role == r), None)
            if model is None:
                continue
            if not model.ok:
                results[r] = VerifyResult(False, f"{model.path}: {model.problem}")
                continue
            with err.status(f"loading {r} model {model.model_id} ..."):
                try:
                    results[r] = _verify_role(r, settings, shared)
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
            if m.ok:
                status = "[green]ok[/]" if m.path.exists() else "ok (assembled on first use)"
            else:
                status = f"[red]{escape(m.problem)}[/]"
            extra = []
        row = [m.role, m.model_id, m.source, _short_path(m.path), _fmt_size(m.size_bytes), status]
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
    from interviewer import download

    argv: list[str] = list(names or [])
    if list_:
        argv.append("--list")
    if dest is not None:
        argv += ["--dest", str(dest)]
    if manifest is not None:
        argv += ["--manifest", str(manifest)]
    code = download.main(argv)
    if code:
        raise typer.Exit(code)


# ---------------------------------------------------------------------------- engines for users


@app.command()
def transcribe(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Audio file: wav, flac, mp3 or ogg.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print text, segments and words as JSON.")
    ] = False,
    beam_size: Annotated[int, typer.Option("--beam-size", min=1, max=10)] = 1,
) -> None:
    """Transcribe an audio file with the configured STT model."""
    from interviewer import engines
    from interviewer.audio.io import load_audio

    audio = load_audio(file)  # before loading the model, so a bad file fails fast
    stt = engines.load_stt(_settings(ctx))
    result = stt.transcribe(audio, word_timestamps=as_json, beam_size=beam_size)
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(result.text + "\n")


@app.command()
def say(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What to say.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="WAV file to write.")],
    speed: Annotated[float, typer.Option(min=0.25, max=4.0, help="Speaking rate.")] = 1.0,
) -> None:
    """Synthesize TEXT with the configured voice into a WAV file."""
    from interviewer import engines
    from interviewer.audio.io import write_wav
    from interviewer.errors import AudioFileError

    if not text.strip():
        raise AudioFileError("nothing to say: TEXT is empty")
    if output.suffix.lower() != ".wav":
        raise AudioFileError(f"{output}: the output must be a .wav file")
    tts = engines.load_tts(_settings(ctx), speed=speed)
    chunks = list(tts.synthesize(text))
    pause = np.zeros(int(0.15 * tts.sample_rate), dtype=np.float32)
    audio = np.concatenate([p for c in chunks for p in (c.audio, pause)])
    try:
        write_wav(output, audio, tts.sample_rate)
    except OSError as exc:
        raise AudioFileError(f"{output}: cannot write ({exc.strerror})") from exc
    err.print(f"wrote {output} ({len(audio) / tts.sample_rate:.2f} s, {len(chunks)} sentence(s))")


def main() -> None:
    """Console-script entry point: typed errors become one line on stderr and exit code 2."""
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
