"""Screening mode's web side on fake engines: every security rule, and a candidate's interview.

The app is ``create_app`` with a :class:`Screening` over a temporary store; the candidate's
interview runs over its WebSocket as in test_web.py (a tone is the "microphone", the fake STT
returns the scripted answer). The clock is the test's, so a link can expire on demand.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from typer.testing import CliRunner

from interviewer.config import Settings
from interviewer.context import AppContext, Engines
from interviewer.engines.fakes import FakeLLM, FakeSTT, FakeTTS, FakeVAD
from interviewer.errors import ConfigError
from interviewer.pipeline.runner import RunnerConfig
from interviewer.screening import Screening, TemplateDraft, TemplateQuestion, User, recording_path
from interviewer.store import Store
from interviewer.web.app import create_app
from interviewer.web.screening.serving import ProxiedPolicy, tls_refusal
from interviewer.web.security import AccessPolicy
from tests.test_web import ANSWER, BANK, FAST, Socket, tone

BASE = "http://127.0.0.1:8765"
ORIGIN = {"origin": BASE}
PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Screen:
    app: Any
    store: Store
    screening: Screening
    clock: Clock
    admin: User
    reviewer: User


def build(
    tmp_path: Path,
    *,
    host: str = "127.0.0.1",
    token: str | None = None,
    policy: AccessPolicy | None = None,
) -> Screen:
    store = Store.open(tmp_path / "screen.duckdb")
    engines = Engines(
        Settings(device="cpu"),
        factories={
            "stt": lambda: FakeSTT([ANSWER]),
            "tts": lambda: FakeTTS(seconds_per_char=0.002),
            "llm": FakeLLM,
            "vad": lambda: FakeVAD(threshold=0.05),
        },
        instruction_tuned=False,
        models={"stt": "fake-stt", "tts": "fake-tts", "llm": "fake-llm", "vad": "fake-vad"},
    )
    context = AppContext(Settings(device="cpu"), bank=BANK, store=store, engines=engines)
    clock = Clock()
    # a cheap argon2 for tests; the server uses argon2-cffi's defaults
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    screening = Screening(store, BANK, now=clock, hasher=hasher)
    admin = screening.bootstrap_admin("Acme", "admin@acme.example", "Ada Admin", PASSWORD)
    reviewer = screening.create_user(
        admin, "rita@acme.example", "Rita Reviewer", "reviewer", PASSWORD
    )
    app = create_app(
        context,
        policy=policy or AccessPolicy(host=host, token=token),
        runner_config=lambda: RunnerConfig(barge_in=True, endpoint=FAST, listen_after_s=0.05),
        screening=screening,
    )
    return Screen(app, store, screening, clock, admin, reviewer)


@pytest.fixture
def screen(tmp_path: Path) -> Iterator[Screen]:
    s = build(tmp_path)
    yield s
    s.store.close()


def browser(s: Screen, base: str = BASE) -> TestClient:
    return TestClient(s.app, base_url=base)


def csrf(c: TestClient, path: str) -> str:
    r = c.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    match = CSRF_RE.search(r.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(c: TestClient, email: str, password: str = PASSWORD, origin: str = BASE) -> Any:
    token = csrf(c, "/screening/login")
    return c.post(
        "/screening/login",
        data={"email": email, "password": password, "csrf": token},
        headers={"origin": origin},
        follow_redirects=False,
    )


def logged_in(s: Screen, email: str) -> TestClient:
    c = browser(s)
    r = login(c, email)
    assert r.status_code == 303, r.text
    return c


def post(c: TestClient, path: str, data: dict[str, Any], form_page: str | None = None) -> Any:
    """A form post with the CSRF token of ``form_page`` (the page the form is on)."""
    token = csrf(c, form_page or path)
    return c.post(path, data={**data, "csrf": token}, headers=ORIGIN, follow_redirects=False)


def one_question_draft(name: str = "Analyst screen", **over: Any) -> TemplateDraft:
    question = TemplateQuestion(
        bank_id=None,
        text="Tell me about a time you fixed a broken data pipeline.",
        competency="ownership",
        type="behavioral",
        key_points=("names the failure", "says what they changed", "gives the result"),
    )
    fields: dict[str, Any] = {
        "name": name,
        "position": "Data Analyst",
        "level": "mid",
        "questions": (question,),
        "follow_ups": 0,
        **over,
    }
    return TemplateDraft(**fields)


def audit_rows(s: Screen) -> list[tuple[Any, ...]]:
    entries = sorted(s.screening.all_audit(100_000), key=lambda e: e.seq)
    return [
        (e.seq, e.ts, e.org_id, e.actor, e.action, e.target, json.dumps(e.detail)) for e in entries
    ]


def ws_url(token: str, base: str = BASE) -> str:
    return base.replace("http://", "ws://") + f"/ws/screening/{token}"


def take_interview(c: TestClient, token: str) -> dict[str, Any]:
    """The candidate's whole interview over the link's socket; the session message back."""
    with c.websocket_connect(ws_url(token), headers=ORIGIN) as raw:
        ws = Socket(raw)
        session = ws.until(lambda m: m["type"] == "session")
        ws.state("listening")
        ws.speak(tone(0.8))
        # stored once its reply has been heard out, as the microphone opens again
        ws.until(lambda m: m["type"] == "saved")
        raw.send_text(json.dumps({"type": "text", "text": "No, thank you."}))
        ended = ws.state("ended")
    assert ended["status"] == "finished"
    return session


def wait_idle(s: Screen, invitation_id: str, timeout: float = 30.0) -> str:
    """Until the interview's thread has ended and marked the invitation; its status."""
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = s.screening.invitation(s.reviewer, invitation_id).status
        if not s.app.state.registry.running() and status in ("completed", "interrupted"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"the interview did not end (invitation {status})")


# --------------------------------------------------------------------------- logins, cookies


def test_practice_mode_has_no_screening_routes(tmp_path: Path) -> None:
    from tests.test_web import make_web

    web = make_web(tmp_path)
    try:
        c = TestClient(web.app, base_url=BASE)
        assert c.get("/screening/login").status_code == 404
        assert c.get("/").status_code == 200  # the practice app, no login
    finally:
        web.store.close()


def test_login_sets_a_strict_httponly_cookie_secure_over_https(screen: Screen) -> None:
    r = login(browser(screen), "rita@acme.example")
    assert r.status_code == 303 and r.headers["location"] == "/screening/"
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "login" in v)
    assert cookie.startswith("interviewer_login_8765=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on loopback: a Secure cookie would not come back

    https = "https://127.0.0.1:8765"
    r = login(browser(screen, https), "rita@acme.example", origin=https)
    assert r.status_code == 303
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "login" in v)
    assert cookie.startswith("interviewer_login_8765=") and "Secure" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_wrong_password_and_logout(screen: Screen) -> None:
    c = browser(screen)
    r = login(c, "rita@acme.example", "not the password")
    assert r.status_code == 401 and "wrong email or password" in r.text
    c = logged_in(screen, "rita@acme.example")
    assert c.get("/screening/templates").status_code == 200
    r = post(c, "/screening/logout", {}, "/screening/templates")
    assert r.status_code == 303
    r = c.get("/screening/templates", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/screening/login"


def test_logins_are_rate_limited(screen: Screen) -> None:
    c = browser(screen)
    statuses = [login(c, "rita@acme.example", f"guess number {i}").status_code for i in range(12)]
    assert statuses[0] == 401 and statuses[-1] == 429, statuses
    r = login(c, "rita@acme.example")  # even the right password, until the window has passed
    assert r.status_code == 429 and "too many failed logins" in r.text
    assert int(r.headers["retry-after"]) > 0
    screen.clock.now += timedelta(hours=2)
    assert login(c, "rita@acme.example").status_code == 303


# --------------------------------------------------------------------------- CSRF, roles


def test_form_posts_need_this_sessions_csrf_token(screen: Screen) -> None:
    admin = logged_in(screen, "admin@acme.example")
    data = {"email": "new@acme.example", "name": "New One", "role": "reviewer"}
    data["password"] = PASSWORD
    # missing
    r = admin.post("/screening/users", data=data, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 403 and "security token" in r.text
    # another login session's token (another browser of the same admin)
    other = logged_in(screen, "admin@acme.example")
    stolen = csrf(other, "/screening/users")
    r = admin.post(
        "/screening/users", data={**data, "csrf": stolen}, headers=ORIGIN, follow_redirects=False
    )
    assert r.status_code == 403
    # a token from before the login does not survive it
    before = browser(screen)
    old = csrf(before, "/screening/login")
    assert login(before, "admin@acme.example").status_code == 303
    r = before.post(
        "/screening/users", data={**data, "csrf": old}, headers=ORIGIN, follow_redirects=False
    )
    assert r.status_code == 403
    # the candidate's consent form too
    token = screen.screening.invite(
        screen.reviewer, template_of(screen).id, "Cand", "cand@example.com"
    ).token
    r = browser(screen).post(f"/s/{token}/consent", data={"agree": "yes"}, headers=ORIGIN)
    assert r.status_code == 403
    assert [u.email for u in screen.screening.users(screen.admin)].count("new@acme.example") == 0
    # and the right one works
    assert post(admin, "/screening/users", data).status_code == 303
    assert "new@acme.example" in admin.get("/screening/users").text


def template_of(s: Screen) -> Any:
    listed = s.screening.templates(s.reviewer)
    return listed[0] if listed else s.screening.save_template(s.reviewer, one_question_draft())


def test_each_page_checks_the_role(screen: Screen) -> None:
    template = template_of(screen)
    nobody = browser(screen)
    for path in (
        "/screening/users",
        "/screening/templates",
        f"/screening/templates/{template.id}/dashboard",
    ):
        r = nobody.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/screening/login", path
    reviewer = logged_in(screen, "rita@acme.example")
    assert reviewer.get("/screening/users").status_code == 403
    assert reviewer.get("/screening/audit").status_code == 403
    token = csrf(reviewer, "/screening/templates")
    r = reviewer.post(
        "/screening/users",
        data={
            "email": "x@acme.example",
            "name": "X",
            "role": "admin",
            "password": PASSWORD,
            "csrf": token,
        },
        headers=ORIGIN,
    )
    assert r.status_code == 403
    assert all(u.email != "x@acme.example" for u in screen.screening.users(screen.admin))
    # deleting a candidate's data is for admins
    inv = screen.screening.invite(screen.reviewer, template.id, "Ivy", "ivy@example.com")
    r = reviewer.post(
        f"/screening/candidates/{inv.id}/delete",
        data={"confirm": "yes", "csrf": token},
        headers=ORIGIN,
    )
    assert r.status_code == 403
    assert screen.screening.invitation(screen.reviewer, inv.id).status == "invited"
    admin = logged_in(screen, "admin@acme.example")
    assert admin.get("/screening/audit").status_code == 200
    assert admin.get("/screening/users").status_code == 200


def test_another_organisations_ids_are_not_found(screen: Screen) -> None:
    template = template_of(screen)
    invitation = screen.screening.invite(screen.reviewer, template.id, "Cand", "cand@example.com")
    other_admin = screen.screening.bootstrap_admin(
        "Globex", "boss@globex.example", "Boss", PASSWORD
    )
    assert other_admin.org_id != screen.admin.org_id
    screen.screening.create_user(other_admin, "spy@globex.example", "Spy", "reviewer", PASSWORD)
    spy = logged_in(screen, "spy@globex.example")
    before = audit_rows(screen)
    for path in (
        f"/screening/templates/{template.id}/edit",
        f"/screening/templates/{template.id}/dashboard",
        f"/screening/templates/{template.id}/invitations",
        f"/screening/templates/{template.id}/invitations.csv",
        f"/screening/templates/{template.id}/export.csv",
        f"/screening/candidates/{invitation.id}",
        f"/screening/candidates/{invitation.id}/answers/0.wav",
    ):
        assert spy.get(path).status_code == 404, path
    boss = logged_in(screen, "boss@globex.example")
    boss_token = csrf(boss, "/screening/templates")
    for path, data in (
        (f"/screening/candidates/{invitation.id}/review", {"overall": "1", "notes": "x"}),
        (f"/screening/candidates/{invitation.id}/shortlist", {"on": "1"}),
        (f"/screening/candidates/{invitation.id}/delete", {"confirm": "yes"}),
        (f"/screening/templates/{template.id}/invitations", {"name": "N", "email": "n@x.example"}),
        (f"/screening/templates/{template.id}", {"position": "Hijacked", "q0_text": "Q" * 20}),
    ):
        # the other organisation's admin (deleting is for admins)
        r = boss.post(path, data={**data, "csrf": boss_token}, headers=ORIGIN)
        assert r.status_code == 404, path
    assert screen.screening.template(screen.reviewer, template.id).draft.position == "Data Analyst"
    assert len(screen.screening.invitations(screen.reviewer, template.id)) == 1
    assert screen.screening.invitation(screen.reviewer, invitation.id).status == "invited"
    # the other organisation's own lists do not show them either
    assert template.id not in spy.get("/screening/templates").text
    assert audit_rows(screen)[: len(before)] == before


# --------------------------------------------------------------------------- links


def test_an_expired_link_opens_nothing(screen: Screen) -> None:
    template = template_of(screen)
    inv = screen.screening.invite(screen.reviewer, template.id, "Late", "late@example.com", days=2)
    c = browser(screen)
    assert c.get(f"/s/{inv.token}").status_code == 200
    screen.clock.now += timedelta(days=3)
    r = c.get(f"/s/{inv.token}")
    assert r.status_code == 410 and "expired" in r.text
    assert c.get(f"/s/{inv.token}/interview").status_code == 410
    with (
        pytest.raises(WebSocketDisconnect),
        c.websocket_connect(ws_url(inv.token), headers=ORIGIN) as ws,
    ):
        ws.receive_text()
    assert c.get("/s/" + "x" * 43).status_code == 410  # unknown


def test_the_interview_needs_consent_first(screen: Screen) -> None:
    inv = screen.screening.invite(screen.reviewer, template_of(screen).id, "C", "c@example.com")
    # the link the reviewer sends (the page and the CSV agree) is the one that opens it
    rev = logged_in(screen, "rita@acme.example")
    link = f"{BASE}/s/{inv.token}"
    assert f'value="{link}"' in rev.get(f"/screening/templates/{inv.template_id}/invitations").text
    exported = rev.get(f"/screening/templates/{inv.template_id}/invitations.csv")
    assert exported.headers["content-disposition"].startswith("attachment;")
    assert f"c@example.com,{link}," in exported.text
    c = browser(screen)
    r = c.get(f"/s/{inv.token}/interview", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/s/{inv.token}"
    with (
        pytest.raises(WebSocketDisconnect),
        c.websocket_connect(ws_url(inv.token), headers=ORIGIN) as ws,
    ):
        ws.receive_text()
    page = c.get(f"/s/{inv.token}").text
    assert "90 days" in page and "What is recorded" in page  # from the template
    r = post(c, f"/s/{inv.token}/consent", {}, f"/s/{inv.token}")
    assert r.status_code == 200 and "tick the box" in r.text
    r = post(c, f"/s/{inv.token}/consent", {"agree": "yes"}, f"/s/{inv.token}")
    assert r.status_code == 303 and r.headers["location"] == f"/s/{inv.token}/mic"
    assert c.get(f"/s/{inv.token}/mic").status_code == 200


def test_a_candidates_interview_is_recorded_per_answer_and_its_link_is_then_used_up(
    screen: Screen,
) -> None:
    template = screen.screening.save_template(
        screen.reviewer, one_question_draft(show_scores=False)
    )
    first = screen.screening.invite(screen.reviewer, template.id, "Ann", "ann@example.com")
    second = screen.screening.invite(screen.reviewer, template.id, "Ben", "ben@example.com")
    cand = browser(screen)
    post(cand, f"/s/{first.token}/consent", {"agree": "yes"}, f"/s/{first.token}")
    page = cand.get(f"/s/{first.token}/interview")
    assert f'data-ws="/ws/screening/{first.token}"' in page.text
    assert "/history" not in page.text.split("<main>")[0]  # no practice links for a candidate
    session = take_interview(cand, first.token)
    wait_idle(screen, first.id)

    record = screen.store.get_session(session["id"])
    assert record.status == "finished" and record.turns[0].answer_text == ANSWER
    wav = recording_path(screen.store.path, record.id, record.turns[0].idx)
    audio, rate = sf.read(wav)
    assert rate == 16_000 and 0.6 < len(audio) / rate < 2.0  # the 0.8 s answer, padded
    assert abs(audio).max() > 0.1  # the tone, not silence
    assert not recording_path(screen.store.path, record.id, record.turns[-1].idx).exists()  # typed

    done = screen.screening.invitation(screen.reviewer, first.id)
    assert done.status == "completed" and done.session_id == record.id
    # the other candidate's invitation is untouched: a link opens only its own interview
    assert screen.screening.invitation(screen.reviewer, second.id).session_id is None
    thanks = cand.get(f"/s/{first.token}/thanks")
    assert thanks.status_code == 200 and "Thank you" in thanks.text
    assert "candidate-overall" not in thanks.text  # the template does not show scores

    # used up: the link opens nothing any more, page or socket
    r = cand.get(f"/s/{first.token}")
    assert r.status_code == 410 and "already been used" in r.text
    with (
        pytest.raises(WebSocketDisconnect),
        cand.websocket_connect(ws_url(first.token), headers=ORIGIN) as ws,
    ):
        ws.receive_text()
    # the candidate's browser opens no reviewer page, report or recording
    for path in (
        f"/screening/candidates/{first.id}",
        f"/screening/candidates/{first.id}/answers/0.wav",
    ):
        assert cand.get(path, follow_redirects=False).status_code == 303
    assert cand.get(f"/report/{record.id}").status_code == 404

    # the reviewer hears it and sees the evidence
    rev = logged_in(screen, "rita@acme.example")
    page = rev.get(f"/screening/candidates/{first.id}")
    assert page.status_code == 200 and ANSWER[:30] in page.text
    assert f'src="/screening/candidates/{first.id}/answers/{record.turns[0].idx}.wav"' in page.text
    r = rev.get(f"/screening/candidates/{first.id}/answers/{record.turns[0].idx}.wav")
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert r.content == wav.read_bytes()
    assert rev.get(f"/screening/candidates/{first.id}/answers/../../x.wav").status_code == 404
    dash = rev.get(f"/screening/templates/{template.id}/dashboard")
    assert dash.status_code == 200 and "Ann" in dash.text and "Ben" in dash.text
    assert 'id="fairness"' in dash.text


def test_a_dropped_connection_resumes_with_the_same_link(screen: Screen) -> None:
    template = screen.screening.save_template(screen.reviewer, one_question_draft())
    inv = screen.screening.invite(screen.reviewer, template.id, "Cy", "cy@example.com")
    c = browser(screen)
    post(c, f"/s/{inv.token}/consent", {"agree": "yes"}, f"/s/{inv.token}")
    with c.websocket_connect(ws_url(inv.token), headers=ORIGIN) as raw:
        ws = Socket(raw)
        first = ws.until(lambda m: m["type"] == "session")
        ws.state("listening")
    assert wait_idle(screen, inv.id) == "interrupted"
    assert c.get(f"/s/{inv.token}/interview").status_code == 200
    again = take_interview(c, inv.token)
    assert wait_idle(screen, inv.id) == "completed"
    assert again["id"] == first["id"]  # the same session, continued
    assert screen.screening.invitation(screen.reviewer, inv.id).status == "completed"


# --------------------------------------------------------------------------- the audit log


def test_no_endpoint_changes_the_audit_log_except_by_appending(screen: Screen) -> None:
    """Every page and form of the app, as admin, reviewer and candidate: after each request
    the log's earlier entries are all still there, unchanged, and in order."""
    template = screen.screening.save_template(screen.reviewer, one_question_draft())
    inv = screen.screening.invite(screen.reviewer, template.id, "Dee", "dee@example.com")
    cand = browser(screen)
    post(cand, f"/s/{inv.token}/consent", {"agree": "yes"}, f"/s/{inv.token}")
    take_interview(cand, inv.token)
    wait_idle(screen, inv.id)
    gone = screen.screening.invite(screen.reviewer, template.id, "Eve", "eve@example.com")
    admin = logged_in(screen, "admin@acme.example")
    rev = logged_in(screen, "rita@acme.example")
    t, i = template.id, inv.id
    steps: list[tuple[TestClient, str, str, dict[str, Any] | None, str | None]] = [
        (admin, "GET", "/screening/users", None, None),
        (
            admin,
            "POST",
            "/screening/users",
            {"email": "z@acme.example", "name": "Z", "role": "reviewer", "password": PASSWORD},
            None,
        ),
        (admin, "GET", "/screening/audit", None, None),
        (rev, "GET", "/screening/templates", None, None),
        (rev, "GET", "/screening/templates/new", None, None),
        (
            rev,
            "POST",
            "/screening/templates",
            {"position": "Analyst", "q0_text": "Why do you want to work with data?"},
            "/screening/templates/new",
        ),
        (rev, "GET", f"/screening/templates/{t}/edit", None, None),
        (
            rev,
            "POST",
            f"/screening/templates/{t}",
            {
                "position": "Data Analyst II",
                "q0_text": "What makes a good analysis?",
                "follow_ups": "0",
            },
            f"/screening/templates/{t}/edit",
        ),
        (rev, "GET", f"/screening/templates/{t}/invitations", None, None),
        (
            rev,
            "POST",
            f"/screening/templates/{t}/invitations",
            {"name": "Fay", "email": "fay@example.com"},
            None,
        ),
        (rev, "GET", f"/screening/templates/{t}/invitations.csv", None, None),
        (rev, "GET", f"/screening/templates/{t}/dashboard?sort=name&q=dee", None, None),
        (rev, "GET", f"/screening/templates/{t}/export.csv", None, None),
        (rev, "GET", f"/screening/templates/{t}/export.json", None, None),
        (rev, "GET", f"/screening/candidates/{i}", None, None),
        (rev, "GET", f"/screening/candidates/{i}/answers/0.wav", None, None),
        (
            rev,
            "POST",
            f"/screening/candidates/{i}/review",
            {"overall": "2", "notes": "thin", "override_ownership": "2"},
            f"/screening/candidates/{i}",
        ),
        (
            rev,
            "POST",
            f"/screening/candidates/{i}/shortlist",
            {"on": "1"},
            f"/screening/candidates/{i}",
        ),
        (
            admin,
            "POST",
            f"/screening/candidates/{gone.id}/delete",
            {"confirm": "yes"},
            f"/screening/candidates/{gone.id}",
        ),
        (cand, "GET", f"/s/{inv.token}/thanks", None, None),
        (rev, "POST", "/screening/logout", {}, "/screening/templates"),
    ]
    log = audit_rows(screen)
    statuses = []
    for c, method, path, data, form_page in steps:
        if method == "GET":
            r = c.get(path, follow_redirects=False)
        else:
            r = post(c, path, data or {}, form_page)
        statuses.append((path, r.status_code))
        now = audit_rows(screen)
        assert now[: len(log)] == log, f"{method} {path} changed the audit log"
        log = now
    bad = [(p, code) for p, code in statuses if code not in (200, 303)]
    assert not bad, bad
    actions = {row[4] for row in log}
    assert {
        "user.create",
        "template.create",
        "template.update",
        "invitation.create",
        "invitations.export",
        "candidate.view",
        "recording.play",
        "review.override",
        "candidate.shortlist",
        "candidate.delete",
        "export",
    } <= actions, actions


def test_no_code_updates_or_deletes_audit_rows() -> None:
    """The static half: no SQL in the package touches the audit table but INSERT."""
    root = Path(__file__).resolve().parents[1] / "interviewer"
    bad = re.compile(
        r"(UPDATE\s+audit|DELETE\s+FROM\s+audit|TRUNCATE\s+audit|DROP\s+TABLE\s+audit)", re.I
    )
    hits = [
        f"{p.relative_to(root)}: {m.group(0)}"
        for p in root.rglob("*.py")
        for m in bad.finditer(p.read_text(encoding="utf-8"))
    ]
    assert not hits, hits


# --------------------------------------------------------------------------- serving


def test_off_loopback_screening_needs_tls_or_a_proxy(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    off = "0.0.0.0"
    refusal = tls_refusal(off, screening=True, tls_cert=None, tls_key=None, behind_proxy=False)
    assert refusal and "--tls-cert" in refusal and "--behind-proxy" in refusal
    assert tls_refusal(off, screening=True, tls_cert=cert, tls_key=key, behind_proxy=False) is None
    assert tls_refusal(off, screening=True, tls_cert=None, tls_key=None, behind_proxy=True) is None
    assert (
        tls_refusal("127.0.0.1", screening=True, tls_cert=None, tls_key=None, behind_proxy=False)
        is None
    )
    # practice mode keeps its token rule
    assert (
        tls_refusal(off, screening=False, tls_cert=None, tls_key=None, behind_proxy=False) is None
    )
    assert "go together" in (
        tls_refusal(off, screening=True, tls_cert=cert, tls_key=None, behind_proxy=False) or ""
    )
    missing = tls_refusal(
        off, screening=True, tls_cert=tmp_path / "no.pem", tls_key=key, behind_proxy=False
    )
    assert missing and "no such file" in missing

    from interviewer.cli import app as cli

    result = CliRunner().invoke(
        cli,
        [
            "serve",
            "--screening",
            "--host",
            "0.0.0.0",
            "--no-browser",
            "--db",
            str(tmp_path / "x.duckdb"),
        ],
    )
    # `interviewer` (main) prints a ConfigError as one line and exits 2
    assert isinstance(result.exception, ConfigError), result.output
    assert "unencrypted" in str(result.exception) and "--behind-proxy" in str(result.exception)
    assert not (tmp_path / "x.duckdb").exists()  # refused before anything was opened


def test_behind_a_proxy_the_public_name_and_forwarded_https_are_believed(tmp_path: Path) -> None:
    """As `serve --behind-proxy --public-host hr.acme.example` runs it: uvicorn's proxy-headers
    middleware in front, trusting the proxy's address only."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    policy = ProxiedPolicy(host="127.0.0.1", public_hosts=frozenset({"hr.acme.example"}))
    assert policy.host_ok("hr.acme.example") and policy.host_ok("127.0.0.1:8765")
    assert not policy.host_ok("evil.example")
    s = build(tmp_path, policy=policy)
    try:
        public = "https://hr.acme.example"
        forwarded = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9"}
        # the test client's address plays the proxy's
        app: Any = ProxyHeadersMiddleware(s.app, trusted_hosts=["testclient"])
        c = TestClient(app, base_url="http://hr.acme.example", headers=forwarded)
        r = login(c, "rita@acme.example", origin=public)
        assert r.status_code == 303, r.text
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "login" in v)
        assert cookie.startswith("interviewer_login_443=") and "Secure" in cookie
        # a name the proxy does not serve is refused; forwarded headers from others ignored
        assert c.get("/screening/login", headers={"host": "evil.example"}).status_code == 400
        untrusted: Any = ProxyHeadersMiddleware(s.app, trusted_hosts=["10.9.9.9"])
        r = login(
            TestClient(untrusted, base_url="http://hr.acme.example", headers=forwarded),
            "rita@acme.example",
            origin="http://hr.acme.example",
        )
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "login" in v)
        assert "Secure" not in cookie  # not from the proxy: its "https" is not believed
    finally:
        s.store.close()


def test_screening_pages_do_not_need_the_practice_token(tmp_path: Path) -> None:
    """Off loopback the practice pages keep their access token; the screening pages have their
    own logins and links, so a candidate's link works without it."""
    s = build(tmp_path, host="0.0.0.0", token="a-long-enough-token-123")
    try:
        base = "http://10.0.0.5:8765"
        c = TestClient(s.app, base_url=base)
        assert c.get("/").status_code == 401
        assert c.get("/screening/login").status_code == 200
        assert c.get("/static/screening.js").status_code == 200
        inv = s.screening.invite(s.reviewer, template_of(s).id, "Gil", "gil@example.com")
        assert c.get(f"/s/{inv.token}").status_code == 200
    finally:
        s.store.close()


def test_pages_are_escaped_and_framed_by_the_apps_headers(screen: Screen) -> None:
    draft = one_question_draft(name='<script>alert("t")</script>')
    template = screen.screening.save_template(screen.reviewer, draft)
    rev = logged_in(screen, "rita@acme.example")
    r = rev.get("/screening/templates")
    assert "<script>alert" not in r.text and "&lt;script&gt;" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    assert rev.get(f"/screening/templates/{template.id}/dashboard").status_code == 200
    # the edit form comes back with the template as saved, its rubric included
    edit = rev.get(f"/screening/templates/{template.id}/edit").text
    assert "names the failure\nsays what they changed\ngives the result</textarea>" in edit
    assert "built-in method" not in edit and "Tell me about a time you fixed" in edit


def test_candidates_never_run_two_interviews_at_once(screen: Screen) -> None:
    template = screen.screening.save_template(screen.reviewer, one_question_draft())
    inv = screen.screening.invite(screen.reviewer, template.id, "Hal", "hal@example.com")
    c = browser(screen)
    post(c, f"/s/{inv.token}/consent", {"agree": "yes"}, f"/s/{inv.token}")
    with c.websocket_connect(ws_url(inv.token), headers=ORIGIN) as raw:
        Socket(raw).state("listening")
        with c.websocket_connect(ws_url(inv.token), headers=ORIGIN) as second:
            message = json.loads(second.receive_text())
            assert message["type"] == "error" and "already open" in message["message"]
    assert wait_idle(screen, inv.id) == "interrupted"


# --------------------------------------------------------------------------- recordings, purge


def test_each_answer_is_cut_from_the_microphone_by_its_conversation_times(tmp_path: Path) -> None:
    """The tape keeps the blocks the duplex clock handed the runner; an answer at 1.0-2.0 s of
    the conversation is written with its padding, and nothing before it is kept afterwards."""
    import numpy as np

    from interviewer.pipeline.records import ExchangeRecord
    from interviewer.web.recording import PAD_S, MicTape, save_answer

    tape = MicTape()
    t0 = 100.0
    block = 512
    for n in range(int(4.0 * 16_000 / block)):
        end = t0 + (n + 1) * block / 16_000
        # a level that says when it was captured: 0.1 per second of conversation
        tape.add(np.full(block, 0.1 * (end - t0), dtype=np.float32), end)
    record = ExchangeRecord(question="Q?", answer="A.", audio_start=1.0, audio_end=2.0)
    path = save_answer(tape, t0, record, tmp_path / "000.wav")
    assert path is not None
    audio, rate = sf.read(path)
    assert rate == 16_000
    assert len(audio) / rate == pytest.approx(1.0 + 2 * PAD_S, abs=0.04)
    assert audio[0] == pytest.approx(0.1 * (1.0 - PAD_S), abs=0.01)
    assert audio[-1] == pytest.approx(0.1 * (2.0 + PAD_S), abs=0.01)
    assert not list(tmp_path.glob("*.part.wav"))
    assert not len(tape.clip(t0, t0 + 0.5))  # before the answer: forgotten
    typed = ExchangeRecord(question="Q?", answer="typed")
    assert save_answer(tape, t0, typed, tmp_path / "001.wav") is None
    assert not (tmp_path / "001.wav").exists()


def test_the_server_runs_the_retention_purge_daily() -> None:
    from interviewer.screening import PurgeReport
    from interviewer.web.screening.serving import start_daily_purge

    calls: list[int] = []

    class Purger:
        def purge(self) -> PurgeReport:
            calls.append(1)
            if len(calls) == 1:
                raise OSError("disk full")  # logged; the next run still comes
            return PurgeReport()

    stop = start_daily_purge(Purger(), first_s=0.01, every_s=0.01)  # type: ignore[arg-type]
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    assert len(calls) >= 3


def test_the_candidate_sees_scores_only_when_the_template_allows(screen: Screen) -> None:
    template = screen.screening.save_template(screen.reviewer, one_question_draft(show_scores=True))
    inv = screen.screening.invite(screen.reviewer, template.id, "Jo", "jo@example.com")
    c = browser(screen)
    assert "you will see your scores" in c.get(f"/s/{inv.token}").text
    post(c, f"/s/{inv.token}/consent", {"agree": "yes"}, f"/s/{inv.token}")
    take_interview(c, inv.token)
    assert wait_idle(screen, inv.id) == "completed"
    thanks = c.get(f"/s/{inv.token}/thanks")
    assert thanks.status_code == 200 and 'id="candidate-overall"' in thanks.text
    assert "ownership" in thanks.text  # the per-competency score


def test_the_dashboard_sorts_filters_shortlists_and_marks_disagreement(screen: Screen) -> None:
    template = screen.screening.save_template(screen.reviewer, one_question_draft())
    ann = screen.screening.invite(screen.reviewer, template.id, "Ann", "ann@example.com")
    screen.screening.invite(screen.reviewer, template.id, "Bob", "bob@example.com")
    c = browser(screen)
    post(c, f"/s/{ann.token}/consent", {"agree": "yes"}, f"/s/{ann.token}")
    take_interview(c, ann.token)
    assert wait_idle(screen, ann.id) == "completed"
    rev = logged_in(screen, "rita@acme.example")
    dash = f"/screening/templates/{template.id}/dashboard"

    def names(query: str = "") -> list[str]:
        page = rev.get(dash + query).text
        return re.findall(r'class="candidate-link">([^<]+)<', page)

    assert names() == ["Ann", "Bob"]  # scored first; Bob has no interview yet
    assert names("?sort=name") == ["Ann", "Bob"] and names("?q=bob") == ["Bob"]
    assert names("?status=invited") == ["Bob"] and names("?min=0.5") == ["Ann"]
    # the reviewer rates far from the machine: the row is marked
    machine = screen.screening.dashboard(screen.reviewer, template.id)[0].overall
    assert machine is not None
    mine = "5" if machine < 3 else "1"
    r = post(
        rev,
        f"/screening/candidates/{ann.id}/review",
        {"overall": mine, "notes": "n"},
        f"/screening/candidates/{ann.id}",
    )
    assert r.status_code == 303
    row = re.search(rf'<tr class="([^"]*)" data-invitation="{ann.id}"', rev.get(dash).text)
    assert row and row.group(1) == "disagrees"
    assert (
        post(
            rev,
            f"/screening/candidates/{ann.id}/review",
            {"overall": "9"},
            f"/screening/candidates/{ann.id}",
        ).status_code
        == 400
    )
    # shortlist from the dashboard, then show only the shortlist
    r = post(rev, f"/screening/candidates/{ann.id}/shortlist", {"on": "1", "back": dash}, dash)
    assert r.status_code == 303 and r.headers["location"] == dash
    assert names("?shortlisted=1") == ["Ann"]
    exported = json.loads(rev.get(f"/screening/templates/{template.id}/export.json").text)
    assert {e["name"]: e["shortlisted"] for e in exported} == {"Ann": True, "Bob": False}


def test_serve_refuses_screening_on_a_ray_cluster_before_opening_anything(tmp_path: Path) -> None:
    # the screening tables are written in the local Store's transactions, which the cluster's
    # store proxy does not carry: refused with the way out, before Ray or the store is touched
    from interviewer.cli import app as cli

    result = CliRunner().invoke(
        cli,
        [
            "serve",
            "--screening",
            "--ray",
            "auto",
            "--no-browser",
            "--db",
            str(tmp_path / "x.duckdb"),
        ],
    )
    assert isinstance(result.exception, ConfigError), result.output
    assert "--screening with --ray" in str(result.exception)
    assert not (tmp_path / "x.duckdb").exists()
