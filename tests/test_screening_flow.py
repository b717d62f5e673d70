"""Screening mode: a template's interview end to end (typed answers, no models), its report,
the reviewer's dashboard, ratings and export, retention, deletion and the audit log."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

from interviewer.report.render import render_html, render_markdown
from interviewer.screening import (
    Forbidden,
    InvalidInput,
    LinkInvalid,
    NotFound,
    Screening,
    recording_path,
)
from interviewer.store import Store
from tests.screening_helpers import (
    BANK,
    CHEAP,
    DRIFT_ANSWER,
    FRESH_TEXT,
    STAR_ANSWER,
    Clock,
    draft,
    setup_org,
    take_interview,
)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def scr(tmp_path: Path, clock: Clock):  # type: ignore[no-untyped-def]
    with Store.open(tmp_path / "db.duckdb") as store:
        yield Screening(store, BANK, now=clock, hasher=CHEAP)


def test_the_interview_asks_the_template_questions_and_records_its_version(
    scr: Screening,
) -> None:
    _, reviewer = setup_org(scr)
    t = scr.save_template(reviewer, draft())
    scr.save_template(reviewer, draft(name="DS screen v2"), t.id)
    inv = scr.invite(reviewer, t.id, "Cand", "cand@x.test")
    interview = take_interview(scr, inv.token, [STAR_ANSWER, DRIFT_ANSWER])
    record = scr.store.get_session(interview.session_id)
    plan = (record.plan or {})["template"]
    assert (plan["template_id"], plan["version"]) == (t.id, 2)
    assert record.user_id == f"candidate:{inv.id}" and record.status == "finished"
    asked = [
        turn.question_id for turn in record.turns if turn.answer_text in (STAR_ANSWER, DRIFT_ANSWER)
    ]
    assert asked == [q["id"] for q in plan["questions"]]
    fresh = next(turn for turn in record.turns if turn.answer_text == DRIFT_ANSWER)
    assert fresh.question_text.strip().endswith(FRESH_TEXT)
    # the fresh question is scored with its own key points, and the weights shape the overall
    assert fresh.scores is not None and fresh.scores["weights"]["correctness"] == 3.0
    points = [p["point"] for p in fresh.scores["key_points"]]
    assert points == ["compare feature distributions over time", "monitor prediction quality"]
    crit = {k: v["score"] for k, v in fresh.scores["criteria"].items()}
    w = fresh.scores["weights"]
    expected = sum(crit[k] * w[k] for k in crit) / sum(w[k] for k in crit)
    assert fresh.scores["overall"] == pytest.approx(round(expected, 1), abs=0.051)
    with pytest.raises(LinkInvalid) as used:
        scr.open_link(inv.token)
    assert used.value.reason == "used"


def test_the_report_shows_the_evaluation_instructions(scr: Screening) -> None:
    _, reviewer = setup_org(scr)
    t = scr.save_template(reviewer, draft(instructions="Weigh <b>rigour</b> above polish."))
    inv = scr.invite(reviewer, t.id, "Cand", "cand@x.test")
    take_interview(scr, inv.token, [STAR_ANSWER, DRIFT_ANSWER])
    report = scr.report(reviewer, inv.id)
    assert report is not None and report.template is not None
    assert report.template["instructions"] == "Weigh <b>rigour</b> above polish."
    assert {q.text for q in report.questions} >= {FRESH_TEXT}
    html = render_html(report)
    assert "Evaluation instructions" in html and "Weigh &lt;b&gt;rigour&lt;/b&gt;" in html
    assert "Evaluation instructions" in render_markdown(report)
    assert report.to_json()["template"]["version"] == 1


def test_a_dropped_interview_resumes_with_the_same_link_until_it_expires(
    scr: Screening, clock: Clock
) -> None:
    _, reviewer = setup_org(scr)
    t = scr.save_template(reviewer, draft())
    inv = scr.invite(reviewer, t.id, "Cand", "cand@x.test", days=2)
    first = take_interview(scr, inv.token, [STAR_ANSWER], stop_after=1)
    opened, _ = scr.open_link(inv.token)
    assert opened.status == "interrupted" and opened.session_id == first.session_id
    setup = scr.interview_setup(inv.token)
    assert setup.resume_session_id == first.session_id
    with pytest.raises(InvalidInput, match="another interview"):
        scr.attach_session(inv.token, "ffffffffffff")  # one link, one interview
    # the fresh question, which only the session's plan knows, is where it resumes
    second = take_interview(scr, inv.token, [DRIFT_ANSWER])
    assert second.session_id == first.session_id
    record = scr.store.get_session(first.session_id)
    answered = [t.answer_text for t in record.turns]
    assert answered.count(STAR_ANSWER) == 1 and DRIFT_ANSWER in answered
    assert record.status == "finished"
    assert scr.invitation(reviewer, inv.id).status == "completed"
    # another candidate's interrupted interview cannot resume past the expiry
    late = scr.invite(reviewer, t.id, "Late", "late@x.test", days=1)
    take_interview(scr, late.token, [STAR_ANSWER], stop_after=1)
    clock.advance(days=2)
    with pytest.raises(LinkInvalid) as expired:
        scr.begin(late.token, llm=None, models={}, instruction_tuned=False)
    assert expired.value.reason == "expired"


def test_dashboard_reviews_disagreement_shortlist_and_export(scr: Screening) -> None:
    admin, reviewer = setup_org(scr)
    t = scr.save_template(reviewer, draft())
    strong = scr.invite(reviewer, t.id, "Strong Cand", "s@x.test")
    weak = scr.invite(reviewer, t.id, "Weak Cand", "w@x.test")
    waiting = scr.invite(reviewer, t.id, "Not Yet", "n@x.test")
    take_interview(scr, strong.token, [STAR_ANSWER, DRIFT_ANSWER])
    take_interview(scr, weak.token, ["I do not know.", "Maybe look at it."])
    rows = scr.dashboard(reviewer, t.id)
    by_name = {r.invitation.name: r for r in rows}
    s_row, w_row = by_name["Strong Cand"], by_name["Weak Cand"]
    assert s_row.overall is not None and w_row.overall is not None
    assert s_row.overall > w_row.overall
    assert [r.invitation.name for r in rows] == ["Strong Cand", "Weak Cand", "Not Yet"]
    assert by_name["Not Yet"].overall is None and by_name["Not Yet"].invitation.id == waiting.id
    assert s_row.competencies and s_row.confidence is not None
    assert s_row.date is not None and s_row.length_s is not None and s_row.length_s >= 0
    assert "words_per_minute" in s_row.delivery

    # the reviewer's rating next to the machine's; a point or more apart is a disagreement
    scr.review(reviewer, weak.id, overall=w_row.overall, notes="fair")
    scr.review(reviewer, strong.id, overall=max(1.0, s_row.overall - 1.0), notes="too kind",
               overrides={"correctness": 2})  # fmt: skip
    latest = {r.invitation.id: r for r in scr.dashboard(reviewer, t.id)}
    assert latest[strong.id].disagrees and not latest[weak.id].disagrees
    mine = latest[strong.id].review
    assert mine is not None and mine.overrides == {"correctness": 2.0}
    assert [r.notes for r in scr.reviews(reviewer, strong.id)] == ["too kind"]

    scr.shortlist(reviewer, strong.id, True)
    short = scr.dashboard(reviewer, t.id, shortlisted_only=True)
    assert [r.invitation.id for r in short] == [strong.id]
    by_name_asc = scr.dashboard(reviewer, t.id, sort="name", descending=False)
    assert [r.invitation.name for r in by_name_asc] == ["Not Yet", "Strong Cand", "Weak Cand"]

    csv_text = scr.export(reviewer, t.id, "csv")
    header = csv_text.splitlines()[0].split(",")
    assert header[:7] == ["name", "email", "status", "template_version", "date", "length_s",
                          "overall"]  # fmt: skip
    assert any(h.startswith("competency:") for h in header)
    doc = json.loads(scr.export(reviewer, t.id, "json"))
    strong_doc = next(d for d in doc if d["invitation_id"] == strong.id)
    assert strong_doc["disagrees"] and strong_doc["shortlisted"]

    inv, record = scr.candidate(reviewer, strong.id)
    assert inv.id == strong.id and record is not None and record.turns
    actions = [e.action for e in scr.audit_log(admin)]
    for action in ("template.create", "invitation.create", "candidate.consent",
                   "interview.start", "interview.finish", "review.override",
                   "candidate.shortlist", "export", "candidate.view", "user.create"):  # fmt: skip
        assert action in actions, action


def test_thank_you_page_shows_scores_only_when_the_template_allows(scr: Screening) -> None:
    _, reviewer = setup_org(scr)
    hidden = scr.save_template(reviewer, draft())
    shown = scr.save_template(reviewer, draft(name="open", show_scores=True))
    a = scr.invite(reviewer, hidden.id, "A", "a@x.test")
    b = scr.invite(reviewer, shown.id, "B", "b@x.test")
    take_interview(scr, a.token, [STAR_ANSWER, DRIFT_ANSWER])
    take_interview(scr, b.token, [STAR_ANSWER, DRIFT_ANSWER])
    ra, rb = scr.candidate_result(a.token), scr.candidate_result(b.token)
    assert ra.status == "completed" and ra.overall is None and ra.competencies == {}
    assert rb.overall is not None and rb.competencies


def test_another_organisation_sees_none_of_it(scr: Screening) -> None:
    _, rev_a = setup_org(scr, "Acme")
    admin_b, rev_b = setup_org(scr, "Globex")
    t = scr.save_template(rev_a, draft())
    inv = scr.invite(rev_a, t.id, "Cand", "cand@x.test")
    take_interview(scr, inv.token, [STAR_ANSWER, DRIFT_ANSWER])
    calls = [
        lambda: scr.dashboard(rev_b, t.id),
        lambda: scr.candidate(rev_b, inv.id),
        lambda: scr.report(rev_b, inv.id),
        lambda: scr.reviews(rev_b, inv.id),
        lambda: scr.review(rev_b, inv.id, overall=3),
        lambda: scr.shortlist(rev_b, inv.id, True),
        lambda: scr.export(rev_b, t.id, "csv"),
        lambda: scr.fairness(rev_b, t.id),
        lambda: scr.recording(rev_b, inv.id, 0),
        lambda: scr.delete_candidate(admin_b, inv.id),
        lambda: scr.invitations_csv(rev_b, t.id, "https://x"),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert all(e.org_id == admin_b.org_id for e in scr.audit_log(admin_b))
    assert not any(e.target == inv.id for e in scr.audit_log(admin_b))
    with pytest.raises(Forbidden):
        scr.delete_candidate(rev_a, inv.id)  # reviewers do not delete candidates


# --- retention and deletion --------------------------------------------------------------------


def test_purge_removes_recordings_and_transcripts_past_the_retention(
    scr: Screening, clock: Clock
) -> None:
    admin, reviewer = setup_org(scr)
    t = scr.save_template(reviewer, draft(retention_days=30))
    inv = scr.invite(reviewer, t.id, "Cand", "cand@x.test")
    interview = take_interview(scr, inv.token, [STAR_ANSWER, DRIFT_ANSWER])
    wav = recording_path(scr.store.path, interview.session_id, 0)
    wav.parent.mkdir(parents=True)
    wav.write_bytes(b"RIFF")
    before = scr.dashboard(reviewer, t.id)[0]
    assert scr.recording(reviewer, inv.id, 0) == wav

    clock.advance(days=29)
    assert scr.purge().sessions == []  # not yet: the interview ended less than 30 days ago
    clock.advance(days=2)
    report = scr.purge()
    assert report.sessions == [interview.session_id] and report.turns >= 2
    assert report.recordings == 1 and not wav.parent.exists()
    record = scr.store.get_session(interview.session_id)  # the tombstone row stays
    assert record.turns == [] and record.plan is None
    assert scr.store.get_events(interview.session_id) == []
    row = scr.dashboard(reviewer, t.id)[0]
    assert row.invitation.status == "purged"
    assert row.overall == before.overall and row.competencies == before.competencies
    assert scr.candidate(reviewer, inv.id)[1] is None
    with pytest.raises(LinkInvalid) as gone:
        scr.open_link(inv.token)
    assert gone.value.reason == "purged"
    purges = [e for e in scr.audit_log(admin) if e.action == "purge"]
    assert len(purges) == 1 and purges[0].actor == "system" and purges[0].detail["recordings"] == 1
    assert scr.purge().sessions == []  # nothing twice


def test_a_candidate_is_deleted_on_request(scr: Screening) -> None:
    admin, reviewer = setup_org(scr)
    t = scr.save_template(reviewer, draft())
    inv = scr.invite(reviewer, t.id, "Private Person", "private@x.test")
    interview = take_interview(scr, inv.token, [STAR_ANSWER, DRIFT_ANSWER])
    scr.review(reviewer, inv.id, overall=4, notes="notes about them")
    wav = recording_path(scr.store.path, interview.session_id, 1)
    wav.parent.mkdir(parents=True)
    wav.write_bytes(b"RIFF")
    scr.delete_candidate(admin, inv.id)
    assert not wav.parent.exists()
    assert all(s.id != interview.session_id for s in scr.store.list_sessions())
    gone = scr.invitation(reviewer, inv.id)
    assert (gone.status, gone.name, gone.email) == ("deleted", "(deleted)", "")
    assert scr.reviews(reviewer, inv.id) == []
    csv_text = scr.export(reviewer, t.id, "csv")
    assert "Private Person" not in csv_text and "private@x.test" not in csv_text
    entries = scr.audit_log(admin)
    assert not any("private@x.test" in json.dumps(e.detail) for e in entries)
    deletion = next(e for e in entries if e.action == "candidate.delete")
    assert deletion.actor == admin.id and deletion.detail["reviews"] == 1


# --- the audit log is append-only --------------------------------------------------------------

PACKAGE = Path(__file__).resolve().parents[1] / "interviewer"


def test_no_code_updates_or_deletes_the_audit_log() -> None:
    offending = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(
            r"(UPDATE|DELETE\s+FROM|TRUNCATE|DROP\s+TABLE|ALTER\s+TABLE|INSERT\s+OR\s+REPLACE"
            r"\s+INTO)\s+(TABLE\s+)?audit_log\b",
            text,
            re.IGNORECASE,
        ):
            offending.append(f"{path.relative_to(PACKAGE.parent)}: {m.group(0)}")
    assert offending == []
    # the one writer of the table is an INSERT
    writers = [
        p.name for p in PACKAGE.rglob("*.py")
        if re.search(r"INTO\s+audit_log", p.read_text(encoding="utf-8"), re.IGNORECASE)
    ]  # fmt: skip
    assert writers == ["screening.py"]


def test_audit_entries_survive_every_operation(scr: Screening, clock: Clock) -> None:
    admin, reviewer = setup_org(scr)
    t = scr.save_template(reviewer, draft(retention_days=1))
    a = scr.invite(reviewer, t.id, "A", "a@x.test")
    b = scr.invite(reviewer, t.id, "B", "b@x.test")
    take_interview(scr, a.token, [STAR_ANSWER, DRIFT_ANSWER])
    take_interview(scr, b.token, [STAR_ANSWER, DRIFT_ANSWER])
    snapshots = [scr.audit_log(admin)]

    def purge_later() -> None:
        clock.advance(days=3)
        scr.purge()

    operations = [
        lambda: scr.review(reviewer, a.id, overall=2, notes="x"),
        lambda: scr.save_template(reviewer, draft(name="v2"), t.id),
        lambda: scr.export(reviewer, t.id, "json"),
        lambda: scr.delete_candidate(admin, b.id),
        purge_later,
        lambda: scr.create_user(admin, "new@acme.test", "New", "reviewer", "long enough pw"),
    ]
    for op in operations:
        op()
        snapshots.append(scr.audit_log(admin))
    for older, newer in itertools.pairwise(snapshots):
        assert len(newer) > len(older)
        assert newer[len(newer) - len(older) :] == older  # every older entry, unchanged
    seqs = [e.seq for e in snapshots[-1]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)
