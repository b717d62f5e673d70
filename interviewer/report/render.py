"""Markdown and self-contained HTML views of a :class:`Report`, and of a user's progress."""

from __future__ import annotations

from functools import cache
from typing import Any

from interviewer.report import charts
from interviewer.report.model import Report, long_pauses, word_marks
from interviewer.report.progress import Progress
from interviewer.scoring.evidence import unsure_note
from interviewer.text import format_number as _num

DELIVERY_LABELS = {
    "words_per_minute": "words per minute",
    "hesitations_per_minute": "um/uh per minute",
    "discourse_fillers_per_minute": "like/so/you know per minute",
    "hedges_per_minute": "hedges per minute",
    "long_pauses_inside_sentence": "long pauses inside a sentence",
    "long_pauses_between_sentences": "long pauses between sentences",
    "duration_s": "speaking time (s)",
}


def _md(text: str) -> str:
    """Candidate speech in Markdown: no markup of its own survives."""
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return " ".join(text.split())


# ------------------------------------------------------------------------------ Markdown


def render_markdown(report: Report) -> str:
    s = report.session
    lines = [
        f"# {report.title}",
        "",
        f"Session `{s.id}` · {s.created_at:%Y-%m-%d %H:%M} UTC · {s.status} · "
        f"level {s.spec.get('level') or '–'} · {s.spec.get('type') or 'mixed'}",
        "",
        "## Summary",
        "",
        f"**Overall {_num(report.overall)} / 5** — recommendation: **{report.recommendation}** "
        f"(confidence {_num(report.confidence, 2)}). {report.recommendation_detail}",
        "",
    ]
    if report.template is not None:
        t = report.template
        lines += [f"Template **{_md(t['name'])}** (version {t['version']})", ""]
        if t["instructions"]:
            lines += ["## Evaluation instructions", "", _md(t["instructions"]), ""]
        if t["weights"]:
            weights = ", ".join(f"{k.replace('_', ' ')} x{v:g}" for k, v in t["weights"].items())
            lines += [f"Criterion weights: {weights}", ""]
    if report.competencies:
        lines += ["| competency | score |", "|---|---|"]
        lines += [f"| {c.replace('_', ' ')} | {v:.1f} |" for c, v in report.competencies]
        lines.append("")
    for q_no, q in enumerate(report.questions, 1):
        lines += [f"## Q{q_no}. {_md(q.text)}", ""]
        lines.append(
            f"*{q.competency.replace('_', ' ')} · {q.type}* — "
            + (f"**{q.overall:.1f} / 5**" if q.overall is not None else "not scored")
        )
        lines.append("")
        for a in q.answers:
            if a.is_follow_up:
                lines += [f"**Follow-up:** {_md(a.asked)}", ""]
            lines += [f"> {_md(''.join(s.text for s in a.segments))}", ""]
        if q.scores:
            lines += ["| criterion | score | evidence |", "|---|---|---|"]
            for name, crit in q.scores.get("criteria", {}).items():
                quotes = crit.get("evidence_marked") or crit.get("evidence", [])
                ev = " · ".join(f"“{_md(e)}”" for e in quotes)
                if crit.get("unsure"):
                    ev += " " + _md(unsure_note(crit["unsure"]))
                lines.append(f"| {name.replace('_', ' ')} | {crit['score']:.1f} | {ev} |")
            lines.append("")
            for label in ("strengths", "improvements"):
                if q.scores.get(label):
                    lines.append(f"**{label.capitalize()}**")
                    lines += [f"- {_md(x)}" for x in q.scores[label]]
                    lines.append("")
            if q.scores.get("outline"):
                lines += [f"**A stronger answer:** {_md(q.scores['outline'])}", ""]
    if report.delivery:
        lines += [
            "## Delivery",
            "",
            "| metric | this interview | your earlier ones |",
            "|---|---|---|",
        ]
        for key, label in DELIVERY_LABELS.items():
            if key in report.delivery:
                lines.append(
                    f"| {label} | {_num(report.delivery[key])} | {_num(report.history.get(key))} |"
                )
        lines.append("")
    if report.latency_rows:
        lines += ["## Latency (ms)", "", "| stage | p50 | p95 |", "|---|---|---|"]
        lines += [f"| {n} | {_num(a, 0)} | {_num(b, 0)} |" for n, a, b in report.latency_rows]
        lines.append("")
    if report.scoring_notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in report.scoring_notes] + [""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ HTML


@cache
def _env() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    # autoescape: transcripts, evidence and question text are untrusted
    env = Environment(
        loader=PackageLoader("interviewer.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["label"] = lambda s: str(s).replace("_", " ")
    env.filters["unsure_note"] = unsure_note
    return env


def render_html(report: Report) -> str:
    """A self-contained HTML document: inline CSS and SVG, no scripts, no network."""
    from markupsafe import Markup

    competency_chart = (
        Markup(charts.bar_chart(report.competencies, title="score per competency"))
        if report.competencies
        else ""
    )
    criteria_chart = (
        Markup(charts.bar_chart(report.criteria, title="score per rubric criterion"))
        if report.criteria
        else ""
    )
    timelines = {}
    for q in report.questions:
        for a in q.answers:
            svg = charts.timeline(
                word_marks(a.words), long_pauses(a.words), title=f"answer {a.idx} over time"
            )
            if svg:
                timelines[a.idx] = Markup(svg)
    per_answer = [(q, a) for q in report.questions for a in q.answers if a.delivery is not None]
    wpm_chart = ""
    if len(per_answer) > 1:
        wpm_chart = Markup(
            charts.line_chart(
                [
                    ("words/min", [a.delivery.get("words_per_minute") for _, a in per_answer]),  # type: ignore[union-attr]
                ],
                [f"A{a.idx}" for _, a in per_answer],
                title="pace per answer",
            )
        )
    return str(
        _env()
        .get_template("report.html.j2")
        .render(
            r=report,
            s=report.session,
            competency_chart=competency_chart,
            criteria_chart=criteria_chart,
            timelines=timelines,
            wpm_chart=wpm_chart,
            delivery_labels=DELIVERY_LABELS,
        )
    )


def progress_markdown(progress: Progress) -> str:
    if not progress.rows:
        return f"No interviews stored for user {progress.user_id!r} yet."
    lines = [
        f"# Progress of {progress.user_id}",
        "",
        "| date | session | role | overall | words/min | um/uh per min |",
        "|---|---|---|---|---|---|",
    ]
    for r in progress.rows:
        lines.append(
            f"| {r.created_at:%Y-%m-%d %H:%M} | `{r.session_id[:8]}` | {r.role} | "
            f"{_num(r.overall)} | {_num(r.delivery.get('words_per_minute'))} | "
            f"{_num(r.delivery.get('hesitations_per_minute'), 2)} |"
        )
    if progress.trend is not None:
        lines += ["", f"Overall trend: {progress.trend:+.2f} per interview (least squares)."]
    return "\n".join(lines)


def progress_html(progress: Progress) -> str:
    from markupsafe import Markup

    labels = [f"{r.created_at:%m-%d}" for r in progress.rows]
    score_chart = Markup(
        charts.line_chart(
            [("overall", [r.overall for r in progress.rows])]
            + [
                (c, [r.competencies.get(c) for r in progress.rows])
                for c in progress.competencies[:4]
            ],
            labels,
            vmin=1,
            vmax=5,
            title="scores across interviews",
        )
    )
    pace_chart = Markup(
        charts.line_chart(
            [
                ("words/min", [r.delivery.get("words_per_minute") for r in progress.rows]),
            ],
            labels,
            title="pace across interviews",
        )
    )
    filler_chart = Markup(
        charts.line_chart(
            [
                (
                    "um/uh per min",
                    [r.delivery.get("hesitations_per_minute") for r in progress.rows],
                ),
                (
                    "like/so per min",
                    [r.delivery.get("discourse_fillers_per_minute") for r in progress.rows],
                ),
            ],
            labels,
            vmin=0,
            title="fillers across interviews",
        )
    )
    return str(
        _env()
        .get_template("progress.html.j2")
        .render(
            p=progress, score_chart=score_chart, pace_chart=pace_chart, filler_chart=filler_chart
        )
    )
