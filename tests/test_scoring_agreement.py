"""The scorer ranks the labelled answers (benchmarks/data/scoring_labels.yaml) in label order.

Rules only (deterministic, pure Python); the LLM's effect is measured by
benchmarks/scoring_agreement.py, not asserted, since the embedded 270M model's verdicts are noise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.errors import ConfigError
from interviewer.interview.bank import load_bank
from interviewer.scoring.agreement import evaluate, load_labelled, spearman

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
