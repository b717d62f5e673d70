"""Semantic signals: what an answer says, read with sentence embeddings.

Three judgements, each with the sentences of the answer it rests on:

- **Key-point coverage.** Each key point is *covered*, *partly covered* or *missing*. The answer
  is cut into sentences and pairs of neighbouring sentences (a point is often made across
  two); a point's best cosine similarity to one of them decides its status, and the lexical
  match of :mod:`~interviewer.scoring.signals` can lift a near miss by one step (it still
  catches exact terms such as "Bonferroni" that the embedding blurs). A sentence that states a
  red flag never counts as covering a point: embeddings do not see negation, and "accuracy is
  the best metric" is close to "accuracy is misleading".
- **Red flags.** A sentence states a bank ``red_flags`` claim when it is close to the claim and
  closer to it than to any key point (the correct version of the same topic).
- **Relevance.** The answer's similarity to its own question is compared with its similarity
  to a fixed, varied set of other interview questions. An answer closer to some other question
  than to its own, by a clear margin, answers a different question, however well structured.

Thresholds were set on the trap pairs and the labelled set (see docs/scoring.md); similarities
are rounded by the encoder so the same answer always lands on the same side of a threshold.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from interviewer.interview.bank import Question, RedFlag
from interviewer.scoring.embedding import SentenceEncoder, unavailable_reason
from interviewer.scoring.evidence import sentence_spans
from interviewer.scoring.signals import key_point_coverage
from interviewer.scoring.traps import (
    Trap,
    buzzword_list,
    circular,
    hypothetical,
    no_example,
    we_without_i,
)
from interviewer.text import content_words

__all__ = [
    "CONTRAST_QUESTIONS",
    "COVERED",
    "PARTLY",
    "PointCoverage",
    "Reading",
    "RedFlagHit",
    "Relevance",
    "point_coverage",
    "read_answer",
    "red_flag_hits",
    "relevance",
]

#: A key point whose best passage is at least this similar is covered ...
COVERED = 0.58
#: ... and at least this similar, partly covered.
PARTLY = 0.44
#: A sentence this similar to a red-flag claim (and closer to it than to any key point)
#: states the claim.
RED_FLAG = 0.60
#: ... by at least this much: "accuracy is misleading here" is close to the claim "accuracy is
#: the best metric" too, but closer still to the key point it restates.
RED_FLAG_MARGIN = 0.05
#: An answer is off the question when another question is closer than its own by this much
#: and its own similarity is below :data:`OWN_FLOOR`.
OFF_MARGIN = 0.12
OWN_FLOOR = 0.30
#: Behavioural answers are concrete stories, further from any question's wording, so an
#: off-question verdict needs a wider gap there.
OFF_MARGIN_BEHAVIORAL = 0.30
OWN_FLOOR_BEHAVIORAL = 0.27
#: Contrast questions this close to the asked question are the same topic, not a contrast.
SAME_TOPIC = 0.50

#: Varied interview questions an off-topic answer is likely to be closer to than to its own.
CONTRAST_QUESTIONS: tuple[str, ...] = (
    "Tell me about a time you disagreed with a teammate.",
    "Describe a project you are proud of and your role in it.",
    "Tell me about a time you failed and what you learned.",
    "How did you reduce the run time or cost of a slow job or system?",
    "Tell me about a time you improved a process for your team.",
    "Describe a time you had to learn a new skill or language quickly.",
    "Tell me about a time you helped a new colleague get started.",
    "Describe a time you resolved a conflict over shared resources between teams.",
    "Tell me about a time you built a model or forecast that changed a business decision.",
    "Tell me about a time you migrated a system to new infrastructure.",
    "Describe a time you worked with stakeholders to understand what they really needed.",
    "Tell me about a time you handled a production outage or incident.",
    "Tell me about a time you gave difficult feedback to a colleague.",
    "Describe a time you led a team without formal authority.",
    "Tell me about a time you delivered under a tight deadline.",
    "Tell me about a customer complaint you resolved.",
    "What is a p-value and how do you interpret it?",
    "Explain the bias-variance trade-off.",
    "How would you design an A/B test for a new feature?",
    "How does a hash map work?",
    "Design a URL shortening service.",
    "How would you design a scalable web service with a database and a cache?",
    "What is overfitting and how do you prevent it?",
    "How would you evaluate a classification model?",
    "How would you monitor a machine learning model in production?",
    "Explain how a transformer neural network works.",
    "How would you prioritise a product roadmap?",
    "How would you measure the success of a product launch?",
    "How would you investigate a sudden drop in a key business metric?",
    "Explain what happens when you type a web address into a browser.",
    "How do you write a SQL query to find the top customers by revenue?",
    "How would you improve the onboarding experience of an app?",
)


@dataclass(frozen=True)
class PointCoverage:
    """One key point: covered / partly / missing, its best similarity, and the answer's
    sentences that cover it (verbatim; empty when missing)."""

    point: str
    status: str
    similarity: float
    sentences: tuple[str, ...]

    @property
    def credit(self) -> float:
        return {"covered": 1.0, "partly": 0.5}.get(self.status, 0.0)


@dataclass(frozen=True)
class RedFlagHit:
    """A sentence of the answer that states a bank red flag."""

    flag: RedFlag
    sentence: str
    similarity: float


@dataclass(frozen=True)
class Relevance:
    """How close the answer is to its own question and to the closest contrast question."""

    own: float
    other: float
    off_question: bool

    @property
    def margin(self) -> float:
        return round(self.other - self.own, 4)


_CLAUSE = re.compile(r",\s+|;\s+|\s+(?=(?:so|and then|but|because|which)\s)")


def _passages(sentences: Sequence[str]) -> list[tuple[str, tuple[int, ...]]]:
    """Sentences, pairs of neighbouring sentences, and the clauses of long sentences (a
    spoken answer packs several points into one sentence), each with the sentences it
    comes from."""
    single: list[tuple[str, tuple[int, ...]]] = [(s, (i,)) for i, s in enumerate(sentences)]
    pairs: list[tuple[str, tuple[int, ...]]] = [
        (f"{a} {b}", (i, i + 1)) for i, (a, b) in enumerate(itertools.pairwise(sentences))
    ]
    clauses: list[tuple[str, tuple[int, ...]]] = []
    for i, sentence in enumerate(sentences):
        parts = [p for p in _CLAUSE.split(sentence) if len(p.split()) >= 3]
        if len(parts) > 1:
            clauses += [(p, (i,)) for p in parts]
    return single + pairs + clauses


def red_flag_hits(
    encoder: SentenceEncoder, question: Question, sentences: Sequence[str]
) -> list[RedFlagHit]:
    """Sentences that state one of ``question.red_flags`` (at most one hit per flag)."""
    if not question.red_flags or not sentences:
        return []
    claims = [f.claim for f in question.red_flags]
    to_flag = encoder.similarity(list(sentences), claims)
    to_points = (
        encoder.similarity(list(sentences), list(question.key_points)).max(axis=1)
        if question.key_points
        else np.zeros(len(sentences))
    )
    hits = []
    for j, flag in enumerate(question.red_flags):
        i = int(np.argmax(to_flag[:, j]))
        sim = float(to_flag[i, j])
        if sim >= RED_FLAG and sim >= float(to_points[i]) + RED_FLAG_MARGIN:
            # Embeddings blur a definition and its classic misreading ("the probability of
            # data this extreme if H0 is true" / "the probability that H0 is true"); the words
            # decide: the sentence must share more words with the claim than with any key point.
            said = content_words(sentences[i])
            to_claim = len(said & content_words(flag.claim))
            to_point = max((len(said & content_words(k)) for k in question.key_points), default=0)
            if to_claim > to_point:
                hits.append(RedFlagHit(flag, sentences[i], sim))
    return hits


def point_coverage(
    encoder: SentenceEncoder,
    question: Question,
    sentences: Sequence[str],
    *,
    lexical: Sequence[bool] = (),
    exclude: Sequence[str] = (),
) -> list[PointCoverage]:
    """Per key point, its status and covering sentences; ``lexical[i]`` (the rules' verdict)
    lifts point i by one step; sentences in ``exclude`` (red flags) cover nothing."""
    usable = [s for s in sentences if s not in set(exclude)]
    points = list(question.key_points)
    if not points:
        return []
    if not usable:
        return [PointCoverage(p, "missing", 0.0, ()) for p in points]
    passages = _passages(usable)
    sims = encoder.similarity(points, [p for p, _ in passages])
    out = []
    for k, point in enumerate(points):
        j = int(np.argmax(sims[k]))
        best = float(sims[k, j])
        status = "covered" if best >= COVERED else "partly" if best >= PARTLY else "missing"
        if k < len(lexical) and lexical[k]:
            status = "covered" if status != "missing" else "partly"
        # Quote the single sentence when it alone carries the point, else the pair.
        idx = passages[j][1]
        if len(idx) == 2:
            a, b = (float(sims[k, idx[0]]), float(sims[k, idx[1]]))
            if max(a, b) >= best - 0.03:
                idx = (idx[0],) if a >= b else (idx[1],)
        quoted = tuple(usable[i] for i in idx) if status != "missing" else ()
        out.append(PointCoverage(point, status, round(best, 3), quoted))
    return out


def relevance(encoder: SentenceEncoder, question: Question, sentences: Sequence[str]) -> Relevance:
    """The answer (mean of its sentence vectors) against its question and the contrast set."""
    if not sentences:
        return Relevance(0.0, 0.0, True)
    vecs = encoder.encode(list(sentences)).astype(np.float64)
    mean = vecs.mean(axis=0)
    mean /= max(float(np.linalg.norm(mean)), 1e-9)
    asked = encoder.encode([question.text]).astype(np.float64)[0]
    contrast = encoder.encode(list(CONTRAST_QUESTIONS)).astype(np.float64)
    # Contrast questions on the asked question's own topic are not "another question".
    others = contrast[contrast @ asked < SAME_TOPIC]
    own = round(float(mean @ asked), 4)
    other = round(float((others @ mean).max()), 4) if len(others) else 0.0
    if question.type == "behavioral":
        off = own < OWN_FLOOR_BEHAVIORAL and other - own >= OFF_MARGIN_BEHAVIORAL
    else:
        off = own < OWN_FLOOR and other - own >= OFF_MARGIN
    return Relevance(own, other, off)


@dataclass(frozen=True)
class Reading:
    """Everything the scorer reads from the answer's substance (see the module docs)."""

    points: tuple[PointCoverage, ...]
    red_flags: tuple[RedFlagHit, ...]
    relevance: Relevance | None
    traps: tuple[Trap, ...]
    #: why the semantic signals are missing (None when the encoder ran)
    note: str | None = None

    def trap(self, name: str) -> Trap | None:
        """The trap rule ``name`` if it fired."""
        return next((t for t in self.traps if t.name == name and t.hit), None)

    @property
    def coverage_credit(self) -> float:
        """Mean credit over the key points (covered 1, partly 0.5); 1 with none."""
        if not self.points:
            return 1.0
        return sum(p.credit for p in self.points) / len(self.points)


def read_answer(encoder: SentenceEncoder | None, question: Question, answer: str) -> Reading:
    """Coverage, red flags, relevance and the trap rules for ``answer``; with no encoder the
    coverage is the lexical one (covered or missing) and there are no flags or relevance."""
    sentences = [answer[s:e] for s, e in sentence_spans(answer)]
    traps = [buzzword_list(answer), circular(question.text, answer)]
    if question.type == "behavioral":
        traps += [hypothetical(answer), no_example(answer), we_without_i(answer)]
    lexical = key_point_coverage(question, answer)
    if encoder is None:
        points = tuple(
            PointCoverage(p.point, "covered" if p.covered else "missing", p.fraction, p.evidence)
            for p in lexical
        )
        return Reading(points, (), None, tuple(traps), unavailable_reason() or "no encoder")
    flags = tuple(red_flag_hits(encoder, question, sentences))
    covered = point_coverage(
        encoder,
        question,
        sentences,
        lexical=[p.covered for p in lexical],
        exclude=[h.sentence for h in flags],
    )
    return Reading(
        tuple(covered), flags, relevance(encoder, question, sentences), tuple(traps), None
    )
