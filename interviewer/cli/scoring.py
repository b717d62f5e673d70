"""``interviewer score``, ``report`` and ``progress``: judging stored and given answers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from interviewer.cli.common import (
    DbOpt,
    LevelOpt,
    RoleOpt,
    TypeOpt,
    app_context,
    out,
    print_markdown,
    write_text,
)
from interviewer.errors import ConfigError


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
    from interviewer.interview.jd_questions import with_jd_questions
    from interviewer.interview.lookup import question_for
    from interviewer.interview.templated import TemplatePlan
    from interviewer.scoring import score_answer
    from interviewer.scoring.worker import scoring_view

    with app_context(ctx, db) as app:
        bank = app.bank
        if session_id is None:
            if question is None or answer_file is None:
                raise ConfigError("give --question TEXT and --answer-file FILE, or a SESSION_ID")
            try:
                answer = answer_file.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{answer_file}: cannot read the answer ({exc})") from exc
            if not answer:
                raise ConfigError(f"{answer_file}: the answer is empty")
            q = question_for(bank, question, role=role, level=level, type_=type_)
            llm = None if no_llm else scoring_view(app.engines.llm)
            result = score_answer(q, answer, llm=llm, instruction_tuned=app.instruction_tuned)
            if as_json:
                sys.stdout.write(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
            else:
                _print_score(result.to_json(), q.id)
            return
        store = app.store
        record = store.get_session(session_id)
        llm = None if no_llm else scoring_view(app.engines.llm)
        # a screening interview: its own questions, the organisation's instructions, weights
        plan = TemplatePlan.from_plan(record.plan)
        if plan is not None:
            bank = plan.bank(bank)
        # questions built from the session's job description, found again by id
        bank = with_jd_questions(bank, record.spec)
        for turn in record.turns:
            if not turn.answer_text.strip() or turn.kind == "command":
                continue  # "repeat that" or "end the interview" is not an answer
            q = question_for(bank, turn.question_text, question_id=turn.question_id)
            result = score_answer(
                q,
                turn.answer_text,
                llm=llm,
                instruction_tuned=app.instruction_tuned,
                instructions=plan.instructions if plan else "",
                weights=plan.weights if plan else None,
            )
            store.update_turn_scores(record.id, turn.idx, result.to_json())
            out.print(f"turn {turn.idx}: overall {result.overall:.1f}  ({q.id})")


def report(
    ctx: typer.Context,
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

    with app_context(ctx, db) as app:
        doc = build_report(app.store, session_id, bank=app.bank)
    if as_json:
        sys.stdout.write(json.dumps(doc.to_json(), indent=2, ensure_ascii=False) + "\n")
        return
    if html or (output is not None and output.suffix.lower() in (".html", ".htm")):
        target = output or Path(f"report-{doc.session.id[:8]}.html")
        write_text(target, render_html(doc))
        out.print(f"wrote {target}")
        return
    text = render_markdown(doc)
    if output is not None:
        write_text(output, text)
        out.print(f"wrote {output}")
    else:
        print_markdown(text)


def progress(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="Whose interviews.")] = "local",
    html: Annotated[bool, typer.Option("--html", help="Write an HTML page with charts.")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    db: DbOpt = None,
) -> None:
    """Trends across your interviews: scores per competency, pace and fillers."""
    from interviewer.report import build_progress, progress_html, progress_markdown

    with app_context(ctx, db) as app:
        data = build_progress(app.store, user, bank=app.bank)
    if as_json:
        sys.stdout.write(json.dumps(data.to_json(), indent=2, ensure_ascii=False) + "\n")
    elif html or (output is not None and output.suffix.lower() in (".html", ".htm")):
        target = output or Path("progress.html")
        write_text(target, progress_html(data))
        out.print(f"wrote {target}")
    elif output is not None:
        write_text(output, progress_markdown(data))
        out.print(f"wrote {output}")
    else:
        print_markdown(progress_markdown(data))


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
