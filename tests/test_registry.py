"""Model resolution order: explicit path > downloaded (manifest) > embedded default."""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer import download
from interviewer.config import Settings, load_settings
from interviewer.errors import ConfigError, ModelError, ModelNotFoundError
from interviewer.registry import resolve, resolve_all

EMBEDDED_IDS = {
    "vad": "silero-vad",
    "stt": "whisper-tiny.en",
    "llm": "gemma-3-270m-q4_k_m",
    "tts": "piper-en_US-joe-medium",
}


@pytest.fixture
def no_downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty models dir and a manifest that lists nothing installed there."""
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setenv("INTERVIEWER_MODELS_DIR", str(models))
    return models


def test_auto_falls_back_to_embedded(no_downloads: Path) -> None:
    for model in resolve_all(Settings()):
        # The checkout's models/ holds only the manifest, so nothing is installed anywhere.
        assert model.source == "embedded", model
        assert model.model_id == EMBEDDED_IDS[model.role]
        assert model.ok, model.problem


def test_explicit_path_wins(tmp_path: Path) -> None:
    voice = resolve("tts", Settings(tts="embedded"))
    copy = tmp_path / "my-voice.onnx"
    shutil.copy(voice.path, copy)
    shutil.copy(voice.config_path or "", tmp_path / "my-voice.onnx.json")
    model = resolve("tts", Settings(tts=str(copy)))
    assert model.source == "path" and model.path == copy and model.ok
    assert model.config_path == tmp_path / "my-voice.onnx.json"


def test_explicit_path_missing_config_json(tmp_path: Path) -> None:
    onnx = tmp_path / "voice.onnx"
    onnx.write_bytes(b"\x08\x01" * 100)
    model = resolve("tts", Settings(tts=str(onnx)))
    assert not model.ok and "voice.onnx.json" in model.problem
    with pytest.raises(ModelError):
        model.require()


def test_missing_path_is_model_not_found(tmp_path: Path) -> None:
    model = resolve("stt", Settings(stt=str(tmp_path / "nope")))
    with pytest.raises(ModelNotFoundError, match="nope"):
        model.require()


def test_whisper_folder_missing_files(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"x" * 5000)
    model = resolve("stt", Settings(stt=str(tmp_path)))
    assert "config.json" in model.problem and "tokenizer.json" in model.problem


def test_unknown_name_tells_how_to_download(no_downloads: Path) -> None:
    model = resolve("llm", Settings(llm="some-model"))
    assert "interviewer models download some-model" in model.problem


def test_unknown_role() -> None:
    with pytest.raises(ConfigError, match="role"):
        resolve("camera", Settings())


@pytest.fixture
def served_voice(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Serve the embedded Piper voice over HTTP on 127.0.0.1, as if it were an upgrade."""
    voice = resolve("tts", Settings(tts="embedded"))
    root = tmp_path / "www"
    root.mkdir()
    shutil.copy(voice.path, root / "voice.onnx")
    shutil.copy(voice.config_path or "", root / "voice.onnx.json")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        thread.join()


def _manifest(tmp_path: Path, base_url: str, root: Path) -> Path:
    lines = [
        '[models."test-voice"]',
        'role = "tts"',
        'format = "piper"',
        'description = "test voice"',
        'license = "MIT"',
    ]
    for name in ("voice.onnx", "voice.onnx.json"):
        data = (root / name).read_bytes()
        lines += [
            '[[models."test-voice".files]]',
            f'path = "{name}"',
            f'url = "{base_url}/{name}"',
            f'sha256 = "{hashlib.sha256(data).hexdigest()}"',
            f"size = {len(data)}",
        ]
    path = tmp_path / "manifest.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.real
def test_downloaded_model_beats_embedded_and_loads(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_downloads: Path,
    served_voice: tuple[str, Path],
) -> None:
    base_url, root = served_voice
    manifest = _manifest(tmp_path, base_url, root)
    monkeypatch.setenv("INTERVIEWER_MANIFEST", str(manifest))
    assert resolve("tts", Settings()).source == "embedded"  # not downloaded yet

    entry = download.load_manifest(manifest)["test-voice"]
    download.download_model(entry, no_downloads, progress=False)

    auto = resolve("tts", Settings())
    assert (auto.source, auto.model_id) == ("downloaded", "test-voice")
    assert auto.path == no_downloads / "test-voice" / "voice.onnx"
    by_name = resolve("tts", Settings(tts="test-voice"))
    assert by_name.path == auto.path
    # "embedded" still pins the packaged voice
    assert resolve("tts", Settings(tts="embedded")).source == "embedded"

    from interviewer.engines import load_tts

    tts = load_tts(Settings(tts="test-voice"))
    assert tts.model_id == "test-voice"
    assert next(iter(tts.synthesize("It works."))).duration > 0.3


def test_settings_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[models]\nstt = "from-file"\nllm = "from-file"\n[engine]\nthreads = 3\n')
    monkeypatch.setenv("INTERVIEWER_LLM", "from-env")
    s = load_settings(cfg, llm=None, tts="from-flag")
    assert (s.stt, s.llm, s.tts, s.threads) == ("from-file", "from-env", "from-flag", 3)
    assert s.source == ("defaults", str(cfg), "environment", "flags")


def test_settings_reject_bad_values(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="device"):
        load_settings(None, device="gpu")
    cfg = tmp_path / "c.toml"
    cfg.write_text("[engine]\nthreads = 'many'\n")
    with pytest.raises(ConfigError, match="threads"):
        load_settings(cfg)
    with pytest.raises(ConfigError, match="no such config"):
        load_settings(tmp_path / "absent.toml")
