"""The ``interviewer`` command. The only place that turns errors into messages and exit codes."""

from __future__ import annotations

import json
import signal
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


# ---------------------------------------------------------------------------- interviews

bank_app = typer.Typer(help="List, show, validate and extend the question bank.")
sessions_app = typer.Typer(help="Stored interviews: list, show, export, delete.")
app.add_typer(bank_app, name="bank")
app.add_typer(sessions_app, name="sessions")

RoleOpt = Annotated[
    str | None, typer.Option("--role", help="e.g. data_scientist, software_engineer.")
]
CompanyOpt = Annotated[str | None, typer.Option("--company", help="A company profile id or name.")]
LevelOpt = Annotated[str | None, typer.Option("--level", help="intern|junior|mid|senior|staff")]
TypeOpt = Annotated[str | None, typer.Option("--type", help="behavioral|technical|mixed")]
DbOpt = Annotated[Path | None, typer.Option("--db", help="DuckDB file (default: user data dir).")]


def _user_bank_dir() -> Path:
    from interviewer.config import user_data_dir

    return user_data_dir() / "questionbank"


def _bank_paths() -> list[Path]:
    from interviewer.interview.bank import DEFAULT_BANK_DIR

    user = _user_bank_dir()
    return [DEFAULT_BANK_DIR, user] if user.is_dir() else [DEFAULT_BANK_DIR]


def _open_store(db: Path | None):  # type: ignore[no-untyped-def]
    from interviewer.store import Store

    return Store.open(db)


def _spec_flags(
    role: str | None,
    company: str | None,
    level: str | None,
    type_: str | None,
    questions: int | None,
    minutes: float | None,
    follow_ups: int | None,
    seed: int | None,
    notes: str | None = None,
    resume: Path | None = None,
    jd: Path | None = None,
) -> dict[str, Any]:
    return {
        "role": role,
        "company": company,
        "level": level,
        "type": type_,
        "questions": questions,
        "minutes": minutes,
        "max_follow_ups": follow_ups,
        "seed": seed,
        "notes": notes,
        "resume_file": str(resume) if resume else None,
        "job_description_file": str(jd) if jd else None,
    }


def _live_printer() -> Any:
    """Print the conversation as it happens; partial text overwrites itself on a terminal."""
    tty = sys.stdout.isatty()
    state = {"partial": False}

    def on_event(kind: str, data: dict[str, Any]) -> None:
        if kind == "partial":
            if tty:
                sys.stdout.write("\r\033[2K  candidate … " + data["text"][-100:])
                sys.stdout.flush()
                state["partial"] = True
            return
        if state["partial"]:
            sys.stdout.write("\r\033[2K")
            state["partial"] = False
        if kind == "interviewer":
            out.print(f"[bold cyan]interviewer[/]  {escape(data['text'])}")
        elif kind == "candidate":
            out.print(
                f"[bold green]candidate[/]    {escape(data['text']) or '[dim](nothing heard)[/]'}"
            )
        elif kind == "candidate_revised":
            out.print(f"[dim]  (the whole answer, heard again: {escape(data['text'])})[/]")
        elif kind == "barge_in":
            out.print("[yellow]  (candidate interrupted; playback stopped)[/]")
        elif kind == "timeout":
            out.print("[dim]  (no answer)[/]")

    return on_event


def _print_latency(transcript: dict[str, Any]) -> None:
    from interviewer.demo import latency_rows

    table = Table(title="latency per stage (ms, over the answer -> reply exchanges)")
    for col in ("stage", "p50", "p95"):
        table.add_column(col, justify="right" if col != "stage" else "left")
    for row in latency_rows(transcript):
        table.add_row(*row)
    out.print(table)


@app.command()
def demo(
    ctx: typer.Context,
    questions: Annotated[int, typer.Option("--questions", min=1, max=20)] = 3,
    script: Annotated[
        Path | None, typer.Option("--script", help="Candidate script (YAML).")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/demo"),
    role: RoleOpt = "data_scientist",
    company: CompanyOpt = None,
    level: LevelOpt = "mid",
    # behavioral by default: the built-in candidate tells STAR stories (see --script)
    type_: TypeOpt = "behavioral",
    follow_ups: Annotated[int, typer.Option("--follow-ups", min=0, max=3)] = 1,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", help="Repeat a run: the same questions and the same candidate audio."
        ),
    ] = None,
    barge_in: Annotated[bool, typer.Option("--barge-in/--no-barge-in")] = False,
    score: Annotated[
        bool,
        typer.Option("--score/--no-score", help="Score answers during the interview."),
    ] = True,
    db: DbOpt = None,
) -> None:
    """A complete simulated interview on the real engines: no microphone needed."""
    from interviewer.demo import load_engines, run_demo, script_from
    from interviewer.interview.bank import load_bank
    from interviewer.pipeline.runner import RunnerConfig
    from interviewer.session import build_spec, model_ids, new_interview

    settings = _settings(ctx)
    cand_script = script_from(script)  # validate before loading anything
    bank = load_bank(_bank_paths())
    spec = build_spec(
        bank, None, _spec_flags(role, company, level, type_, questions, None, follow_ups, seed)
    )
    store = _open_store(db)
    try:
        eng = load_engines(
            settings, progress=lambda m: err.print(f"[dim]{m}[/]"), script=cand_script, seed=seed
        )
        interview = new_interview(
            store=store,
            spec=spec,
            llm=eng.llm,
            models=model_ids(eng),
            mode="demo",
            bank=bank,
            instruction_tuned=_instruction_tuned(settings),
            score=score,
        )
        err.print(
            f"[dim]session {interview.session_id}: {spec.questions or questions} questions, "
            f"models loaded in {sum(eng.load_seconds.values()):.1f} s[/]"
        )
        result = None
        try:
            result = run_demo(
                brain=interview.machine,
                eng=eng,
                script=cand_script,
                out_dir=out_dir,
                config=RunnerConfig(barge_in=barge_in),
                on_event=_live_printer(),
                on_exchange=interview.record_exchange,
            )
        finally:
            interrupted = result is None or result.runner.interrupted
            summary = result.transcript["latency"]["summary"] if result else None
            interview.finish(interrupted=interrupted, summary=summary)
        _print_latency(result.transcript)
        # Scoring ran during the interview (finish() waited for the last answer's score), so
        # the report is a read of the store, not a scoring pass.
        from interviewer.report import build_report, render_html

        t = time.perf_counter()
        doc = build_report(store, interview.session_id, bank=bank)
        _write_text(out_dir / "report.html", render_html(doc))
        err.print(
            f"[dim]report ready {time.perf_counter() - t:.2f} s after the interview; "
            f"overall {doc.overall if doc.overall is not None else '–'} / 5 "
            f"({doc.recommendation})[/]"
        )
        out.print(
            f"wrote {out_dir / 'conversation.wav'}, {out_dir / 'transcript.json'} and "
            f"{out_dir / 'report.html'}; session {interview.session_id} "
            f"({'interrupted' if result.runner.interrupted else 'finished'})"
        )
        if result.runner.interrupted:
            raise typer.Exit(130)
    finally:
        store.close()


@app.command()
def practice(
    ctx: typer.Context,
    role: RoleOpt = None,
    company: CompanyOpt = None,
    level: LevelOpt = None,
    type_: TypeOpt = None,
    questions: Annotated[int | None, typer.Option("--questions", min=1, max=20)] = None,
    minutes: Annotated[float | None, typer.Option("--minutes")] = None,
    follow_ups: Annotated[int | None, typer.Option("--follow-ups", min=0, max=3)] = None,
    spec_file: Annotated[Path | None, typer.Option("--spec", help="Interview spec (TOML).")] = None,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    resume_file: Annotated[
        Path | None, typer.Option("--resume", help="Your résumé (.txt/.md/.pdf).")
    ] = None,
    jd: Annotated[
        Path | None, typer.Option("--jd", help="Job description (.txt/.md/.pdf).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    text: Annotated[bool, typer.Option("--text", help="Printed questions, typed answers.")] = False,
    input_device: Annotated[str | None, typer.Option("--input-device")] = None,
    output_device: Annotated[str | None, typer.Option("--output-device")] = None,
    barge_in: Annotated[bool, typer.Option("--barge-in/--no-barge-in")] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Also write the recording here.")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Practise with your microphone and speakers (or --text to type)."""
    from interviewer.interview.bank import load_bank
    from interviewer.session import build_spec

    settings = _settings(ctx)
    bank = load_bank(_bank_paths())
    flags = _spec_flags(
        role, company, level, type_, questions, minutes, follow_ups, seed, notes, resume_file, jd
    )
    if spec_file is None and flags["role"] is None:
        if sys.stdin.isatty():
            flags["role"] = typer.prompt("Role", default="data_scientist")
            flags["level"] = flags["level"] or typer.prompt("Level", default="mid")
        else:
            raise ConfigError("--role is required (or --spec FILE)")
    spec = build_spec(bank, spec_file, flags)
    store = _open_store(db)
    try:
        if text:
            _practice_text(settings, spec, bank, store)
        else:
            _practice_voice(
                settings, spec, bank, store, input_device, output_device, barge_in, out_dir
            )
    finally:
        store.close()


def _practice_text(settings: Settings, spec: Any, bank: Any, store: Any) -> None:
    from interviewer import engines
    from interviewer.session import new_interview

    llm = engines.load_llm(settings)
    interview = new_interview(
        store=store,
        spec=spec,
        llm=llm,
        models={"llm": llm.model_id},
        mode="text",
        bank=bank,
        instruction_tuned=_instruction_tuned(settings),
    )
    _text_loop(interview)
    out.print(
        f"session {interview.session_id} saved; `interviewer sessions show {interview.session_id}`"
    )


def _text_loop(interview: Any) -> None:
    """Printed questions, typed answers; each answer is stored as soon as it is typed."""
    from interviewer.interview.base import Answer
    from interviewer.text import join_pieces

    machine = interview.machine
    reply = machine.start()
    interrupted = False
    try:
        while True:
            said = join_pieces(reply.pieces)
            out.print(f"[bold cyan]interviewer[/]  {escape(said)}")
            if reply.finished or machine.finished:
                break
            answer = typer.prompt("you", default="", show_default=False)
            record = {
                "question": said,
                "question_id": reply.question_id,
                "is_follow_up": reply.is_follow_up,
                "kind": reply.kind,
                "answer": answer,
            }
            # stored once the machine has taken it in, as the voice pipeline does: the scorer
            # tells an answer from a command by what the machine made of it
            reply = machine.on_answer(Answer(answer, timed_out=not answer.strip()))
            interview.record_exchange(record)
    except (KeyboardInterrupt, EOFError, typer.Abort):
        interrupted = True
    finally:
        interview.finish(interrupted=interrupted)


def _practice_voice(
    settings: Settings,
    spec: Any,
    bank: Any,
    store: Any,
    input_device: str | None,
    output_device: str | None,
    barge_in: bool,
    out_dir: Path | None,
) -> None:
    from interviewer.audio.duplex import SoundDeviceDuplex, import_sounddevice
    from interviewer.audio.recorder import StereoRecorder
    from interviewer.demo import load_engines
    from interviewer.pipeline.runner import InterviewRunner, RunnerConfig
    from interviewer.session import model_ids, new_interview

    import_sounddevice()  # a missing PortAudio fails here, before minutes of model loading
    eng = load_engines(settings, progress=lambda m: err.print(f"[dim]{m}[/]"))
    interview = new_interview(
        store=store,
        spec=spec,
        llm=eng.llm,
        models=model_ids(eng),
        mode="practice",
        bank=bank,
        instruction_tuned=_instruction_tuned(settings),
    )
    recorder = StereoRecorder(out_dir / "conversation.wav", 16_000) if out_dir else None
    duplex = SoundDeviceDuplex(_device(input_device), _device(output_device), recorder)
    runner = InterviewRunner(
        brain=interview.machine,
        vad=eng.vad,
        stt=eng.stt,
        tts=eng.tts,
        duplex=duplex,
        config=RunnerConfig(barge_in=barge_in),
        on_event=_live_printer(),
        on_exchange=interview.record_exchange,
    )
    try:
        runner.run()
    finally:
        if recorder is not None:
            recorder.close()
        interview.finish(
            interrupted=runner.interrupted, summary=runner.transcript()["latency"]["summary"]
        )
        if out_dir is not None:
            (out_dir / "transcript.json").write_text(json.dumps(runner.transcript(), indent=2))
    _print_latency(runner.transcript())


def _device(value: str | None) -> int | str | None:
    if value is None:
        return None
    return int(value) if value.isdigit() else value


@app.command()
def devices() -> None:
    """List audio input and output devices (for --input-device / --output-device)."""
    from interviewer.audio.duplex import list_devices

    table = Table(title="audio devices")
    for col in ("index", "name", "inputs", "outputs", "default rate"):
        table.add_column(col)
    for d in list_devices():
        table.add_row(
            str(d["index"]),
            str(d["name"]),
            str(d["inputs"]),
            str(d["outputs"]),
            f"{float(str(d['default_rate'])):.0f}",
        )
    out.print(table)


@app.command()
def resume(
    ctx: typer.Context,
    session_id: Annotated[str, typer.Argument(help="Session id (or a unique prefix).")],
    text: Annotated[bool, typer.Option("--text", help="Printed questions, typed answers.")] = True,
    db: DbOpt = None,
) -> None:
    """Continue an interrupted interview from its first unanswered question (text mode)."""
    from interviewer import engines
    from interviewer.interview.bank import load_bank
    from interviewer.session import resume_interview

    settings = _settings(ctx)
    store = _open_store(db)
    try:
        llm = engines.load_llm(settings)
        interview = resume_interview(
            store=store,
            session_id=session_id,
            llm=llm,
            bank=load_bank(_bank_paths()),
            instruction_tuned=_instruction_tuned(settings),
        )
        _text_loop(interview)
    finally:
        store.close()


@sessions_app.command("list")
def sessions_list(
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Stored interviews, newest first."""
    store = _open_store(db)
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
    store = _open_store(db)
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
    store = _open_store(db)
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
    store = _open_store(db)
    try:
        full = store.resolve_id(session_id)
        if not yes and not typer.confirm(f"delete session {full}?"):
            raise typer.Exit(1)
        store.delete_session(full)
        err.print(f"deleted {full}")
    finally:
        store.close()


@bank_app.command("list")
def bank_list(
    role: RoleOpt = None,
    level: LevelOpt = None,
    type_: TypeOpt = None,
    company: CompanyOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Questions in the bank, optionally filtered."""
    from interviewer.interview.bank import load_bank

    bank = load_bank(_bank_paths())
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
def bank_show(question_id: str) -> None:
    """One question with its rubric, key points and follow-up probes."""
    import yaml

    from interviewer.interview.bank import load_bank

    q = load_bank(_bank_paths()).get(question_id)
    out.print(escape(yaml.safe_dump(q.model_dump(), sort_keys=False, allow_unicode=True)))


@bank_app.command("validate")
def bank_validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: the bank).")
    ] = None,
) -> None:
    """Check bank files; every problem is printed as file:line: field: message."""
    from interviewer.interview.bank import DEFAULT_BANK_DIR, validate_bank_files

    paths = [DEFAULT_BANK_DIR, *files] if files else _bank_paths()
    problems = validate_bank_files(paths)
    for line in problems:
        err.print(escape(line), highlight=False)
    if problems:
        raise InterviewerError(f"{len(problems)} problem(s) in the question bank")
    out.print("question bank OK")


@bank_app.command("import")
def bank_import(file: Path) -> None:
    """Validate a YAML bank file and add it to your question bank."""
    from interviewer.interview.bank import import_bank_file

    dest = _user_bank_dir()
    dest.mkdir(parents=True, exist_ok=True)
    path = import_bank_file(file, dest)
    out.print(f"imported {file} -> {path}")


@bank_app.command("add")
def bank_add(
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
    dest = _user_bank_dir() / "my_questions.yaml"
    dest.parent.mkdir(parents=True, exist_ok=True)
    add_question(question, dest)
    out.print(f"added {question.id} to {dest}")


@app.command()
def score(
    ctx: typer.Context,
    session_id: Annotated[
        str | None, typer.Argument(help="Re-score every answer of a stored interview.")
    ] = None,
    question: Annotated[str | None, typer.Option("--question", help="The question asked.")] = None,
    answer_file: Annotated[
        Path | None, typer.Option("--answer-file", help="Text file with the answer.")
    ] = None,
    role: RoleOpt = None,
    level: LevelOpt = None,
    type_: TypeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the score as JSON.")] = False,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Rules only.")] = False,
    db: DbOpt = None,
) -> None:
    """Score an answer against the closest bank question's rubric, or re-score a session."""
    from interviewer import engines
    from interviewer.interview.bank import load_bank
    from interviewer.scoring import score_answer
    from interviewer.scoring.worker import scoring_view

    bank = load_bank(_bank_paths())
    settings = _settings(ctx)
    if session_id is None:
        if question is None or answer_file is None:
            raise ConfigError("give --question TEXT and --answer-file FILE, or a SESSION_ID")
        try:
            answer = answer_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{answer_file}: cannot read the answer ({exc})") from exc
        if not answer:
            raise ConfigError(f"{answer_file}: the answer is empty")
        q = _question_for(bank, question, role=role, level=level, type_=type_)
        llm = None if no_llm else scoring_view(engines.load_llm(settings))
        result = score_answer(q, answer, llm=llm, instruction_tuned=_instruction_tuned(settings))
        if as_json:
            sys.stdout.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
        else:
            _print_score(result.to_json(), q.id)
        return
    store = _open_store(db)
    try:
        record = store.get_session(session_id)
        llm = None if no_llm else scoring_view(engines.load_llm(settings))
        for turn in record.turns:
            if not turn.answer_text.strip():
                continue
            q = _question_for(bank, turn.question_text, question_id=turn.question_id)
            result = score_answer(q, turn.answer_text, llm=llm,
                                  instruction_tuned=_instruction_tuned(settings))  # fmt: skip
            store.update_turn_scores(record.id, turn.idx, result.to_json())
            out.print(f"turn {turn.idx}: overall {result.overall:.1f}  ({q.id})")
    finally:
        store.close()


@app.command()
def report(
    session_id: Annotated[str, typer.Argument(help="Session id (or a unique prefix).")],
    html: Annotated[bool, typer.Option("--html", help="Write the self-contained HTML.")] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (.html or .md).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    db: DbOpt = None,
) -> None:
    """The report of an interview: Markdown in the terminal, or a self-contained HTML file."""
    from interviewer.report import build_report, render_html, render_markdown

    store = _open_store(db)
    try:
        doc = build_report(store, session_id, bank=_load_bank_quiet())
    finally:
        store.close()
    if as_json:
        sys.stdout.write(json.dumps(doc.to_json(), indent=2, ensure_ascii=False) + "\n")
        return
    if html or (output is not None and output.suffix.lower() in (".html", ".htm")):
        target = output or Path(f"report-{doc.session.id[:8]}.html")
        _write_text(target, render_html(doc))
        out.print(f"wrote {target}")
        return
    text = render_markdown(doc)
    if output is not None:
        _write_text(output, text)
        out.print(f"wrote {output}")
    else:
        _print_markdown(text)


@app.command()
def progress(
    user: Annotated[str, typer.Option("--user", help="Whose interviews.")] = "local",
    html: Annotated[bool, typer.Option("--html", help="Write an HTML page with charts.")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    db: DbOpt = None,
) -> None:
    """Trends across your interviews: scores per competency, pace and fillers."""
    from interviewer.report import build_progress, progress_html, progress_markdown

    store = _open_store(db)
    try:
        data = build_progress(store, user)
    finally:
        store.close()
    if as_json:
        sys.stdout.write(json.dumps(data.to_json(), indent=2, ensure_ascii=False) + "\n")
    elif html or (output is not None and output.suffix.lower() in (".html", ".htm")):
        target = output or Path("progress.html")
        _write_text(target, progress_html(data))
        out.print(f"wrote {target}")
    elif output is not None:
        _write_text(output, progress_markdown(data))
        out.print(f"wrote {output}")
    else:
        _print_markdown(progress_markdown(data))


def _load_bank_quiet() -> Any:
    from interviewer.interview.bank import load_bank

    return load_bank(_bank_paths())


def _write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write ({exc.strerror or exc})") from exc


def _print_markdown(text: str) -> None:
    if sys.stdout.isatty():
        from rich.markdown import Markdown

        out.print(Markdown(text))
    else:
        sys.stdout.write(text + "\n")


def _instruction_tuned(settings: Settings) -> bool:
    """A downloaded or user-supplied LLM is taken as instruction-tuned; the embedded one is not."""
    from interviewer.registry import resolve

    return resolve("llm", settings).source != "embedded"


def _question_for(
    bank: Any,
    text: str,
    *,
    question_id: str | None = None,
    role: str | None = None,
    level: str | None = None,
    type_: str | None = None,
) -> Any:
    """The bank question asked (by id or near-identical text), else an ad-hoc question that
    borrows the rubric of the most similar bank question of the right type."""
    import difflib

    if question_id:
        try:
            return bank.get(question_id)
        except ConfigError:
            pass
    pool = (
        bank.filter(role=role, level=level, type=type_) if (role or level or type_) else list(bank)
    )
    if not pool:
        raise ConfigError("no bank question matches --role/--level/--type")

    def ratio(q: Any) -> float:
        return difflib.SequenceMatcher(None, q.text.lower(), text.lower()).ratio()

    best = max(pool, key=ratio)
    closeness = ratio(best)
    if closeness >= 0.75:
        return best
    # A question from elsewhere: keep its words and borrow the nearest rubric; for a technical
    # question, the nearest key points only when it is about the same thing.
    key_points = best.key_points if best.type == "behavioral" or closeness >= 0.5 else [text]
    return best.model_copy(update={"id": "ad-hoc", "text": text, "key_points": key_points})


def _print_score(doc: dict[str, Any], question_id: str) -> None:
    table = Table(title=f"overall {doc['overall']:.1f} / 5  (rubric of {question_id})")
    for col in ("criterion", "score", "evidence"):
        table.add_column(col, overflow="fold")
    for name, crit in doc["criteria"].items():
        table.add_row(name, f"{crit['score']:.1f}", escape(" | ".join(crit["evidence"])))
    out.print(table)
    for label in ("strengths", "improvements"):
        if doc[label]:
            out.print(f"[bold]{label}[/]")
            for item in doc[label]:
                out.print(f"  - {escape(item)}")


# ---------------------------------------------------------------------------- bench, serve
# Their own modules keep heavy imports (matplotlib, FastAPI) inside the commands.

from interviewer.bench.cli import bench_app  # noqa: E402
from interviewer.web.cli import serve  # noqa: E402

app.add_typer(bench_app, name="bench")
app.command("serve")(serve)


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
