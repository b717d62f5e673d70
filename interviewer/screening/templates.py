"""Interview templates: what a reviewer sets up once and sends to many candidates.

Every save is a new version (the old ones stay, so an interview taken on version 2 is always
read against version 2); ``template_id`` stays the same across versions. A template version
becomes an interview through :func:`interview_plan`: the spec (position -> role and level, the
question count, time limit and follow-ups) and the :class:`TemplatePlan` with the questions,
the evaluation instructions and the criterion weights.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from interviewer.errors import ConfigError
from interviewer.interview.bank import LEVELS, QUESTION_TYPES, Bank, Question
from interviewer.interview.bank.schema import unknown_name
from interviewer.interview.spec import MAX_FOLLOW_UPS, MAX_MINUTES, MAX_QUESTIONS, InterviewSpec
from interviewer.interview.templated import TemplatePlan, fresh_question
from interviewer.screening.base import ScreeningBase
from interviewer.screening.errors import InvalidInput, NotFound
from interviewer.screening.models import Template, TemplateDraft, TemplateQuestion, User
from interviewer.store import screening as sql
from interviewer.store.rows import Con
from interviewer.textsafe import storable

MAX_INSTRUCTIONS = 4000
MAX_RETENTION_DAYS = 3650
MAX_WEIGHT = 10.0
_SNAKE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _text(value: Any, field: str, *, low: int = 1, high: int = 200) -> str:
    text = " ".join(storable(str(value or "")).split())
    if not low <= len(text) <= high:
        raise InvalidInput(f"{field}: {low} to {high} characters")
    return text


def _question(bank: Bank, i: int, q: TemplateQuestion) -> TemplateQuestion:
    where = f"question {i + 1}"
    if q.bank_id:
        if q.bank_id not in bank:
            raise InvalidInput(
                f"{where}: {unknown_name('bank question', q.bank_id, [x.id for x in bank])}"
            )
        b = bank.get(q.bank_id)
        # Kept with the template, so it still reads (and can be asked) if the bank changes.
        return TemplateQuestion(b.id, b.text, b.competency, b.type, tuple(b.key_points))
    if q.type not in QUESTION_TYPES:
        raise InvalidInput(f"{where}: type must be one of {', '.join(QUESTION_TYPES)}")
    competency = str(q.competency or "").strip().lower().replace(" ", "_").replace("-", "_")
    if not _SNAKE.match(competency):
        raise InvalidInput(f"{where}: competency must be a short name like problem_solving")
    points = tuple(_text(p, f"{where} key point", high=300) for p in q.key_points if str(p).strip())
    if len(points) > 12:
        raise InvalidInput(f"{where}: at most 12 key points")
    if q.type == "technical" and not points:
        raise InvalidInput(f"{where}: a technical question needs at least one key point")
    text = _text(q.text, f"{where} text", low=10, high=1000)
    return TemplateQuestion(None, text, competency, q.type, points)


def validate_draft(bank: Bank, draft: TemplateDraft) -> TemplateDraft:
    """The draft cleaned up, or InvalidInput naming the first field that is wrong."""
    name = _text(draft.name, "name")
    position = _text(draft.position, "position")
    if draft.level not in LEVELS:
        raise InvalidInput(f"level: one of {', '.join(LEVELS)}")
    if not 1 <= len(draft.questions) <= MAX_QUESTIONS:
        raise InvalidInput(f"questions: between 1 and {MAX_QUESTIONS}")
    questions = tuple(_question(bank, i, q) for i, q in enumerate(draft.questions))
    if not 0 <= int(draft.follow_ups) <= MAX_FOLLOW_UPS:
        raise InvalidInput(f"follow_ups: 0 to {MAX_FOLLOW_UPS}")
    limit = float(draft.time_limit_min)
    if not (math.isfinite(limit) and 1 <= limit <= MAX_MINUTES):
        raise InvalidInput(f"time_limit_min: 1 to {MAX_MINUTES:g} minutes")
    instructions = storable(str(draft.instructions or "")).strip()
    if len(instructions) > MAX_INSTRUCTIONS:
        raise InvalidInput(f"instructions: at most {MAX_INSTRUCTIONS} characters")
    weights: dict[str, float] = {}
    for key, value in dict(draft.weights).items():
        if not _SNAKE.match(str(key)):
            raise InvalidInput(f"weights: {key!r} is not a criterion name (like correctness)")
        try:
            w = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(f"weights: {key} must be a number") from None
        if not (math.isfinite(w) and 0 <= w <= MAX_WEIGHT):
            raise InvalidInput(f"weights: {key} must be between 0 and {MAX_WEIGHT:g}")
        weights[str(key)] = w
    if weights and len(weights) > 40:
        raise InvalidInput("weights: at most 40 criteria")
    if not 1 <= int(draft.retention_days) <= MAX_RETENTION_DAYS:
        raise InvalidInput(f"retention_days: 1 to {MAX_RETENTION_DAYS}")
    clean = replace(
        draft,
        name=name,
        position=position,
        questions=questions,
        follow_ups=int(draft.follow_ups),
        time_limit_min=limit,
        instructions=instructions,
        weights=weights,
        retention_days=int(draft.retention_days),
        show_scores=bool(draft.show_scores),
    )
    _spec(bank, clean)  # the position must map to a role
    return clean


def _spec(bank: Bank, draft: TemplateDraft) -> InterviewSpec:
    types = {q.type for q in draft.questions}
    try:
        return InterviewSpec.from_mapping(
            {
                "role": draft.position,
                "level": draft.level,
                "type": types.pop() if len(types) == 1 else "mixed",
                "questions": len(draft.questions),
                "minutes": draft.time_limit_min,
                "max_follow_ups": draft.follow_ups,
                "notes": f"Screening interview for {draft.position}",
            },
            roles=bank.roles,
        )
    except ConfigError as exc:
        raise InvalidInput(f"position: {exc}") from None


def interview_plan(bank: Bank, template: Template) -> tuple[InterviewSpec, TemplatePlan]:
    """The spec and question plan an interview on this template version runs with."""
    draft = template.draft
    spec = _spec(bank, draft)
    questions: list[Question] = []
    for i, q in enumerate(draft.questions):
        if q.bank_id and q.bank_id in bank:
            questions.append(bank.get(q.bank_id))
            continue
        # Written fresh, or a bank question since removed: asked from the template's copy.
        qid = f"t{template.id}-v{template.version}-{i + 1}"
        try:
            questions.append(
                fresh_question(
                    bank, qid, q.text, type_=q.type, competency=q.competency,
                    key_points=q.key_points, role=spec.role, level=draft.level,
                )
            )  # fmt: skip
        except ConfigError as exc:
            raise InvalidInput(f"question {i + 1}: {exc}") from None
    plan = TemplatePlan(
        template_id=template.id,
        version=template.version,
        name=draft.name,
        questions=tuple(questions),
        instructions=draft.instructions,
        weights=dict(draft.weights),
        show_scores=draft.show_scores,
    )
    return spec, plan


def template_from_row(r: Mapping[str, Any]) -> Template:
    return Template(
        id=r["id"],
        org_id=r["org_id"],
        version=int(r["version"]),
        created_by=r["created_by"],
        created_at=r["created_at"],
        draft=TemplateDraft.from_dict(r["draft"]),
    )


class Templates(ScreeningBase):
    def save_template(
        self, actor: User, draft: TemplateDraft, template_id: str | None = None
    ) -> Template:
        """Save ``draft`` as a new template, or as the next version of ``template_id``."""
        self._require(actor)
        clean = validate_draft(self.bank, draft)
        tid = template_id or secrets.token_hex(6)
        at = self._now()

        def run(con: Con) -> Template:
            if template_id is not None:
                old = sql.template_row(con, template_id, None)
                if old is None:
                    raise NotFound(f"no template {template_id}")
                self._own(actor, old["org_id"], "template", template_id)
            version = sql.insert_template_version(
                con, tid, actor.org_id, actor.id, at, clean.to_dict()
            )
            action = "template.create" if version == 1 else "template.update"
            self._audit(
                con, actor.org_id, actor.id, action, tid, {"version": version, "name": clean.name}
            )
            return Template(tid, actor.org_id, version, actor.id, at, clean)

        return self._tables.write(run)

    def templates(self, actor: User) -> list[Template]:
        """The newest version of each of the organisation's templates."""
        self._require(actor)
        with self._tables.read() as con:
            return [template_from_row(r) for r in sql.latest_templates(con, actor.org_id)]

    def template(self, actor: User, template_id: str, version: int | None = None) -> Template:
        """One version (default: the newest) of one of the organisation's templates."""
        self._require(actor)
        found = self._template(template_id, version)
        self._own(actor, found.org_id, "template", template_id)
        return found

    def template_versions(self, actor: User, template_id: str) -> list[Template]:
        self.template(actor, template_id)
        with self._tables.read() as con:
            return [template_from_row(r) for r in sql.template_versions(con, template_id)]

    def _template(self, template_id: str, version: int | None = None) -> Template:
        with self._tables.read() as con:
            row = sql.template_row(con, str(template_id), version)
        if row is None:
            raise NotFound(f"no template {template_id}" + (f" v{version}" if version else ""))
        return template_from_row(row)
