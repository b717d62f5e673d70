"""Follow-up quality of one LLM on the labelled set, or an even spread of it.

    .venv/bin/python benchmarks/followup_models.py --llm PATH|NAME|embedded [--threads N]
        [--cases N] [--cache FILE] [--out FILE]

The figures of ``interviewer bench --only followups`` (grounded, relevant, invents an entity,
the share of the model's text used, time per proposal) for the rules and for the given model,
on ``--cases N`` cases spread evenly over ``benchmarks/data/followup_quality.yaml`` (0: all
22). A follow-up from an instruction-tuned model costs minutes on a loaded 2-core machine, so
the model's JSON answers are kept in ``--cache`` and a rerun (or a longer run) reuses them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from interviewer import engines
from interviewer.bench.followups import load_quality_set, policy_figures
from interviewer.bench.llmcache import CachedLLM
from interviewer.config import load_settings
from interviewer.context import llm_is_instruction_tuned
from interviewer.interview.bank import DEFAULT_BANK_DIR, load_bank
from interviewer.interview.followup import FollowUpPolicy


def _line(name: str, f: dict[str, Any]) -> str:
    ms = f["propose_ms"]
    return (
        f"{name}: {f['n']} proposals, grounded {f['grounded']:.0%}, relevant {f['relevant']:.0%}, "
        f"invents {f['invents']:.0%}, quotes the answer {f['quotes_answer']:.0%}, model's text "
        f"used {f['model_used']:.0%}, distinct {f['distinct']}, p50 {ms['p50']:.0f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--llm", required=True, help="GGUF path, manifest name or 'embedded'")
    ap.add_argument("--threads", type=int, help="CPU threads for the model (default: all)")
    ap.add_argument("--cases", type=int, default=0, help="cases spread over the set (0: all)")
    ap.add_argument("--cache", type=Path, help="JSON file of the model's answers")
    ap.add_argument("--out", type=Path, default=Path("bench-out/followups/models.json"))
    args = ap.parse_args()

    # The set's questions are the shipped ones, as in `interviewer bench --only followups`.
    cases = load_quality_set(load_bank([DEFAULT_BANK_DIR]))
    if args.cases:
        step = max(1, len(cases) // args.cases)
        cases = cases[::step][: args.cases]
    settings = load_settings(llm=args.llm, threads=args.threads)
    model = engines.load_llm(settings)
    tuned = llm_is_instruction_tuned(settings)
    cache = args.cache or args.out.with_name(f"followups-{model.model_id}.json")
    llm = CachedLLM(model, cache)
    result: dict[str, Any] = {
        "cases": [c.question.id for c in cases],
        "model": model.model_id,
        "instruction_tuned": tuned,
    }
    result["rules"] = policy_figures(cases, FollowUpPolicy(None).propose)
    print(_line("rules", result["rules"]))
    figures = policy_figures(cases, FollowUpPolicy(llm, instruction_tuned=tuned).propose)
    # Times of the proposals the model made in this run; cached ones took milliseconds.
    figures["model_seconds"] = llm.seconds or llm.recorded_seconds()
    result[model.model_id] = figures
    print(_line(model.model_id, figures))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
