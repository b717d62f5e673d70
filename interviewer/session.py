"""Building an interview: spec -> bank selection -> state machine, and saving it as it goes.

Shared by ``demo``, ``practice``, ``resume`` and the web app, so every mode stores the same
records: the session row with its spec and models, one turn per answer (committed when the
interviewer's reply starts, so a crash never loses a completed answer), the machine's state for
resume, and each answer's score, computed by a background worker while the interview goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interviewer.engines.base import LLM
from interviewer.errors import ConfigError
from interviewer.interview.bank import Bank
from interviewer.interview.followup import WAIT_S, FollowUpPolicy
from interviewer.interview.jd_questions import with_jd_questions
from interviewer.interview.machine import InterviewMachine
from interviewer.interview.selection import resolve_company, select_questions
from interviewer.interview.spec import InterviewSpec
from interviewer.interview.templated import PLAN_KEY, TemplatePlan
from interviewer.pipeline.records import ExchangeRecord
from interviewer.scoring.worker import ScoringJob, ScoringWorker
from interviewer.store import Store, TurnRecord

#: How long ``finish`` waits for the last answers' scores before giving up on them (they can be
#: computed later with ``interviewer score SESSION_ID``).
SCORING_DRAIN_S = 180.0
INTERRUPTED_DRAIN_S = 3.0


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
    scoring: ScoringWorker | None = None
    #: a screening template's questions, instructions and weights (None in practice)
    template: TemplatePlan | None = None
    #: per bank question, the candidate's answers so far (the question's, then follow-ups')
    answers: dict[str, list[str]] = field(default_factory=dict)

    def record_exchange(self, record: ExchangeRecord) -> None:
        """Runner callback: one candidate answer with its latency, committed before returning;
        a real answer to a bank question is then handed to the scoring worker."""
        # "End the interview", "repeat that", "skip": the turn is kept in the transcript but
        # filed under no question, so neither the worker nor the report scores it.
        command = self._last_candidate_kind() == "command"
        turn = TurnRecord(
            question_text=record.question or "",
            answer_text=record.answer,
            question_id=None if command else record.question_id,
            is_follow_up=record.is_follow_up and not command,
            kind="command" if command else (record.kind or "question"),
            words=record.word_dicts(),
            audio_start=record.audio_start,
            audio_end=record.audio_end,
            latency=dict(record.latency),
        )
        idx = self.store.add_turn(self.session_id, turn)
        self.store.update_plan(self.session_id, self.plan())
        self._submit_scoring(idx, turn)

    def _submit_scoring(self, idx: int, turn: TurnRecord) -> None:
        if self.scoring is None or not turn.question_id or not turn.answer_text.strip():
            return
        if not self._was_answer(turn.question_id):
            return  # "could you repeat that?" is a command, not an answer to score
        try:
            question = self.bank.get(turn.question_id)
        except ConfigError:  # a question no longer in the bank: scored later, by hand
            return
        said = self.answers.setdefault(turn.question_id, [])
        said.append(turn.answer_text.strip())
        # A follow-up exists to fill the gaps of the first answer, so it is judged together
        # with everything said before about the same question.
        self.scoring.submit(ScoringJob(idx, question, " ".join(said), turn.words))

    def _last_candidate_kind(self) -> str | None:
        for said in reversed(self.machine.transcript):
            if said.kind in ("answer", "command", "silence"):
                return said.kind
        return None

    def _was_answer(self, question_id: str) -> bool:
        for said in reversed(self.machine.transcript):
            if said.kind in ("answer", "command", "silence"):
                return said.kind == "answer" and said.question_id == question_id
        return False

    def plan(self) -> dict[str, Any]:
        plan: dict[str, Any] = {"state": self.machine.state_dict()}
        if self.template is not None:
            plan[PLAN_KEY] = self.template.to_dict()
        return plan

    def finish(
        self,
        *,
        interrupted: bool,
        summary: dict[str, Any] | None = None,
        scoring_timeout: float = SCORING_DRAIN_S,
    ) -> None:
        """Store the final state; first wait for the scores of the answers still queued.

        After Ctrl-C the wait is short: the user asked to stop, and an unscored answer is
        scored by the rules when its report is made (or later by ``interviewer score``)."""
        if self.scoring is not None:
            wait = min(scoring_timeout, INTERRUPTED_DRAIN_S) if interrupted else scoring_timeout
            if not self.scoring.close(wait):
                self.store.add_event(
                    self.session_id,
                    "scoring_incomplete",
                    {"pending": self.scoring.pending, "hint": "interviewer score SESSION_ID"},
                )
            if self.scoring.delays:
                summary = dict(summary or {})
                summary["scoring_delay_s"] = {
                    "max": round(max(self.scoring.delays), 2),
                    "mean": round(sum(self.scoring.delays) / len(self.scoring.delays), 2),
                }
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
    bank: Bank,
    instruction_tuned: bool,
    user_id: str = "local",
    score: bool = True,
    template: TemplatePlan | None = None,
) -> Interview:
    """Select questions (avoiding the user's recent ones), build the machine, open a session.

    With ``score`` each answer is scored in the background as the interview goes on.
    ``bank`` and ``instruction_tuned`` come from the caller's :class:`~interviewer.context.
    AppContext`: the bank with the user's own questions, the flag from the loaded LLM.
    With ``template`` (screening mode) its questions are asked in its order, its evaluation
    instructions and criterion weights go to the scorer, and the plan is stored with the
    session (template id and version included). A position with no technical bank asks
    technical questions built from the job description."""
    if template is not None:
        bank = template.bank(bank)
        questions = list(template.questions)
    else:
        bank = with_jd_questions(bank, spec)
        recent = store.recent_question_ids(user_id)
        questions = select_questions(bank, spec, recent_ids=recent)
    # Typed answers: nobody hears a silence, so the model may take the time it needs.
    wait_s = None if mode == "text" else WAIT_S
    policy = FollowUpPolicy(llm, instruction_tuned=instruction_tuned, wait_s=wait_s)
    company = resolve_company(bank, spec.company)
    machine = InterviewMachine(bank, spec, followups=policy, questions=questions, company=company)
    plan: dict[str, Any] = {"state": machine.state_dict()}
    if template is not None:
        plan[PLAN_KEY] = template.to_dict()
    session_id = store.create_session(
        spec.to_dict(), dict(models), mode, plan=plan, user_id=user_id
    )
    worker = _scoring_worker(store, session_id, llm, instruction_tuned, template) if score else None
    return Interview(bank, spec, machine, store, session_id, worker, template)


def _scoring_worker(
    store: Store,
    session_id: str,
    llm: LLM | None,
    instruction_tuned: bool,
    template: TemplatePlan | None = None,
) -> ScoringWorker:
    def on_error(idx: int, message: str) -> None:
        store.add_event(session_id, "scoring_error", {"turn": idx, "error": message})

    return ScoringWorker(
        store_result=lambda idx, doc: store.update_turn_scores(session_id, idx, doc),
        llm=llm,
        instruction_tuned=instruction_tuned,
        on_error=on_error,
        instructions=template.instructions if template else "",
        weights=template.weights if template else None,
    )


def resume_interview(
    *,
    store: Store,
    session_id: str,
    llm: LLM | None,
    bank: Bank,
    instruction_tuned: bool,
    score: bool = True,
) -> Interview:
    """Continue an interrupted session from its first unanswered question."""
    record = store.get_session(session_id)
    if record.status == "finished":
        raise ConfigError(f"session {record.id} is already finished; start a new one")
    state = (record.plan or {}).get("state")
    if not state:
        raise ConfigError(f"session {record.id} has no saved interview state to resume from")
    # a screening interview's fresh questions exist only in its stored plan
    template = TemplatePlan.from_plan(record.plan)
    if template is not None:
        bank = template.bank(bank)
    spec = InterviewSpec.from_mapping(record.spec, roles=bank.roles)
    bank = with_jd_questions(bank, spec)
    policy = FollowUpPolicy(llm, instruction_tuned=instruction_tuned)
    machine = InterviewMachine.from_state(bank, state, followups=policy)
    store.set_status(record.id, "running")
    store.add_event(record.id, "resume", {"turns_before": record.turn_count})
    worker = _scoring_worker(store, record.id, llm, instruction_tuned, template) if score else None
    interview = Interview(bank, spec, machine, store, record.id, worker, template)
    for turn in record.turns:
        # answers scored before the interruption: a follow-up after resume joins them
        if turn.scores is not None and turn.question_id:
            interview.answers.setdefault(turn.question_id, []).append(turn.answer_text.strip())
    return interview


def model_ids(engines: Any) -> dict[str, str]:
    out = {}
    for role in ("vad", "stt", "llm", "tts"):
        eng = getattr(engines, role, None)
        if eng is not None:
            out[role] = str(getattr(eng, "model_id", type(eng).__name__))
    return out
