"""The template form: its fields to a :class:`TemplateDraft` and back.

Questions come from two places: bank questions picked in a list (``bank_ids``), and questions
written fresh in numbered rows (``q{i}_text``, ``q{i}_competency``, ``q{i}_type``, ``q{i}_keys``
with one key point a line). Every problem is an :class:`InvalidInput` naming the field; the
service checks the draft as a whole again.
"""

from __future__ import annotations

from typing import Any

from interviewer.errors import ConfigError
from interviewer.interview.bank import Bank
from interviewer.screening import TemplateDraft, TemplateQuestion
from interviewer.screening.errors import InvalidInput
from interviewer.textsafe import storable

#: empty rows offered for fresh questions, besides the ones a template already has
FRESH_ROWS = 3
MAX_FRESH_ROWS = 30
MAX_FIELD = 200
MAX_TEXT = 4000
QUESTION_TYPES = ("behavioral", "technical")


def _text(form: Any, name: str, limit: int = MAX_FIELD, *, label: str | None = None) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    value = storable(value).strip()
    if len(value) > limit:
        raise InvalidInput(f"{label or name.replace('_', ' ')}: at most {limit} characters")
    return value


def _number(form: Any, name: str, default: float, low: float, high: float, label: str) -> float:
    raw = _text(form, name, 20)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"{label}: {raw!r} is not a number") from None
    if not low <= value <= high:
        raise InvalidInput(f"{label}: {raw} is out of range ({low:g} to {high:g})")
    return value


def parse_weights(text: str) -> dict[str, float]:
    """``criterion: weight`` (or ``=``) one a line; blank lines are skipped."""
    weights: dict[str, float] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        sep = ":" if ":" in line else "="
        name, _, raw = line.partition(sep)
        name = name.strip().lower().replace(" ", "_")
        try:
            value = float(raw)
        except ValueError:
            raise InvalidInput(
                f"weights, line {n}: write 'criterion: weight', e.g. 'actions: 2' (got {line!r})"
            ) from None
        if not name or not 0 <= value <= 10:
            raise InvalidInput(f"weights, line {n}: a criterion name and a weight from 0 to 10")
        weights[name] = value
    return weights


def draft_from_form(form: Any, bank: Bank) -> TemplateDraft:
    questions: list[TemplateQuestion] = []
    for bank_id in form.getlist("bank_ids"):
        if not isinstance(bank_id, str) or not bank_id:
            continue
        try:
            q = bank.get(bank_id)
        except ConfigError:
            raise InvalidInput(f"questions: {bank_id!r} is not in the question bank") from None
        questions.append(
            TemplateQuestion(
                bank_id=q.id,
                text=q.text,
                competency=q.competency,
                type=q.type,
                key_points=tuple(q.key_points),
            )
        )
    for i in range(MAX_FRESH_ROWS):
        text = _text(form, f"q{i}_text", MAX_TEXT, label=f"question {i + 1}")
        if not text:
            continue
        competency = _text(form, f"q{i}_competency", label=f"question {i + 1}, competency")
        kind = _text(form, f"q{i}_type") or "behavioral"
        if kind not in QUESTION_TYPES:
            raise InvalidInput(f"question {i + 1}, type: behavioral or technical")
        keys = _text(form, f"q{i}_keys", MAX_TEXT, label=f"question {i + 1}, key points")
        questions.append(
            TemplateQuestion(
                bank_id=None,
                text=text,
                competency=competency.lower().replace(" ", "_") or "general",
                type=kind,  # type: ignore[arg-type]
                key_points=tuple(k.strip() for k in keys.splitlines() if k.strip()),
            )
        )
    if not questions:
        raise InvalidInput("questions: pick at least one from the bank or write one")
    return TemplateDraft(
        name=_text(form, "name") or _text(form, "position"),
        position=_text(form, "position"),
        level=_text(form, "level") or "mid",
        questions=tuple(questions),
        follow_ups=int(_number(form, "follow_ups", 1, 0, 3, "follow-ups")),
        time_limit_min=_number(form, "time_limit_min", 20, 1, 180, "time limit"),
        instructions=_text(form, "instructions", MAX_TEXT, label="evaluation instructions"),
        weights=parse_weights(_text(form, "weights", MAX_TEXT)),
        retention_days=int(_number(form, "retention_days", 90, 1, 3650, "retention")),
        show_scores=form.get("show_scores") in ("on", "1", "true"),
    )


def form_values(draft: TemplateDraft | None) -> dict[str, Any]:
    """What the form shows for ``draft`` (a new template: the defaults)."""
    if draft is None:
        draft = TemplateDraft(name="", position="", level="mid", questions=())
    fresh = [q for q in draft.questions if q.bank_id is None]
    rows = [
        {
            "text": q.text,
            "competency": q.competency,
            "type": q.type,
            "key_points": "\n".join(q.key_points),
        }
        for q in fresh
    ]
    rows += [{"text": "", "competency": "", "type": "behavioral", "key_points": ""}] * FRESH_ROWS
    return {
        "name": draft.name,
        "position": draft.position,
        "level": draft.level,
        "bank_ids": {q.bank_id for q in draft.questions if q.bank_id},
        "rows": rows[:MAX_FRESH_ROWS],
        "follow_ups": draft.follow_ups,
        "time_limit_min": f"{draft.time_limit_min:g}",
        "instructions": draft.instructions,
        "weights": "\n".join(f"{k}: {v:g}" for k, v in draft.weights.items()),
        "retention_days": draft.retention_days,
        "show_scores": draft.show_scores,
    }


def values_from_form(form: Any) -> dict[str, Any]:
    """The form as typed, to show it again with an error."""
    rows = []
    for i in range(MAX_FRESH_ROWS):
        if f"q{i}_text" not in form:
            break
        rows.append(
            {
                "text": str(form.get(f"q{i}_text") or ""),
                "competency": str(form.get(f"q{i}_competency") or ""),
                "type": str(form.get(f"q{i}_type") or "behavioral"),
                "key_points": str(form.get(f"q{i}_keys") or ""),
            }
        )
    plain = {k: storable(v) for k, v in form.items() if isinstance(v, str)}
    return {
        **plain,
        "bank_ids": {v for v in form.getlist("bank_ids") if isinstance(v, str)},
        "rows": rows or form_values(None)["rows"],
        "show_scores": form.get("show_scores") in ("on", "1", "true"),
    }
