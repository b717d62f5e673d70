"""CachedLLM: the benchmarks' store of model verdicts (a fake model counts the calls)."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.bench.llmcache import CachedLLM
from interviewer.engines.fakes import FakeLLM
from interviewer.errors import ModelError

SCHEMA = {"type": "object", "properties": {"score": {"type": "integer"}}, "required": ["score"]}


def test_a_verdict_is_asked_once_and_reread_from_the_file(tmp_path: Path) -> None:
    model = FakeLLM(json_replies=[{"score": 4}, {"score": 1}])
    path = tmp_path / "verdicts.json"
    first = CachedLLM(model, path)

    assert first.complete_json("judge this", SCHEMA, max_tokens=50) == {"score": 4}
    assert first.complete_json("judge this", SCHEMA, max_tokens=50) == {"score": 4}
    assert len(model.prompts) == 1 and first.hits == 1 and len(first.seconds) == 1

    # Anything that decides the verdict is in the key: another budget is another question.
    assert first.complete_json("judge this", SCHEMA, max_tokens=60) == {"score": 1}
    assert len(model.prompts) == 2

    # A later run with no model at all answers from the file, and only from it.
    again = CachedLLM(None, path, model_id="fake-llm")
    assert again.complete_json("judge this", SCHEMA, max_tokens=50) == {"score": 4}
    assert len(again.recorded_seconds()) == 2
    with pytest.raises(ModelError, match="no cached verdict"):
        again.complete_json("something new", SCHEMA, max_tokens=50)


def test_a_failed_verdict_fails_the_same_way_from_the_cache(tmp_path: Path) -> None:
    model = FakeLLM(json_replies=[{"score": "high"}])  # breaks the schema
    path = tmp_path / "verdicts.json"
    with pytest.raises(ModelError, match="breaks the schema"):
        CachedLLM(model, path).complete_json("judge", SCHEMA)
    with pytest.raises(ModelError, match="breaks the schema"):
        CachedLLM(None, path, model_id="fake-llm").complete_json("judge", SCHEMA)
    assert len(model.prompts) == 1
