"""Voice-to-voice and response latency: the streaming pipeline against the sequential baseline.

    .venv/bin/python benchmarks/pipeline_latency.py [--answers 10] [--out bench-out/pipeline]

Both runs are the same interview in the same process, on the same engines: the real interview
machine (bank questions, LLM follow-ups), a simulated candidate speaking a ten-answer script
through the virtual duplex link in real time. The baseline waits for the whole answer,
transcribes all of it, generates the whole reply, synthesizes all of it, then plays.
Reports p50/p95/max per run, the per-stage breakdown, and the streaming/sequential p50 ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from interviewer.audio.candidate import parse_script  # noqa: E402
from interviewer.config import Settings  # noqa: E402
from interviewer.demo import latency_rows, load_engines, run_demo  # noqa: E402
from interviewer.interview.bank import load_bank  # noqa: E402
from interviewer.interview.followup import FollowUpPolicy  # noqa: E402
from interviewer.interview.machine import InterviewMachine  # noqa: E402
from interviewer.interview.selection import select_questions  # noqa: E402
from interviewer.interview.spec import InterviewSpec  # noqa: E402
from interviewer.pipeline.endpointing import EndpointConfig  # noqa: E402
from interviewer.pipeline.runner import RunnerConfig  # noqa: E402

EMBEDDED = Settings(vad="embedded", stt="embedded", llm="embedded", tts="embedded", device="cpu")

# Ten answers without thinking pauses, so both pipelines end turns at the same silence.
ANSWERS = [
    "In my last role I owned the churn model for our subscription product. I rebuilt the "
    "features and the model cut churn by about ten percent.",
    "I compared the treated accounts with a holdout group over three months.",
    "We disagreed about whether to ship before the holidays. I wrote down the risks and we "
    "agreed to ship a smaller version first.",
    "The smaller release went out on time and the rest followed two weeks later.",
    "I would define the success metric first, then randomise users and check the sample size "
    "gives enough power.",
    "I would look at the confidence interval and at guardrail metrics such as retention.",
    "I missed a deadline once because I underestimated the data cleaning. Now I plan a buffer "
    "and share progress every week.",
    "My manager told me the weekly update helped the whole team plan better.",
    "I mentored a junior analyst on SQL. We paired every Friday for two months.",
    "She now reviews queries for the rest of the team.",
]


def one_run(
    eng: Any, *, streaming: bool, answers: list[str], questions: int, out: Path
) -> dict[str, Any]:
    bank = load_bank()
    spec = InterviewSpec.from_mapping(
        {"role": "data_scientist", "level": "mid", "type": "mixed", "questions": questions,
         "max_follow_ups": 1, "seed": 11}
    )  # fmt: skip
    machine = InterviewMachine(
        bank, spec, followups=FollowUpPolicy(eng.llm), questions=select_questions(bank, spec)
    )
    script = parse_script({"answers": [{"text": a} for a in answers]}, "<benchmark script>")
    endpoint = EndpointConfig(no_answer_s=15.0)
    config = RunnerConfig(endpoint=endpoint, streaming=streaming)
    t = time.perf_counter()
    res = run_demo(brain=machine, eng=eng, script=script, out_dir=out, config=config)
    doc = res.transcript
    exchanges = doc["latency"]["exchanges"]

    def series(a: str, b: str) -> list[float]:
        return [1000 * (e[b] - e[a]) for e in exchanges if e[a] is not None and e[b] is not None]

    v2v = series("speech_end", "playback_start")
    resp = series("endpoint", "playback_start")
    return {
        "mode": "streaming" if streaming else "sequential",
        "exchanges": len(exchanges),
        "wall_s": round(time.perf_counter() - t, 1),
        "voice_to_voice_ms": _stats(v2v),
        "response_ms": _stats(resp),
        "stages": [
            {"stage": s, "p50_ms": float(p50), "p95_ms": float(p95)}
            for s, p50, p95 in latency_rows(doc)
        ],
        "stats": doc["stats"],
    }


def _stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    arr = np.asarray(values)
    return {
        "p50": round(float(np.percentile(arr, 50)), 1),
        "p95": round(float(np.percentile(arr, 95)), 1),
        "max": round(float(arr.max()), 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--answers", type=int, default=10, help="answers per run (even: question + follow-up)"
    )
    ap.add_argument("--out", type=Path, default=REPO / "bench-out" / "pipeline")
    args = ap.parse_args()
    answers = ANSWERS[: max(2, args.answers)]
    eng = load_engines(EMBEDDED, progress=lambda m: print(m, file=sys.stderr))
    results = []
    for streaming in (True, False):
        print(
            f"running the {'streaming' if streaming else 'sequential'} pipeline ...",
            file=sys.stderr,
        )
        results.append(
            one_run(
                eng,
                streaming=streaming,
                answers=answers,
                questions=len(answers) // 2,
                out=args.out / ("streaming" if streaming else "sequential"),
            )
        )
    s, q = results
    ratio = None
    if s["voice_to_voice_ms"]["p50"] and q["voice_to_voice_ms"]["p50"]:
        ratio = round(s["voice_to_voice_ms"]["p50"] / q["voice_to_voice_ms"]["p50"], 3)
    doc = {"runs": results, "e2e": {"streaming_p50_ms": s["voice_to_voice_ms"]["p50"],
                                    "streaming_p95_ms": s["voice_to_voice_ms"]["p95"],
                                    "sequential_p50_ms": q["voice_to_voice_ms"]["p50"],
                                    "sequential_p95_ms": q["voice_to_voice_ms"]["p95"],
                                    "p50_ratio": ratio}}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(doc, indent=2))
    print(
        "| pipeline | exchanges | voice-to-voice p50 / p95 / max ms | response p50 / p95 / max ms |"
    )
    print("|---|---:|---|---|")
    for r in results:
        v, p = r["voice_to_voice_ms"], r["response_ms"]
        print(
            f"| {r['mode']} | {r['exchanges']} | {v['p50']} / {v['p95']} / {v['max']} | "
            f"{p['p50']} / {p['p95']} / {p['max']} |"
        )
    print(f"\nstreaming / sequential voice-to-voice p50 ratio: {ratio}")
    for r in results:
        print(
            f"\n{r['mode']} stages (ms): "
            + "; ".join(
                f"{st['stage']} {st['p50_ms']:.0f}/{st['p95_ms']:.0f}" for st in r["stages"]
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
