"""The ``interviewer bench`` command group.

Heavy imports (the engines, matplotlib) happen inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated, Any, cast, get_args

import typer
from rich.table import Table

from interviewer.bench.common import SECTIONS
from interviewer.cli.common import DbOpt, err, out, settings_of
from interviewer.config import Device
from interviewer.errors import ConfigError

bench_app = typer.Typer(help="Benchmarks: per-stage latency, voice-to-voice, WER, concurrency.")


def _levels(max_n: int) -> tuple[int, ...]:
    levels = []
    n = 1
    while n < max_n:
        levels.append(n)
        n *= 2
    levels.append(max_n)
    return tuple(levels)


def _command_line(ctx: typer.Context) -> str:
    """The command as typed, rebuilt from the parsed options (so it is exact in tests too)."""
    parts = ["interviewer"]
    root = ctx.find_root()
    for c in (root, ctx):
        for param in c.command.params:
            value = c.params.get(param.name or "")
            if param.param_type_name != "option" or param.name == "version":
                continue
            if value is None or value == param.default or value in ((), []):
                continue
            if value is False:
                parts += getattr(param, "secondary_opts", [])[:1]
            elif value is True:
                parts.append(param.opts[0])
            elif isinstance(value, list | tuple):
                for v in value:
                    parts += [param.opts[0], shlex.quote(str(v))]
            else:
                parts += [param.opts[0], shlex.quote(str(value))]
        if c is root:
            parts.append("bench")
    return " ".join(parts)


@bench_app.callback(invoke_without_command=True)
def bench(
    ctx: typer.Context,
    quick: Annotated[
        bool, typer.Option("--quick", help="Fewer repeats, clips and answers (under 3 minutes).")
    ] = False,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for results.json, summary.md and the charts.")
    ] = Path("bench-out/latest"),
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            help="Sections, comma-separated: " + ",".join(SECTIONS) + ".",
        ),
    ] = None,
    device: Annotated[
        str | None, typer.Option("--device", help="auto | cpu | cuda (default: the config's).")
    ] = None,
    label: Annotated[str, typer.Option("--label", help="A name for this run in the store.")] = "",
    repeats: Annotated[
        int | None, typer.Option("--repeats", min=1, max=50, help="Timed calls per measurement.")
    ] = None,
    answers: Annotated[
        int | None,
        typer.Option(
            "--answers",
            min=1,
            max=40,
            help="Candidate answers in the e2e interview (a question and its follow-up each; "
            "an odd count is rounded down).",
        ),
    ] = None,
    max_concurrency: Annotated[
        int | None,
        typer.Option(
            "--max-concurrency", min=1, max=64, help="Try 1, 2, 4, ... up to this many interviews."
        ),
    ] = None,
    wer_data: Annotated[
        list[Path] | None,
        typer.Option(
            "--wer-data",
            help="A WER set: a folder with MANIFEST.tsv, or NAME.wav + NAME.txt pairs "
            "(repeatable; default ../shared/audio).",
        ),
    ] = None,
    wer_models: Annotated[
        str | None,
        typer.Option(
            "--wer-models",
            help="current | all (every installed STT model) | NAME,NAME (default: all; quick: "
            "current).",
        ),
    ] = None,
    store: Annotated[
        bool, typer.Option("--store/--no-store", help="Keep the run in the DuckDB store.")
    ] = True,
    db: DbOpt = None,
) -> None:
    """Run the benchmark: per-engine latency, end to end, WER and concurrency.

    Progress goes to stderr; results.json, summary.md and PNG charts go to --out, and the run
    is stored so that `interviewer bench compare A B` can set two runs side by side.
    """
    if ctx.invoked_subcommand is not None:
        return
    from dataclasses import replace

    from interviewer.bench.common import BenchConfig, Progress, parse_sections
    from interviewer.bench.run import run_bench, write_outputs
    from interviewer.bench.wer import load_wer_set

    settings = settings_of(ctx)
    if device is not None:
        if device not in get_args(Device):
            raise ConfigError(f"--device {device}: use auto, cpu or cuda")
        settings = replace(settings, device=cast(Device, device))
    sections = parse_sections(only)
    for path in wer_data or ():
        load_wer_set(path)  # a bad set fails now, not after minutes of other sections
    cfg = BenchConfig.make(
        quick,
        sections=sections,
        repeats=repeats,
        answers=answers,
        concurrency=_levels(max_concurrency) if max_concurrency else None,
        wer_data=tuple(wer_data) if wer_data else None,
        wer_models=wer_models,
        label=label,
    )
    progress = Progress(lambda line: err.print(line, markup=False, highlight=False))
    results = run_bench(settings, cfg, out_dir, progress=progress, command=_command_line(ctx))
    files = write_outputs(results, out_dir)
    run_id = None
    if store:
        from interviewer.store import Store, StoreError

        try:
            with Store.open(db) as st:
                run_id = st.add_bench_run(
                    results,
                    label=label,
                    quick=quick,
                    out_dir=str(out_dir.resolve()),
                    wall_s=results.get("wall_s"),
                )
        except StoreError as exc:
            # minutes of measurements are on disk already; compare reads them from there too
            err.print(
                f"warning: run not stored ({exc}); compare it by its folder {out_dir}",
                markup=False,
                highlight=False,
            )
    e2e = results.get("e2e")
    if e2e:
        out.print(
            f"voice-to-voice p50: streaming {e2e['streaming_p50_ms']} ms, sequential "
            f"{e2e['sequential_p50_ms']} ms (ratio {e2e['p50_ratio']})",
            highlight=False,
        )
    out.print(f"wrote {', '.join(str(f) for f in files)}", highlight=False)
    out.print(
        f"finished in {results['wall_s']} s"
        + (f"; stored as run {run_id} (interviewer bench list)" if run_id else ""),
        highlight=False,
    )


@bench_app.command("list")
def list_runs(
    limit: Annotated[int, typer.Option("--limit", min=1)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOpt = None,
) -> None:
    """Stored benchmark runs, newest first."""
    from interviewer.store import Store

    with Store.open(db) as st:
        runs = st.list_bench_runs(limit)
    rows: list[dict[str, Any]] = []
    for r in runs:
        e2e = r.results.get("e2e") or {}
        devices = r.machine.get("devices") or {}
        rows.append(
            {
                "id": r.id,
                "created_at": r.created_at.isoformat(timespec="seconds"),
                "label": r.label,
                "quick": r.quick,
                "sections": r.sections,
                "devices": devices,
                "streaming_p50_ms": e2e.get("streaming_p50_ms"),
                "p50_ratio": e2e.get("p50_ratio"),
                "wall_s": r.wall_s,
            }
        )
    if as_json:
        out.print_json(json.dumps(rows))
        return
    if not rows:
        out.print("no benchmark runs stored yet; run `interviewer bench --quick`")
        return
    table = Table()
    for col in ("id", "created", "label", "quick", "sections", "devices", "v2v p50", "ratio", "s"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(
            row["id"],
            row["created_at"],
            row["label"],
            "yes" if row["quick"] else "no",
            ",".join(row["sections"]),
            " ".join(f"{k}:{v.split(' ')[0]}" for k, v in row["devices"].items()),
            "-" if row["streaming_p50_ms"] is None else f"{row['streaming_p50_ms']:.0f}",
            "-" if row["p50_ratio"] is None else f"{row['p50_ratio']:.2f}",
            "-" if row["wall_s"] is None else f"{row['wall_s']:.0f}",
        )
    out.print(table)


@bench_app.command("compare")
def compare_runs(
    a: Annotated[str, typer.Argument(help="Run id (or prefix), results.json or its folder.")],
    b: Annotated[str, typer.Argument(help="Run id (or prefix), results.json or its folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOpt = None,
) -> None:
    """Two runs side by side: every figure of either, with the ratio B / A."""
    from interviewer.bench.report import compare
    from interviewer.bench.run import load_results
    from interviewer.store import Store

    def needs_store(ref: str) -> bool:
        return not Path(ref).expanduser().exists()

    if needs_store(a) or needs_store(b):
        with Store.open(db) as st:
            name_a, doc_a = load_results(a, st)
            name_b, doc_b = load_results(b, st)
    else:
        name_a, doc_a = load_results(a, None)
        name_b, doc_b = load_results(b, None)
    rows = compare(doc_a, doc_b)
    if as_json:
        out.print_json(json.dumps({"a": name_a, "b": name_b, "metrics": rows}))
        return
    table = Table(title=f"A = {name_a}   B = {name_b}")
    for col in ("metric", "A", "B", "B / A"):
        table.add_column(col, justify="left" if col == "metric" else "right")

    def cell(v: float | None) -> str:
        if v is None:
            return "-"
        return f"{v:.4g}"

    for row in rows:
        table.add_row(row["metric"], cell(row["a"]), cell(row["b"]), cell(row["b_over_a"]))
    out.print(table)
