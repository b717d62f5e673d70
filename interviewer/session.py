"""Building an interview: spec -> bank selection -> state machine, and saving it as it goes.

Shared by ``demo``, ``practice`` and ``resume``, so every mode stores the same records: the
session row with its spec and models, one turn per answer (committed when the interviewer's
reply starts, so a crash never loses a completed answer), and the machine's state for resume.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interviewer.engines.base import LLM
from interviewer.interview.bank import Bank, load_bank
from interviewer.interview.followup import FollowUpPolicy
from interviewer.interview.machine import InterviewMachine
from interviewer.interview.selection import resolve_company, select_questions
from interviewer.interview.spec import InterviewSpec
from interviewer.store import Store, TurnRecord


def build_spec(bank: Bank, spec_file: Path | None, flags: Mapping[str, Any]) -> InterviewSpec:
    """A spec from an optional TOML file and flags (flags win; ``None`` flags are ignored)."""
    clean = {k: v for k, v in flags.items() if v is not None}
    if spec_file is not None:
        return InterviewSpec.from_toml(spec_file, roles=bank.roles).merged(clean, roles=bank.roles)
    return InterviewSpec.from_mapping(clean, roles=bank.roles)


@dataclass
class Interview:
    bank: Bank
    spec: InterviewSpec
    machine: InterviewMachine
    store: Store
    session_id: str

    def record_exchange(self, record: dict[str, Any]) -> None:
        """Runner callback: one candidate answer with its latency, committed before returning."""
        turn = TurnRecord(
            question_text=record.get("question") or "",
            answer_text=record.get("answer") or "",
            question_id=record.get("question_id"),
            is_follow_up=bool(record.get("is_follow_up")),
            kind=str(record.get("kind") or "question"),
            words=list(record.get("words") or []),
            audio_start=record.get("audio_start"),
            audio_end=record.get("audio_end"),
            latency=dict(record.get("latency") or {}),
        )
        self.store.add_turn(self.session_id, turn)
        self.store.update_plan(self.session_id, self.plan())

    def plan(self) -> dict[str, Any]:
        return {"state": self.machine.state_dict()}

    def finish(self, *, interrupted: bool, summary: dict[str, Any] | None = None) -> None:
        self.store.update_plan(self.session_id, self.plan())
        status = "interrupted" if interrupted else "finished"
        self.store.set_status(self.session_id, status, summary)


def new_interview(
    *,
    store: Store,
    spec: InterviewSpec,
    llm: LLM | None,
    models: Mapping[str, str],
    mode: str,
    bank: Bank | None = None,
    instruction_tuned: bool = False,
    user_id: str = "local",
) -> Interview:
    """Select questions (avoiding the user's recent ones), build the machine, open a session."""
    bank = bank or load_bank()
    recent = store.recent_question_ids(user_id)
    questions = select_questions(bank, spec, recent_ids=recent)
    policy = FollowUpPolicy(llm, instruction_tuned=instruction_tuned)
    company = resolve_company(bank, spec.company)
    machine = InterviewMachine(bank, spec, followups=policy, questions=questions, company=company)
    session_id = store.create_session(
        spec.to_dict(), dict(models), mode, plan={"state": machine.state_dict()}, user_id=user_id
    )
    return Interview(bank, spec, machine, store, session_id)


def resume_interview(
    *, store: Store, session_id: str, llm: LLM | None, bank: Bank | None = None
) -> Interview:
    """Continue an interrupted session from its first unanswered question."""
    from interviewer.errors import ConfigError

    record = store.get_session(session_id)
    if record.status == "finished":
        raise ConfigError(f"session {record.id} is already finished; start a new one")
    state = (record.plan or {}).get("state")
    if not state:
        raise ConfigError(f"session {record.id} has no saved interview state to resume from")
    bank = bank or load_bank()
    spec = InterviewSpec.from_mapping(record.spec, roles=bank.roles)
    machine = InterviewMachine.from_state(bank, state, followups=FollowUpPolicy(llm))
    store.set_status(record.id, "running")
    store.add_event(record.id, "resume", {"turns_before": record.turn_count})
    return Interview(bank, spec, machine, store, record.id)


def model_ids(engines: Any) -> dict[str, str]:
    out = {}
    for role in ("vad", "stt", "llm", "tts"):
        eng = getattr(engines, role, None)
        if eng is not None:
            out[role] = str(getattr(eng, "model_id", type(eng).__name__))
    return out
