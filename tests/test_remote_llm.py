"""The LLM behind an OpenAI-compatible server (``--llm-url``).

The protocol's contract runs in test_protocols.py (kind "remote"); here: how a user selects it,
the errors, the timeout that hands the follow-up to the rules, and what only a real server shows
(its response-format dialect, the barge-in closing the stream).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from interviewer.config import load_settings
from interviewer.engines.base import LLM
from interviewer.engines.remote_llm import RemoteLLM, api_base
from interviewer.errors import ConfigError, ModelError
from interviewer.interview.bank import load_bank
from interviewer.interview.followup import FollowUpPolicy
from interviewer.types import ChatMessage
from tests.test_protocols import SCHEMA

ANSWER = (
    "A p-value is the probability of seeing a result at least as extreme as ours if the null "
    "hypothesis were true."
)


def test_url_from_flag_env_and_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[models]\nllm = "qwen2.5:0.5b"\nllm_url = "http://127.0.0.1:11434/v1"\n'
        "[engine]\nllm_timeout = 12\n"
    )
    s = load_settings(cfg)
    assert (s.llm_url, s.llm, s.llm_timeout) == ("http://127.0.0.1:11434/v1", "qwen2.5:0.5b", 12.0)
    monkeypatch.setenv("INTERVIEWER_LLM_URL", "http://127.0.0.1:8000/v1")
    assert load_settings(cfg).llm_url == "http://127.0.0.1:8000/v1"
    assert load_settings(cfg, llm_url="http://127.0.0.1:9/v1").llm_url == "http://127.0.0.1:9/v1"
    with pytest.raises(ConfigError, match="llm_url 'localhost:8000' must be an http"):
        load_settings(cfg, llm_url="localhost:8000")
    with pytest.raises(ConfigError, match="llm_timeout must be above 0"):
        load_settings(cfg, llm_timeout="0")


def test_api_base() -> None:
    assert api_base("http://127.0.0.1:8000") == "http://127.0.0.1:8000/v1"
    assert api_base("http://127.0.0.1:8000/") == "http://127.0.0.1:8000/v1"
    assert api_base("http://127.0.0.1:11434/v1/") == "http://127.0.0.1:11434/v1"
    assert api_base("https://gpu.lan/llm/v1") == "https://gpu.lan/llm/v1"
    with pytest.raises(ModelError, match="http"):
        api_base("127.0.0.1:8000")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_nothing_listening_is_a_clear_error() -> None:
    port = _free_port()
    with pytest.raises(ModelError, match=rf"127\.0\.0\.1:{port}/v1: cannot connect.*--llm-url"):
        RemoteLLM(f"http://127.0.0.1:{port}")


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback server that accepts a request and never answers (a stuck or busy model)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        srv.settimeout(0.1)
        while not done.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)  # read nothing, answer nothing

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/v1"
    done.set()
    t.join(timeout=5)
    for c in held:
        c.close()
    srv.close()


def test_timeout_hands_the_follow_up_to_the_rules(silent_server: str) -> None:
    llm = RemoteLLM(silent_server, model="m", timeout_s=0.5)
    question = load_bank().get("ds.stats.p_value")
    follow_up = FollowUpPolicy(llm).propose(question, ANSWER, [])  # returns: the timeout holds
    assert follow_up.source == "rule"
    # the reason, stored with the turn, says what happened and where
    assert "model failed" in follow_up.reason and "no reply within 0.5 s" in follow_up.reason
    assert silent_server in follow_up.reason
    with pytest.raises(ModelError, match=r"no reply within 0\.5 s"):
        list(llm.stream("Hello", max_tokens=4))
    llm.close()


@pytest.fixture
def thinking_server() -> Iterator[str]:
    """A loopback server that starts an event stream and sends no token (a long prompt)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = srv.accept()
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                    b"transfer-encoding: chunked\r\n\r\n"
                )
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}/v1"
    srv.close()
    for c in held:
        c.close()


def test_barge_in_before_the_first_token_ends_the_call(thinking_server: str) -> None:
    llm = RemoteLLM(thinking_server, model="m", timeout_s=60)
    for _ in range(2):  # and the engine is usable again afterwards
        stop = threading.Event()
        threading.Timer(0.2, stop.set).start()
        t0 = time.monotonic()
        assert list(llm.stream("Tell me about", stop_event=stop)) == []
        # without the stream being shut from the side, only the 60 s read timeout would end it
        assert time.monotonic() - t0 < 30
        assert llm.last_result is not None and llm.last_result.stopped
    llm.close()


@pytest.mark.real
def test_real_server_json_dialect_and_barge_in(remote_llm: RemoteLLM, llm_server_url: str) -> None:
    assert isinstance(remote_llm, LLM)
    assert remote_llm.model == "gemma-embedded"  # the one the server lists, for --llm auto
    msgs = [
        ChatMessage("system", "You are an interviewer. Reply in JSON."),
        ChatMessage("user", "Ask me one question and rate my last answer from 1 to 5."),
    ]
    value = remote_llm.complete_json(msgs, SCHEMA, max_tokens=80)
    jsonschema.validate(value, SCHEMA)
    # llama-cpp-python's server rejects OpenAI's json_schema format: the engine fell back to
    # json_object with the schema (a grammar there) and remembers not to ask again
    assert "json_schema" in remote_llm._rejected

    stop = threading.Event()
    pieces = []
    for piece in remote_llm.stream(msgs, max_tokens=200, stop_event=stop):
        pieces.append(piece)
        stop.set()  # the candidate barges in after the first piece
    assert len(pieces) == 1
    assert remote_llm.last_result is not None and remote_llm.last_result.stopped
    # the closed stream left the server serving: the next call streams as usual
    after = list(remote_llm.stream("The interview began", max_tokens=3))
    assert after and not remote_llm.last_result.stopped


def test_models_table_shows_the_server() -> None:
    from typer.testing import CliRunner

    from interviewer.cli import app

    url = f"http://127.0.0.1:{_free_port()}/v1"
    res = CliRunner().invoke(app, ["--llm-url", url, "--llm", "qwen", "models", "--role", "llm"])
    assert res.exit_code == 0, res.output
    assert "remote" in res.output and url in res.output and "qwen" in res.output
    checked = CliRunner().invoke(
        app, ["--llm-url", url, "--llm", "qwen", "models", "--role", "llm", "--verify"]
    )
    # the table names the failure; `interviewer.cli.main` turns the raised error into exit 2
    assert checked.exit_code != 0
    assert "cannot connect" in checked.output and "check --llm-url" in str(checked.exception)
