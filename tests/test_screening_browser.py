"""Screening mode in a real browser, on the real models: the issue's whole flow in chromium.

1. an admin logs in and creates a reviewer;
2. the reviewer creates a template (one short question, no follow-ups) and invites two
   candidates;
3. both candidates open their links, consent, pass the microphone page and take the interview
   with chromium's fake microphone, each playing a different answer spoken by the real Piper
   voice (one browser per candidate: the fake capture file is a browser-wide flag);
4. the reviewer sees both side by side, opens one, plays an answer's recording, overrides a
   score and exports CSV;
5. the admin's audit log shows each step.

Marked and skipped like test_web_browser.py (INTERVIEWER_REQUIRE_BROWSER=1 makes a missing
browser a failure). With INTERVIEWER_SCREENSHOTS=DIR a PNG of each page is saved there as
``screening-*.png``.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from argon2 import PasswordHasher

from interviewer.audio.io import resample, write_wav
from interviewer.interview.bank import load_bank
from interviewer.metrics import word_error_rate
from interviewer.screening import Screening, User, recording_path
from interviewer.store import Store
from tests.conftest import EMBEDDED
from tests.test_web_browser import CHROMIUM, START_MARGIN_S, ServerThread, _screenshot

pytestmark = pytest.mark.real

PASSWORD = "a long admin passphrase"
REVIEWER_PASSWORD = "the reviewer's passphrase"
QUESTION = "Tell me about a time you fixed a problem in a data pipeline."
ANSWERS = {
    "Ann Archer": (
        "Last spring our nightly pipeline failed every few days. I added monitoring and "
        "automated tests, and rewrote the slowest step. The failures stopped."
    ),
    "Ben Baker": (
        "A dashboard showed wrong revenue numbers. I traced it to duplicate rows in a join, "
        "fixed the query and added a check, so the numbers matched finance again."
    ),
}


@pytest.fixture(scope="session")
def browser_api() -> Any:
    from tests.test_web_browser import _browser_or_skip

    return _browser_or_skip()


@pytest.fixture
def served(
    real_stt: Any, real_tts: Any, real_llm: Any, tmp_path: Path
) -> Iterator[tuple[str, Store, Screening, User]]:
    from interviewer.context import AppContext, Engines
    from interviewer.engines import load_vad
    from interviewer.session import model_ids
    from interviewer.web.app import create_app
    from interviewer.web.engines import EngineHub
    from interviewer.web.security import AccessPolicy

    bank = load_bank()
    store = Store.open(tmp_path / "screening.duckdb")
    engines = Engines.of(
        EMBEDDED,
        stt=real_stt,
        tts=real_tts,
        llm=real_llm,
        new_vad=lambda: load_vad(EMBEDDED),
        models=model_ids(SimpleNamespace(stt=real_stt, tts=real_tts, llm=real_llm)),
    )
    # Each interview loads its own Silero state; the first load in a process imports torch
    # (seconds on a busy CPU), which would delay the first candidate's opening past the point
    # where their fake microphone starts the answer. A running server has paid it long before.
    load_vad(EMBEDDED)
    context = AppContext(EMBEDDED, bank=bank, store=store, engines=engines)
    screening = Screening(
        store, bank, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    # what `interviewer admin create-user` does from the terminal
    admin = screening.bootstrap_admin("Acme Analytics", "admin@acme.example", "Ada Admin", PASSWORD)
    app = create_app(
        context,
        hub=EngineHub.ready(engines),
        policy=AccessPolicy("127.0.0.1"),
        # rules-only scores when the report is built: the LLM's judgement takes minutes on a
        # busy 2-core CPU, and this test is about the flow (test_web.py scores live on fakes)
        live_scoring=False,
        screening=screening,
    )
    try:
        with ServerThread(app) as base:
            yield base, store, screening, admin
    finally:
        store.close()


def _opening_seconds(tts: Any, screening: Screening, admin: User, tmp: Path) -> float:
    """How long the template interview's opening (greeting and question) takes to say."""
    from interviewer.screening.templates import interview_plan
    from interviewer.session import new_interview

    template = screening.templates(admin)[0]
    spec, plan = interview_plan(screening.bank, template)
    with Store.open(tmp / "plan.duckdb") as store:
        interview = new_interview(
            store=store, spec=spec, llm=None, models={}, mode="web", bank=screening.bank,
            instruction_tuned=False, score=False, template=plan,
        )  # fmt: skip
        text = "".join(interview.machine.start().pieces)
    return sum(len(c.audio) / c.sample_rate + 0.12 for c in tts.synthesize(text))


def _log_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(base + "/screening/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login")
    page.wait_for_selector("#logout")


def test_screening_flow_in_chromium(browser_api, served, real_tts, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sync_playwright = browser_api
    base, store, screening, admin = served
    shots = os.environ.get("INTERVIEWER_SCREENSHOTS")

    def shot(page: Any, name: str) -> None:
        if shots:
            _screenshot(page, Path(shots) / f"screening-{name}.png")

    errors: list[str] = []
    links: dict[str, str] = {}
    with sync_playwright() as p:
        office = p.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = office.new_page(viewport={"width": 1180, "height": 760}, accept_downloads=True)
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            # 1. the admin creates a reviewer
            _log_in(page, base, "admin@acme.example", PASSWORD)
            page.fill("#name", "Rita Reviewer")
            page.fill("#email", "rita@acme.example")
            page.select_option("#role", "reviewer")
            page.fill("#password", REVIEWER_PASSWORD)
            page.click("#create-user")
            page.wait_for_selector("#users >> text=rita@acme.example")
            shot(page, "users")
            page.click("#logout")

            # 2. the reviewer creates a template and invites two candidates
            _log_in(page, base, "rita@acme.example", REVIEWER_PASSWORD)
            page.click("#new-template")
            page.fill("#name", "Data analyst screen")
            page.fill("#position", "Data Analyst")
            page.select_option("#level", "mid")
            page.fill("#follow_ups", "0")
            page.fill("#time_limit_min", "10")
            page.fill("#retention_days", "30")
            page.fill("#q0_text", QUESTION)
            page.fill("#q0_competency", "ownership")
            page.fill("#q0_keys", "names what failed\nsays what they changed\ngives the result")
            page.fill("#instructions", "Value concrete, measured results over general claims.")
            page.fill("#weights", "result_impact: 2")
            page.evaluate("window.scrollTo(0, 0)")
            shot(page, "template")
            page.click("#save-template")
            page.wait_for_selector("#invite-form")
            for name in ANSWERS:
                page.fill("#cand-name", name)
                page.fill("#cand-email", name.split()[0].lower() + "@example.com")
                page.click("#invite")
                page.wait_for_selector(f"#invitations >> text={name}")
            for name in ANSWERS:
                email = name.split()[0].lower() + "@example.com"
                links[name] = page.input_value(f'#invitations tr[data-email="{email}"] input.link')
            shot(page, "invitations")

            # 3. each candidate, in a browser whose microphone plays their answer
            lead = _opening_seconds(real_tts, screening, admin, tmp_path) + START_MARGIN_S
            heard: dict[str, str] = {}
            for n, (name, text) in enumerate(ANSWERS.items()):
                wav = _answer_wav(real_tts, text, tmp_path / f"answer{n}.wav", lead)
                heard[name] = _take_interview(p, links[name], wav, shot if n == 0 else None, errors)

            # 4. the reviewer: side by side, one opened, an answer played, a score overridden
            page.goto(base + "/screening/templates")
            page.click("text=dashboard")
            page.wait_for_selector("#dashboard")
            rows = page.locator("#dashboard tbody tr")
            assert rows.count() == 2
            dashboard = page.inner_text("#dashboard")
            assert "Ann Archer" in dashboard and "Ben Baker" in dashboard
            assert dashboard.count("completed") == 2
            shot(page, "dashboard")
            page.click("#dashboard >> text=Ann Archer")
            page.wait_for_selector("#overall-score")
            machine = page.inner_text("#overall-score")
            audio = page.locator("audio.answer-audio").first
            audio.evaluate("a => a.play()")
            page.wait_for_function(
                "() => { const a = document.querySelector('audio.answer-audio');"
                " return a && a.currentTime > 0.5 && a.duration > 3; }",
                timeout=30_000,
            )
            duration = audio.evaluate("a => a.duration")
            audio.evaluate("a => a.pause()")
            shot(page, "candidate")
            page.fill("#review-overall", "1.5")
            page.fill("#override-ownership", "2")
            page.fill("#review-notes", "Vague on the result; ask about numbers in round two.")
            page.click("#save-review")
            page.wait_for_selector("#saved")
            page.click("#back-dashboard")
            page.wait_for_selector("#dashboard")
            with page.expect_download() as download:
                page.click("#export-csv")
            exported = Path(download.value.path()).read_text(encoding="utf-8")
            page.click("#logout")

            # 5. the admin reads the audit log
            _log_in(page, base, "admin@acme.example", PASSWORD)
            page.goto(base + "/screening/audit")
            audit = page.inner_text("#audit")
            shot(page, "audit")
            assert not errors, f"JavaScript errors on the pages: {errors}"
        finally:
            office.close()

    # the candidates' words went through chromium, the pipeline and into the store
    invitations = screening.invitations(admin, screening.templates(admin)[0].id)
    by_name = {inv.name: inv for inv in invitations}
    for name, text in ANSWERS.items():
        inv = by_name[name]
        assert inv.status == "completed" and inv.session_id
        record = store.get_session(inv.session_id)
        assert record.status == "finished"
        answer = record.turns[0]
        assert word_error_rate(text, answer.answer_text) <= 0.35, answer.answer_text
        assert word_error_rate(text, heard[name]) <= 0.35, heard[name]
        wav = recording_path(store.path, record.id, answer.idx)
        audio_data, rate = sf.read(wav)
        assert rate == 16_000 and len(audio_data) / rate > 3.0
    assert duration > 3.0
    assert float(machine) > 0
    rows_out = list(csv.DictReader(io.StringIO(exported)))
    assert {r["name"] for r in rows_out} == set(ANSWERS)
    ann = next(r for r in rows_out if r["name"] == "Ann Archer")
    assert float(ann["reviewer_overall"]) == 1.5
    # the audit log: every step (each candidate's twice)
    for action, times in (
        ("user.create", 1),
        ("template.create", 1),
        ("invitation.create", 2),
        ("candidate.consent", 2),
        ("interview.start", 2),
        ("interview.finish", 2),
        ("candidate.view", 1),
        ("recording.play", 1),
        ("review.override", 1),
        ("export", 1),
    ):
        assert len(re.findall(rf"(?m)\t{re.escape(action)}\t", audit)) >= times, (action, audit)


def _answer_wav(tts: Any, text: str, path: Path, lead_s: float) -> Path:
    """``text`` in the Piper voice after ``lead_s`` of silence, as 16 kHz 16-bit PCM (what
    chromium's fake capture plays)."""
    chunks = list(tts.synthesize(text))
    speech = np.concatenate([resample(c.audio, c.sample_rate, 16_000) for c in chunks])
    silence = np.zeros(int(lead_s * 16_000), dtype=np.float32)
    return write_wav(path, np.concatenate([silence, speech, np.zeros(16_000, np.float32)]), 16_000)


def _take_interview(p: Any, link: str, wav: Path, shot: Any, errors: list[str]) -> str:
    """One candidate's interview through their link; the answer's caption as revised."""
    browser = p.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}%noloop",
        ],
    )
    try:
        page = browser.new_page(viewport={"width": 960, "height": 720})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(link)
        page.wait_for_selector("#consent-form")
        if shot:
            shot(page, "consent")
        page.check("#agree")
        page.click("#consent-continue")
        page.wait_for_selector("#mic-check")
        if shot:
            shot(page, "mic")
        # the check itself would start the fake microphone's file early: this page is shown,
        # the interview's own microphone plays the answer
        page.click("#mic-continue")
        page.wait_for_selector("#start")
        page.click("#start")
        candidate = page.locator(".captions li.candidate .text").first
        candidate.wait_for(timeout=90_000)
        page.wait_for_selector("#state[data-state=listening]", timeout=60_000)
        if shot:
            shot(page, "interview")
        page.fill("#typed-text", "No, thank you.")
        page.press("#typed-text", "Enter")
        page.wait_for_selector("#done:not([hidden])", timeout=240_000)
        revised: str = candidate.inner_text()
        page.click("#report-link")
        page.wait_for_selector("#thanks")
        assert "candidate-overall" not in page.content()  # the template shows no scores
        if shot:
            shot(page, "thanks")
        return revised
    finally:
        browser.close()


def test_the_microphone_check_hears_the_microphone(browser_api, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The candidate's microphone page, on the fake engines: chromium's fake device (a beep)
    moves the meter and the page says the microphone works; with no device at all it says
    to type instead."""
    from tests.test_screening_web import build, one_question_draft

    sync_playwright = browser_api
    screen = build(tmp_path)
    try:
        template = screen.screening.save_template(screen.reviewer, one_question_draft())
        errors: list[str] = []
        with ServerThread(screen.app) as base, sync_playwright() as p:
            for flags, expected in (
                (["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"], "ok"),
                (["--use-fake-ui-for-media-stream"], "none"),
            ):
                inv = screen.screening.invite(
                    screen.reviewer, template.id, "Mo", f"mo-{expected}@example.com"
                )
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=flags)
                try:
                    page = browser.new_page()
                    page.on("pageerror", lambda exc: errors.append(str(exc)))
                    page.goto(base + f"/s/{inv.token}")
                    page.check("#agree")
                    page.click("#consent-continue")
                    page.click("#mic-test")
                    page.wait_for_selector(f"body[data-mic={expected}]", timeout=20_000)
                    status = page.inner_text("#mic-status")
                    assert not errors, errors
                finally:
                    browser.close()
                assert ("works" if expected == "ok" else "type your answers") in status
    finally:
        screen.store.close()
