"""The web app against hostile or odd input: each test is one finding of the hardening audit.

PDF bombs, cookie-less ticket floods, unstorable text (lone surrogates, NULs), store writes
that fail, deeply nested JSON over the WebSocket, cookies replayed from another server, and
numbers in other scripts. Fake engines and a temporary store, as in ``test_web.py``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from interviewer import documents
from interviewer.config import Settings
from interviewer.context import AppContext
from interviewer.store import StoreError
from interviewer.textsafe import storable, storable_data
from interviewer.web import registry, security
from interviewer.web.app import create_app
from interviewer.web.channel import json_depth
from tests.test_web import (
    BANK,
    BASE,
    ORIGIN,
    OWNER_COOKIE,
    Socket,
    Web,
    client,
    form,
    make_web,
    new_ticket,
    tone,
    user_of,
    wait_done,
    ws_url,
)


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    w = make_web(tmp_path)
    yield w
    w.store.close()


def shared_stream_pdf(pages: int, stream: bytes) -> bytes:
    """``pages`` pages that all draw one Flate-compressed content stream (Helvetica as F1)."""
    packed = zlib.compress(stream, 9)
    kids = " ".join(f"{5 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
    ]
    objects += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
    ] * pages
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


#: the audit's bomb: 5 pages sharing one 10 MB content stream, about 25 KB on disk
BOMB = shared_stream_pdf(
    5, b"BT /F1 12 Tf 72 720 Td " + b"(The quick brown fox jumps) Tj " * 322_000 + b"ET"
)


def upload(c: TestClient, name: str, data: bytes, **over: str) -> Any:
    return c.post(
        "/interviews",
        data=form(**over),
        files={"resume": (name, data, "application/pdf")},
        headers=ORIGIN,
        follow_redirects=False,
    )


def child_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- 1. PDF bombs


def test_a_pdf_bomb_is_refused_without_expanding_it(web: Web) -> None:
    assert len(BOMB) < 30_000
    c = client(web)
    r = upload(c, "cv.pdf", BOMB)
    assert r.status_code == 400
    text = r.text.replace("&#39;", "'")
    assert "résumé (cv.pdf): file has no text" in text
    assert "5 page(s) were skipped: their content is larger than 512 KB" in text
    assert web.app.state.registry.open_tickets() == []


def test_extracted_text_is_capped_with_a_notice_on_the_page(web: Web) -> None:
    # 5 pages sharing a 400 KB stream of text: 2 million characters if read in full
    words = b"BT /F1 12 Tf 72 720 Td (" + b"lorem ipsum dolor sit amet " * 15_000 + b") Tj ET"
    c = client(web)
    r = upload(c, "cv.pdf", shared_stream_pdf(5, words))
    assert r.status_code == 303, r.text
    ticket = r.headers["location"].removeprefix("/interview/")
    spec = web.app.state.registry.get(ticket, user_of(c)).spec
    assert len(spec.resume) == documents.MAX_DOCUMENT_CHARS == 200_000
    assert spec.resume.startswith("lorem ipsum dolor sit amet")
    page = c.get(f"/interview/{ticket}")
    assert "résumé (cv.pdf): only the first 200,000 characters were kept" in page.text


def test_pdf_extraction_runs_in_a_child_whose_cpu_is_bounded(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    # with the size limits lifted, only the child's CPU limit stands between the bomb and
    # 20 s of parsing (and 52 MB of text) in the server
    monkeypatch.setattr(documents, "MAX_PAGE_CONTENT_BYTES", 64 << 20)
    monkeypatch.setattr(documents, "MAX_PDF_CONTENT_BYTES", 64 << 20)
    monkeypatch.setattr(documents, "MAX_DOCUMENT_CHARS", 10**9)
    monkeypatch.setattr(documents, "EXTRACT_CPU_S", 1)
    before = child_cpu_s()
    r = upload(client(web), "cv.pdf", BOMB)
    spent = child_cpu_s() - before
    assert r.status_code == 400
    assert "needed more than 1 s of CPU" in r.text
    # the kernel stops the child at its limit (SIGXCPU); the margin is the interpreter start
    assert 0.5 < spent < documents.EXTRACT_CPU_S + 2.0


def test_pypdf_warnings_become_one_log_line(
    web: Web, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    # 4000 malformed numbers: pypdf warns about each one (960 KB on stderr for this file)
    noisy = shared_stream_pdf(2, b"BT /F1 12 Tf " + b"1..2 3..4 Td (x) Tj " * 2000 + b"ET")
    with caplog.at_level(logging.WARNING):
        r = upload(client(web), "cv.pdf", noisy)
    assert r.status_code == 303, r.text
    assert [rec for rec in caplog.records if rec.name.startswith("pypdf")] == []
    ours = [rec for rec in caplog.records if rec.name == "interviewer.documents"]
    assert len(ours) == 1
    assert "8000 warnings" in ours[0].getMessage()
    assert "could not convert" not in capfd.readouterr().err


# --------------------------------------------------------------------------- 2. ticket floods


def test_a_hundred_cookieless_posts_hit_the_server_wide_cap_with_429(web: Web) -> None:
    cap, per_owner = registry.MAX_OPEN_TICKETS, registry.MAX_OPEN_TICKETS_PER_OWNER
    regular = client(web)
    for _ in range(per_owner):
        new_ticket(regular)
    jd = ("We need someone who builds churn models. " * 2500).encode()  # 100 KB each
    flood = client(web)
    codes = []
    for _ in range(100):
        flood.cookies.clear()  # every post a new owner: the per-owner limit bounds nothing
        r = flood.post(
            "/interviews",
            data=form(),
            files={"job_description": ("jd.txt", jd, "text/plain")},
            headers=ORIGIN,
            follow_redirects=False,
        )
        codes.append(r.status_code)
    assert codes[: cap - per_owner] == [303] * (cap - per_owner)
    assert set(codes[cap - per_owner :]) == {429}
    assert "interviews that were set up but not started (at most 64)" in r.text
    held = web.app.state.registry.open_tickets()
    assert len(held) == cap == 64
    # what the server holds is bounded by the cap times the per-ticket document cap
    chars = sum(len(t.spec.job_description or "") + len(t.spec.resume or "") for t in held)
    assert chars <= cap * 2 * documents.MAX_DOCUMENT_CHARS
    # a browser at its own limit still gets a new page, in place of its oldest one
    assert new_ticket(regular)
    assert len(web.app.state.registry.open_tickets()) == cap


# --------------------------------------------------------------------------- 3. unstorable text


def test_storable_replaces_surrogates_and_drops_controls() -> None:
    assert storable("I led \ud800 the migration") == "I led \ufffd the migration"
    assert storable("a\x00b\x1bc\td\ne") == "abc\td\ne"
    assert storable("plain") == "plain" and storable("naïve ✓") == "naïve ✓"
    assert storable_data({"a": ["x\udfff", ("\x00",)], "n": 3}) == {
        "a": ["x\ufffd", ("",)],
        "n": 3,
    }


def test_surrogates_and_nuls_in_every_text_field_are_stored(web: Web) -> None:
    c = client(web)
    # the form: a NUL in every text field, a surrogate's UTF-8-like bytes, a NUL in a file name
    body = (
        "role=data_scientist&level=mid&type=behavioral&questions=1&follow_ups=0"
        "&company=Ac%00me%ED%A0%80&notes=line%00one"
    )
    r = c.post(
        "/interviews",
        content=body.encode(),
        headers={**ORIGIN, "content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    ticket = r.headers["location"].removeprefix("/interview/")
    spec = web.app.state.registry.get(ticket, user_of(c)).spec
    assert spec.company is not None and "\x00" not in spec.company
    assert spec.company.startswith("Acme") and spec.notes == "lineone"
    files = {"job_description": ("jd\x00.txt", b"Job: analyst\x1b[31m red", "text/plain")}
    ticket = new_ticket(c, files=files)
    spec = web.app.state.registry.get(ticket, user_of(c)).spec
    assert spec.job_description == "Job: analyst[31m red"
    # the typed answers: a lone surrogate, then a NUL
    with c.websocket_connect(ws_url(ticket), headers=ORIGIN) as raw:
        ws = Socket(raw)
        session = ws.until(lambda m: m["type"] == "session")
        ws.state("listening")
        raw.send_text(json.dumps({"type": "text", "text": "I led \ud800 the migration"}))
        ws.until(lambda m: m["type"] == "saved")
        ws.state("listening")
        raw.send_text(json.dumps({"type": "text", "text": "No\x00, thank you."}))
        ended = ws.state("ended")
    assert ended["status"] == "finished"
    assert not [m for m in ws.messages if m["type"] == "error"]
    wait_done(web)
    record = web.store.get_session(session["id"])
    assert record.status == "finished"
    answers = [t.answer_text for t in record.turns]
    assert answers[0] == "I led \ufffd the migration"
    assert answers[-1] == "No, thank you."


def test_a_failing_store_write_keeps_the_answer_and_the_status_true(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interviewer.web import keeping

    monkeypatch.setattr(keeping, "PAUSE_S", 0.01)
    real_add_turn = web.store.add_turn
    failures = {"left": 4}  # more than one exchange's attempts: the answer waits for the end

    def flaky_add_turn(session_id: str, turn: Any) -> int:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise StoreError(f"writing to {web.store.path} failed: disk I/O error")
        return real_add_turn(session_id, turn)

    monkeypatch.setattr(web.store, "add_turn", flaky_add_turn)
    c = client(web)
    ticket = new_ticket(c)
    with c.websocket_connect(ws_url(ticket), headers=ORIGIN) as raw:
        ws = Socket(raw)
        session = ws.until(lambda m: m["type"] == "session")
        ws.state("listening")
        raw.send_text(json.dumps({"type": "text", "text": "I rebuilt the pipeline."}))
        notice = ws.until(lambda m: m["type"] == "notice")
        assert "kept and tried again" in notice["message"]
        ws.state("listening")
        raw.send_text(json.dumps({"type": "text", "text": "No, thank you."}))
        ended = ws.state("ended")
    assert ended["status"] == "finished"
    assert str(web.store.path) not in json.dumps(ws.messages)
    wait_done(web)
    record = web.store.get_session(session["id"])
    assert record.status == "finished"
    assert sorted(t.answer_text for t in record.turns) == [
        "I rebuilt the pipeline.",
        "No, thank you.",
    ]


def test_error_messages_to_the_page_never_name_the_store(web: Web) -> None:
    from interviewer.web.channel import Outbox

    loop = asyncio.new_event_loop()
    try:
        box = Outbox(loop, redact=(str(web.store.path),))
        box.json({"type": "error", "message": f"writing to {web.store.path} failed: full"})
        loop.run_until_complete(asyncio.sleep(0.01))
        sent = box.queue.get_nowait()
    finally:
        loop.close()
    assert sent == {"type": "error", "message": "writing to the store failed: full"}


# --------------------------------------------------------------------------- 4. nested JSON


def test_deeply_nested_json_gets_a_notice_and_the_interview_goes_on(web: Web) -> None:
    assert json_depth('{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    c = client(web)
    ticket = new_ticket(c)
    with c.websocket_connect(ws_url(ticket), headers=ORIGIN) as raw:
        ws = Socket(raw)
        session = ws.until(lambda m: m["type"] == "session")
        ws.state("listening")
        raw.send_text('{"a":' * 1000 + "1" + "}" * 1000)
        assert "nested too deeply" in ws.until(lambda m: m["type"] == "notice")["message"]
        raw.send_text("[" * 4000 + "]" * 4000)
        assert "nested too deeply" in ws.until(lambda m: m["type"] == "notice")["message"]
        ws.speak(tone(0.8))
        # saved once the reply was heard out, just after "listening" (the answer may go on)
        ws.until(lambda m: m["type"] == "saved")
        raw.send_text(json.dumps({"type": "text", "text": "No, thank you."}))
        ended = ws.state("ended")
    assert ended["status"] == "finished"
    wait_done(web)
    assert web.store.get_session(session["id"]).status == "finished"


# --------------------------------------------------------------------------- 5. cookies


def test_cookies_are_named_after_the_port_and_signed(web: Web) -> None:
    assert OWNER_COOKIE == "interviewer_owner_8765"
    c = client(web)
    c.get("/")
    value = c.cookies[OWNER_COOKIE]
    owner, mac = value.split(".")
    assert security.valid_owner(owner) and len(mac) == 43
    other = TestClient(web.app, base_url="http://127.0.0.1:9000")
    r = other.get("/")
    assert r.headers["set-cookie"].startswith("interviewer_owner_9000=")
    # the cookie copied to the name another port uses is worth nothing there
    replay = TestClient(web.app, base_url="http://127.0.0.1:9000")
    replay.cookies.set("interviewer_owner_9000", value)
    assert replay.get("/history").headers["set-cookie"].startswith("interviewer_owner_9000=")


def test_an_owner_cookie_from_elsewhere_opens_nothing(web: Web, tmp_path: Path) -> None:
    alice = client(web)
    alice.get("/")
    owner = alice.cookies[OWNER_COOKIE].split(".")[0]
    sid = web.store.create_session({"role": "data_scientist"}, {}, "web", user_id=user_of(alice))
    assert alice.get(f"/report/{sid}").status_code != 404
    # the bare id (what the cookie used to be), and the id signed by another server's secret
    forged = [owner, security.CookieSigner(b"x" * 32).sign(OWNER_COOKIE, owner)]
    for value in forged:
        thief = client(web)
        thief.cookies.set(OWNER_COOKIE, value)
        r = thief.get("/history")
        assert sid not in r.text and "set-cookie" in r.headers  # a fresh owner instead
        assert thief.get(f"/report/{sid}").status_code == 404
        # alice's fresh interview page, opened with the replayed cookie: the handshake fails
        ticket = new_ticket(alice)
        socket_thief = client(web)
        socket_thief.cookies.set(OWNER_COOKIE, value)
        with (
            pytest.raises(WebSocketDisconnect),
            socket_thief.websocket_connect(ws_url(ticket), headers=ORIGIN),
        ):
            pass


def test_rotating_the_secret_makes_every_browser_a_new_owner(tmp_path: Path) -> None:
    path = tmp_path / "web.duckdb"
    secret_file = security.secret_path_for(path)
    first = security.load_secret(secret_file)
    assert security.load_secret(secret_file) == first  # kept across restarts
    assert secret_file.stat().st_mode & 0o077 == 0  # the user's only
    w = make_web(tmp_path)  # reads the same file beside its store
    try:
        c = client(w)
        c.get("/")
        sid = w.store.create_session({"role": "data_scientist"}, {}, "web", user_id=user_of(c))
        assert sid in c.get("/history").text
        rotated = security.load_secret(secret_file, rotate=True)
        assert rotated != first and security.load_secret(secret_file) == rotated
        app = create_app(
            AppContext(Settings(device="cpu"), bank=BANK, store=w.store),
            hub=w.app.state.hub,
            policy=security.AccessPolicy(host="127.0.0.1"),
        )
        after = TestClient(app, base_url=BASE)
        after.cookies.set(OWNER_COOKIE, c.cookies[OWNER_COOKIE])
        r = after.get("/history")
        assert sid not in r.text and r.headers["set-cookie"].startswith(f"{OWNER_COOKIE}=")
    finally:
        w.store.close()


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("field", "value"),
    [("questions", "٣"), ("questions", "1_0"), ("follow_ups", "١"), ("questions", "²")],
)
def test_numbers_of_questions_take_ascii_digits_only(web: Web, field: str, value: str) -> None:
    r = client(web).post("/interviews", data=form(**{field: value}), headers=ORIGIN)
    assert r.status_code == 400
    assert "use the digits 0-9" in r.text
    assert web.app.state.registry.open_tickets() == []
