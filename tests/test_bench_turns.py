"""The turn-taking bench: the shipped set, pause kinds, words lost, the replay of one answer
against both policies, and a whole turns section on fake engines (real time, two answers)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from interviewer.bench.common import BenchConfig, EngineSet, Progress
from interviewer.bench.turns import TURN_SET, bench_turns, load_turn_set, words_lost
from interviewer.bench.turns_replay import (
    CURVE,
    EXTRA_EVIDENCE,
    ReplayItem,
    _Pause,
    endpoint_config,
    pause_marks,
    replay,
)
from interviewer.config import Settings
from interviewer.engines.fakes import FakeLLM, FakeSTT, FakeTTS, FakeVAD
from interviewer.errors import ConfigError
from interviewer.pipeline.turn_end import Prosody

STORY = "Tell me about a time you led a difficult project."
F = 512 / 16_000


def test_the_shipped_set_has_every_pause_kind_and_as_many_complete_answers() -> None:
    scripts = load_turn_set(TURN_SET)
    answers = [a for s in scripts for a in s.answers]
    paused = [a for a in answers if "[pause" in (a.text or "")]
    assert len(paused) * 2 == len(answers) >= 24
    assert len({s.speed for s in scripts}) >= 3
    marks = [m for a in paused for m in pause_marks(a.text or "")]
    assert {m.kind for m in marks} == {
        "filler", "conjunction", "mid-clause", "opening", "between parts"
    }  # fmt: skip
    assert all(0.8 <= m.seconds <= 3.0 for m in marks)


def test_a_set_without_questions_is_an_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("answers:\n  - text: hello there\n")
    with pytest.raises(ConfigError, match=r"x\.yaml: answers\[1\]: .*question"):
        load_turn_set(tmp_path)
    with pytest.raises(ConfigError, match="no turn-taking scripts"):
        load_turn_set(tmp_path / "missing")


def test_pause_marks_say_where_each_pause_falls() -> None:
    text = (
        "Sure. [pause 1.6] At my last job I led a migration, and [pause 1.8] it was hard. Um, "
        "[pause 2.0] the old dashboards [pause 1.0] had to stay up. We finished early. "
        "[pause 1.2] I learned a lot."
    )
    assert [(m.kind, m.seconds) for m in pause_marks(text)] == [
        ("opening", 1.6),
        ("conjunction", 1.8),
        ("filler", 2.0),
        ("mid-clause", 1.0),
        ("between parts", 1.2),
    ]


def test_words_lost_counts_substitutions_and_deletions_not_insertions() -> None:
    said = ["I led the migration and it was hard", "we finished early"]
    # "led" misheard, "and it was hard" lost, two extra words and an extra turn inserted
    heard = ["I let the migration", "um well we finished early", "thank you"]
    lost = words_lost(said, heard)
    assert lost == {"words": 11, "lost": 5, "rate": 0.4545}
    assert words_lost(said, [])["rate"] == 1.0
    assert words_lost(said, said)["rate"] == 0.0


def _item(tail_text: str, question: str) -> ReplayItem:
    """1 s of speech, a 1.5 s pause, 1 s of speech, 4 s of silence."""
    probs = [0.9] * 31 + [0.0] * 47 + [0.9] * 31 + [0.0] * 125
    return ReplayItem(
        "x.yaml",
        0,
        question,
        True,
        [],
        probs,
        109 * F,
        {31: _Pause(tail_text, Prosody(None, 0.0, None), 0.25)},
    )


def test_replay_rules_cut_in_on_a_closed_first_sentence_and_the_prediction_waits() -> None:
    item = _item("At my last job I led the migration of our reporting stack.", STORY)
    before = replay(item, endpoint_config("rules"))
    after = replay(item, endpoint_config("predict"))
    assert before.cut_in and before.end_delay is None
    assert not after.cut_in
    # at the real end the final's text is not known to the replay: the fallback wait applies
    assert after.end_delay is not None and after.end_delay > 0


def test_replay_ends_a_follow_up_answer_quickly_at_its_real_end() -> None:
    probs = [0.9] * 40 + [0.0] * 150
    item = ReplayItem(
        "x.yaml", 0, "How did you measure it?", False, [], probs, 40 * F,
        {40: _Pause("I compared it with the last quarter.", None, 0.2)},
    )  # fmt: skip
    for model in ("rules", "predict"):
        out = replay(item, endpoint_config(model))
        assert not out.cut_in
        assert out.end_delay == pytest.approx(0.55, abs=2 * F)


def test_every_curve_point_builds_a_config() -> None:
    for model, _, settings in CURVE:
        assert endpoint_config(model, **settings).turn_model == model


# ---------------------------------------------------------------------------- on fakes

SET = """\
speed: 1.0
answers:
  - question: "Tell me about a time you led a difficult project."
    text: "I led the project. [pause 1.2] I planned it, and we shipped it early."
  - question: "How did you plan it?"
    text: "I listed the risks first."
"""


def _heard(audio: np.ndarray) -> str:
    # a closed sentence at every pause: what Whisper writes, and what fools the rules
    return "I led the project."


@pytest.fixture(scope="module")
def turns_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("turns")
    folder = tmp / "set"
    folder.mkdir()
    (folder / "one.yaml").write_text(SET)
    factories: dict[str, Callable[[], Any]] = {
        "vad": FakeVAD,
        "stt": lambda: FakeSTT(_heard),
        "llm": lambda: FakeLLM(),
        "tts": lambda: FakeTTS(seconds_per_char=0.006),
        "candidate_tts": lambda: FakeTTS(seconds_per_char=0.02),
    }
    eng = EngineSet(Settings(device="cpu"), factories=factories)
    cfg = BenchConfig.make(True, sections=("turns",))
    return bench_turns(eng, cfg, Progress(lambda line: None), tmp / "out", folder=folder)


def test_turns_section_on_fakes(turns_run: dict[str, Any]) -> None:
    res = turns_run
    assert res["answers"] == 2 and res["answers_with_pauses"] == 1
    assert res["pauses"] == {"opening": 1}
    # the fake model cannot vote; the fake recogniser gives word times, so that row is replayed
    extra = [label for label, _, kinds in EXTRA_EVIDENCE if kinds == {"words"}]
    assert [r["setting"] for r in res["replay"]] == [c[1] for c in CURVE] + extra
    assert "llm" not in res["evidence"] and res["evidence"]["unheard"]["auc"] is not None
    assert res["evidence"]["pauses_inside"] == 1 and res["evidence"]["answer_ends"] == 2
    before = res["replay"][0]
    assert before["model"] == "rules" and before["cut_in_rate"] == 1.0
    runs = res["interviews"]
    assert [(r["model"], r["paused"]) for r in runs] == [
        ("rules", True), ("rules", False), ("predict", True), ("predict", False)
    ]  # fmt: skip
    for r in runs:
        assert not r["watchdog_fired"]
        assert 0.0 <= r["words_lost"]["rate"] <= 1.0
    rules_paused, _, predict_paused, _ = runs
    # the rules end the turn 0.55 s into the pause: the interviewer talks over the answer
    assert rules_paused["cut_ins"] >= 1 and rules_paused["cut_in_rate"] == 1.0
    assert predict_paused["cut_ins"] == 0
    summary = res["summary"]
    assert summary["rules"]["cut_in_rate"] == 1.0
    assert summary["predict"]["cut_in_rate"] == 0.0
    assert summary["predict"]["voice_to_voice_p50_ms"] is not None
