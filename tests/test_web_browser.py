"""The web app in a real browser, on the real models: Debian's chromium driven by Playwright.

Chromium's fake microphone plays ANSWER.wav, a short STAR answer spoken by the real Piper voice,
from the moment the page opens the microphone; leading silence makes it start just after the
interviewer has finished its opening question. The answer goes through the page's AudioWorklet,
the WebSocket, the server's pipeline (Silero, Whisper, the LLM, Piper) and back: the test checks
that the candidate's words appear in the page's captions, that the stored turn holds them, and
that the report page shows a score.

Without /usr/bin/chromium the test skips with the reason, or fails when
INTERVIEWER_REQUIRE_BROWSER=1 (CI). With INTERVIEWER_SCREENSHOTS=DIR it saves a PNG of each page
there (scripts/screenshots.py writes docs/screenshots/ this way).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from interviewer.audio.io import resample, write_wav
from interviewer.interview.bank import load_bank
from interviewer.metrics import word_error_rate
from interviewer.store import Store
from tests.conftest import EMBEDDED

pytestmark = pytest.mark.real

#: Debian's chromium (INTERVIEWER_CHROMIUM names another build; Playwright never downloads one)
CHROMIUM = Path(
    os.environ.get("INTERVIEWER_CHROMIUM")
    or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    or shutil.which("chromium")
    or "/usr/bin/chromium"
)
ANSWER_TEXT = (
    "At my last job, our nightly data pipeline kept failing just before a product launch. "
    "I was asked to fix it. I added monitoring and automated tests, and rewrote the slowest "
    "step. The failures stopped, and we launched on time."
)
JOB_DESCRIPTION = (
    b"# Data Scientist, Payments\n\nBuild fraud and churn models in Python and SQL; "
    b"own data pipelines end to end.\n"
)
#: What the setup form is filled with; Quillpay's profile asks for a brisk greeting.
FORM = {
    "role": "data_scientist",
    "company": "Quillpay",
    "level": "mid",
    "type": "behavioral",
    "questions": "1",
    "follow_ups": "0",
}
#: After the opening has been spoken: time for the page to connect and the first sentence to be
#: synthesized, plus a margin. Late is harmless (the interviewer waits 10 s for an answer);
#: early would only make the answer a barge-in over the question's last words.
START_MARGIN_S = 3.0


def _browser_or_skip() -> Any:
    """Playwright's sync API, or a skip (a failure under INTERVIEWER_REQUIRE_BROWSER=1)."""
    reason = None
    if not CHROMIUM.exists():
        reason = (
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) "
            "to run the browser test"
        )
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            reason = "the playwright package is missing: pip install -e '.[dev]'"
    if reason is not None:
        if os.environ.get("INTERVIEWER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"INTERVIEWER_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return sync_playwright


@pytest.fixture(scope="session")
def browser_api() -> Any:
    """Session-scoped, so a missing browser skips before the models are loaded."""
    return _browser_or_skip()


class ServerThread:
    """uvicorn serving the app in this process, on a free port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        ready = threading.Event()
        for _ in range(400):
            if self.server.started or not self.thread.is_alive():
                break
            ready.wait(0.05)
        assert self.server.started, "the web server did not start"
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(60)


def _opening_seconds(tts: Any, spec_fields: dict[str, Any], tmp: Path) -> float:
    """How long the interviewer's opening (greeting and first question) takes to say.

    The interview is built as the server builds it (same spec, a fresh user, so the same
    question), and its opening synthesized with the same voice.
    """
    from interviewer.session import build_spec, new_interview

    bank = load_bank()
    with Store.open(tmp / "plan.duckdb") as store:
        interview = new_interview(
            store=store,
            spec=build_spec(bank, None, spec_fields),
            llm=None,
            models={},
            mode="web",
            bank=bank,
            instruction_tuned=False,
            score=False,
        )
        text = "".join(interview.machine.start().pieces)
    chunks = list(tts.synthesize(text))
    # the speaker leaves 0.12 s between sentences
    return sum(len(c.audio) / c.sample_rate + 0.12 for c in chunks)


def _answer_wav(tts: Any, path: Path, lead_s: float) -> Path:
    chunks = list(tts.synthesize(ANSWER_TEXT))
    speech = np.concatenate([resample(c.audio, c.sample_rate, 16_000) for c in chunks])
    silence = np.zeros(int(lead_s * 16_000), dtype=np.float32)
    tail = np.zeros(16_000, dtype=np.float32)
    # chromium's fake capture wants 16-bit PCM
    return write_wav(path, np.concatenate([silence, speech, tail]), 16_000)


@pytest.fixture
def served(real_stt, real_tts, real_llm, tmp_path: Path) -> Iterator[tuple[str, Store]]:  # type: ignore[no-untyped-def]
    from interviewer.context import AppContext, Engines
    from interviewer.engines import load_vad
    from interviewer.session import model_ids
    from interviewer.web.app import create_app
    from interviewer.web.engines import EngineHub
    from interviewer.web.security import AccessPolicy

    store = Store.open(tmp_path / "web.duckdb")
    engines = Engines.of(
        EMBEDDED,
        stt=real_stt,
        tts=real_tts,
        llm=real_llm,
        # each interview its own Silero state
        new_vad=lambda: load_vad(EMBEDDED),
        models=model_ids(SimpleNamespace(stt=real_stt, tts=real_tts, llm=real_llm)),
    )
    context = AppContext(EMBEDDED, bank=load_bank(), store=store, engines=engines)
    app = create_app(
        context,
        hub=EngineHub.ready(engines),
        policy=AccessPolicy("127.0.0.1"),
        # The LLM's rubric judgement takes minutes on a busy 2-core CPU; the report's rule
        # scores keep this test about the browser and the voice path (live scoring runs in
        # test_web.py, on the fakes).
        live_scoring=False,
    )
    try:
        with ServerThread(app) as base:
            yield base, store
    finally:
        store.close()


def test_a_voice_interview_in_chromium(browser_api, served, real_tts, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sync_playwright = browser_api
    base, store = served
    shots = os.environ.get("INTERVIEWER_SCREENSHOTS")
    shot_dir = Path(shots) if shots else None

    spec_fields: dict[str, Any] = {
        "role": FORM["role"],
        "company": FORM["company"],
        "level": FORM["level"],
        "type": FORM["type"],
        "questions": FORM["questions"],
        "max_follow_ups": FORM["follow_ups"],
        "job_description": JOB_DESCRIPTION.decode(),
    }
    lead = _opening_seconds(real_tts, spec_fields, tmp_path) + START_MARGIN_S
    wav = _answer_wav(real_tts, tmp_path / "ANSWER.wav", lead)

    def shot(page: Any, name: str) -> None:
        if shot_dir is not None:
            _screenshot(page, shot_dir / f"{name}.png")

    with sync_playwright() as p:
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
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            page.goto(base + "/")
            page.fill("#role", FORM["role"])
            page.fill("#company", FORM["company"])
            page.select_option("#level", FORM["level"])
            page.select_option("#type", FORM["type"])
            page.fill("#questions", FORM["questions"])
            page.fill("#follow_ups", FORM["follow_ups"])
            page.set_input_files(
                "#job_description",
                {"name": "jd.md", "mimeType": "text/markdown", "buffer": JOB_DESCRIPTION},
            )
            shot(page, "setup")
            page.click("#begin")
            page.wait_for_url(re.compile(r".*/interview/[A-Za-z0-9_-]+$"))

            page.click("#start")
            # the opening is spoken, then the answer plays from the fake microphone
            candidate = page.locator(".captions li.candidate .text").first
            candidate.wait_for(timeout=90_000)
            heard = candidate.inner_text()
            # the interviewer replies ("Do you have any questions for me?") and listens again
            page.wait_for_selector("#state[data-state=listening]", timeout=60_000)
            shot(page, "interview")
            page.fill("#typed-text", "No, thank you.")
            page.press("#typed-text", "Enter")
            page.wait_for_selector("#done:not([hidden])", timeout=240_000)
            session_id = page.get_attribute("#interview", "data-session")
            assert session_id, "the page never learnt its session id"
            captions = page.inner_text("#captions")
            # the caption of the answer, as revised by the full pass over the whole answer
            revised = candidate.inner_text()

            page.click("#report-link")
            page.wait_for_selector("#overall-score")
            overall = page.inner_text("#overall-score")
            shot(page, "report")
            page.goto(base + "/history")
            listed = page.locator(f'#history a[href="/report/{session_id}"]').count()
            history = page.inner_text("#history")
            shot(page, "history")
            page.goto(base + "/progress")
            shot(page, "progress")
            assert not errors, f"JavaScript errors on the page: {errors}"
        finally:
            browser.close()

    # The candidate's words made it through the browser, the pipeline and back to the captions:
    # first as streamed (pieces cut at every pause, each decoded alone: Whisper tiny slips on
    # small words there), then as the full pass heard the whole answer.
    assert word_error_rate(ANSWER_TEXT, heard) <= 0.35, heard
    assert word_error_rate(ANSWER_TEXT, revised) <= 0.2, revised
    for word in ("pipeline", "monitoring", "tests", "launch"):
        assert word in revised.lower(), revised
    assert revised in captions and "No, thank you." in captions
    record = store.get_session(session_id)
    assert record.status == "finished" and record.mode == "web"
    assert record.turns[0].answer_text.strip() == revised.strip()
    assert record.turns[0].scores is not None  # stored when the report was built
    assert re.fullmatch(r"[1-5]\.\d", overall.strip()), overall
    assert float(overall) == pytest.approx(record.turns[0].scores["overall"], abs=0.05)
    assert listed == 1 and "finished" in history


def _screenshot(page: Any, path: Path) -> None:
    """A small PNG: the viewport only, reduced to a 64-colour palette when Pillow is there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=64)
    small.save(path, optimize=True)


def test_without_a_microphone_the_text_box_carries_the_interview(  # type: ignore[no-untyped-def]
    browser_api, tmp_path: Path
) -> None:
    """No capture device at all: the page says so, and typed answers run the interview.

    On the fake engines (the voice path is the test above); the silence timeout is short here,
    so the test also shows that typing holds it off instead of drawing a nudge.
    """
    sync_playwright = browser_api
    from interviewer.pipeline.endpointing import EndpointConfig
    from interviewer.pipeline.runner import RunnerConfig
    from tests.test_web import make_web

    quick_timeout = EndpointConfig(no_answer_s=1.5, silence_s=0.3)
    web = make_web(
        tmp_path, runner_config=lambda: RunnerConfig(barge_in=True, endpoint=quick_timeout)
    )
    try:
        with ServerThread(web.app) as base, sync_playwright() as p:
            # no fake-device flags: headless chromium has no microphone to offer
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM), args=["--use-fake-ui-for-media-stream"]
            )
            try:
                page = browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(base + "/")
                page.fill("#questions", "1")
                page.fill("#follow_ups", "0")
                page.click("#begin")
                page.click("#start")
                page.wait_for_selector("#notice:has-text('No microphone')")
                page.wait_for_selector("#state[data-state=listening]")
                # three times the silence timeout goes by while the answer is being typed
                page.type("#typed-text", "I led the migration", delay=50)
                page.wait_for_timeout(4500)
                page.type("#typed-text", " and it shipped on time.", delay=50)
                page.press("#typed-text", "Enter")
                page.wait_for_selector(".captions li.candidate")
                page.wait_for_selector("#state[data-state=listening]")
                page.fill("#typed-text", "No, thank you.")
                page.press("#typed-text", "Enter")
                page.wait_for_selector("#done:not([hidden])")
                captions = page.inner_text("#captions")
                session_id = page.get_attribute("#interview", "data-session")
                assert not errors, f"JavaScript errors on the page: {errors}"
            finally:
                browser.close()
        assert "I led the migration and it shipped on time." in captions
        assert "Would you like me to repeat the question" not in captions  # typing is not silence
        record = web.store.get_session(session_id or "")
        assert [t.answer_text for t in record.turns] == [
            "I led the migration and it shipped on time.",
            "No, thank you.",
        ]
        assert record.status == "finished"
    finally:
        web.store.close()
