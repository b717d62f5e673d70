"""The scorer ranks the labelled answers (benchmarks/data/scoring_labels.yaml) in label order.

Rules only (deterministic, pure Python); the LLM's effect is measured by
benchmarks/scoring_agreement.py, not asserted, since the embedded 270M model's verdicts are noise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.errors import ConfigError
from interviewer.interview.bank import load_bank
from interviewer.scoring.agreement import (
    TRAP_KINDS,
    LabelledAnswer,
    TrapPair,
    calibration,
    evaluate,
    evaluate_pairs,
    load_labelled,
    load_pairs,
    spearman,
)

LABELS = Path(__file__).parents[1] / "benchmarks" / "data" / "scoring_labels.yaml"


def test_spearman_matches_hand_computed_values() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ties take their average rank: ranks (1.5, 1.5, 3) vs (1, 2, 3) -> r = 0.866
    assert spearman([1, 1, 2], [1, 2, 3]) == pytest.approx(0.8660254, abs=1e-6)
    assert spearman([1, 1, 1], [1, 2, 3]) != spearman([1, 1, 1], [1, 2, 3])  # nan


def test_labelled_set_is_ranked_in_label_order() -> None:
    items = load_labelled(LABELS)
    assert len(items) >= 20 and len({i.question_id for i in items}) >= 5
    result = evaluate(items, load_bank())
    assert result["spearman"] >= 0.8, result
    # within every question the best answer outscores the worst one
    for qid in {i.question_id for i in items}:
        pairs = [
            (i.label, s)
            for i, s in zip(items, result["scores"], strict=True)
            if i.question_id == qid
        ]
        assert max(pairs)[1] > min(pairs)[1], (qid, pairs)


def test_bad_labelled_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "labels.yaml"
    bad.write_text("items:\n  - question: x\n")
    with pytest.raises(ConfigError, match=r"labels\.yaml"):
        load_labelled(bad)


PAIRS = Path(__file__).parents[1] / "benchmarks" / "data" / "trap_pairs.yaml"


def test_trap_pairs_cover_every_kind_and_every_bank_file() -> None:
    pairs = load_pairs(PAIRS)
    bank = load_bank()
    assert len(pairs) >= 40
    assert {p.kind for p in pairs} == set(TRAP_KINDS)
    prefixes = {p.question_id.split(".")[0] for p in pairs}
    assert prefixes == {"beh", "ds", "mle", "pm", "swe"}
    for p in pairs:
        bank.get(p.question_id)  # every question exists
        assert p.better.label > p.worse.label, p
        # worse answers are not given away by being much shorter
        assert len(p.worse.text.split()) >= 0.6 * len(p.better.text.split()), p


def test_pair_metrics_count_ties_as_half_and_report_per_kind() -> None:
    bank = load_bank()
    q = "ds.stats.p_value"
    good = LabelledAnswer(q, 4, " ".join(["A p-value is the probability of data this extreme"] * 3))
    same = TrapPair(q, "circular", good, LabelledAnswer(q, 1, good.text))
    result = evaluate_pairs([same], bank)
    assert result["pairwise_accuracy"] == 0.5 and result["mean_margin"] == 0.0
    assert result["per_kind"] == {"circular": {"n": 1, "accuracy": 0.5, "margin": 0.0}}
    assert calibration([4, 4, 1], [4.0, 5.0, 2.0]) == {"4": 4.5, "1": 2.0}


def test_bad_pairs_file_names_the_file_and_the_kind(tmp_path: Path) -> None:
    bad = tmp_path / "pairs.yaml"
    bad.write_text(
        "pairs:\n  - question: x\n    kind: sneaky\n"
        "    better: {label: 4, text: a}\n    worse: {label: 1, text: b}\n"
    )
    with pytest.raises(ConfigError, match=r"pairs\.yaml.*sneaky"):
        load_pairs(bad)
