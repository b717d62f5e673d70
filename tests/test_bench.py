"""The benchmark machinery: sections, WER sets, streaming WER, the trimmed interview brain, the
run with fake engines, outputs, compare; then the CLI on the real engines (session fixtures)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from interviewer.audio.io import load_audio
from interviewer.bench.common import (
    SECTIONS,
    BenchConfig,
    Progress,
    parse_sections,
    summarize_ms,
)
from interviewer.bench.e2e import interview_brain
from interviewer.bench.engines import TTS_BY_LENGTH
from interviewer.bench.report import compare, headline, summary_markdown, write_charts
from interviewer.bench.run import load_results, run_bench, write_outputs
from interviewer.bench.wer import corpus_wer, load_wer_set, stream_transcribe
from interviewer.config import Settings
from interviewer.engines.fakes import FakeLLM, FakeSTT, FakeTTS, FakeVAD
from interviewer.errors import ConfigError
from interviewer.interview.bank import load_bank
from interviewer.interview.base import Answer
from tests.conftest import SHARED_AUDIO, require_audio

PNG = b"\x89PNG\r\n\x1a\n"
SR = 16_000


def _tone(seconds: float, amplitude: float = 0.2) -> np.ndarray:
    t = np.arange(int(seconds * SR), dtype=np.float32) / SR
    return (amplitude * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SR), dtype=np.float32)


def _heard(audio: np.ndarray) -> str:
    """The fake STT's text: a word per loud stretch, "soft" or "loud" by its level."""
    words, level = [], 0.0
    for i in range(0, len(audio) - 511, 512):
        rms = float(np.sqrt(np.mean(audio[i : i + 512] ** 2)))
        if rms > 0.01:
            level = max(level, rms)
        elif level:
            words.append("soft" if level < 0.15 else "loud")
            level = 0.0
    if level:
        words.append("soft" if level < 0.15 else "loud")
    return " ".join(words)


# ---------------------------------------------------------------------------- small pieces


def test_sections_parse_in_run_order_and_reject_unknown_names() -> None:
    assert parse_sections("concurrency, vad,stt") == ("vad", "stt", "concurrency")
    assert parse_sections(None) == parse_sections("")
    assert "e2e" in parse_sections(None)
    with pytest.raises(ConfigError, match="--only gpu: unknown section; sections: vad"):
        parse_sections("vad,gpu")


def test_quick_config_and_overrides() -> None:
    quick = BenchConfig.make(True, repeats=None, answers=4)
    full = BenchConfig.make(False)
    assert quick.quick and not full.quick
    assert quick.answers == 4  # given
    assert quick.repeats < full.repeats  # None keeps the quick default
    assert max(quick.concurrency) < max(full.concurrency)
    # quick runs reuse the e2e streaming run as their single-interview level
    assert quick.concurrency_answers == BenchConfig.make(True).answers
    # answers come as a question and its follow-up: an odd count is rounded down
    assert BenchConfig.make(False, answers=5, concurrency_answers=3).answers == 4
    assert BenchConfig.make(False, concurrency_answers=3).concurrency_answers == 2
    assert BenchConfig.make(False, answers=1).answers == 1


def test_summarize_ms_reports_percentiles_in_ms() -> None:
    s = summarize_ms([0.001, 0.002, 0.003, 0.004])
    assert s["n"] == 4
    assert s["p50"] == pytest.approx(2.5)
    assert s["max"] == pytest.approx(4.0)
    assert s["mean"] == pytest.approx(2.5)
    p95 = s["p95"]
    assert p95 is not None and 3.0 < p95 < 4.0
    assert summarize_ms([])["p50"] is None


# ---------------------------------------------------------------------------- WER sets


def test_wer_set_from_a_manifest(tmp_path: Path) -> None:
    sf.write(tmp_path / "a.wav", _tone(0.5), SR)
    sf.write(tmp_path / "b.wav", _tone(0.5), SR)
    (tmp_path / "MANIFEST.tsv").write_text(
        "file\tduration_s\treference_transcript\na.wav\t0.5\tHello there.\nb.wav\t0.5\tNONE\n"
    )
    clips = load_wer_set(tmp_path)
    assert [(c.name, c.reference) for c in clips] == [("a.wav", "Hello there.")]
    # the manifest file itself is accepted too
    assert load_wer_set(tmp_path / "MANIFEST.tsv") == clips


def test_wer_set_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "MANIFEST.tsv").write_text("file\treference\ngone.wav\tsome words\n")
    with pytest.raises(ConfigError, match=r"MANIFEST.tsv:2: no such audio file .*gone.wav"):
        load_wer_set(tmp_path)
    (tmp_path / "MANIFEST.tsv").write_text("path,text\nx.wav,words\n")
    with pytest.raises(ConfigError, match="needs a header with 'file' and 'reference_transcript'"):
        load_wer_set(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="no clips with reference transcripts"):
        load_wer_set(empty)
    with pytest.raises(ConfigError, match="no such folder or file"):
        load_wer_set(tmp_path / "missing")


def test_wer_set_from_wav_and_txt_pairs(tmp_path: Path) -> None:
    sf.write(tmp_path / "one.wav", _tone(0.5), SR)
    (tmp_path / "one.txt").write_text("first answer\n")
    sf.write(tmp_path / "two.flac", _tone(0.5), SR)
    (tmp_path / "two.txt").write_text("second answer")
    sf.write(tmp_path / "no_reference.wav", _tone(0.5), SR)
    clips = load_wer_set(tmp_path)
    assert [(c.name, c.reference) for c in clips] == [
        ("one.wav", "first answer"),
        ("two.flac", "second answer"),
    ]


def test_corpus_wer_counts_errors_over_all_reference_words() -> None:
    # 1 substitution in 4 words + 1 deletion in 2 words = 2 errors / 6 words
    assert corpus_wer(["a b c d", "Ten apples."], ["a b x d", "10"]) == pytest.approx(2 / 6, 1e-3)


def test_corpus_word_error_rate_edges() -> None:
    from interviewer.metrics import corpus_word_error_rate

    # nothing heard for one answer: every one of its words is an error
    assert corpus_word_error_rate(["a b c", "d"], ["a b c", ""]) == pytest.approx(1 / 4)
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        corpus_word_error_rate(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="empty after normalisation"):
        corpus_word_error_rate(["a", "..."], ["a", "b"])


# ---------------------------------------------------------------------------- streaming WER


def test_streaming_commits_at_pauses_and_keeps_the_whole_text() -> None:
    stt = FakeSTT(_heard)
    audio = np.concatenate(
        [_silence(0.3), _tone(1.0, 0.1), _silence(0.6), _tone(1.0, 0.3), _silence(0.2)]
    )
    text, calls = stream_transcribe(audio, FakeVAD(), stt)
    assert text == "soft loud"
    assert calls["final"] >= 2
    # the first stretch was committed at the pause, so no call ever covered both stretches
    assert max(stt.calls) < int(2.6 * SR), stt.calls


def test_streaming_on_silence_makes_no_stt_call() -> None:
    stt = FakeSTT(["never"])
    text, calls = stream_transcribe(_silence(2.0), FakeVAD(), stt)
    assert text == ""
    assert stt.calls == []
    assert sum(calls.values()) == 0


@pytest.mark.real
def test_streaming_wer_on_real_speech(real_vad: Any, real_stt: Any) -> None:
    require_audio()
    clip = SHARED_AUDIO / "sb_harvard_spk1_snt5.wav"
    text, calls = stream_transcribe(load_audio(clip), real_vad, real_stt)
    assert calls["final"] >= 1
    # the offline pass gets this clip right; streaming must stay close (same per-clip bound
    # style as the STT tests)
    assert corpus_wer(["SUNDAY IS THE BEST PART OF THE WEEK"], [text]) <= 0.25, text


# ---------------------------------------------------------------------------- the bench brain


def test_bench_brain_asks_only_the_question_and_ends_after_the_last_answer() -> None:
    brain = interview_brain(FakeLLM(json_replies=[{"question": "What did you measure?"}]), 2)
    opening = brain.start()
    question = "".join(opening.pieces)
    # the bank question alone, without the greeting before it
    assert question in {q.text for q in load_bank()}
    long = "I led the migration of our billing data and we finished two weeks early."
    follow = brain.on_answer(Answer(long, 5.0))
    assert follow.kind == "follow_up"
    assert "".join(follow.pieces)
    assert not brain.finished
    last = brain.on_answer(Answer(long, 5.0))
    assert last.kind == "closing" and last.finished and brain.finished
    said = "".join(last.pieces)
    assert "That's all the questions I have." in said
    assert "questions for me" not in said  # the candidate's-questions round is skipped


# ---------------------------------------------------------------------------- a run on fakes

ANSWER_TEXT = "I led the project and we shipped it on time."


def _fake_factories() -> dict[str, Any]:
    def tts() -> FakeTTS:
        return FakeTTS(seconds_per_char=0.006)  # short audio: the interviews run in real time

    return {
        "vad": FakeVAD,
        "stt": lambda: FakeSTT([ANSWER_TEXT]),
        "llm": lambda: FakeLLM(["The candidate explained the plan in detail."]),
        "tts": tts,
        "candidate_tts": tts,
    }


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    tmp = tmp_path_factory.mktemp("fake-bench")
    wer_dir = tmp / "wer"
    wer_dir.mkdir()
    for name in ("x", "y"):
        sf.write(wer_dir / f"{name}.wav", np.concatenate([_silence(0.2), _tone(0.8)]), SR)
        (wer_dir / f"{name}.txt").write_text(ANSWER_TEXT)
    cfg = BenchConfig.make(
        True,
        # the turns section has its own run on fakes (tests/test_bench_turns.py)
        sections=tuple(s for s in SECTIONS if s != "turns"),
        answers=1,
        concurrency=(1, 2),
        concurrency_answers=1,
        repeats=2,
        wer_data=(wer_dir,),
        vad_frames=50,
    )
    lines: list[str] = []
    out = tmp / "out"
    results = run_bench(
        Settings(device="cpu"),
        cfg,
        out,
        progress=Progress(lines.append),
        factories=_fake_factories(),
        command="interviewer bench --test",
    )
    assert lines and all("s] " in line for line in lines)
    write_outputs(results, out)
    return results, out


def test_fake_run_fills_every_section(fake_run: tuple[dict[str, Any], Path]) -> None:
    results, _ = fake_run
    assert results["sections"] == [
        "vad", "stt", "llm", "tts", "followups", "wer", "judgement", "e2e", "concurrency"
    ]  # fmt: skip
    policies = results["followups"]["policies"]
    assert set(policies) == {"rules", "fake-llm"}
    assert policies["rules"]["invents"] == 0.0 and policies["fake-llm"]["n"] >= 20
    assert results["machine"]["models"]["stt"] == "fake-stt"
    trap = results["judgement"]["trap"]
    assert trap["pairs"] >= 10 and 0 <= trap["pairwise_accuracy"] <= 1
    assert set(trap["per_kind"]) <= {
        "off_question", "wrong_confident", "buzzwords", "we_only", "hypothetical", "circular"
    }  # fmt: skip
    assert set(results["machine"]["devices"]) == {"vad", "stt", "llm", "tts"}
    assert results["vad"]["per_frame_ms"]["n"] == 50
    # the fake STT has no short-window switch: one beam-1 text mode, no 30 s window variant
    assert set(results["stt"]["clips"][0]["modes"]) == {
        "words_b1",
        "words_b5",
        "text_b1_short",
        "text_b5",
    }
    assert results["llm"]["generation"]["tokens"] == 7  # the fake's scripted reply, in words
    assert [s["words"] for s in results["tts"]["sentences"]] == [
        len(t.split()) for t in TTS_BY_LENGTH[:3]
    ]
    wer = results["wer"]["models"][0]
    assert wer["clips"] == 2
    assert wer["corpus_wer"] == {"offline": 0.0, "offline_text": 0.0, "streaming": 0.0}


def test_fake_run_end_to_end_and_concurrency(fake_run: tuple[dict[str, Any], Path]) -> None:
    results, out = fake_run
    e2e = results["e2e"]
    assert set(e2e) == {
        "streaming_p50_ms",
        "streaming_p95_ms",
        "sequential_p50_ms",
        "sequential_p95_ms",
        "p50_ratio",
        "streaming_substance_p50_ms",
        "streaming_substance_p95_ms",
        "sequential_substance_p50_ms",
        "streaming_max_silence_ms",
    }
    runs = results["pipeline"]["runs"]
    assert [r["mode"] for r in runs] == ["streaming", "sequential"]
    for r in runs:
        assert r["exchanges"] == 1  # one answer, then the trimmed closing
        assert not r["watchdog_fired"]
        assert r["voice_to_voice_ms"]["p50"] is not None
        assert r["stages"][0]["stage"] == "speech_end -> endpoint"
        # the only exchange ends the trimmed interview: silences measured, no question asked
        assert r["max_silence_ms"]["max"] is not None
    assert e2e["p50_ratio"] == pytest.approx(
        e2e["streaming_p50_ms"] / e2e["sequential_p50_ms"], abs=1e-3
    )
    assert (out / "e2e" / "streaming.wav").exists()
    conc = results["concurrency"]
    levels = conc["levels"]
    assert levels[0]["interviews"] == 1
    # with as many answers as the e2e run, level 1 is that run, not a second one
    assert levels[0]["source"] == "e2e streaming run"
    assert levels[0]["response_ms"] == runs[0]["response_ms"]
    if len(levels) > 1:
        assert levels[1]["interviews"] == 2
        assert levels[1]["exchanges"] == 2
        assert levels[1]["cpu_cores_per_interview"] is not None
        assert levels[1]["stages"][0]["stage"] == "speech_end -> endpoint"


def test_outputs_summary_charts_and_results_json(fake_run: tuple[dict[str, Any], Path]) -> None:
    results, out = fake_run
    doc = json.loads((out / "results.json").read_text())
    assert doc["e2e"] == results["e2e"]
    assert doc["charts"]
    for name in doc["charts"]:
        assert (out / name).read_bytes()[:8] == PNG
    assert {"stt.png", "llm.png", "tts.png", "e2e_stages.png", "wer.png"} <= set(doc["charts"])
    summary = (out / "summary.md").read_text()
    for heading in ("## Engines", "## End to end", "## WER", "## Concurrency"):
        assert heading in summary
    assert "interviewer bench --test" in summary
    assert "the largest stage is" in summary


def test_headline_and_compare(fake_run: tuple[dict[str, Any], Path]) -> None:
    results, out = fake_run
    h = headline(results)
    assert h["e2e.streaming_p50_ms"] == results["e2e"]["streaming_p50_ms"]
    assert "vad.frame_p50_ms" in h and "llm.generate_tok_per_s" in h
    other = json.loads(json.dumps(results))
    other["e2e"]["streaming_p50_ms"] = results["e2e"]["streaming_p50_ms"] * 2
    del other["vad"]
    rows = {r["metric"]: r for r in compare(results, other)}
    assert rows["e2e.streaming_p50_ms"]["b_over_a"] == pytest.approx(2.0)
    assert rows["vad.frame_p50_ms"]["b"] is None and rows["vad.frame_p50_ms"]["b_over_a"] is None
    # a results.json or its folder loads without a store
    name, doc = load_results(str(out), None)
    assert name.endswith("results.json") and doc["e2e"] == results["e2e"]
    with pytest.raises(ConfigError, match=r"no such results\.json"):
        load_results(str(out / "nowhere"), None)


def test_summary_and_charts_of_a_partial_run(tmp_path: Path) -> None:
    results = {"sections": ["wer"], "wer": {"skipped": "no WER data: pass --wer-data DIR"}}
    assert "Skipped: no WER data" in summary_markdown(results)
    assert write_charts(results, tmp_path) == []


# ---------------------------------------------------------------------------- the CLI, real


@pytest.mark.real
def test_cli_bench_list_and_compare(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    real_vad: Any,
    real_stt: Any,
    real_tts: Any,
    real_llm: Any,
) -> None:
    from interviewer import context
    from interviewer.bench import e2e
    from interviewer.cli import app

    # a short answer: the interview runs in real time
    monkeypatch.setattr(e2e, "ANSWERS", ("I led the project and we shipped it on time.",))

    # the session's engines instead of a second copy of each model
    monkeypatch.setattr(
        context,
        "_default_factories",
        lambda settings: {
            "vad": lambda: real_vad,
            "stt": lambda: real_stt,
            "llm": lambda: real_llm,
            "tts": lambda: real_tts,
            "candidate_tts": lambda: real_tts,
        },
    )
    runner = CliRunner()
    db = tmp_path / "bench.duckdb"
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    res = runner.invoke(
        app,
        ["bench", "--quick", "--only", "vad,e2e", "--answers", "1", "--out", str(out_a),
         "--db", str(db), "--label", "first"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads((out_a / "results.json").read_text())
    assert doc["sections"] == ["vad", "e2e"]
    assert doc["command"].startswith("interviewer bench --quick --out ")
    assert "--only vad,e2e" in doc["command"] and "--answers 1" in doc["command"]
    assert doc["machine"]["devices"]["stt"].startswith("cpu")
    assert doc["e2e"]["streaming_p50_ms"] is not None
    assert doc["e2e"]["p50_ratio"] is not None
    assert (out_a / "summary.md").exists()
    assert (out_a / "e2e_stages.png").read_bytes()[:8] == PNG
    assert "voice-to-voice p50: streaming" in res.output

    res = runner.invoke(app, ["bench", "--only", "vad", "--quick", "--out", str(out_b),
                              "--db", str(db)])  # fmt: skip
    assert res.exit_code == 0, res.output

    res = runner.invoke(app, ["bench", "list", "--json", "--db", str(db)])
    assert res.exit_code == 0, res.output
    runs = json.loads(res.output)
    assert [r["label"] for r in runs] == ["", "first"]
    first, second = runs[1]["id"], runs[0]["id"]

    res = runner.invoke(app, ["bench", "compare", first[:5], second, "--json", "--db", str(db)])
    assert res.exit_code == 0, res.output
    rows = {r["metric"]: r for r in json.loads(res.output)["metrics"]}
    assert rows["e2e.p50_ratio"]["a"] == doc["e2e"]["p50_ratio"]
    assert rows["e2e.p50_ratio"]["b"] is None
    assert rows["vad.frame_p50_ms"]["b_over_a"] is not None

    # a folder and a stored id can be mixed; the table form prints every metric
    res = runner.invoke(app, ["bench", "compare", str(out_a), second, "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "vad.frame_p50_ms" in res.output

    res = runner.invoke(app, ["bench", "compare", "nope", second, "--db", str(db)])
    assert res.exit_code != 0
    assert "no benchmark run nope" in str(res.exception)


def test_cli_rejects_a_bad_section_before_loading_anything(tmp_path: Path) -> None:
    from interviewer.cli import app

    res = CliRunner().invoke(app, ["bench", "--only", "gpu", "--out", str(tmp_path)])
    assert isinstance(res.exception, ConfigError)
    assert "--only gpu: unknown section" in str(res.exception)
    assert not (tmp_path / "results.json").exists()
