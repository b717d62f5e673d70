"""The application context, and the two bugs it fixed: the web app and ``resume`` treated every
LLM as a base model, and the web app's reports and progress ignored the user's own questions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from interviewer.config import Settings
from interviewer.context import AppContext, Engines, default_bank_dirs
from interviewer.engines.fakes import FakeLLM, FakeSTT, FakeTTS, FakeVAD
from interviewer.interview.bank import DEFAULT_BANK_DIR, Question, add_question, load_bank
from interviewer.interview.base import Answer
from interviewer.session import build_spec, new_interview, resume_interview
from interviewer.store import Store, TurnRecord
from interviewer.web import security
from interviewer.web.app import create_app
from interviewer.web.security import AccessPolicy

SETTINGS = Settings(device="cpu")
BASE = "http://127.0.0.1:8765"
#: the owner cookie is named after the port and signed: ``ID.MAC``
OWNER = security.owner_cookie("127.0.0.1:8765")
SHIPPED = load_bank()
ANSWER = (
    "At my last job our nightly pipeline kept failing, so I rebuilt the ingestion step, added "
    "retries and alerts, and the failures dropped from five a week to none in a month."
)


def _user_question() -> Question:
    """A question only the user's folder holds, with a competency no shipped question has."""
    base = next(q for q in SHIPPED if q.type == "behavioral")
    return base.model_copy(
        update={
            "id": "my_pipeline_rescue",
            "text": "Tell me about a time you rescued a failing data pipeline.",
            "competency": "pipeline_rescue",
        }
    )


@pytest.fixture
def user_bank(tmp_path: Path) -> Path:
    folder = tmp_path / "user-bank"
    folder.mkdir()
    add_question(_user_question(), folder / "my_questions.yaml")
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "ctx.duckdb") as st:
        yield st


def _spec(bank: object, **over: object) -> object:
    flags = {"role": "data_scientist", "level": "mid", "type": "behavioral", "questions": 1}
    flags.update(over)
    return build_spec(bank, None, flags)  # type: ignore[arg-type]


def _chat(prompt: object) -> bool:
    return not isinstance(prompt, str)


# --------------------------------------------------------------------------- the context


def test_context_bank_holds_the_shipped_and_the_users_questions(user_bank: Path) -> None:
    ctx = AppContext.from_settings(SETTINGS, user_bank=user_bank)
    assert ctx.bank_dirs == [DEFAULT_BANK_DIR, user_bank]
    assert ctx.bank.get("my_pipeline_rescue").competency == "pipeline_rescue"
    assert len(ctx.bank) == len(SHIPPED) + 1
    # no user folder yet: the shipped bank alone
    assert default_bank_dirs(user_bank / "missing") == [DEFAULT_BANK_DIR]


def test_context_opens_the_store_on_first_use_and_closes_it(tmp_path: Path) -> None:
    with AppContext.from_settings(SETTINGS, db=tmp_path / "lazy.duckdb") as ctx:
        assert not (tmp_path / "lazy.duckdb").exists()
        sid = ctx.store.create_session({}, {}, "text")
    with Store.open(tmp_path / "lazy.duckdb") as st:
        assert st.get_session(sid).id == sid


def test_engines_load_once_and_give_a_fresh_vad_each_time() -> None:
    calls: list[str] = []

    def stt() -> FakeSTT:
        calls.append("stt")
        return FakeSTT(["hello"])

    loads: list[str] = []
    eng = Engines(
        SETTINGS,
        factories={"stt": stt, "vad": FakeVAD, "tts": FakeTTS, "llm": FakeLLM},
        instruction_tuned=True,
        on_load=loads.append,
    )
    assert eng.stt is eng.stt and calls == ["stt"]
    eng.load(("tts", "llm"))
    assert loads == ["stt", "tts", "llm"] and set(eng.load_s) == {"stt", "tts", "llm"}
    assert eng.new_vad() is not eng.new_vad()
    assert eng.models == {
        "vad": "fake-vad",
        "stt": "fake-stt",
        "tts": "fake-tts",
        "llm": "fake-llm",
    }
    assert eng.instruction_tuned is True


def test_instruction_tuned_follows_the_registry_source(tmp_path: Path) -> None:
    assert Engines(Settings(llm="embedded")).instruction_tuned is False
    gguf = tmp_path / "my-instruct.gguf"
    gguf.write_bytes(b"GGUF")
    assert Engines(Settings(llm=str(gguf))).instruction_tuned is True


# --------------------------------------------------------------------------- bug: base model


def test_resume_keeps_an_instruction_tuned_model_on_chat_prompts(store: Store) -> None:
    spec = _spec(SHIPPED, max_follow_ups=1)
    first = new_interview(
        store=store, spec=spec, llm=None, models={}, mode="text", bank=SHIPPED,  # type: ignore[arg-type]
        instruction_tuned=True, score=False,
    )  # fmt: skip
    first.machine.start()
    first.finish(interrupted=True)

    llm = FakeLLM(json_replies=[{"follow_up": "What did you change in the ingestion step?"}] * 4)
    resumed = resume_interview(
        store=store, session_id=first.session_id, llm=llm, bank=SHIPPED,
        instruction_tuned=True, score=False,
    )  # fmt: skip
    machine = resumed.machine
    "".join(machine.start().pieces)
    "".join(machine.on_answer(Answer(ANSWER)).pieces)
    assert llm.prompts, "the follow-up policy never asked the model"
    assert all(_chat(p) for p in llm.prompts), "an instruction-tuned model got a raw prompt"


# --------------------------------------------------------------------------- the web app


def _web(
    tmp_path: Path, *, llm: FakeLLM, user_bank: Path | None, instruction_tuned: bool
) -> tuple[FastAPI, Store]:
    store = Store.open(tmp_path / "web.duckdb")
    engines = Engines(
        SETTINGS,
        factories={
            "stt": lambda: FakeSTT([ANSWER]),
            "tts": lambda: FakeTTS(seconds_per_char=0.002),
            "llm": lambda: llm,
            "vad": lambda: FakeVAD(threshold=0.05),
        },
        instruction_tuned=instruction_tuned,
    )
    ctx = AppContext(SETTINGS, user_bank=user_bank, store=store, engines=engines)
    app = create_app(ctx, policy=AccessPolicy(host="127.0.0.1", token=None))
    return app, store


def test_web_interview_with_an_instruction_tuned_model_uses_chat_prompts(tmp_path: Path) -> None:
    llm = FakeLLM(json_replies=[{"follow_up": "What did you change in the ingestion step?"}] * 8)
    app, store = _web(tmp_path, llm=llm, user_bank=None, instruction_tuned=True)
    try:
        c = TestClient(app, base_url=BASE)
        c.get("/")
        form = {"role": "data_scientist", "company": "", "level": "mid", "type": "behavioral",
                "questions": "1", "follow_ups": "1", "notes": ""}  # fmt: skip
        r = c.post("/interviews", data=form, headers={"origin": BASE}, follow_redirects=False)
        ticket = r.headers["location"].removeprefix("/interview/")
        url = BASE.replace("http://", "ws://") + f"/ws/interview/{ticket}"
        with c.websocket_connect(url, headers={"origin": BASE}) as ws:
            # typed answers take the same path as spoken ones once transcribed
            seen: list[dict[str, object]] = []

            def until(pred: object) -> None:
                while True:
                    msg = ws.receive()
                    if msg.get("text") is None:
                        continue
                    data = json.loads(msg["text"])
                    seen.append(data)
                    if pred(data):  # type: ignore[operator]
                        return

            until(lambda m: m["type"] == "state" and m["state"] == "listening")
            ws.send_text(json.dumps({"type": "text", "text": ANSWER}))
            until(lambda m: m["type"] == "saved")
            ws.send_text(json.dumps({"type": "command", "name": "end"}))
            until(lambda m: m["type"] == "state" and m["state"] == "ended")
        assert store.list_sessions(limit=5)
    finally:
        for live in app.state.registry.running():
            live.join(30.0)
        store.close()
    assert llm.prompts, "neither the follow-ups nor the scoring asked the model"
    assert all(_chat(p) for p in llm.prompts), "an instruction-tuned model got a raw prompt"


# --------------------------------------------------------------------------- bug: user's bank


def _answered_session(store: Store, owner: str, *, scores: dict[str, object] | None) -> str:
    user_id = security.user_id_for(owner)
    spec = {"role": "data_scientist", "level": "mid", "type": "behavioral"}
    sid = store.create_session(spec, {}, "web", user_id=user_id)
    turn = TurnRecord(
        question_text=_user_question().text,
        answer_text=ANSWER,
        question_id="my_pipeline_rescue",
        scores=scores,
    )
    store.add_turn(sid, turn)
    store.set_status(sid, "finished")
    return sid


def test_web_report_scores_answers_to_the_users_own_questions(
    tmp_path: Path, user_bank: Path
) -> None:
    app, store = _web(tmp_path, llm=FakeLLM(), user_bank=user_bank, instruction_tuned=False)
    try:
        c = TestClient(app, base_url=BASE)
        c.get("/")
        sid = _answered_session(store, c.cookies[OWNER].split(".", 1)[0], scores=None)
        r = c.get(f"/report/{sid}")
        assert r.status_code == 200
        assert 'id="other"' not in r.text, "the answer was filed under other turns"
        # the report scored it by the rules and stored the score on the turn
        assert store.get_session(sid).turns[0].scores is not None
    finally:
        store.close()


def test_web_progress_names_the_competency_of_the_users_own_questions(
    tmp_path: Path, user_bank: Path
) -> None:
    app, store = _web(tmp_path, llm=FakeLLM(), user_bank=user_bank, instruction_tuned=False)
    try:
        c = TestClient(app, base_url=BASE)
        c.get("/")
        # an older score document, without its competency: the bank names it
        _answered_session(store, c.cookies[OWNER].split(".", 1)[0], scores={"overall": 4.0})
        r = c.get("/progress")
        assert r.status_code == 200
        assert "pipeline" in r.text and "rescue" in r.text
    finally:
        store.close()
