"""Scoring during the interview (worker + session wiring), reports and progress.

The rules-only scorer is real here (it is pure Python); the LLM is left out, since the real
model's part is covered by tests/test_scoring_real.py and the demo end-to-end test.
"""

from __future__ import annotations

import json
import re
import threading
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from interviewer.cli import app
from interviewer.errors import ConfigError
from interviewer.interview.bank import Question, load_bank
from interviewer.interview.base import Answer
from interviewer.interview.spec import InterviewSpec
from interviewer.pipeline.records import ExchangeRecord
from interviewer.report import (
    build_progress,
    build_report,
    progress_html,
    progress_markdown,
    render_html,
    render_markdown,
)
from interviewer.report.model import highlight
from interviewer.scoring.worker import ScoringJob, ScoringWorker
from interviewer.session import new_interview
from interviewer.store import Store, TurnRecord

BANK = load_bank()
STRONG = (
    "At my last company two teammates disagreed about the launch date of our churn model. "
    "I set up a meeting where each of them listed their risks, and I proposed shipping a smaller "
    "first version. We shipped on time and churn fell by 12 percent in three months. "
    "I learned to surface disagreements early."
)
WEAK = "I think it went fine, we talked about it and things were okay."


def _words(text: str, t0: float = 0.0, gap: float = 0.05) -> list[dict[str, Any]]:
    out, t = [], t0
    for w in text.split():
        out.append({"word": w, "start": round(t, 3), "end": round(t + 0.3, 3), "probability": 0.9})
        t += 0.3 + gap
    return out


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Store.open(tmp_path / "db.duckdb") as s:
        yield s


def _question(qid: str = "beh.conflict.teammate") -> Question:
    return BANK.get(qid)


def _session(store: Store, answers: list[tuple[str, str, bool]], user: str = "u1") -> str:
    """A stored session with ``(question_id, answer, is_follow_up)`` turns, unscored."""
    spec = InterviewSpec.from_mapping({"role": "data_scientist", "type": "behavioral"}).to_dict()
    sid = store.create_session(spec, {"llm": "fake"}, "text", user_id=user)
    for i, (qid, answer, follow) in enumerate(answers):
        t0 = 10.0 * i
        store.add_turn(
            sid,
            TurnRecord(
                question_text="And how did it end?" if follow else _question(qid).text,
                answer_text=answer,
                question_id=qid,
                is_follow_up=follow,
                words=_words(answer),
                latency={
                    "speech_end": t0,
                    "endpoint": t0 + 0.6,
                    "stt_final": t0 + 0.61,
                    "llm_first_token": t0 + 0.62,
                    "first_sentence": t0 + 0.62,
                    "tts_first_audio": t0 + 0.68,
                    "playback_start": t0 + 0.7,
                },
            ),
        )
    store.set_status(sid, "finished")
    return sid


# ------------------------------------------------------------------------------ worker


def test_worker_scores_in_the_background_and_stores_each_result() -> None:
    stored: dict[int, dict[str, Any]] = {}
    threads: set[str] = set()

    def keep(idx: int, doc: dict[str, Any]) -> None:
        threads.add(threading.current_thread().name)
        stored[idx] = doc

    worker = ScoringWorker(store_result=keep, llm=None)
    worker.submit(ScoringJob(0, _question(), STRONG, _words(STRONG)))
    worker.submit(ScoringJob(1, _question(), WEAK))
    assert worker.close(timeout=60)
    assert sorted(stored) == [0, 1] and worker.pending == 0 and not worker.errors
    assert threads == {"scoring"}  # off the caller's (speaking) thread
    assert stored[0]["overall"] > stored[1]["overall"]
    assert stored[0]["delivery"]["word_count"] == len(STRONG.split())
    assert stored[1]["delivery"] is None  # no words, no delivery metrics
    for doc in stored.values():
        for crit in doc["criteria"].values():
            for quote in crit["evidence"]:
                assert quote == "insufficient evidence" or quote in (STRONG + WEAK)


def test_worker_survives_a_failing_store_and_reports_it() -> None:
    failures: list[tuple[int, str]] = []

    def broken(idx: int, doc: dict[str, Any]) -> None:
        if idx == 0:
            raise OSError("disk full")

    worker = ScoringWorker(
        store_result=broken, llm=None, on_error=lambda i, m: failures.append((i, m))
    )
    worker.submit(ScoringJob(0, _question(), STRONG))
    worker.submit(ScoringJob(1, _question(), STRONG))
    assert worker.drain(timeout=60)
    assert failures == [(0, "OSError: disk full")] and worker.scored == [1]
    worker.close(timeout=5)
    with pytest.raises(RuntimeError):
        worker.submit(ScoringJob(2, _question(), STRONG))


def test_same_input_same_scores() -> None:
    docs: list[dict[str, Any]] = []
    for _ in range(2):
        worker = ScoringWorker(store_result=lambda i, d: docs.append(d), llm=None)
        worker.submit(ScoringJob(0, _question(), STRONG, _words(STRONG)))
        worker.close(timeout=60)
    assert len(docs) == 2
    assert docs[0] == docs[1]


# ------------------------------------------------------------------------------ session


def test_interview_scores_answers_not_commands_and_joins_follow_ups(store: Store) -> None:
    spec = InterviewSpec.from_mapping(
        {
            "role": "data_scientist",
            "type": "behavioral",
            "questions": 1,
            "max_follow_ups": 1,
            "seed": 1,
        }
    )
    interview = new_interview(
        store=store, spec=spec, llm=None, models={}, mode="text", bank=BANK, instruction_tuned=False
    )
    machine = interview.machine
    reply = machine.start()
    said = [
        "Could you repeat the question?",
        STRONG,
        "In the end both teammates agreed and the retro became a monthly habit.",
    ]
    for text in said:
        exchange = ExchangeRecord(
            question="".join(reply.pieces),
            answer=text,
            question_id=reply.question_id,
            is_follow_up=reply.is_follow_up,
            kind=reply.kind,
        )
        reply = machine.on_answer(Answer(text))
        interview.record_exchange(exchange)
        if reply.finished:
            break
    interview.finish(interrupted=False)
    record = store.get_session(interview.session_id)
    by_text = {t.answer_text: t for t in record.turns}
    assert by_text[said[0]].scores is None  # a command is not an answer
    first = by_text[STRONG].scores
    assert first is not None and 1.0 <= first["overall"] <= 5.0
    # the follow-up's answer is judged together with the first answer
    assert by_text[said[2]].is_follow_up
    follow = by_text[said[2]].scores
    assert follow is not None
    quotes = [q for c in follow["criteria"].values() for q in c["evidence"]]
    assert any(q in STRONG for q in quotes if q != "insufficient evidence")
    assert record.summary is not None and "scoring_delay_s" in record.summary


# ------------------------------------------------------------------------------ report


class _Collector(HTMLParser):
    """Fails on unbalanced tags; collects what the assertions need."""

    VOID = frozenset(
        {"meta", "br", "line", "rect", "circle", "polyline", "img", "hr", "link", "input"}
    )

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.marks: list[str] = []
        self._in_mark = False
        self.ids: dict[str, str] = {}
        self._id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "mark":
            self._in_mark = True
            self.marks.append("")
        if dict(attrs).get("id"):
            self._id = dict(attrs)["id"]
            self.ids[self._id or ""] = ""
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()
        if tag == "mark":
            self._in_mark = False

    def handle_data(self, data: str) -> None:
        if self._in_mark:
            self.marks[-1] += data
        if self._id is not None:
            self.ids[self._id] += data.strip()
            self._id = None


def _parse(html: str) -> _Collector:
    parser = _Collector()
    parser.feed(html)
    parser.close()
    assert parser.stack == []
    return parser


def test_html_report_parses_and_holds_its_charts(store: Store) -> None:
    sid = _session(
        store,
        [
            ("beh.conflict.teammate", STRONG, False),
            ("beh.conflict.teammate", "We shipped on time, um, and kept the habit.", True),
            ("beh.conflict.manager", WEAK, False),
        ],
    )
    report = build_report(store, sid, bank=BANK)
    html = render_html(report)
    doc = _parse(html)
    svgs = [a.get("class") or "" for t, a in doc.tags if t == "svg"]
    assert any("bar-chart" in c for c in svgs)  # per competency / criterion
    assert sum("timeline" in c for c in svgs) == 3  # one per answer with words
    # self-contained: no scripts, no external resources
    assert not any(t in ("script", "link", "img", "iframe") for t, _ in doc.tags)
    assert not re.search(r"(src|href)=\"https?:", html)
    # evidence highlighted in the transcript is verbatim answer text
    answers = STRONG + " We shipped on time, um, and kept the habit. " + WEAK
    assert doc.marks and all(m in answers for m in doc.marks)
    assert doc.ids["overall-score"] == f"{report.overall:.1f}"
    # the latency table
    assert "voice-to-voice" in html and "700" in html
    # scored at report time (the worker never ran for this session), then stored
    assert all(q.scored_at_report for q in report.questions)
    record = store.get_session(sid)
    assert record.turns[1].scores is not None and record.turns[2].scores is not None
    assert report.overall is not None
    qs = {q.question_id: q for q in report.questions}
    assert qs["beh.conflict.teammate"].overall > qs["beh.conflict.manager"].overall  # type: ignore[operator]


def test_report_escapes_candidate_text(store: Store) -> None:
    hostile = (
        "<script>alert(1)</script> I led the migration and cut costs by 20 percent. "
        '<img src="http://x/y.png"> We shipped on time.'
    )
    sid = _session(store, [("beh.conflict.teammate", hostile, False)])
    html = render_html(build_report(store, sid, bank=BANK))
    doc = _parse(html)
    assert not any(t in ("script", "img") for t, _ in doc.tags)
    assert "&lt;script&gt;" in html
    md = render_markdown(build_report(store, sid, bank=BANK))
    assert "<script>" not in md


def test_markdown_report_and_json(store: Store) -> None:
    sid = _session(store, [("beh.conflict.teammate", STRONG, False)])
    report = build_report(store, sid, bank=BANK)
    md = render_markdown(report)
    assert md.startswith("# Data Scientist interview")
    assert _question().text in md and "| criterion | score | evidence |" in md
    assert f"**Overall {report.overall:.1f} / 5**" in md
    doc = report.to_json()
    assert doc["questions"][0]["overall"] == report.questions[0].overall
    assert {r["stage"] for r in doc["latency"]} >= {"voice-to-voice", "response"}


def test_delivery_compares_with_earlier_interviews(store: Store) -> None:
    slow = _words(STRONG, gap=0.4)
    spec = InterviewSpec.from_mapping({"role": "data_scientist"}).to_dict()
    old = store.create_session(spec, {}, "text", user_id="u1")
    store.add_turn(old, TurnRecord("q", STRONG, "beh.conflict.teammate", words=slow))
    sid = _session(store, [("beh.conflict.teammate", STRONG, False)])
    report = build_report(store, sid, bank=BANK)
    assert report.history_sessions == 1
    # 0.3 s words with 0.4 s gaps is slower than 0.05 s gaps
    assert report.history["words_per_minute"] < report.delivery["words_per_minute"]
    other_user = _session(store, [("beh.conflict.teammate", STRONG, False)], user="u2")
    assert build_report(store, other_user, bank=BANK).history_sessions == 0


def test_highlight_merges_overlapping_evidence() -> None:
    text = "We shipped on time. Churn fell by 12 percent."
    scores = {
        "criteria": {
            "result": {"evidence": ["Churn fell by 12 percent."]},
            "actions": {"evidence": ["We shipped on time. Churn fell", "insufficient evidence"]},
        }
    }
    segs = highlight(text, scores)
    assert "".join(s.text for s in segs) == text
    tagged = {s.text: s.criteria for s in segs if s.criteria}
    assert tagged["Churn fell"] == ("actions", "result")
    assert tagged["We shipped on time. "] == ("actions",)


# ------------------------------------------------------------------------------ progress


def test_progress_across_interviews(store: Store) -> None:
    for answer in (WEAK, STRONG, STRONG):
        sid = _session(store, [("beh.conflict.teammate", answer, False)])
        build_report(store, sid, bank=BANK)  # scores it
    progress = build_progress(store, "u1", bank=BANK)
    assert len(progress.rows) == 3
    overall = [r.overall for r in progress.rows]
    assert overall[0] is not None and overall[2] is not None and overall[0] < overall[2]
    assert progress.trend is not None and progress.trend > 0
    assert "conflict" in progress.competencies
    html = progress_html(progress)
    doc = _parse(html)
    assert sum(1 for t, a in doc.tags if t == "svg") == 3
    assert "| date | session |" in progress_markdown(progress)
    assert build_progress(store, "nobody", bank=BANK).rows == []


# ------------------------------------------------------------------------------ CLI


def test_report_and_progress_commands(store: Store, tmp_path: Path) -> None:
    sid = _session(store, [("beh.conflict.teammate", STRONG, False)])
    db = store.path
    store.close()
    runner = CliRunner()
    out_html = tmp_path / "r.html"
    res = runner.invoke(app, ["report", sid[:6], "--html", "-o", str(out_html), "--db", str(db)])
    assert res.exit_code == 0, res.output
    _parse(out_html.read_text())
    res = runner.invoke(app, ["report", sid, "--json", "--db", str(db)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["session_id"] == sid and 1.0 <= doc["overall"] <= 5.0
    res = runner.invoke(app, ["report", sid, "--db", str(db)])
    assert res.exit_code == 0 and "## Q1." in res.stdout
    res = runner.invoke(app, ["progress", "--user", "u1", "--json", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert [s["session_id"] for s in json.loads(res.stdout)["sessions"]] == [sid]
    res = runner.invoke(app, ["report", "ffffffff", "--db", str(db)])
    assert res.exit_code != 0


def test_report_to_an_unwritable_path_names_it(store: Store, tmp_path: Path) -> None:
    sid = _session(store, [("beh.conflict.teammate", STRONG, False)])
    db = store.path
    store.close()
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    target = blocker / "report.html"  # a folder that is a file
    res = CliRunner().invoke(app, ["report", sid, "-o", str(target), "--db", str(db)])
    # a typed error, which the console entry point prints as one line with exit code 2
    assert isinstance(res.exception, ConfigError), res.output
    assert str(target) in str(res.exception) and "cannot write" in str(res.exception)
    # the scores made for the report were stored all the same
    with Store.open(db) as again:
        assert again.get_session(sid).turns[0].scores is not None
