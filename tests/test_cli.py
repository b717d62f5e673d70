"""The ``interviewer`` command as a user runs it: a subprocess, exit codes, stdout, stderr."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from interviewer.metrics import word_error_rate
from tests.conftest import Clip, clip_at, clip_named


def jfk() -> Clip:
    return clip_named("jfk_ask_not.flac")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "interviewer", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
        check=False,
    )


def assert_clean_failure(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 2, one line on stderr that names the problem, and no traceback."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:")
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_help_lists_the_commands() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    for cmd in ("transcribe", "say", "models"):
        assert cmd in proc.stdout


def test_version() -> None:
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("interviewer ")


@pytest.mark.parametrize(
    "content,needle",
    [
        (None, "no such file"),
        (b"", "empty"),
        (b"Notes from my interview prep, definitely not audio.\n" * 30, "cannot decode"),
    ],
    ids=["missing", "empty", "text-renamed-wav"],
)
def test_transcribe_bad_input(tmp_path: Path, content: bytes | None, needle: str) -> None:
    path = tmp_path / "answer.wav"
    if content is not None:
        path.write_bytes(content)
    assert_clean_failure(run("transcribe", str(path)), str(path), needle)


def test_transcribe_corrupt_wav(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.wav"
    path.write_bytes(clip_at(1).path.read_bytes()[:44] + b"\xff\x00garbage" * 3)
    proc = run("transcribe", str(path))
    assert_clean_failure(proc, str(path))


@pytest.mark.real
def test_transcribe_text_and_json() -> None:
    clip = jfk()
    proc = run("transcribe", str(clip.path))
    assert proc.returncode == 0, proc.stderr
    assert clip.reference is not None
    assert word_error_rate(clip.reference, proc.stdout) <= 0.1

    proc = run("transcribe", "--json", str(clip.path))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {"text", "duration", "segments"}
    assert data["duration"] == pytest.approx(clip.duration, abs=0.05)
    seg = data["segments"][0]
    assert {"start", "end", "text", "words"} <= set(seg)
    word = seg["words"][0]
    assert set(word) == {"word", "start", "end", "probability"}
    all_words = [w["word"] for s in data["segments"] for w in s["words"]]
    assert "Americans" in " ".join(all_words)


@pytest.mark.real
def test_say_writes_a_wav_that_whisper_understands(tmp_path: Path) -> None:
    out = tmp_path / "q.wav"
    text = "Tell me about a time you changed your mind."
    proc = run("say", text, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    info = sf.info(str(out))
    assert info.samplerate == 22_050 and info.channels == 1 and info.duration > 1.0
    back = run("transcribe", str(out))
    assert word_error_rate(text, back.stdout) <= 0.2


def test_say_rejects_empty_text_and_non_wav(tmp_path: Path) -> None:
    assert_clean_failure(run("say", "  ", "-o", str(tmp_path / "x.wav")), "empty")
    assert_clean_failure(run("say", "Hello.", "-o", str(tmp_path / "x.mp3")), "x.mp3", ".wav")


def test_missing_model_path_names_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    proc = run("--stt", str(missing), "transcribe", str(jfk().path))
    assert_clean_failure(proc, str(missing), "missing")


def test_unknown_model_name_says_how_to_download() -> None:
    proc = run("--llm", "qwen9-huge", "models", "--verify", "--role", "llm")
    assert_clean_failure(proc, "qwen9-huge", "interviewer models download qwen9-huge")


@pytest.mark.real
def test_truncated_gguf_is_a_clear_error(tmp_path: Path, real_llm) -> None:  # type: ignore[no-untyped-def]
    from interviewer.registry import embedded_llm_path

    truncated = tmp_path / "truncated.gguf"
    with embedded_llm_path().open("rb") as src:
        truncated.write_bytes(src.read(2_000_000))
    proc = run("--llm", str(truncated), "models", "--verify", "--role", "llm")
    assert_clean_failure(proc, str(truncated), "truncated")


@pytest.mark.real
def test_truncated_whisper_model_is_a_clear_error(tmp_path: Path) -> None:
    from interviewer.registry import resolve
    from tests.conftest import EMBEDDED

    src = resolve("stt", EMBEDDED).path
    broken = tmp_path / "whisper-broken"
    shutil.copytree(src, broken)
    data = (broken / "model.bin").read_bytes()
    (broken / "model.bin").write_bytes(data[: len(data) // 3])
    proc = run("--stt", str(broken), "transcribe", str(jfk().path))
    assert_clean_failure(proc, str(broken))


def test_not_a_gguf_file(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 this is a zip, not a model" * 100)
    proc = run("--llm", str(fake), "models", "--verify", "--role", "llm")
    assert_clean_failure(proc, str(fake), "not a GGUF file")


def test_bad_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[models]\nstt = 'x'\nbogus = 'y'\n")
    assert_clean_failure(run("--config", str(cfg), "models"), str(cfg), "bogus")
    cfg.write_text("[models\n")
    assert_clean_failure(run("--config", str(cfg), "models"), str(cfg), "invalid TOML")


def test_bad_device() -> None:
    assert_clean_failure(run("--device", "tpu", "models"), "device")


def test_models_table_lists_every_role() -> None:
    proc = run("models")
    assert proc.returncode == 0, proc.stderr
    for role, model_id in [
        ("vad", "silero-vad"),
        ("stt", "whisper-tiny.en"),
        ("llm", "gemma-3-270m-q4_k_m"),
        ("tts", "piper-en_US-joe-medium"),
    ]:
        assert any(role in ln and model_id in ln for ln in proc.stdout.splitlines()), proc.stdout
    assert "embedded" in proc.stdout


@pytest.mark.real
def test_models_verify_runs_every_engine() -> None:
    proc = run(
        "--vad",
        "embedded",
        "--stt",
        "embedded",
        "--llm",
        "embedded",
        "--tts",
        "embedded",
        "models",
        "--verify",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(" ok ") >= 4
    # The STT check hears the TTS check's sentence: a round trip through both engines.
    # (Piper samples noise, so the exact words heard can vary from run to run)
    assert "heard:" in proc.stdout and "project" in proc.stdout.lower()


def test_models_download_unknown_name() -> None:
    proc = run("models", "download", "no-such-model")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "no-such-model" in proc.stderr
