"""The report's content, built from a stored session (no rendering here).

Everything the Markdown and HTML views show comes from :func:`build_report`: the summary and
recommendation, per-question scores with evidence spans, delivery metrics and the latency table.
Answers the background worker did not score (an interrupted session, one recorded before
scoring existed) are scored here by the rules alone and stored, so every view agrees.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from interviewer.errors import ConfigError
from interviewer.interview.bank import Bank, Question
from interviewer.interview.jd_questions import with_jd_questions
from interviewer.interview.templated import TemplatePlan
from interviewer.scoring.delivery import LONG_PAUSE_S, MIN_PROBABILITY
from interviewer.scoring.evidence import (
    INSUFFICIENT,
    annotate_uncertain,
    locate,
    mark_uncertain,
    uncertain_spans,
)
from interviewer.scoring.scorer import score_answer
from interviewer.scoring.worker import words_from_dicts
from interviewer.store import SessionRecord, Store, TurnRecord
from interviewer.text import HESITATIONS
from interviewer.types import LATENCY_FIELDS

#: Thresholds of the advisory recommendation, on the 1-5 overall score.
ADVANCE_AT = 3.8
BORDERLINE_AT = 3.0
#: Below this mean confidence the recommendation says the evidence is thin.
LOW_CONFIDENCE = 0.45
#: Earlier interviews of the same user that the delivery comparison looks at.
HISTORY_SESSIONS = 5


@dataclass
class Segment:
    """A piece of an answer; ``criteria`` names the criteria it is evidence for (if any)."""

    text: str
    criteria: tuple[str, ...] = ()


@dataclass
class AnswerView:
    idx: int
    asked: str
    text: str
    is_follow_up: bool
    segments: list[Segment]
    words: list[dict[str, Any]]
    delivery: dict[str, Any] | None
    audio_start: float | None
    audio_end: float | None


@dataclass
class QuestionView:
    question_id: str
    text: str
    competency: str
    type: str
    answers: list[AnswerView]
    #: the score of everything said about the question (the last scored turn's)
    scores: dict[str, Any] | None
    scored_at_report: bool = False

    @property
    def overall(self) -> float | None:
        return None if self.scores is None else float(self.scores["overall"])


@dataclass
class Report:
    session: SessionRecord
    questions: list[QuestionView]
    other_turns: list[TurnRecord]
    overall: float | None
    confidence: float | None
    recommendation: str
    recommendation_detail: str
    competencies: list[tuple[str, float]]
    criteria: list[tuple[str, float]]
    delivery: dict[str, float]
    history: dict[str, float] = field(default_factory=dict)
    history_sessions: int = 0
    latency_rows: list[tuple[str, float | None, float | None]] = field(default_factory=list)
    latency_exchanges: list[dict[str, float | None]] = field(default_factory=list)
    scoring_notes: list[str] = field(default_factory=list)
    #: a screening interview's template: id, version, name, the organisation's evaluation
    #: instructions (shown with the report) and criterion weights; None in practice
    template: dict[str, Any] | None = None

    @property
    def title(self) -> str:
        spec = self.session.spec
        role = str(spec.get("role") or "interview").replace("_", " ")
        company = spec.get("company")
        return f"{role.title()} interview" + (f" at {company}" if company else "")

    @property
    def started(self) -> datetime:
        return self.session.created_at

    def to_json(self) -> dict[str, Any]:
        """The report's figures (not its presentation), for tools and tests."""
        return {
            "session_id": self.session.id,
            "title": self.title,
            "status": self.session.status,
            "overall": self.overall,
            "confidence": self.confidence,
            "recommendation": self.recommendation,
            "competencies": dict(self.competencies),
            "criteria": dict(self.criteria),
            "delivery": self.delivery,
            "history": self.history,
            "questions": [
                {
                    "question_id": q.question_id,
                    "text": q.text,
                    "competency": q.competency,
                    "overall": q.overall,
                    "scores": q.scores,
                    "answers": [a.text for a in q.answers],
                }
                for q in self.questions
            ],
            "latency": [{"stage": s, "p50_ms": a, "p95_ms": b} for s, a, b in self.latency_rows],
            "template": self.template,
        }


# ------------------------------------------------------------------------------ building


def build_report(
    store: Store,
    session_id: str,
    *,
    bank: Bank,
    score_missing: bool = True,
) -> Report:
    """The report of one stored session (any status: an interrupted one reports what it has).

    ``bank`` is the one the interview was asked from (with the user's own questions): an
    answer to a question missing from it is filed under other turns and not scored."""
    record = store.get_session(session_id)
    plan, plan_note = _template_plan(record)
    if plan is not None:  # a screening interview: its fresh questions live in its plan
        bank = plan.bank(bank)
    bank = with_jd_questions(bank, record.spec)
    weights = dict(plan.weights) if plan is not None else None
    questions, others, notes = _questions(record, bank, store if score_missing else None, weights)
    notes += plan_note
    scored = [q for q in questions if q.scores is not None]
    overall = _mean([q.overall for q in scored if q.overall is not None])
    confidence = _mean([float(q.scores.get("confidence", 0.0)) for q in scored if q.scores])
    rec, detail = _recommendation(overall, confidence, len(scored), len(questions))
    delivery = delivery_summary(record.turns)
    history, n_hist = _history(store, record)
    rows, exchanges = latency_table(record)
    return Report(
        session=record,
        questions=questions,
        other_turns=others,
        overall=None if overall is None else round(overall, 2),
        confidence=None if confidence is None else round(confidence, 2),
        recommendation=rec,
        recommendation_detail=detail,
        competencies=_by(scored, lambda q: [(q.competency, q.overall)]),
        criteria=_by(
            scored,
            lambda q: [(n, c["score"]) for n, c in (q.scores or {}).get("criteria", {}).items()],
        ),
        delivery=delivery,
        history=history,
        history_sessions=n_hist,
        latency_rows=rows,
        latency_exchanges=exchanges,
        scoring_notes=notes,
        template=_template_view(plan),
    )


def _template_plan(record: SessionRecord) -> tuple[TemplatePlan | None, list[str]]:
    try:
        return TemplatePlan.from_plan(record.plan), []
    except ConfigError as exc:
        return None, [f"the interview's template could not be read: {exc}"]


def _template_view(plan: TemplatePlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "template_id": plan.template_id,
        "version": plan.version,
        "name": plan.name,
        "instructions": plan.instructions,
        "weights": dict(plan.weights),
    }


def _mean(values: Sequence[float | None]) -> float | None:
    clean = [v for v in values if v is not None]
    return statistics.fmean(clean) if clean else None


def _by(questions: list[QuestionView], pairs: Any) -> list[tuple[str, float]]:
    groups: dict[str, list[float]] = {}
    for q in questions:
        for name, value in pairs(q):
            if value is not None:
                groups.setdefault(name, []).append(float(value))
    return [(name, round(statistics.fmean(v), 2)) for name, v in groups.items()]


def _question(bank: Bank, turn: TurnRecord) -> Question | None:
    if not turn.question_id:
        return None
    try:
        return bank.get(turn.question_id)
    except ConfigError:
        return None


def _questions(
    record: SessionRecord,
    bank: Bank,
    store: Store | None,
    weights: dict[str, float] | None = None,
) -> tuple[list[QuestionView], list[TurnRecord], list[str]]:
    views: dict[str, QuestionView] = {}
    others: list[TurnRecord] = []
    notes: list[str] = []
    for turn in record.turns:
        question = _question(bank, turn)
        if question is None or not turn.answer_text.strip():
            if turn.answer_text.strip():
                others.append(turn)
            continue
        view = views.get(question.id)
        if view is None:
            view = views[question.id] = QuestionView(
                question.id, question.text, question.competency, question.type, [], None
            )
        if turn.scores is not None:
            view.scores = turn.scores
        view.answers.append(
            AnswerView(
                idx=turn.idx,
                asked=turn.question_text,
                text=turn.answer_text,
                is_follow_up=turn.is_follow_up,
                segments=[Segment(turn.answer_text)],
                words=turn.words,
                delivery=(turn.scores or {}).get("delivery"),
                audio_start=turn.audio_start,
                audio_end=turn.audio_end,
            )
        )
    for view in views.values():
        if view.scores is None and store is not None:
            _score_now(view, bank, store, record.id, weights)
            notes.append(f"{view.question_id}: scored when the report was made (rules only)")
        if view.scores is not None:
            for answer in view.answers:
                answer.segments = highlight(answer.text, view.scores)
        for answer in view.answers:
            answer.segments = mark_segments(answer.segments, answer.words)
    return list(views.values()), others, notes


def mark_segments(segments: list[Segment], words: list[dict[str, Any]]) -> list[Segment]:
    """``segments`` (which make up an answer) with the words the recogniser was unsure of
    marked, so the answer shown is never read as surer than it was heard."""
    if not words:
        return segments
    text = "".join(s.text for s in segments)
    spans = uncertain_spans(text, words)
    out, at = [], 0
    for seg in segments:
        out.append(Segment(mark_uncertain(seg.text, spans, at), seg.criteria))
        at += len(seg.text)
    return out


def _score_now(
    view: QuestionView,
    bank: Bank,
    store: Store,
    session_id: str,
    weights: dict[str, float] | None = None,
) -> None:
    """Rules-only scoring of a question the worker never scored; stored on its last turn."""
    question = bank.get(view.question_id)
    text = " ".join(a.text.strip() for a in view.answers)
    last = view.answers[-1]
    words = words_from_dicts(last.words) if last.words else None
    doc = score_answer(question, text, words=words, weights=weights).to_json()
    doc = annotate_uncertain(doc, text, last.words or ())
    store.update_turn_scores(session_id, last.idx, doc)
    view.scores = doc
    view.scored_at_report = True
    last.delivery = doc.get("delivery")


def highlight(text: str, scores: dict[str, Any]) -> list[Segment]:
    """``text`` cut into plain and evidence segments (a quote found in another answer to the
    same question leaves this one untouched)."""
    marks: list[tuple[int, int, str]] = []
    for name, crit in scores.get("criteria", {}).items():
        for quote in crit.get("evidence", []):
            if quote == INSUFFICIENT:
                continue
            span = locate(text, quote)
            if span is not None:
                marks.append((span[0], span[1], name))
    if not marks:
        return [Segment(text)]
    cuts = sorted({0, len(text), *(s for s, _, _ in marks), *(e for _, e, _ in marks)})
    segments: list[Segment] = []
    for a, b in itertools.pairwise(cuts):
        names = tuple(sorted({n for s, e, n in marks if s <= a and b <= e}))
        if segments and segments[-1].criteria == names:
            segments[-1] = Segment(segments[-1].text + text[a:b], names)
        else:
            segments.append(Segment(text[a:b], names))
    return segments


def _recommendation(
    overall: float | None, confidence: float | None, n_scored: int, n_questions: int
) -> tuple[str, str]:
    if overall is None:
        return "no score", "No answer to a bank question was recorded."
    if overall >= ADVANCE_AT:
        rec = "advance"
        detail = "Answers were consistently specific and complete."
    elif overall >= BORDERLINE_AT:
        rec = "borderline"
        detail = "Solid in places; some answers lacked specifics, outcomes or structure."
    else:
        rec = "not yet"
        detail = "Most answers lacked the specifics, structure or outcomes the rubric asks for."
    if confidence is not None and confidence < LOW_CONFIDENCE:
        detail += " The evidence is thin (short answers or weak agreement), so weigh it lightly."
    if n_scored < n_questions:
        detail += f" Only {n_scored} of {n_questions} questions have a score."
    return rec, detail + " Advisory only: read the evidence before deciding."


# ------------------------------------------------------------------------------ delivery

DELIVERY_KEYS = (
    "words_per_minute",
    "hesitations_per_minute",
    "discourse_fillers_per_minute",
    "hedges_per_minute",
    "long_pauses_inside_sentence",
    "long_pauses_between_sentences",
    "duration_s",
)


def delivery_summary(turns: Sequence[TurnRecord]) -> dict[str, float]:
    """Delivery over all answers of a session: rates weighted by speaking time."""
    from interviewer.scoring.delivery import delivery_metrics

    total_s = words = hes = disc = hedges = inside = between = 0.0
    for turn in turns:
        if not turn.words:
            continue
        d = delivery_metrics(words_from_dicts(turn.words))
        total_s += d.duration_s
        words += d.word_count
        hes += d.hesitations
        disc += d.discourse_fillers
        hedges += d.hedges
        inside += d.long_pauses_inside_sentence
        between += d.long_pauses_between_sentences
    if total_s <= 0:
        return {}
    per_min = 60.0 / total_s
    return {
        "words_per_minute": round(words * per_min, 1),
        "hesitations_per_minute": round(hes * per_min, 2),
        "discourse_fillers_per_minute": round(disc * per_min, 2),
        "hedges_per_minute": round(hedges * per_min, 2),
        "long_pauses_inside_sentence": inside,
        "long_pauses_between_sentences": between,
        "duration_s": round(total_s, 1),
    }


def _history(store: Store, record: SessionRecord) -> tuple[dict[str, float], int]:
    """The mean delivery of the same user's earlier interviews, for comparison."""
    earlier = [
        s
        for s in store.list_sessions(record.user_id, limit=50)
        if s.id != record.id and s.created_at < record.created_at and s.turn_count
    ][:HISTORY_SESSIONS]
    summaries = [delivery_summary(store.get_session(s.id).turns) for s in earlier]
    summaries = [s for s in summaries if s]
    if not summaries:
        return {}, 0
    keys = ("words_per_minute", "hesitations_per_minute", "discourse_fillers_per_minute")
    return {k: round(statistics.fmean(s[k] for s in summaries), 2) for k in keys}, len(summaries)


def word_marks(words: Sequence[dict[str, Any]]) -> list[tuple[float, float, str, str]]:
    """Each word as (start, end, text, kind) for the timeline; kind is ``hesitation``,
    ``uncertain`` (low ASR probability: not held against the speaker) or ``word``."""
    out = []
    for w in words_from_dicts(words):
        token = w.word.strip().strip(".,!?;:\"'()[]…").lower()
        if w.probability < MIN_PROBABILITY:
            kind = "uncertain"
        elif token in HESITATIONS:
            kind = "hesitation"
        else:
            kind = "word"
        out.append((w.start, w.end, w.word.strip(), kind))
    return out


def long_pauses(words: Sequence[dict[str, Any]]) -> list[tuple[float, float]]:
    items = words_from_dicts(words)
    return [
        (a.end, b.start) for a, b in itertools.pairwise(items) if b.start - a.end >= LONG_PAUSE_S
    ]


# ------------------------------------------------------------------------------ latency


def latency_table(
    record: SessionRecord,
) -> tuple[list[tuple[str, float | None, float | None]], list[dict[str, float | None]]]:
    """Per-stage p50/p95 (ms) over the session's exchanges, then voice-to-voice and response."""
    import numpy as np

    exchanges = [t.latency for t in record.turns if t.latency]
    rows: list[tuple[str, float | None, float | None]] = []

    def pct(vals: list[float]) -> tuple[float | None, float | None]:
        if not vals:
            return None, None
        return round(float(np.percentile(vals, 50)), 1), round(float(np.percentile(vals, 95)), 1)

    for a, b in itertools.pairwise(LATENCY_FIELDS):
        vals = [
            1000 * (float(e[b]) - float(e[a]))  # type: ignore[arg-type]
            for e in exchanges
            if e.get(a) is not None and e.get(b) is not None
        ]
        if vals:
            rows.append((f"{a} → {b}", *pct(vals)))
    for name, start in (("voice-to-voice", "speech_end"), ("response", "endpoint")):
        vals = [
            1000 * (float(e["playback_start"]) - float(e[start]))  # type: ignore[arg-type]
            for e in exchanges
            if e.get("playback_start") is not None and e.get(start) is not None
        ]
        if vals:
            rows.append((name, *pct(vals)))
    return rows, exchanges
