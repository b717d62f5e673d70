"""Follow-up quality: are the follow-ups the interviewer asks about what the candidate said?

Two measurements on the labelled set ``benchmarks/data/followup_quality.yaml``:

1. **The judge.** :func:`~interviewer.interview.grounding.judge_follow_up` labels each hand-
   judged follow-up; its agreement with the hand labels (grounded, relevant, invents) says how
   far its figures below can be trusted.
2. **The policy.** For each (question, answer) of the set the follow-up policy proposes a
   follow-up, rules only and with the LLM; the judge then gives the share that are grounded,
   relevant and that invent an entity, the share the model's text was used, and the time per
   proposal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from interviewer.bench.common import Progress, summarize_ms
from interviewer.config import REPO_ROOT
from interviewer.errors import ConfigError
from interviewer.interview.bank import Bank, Question

__all__ = [
    "QUALITY_SET",
    "Case",
    "Labelled",
    "bench_followups",
    "headline_figures",
    "judge_agreement",
    "load_quality_set",
    "policy_figures",
    "summary_lines",
]

QUALITY_SET = REPO_ROOT / "benchmarks" / "data" / "followup_quality.yaml"
_LABELS = ("grounded", "relevant", "invents", "acceptable")


@dataclass(frozen=True)
class Labelled:
    """One hand-judged follow-up."""

    text: str
    grounded: bool
    relevant: bool
    invents: bool
    acceptable: bool
    reason: str


@dataclass(frozen=True)
class Case:
    """A bank question, an answer to it, and the follow-ups judged on it."""

    question: Question
    answer: str
    follow_ups: tuple[Labelled, ...]


def load_quality_set(bank: Bank, path: Path = QUALITY_SET) -> list[Case]:
    """The labelled cases; a malformed file or an unknown question id is a ConfigError."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases = []
        for i, raw in enumerate(doc["cases"]):
            qid = raw["question"]
            if qid not in bank:
                raise ConfigError(f"{path}: case {i + 1}: no question {qid!r} in the bank")
            labelled = []
            for fu in raw["follow_ups"]:
                missing = [k for k in (*_LABELS, "text", "reason") if k not in fu]
                if missing:
                    raise ConfigError(f"{path}: case {i + 1}: follow-up lacks {missing[0]!r}")
                labelled.append(
                    Labelled(
                        text=str(fu["text"]),
                        grounded=bool(fu["grounded"]),
                        relevant=bool(fu["relevant"]),
                        invents=bool(fu["invents"]),
                        acceptable=bool(fu["acceptable"]),
                        reason=str(fu["reason"]),
                    )
                )
            cases.append(Case(bank.get(qid), " ".join(str(raw["answer"]).split()), tuple(labelled)))
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a follow-up quality set ({exc})") from exc
    return cases


def judge_agreement(cases: list[Case]) -> dict[str, Any]:
    """How often the automatic judge agrees with the hand labels, per label."""
    from interviewer.interview.grounding import judge_follow_up

    agree = {"grounded": 0, "relevant": 0, "invents": 0}
    misses: list[dict[str, Any]] = []
    n = 0
    for case in cases:
        for fu in case.follow_ups:
            n += 1
            j = judge_follow_up(fu.text, case.question, case.answer)
            got = {"grounded": j.grounded, "relevant": j.relevant, "invents": j.invents}
            want = {"grounded": fu.grounded, "relevant": fu.relevant, "invents": fu.invents}
            for label in agree:
                agree[label] += got[label] == want[label]
            wrong = [k for k in agree if got[k] != want[k]]
            if wrong:
                misses.append({"text": fu.text, "labels": wrong, "invented": list(j.invented)})
    acceptable = sum(fu.acceptable for c in cases for fu in c.follow_ups)
    return {
        "items": n,
        "acceptable_items": acceptable,
        "agreement": {k: round(v / n, 3) if n else None for k, v in agree.items()},
        "disagreements": misses,
    }


def policy_figures(
    cases: list[Case], propose: Callable[[Question, str], Any], progress: Progress | None = None
) -> dict[str, Any]:
    """Share of proposed follow-ups that are grounded, relevant, invent; timing and sources."""
    from interviewer.interview.grounding import judge_follow_up

    rows = []
    times = []
    for i, case in enumerate(cases):
        t0 = time.perf_counter()
        fu = propose(case.question, case.answer)
        times.append(time.perf_counter() - t0)
        j = judge_follow_up(fu.text, case.question, case.answer)
        rows.append(
            {
                "question_id": case.question.id,
                "follow_up": fu.text,
                "source": fu.source,
                "reason": fu.reason,
                "grounded": j.grounded,
                "relevant": j.relevant,
                "invented": list(j.invented),
                "echoes": list(j.echoes),
            }
        )
        if progress is not None and (i + 1) % 5 == 0:
            progress("followups", f"{i + 1}/{len(cases)} proposals")
    n = len(rows)

    def share(pred: Callable[[dict[str, Any]], bool]) -> float | None:
        return round(sum(map(pred, rows)) / n, 3) if n else None

    return {
        "n": n,
        "grounded": share(lambda r: r["grounded"]),
        "relevant": share(lambda r: r["relevant"]),
        "quotes_answer": share(lambda r: bool(r["echoes"])),
        "invents": share(lambda r: bool(r["invented"])),
        "model_used": share(lambda r: r["source"] == "llm"),
        "distinct": len({r["follow_up"] for r in rows}),
        "propose_ms": summarize_ms(times),
        "rows": rows,
    }


def bench_followups(
    llm: Any | None,
    progress: Progress,
    *,
    bank: Bank,
    path: Path = QUALITY_SET,
    instruction_tuned: bool = False,
    llm_id: str = "llm",
) -> dict[str, Any]:
    """The ``followups`` section: judge agreement, then rules only and with ``llm``."""
    from interviewer.interview.followup import FollowUpPolicy

    cases = load_quality_set(bank, path)
    result: dict[str, Any] = {"set": str(path.name), "judge": judge_agreement(cases)}
    policies: dict[str, Any] = {"rules": FollowUpPolicy(None)}
    if llm is not None:
        policies[llm_id] = FollowUpPolicy(llm, instruction_tuned=instruction_tuned)
    result["policies"] = {}
    for name, policy in policies.items():
        progress("followups", f"{name}: {len(cases)} proposals")
        result["policies"][name] = policy_figures(cases, policy.propose, progress)
    return result


def headline_figures(section: dict[str, Any]) -> dict[str, float]:
    """Flat figures for ``bench compare``: shares per policy and the judge's agreement."""
    m: dict[str, float] = {}
    for label, value in (section.get("judge") or {}).get("agreement", {}).items():
        if value is not None:
            m[f"followups.judge.{label}_agreement"] = float(value)
    for name, fig in (section.get("policies") or {}).items():
        for key in ("grounded", "quotes_answer", "relevant", "invents", "model_used"):
            if fig.get(key) is not None:
                m[f"followups.{name}.{key}"] = float(fig[key])
        p50 = (fig.get("propose_ms") or {}).get("p50")
        if p50 is not None:
            m[f"followups.{name}.propose_p50_ms"] = float(p50)
    return m


def summary_lines(section: dict[str, Any]) -> list[str]:
    """The section of summary.md."""
    judge = section["judge"]
    agree = judge["agreement"]
    lines = [
        "## Follow-ups",
        "",
        f"On {section['set']}: the policy proposes one follow-up per (question, answer); the "
        f"automatic judge agrees with the hand labels of its {judge['items']} follow-ups on "
        f"grounded {agree['grounded']:.0%}, relevant {agree['relevant']:.0%} and invented "
        f"entities {agree['invents']:.0%} of the time.",
        "",
        "| policy | proposals | grounded | quotes the answer | relevant | invents an entity "
        "| model's text used | distinct | p50 / p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, f in section["policies"].items():
        ms = f["propose_ms"]
        lines.append(
            f"| {name} | {f['n']} | {f['grounded']:.0%} | {f['quotes_answer']:.0%} | "
            f"{f['relevant']:.0%} | {f['invents']:.0%} | {f['model_used']:.0%} | "
            f"{f['distinct']} | {ms['p50']:.0f} / {ms['p95']:.0f} |"
        )
    lines.append("")
    return lines
