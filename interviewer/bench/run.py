"""One benchmark run: the chosen sections on one set of engines; then results.json, the charts
and summary.md (the CLI also stores the run)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from interviewer.bench.common import BenchConfig, Progress
from interviewer.config import Settings
from interviewer.context import Engines

FORMAT = "interviewer.bench"


def _load_other_stt(settings: Settings) -> Callable[[str], Any]:
    from dataclasses import replace

    from interviewer import engines

    return lambda spec: engines.load_stt(replace(settings, stt=spec))


def run_bench(
    settings: Settings,
    cfg: BenchConfig,
    out_dir: Path | None = None,
    *,
    progress: Progress | None = None,
    factories: dict[str, Callable[[], Any]] | None = None,
    command: str = "",
) -> dict[str, Any]:
    """Run ``cfg.sections`` and return the results document (nothing is written here).

    ``factories`` replaces the engine loaders (tests pass fakes); ``out_dir`` receives the
    end-to-end recordings when given.
    """
    from interviewer.bench import engines as engine_bench
    from interviewer.bench.concurrency import bench_concurrency, level_from_run
    from interviewer.bench.e2e import bench_e2e
    from interviewer.bench.machine import machine_info
    from interviewer.bench.wer import bench_wer

    progress = progress or Progress()
    eng = Engines(
        settings,
        factories=factories,
        # fakes have no model files for the registry to judge
        instruction_tuned=False if factories is not None else None,
        on_load=lambda role: progress("load", f"{role} ..."),
    )
    results: dict[str, Any] = {
        "format": FORMAT,
        "version": 1,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "label": cfg.label,
        "quick": cfg.quick,
        "sections": list(cfg.sections),
        "command": command,
        "config": {
            "repeats": cfg.repeats,
            "answers": cfg.answers,
            "concurrency": list(cfg.concurrency),
            "concurrency_answers": cfg.concurrency_answers,
            "limit_ms": cfg.limit_ms,
            "wer_data": [str(p) for p in cfg.wer_data],
            "wer_models": cfg.wer_models,
        },
    }
    for section in cfg.sections:
        progress(section, "starting")
        if section == "vad":
            results["vad"] = engine_bench.bench_vad(eng, cfg, progress)
        elif section == "stt":
            results["stt"] = engine_bench.bench_stt(eng, cfg, progress)
        elif section == "llm":
            results["llm"] = engine_bench.bench_llm(eng, cfg, progress)
        elif section == "tts":
            results["tts"] = engine_bench.bench_tts(eng, cfg, progress)
        elif section == "followups":
            from interviewer.bench.followups import bench_followups
            from interviewer.interview.bank import DEFAULT_BANK_DIR, load_bank

            llm = eng.llm
            results["followups"] = bench_followups(
                llm,
                progress,
                bank=load_bank([DEFAULT_BANK_DIR]),  # the set's questions are the shipped ones
                instruction_tuned=eng.instruction_tuned,
                llm_id=getattr(llm, "model_id", "llm"),
            )
        elif section == "wer":
            other = _load_other_stt(settings) if factories is None else None
            results["wer"] = bench_wer(eng, cfg, progress, load_stt=other)
            if not results["wer"].get("skipped"):
                from interviewer.bench.record_wer import bench_record, record_models

                specs = record_models(settings, cfg) if other is not None else []
                # fake engines: the long answer is streamed 50x faster (its timings are the
                # fakes' anyway), so a test run does not speak 2 minutes of audio in real time
                results["wer"]["record"] = bench_record(
                    eng,
                    cfg,
                    progress,
                    model_specs=specs,
                    load_stt=other,
                    speed=1.0 if factories is None else 50.0,
                )
        elif section == "judgement":
            from interviewer.bench.judgement import bench_judgement
            from interviewer.interview.bank import DEFAULT_BANK_DIR, load_bank

            results["judgement"] = bench_judgement(
                load_bank([DEFAULT_BANK_DIR]), cfg, progress
            )  # the shipped bank: runs compare across machines
        elif section == "e2e":
            e2e = bench_e2e(eng, cfg, progress, out_dir)
            results["e2e"] = e2e["e2e"]
            results["pipeline"] = {"answers": e2e["answers"], "runs": e2e["runs"]}
        elif section == "concurrency":
            single = None
            pipeline = results.get("pipeline")
            if pipeline and pipeline["answers"] == cfg.concurrency_answers:
                single = level_from_run(pipeline["runs"][0])
            results["concurrency"] = bench_concurrency(eng, cfg, progress, single)
        elif section == "turns":
            from interviewer.bench.turns import bench_turns

            results["turns"] = bench_turns(eng, cfg, progress, out_dir)
    results["loads"] = dict(eng.load_s)
    results["machine"] = machine_info(settings, eng.loaded())
    results["wall_s"] = round(progress.elapsed, 1)
    return results


def write_outputs(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """results.json, the charts and summary.md into ``out_dir``; returns the files written."""
    from interviewer.bench.report import summary_markdown, write_charts

    out_dir.mkdir(parents=True, exist_ok=True)
    results["charts"] = write_charts(results, out_dir)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    (out_dir / "summary.md").write_text(summary_markdown(results) + "\n", encoding="utf-8")
    return [
        out_dir / "results.json",
        out_dir / "summary.md",
        *(out_dir / c for c in results["charts"]),
    ]


def load_results(ref: str, store: Any | None) -> tuple[str, dict[str, Any]]:
    """A run by stored id (or prefix), or a results.json file / the folder holding one."""
    from interviewer.errors import ConfigError

    path = Path(ref).expanduser()
    if path.is_dir():
        path = path / "results.json"
    if path.is_file():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: not a readable results.json ({exc})") from exc
        if not isinstance(doc, dict):
            raise ConfigError(f"{path}: not a benchmark results document")
        return str(path), doc
    if store is None:
        raise ConfigError(f"{ref}: no such results.json, folder or stored run")
    record = store.get_bench_run(ref)
    return record.id, record.results
