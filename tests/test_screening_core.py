"""Screening mode, core: accounts, roles and organisations, versioned templates, invitations.

A temporary store and the shipped bank; interviews run on the fake engines where needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.screening import (
    Forbidden,
    InvalidInput,
    LinkInvalid,
    LoginRefused,
    NotFound,
    RateLimited,
    Screening,
    TemplateQuestion,
)
from interviewer.screening.accounts import MAX_FAILURES
from interviewer.store import Store
from tests.screening_helpers import (
    BANK,
    CHEAP,
    PASSWORD,
    Clock,
    bank_question,
    draft,
    setup_org,
)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def scr(tmp_path: Path, clock: Clock):  # type: ignore[no-untyped-def]
    with Store.open(tmp_path / "db.duckdb") as store:
        yield Screening(store, BANK, now=clock, hasher=CHEAP)


# --- accounts ---------------------------------------------------------------------------------


def test_passwords_are_argon2_hashes_and_login_tokens_are_stored_hashed(scr: Screening) -> None:
    admin, _ = setup_org(scr)
    with scr._tables.read() as con:
        stored = con.execute("SELECT password_hash FROM users WHERE id = ?", [admin.id]).fetchone()
    assert stored is not None and stored[0].startswith("$argon2id$") and PASSWORD not in stored[0]
    user, token = scr.login("ADMIN@acme.test ", PASSWORD, client="127.0.0.1")
    assert user.id == admin.id and len(token) >= 40
    with scr._tables.read() as con:
        hashes = [r[0] for r in con.execute("SELECT token_hash FROM login_tokens").fetchall()]
    assert token not in hashes and len(hashes) == 1
    assert scr.user_for_token(token) == admin
    scr.logout(token)
    assert scr.user_for_token(token) is None
    assert scr.user_for_token(None) is None and scr.user_for_token("forged") is None


def test_wrong_password_and_unknown_email_are_refused_alike(scr: Screening) -> None:
    setup_org(scr)
    with pytest.raises(LoginRefused) as wrong_pw:
        scr.login("admin@acme.test", "not the password", client="c")
    with pytest.raises(LoginRefused) as no_user:
        scr.login("nobody@acme.test", PASSWORD, client="c")
    assert str(wrong_pw.value) == str(no_user.value)


def test_logins_are_rate_limited_per_email_and_client(scr: Screening, clock: Clock) -> None:
    setup_org(scr)
    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginRefused):
            scr.login("admin@acme.test", "wrong password", client="10.0.0.9")
    # even the right password is refused while the limit holds
    with pytest.raises(RateLimited) as limited:
        scr.login("admin@acme.test", PASSWORD, client="10.0.0.9")
    assert limited.value.retry_after_s > 0
    # another client is not locked out by this one's failures
    scr.login("admin@acme.test", PASSWORD, client="10.0.0.10")
    clock.advance(minutes=16)
    scr.login("admin@acme.test", PASSWORD, client="10.0.0.9")


def test_login_tokens_expire(scr: Screening, clock: Clock) -> None:
    setup_org(scr)
    _, token = scr.login("rev@acme.test", PASSWORD, client="c")
    clock.advance(hours=13)
    assert scr.user_for_token(token) is None


def test_only_admins_create_users_and_read_the_audit_log(scr: Screening) -> None:
    admin, reviewer = setup_org(scr)
    with pytest.raises(Forbidden):
        scr.create_user(reviewer, "x@acme.test", "X", "reviewer", PASSWORD)
    with pytest.raises(Forbidden):
        scr.audit_log(reviewer)
    with pytest.raises(Forbidden):
        scr.users(reviewer)
    assert [u.email for u in scr.users(admin)] == ["admin@acme.test", "rev@acme.test"]
    with pytest.raises(InvalidInput, match="already has an account"):
        scr.create_user(admin, "rev@acme.test", "Again", "reviewer", PASSWORD)
    with pytest.raises(InvalidInput, match="password"):
        scr.create_user(admin, "short@acme.test", "S", "reviewer", "short")
    with pytest.raises(InvalidInput, match="role"):
        scr.create_user(admin, "c@acme.test", "C", "candidate", PASSWORD)  # type: ignore[arg-type]


def test_users_of_other_organisations_are_invisible(scr: Screening) -> None:
    admin_a, _ = setup_org(scr, "Acme")
    admin_b, _ = setup_org(scr, "Globex")
    assert admin_a.org_id != admin_b.org_id
    assert all(u.org_id == admin_b.org_id for u in scr.users(admin_b))


# --- templates --------------------------------------------------------------------------------


def test_every_save_is_a_new_version_and_old_versions_stay(scr: Screening) -> None:
    _, reviewer = setup_org(scr)
    v1 = scr.save_template(reviewer, draft())
    v2 = scr.save_template(reviewer, draft(instructions="Now: communication matters most."), v1.id)
    assert (v1.id, v1.version) == (v2.id, 1) and v2.version == 2
    assert scr.template(reviewer, v1.id).draft.instructions.startswith("Now:")
    assert scr.template(reviewer, v1.id, 1).draft.instructions.startswith("Weigh")
    assert [t.version for t in scr.templates(reviewer)] == [2]
    assert [t.version for t in scr.template_versions(reviewer, v1.id)] == [1, 2]
    # the bank question's text is kept with the template
    assert (
        scr.template(reviewer, v1.id).draft.questions[0].text
        == BANK.get(bank_question("behavioral")).text
    )


def test_invalid_templates_name_the_field(scr: Screening) -> None:
    _, reviewer = setup_org(scr)
    for bad, field in [
        (draft(questions=()), "questions"),
        (draft(level="guru"), "level"),
        (draft(weights={"correctness": -1}), "weights"),
        (draft(retention_days=0), "retention_days"),
        (draft(questions=(TemplateQuestion("no-such-q", "", "", "behavioral"),)), "question 1"),
        (
            draft(questions=(TemplateQuestion(None, "Explain hashing please.", "x", "technical"),)),
            "key point",
        ),
    ]:
        with pytest.raises(InvalidInput, match=field):
            scr.save_template(reviewer, bad)


def test_templates_of_another_organisation_are_not_found(scr: Screening) -> None:
    _, rev_a = setup_org(scr, "Acme")
    _, rev_b = setup_org(scr, "Globex")
    t = scr.save_template(rev_a, draft())
    assert scr.templates(rev_b) == []
    with pytest.raises(NotFound):
        scr.template(rev_b, t.id)
    with pytest.raises(NotFound):
        scr.save_template(rev_b, draft(), t.id)
    with pytest.raises(NotFound):
        scr.invite(rev_b, t.id, "Eve", "eve@x.test")
    with pytest.raises(NotFound):
        scr.invitations(rev_b, t.id)


# --- invitations ------------------------------------------------------------------------------


def test_an_invitation_link_opens_only_its_own_interview_until_it_expires(
    scr: Screening, clock: Clock
) -> None:
    _, reviewer = setup_org(scr)
    t = scr.save_template(reviewer, draft())
    inv = scr.invite(reviewer, t.id, "Cand One", "one@x.test", days=2)
    other = scr.invite(reviewer, t.id, "Cand Two", "two@x.test", days=2)
    assert inv.token != other.token and inv.status == "invited"
    opened, template = scr.open_link(inv.token)
    assert opened.id == inv.id and (template.id, template.version) == (t.id, 1)
    with pytest.raises(LinkInvalid) as unknown:
        scr.open_link(inv.token + "x")
    assert unknown.value.reason == "unknown"
    with pytest.raises(Forbidden, match="consent"):
        scr.interview_setup(inv.token)
    assert scr.consent(inv.token).status == "consented"
    setup = scr.interview_setup(inv.token)
    assert setup.invitation.id == inv.id and setup.resume_session_id is None
    assert [q.text for q in setup.plan.questions][1].startswith("How would you detect")
    clock.advance(days=3)
    with pytest.raises(LinkInvalid) as expired:
        scr.open_link(inv.token)
    assert expired.value.reason == "expired"
    assert {i.status for i in scr.invitations(reviewer, t.id)} == {"expired"}


def test_invitations_record_the_template_version_of_the_time(scr: Screening) -> None:
    _, reviewer = setup_org(scr)
    t = scr.save_template(reviewer, draft())
    early = scr.invite(reviewer, t.id, "Early", "early@x.test")
    scr.save_template(reviewer, draft(instructions="Version two."), t.id)
    late = scr.invite(reviewer, t.id, "Late", "late@x.test")
    assert (early.template_version, late.template_version) == (1, 2)
    assert scr.open_link(early.token)[1].draft.instructions.startswith("Weigh")
    assert scr.open_link(late.token)[1].draft.instructions == "Version two."


def test_invitations_csv_has_links_and_defuses_formulas(scr: Screening) -> None:
    _, reviewer = setup_org(scr)
    t = scr.save_template(reviewer, draft())
    inv = scr.invite(reviewer, t.id, '=HYPERLINK("http://evil")', "a@x.test")
    text = scr.invitations_csv(reviewer, t.id, "https://screen.acme.test/i/")
    header, row = text.strip().splitlines()
    assert header == "name,email,link,expires_at,status"
    assert f"https://screen.acme.test/i/{inv.token}" in row
    assert row.startswith("\"'=HYPERLINK")
