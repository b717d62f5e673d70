"""The same protocol tests for each fake and its real engine.

A fake that drifts from the real engine's behaviour would make the pipeline tests lie, so both
run through one set of checks here.
"""

from __future__ import annotations

import threading

import jsonschema
import numpy as np
import pytest

from interviewer.audio.io import load_audio
from interviewer.engines.base import LLM, STT, TTS, VAD
from interviewer.engines.fakes import FakeLLM, FakeSTT, FakeTTS, FakeVAD
from interviewer.types import AudioChunk, ChatMessage, Transcript
from tests.conftest import clip_at

SCHEMA = {
    "type": "object",
    "properties": {
        "question": {"type": "string", "maxLength": 80},
        "score": {"type": "integer", "minimum": 1, "maximum": 5},
    },
    "required": ["question", "score"],
    "additionalProperties": False,
}


def _engine(request: pytest.FixtureRequest, kind: str, role: str):  # type: ignore[no-untyped-def]
    if kind == "real":
        return request.getfixturevalue(f"real_{role}")
    if kind == "remote":
        return request.getfixturevalue(f"remote_{role}")
    return {
        "vad": lambda: FakeVAD(),
        "stt": lambda: FakeSTT(["and so my fellow americans"]),
        "llm": lambda: FakeLLM(
            ["Could you tell me more about the outcome of that project and what you learned?"],
            json_replies=[{"question": "What was the outcome?", "score": 3}],
            token_delay=0.001,
        ),
        "tts": lambda: FakeTTS(),
    }[role]()


KINDS = [pytest.param("fake"), pytest.param("real", marks=pytest.mark.real)]


@pytest.mark.parametrize("kind", KINDS)
def test_vad_protocol(request: pytest.FixtureRequest, kind: str) -> None:
    vad = _engine(request, kind, "vad")
    assert isinstance(vad, VAD)
    assert vad.frame_samples == 512
    speech = load_audio(clip_at(0).path)
    vad.reset()
    probs = [vad.speech_prob(speech[i : i + 512]) for i in range(0, 512 * 60, 512)]
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert max(probs) > 0.5
    vad.reset()
    assert vad.speech_prob(np.zeros(512, dtype=np.float32)) < 0.5
    with pytest.raises(ValueError):
        vad.speech_prob(np.zeros(100, dtype=np.float32))


@pytest.mark.parametrize("kind", KINDS)
def test_stt_protocol(request: pytest.FixtureRequest, kind: str) -> None:
    stt = _engine(request, kind, "stt")
    assert isinstance(stt, STT)
    audio = load_audio(clip_at(0).path)  # jfk
    result = stt.transcribe(audio, word_timestamps=True)
    assert isinstance(result, Transcript)
    assert "fellow americans" in result.text.lower()
    assert result.duration == pytest.approx(len(audio) / 16_000)
    assert result.segments and result.words
    assert all(0.0 <= w.probability <= 1.0 and w.start <= w.end for w in result.words)
    json_shape = result.to_json()
    assert set(json_shape) == {"text", "duration", "segments"}
    assert set(json_shape["segments"][0]["words"][0]) == {"word", "start", "end", "probability"}
    silent = stt.transcribe(np.zeros(8_000, dtype=np.float32))
    assert silent.text == "" and silent.no_speech_prob == 1.0


@pytest.mark.parametrize("kind", [*KINDS, pytest.param("remote", marks=pytest.mark.real)])
def test_llm_protocol(request: pytest.FixtureRequest, kind: str) -> None:
    llm = _engine(request, kind, "llm")
    assert isinstance(llm, LLM)
    pieces = list(llm.stream("Tell me about your last project because", max_tokens=12))
    assert llm.last_result is not None and "".join(pieces) == llm.last_result.text
    assert pieces
    msgs = [ChatMessage("system", "You are an interviewer."), ChatMessage("user", "Hello.")]
    assert isinstance("".join(llm.stream(msgs, max_tokens=8)), str)
    stop = threading.Event()
    got = []
    for piece in llm.stream("Once upon a time there", max_tokens=100, stop_event=stop):
        got.append(piece)
        stop.set()
    assert len(got) == 1 and llm.last_result is not None and llm.last_result.stopped
    value = llm.complete_json("Follow-up question as JSON: ", SCHEMA, max_tokens=120)
    jsonschema.validate(value, SCHEMA)
    base = "You are an interviewer. The candidate said:"
    list(llm.stream(base + " one thing", max_tokens=2))
    list(llm.stream(base + " another thing", max_tokens=2))
    assert llm.last_result is not None
    if kind != "remote":
        # A server reports its prefix cache only if it chooses to (vLLM does, llama-cpp-python's
        # does not), so the remote engine's count is 0 for "unknown".
        assert llm.last_result.reused_prompt_tokens > 0


@pytest.mark.parametrize("kind", KINDS)
def test_tts_protocol(request: pytest.FixtureRequest, kind: str) -> None:
    tts = _engine(request, kind, "tts")
    assert isinstance(tts, TTS)
    chunks = list(tts.synthesize("First sentence here. And a second one?"))
    assert [c.text for c in chunks] == ["First sentence here.", "And a second one?"]
    for c in chunks:
        assert isinstance(c, AudioChunk)
        assert c.sample_rate == tts.sample_rate
        assert c.audio.dtype == np.float32 and c.audio.ndim == 1
        assert c.duration > 0.3
    assert list(tts.synthesize("")) == []
