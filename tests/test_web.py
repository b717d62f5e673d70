"""The web app on fake engines: pages, the interview WebSocket, and the security model.

A whole interview runs over the WebSocket here: the "microphone" is a tone sent as 16 kHz PCM
(the fake VAD hears loudness, the fake STT returns the scripted answer), the interviewer's
voice comes back as PCM, and everything lands in a temporary DuckDB store. The real models in a
real browser are in test_web_browser.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from interviewer.config import Settings
from interviewer.context import AppContext, Engines
from interviewer.engines.fakes import FakeLLM, FakeSTT, FakeTTS, FakeVAD
from interviewer.interview.bank import load_bank
from interviewer.pipeline.endpointing import EndpointConfig
from interviewer.pipeline.runner import RunnerConfig
from interviewer.store import Store
from interviewer.web import security
from interviewer.web.app import create_app
from interviewer.web.duplex import float_to_pcm16
from interviewer.web.security import AccessPolicy
from tests.test_spec import make_pdf

BASE = "http://127.0.0.1:8765"
ORIGIN = {"origin": BASE}
SR = 16_000
ANSWER = "At my last job I rebuilt the data pipeline and the launch shipped on time."
FAST = EndpointConfig(silence_s=0.3, filler_silence_s=1.0, no_answer_s=20.0, min_speech_s=0.1)
BANK = load_bank()
#: cookies are named after the server's port, and the owner cookie is signed (``ID.MAC``)
OWNER_COOKIE = security.owner_cookie("127.0.0.1:8765")


def user_of(c: TestClient) -> str:
    """The store's user id of the browser ``c``."""
    return security.user_id_for(c.cookies[OWNER_COOKIE].split(".", 1)[0])


def tone(seconds: float, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * 300 * t)).astype(np.float32)


@dataclass
class Web:
    app: Any
    store: Store
    vads: list[FakeVAD]
    loads: list[int]


def make_web(
    tmp_path: Path,
    *,
    token: str | None = None,
    host: str = "127.0.0.1",
    runner_config: Any = None,
) -> Web:
    store = Store.open(tmp_path / "web.duckdb")
    vads: list[FakeVAD] = []
    loads: list[int] = []

    def new_vad() -> FakeVAD:
        vads.append(FakeVAD(threshold=0.05))
        return vads[-1]

    def stt() -> FakeSTT:
        loads.append(1)  # the shared engines load together, once
        return FakeSTT([ANSWER])

    engines = Engines(
        Settings(device="cpu"),
        factories={
            "stt": stt,
            # short voice: the fake speaks 2 ms per character, so a reply takes a fraction of
            # a second of real time
            "tts": lambda: FakeTTS(seconds_per_char=0.002),
            "llm": FakeLLM,
            "vad": new_vad,
        },
        instruction_tuned=False,
        models={"stt": "fake-stt", "tts": "fake-tts", "llm": "fake-llm", "vad": "fake-vad"},
    )
    context = AppContext(Settings(device="cpu"), bank=BANK, store=store, engines=engines)
    app = create_app(
        context,
        policy=AccessPolicy(host=host, token=token),
        runner_config=runner_config
        or (lambda: RunnerConfig(barge_in=True, endpoint=FAST, listen_after_s=0.05)),
    )
    return Web(app, store, vads, loads)


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    w = make_web(tmp_path)
    yield w
    w.store.close()


def client(web: Web) -> TestClient:
    return TestClient(web.app, base_url=BASE)


def form(**over: str) -> dict[str, str]:
    data = {
        "role": "data_scientist",
        "company": "",
        "level": "mid",
        "type": "behavioral",
        "questions": "1",
        "follow_ups": "0",
        "notes": "",
    }
    data.update(over)
    return data


def new_ticket(
    c: TestClient, files: dict[str, Any] | None = None, origin: str = BASE, **over: str
) -> str:
    r = c.post(
        "/interviews",
        data=form(**over),
        files=files,
        headers={"origin": origin},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith("/interview/")
    return location.removeprefix("/interview/")


def ws_url(ticket: str, base: str = BASE) -> str:
    # the test client's own default host would be refused by the Host check
    return base.replace("http://", "ws://") + f"/ws/interview/{ticket}"


class Socket:
    """The browser side of the interview socket: collects messages and the voice."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self.audio_bytes = 0

    def _receive(self, timeout: float) -> Any:
        """The next message, or an AssertionError after ``timeout``: the test client's own
        receive waits forever, and a server that stops sending (a stuck interview) hung the
        whole test run instead of failing one test."""

        async def receive() -> Any:
            with anyio.fail_after(max(0.01, timeout)):
                return await self.ws._send_rx.receive()

        try:
            return self.ws.portal.call(receive)
        except TimeoutError:
            raise AssertionError(f"timed out; messages so far: {self.messages}") from None

    def until(self, pred: Any, timeout: float = 20.0) -> dict[str, Any]:
        """Read messages until one satisfies ``pred`` (then return it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self._receive(deadline - time.monotonic())
            if msg["type"] == "websocket.close":
                raise AssertionError(f"socket closed; messages so far: {self.messages}")
            if msg.get("bytes") is not None:
                self.audio_bytes += len(msg["bytes"])
                continue
            data = json.loads(msg["text"])
            self.messages.append(data)
            if pred(data):
                return data
        raise AssertionError(f"timed out; messages so far: {self.messages}")

    def state(self, name: str, timeout: float = 20.0) -> dict[str, Any]:
        return self.until(lambda m: m["type"] == "state" and m["state"] == name, timeout)

    def speak(self, audio: np.ndarray) -> None:
        # in 32 ms blocks at about real time, as the page's worklet sends them
        pcm = float_to_pcm16(audio)
        for i in range(0, len(pcm), 1024):
            self.ws.send_bytes(pcm[i : i + 1024])
            time.sleep(0.03)

    def captions(self, who: str) -> list[str]:
        return [
            m["text"]
            for m in self.messages
            if m["type"] == "caption" and m["who"] == who and m["final"]
        ]


def wait_done(web: Web, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while web.app.state.registry.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not web.app.state.registry.running(), "interview thread did not finish"


# --------------------------------------------------------------------------- pages


def test_setup_page_offers_the_bank_and_sets_a_private_owner_cookie(web: Web) -> None:
    c = client(web)
    r = c.get("/")
    assert r.status_code == 200
    # a free-text position, with the bank's roles as suggestions
    assert 'id="role" list="positions"' in r.text
    for role in BANK.roles - {"general"}:
        assert f'<option value="{role.replace("_", " ").title()}">' in r.text
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{OWNER_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "default-src 'self'" in r.headers["content-security-policy"]
    # the same browser keeps its id
    assert "set-cookie" not in c.get("/history").headers


def test_bad_form_values_are_400_with_the_field_named(web: Web) -> None:
    c = client(web)
    # any position is accepted ("Marketing Analyst" gets a behavioural interview); none is not
    r = c.post("/interviews", data=form(role=" "), headers=ORIGIN)
    assert r.status_code == 400
    assert "role: required" in r.text
    r = c.post("/interviews", data=form(questions="99"), headers=ORIGIN)
    assert r.status_code == 400 and "questions: 99 is out of range" in r.text
    # the form comes back with what was typed
    r = c.post("/interviews", data=form(level="wizard", company="Acme"), headers=ORIGIN)
    assert r.status_code == 400 and "level:" in r.text and 'value="Acme"' in r.text


def test_form_text_is_escaped_when_shown_again(web: Web) -> None:
    c = client(web)
    r = c.post(
        "/interviews",
        # any position is accepted now ("astronaut" gets a behavioral interview): a bad level
        # is what sends the form back
        data=form(level="wizard", company='"><script>alert(1)</script>'),
        headers=ORIGIN,
    )
    assert r.status_code == 400
    assert "<script>alert(1)" not in r.text
    assert "&lt;script&gt;alert(1)" in r.text


def test_job_description_upload_reaches_the_spec(web: Web, tmp_path: Path) -> None:
    c = client(web)
    jd = b"# Data Scientist\n\nWe need someone who builds churn models with SQL and Python.\n"
    pdf = make_pdf(tmp_path / "cv.pdf", "Jane Doe forecasting models at Acme").read_bytes()
    ticket = new_ticket(
        c,
        files={
            "job_description": ("jd.md", jd, "text/markdown"),
            "resume": ("cv.pdf", pdf, "application/pdf"),
        },
    )
    stored = web.app.state.registry.get(ticket, user_of(c))
    assert "churn models with SQL and Python" in stored.spec.job_description
    assert "forecasting models at Acme" in stored.spec.resume
    page = c.get(f"/interview/{ticket}")
    assert page.status_code == 200 and f'data-ticket="{ticket}"' in page.text


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        ("jd.exe", b"MZ\x90\x00", 415, "'.exe' is not supported; use .txt, .md, .pdf"),
        ("jd", b"plain words", 415, "a file without an extension is not supported"),
        ("jd.pdf", b"just text, not a pdf", 415, "not a PDF file"),
        ("jd.txt", b"\x89PNG\r\n\x1a\n....", 415, "not a text file"),
        ("jd.md", b"abc\x00def", 415, "not a text file"),
        ("jd.txt", b"   \n", 400, "the file is empty"),
        ("jd.pdf", b"%PDF-1.4\nbroken", 400, "cannot read PDF"),
        ("jd.txt", b"x" * (2 * 1024 * 1024 + 1), 413, "documents must be under 2 MB"),
    ],
)
def test_bad_uploads_are_refused_by_name_and_content(
    web: Web, name: str, content: bytes, status: int, message: str
) -> None:
    c = client(web)
    r = c.post(
        "/interviews",
        data=form(),
        files={"job_description": (name, content, "application/octet-stream")},
        headers=ORIGIN,
    )
    assert r.status_code == status
    assert message in r.text.replace("&#39;", "'")
    assert "job description" in r.text


def test_upload_names_never_become_paths(web: Web, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    c = client(web)
    name = "../../escaped.txt"
    r = c.post(
        "/interviews",
        data=form(),
        files={"job_description": (name, b"\x00binary", "text/plain")},
        headers=ORIGIN,
    )
    assert r.status_code == 415
    assert "job description (escaped.txt)" in r.text  # shown by its base name only
    ok = new_ticket(c, files={"job_description": (name, b"Job: analyst", "text/plain")})
    assert ok
    assert not list(tmp_path.parent.parent.glob("escaped*"))
    assert not list(tmp_path.rglob("escaped*"))


def test_oversized_form_is_refused_before_it_is_read(web: Web) -> None:
    c = client(web)
    r = c.post(
        "/interviews",
        content=b"x" * 10,
        headers={**ORIGIN, "content-length": str(10 * 1024 * 1024), "content-type": "text/plain"},
    )
    assert r.status_code == 413


# --------------------------------------------------------------------------- origin, host, token


def test_cross_site_posts_are_refused(web: Web) -> None:
    c = client(web)
    assert c.post("/interviews", data=form()).status_code == 403  # no Origin
    r = c.post("/interviews", data=form(), headers={"origin": "http://evil.example"})
    assert r.status_code == 403 and "cross-origin" in r.text
    r = c.post("/interviews", data=form(), headers={"origin": "http://127.0.0.1:9999"})
    assert r.status_code == 403


def test_dns_rebinding_host_is_refused_on_loopback(web: Web) -> None:
    c = client(web)
    assert c.get("/", headers={"host": "evil.example:8765"}).status_code == 400
    assert c.get("/", headers={"host": "localhost:8765"}).status_code == 200
    assert c.get("/", headers={"host": "[::1]:8765"}).status_code == 200


def test_cross_site_websocket_is_refused(web: Web) -> None:
    c = client(web)
    ticket = new_ticket(c)
    for headers in ({}, {"origin": "http://evil.example"}, {"origin": "null"}):
        with (
            pytest.raises(WebSocketDisconnect) as info,
            c.websocket_connect(ws_url(ticket), headers=headers),
        ):
            pass
        assert info.value.code == 1008
        assert "cross-origin" in info.value.reason
    assert web.loads == []  # refused before anything was loaded or started


def test_a_non_loopback_server_needs_its_token(tmp_path: Path) -> None:
    w = make_web(tmp_path, host="0.0.0.0", token="s3cret-token-of-enough-length")
    try:
        base = "http://192.0.2.10:8765"
        c = TestClient(w.app, base_url=base)
        r = c.get("/")
        assert r.status_code == 401 and "access token" in r.text
        assert c.get("/?token=wrong").status_code == 401
        assert c.get("/static/app.js").status_code == 401
        r = c.get("/history?token=s3cret-token-of-enough-length", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/history"
        assert "HttpOnly" in r.headers["set-cookie"]
        assert c.get("/history").status_code == 200  # the cookie carries it now
        bearer = TestClient(w.app, base_url=base)
        ok = bearer.get("/", headers={"authorization": "Bearer s3cret-token-of-enough-length"})
        assert ok.status_code == 200
        # a WebSocket without the token is refused even from the right origin and owner
        ticket = new_ticket(c, origin=base)
        stranger = TestClient(w.app, base_url=base)
        owner_cookie = security.owner_cookie("192.0.2.10:8765")
        stranger.cookies.set(owner_cookie, c.cookies[owner_cookie])
        with (
            pytest.raises(WebSocketDisconnect),
            stranger.websocket_connect(ws_url(ticket, base), headers={"origin": base}),
        ):
            pass
    finally:
        w.store.close()


# --------------------------------------------------------------------------- ownership


def test_one_browser_cannot_see_another_browsers_interviews(web: Web) -> None:
    alice, bob = client(web), client(web)
    ticket = new_ticket(alice)
    alice_user = user_of(alice)
    sid = web.store.create_session({"role": "data_scientist"}, {}, "web", user_id=alice_user)
    bob.get("/")
    assert bob.get(f"/interview/{ticket}").status_code == 404
    assert bob.get(f"/report/{sid}").status_code == 404
    assert bob.get(f"/report/{sid[:6]}").status_code == 404  # no prefix lookups either
    assert sid not in bob.get("/history").text
    assert sid in alice.get("/history").text
    with bob.websocket_connect(ws_url(ticket), headers=ORIGIN) as ws:
        msg = json.loads(ws.receive_text())
        assert msg["type"] == "error" and "no such interview" in msg["message"]
    assert web.loads == []


def test_report_ids_are_checked_before_the_store_is_asked(web: Web) -> None:
    c = client(web)
    for bad in ("..%2F..%2Fetc%2Fpasswd", "ABCDEF123456", "12345", "0123456789abz"):
        assert c.get(f"/report/{bad}").status_code == 404


# --------------------------------------------------------------------------- the interview


def test_a_whole_interview_over_the_websocket(web: Web) -> None:
    c = client(web)
    ticket = new_ticket(c, questions="2")
    with c.websocket_connect(ws_url(ticket), headers=ORIGIN) as raw:
        ws = Socket(raw)
        assert ws.state("loading")["detail"].startswith("loading models")
        session = ws.until(lambda m: m["type"] == "session")
        ws.state("speaking")
        ws.state("listening")
        assert ws.audio_bytes > 0  # the greeting came back as PCM
        ws.speak(tone(0.8))
        # with barge-in the answer is stored once its reply has been heard out (the candidate
        # may go on over it), just after the microphone opened again ("listening")
        ws.until(lambda m: m["type"] == "saved")
        assert ANSWER in ws.captions("candidate")
        raw.send_text(json.dumps({"type": "command", "name": "skip"}))
        ws.until(lambda m: m["type"] == "caption" and "move on" in m["text"])
        ws.state("listening")
        raw.send_text(json.dumps({"type": "text", "text": "No, thank you."}))
        ended = ws.state("ended")
    assert ended["status"] == "finished"
    assert "No, thank you." in ws.captions("candidate")
    assert any("thank" in t.lower() for t in ws.captions("interviewer"))
    wait_done(web)
    record = web.store.get_session(session["id"])
    assert record.status == "finished" and record.mode == "web"
    assert record.user_id == user_of(c)
    answers = [t.answer_text for t in record.turns]
    assert answers[0] == ANSWER
    assert record.turns[0].scores is not None  # scored during the interview, before the report
    assert "Can we skip this question?" in answers
    assert answers[-1] == "No, thank you."
    assert len(web.vads) == 1 and web.vads[0].frames_seen > 0
    report = c.get(session["report"])
    assert report.status_code == 200 and "rebuilt the data pipeline" in report.text
    assert "default-src 'none'" in report.headers["content-security-policy"]
    assert session["id"] in c.get("/history").text
    assert c.get("/progress").status_code == 200


def test_a_disconnect_keeps_the_answers_and_marks_the_session_interrupted(web: Web) -> None:
    c = client(web)
    ticket = new_ticket(c, questions="2")
    with c.websocket_connect(ws_url(ticket), headers=ORIGIN) as raw:
        ws = Socket(raw)
        session = ws.until(lambda m: m["type"] == "session")
        ws.state("listening")
        ws.speak(tone(0.8))
        ws.until(lambda m: m["type"] == "saved")
    # the tab is gone mid-interview (the second question is being asked)
    wait_done(web)
    record = web.store.get_session(session["id"])
    assert record.status == "interrupted"
    assert [t.answer_text for t in record.turns] == [ANSWER]
    # the ticket was used once; reconnecting does not restart or overwrite it
    with c.websocket_connect(ws_url(ticket), headers=ORIGIN) as raw:
        assert "no such interview" in json.loads(raw.receive_text())["message"]


def test_two_interviews_at_once_share_engines_but_not_the_vad(web: Web) -> None:
    results: dict[str, Any] = {}

    def interview(name: str) -> None:
        c = client(web)
        ticket = new_ticket(c)
        with c.websocket_connect(ws_url(ticket), headers=ORIGIN) as raw:
            ws = Socket(raw)
            session = ws.until(lambda m: m["type"] == "session", timeout=40)
            ws.state("listening", timeout=40)
            ws.speak(tone(0.8))
            ws.until(lambda m: m["type"] == "saved", timeout=40)
            ws.state("listening", timeout=40)
            raw.send_text(json.dumps({"type": "command", "name": "end"}))
            results[name] = (ws.state("ended", timeout=40), session["id"], c)

    threads = [threading.Thread(target=interview, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert set(results) == {"a", "b"}
    assert web.loads == [1]  # engines loaded once for both
    assert len(web.vads) == 2 and web.vads[0] is not web.vads[1]
    users = set()
    for ended, sid, c in results.values():
        assert ended["status"] == "finished"
        record = web.store.get_session(sid)
        assert record.turns[0].answer_text == ANSWER
        users.add(record.user_id)
        other = next(s for _, s, _ in results.values() if s != sid)
        assert c.get(f"/report/{other}").status_code == 404
    assert len(users) == 2


def test_bad_socket_messages_get_a_notice_not_a_crash(web: Web) -> None:
    c = client(web)
    ticket = new_ticket(c)
    with c.websocket_connect(ws_url(ticket), headers=ORIGIN) as raw:
        ws = Socket(raw)
        ws.until(lambda m: m["type"] == "session")
        raw.send_text("not json")
        assert "JSON" in ws.until(lambda m: m["type"] == "notice")["message"]
        raw.send_text(json.dumps({"type": "launch"}))
        assert "unknown message type" in ws.until(lambda m: m["type"] == "notice")["message"]
        raw.send_text(json.dumps({"type": "command", "name": "rm -rf"}))
        assert "unknown command" in ws.until(lambda m: m["type"] == "notice")["message"]
        raw.send_bytes(b"\x00" * (70 * 1024))
        while (msg := raw.receive())["type"] != "websocket.close":
            pass
        assert msg["code"] == 1009
    wait_done(web)
    assert web.store.list_sessions()[0].status == "interrupted"


# --------------------------------------------------------------------------- the command


def _serve(tmp_path: Path, *args: str) -> Any:
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "interviewer", "serve", "--no-browser", "--port", "0",
         "--db", str(tmp_path / "serve.duckdb"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def _url_from(proc: Any) -> str:
    assert proc.stdout is not None
    for line in proc.stdout:
        if "interviewer web app:" in line:
            return line.split("interviewer web app:", 1)[1].strip()
    raise AssertionError(f"no URL printed (exit code {proc.wait()})")


def test_serve_on_another_address_prints_a_tokened_url_and_enforces_it(tmp_path: Path) -> None:
    import signal

    import httpx

    proc = _serve(tmp_path, "--host", "0.0.0.0")
    try:
        url = _url_from(proc)
        assert "?token=" in url
        base, token = url.split("?token=")
        assert len(token) >= 16
        assert httpx.get(base + "api/status").status_code == 401
        ok = httpx.get(base + "api/status", headers={"authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and ok.json()["engines"] == "idle"  # lazy: nothing loaded
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0


def test_serve_on_loopback_needs_no_token_and_rejects_a_short_one(tmp_path: Path) -> None:
    import signal

    import httpx

    proc = _serve(tmp_path)
    try:
        url = _url_from(proc)
        assert url.startswith("http://127.0.0.1:") and "token" not in url
        assert httpx.get(url).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    short = _serve(tmp_path, "--token", "abc")
    out, _ = short.communicate(timeout=30)
    assert short.returncode == 2
    assert "--token: use at least 16 characters" in out
