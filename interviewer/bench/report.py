"""What a run leaves behind: headline metrics (for list/compare), summary.md and PNG charts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from interviewer.bench.common import ratio
from interviewer.bench.judgement import summary_lines as judgement_lines
from interviewer.text import format_number

# ---------------------------------------------------------------------------- headline metrics


def headline(results: dict[str, Any]) -> dict[str, float]:
    """The run's figures flattened to ``name -> number`` (ms unless the name says otherwise)."""
    m: dict[str, float] = {}

    def put(name: str, value: Any) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            m[name] = float(value)

    for role, seconds in (results.get("loads") or {}).items():
        put(f"load.{role}_s", seconds)
    vad = results.get("vad") or {}
    put("vad.frame_p50_ms", (vad.get("per_frame_ms") or {}).get("p50"))
    put("vad.frame_p95_ms", (vad.get("per_frame_ms") or {}).get("p95"))
    for clip in (results.get("stt") or {}).get("clips", []):
        for mode, s in clip["modes"].items():
            put(f"stt.{clip['duration_s']:.1f}s.{mode}.p50_ms", s.get("p50"))
        put(f"stt.{clip['duration_s']:.1f}s.short_window_speedup", clip.get("short_window_speedup"))
    llm = results.get("llm") or {}
    for p in llm.get("prompts", []):
        n = p["prompt_tokens"]
        put(f"llm.{n}tok.ttft_cold_p50_ms", p["ttft_cold_ms"]["p50"])
        put(f"llm.{n}tok.ttft_cached_p50_ms", p["ttft_cached_ms"]["p50"])
        put(f"llm.{n}tok.prompt_eval_tok_per_s", p["prompt_eval_tokens_per_s"])
    put("llm.generate_tok_per_s", (llm.get("generation") or {}).get("tokens_per_s"))
    tts = results.get("tts") or {}
    for s in tts.get("sentences", []):
        put(f"tts.{s['words']}w.first_audio_p50_ms", s["first_audio_ms"]["p50"])
        put(f"tts.{s['words']}w.rtf", s["rtf"])
    put(
        "tts.reply.first_audio_p50_ms",
        ((tts.get("paragraph") or {}).get("first_audio_ms") or {}).get("p50"),
    )
    for model in (results.get("wer") or {}).get("models", []):
        for kind, value in model["corpus_wer"].items():
            put(f"wer.{model['model']}.{kind}", value)
    for key, value in (results.get("e2e") or {}).items():
        put(f"e2e.{key}", value)
    for run in (results.get("pipeline") or {}).get("runs", []):
        for what in ("voice_to_voice_ms", "response_ms", "substance_ms", "max_silence_ms"):
            for q in ("p50", "p95", "max"):
                value = (run.get(what) or {}).get(q)
                put(f"pipeline.{run['mode']}.{what.removesuffix('_ms')}_{q}_ms", value)
    if results.get("followups"):
        from interviewer.bench.followups import headline_figures

        m.update(headline_figures(results["followups"]))
    conc = results.get("concurrency") or {}
    for level in conc.get("levels", []):
        n = level["interviews"]
        put(f"concurrency.{n}.response_p50_ms", level["response_ms"]["p50"])
        put(f"concurrency.{n}.response_p95_ms", level["response_ms"]["p95"])
        put(f"concurrency.{n}.voice_to_voice_p95_ms", level["voice_to_voice_ms"]["p95"])
        put(f"concurrency.{n}.cpu_cores_per_interview", level["cpu_cores_per_interview"])
    put("concurrency.p95_passes_limit_at", conc.get("p95_response_passes_limit_at"))
    judgement = results.get("judgement") or {}
    put("judgement.labelled_spearman", (judgement.get("labelled") or {}).get("spearman"))
    for key in ("pairwise_accuracy", "mean_margin", "spearman"):
        put(f"judgement.trap_{key}", (judgement.get("trap") or {}).get(key))
    put("judgement.score_p50_ms", (judgement.get("score_ms") or {}).get("p50"))
    return m


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Every headline metric of either run: its value in A and B and the ratio B / A."""
    ha, hb = headline(a), headline(b)
    names = list(dict.fromkeys([*ha, *hb]))
    return [
        {"metric": n, "a": ha.get(n), "b": hb.get(n), "b_over_a": ratio(hb.get(n), ha.get(n))}
        for n in names
    ]


# ---------------------------------------------------------------------------- summary.md


def _fmt(v: Any, digits: int = 0) -> str:
    return format_number(v, digits, missing="-")


def _ppm(d: dict[str, Any], keys: tuple[str, ...] = ("p50", "p95", "max")) -> str:
    return " / ".join(_fmt(d.get(k)) for k in keys)


def machine_line(machine: dict[str, Any]) -> str:
    gpus = ", ".join(g["name"] for g in machine.get("gpus", [])) or "no GPU"
    devices = ", ".join(f"{k} {v}" for k, v in (machine.get("devices") or {}).items())
    libs = ", ".join(f"{k} {v}" for k, v in (machine.get("libraries") or {}).items())
    return (
        f"{machine.get('cpu')}, {machine.get('cores_logical')} logical cores, "
        f"{machine.get('memory_gb')} GB, {gpus}; Python {machine.get('python')}. "
        f"Devices used: {devices or '-'}. Libraries: {libs}."
    )


def dominant_stage(
    run: dict[str, Any], *, after_endpoint: bool = False
) -> tuple[str, float, float] | None:
    """The stage with the largest mean, its mean (ms) and its share of the stacked total.

    ``after_endpoint`` leaves out the endpointing silence: what the response time is made of.
    """
    stages = run.get("stages") or []
    total = sum(s["mean_ms"] for s in stages)
    if after_endpoint:
        stages = [s for s in stages if not s["stage"].startswith("speech_end")]
    if not stages:
        return None
    top = max(stages, key=lambda s: s["mean_ms"])
    return top["stage"], top["mean_ms"], (top["mean_ms"] / total if total else 0.0)


def summary_markdown(results: dict[str, Any]) -> str:
    machine = results.get("machine") or {}
    models = ", ".join(f"{k} {v}" for k, v in (machine.get("models") or {}).items())
    lines = [f"# interviewer bench{' — ' + results['label'] if results.get('label') else ''}", ""]
    lines += [
        f"- run: {results.get('created_at')}, {'quick' if results.get('quick') else 'full'}, "
        f"sections {', '.join(results.get('sections', []))}, {results.get('wall_s')} s",
        f"- command: `{results.get('command')}`",
        f"- machine: {machine_line(results.get('machine') or {})}",
        f"- models: {models or '-'}",
        "",
    ]
    rows = [r for s in ("vad", "stt", "llm", "tts") for r in (results.get(s) or {}).get("rows", [])]
    if rows:
        lines += [
            "## Engines",
            "",
            "p50 / p95 over the repeats after a warm-up call (a load is timed once).",
            "",
            "| engine | measurement | p50 ms | p95 ms | note |",
            "|---|---|---:|---:|---|",
        ]
        lines += [
            f"| {r['engine']} | {r['what']} | {_fmt(r['p50_ms'], 1)} | {_fmt(r['p95_ms'], 1)} | "
            f"{r['note']} |"
            for r in rows
        ]
        lines += [""]
        for name in ("stt", "llm", "tts"):
            if results.get(name):
                lines += [f"![{name}]({name}.png)", ""]
    pipeline = results.get("pipeline") or {}
    runs = pipeline.get("runs") or []
    if runs:
        e2e = results.get("e2e") or {}
        lines += [
            "## End to end",
            "",
            f"A scripted interview of {pipeline.get('answers')} answers in real time; both "
            "pipelines in the same run, on the same engines.",
            "",
            "| pipeline | exchanges | voice-to-voice p50 / p95 / max ms "
            "| response p50 / p95 / max ms |",
            "|---|---:|---|---|",
        ]
        lines += [
            f"| {r['mode']} | {r['exchanges']} | {_ppm(r['voice_to_voice_ms'])} | "
            f"{_ppm(r['response_ms'])} |"
            for r in runs
        ]
        lines += [
            "",
            f"Streaming / sequential voice-to-voice p50: **{_fmt(e2e.get('p50_ratio'), 2)}**",
            "",
            "What the candidate waits for: from their last word to the first word of the "
            "follow-up or next question (not the acknowledgement), and the longest silence "
            "inside an interviewer turn.",
            "",
            "| pipeline | to a follow-up p50 / p95 / max ms | to the next question "
            "p50 / p95 / max ms | longest silence in a turn p50 / p95 / max ms |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {r['mode']} | {_ppm(r.get('substance_follow_up_ms') or {})} | "
            f"{_ppm(r.get('substance_question_ms') or {})} | "
            f"{_ppm(r.get('max_silence_ms') or {})} |"
            for r in runs
        ]
        lines.append("")
        stages = [s["stage"] for s in runs[0]["stages"]]
        lines += [
            "| stage (p50 / p95 ms) | " + " | ".join(r["mode"] for r in runs) + " |",
            "|---|" + "---|" * len(runs),
        ]
        for st in stages:
            cells = []
            for r in runs:
                found = next((s for s in r["stages"] if s["stage"] == st), None)
                cells.append(_ppm(found, ("p50_ms", "p95_ms")) if found else "-")
            lines.append(f"| {st} | " + " | ".join(cells) + " |")
        lines.append("")
        for r in runs:
            top = dominant_stage(r)
            after = dominant_stage(r, after_endpoint=True)
            if top and after:
                lines.append(
                    f"- {r['mode']}: the largest stage is {top[0]} "
                    f"(mean {top[1]:.0f} ms, {top[2]:.0%} of the stacked mean); after the "
                    f"endpoint, {after[0]} (mean {after[1]:.0f} ms, {after[2]:.0%})."
                )
        lines += ["", "![per-stage breakdown](e2e_stages.png)", ""]
    if results.get("followups"):
        from interviewer.bench.followups import summary_lines

        lines += summary_lines(results["followups"])
    wer = results.get("wer") or {}
    if wer.get("skipped"):
        lines += ["## WER", "", f"Skipped: {wer['skipped']}", ""]
    elif wer.get("models"):
        sets = ", ".join(
            f"{d['path']} ({d['clips']} clips, {d['audio_s']} s)" for d in wer["datasets"]
        )
        lines += [
            "## WER",
            "",
            f"Corpus WER (all errors / all reference words, normalised text) on {sets}.",
            "",
            "| model | offline, full pass | offline, text only | streaming | streaming RTF |",
            "|---|---:|---:|---:|---:|",
        ]
        for model in wer["models"]:
            c = model["corpus_wer"]
            lines.append(
                f"| {model['model']} | {c['offline']:.3f} | {c['offline_text']:.3f} | "
                f"{c['streaming']:.3f} | {_fmt(model['rtf']['streaming'], 3)} |"
            )
        lines += [
            "",
            "| clip | s | offline | streaming | streaming text |",
            "|---|---:|---:|---:|---|",
        ]
        for row in wer["models"][0]["per_clip"]:
            lines.append(
                f"| {row['clip']} | {row['duration_s']} | {row['wer_offline']:.2f} | "
                f"{row['wer_streaming']:.2f} | {row['streaming']} |"
            )
        lines += ["", "![wer](wer.png)", ""]
        if wer.get("record"):
            from interviewer.bench.record_wer import record_markdown

            lines += record_markdown(wer["record"])
    lines += judgement_lines(results.get("judgement") or {})
    conc = results.get("concurrency") or {}
    if conc.get("levels"):
        lines += [
            "## Concurrency",
            "",
            f"Simultaneous interviews in one process ({conc['answers_per_interview']} answers "
            "each; own link, candidate, brain and VAD; shared STT, TTS and LLM).",
            "",
            "| interviews | exchanges | voice-to-voice p50 / p95 ms | response p50 / p95 / max ms "
            "| largest stage after the endpoint (mean ms) | cores busy | cores per interview "
            "| dropped frames |",
            "|---:|---:|---|---|---|---:|---:|---:|",
        ]
        for lv in conc["levels"]:
            top = dominant_stage(lv, after_endpoint=True)
            largest = f"{top[0]} ({top[1]:.0f})" if top else "-"
            lines.append(
                f"| {lv['interviews']} | {lv['exchanges']} | "
                f"{_ppm(lv['voice_to_voice_ms'], ('p50', 'p95'))} | {_ppm(lv['response_ms'])} | "
                f"{largest} | {_fmt(lv['cpu_cores_busy'], 2)} | "
                f"{_fmt(lv['cpu_cores_per_interview'], 2)} | {lv['dropped_frames']} |"
            )
        at = conc.get("p95_response_passes_limit_at")
        limit = conc["limit_ms"] / 1000
        lines += [
            "",
            f"p95 response passes {limit:g} s at **{at}** simultaneous interviews."
            if at
            else f"p95 response stays under {limit:g} s up to {conc['max_tested']} interviews.",
            "",
            "![concurrency](concurrency.png)",
            "",
        ]
    if results.get("turns"):
        from interviewer.bench.turns import turns_markdown

        lines += turns_markdown(results["turns"])
    return "\n".join(lines)


# ---------------------------------------------------------------------------- charts


def write_charts(results: dict[str, Any], out_dir: Path) -> list[str]:
    """PNG charts for the sections that ran; returns their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[str] = []

    def save(fig: Any, name: str) -> None:
        fig.tight_layout()
        fig.savefig(out_dir / name, dpi=110, bbox_inches="tight")
        plt.close(fig)
        written.append(name)

    if results.get("turns"):
        from interviewer.bench.turns import turns_chart

        fig, ax = plt.subplots(figsize=(7, 4))
        turns_chart(results["turns"], ax)
        save(fig, "turns.png")
    stt = results.get("stt") or {}
    if stt.get("clips"):
        fig, ax = plt.subplots(figsize=(7, 4))
        clips = stt["clips"]
        for mode in clips[0]["modes"]:
            xs = [c["duration_s"] for c in clips]
            ys = [c["modes"][mode]["p50"] for c in clips]
            ax.plot(xs, ys, marker="o", label=mode.replace("_", " "))
        ax.set_xlabel("audio length (s)")
        ax.set_ylabel("transcription time, p50 (ms)")
        ax.set_title(f"STT {stt['model']}: latency against audio length")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        save(fig, "stt.png")

    llm = results.get("llm") or {}
    if llm.get("prompts"):
        fig, ax = plt.subplots(figsize=(6, 4))
        labels = [f"{p['prompt_tokens']} tokens" for p in llm["prompts"]]
        xs = list(range(len(labels)))
        ax.bar(
            [x - 0.2 for x in xs],
            [p["ttft_cold_ms"]["p50"] for p in llm["prompts"]],
            0.4,
            label="cold",
        )
        ax.bar(
            [x + 0.2 for x in xs],
            [p["ttft_cached_ms"]["p50"] for p in llm["prompts"]],
            0.4,
            label="prefix cached",
        )
        ax.set_xticks(xs, labels)
        ax.set_ylabel("time to first token, p50 (ms)")
        gen = (llm.get("generation") or {}).get("tokens_per_s")
        ax.set_title(f"LLM {llm['model']} (generation {gen} tokens/s)")
        ax.legend()
        save(fig, "llm.png")

    tts = results.get("tts") or {}
    if tts.get("sentences"):
        fig, ax = plt.subplots(figsize=(6, 4))
        words = [s["words"] for s in tts["sentences"]]
        ax.plot(
            words,
            [s["first_audio_ms"]["p50"] for s in tts["sentences"]],
            marker="o",
            label="time to first audio",
        )
        ax.set_xlabel("sentence length (words)")
        ax.set_ylabel("p50 (ms)")
        ax2 = ax.twinx()
        ax2.plot(
            words,
            [s["rtf"] for s in tts["sentences"]],
            marker="s",
            color="tab:orange",
            label="real-time factor",
        )
        ax2.set_ylabel("real-time factor")
        ax.set_ylim(bottom=0)
        ax2.set_ylim(bottom=0)
        ax.set_title(f"TTS {tts['model']}")
        fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, fontsize=8)
        save(fig, "tts.png")

    runs = (results.get("pipeline") or {}).get("runs") or []
    if runs:
        fig, ax = plt.subplots(figsize=(8, 3.2))
        stages = [s["stage"] for s in runs[0]["stages"]]
        left = [0.0] * len(runs)
        colors = plt.get_cmap("tab10")
        for i, st in enumerate(stages):
            vals = []
            for r in runs:
                found = next((s for s in r["stages"] if s["stage"] == st), None)
                vals.append(max(0.0, found["mean_ms"]) if found else 0.0)
            ax.barh([r["mode"] for r in runs], vals, left=left, color=colors(i), label=st)
            left = [a + b for a, b in zip(left, vals, strict=True)]
        ax.set_xlabel("mean ms after the candidate's last voiced block")
        ax.set_title("Voice-to-voice by stage (stacked means)")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3)
        save(fig, "e2e_stages.png")

    wer = results.get("wer") or {}
    if wer.get("models"):
        fig, ax = plt.subplots(figsize=(6, 4))
        kinds = ("offline", "offline_text", "streaming")
        n = len(wer["models"])
        width = 0.8 / len(kinds)
        for k, kind in enumerate(kinds):
            ax.bar(
                [i + (k - 1) * width for i in range(n)],
                [m["corpus_wer"][kind] for m in wer["models"]],
                width,
                label=kind.replace("_", " "),
            )
        ax.set_xticks(range(n), [m["model"] for m in wer["models"]])
        ax.set_ylabel("corpus WER")
        ax.set_title("WER: offline pass against streaming")
        ax.legend()
        save(fig, "wer.png")

    conc = results.get("concurrency") or {}
    if conc.get("levels"):
        fig, ax = plt.subplots(figsize=(6, 4))
        ns = [lv["interviews"] for lv in conc["levels"]]
        ax.plot(
            ns,
            [lv["response_ms"]["p50"] for lv in conc["levels"]],
            marker="o",
            label="response p50",
        )
        ax.plot(
            ns,
            [lv["response_ms"]["p95"] for lv in conc["levels"]],
            marker="o",
            label="response p95",
        )
        ax.axhline(
            conc["limit_ms"], color="red", linestyle="--", label=f"{conc['limit_ms']:.0f} ms"
        )
        ax.set_xscale("log", base=2)
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.set_xlabel("simultaneous interviews")
        ax.set_ylabel("ms")
        ax2 = ax.twinx()
        ax2.plot(
            ns,
            [lv["cpu_cores_busy"] for lv in conc["levels"]],
            marker="s",
            color="gray",
            label="CPU cores busy",
        )
        ax2.set_ylabel("CPU cores busy")
        top = max([conc["limit_ms"], *(lv["response_ms"]["p95"] or 0 for lv in conc["levels"])])
        ax.set_ylim(0, top * 1.1)
        ax2.set_ylim(bottom=0)
        ax.set_title("Concurrency: response time and CPU")
        fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, fontsize=8)
        save(fig, "concurrency.png")
    return written
