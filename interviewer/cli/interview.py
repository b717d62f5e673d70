"""``interviewer demo``, ``practice`` and ``resume``: running an interview from the terminal."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from interviewer.cli.common import (
    CompanyOpt,
    DbOpt,
    LevelOpt,
    RoleOpt,
    TypeOpt,
    app_context,
    err,
    out,
    write_text,
)
from interviewer.context import AppContext
from interviewer.errors import ConfigError


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
    from interviewer.pipeline import events as ev

    tty = sys.stdout.isatty()
    state = {"partial": False}

    def on_event(event: ev.RunnerEvent) -> None:
        if isinstance(event, ev.CandidatePartial):
            if tty:
                sys.stdout.write("\r\033[2K  candidate … " + event.text[-100:])
                sys.stdout.flush()
                state["partial"] = True
            return
        if state["partial"]:
            sys.stdout.write("\r\033[2K")
            state["partial"] = False
        match event:
            case ev.InterviewerSays(text=text):
                out.print(f"[bold cyan]interviewer[/]  {escape(text)}")
            case ev.CandidateFinal(text=text):
                out.print(
                    f"[bold green]candidate[/]    {escape(text) or '[dim](nothing heard)[/]'}"
                )
            case ev.CandidateRevised(text=text):
                out.print(f"[dim]  (the whole answer, heard again: {escape(text)})[/]")
            case ev.BargeIn():
                out.print("[yellow]  (candidate interrupted; playback stopped)[/]")
            case ev.AnswerContinues():
                out.print("[yellow]  (the answer goes on: the interviewer yields)[/]")
            case ev.HalfDuplex(reason=reason):
                out.print(
                    f"[yellow]Half duplex: {escape(reason)}. With headphones or echo "
                    "cancellation, pass --barge-in.[/]"
                )
            case ev.NoAnswer():
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
    barge_in: Annotated[
        bool,
        typer.Option(
            "--barge-in/--no-barge-in",
            help="The interviewer yields when the candidate talks over it (on: no echo here).",
        ),
    ] = True,
    score: Annotated[
        bool,
        typer.Option("--score/--no-score", help="Score answers during the interview."),
    ] = True,
    db: DbOpt = None,
) -> None:
    """A complete simulated interview on the real engines: no microphone needed."""
    from interviewer.demo import load_engines, run_demo, script_from
    from interviewer.pipeline.runner import RunnerConfig
    from interviewer.session import build_spec, new_interview

    cand_script = script_from(script)  # validate before loading anything
    with app_context(ctx, db) as app:
        bank = app.bank
        spec = build_spec(
            bank, None, _spec_flags(role, company, level, type_, questions, None, follow_ups, seed)
        )
        store = app.store
        _report_loading(app)
        eng = load_engines(app.engines, script=cand_script, seed=seed)
        interview = new_interview(
            store=store,
            spec=spec,
            llm=eng.llm,
            models=eng.models,
            mode="demo",
            bank=bank,
            instruction_tuned=eng.instruction_tuned,
            score=score,
        )
        err.print(
            f"[dim]session {interview.session_id}: {spec.questions or questions} questions, "
            f"models loaded in {sum(eng.load_s.values()):.1f} s[/]"
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
        write_text(out_dir / "report.html", render_html(doc))
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


def _report_loading(app: AppContext) -> None:
    from interviewer.demo import ROLE_LABELS

    app.engines.on_load = lambda role: err.print(
        f"[dim]loading {ROLE_LABELS.get(role, role)} ...[/]"
    )


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
    barge_in: Annotated[
        bool,
        typer.Option(
            "--barge-in/--no-barge-in",
            help="You wear headphones or have echo cancellation: the interviewer yields when "
            "you talk over it. Off (loudspeakers), it cannot tell you from its own echo.",
        ),
    ] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Also write the recording here.")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Practise with your microphone and speakers (or --text to type)."""
    from interviewer.session import build_spec

    app = app_context(ctx, db)
    bank = app.bank
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
    with app:
        app.store  # noqa: B018 -- a bad --db fails now, before the models load
        if text:
            _practice_text(app, spec)
        else:
            _practice_voice(app, spec, input_device, output_device, barge_in, out_dir)


def _practice_text(app: AppContext, spec: Any) -> None:
    from interviewer.session import new_interview

    llm = app.engines.llm
    interview = new_interview(
        store=app.store,
        spec=spec,
        llm=llm,
        models={"llm": llm.model_id},
        mode="text",
        bank=app.bank,
        instruction_tuned=app.instruction_tuned,
    )
    _text_loop(interview)
    out.print(
        f"session {interview.session_id} saved; `interviewer sessions show {interview.session_id}`"
    )


def _text_loop(interview: Any) -> None:
    """Printed questions, typed answers; each answer is stored as soon as it is typed."""
    from interviewer.interview.base import Answer
    from interviewer.pipeline.records import ExchangeRecord
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
            record = ExchangeRecord(
                question=said,
                answer=answer,
                question_id=reply.question_id,
                is_follow_up=reply.is_follow_up,
                kind=reply.kind,
            )
            # stored once the machine has taken it in, as the voice pipeline does: the scorer
            # tells an answer from a command by what the machine made of it
            reply = machine.on_answer(Answer(answer, timed_out=not answer.strip()))
            interview.record_exchange(record)
    except (KeyboardInterrupt, EOFError, typer.Abort):
        interrupted = True
    finally:
        interview.finish(interrupted=interrupted)


def _practice_voice(
    app: AppContext,
    spec: Any,
    input_device: str | None,
    output_device: str | None,
    barge_in: bool,
    out_dir: Path | None,
) -> None:
    from interviewer.audio.duplex import SoundDeviceDuplex, import_sounddevice
    from interviewer.audio.recorder import StereoRecorder
    from interviewer.pipeline.runner import InterviewRunner, RunnerConfig
    from interviewer.session import new_interview

    import_sounddevice()  # a missing PortAudio fails here, before minutes of model loading
    _report_loading(app)
    eng = app.engines.load()
    interview = new_interview(
        store=app.store,
        spec=spec,
        llm=eng.llm,
        models=eng.models,
        mode="practice",
        bank=app.bank,
        instruction_tuned=eng.instruction_tuned,
    )
    recorder = StereoRecorder(out_dir / "conversation.wav", 16_000) if out_dir else None
    duplex = SoundDeviceDuplex(_device(input_device), _device(output_device), recorder)
    runner = InterviewRunner(
        brain=interview.machine,
        vad=eng.vad,
        stt=eng.stt,
        stt_final=eng.stt_final,
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


def resume(
    ctx: typer.Context,
    session_id: Annotated[str, typer.Argument(help="Session id (or a unique prefix).")],
    text: Annotated[bool, typer.Option("--text", help="Printed questions, typed answers.")] = True,
    db: DbOpt = None,
) -> None:
    """Continue an interrupted interview from its first unanswered question (text mode)."""
    from interviewer.session import resume_interview

    with app_context(ctx, db) as app:
        store = app.store
        interview = resume_interview(
            store=store,
            session_id=session_id,
            llm=app.engines.llm,
            bank=app.bank,
            instruction_tuned=app.instruction_tuned,
        )
        _text_loop(interview)
