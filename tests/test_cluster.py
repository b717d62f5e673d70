"""``interviewer serve --ray`` on a two-node Ray cluster that this module starts on loopback.

The head runs on 127.0.0.2 and the extra node on 127.0.0.3 (both loopback: Ray rewrites
127.0.0.1 itself to the machine's network address, other 127/8 addresses it keeps). The
engines are the fakes (real models would not fit two replicas each in a 2-core CI runner); the
deployments, the batching, the spreading of interviews, the store's one owner and the loss of a
node are real. Every wait is bounded; the cluster's processes (found by the temp folders this
module gave them) are killed in a finalizer.

Select with ``-m cluster``; skipped when Ray is not installed (``interviewer[cluster]``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from interviewer.config import Settings
from interviewer.context import AppContext
from interviewer.engines.fakes import FakeLLM, FakeSTT, FakeTTS, FakeVAD
from interviewer.pipeline.runner import RunnerConfig
from interviewer.session import resume_interview
from interviewer.web.app import create_app
from interviewer.web.security import AccessPolicy
from tests.test_web import BANK, BASE, ORIGIN, Socket, new_ticket, ws_url

ray = pytest.importorskip("ray")

pytestmark = [
    pytest.mark.cluster,
    # Ray Serve's own models use pydantic features pydantic deprecates
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

REPO = Path(__file__).resolve().parents[1]
HEAD_IP, NODE_IP = "127.0.0.2", "127.0.0.3"
START_TIMEOUT_S = 120
WAIT = ("listening", "ended")


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _ours(marker: str) -> list[int]:
    """Pids of processes whose command line names ``marker`` (our own temp folder)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if marker in cmd:
            pids.append(int(entry.name))
    return pids


def _kill(marker: str) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _ours(marker):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        time.sleep(0.5)


def _ray_start(args: list[str], env: dict[str, str]) -> None:
    cmd = [sys.executable, "-m", "ray.scripts.scripts", "start", *args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=START_TIMEOUT_S)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("ray")
    head_dir, node_dir = base / "head", base / "node"
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]),
        RAY_USAGE_STATS_ENABLED="0",
        # a lost node is declared dead after ~2 s instead of ~30 s
        RAY_health_check_period_ms="500",
        RAY_health_check_timeout_ms="500",
        RAY_health_check_failure_threshold="4",
    )
    port = _free_port(HEAD_IP)
    common = ["--num-cpus=2", "--object-store-memory=100000000", "--disable-usage-stats"]
    try:
        _ray_start(
            ["--head", f"--node-ip-address={HEAD_IP}", f"--port={port}",
             f"--temp-dir={head_dir}", "--include-dashboard=false", *common],
            env,
        )  # fmt: skip
        _ray_start(
            [f"--address={HEAD_IP}:{port}", f"--node-ip-address={NODE_IP}",
             f"--temp-dir={node_dir}", *common],
            env,
        )  # fmt: skip
        yield {"address": f"{HEAD_IP}:{port}", "node_dir": str(node_dir)}
    finally:
        with contextlib.suppress(Exception):
            ray.shutdown()
        _kill(str(node_dir))
        _kill(str(head_dir))


@pytest.fixture(scope="module")
def cluster(nodes: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from interviewer.cluster.runtime import Cluster, ClusterOptions

    db = tmp_path_factory.mktemp("db") / "cluster.duckdb"
    settings = Settings(device="cpu")
    context = AppContext(settings, bank=BANK, db=db)
    options = ClusterOptions(
        replicas={"stt": 2, "tts": 2, "llm": 2},
        replica_cpus={"stt": 0.25, "tts": 0.25, "llm": 0.25},
        stt_batch_wait_s=0.3,  # wide enough that the test's concurrent calls share a batch
        interview_cpus=0.25,
        node_ip=HEAD_IP,
    )
    factories: dict[str, Any] = {
        "stt": functools.partial(FakeSTT, ["spoken answer."]),
        "tts": functools.partial(FakeTTS, seconds_per_char=0.002),
        "llm": FakeLLM,
        "vad": functools.partial(FakeVAD, threshold=0.05),
    }
    c = Cluster(context, nodes["address"], options=options, factories=factories,
                instruction_tuned=False).start()  # fmt: skip
    try:
        yield c
    finally:
        c.close()


def test_deployments_answer_through_the_engine_protocols_and_stt_batches(cluster: Any) -> None:
    from interviewer.cluster.proxies import info
    from interviewer.engines.base import LLM, STT, TTS

    engines = cluster.context().engines
    stt, tts, llm = engines.stt, engines.tts, engines.llm
    assert isinstance(stt, STT) and isinstance(tts, TTS) and isinstance(llm, LLM)
    assert (stt.model_id, tts.model_id, llm.model_id) == ("fake-stt", "fake-tts", "fake-llm")

    audio = (0.3 * np.sin(np.linspace(0, 2000, 16000))).astype(np.float32)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(stt.transcribe(audio).text))
        for _ in range(4)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert results == ["spoken answer."] * 4
    batches = [b for _ in range(4) for b in info(cluster.handles["stt"])["batches"]]
    assert max(batches) > 1, batches  # concurrent requests went to the engine together

    reply = "".join(llm.stream("Question: why?", max_tokens=32))
    assert reply.strip() and llm.last_result is not None and llm.last_result.text == reply
    stop = threading.Event()
    pieces = []
    for piece in llm.stream("Question: why?", stop_event=stop):
        pieces.append(piece)
        stop.set()  # the candidate barged in after the first piece
    assert len(pieces) == 1
    chunks = list(tts.synthesize("Hello there. How are you?"))
    assert len(chunks) == 2 and all(c.sample_rate == tts.sample_rate for c in chunks)


def test_interviews_spread_over_the_nodes_one_store_owner_and_a_lost_node(
    cluster: Any, nodes: dict[str, Any]
) -> None:
    head = ray.get_runtime_context().get_node_id()
    store = cluster.store
    assert store.owner_node == head and store.owner_pid != os.getpid()
    app = create_app(
        cluster.context(),
        policy=AccessPolicy(host="127.0.0.1"),
        runner_config=lambda: RunnerConfig(barge_in=True, listen_after_s=0.05),
        make_live=cluster.make_live,
        max_live=4,
        max_live_per_owner=4,
    )
    client = TestClient(app, base_url=BASE)
    tickets = [new_ticket(client, questions="3") for _ in range(4)]
    with contextlib.ExitStack() as stack:
        sockets = [
            Socket(stack.enter_context(client.websocket_connect(ws_url(t), headers=ORIGIN)))
            for t in tickets
        ]
        sessions = [ws.until(lambda m: m["type"] == "session", 60)["id"] for ws in sockets]
        for i, ws in enumerate(sockets):
            ws.state("listening", 30)
            ws.ws.send_text(json.dumps({"type": "text", "text": f"First answer {i}."}))
        for ws in sockets:
            ws.until(lambda m: m["type"] == "saved", 30)
        lives = {live.session_id: live for live in app.state.registry.running()}
        where = {sid: lives[sid].node for sid in sessions}
        assert len(set(where.values())) == 2, where  # SPREAD: interviews on both nodes
        for sid in sessions:
            record = store.get_session(sid)
            # one writer: every running session belongs to the owner actor's process
            assert record.status == "running" and record.owner_pid == store.owner_pid

        _kill(nodes["node_dir"])  # the extra node goes away mid-interview

        for i, (ws, sid) in enumerate(zip(sockets, sessions, strict=True)):
            if where[sid] == head:
                # answers until the interview ends (its closing question included)
                for n in range(2, 10):
                    m = ws.until(lambda m: m["type"] == "state" and m["state"] in WAIT, 60)
                    if m["state"] == "ended":
                        break
                    ws.ws.send_text(json.dumps({"type": "text", "text": f"Answer {n} of {i}."}))
                assert m["state"] == "ended" and m["status"] == "finished"
            else:
                error = ws.until(lambda m: m["type"] == "error", 90)
                assert "resume" in error["message"]
                assert ws.state("ended", 30)["status"] == "interrupted"

    for sid in sessions:
        record = store.get_session(sid)
        answers = [t.answer_text for t in record.turns]
        i = sessions.index(sid)
        assert answers[0] == f"First answer {i}."  # no committed turn is lost
        if where[sid] == head:
            assert record.status == "finished"
            assert answers[1:3] == [f"Answer 2 of {i}.", f"Answer 3 of {i}."]
        else:
            assert record.status == "interrupted" and len(answers) == 1
            assert "node_lost" in [e.kind for e in store.get_events(sid)]
            resumed = resume_interview(
                store=store, session_id=sid, llm=FakeLLM(), bank=BANK,
                instruction_tuned=False, score=False,
            )  # fmt: skip
            question = resumed.machine.current_question
            # it goes on from the first unanswered question
            assert question is not None and question.text != record.turns[0].question_text
            resumed.finish(interrupted=True)
