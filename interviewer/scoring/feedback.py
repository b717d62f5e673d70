"""Feedback on one scored answer: strengths, improvements and "a stronger answer".

Every line is built from what the answer shows (its own sentences, the STAR parts, the key
points it covers or misses, the red flags it states) and from the caps the scorer applied,
so the feedback and the scores never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from interviewer.interview.bank import Question
from interviewer.scoring.delivery import Delivery
from interviewer.scoring.evidence import sentence_spans
from interviewer.scoring.semantic import Reading
from interviewer.scoring.signals import _NUMBER, Signal, star

__all__ = ["AnswerSignals", "improvements", "outline", "strengths"]


@dataclass(frozen=True)
class AnswerSignals:
    """The rule signals read from one answer, shared by the scores and the feedback."""

    star: dict[str, Signal]
    coverage: Signal
    specificity: Signal
    reasoning: Signal
    relevance: Signal
    length: Signal

    def content(self, technical: bool) -> Signal:
        """The main content signal: key-point coverage, or the STAR mean for behavioural."""
        if technical:
            return self.coverage
        parts = list(self.star.values())
        evidence = tuple(dict.fromkeys(e for p in parts for e in p.evidence))
        return Signal("star", sum(p.score for p in parts) / len(parts), evidence[:2])


_STAR_ADVICE = {
    "situation": "Open with the situation: where and when it was, who was involved and what "
    "was at stake",
    "action": "Say what you personally did, step by step ('I ...' rather than 'we ...')",
    "result": "Say what the result was, and link it to what you did",
    "reflection": "End with what you learned or would do differently next time",
}
_STAR_PRAISE = {
    "situation": "Sets the scene clearly",
    "action": "Describes your own actions",
    "result": "States the outcome",
    "reflection": "Reflects on what you learned",
}


def _quote(sentence: str, limit: int = 80) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 3].rstrip() + "..."


def _short(point: str, limit: int = 70) -> str:
    """The first clause of a key point, for a one-line label."""
    head = point.split(";")[0].split(", ")[0].rstrip(".")
    return _quote(head, limit)


def _shows_number(sentence: str) -> bool:
    return bool(_NUMBER.search(sentence))


def strengths(question: Question, answer: str, sig: AnswerSignals, reading: Reading) -> list[str]:
    if reading.trap("circular") or (reading.relevance and reading.relevance.off_question):
        return []  # nothing in it speaks to this question
    out = []
    flagged = {h.sentence for h in reading.red_flags}
    if question.type == "behavioral":
        for part, s in sig.star.items():
            if s.score < 3.5 or not s.evidence:
                continue
            if part == "result":
                # An outcome is shown by a measured change, not by a sentence that names a goal.
                shown = [e for e in s.evidence if _shows_number(e)]
                if shown:
                    out.append(f'States the outcome in numbers: "{_quote(shown[0])}"')
            elif not (part == "action" and reading.trap("we_without_i")):
                out.append(f'{_STAR_PRAISE[part]}: "{_quote(s.evidence[0])}"')
    else:
        for p in reading.points:
            if p.status == "covered" and p.sentences and p.sentences[0] not in flagged:
                out.append(f'Covers {_short(p.point, 60)}: "{_quote(p.sentences[0])}"')
            if len(out) == 2:
                break
    if sig.specificity.score >= 3.5 and sig.specificity.evidence:
        shown = [e for e in sig.specificity.evidence if _shows_number(e)]
        if shown and shown[0] not in flagged:
            out.append(f'Specific and concrete: "{_quote(shown[0])}"')
    reasons = sig.reasoning.evidence
    if sig.reasoning.score >= 3.5 and reasons and reasons[0] not in flagged:
        out.append(f'Explains the reasoning: "{_quote(sig.reasoning.evidence[0])}"')
    return list(dict.fromkeys(out))[:4]


_CAP_ADVICE = {
    "the answer restates the question without answering it": "Answer the question rather than "
    "restating it: {question}",
    "says what you would do, not what you did: no past example": "Give one real example from "
    "your past: what happened and what you did, not what you would do",
    'tells the story as "we" without your own part': 'Say which part was yours: "I ..." for '
    "what you did yourself, beside what the team did",
    "gives no past example": "Tell one real time it happened: where you were, what you did and "
    "how it turned out",
    "lists terms without explaining any of them": "Pick two of the terms you listed and explain "
    "how they work and when they apply",
}


def improvements(
    question: Question,
    answer: str,
    sig: AnswerSignals,
    delivery: Delivery | None,
    injected: bool,
    reading: Reading,
    cap_notes: Sequence[str],
) -> list[str]:
    out = []
    if injected:
        out.append("Leave out text addressed to the grader: it was ignored and lowered the score")
    off = reading.relevance is not None and reading.relevance.off_question
    if off or (reading.relevance is None and sig.relevance.score < 2.0):
        out.append(f"Answer the question asked: {question.text}")
    for note in cap_notes:
        if note in _CAP_ADVICE:
            out.append(_CAP_ADVICE[note].format(question=question.text))
    for hit in reading.red_flags:
        out.append(f'Correct "{_quote(hit.sentence)}": {hit.flag.why}')
    if question.type == "behavioral" and not off:
        for part, s in sig.star.items():
            if s.score < 3:
                if not (part == "action" and reading.trap("we_without_i")):
                    out.append(_STAR_ADVICE[part])
            elif part == "result" and s.note == "not quantified":
                out.append("Say what the result was in numbers (time saved, %, users, money)")
    if question.type == "technical" and not off:
        for p in reading.points:
            if p.status == "missing":
                out.append(f"Cover: {p.point}")
            elif p.status == "partly":
                out.append(f"Say more about: {p.point}")
    if sig.reasoning.score < 3:
        out.append("Explain why: give a reason, a trade-off or an alternative you considered")
    note = sig.length.note
    if note.startswith("too short") and sig.length.score < 2.0:
        out.append("Give more detail: aim for one to two minutes")
    elif note.startswith("rambling"):
        out.append("Tighten the answer: keep to the one example and the points asked for")
    if delivery is not None and delivery.duration_s > 0:
        if delivery.hesitations_per_minute + delivery.discourse_fillers_per_minute > 6:
            out.append("Use fewer fillers ('um', 'like', 'you know'): pause silently instead")
        if delivery.hedges_per_minute > 4:
            out.append("Drop hedges ('I think', 'maybe', 'sort of') where you are sure")
        if delivery.words_per_minute > 190:
            out.append("Slow down a little: aim for about 130-160 words per minute")
        elif 0 < delivery.words_per_minute < 100:
            out.append("Keep a steadier pace: aim for about 130-160 words per minute")
    return out


def outline(question: Question, answer: str, reading: Reading) -> str:
    """A stronger version of this answer: the candidate's own sentences that work, kept in
    order, with what is missing added in the bank's words."""
    off = reading.relevance is not None and reading.relevance.off_question
    if off or reading.trap("circular"):
        todo = "; ".join(p.point.rstrip(".") for p in reading.points[:3]) or question.text
        return f"Start again from the question ({question.text}) and cover: {todo}."
    flagged = {h.sentence for h in reading.red_flags}
    keep: list[str] = []
    add: list[str] = []
    if question.type == "behavioral":
        parts = star(answer)
        for part in ("situation", "action", "result", "reflection"):
            mine = [e for e in parts[part].evidence if e not in keep]
            if mine and not reading.trap("hypothetical"):
                keep.append(mine[0])
            else:
                add.append(_STAR_ADVICE[part].split(":")[0].lower())
        add += [p.point.rstrip(".").lower() for p in reading.points if p.status == "missing"][:2]
    else:
        for p in reading.points:
            usable = p.status != "missing" and p.sentences and p.sentences[0] not in flagged
            if usable and p.sentences[0] not in keep:
                keep.append(p.sentences[0])
            if p.status != "covered":
                add.append(p.point.rstrip("."))
    sentences = [answer[s:e] for s, e in sentence_spans(answer)]
    keep.sort(key=lambda k: sentences.index(k) if k in sentences else len(sentences))
    pieces = []
    if keep:
        pieces.append("Keep: " + " ".join(f'"{_quote(k, 120)}"' for k in keep))
    for hit in reading.red_flags:
        pieces.append(f'Replace "{_quote(hit.sentence, 100)}": {hit.flag.why}')
    if add:
        pieces.append("Add: " + "; ".join(add) + ".")
    if not pieces:
        return "Keep the answer as it is, in the same order."
    return " ".join(pieces)
