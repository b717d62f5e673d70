"""Shared fixtures. Real engines load once per test session (they are the slow part)."""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from interviewer.config import Settings

REPO = Path(__file__).resolve().parents[1]
# The recordings live beside the checkout (../shared/audio); CI lays a copy there too.
SHARED_AUDIO = Path(os.environ.get("INTERVIEWER_SHARED_AUDIO", REPO.parent / "shared" / "audio"))

#: Settings pinned to the embedded defaults, so a developer's downloaded upgrades never change
#: what the tests measure.
EMBEDDED = Settings(vad="embedded", stt="embedded", llm="embedded", tts="embedded", device="cpu")


@dataclass(frozen=True)
class Clip:
    path: Path
    reference: str | None
    duration: float
    sample_rate: int


def _reference(text: str) -> str | None:
    # "NONE" marks a recording that has no trustworthy transcript (see NOTES.md there)
    return None if text.strip() == "NONE" else text


MANIFEST = SHARED_AUDIO / "MANIFEST.tsv"
#: Why the real-audio tests cannot run here (None when they can). The pure-logic tests do not
#: need the recordings, so a missing folder skips only the tests that read them; under CI=true
#: those tests fail instead, so CI never passes without them.
AUDIO_MISSING: str | None = (
    None
    if MANIFEST.exists()
    else f"{MANIFEST} is missing: real-speech tests need ../shared/audio beside the checkout "
    "(or INTERVIEWER_SHARED_AUDIO pointing at it)"
)
IN_CI = os.environ.get("CI") == "true"


def _clips() -> list[Clip]:
    if AUDIO_MISSING is not None:
        return []
    with MANIFEST.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [
        Clip(
            path=SHARED_AUDIO / r["file"],
            reference=None
            if r["reference_transcript"].strip() == "NONE"
            else r["reference_transcript"],
            duration=float(r["duration_s"]),
            sample_rate=int(r["sample_rate"]),
        )
        for r in rows
    ]


CLIPS = _clips()


def require_audio() -> None:
    """Skip the calling test when ../shared/audio is missing (fail it under CI=true)."""
    if AUDIO_MISSING is None:
        return
    if IN_CI:
        pytest.fail(f"CI=true: {AUDIO_MISSING}", pytrace=False)
    pytest.skip(AUDIO_MISSING)


def clip_named(prefix: str) -> Clip:
    """The first recording whose file name starts with ``prefix``."""
    require_audio()
    return next(c for c in CLIPS if c.path.name.startswith(prefix))


def clip_at(i: int) -> Clip:
    require_audio()
    return CLIPS[i]


#: Tests parametrized over the recordings: with none, pytest would skip them as "got empty
#: parameter set"; they get the real reason instead (or fail under CI=true).
_EMPTY_PARAMS: set[str] = set()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if AUDIO_MISSING is None:
        return
    for item in items:
        marks = [
            m
            for m in item.own_markers
            if m.name == "skip" and "empty parameter set" in str(m.kwargs.get("reason", ""))
        ]
        if not marks:
            continue
        _EMPTY_PARAMS.add(item.nodeid)
        item.own_markers = [m for m in item.own_markers if m not in marks]
        item.add_marker(pytest.mark.skip(reason=AUDIO_MISSING))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if IN_CI and item.nodeid in _EMPTY_PARAMS:
        pytest.fail(f"CI=true: {AUDIO_MISSING}", pytrace=False)


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep the user's data dir out of tests, but share one cache so the GGUF is joined once."""
    home = tmp_path_factory.getbasetemp() / "interviewer-home"
    monkeypatch.setenv("INTERVIEWER_HOME", str(home))


@pytest.fixture(scope="session")
def real_vad():  # type: ignore[no-untyped-def]
    from interviewer.engines import load_vad

    return load_vad(EMBEDDED)


@pytest.fixture(scope="session")
def real_stt():  # type: ignore[no-untyped-def]
    from interviewer.engines import load_stt

    return load_stt(EMBEDDED)


@pytest.fixture(scope="session")
def real_tts():  # type: ignore[no-untyped-def]
    from interviewer.engines import load_tts

    return load_tts(EMBEDDED)


@pytest.fixture(scope="session")
def real_llm(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from interviewer.engines import load_llm

    mp = pytest.MonkeyPatch()
    mp.setenv("INTERVIEWER_HOME", str(tmp_path_factory.getbasetemp() / "interviewer-home"))
    try:
        return load_llm(EMBEDDED)
    finally:
        mp.undo()


#: What llama-cpp-python's OpenAI-compatible server imports beyond the bindings (its [server]
#: extra; this project's `server` extra, in the dev install).
SERVER_MODULES = ("fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings")


@pytest.fixture(scope="session")
def llm_server_url(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """``python -m llama_cpp.server`` on a free loopback port, serving the embedded GGUF."""
    import importlib.util
    import socket
    import subprocess
    import sys
    import time

    import httpx

    missing = [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(
            f"llama-cpp-python's server needs {', '.join(missing)}: pip install -e '.[server]'"
        )
    from interviewer.registry import assemble_embedded_llm, resolve

    model = resolve("llm", EMBEDDED)
    if not model.path.exists():
        assemble_embedded_llm()
        model = resolve("llm", EMBEDDED)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path_factory.getbasetemp() / "llm-server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model.path),
         "--model_alias", "gemma-embedded", "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", "2048", "--n_threads", str(min(2, os.cpu_count() or 1))],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}; see {log.name}")
            try:
                if httpx.get(f"{url}/models", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer within 120 s; see {log.name}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def remote_llm(llm_server_url: str):  # type: ignore[no-untyped-def]
    """The embedded model through the OpenAI-compatible server, by the way a user selects it."""
    from dataclasses import replace

    from interviewer.engines import load_llm

    # generous: the test machine is a few shared CPU cores
    llm = load_llm(replace(EMBEDDED, llm_url=llm_server_url, llm_timeout=180.0))
    yield llm
    llm.close()  # type: ignore[attr-defined]


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Poll a worker thread's state until ``condition`` holds; False if ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True
