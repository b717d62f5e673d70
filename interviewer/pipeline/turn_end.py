"""Has the candidate finished, or are they thinking? A prediction from more than punctuation.

Whisper closes almost every piece of speech with a period, including the words before a
thinking pause ("...our reporting stack." where the speaker said "stack, and"), so the
punctuation of the streamed text alone cuts in on people who pause mid-thought. This module
combines the evidence a listener uses, as log-odds that the turn is over:

* the streamed text: a trailing filler, conjunction or comma says more is coming; a closed
  sentence says little on its own;
* how complete the answer is for the question: a "tell me about a time" question answered
  without an outcome, or with only a preamble ("Let me think."), is probably not over, while a
  short answer to a short follow-up may well be;
* prosody at the pause (:func:`prosody_at_pause`): pitch and energy falling into the pause and
  a lengthened last syllable mark an end; a level or rising pitch marks a pause;
* voiced audio after the last recognised word: speech the recogniser dropped (a trailing
  "and" is the usual one). Without word times, the VAD shows its usual shape: a lone short
  word after a break, right before the pause (:func:`lone_tail`); a finished sentence rarely
  ends that way, a "..., and" or "so, um" nearly always does. With word times
  (:func:`unheard_after`), the voiced audio the words do not cover; Whisper's aligner
  stretches the last word over a dropped one ("stack" ran on over "stack, and" on the turn
  set), so a break inside the last word's span counts too;
* optionally, a language model's probability that the turn is complete
  (:mod:`interviewer.pipeline.turn_vote`). The embedded model is a tiny base model, so its
  vote is bounded and never needed.

The output is how long a silence must last before the turn ends (short when the turn is
surely over, up to ~3 s when it is not), and whether, once that wait has passed, the
interviewer should nudge gently ("Take your time.") and keep listening rather than move on.
Pure logic: numbers and strings in, a decision out; tested without models.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from interviewer.text import HESITATIONS, split_sentences
from interviewer.types import SAMPLE_RATE, AudioArray

QuestionKind = Literal["story", "explain", "short", "unknown"]

#: What the interviewer says instead of moving on when a pause is long and the answer unsure.
NUDGE_TEXT = "Take your time."

# "Tell me about a time ..." asks for a story: it is not answered before its outcome.
_STORY = re.compile(
    r"\b(?:tell me about|describe (?:a|an|the) (?:time|situation|project|moment|case)"
    r"|give me an example|walk me through|a time (?:when|you)|a situation|an example of"
    r"|talk about a|share an? (?:example|experience|time))",
    re.IGNORECASE,
)
_EXPLAIN = re.compile(
    r"^\s*(?:how would|how do|what would|why would|why do|explain|design|compare"
    r"|what is the difference|what are the|how can|what happens)\b",
    re.IGNORECASE,
)
# Words that open an answer without answering yet.
_PREAMBLE = re.compile(
    r"^\s*(?:(?:um+|uh+|erm|er|hmm+|so|well|okay|ok|right|yeah|yes|sure|alright|oh)[,.!]?\s*)*"
    r"(?:(?:that'?s|it'?s|what) (?:a )?(?:good|great|interesting|tough|hard|nice) (?:question|one)"
    r"|let me (?:think|see|remember)(?: about (?:it|that))?(?: for a (?:second|moment))?"
    r"|good question|give me a (?:second|moment|sec)|hmm+|so|well|okay|sure|right|yeah"
    r"|one moment|just a (?:second|moment)|i(?:'m| am) thinking)?[.!,…]*\s*$",
    re.IGNORECASE,
)
# Ways of saying "that's all" or "I don't know": complete whatever the question.
_CLOSERS = re.compile(
    r"(?:that'?s (?:it|all|about it)|i don'?t know|i'?m not sure|no idea|i can'?t (?:think|"
    r"remember)|nothing (?:else|more)|that'?s (?:my|the) (?:answer|story)|pass|no,? thank you)"
    r"[.!]?\s*$",
    re.IGNORECASE,
)
_CONTINUE = frozenset({
    "and", "but", "or", "so", "because", "like", "then", "the", "a", "an", "to", "of", "with",
    "for", "that", "which", "if", "when", "my", "our", "we", "i", "is", "was", "were", "are",
    "also", "actually", "basically", "cause", "as", "while", "since", "although", "though",
    "until", "where", "who", "into", "from", "on", "in", "at", "by", "about", "than", "this",
    "these", "those", "its", "their", "his", "her", "your", "after", "before",
})  # fmt: skip
_OUTCOME = re.compile(
    r"\d|%|\b(?:percent|doubled|halved|twice|increas\w*|decreas\w*|reduc\w*|improv\w*|cut|saved"
    r"|grew|dropped|raised|lowered|launched|shipped|delivered|released|finished|completed"
    r"|succeeded|success\w*|won|result\w*|outcome\w*|impact|in the end|eventually|ended up"
    r"|paid off|pays off|worked out|turned out|went well|went (?:from|up|down)|fixed|solved"
    r"|resolved|stopped|learn(?:ed|t)|lessons?|since then|next time|so now|now i|i now"
    r"|(?:a|one|two|three|a few) (?:days?|weeks?|months?|years?) later|fewer|faster|cheaper"
    r"|agreed|so we kept|kept it|was fine|were fine|happy with)\b",
    re.IGNORECASE,
)
# Words that open a new part of an answer: ending on one means the part is still to come,
# even when Whisper has put a period after it ("Looking back.").
_OPENERS = re.compile(
    r"\b(?:looking back|in the end|in hindsight|after that|as a result|for example|for instance"
    r"|first(?:ly)?|second(?:ly)?|then|next|finally|so|also|plus|and then|on top of that"
    r"|the (?:tricky|hard|main|first|second|other) (?:part|thing|problem|issue) (?:was|is))"
    r"[.,!…:]*\s*$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z']+|\d+")


def question_kind(question: str | None) -> QuestionKind:
    """What kind of answer a question asks for: a story, an explanation, or a short reply."""
    q = (question or "").strip()
    if not q:
        return "unknown"
    # what the interviewer said may open with an acknowledgement ("Thank you. How would ...")
    sentences = split_sentences(q) or [q]
    at = next(
        (i for i in range(len(sentences) - 1, -1, -1) if sentences[i].rstrip().endswith("?")),
        len(sentences) - 1,
    )
    asked = sentences[at]
    if _STORY.search(asked):
        return "story"
    # "Tell me about a time you said no. Why, and how?": a short question that completes the
    # request before it asks for that request's kind of answer
    if at > 0 and len(asked.split()) <= 5 and _STORY.search(sentences[at - 1]):
        return "story"
    if _EXPLAIN.search(asked) and len(asked.split()) >= 7:
        return "explain"
    return "short"


@dataclass(frozen=True)
class Prosody:
    """The speech just before a pause, measured from its audio."""

    #: pitch slope over the last voiced ~0.5 s, semitones per second (None: too little voicing)
    pitch_slope: float | None
    #: energy of the last 120 ms of speech against the 400 ms before it, in dB (negative: falls)
    energy_drop_db: float
    #: length of the last syllable against the median of those before it (>1: lengthened)
    final_lengthening: float | None


@dataclass(frozen=True)
class TurnEvidence:
    """Everything known at a pause."""

    #: the streamed text of the whole answer so far
    text: str
    question: str | None = None
    #: seconds of voiced audio in the answer so far
    speech_s: float = 0.0
    prosody: Prosody | None = None
    #: voiced seconds after the last recognised word (None when word times are not known)
    unheard_s: float | None = None
    #: a lone short word after a break, just before the pause: its length (see lone_tail)
    lone_tail_s: float | None = None
    #: a language model's probability that the turn is complete (None: not asked)
    llm_p_complete: float | None = None


@dataclass(frozen=True)
class TurnEndConfig:
    """How evidence maps to a wait. ``min_wait_s`` is the wait when the turn is surely over."""

    min_wait_s: float = 0.55
    max_wait_s: float = 3.2
    #: at or above this probability the turn ends after ``min_wait_s``
    sure_above: float = 0.75
    #: at or below this one it ends only after ``max_wait_s``
    unsure_below: float = 0.25
    #: below this probability the interviewer nudges instead of ending the turn at the max wait
    nudge_below: float = 0.2
    #: after a nudge, the silence that then ends the turn
    after_nudge_s: float = 3.0
    #: log-odds of an end when nothing is known but a closed sentence
    bias: float = 0.6
    #: weight of the language model's vote (its log-odds, clipped to +-2, times this)
    llm_weight: float = 0.5
    #: prosody weights (small: synthetic and real voices differ; never decisive alone)
    prosody_weight: float = 0.5


@dataclass(frozen=True)
class TurnDecision:
    p_end: float
    #: silence (from the end of speech) before the turn may end
    wait_s: float
    #: True: when ``wait_s`` has passed, say :data:`NUDGE_TEXT` and keep listening
    nudge: bool
    reasons: tuple[str, ...] = field(default=())


def _logit(p: float) -> float:
    p = min(max(p, 1e-3), 1 - 1e-3)
    return math.log(p / (1 - p))


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def text_evidence(text: str) -> tuple[float, str]:
    """Log-odds from how the streamed text ends, and the reason."""
    t = text.strip()
    words = _words(t)
    if not words:
        return -1.0, "no words yet"
    last = words[-1]
    if t.endswith((",", "-", "—", "...", "…", ":", ";")):
        return -3.0, "trails off"
    if last in HESITATIONS:
        return -3.0, f"ends on a filler ({last})"
    if last in _CONTINUE:
        # Whisper closes "and." with a period too: the word says more than the mark
        return (-2.5 if t.endswith(".") else -3.0), f"ends on '{last}'"
    if _OPENERS.search(t):
        return -2.5, "ends on an opener"
    if t.endswith("?"):
        return 1.0, "asks something"
    if t.endswith((".", "!", '."', '!"')):
        return 0.0, "closed sentence"
    return -0.8, "no closing punctuation"


def completeness_evidence(text: str, kind: QuestionKind) -> tuple[float, str]:
    """Log-odds from how much of what the question asks for the answer already holds."""
    words = _words(text)
    if _CLOSERS.search(text.strip()):
        return 1.5, "says it is done"
    if _PREAMBLE.match(text):
        return -3.0, "only a preamble so far"
    n = len(words)
    if kind == "story":
        if not _OUTCOME.search(text):
            return (-2.2 if n < 60 else -1.2), "story without an outcome yet"
        return 0.8, "story with an outcome"
    if kind == "explain":
        if n < 8:
            return -1.5, "explanation of under 8 words"
        return (0.5 if n >= 20 else 0.2), "explanation"
    if kind == "short":
        return (0.7 if n >= 4 else 0.0), "short answer"
    return 0.0, ""


def prosody_evidence(p: Prosody | None) -> tuple[float, str]:
    """Log-odds from the pitch, energy and timing of the last syllables."""
    if p is None:
        return 0.0, ""
    score = 0.0
    notes = []
    if p.pitch_slope is not None:
        if p.pitch_slope <= -6.0:
            score += 0.6
            notes.append("pitch falls")
        elif p.pitch_slope >= 2.0:
            score -= 0.8
            notes.append("pitch rises")
        elif p.pitch_slope > -2.0:
            score -= 0.3
            notes.append("pitch level")
    if p.energy_drop_db <= -6.0:
        score += 0.3
        notes.append("energy falls")
    if p.final_lengthening is not None and p.final_lengthening >= 1.4:
        score += 0.3
        notes.append("last syllable lengthened")
    return score, ", ".join(notes)


def predict(evidence: TurnEvidence, cfg: TurnEndConfig | None = None) -> TurnDecision:
    """Combine the evidence into a probability that the turn is over and the wait it earns."""
    cfg = cfg or TurnEndConfig()
    kind = question_kind(evidence.question)
    total = cfg.bias
    reasons: list[str] = []
    for score, why in (
        text_evidence(evidence.text),
        completeness_evidence(evidence.text, kind),
    ):
        total += score
        if why:
            reasons.append(why)
    pro, why = prosody_evidence(evidence.prosody)
    total += cfg.prosody_weight * pro
    if why:
        reasons.append(why)
    # the two often see the same dropped word: together they count a little more than one
    unheard = evidence.unheard_s is not None and evidence.unheard_s >= 0.25
    if unheard:
        total -= 2.0
        reasons.append(f"{evidence.unheard_s:.2f} s of speech not recognised")
    if evidence.lone_tail_s is not None:
        total -= 0.5 if unheard else 1.5
        reasons.append(f"a lone {evidence.lone_tail_s:.2f} s word before the pause")
    if evidence.llm_p_complete is not None and math.isfinite(evidence.llm_p_complete):
        vote = max(-2.0, min(2.0, _logit(evidence.llm_p_complete)))
        total += cfg.llm_weight * vote
        reasons.append(f"language model p={evidence.llm_p_complete:.2f}")
    p_end = 1.0 / (1.0 + math.exp(-total))
    return TurnDecision(p_end, wait_for(p_end, cfg), p_end < cfg.nudge_below, tuple(reasons))


def wait_for(p_end: float, cfg: TurnEndConfig) -> float:
    """The silence a probability earns: linear between the sure and the unsure probability."""
    if p_end >= cfg.sure_above:
        return cfg.min_wait_s
    if p_end <= cfg.unsure_below:
        return cfg.max_wait_s
    frac = (cfg.sure_above - p_end) / (cfg.sure_above - cfg.unsure_below)
    return round(cfg.min_wait_s + frac * (cfg.max_wait_s - cfg.min_wait_s), 3)


def lone_tail(probs: list[float], end: int, frame_s: float, threshold: float = 0.5) -> float | None:
    """The length of the last voiced run before frame ``end`` when it is one short word
    (<= 0.45 s) set apart by a break (>= 0.09 s, three 32 ms frames) from the speech before
    it; else None. The VAD blurs a comma's break: Piper's 0.13 s before "and" at speed 1.2
    read as 3 or 4 frames under 0.5 depending on where the frames fell, and the live
    interview, at 3, cut in. None of the turn set's 24 answer ends has a tail even at 2.

    The silence before ``end`` is skipped: the live listener asks for the pause's text after
    the frame that began the pause has reached the transcriber, so ``end`` falls inside the
    pause (before, the tail was never found there, only in the replay: a cut-in on "... it
    saw, and [pause 1.7] so it does ...", whose "and" tiny.en drops)."""
    i = min(end, len(probs)) - 1
    while i >= 0 and probs[i] < threshold:
        i -= 1
    run = 0
    while i >= 0 and probs[i] >= threshold:
        run += 1
        i -= 1
    gap = 0
    while i >= 0 and probs[i] < threshold:
        gap += 1
        i -= 1
    if run == 0 or i < 0:  # nothing voiced, or no speech before the break: not a tail
        return None
    if run * frame_s <= 0.45 and gap * frame_s >= 0.09:
        return round(run * frame_s, 3)
    return None


def unheard_after(
    last_word: tuple[float, float] | None,
    probs: list[float],
    frame_s: float,
    threshold: float = 0.5,
    *,
    min_break_s: float = 0.12,
    slack_s: float = 0.1,
) -> float | None:
    """Voiced seconds in ``probs`` (one per frame, from the same start as the word times) that
    no recognised word covers; ``last_word``: (start, end) of the last one. None without it.

    Counted: voiced frames more than ``slack_s`` after the word's end, and the voiced frames
    after a break of ``min_break_s`` or more inside the word's span: the aligner gives the last
    word all the audio up to the end, so a dropped "and" sits inside it, after the comma's break.
    """
    if last_word is None or not probs:
        return None
    start, end = last_word
    first = max(0, int(start / frame_s))
    voiced = [p >= threshold for p in probs]
    i = first
    while i < len(voiced) and not voiced[i]:  # up to the word's own speech
        i += 1
    need = max(1, round(min_break_s / frame_s))
    gap = 0
    n = 0
    broke = False
    for k in range(i, len(voiced)):
        if voiced[k]:
            if gap >= need:
                broke = True
            gap = 0
            if broke or k * frame_s >= end + slack_s:
                n += 1
        else:
            gap += 1
    return round(n * frame_s, 3)


# ------------------------------------------------------------------------------- prosody

_HOP = 160  # 10 ms
_WIN = 640  # 40 ms: two periods of a 50 Hz voice
_F0_MIN, _F0_MAX = 70.0, 400.0


def _frames(audio: np.ndarray) -> np.ndarray:
    n = 1 + max(0, (len(audio) - _WIN) // _HOP)
    idx = np.arange(_WIN)[None, :] + _HOP * np.arange(n)[:, None]
    out: np.ndarray = audio[idx]
    return out


def pitch_track(audio: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """F0 in Hz per 10 ms frame (NaN where unvoiced), by normalised autocorrelation."""
    if len(audio) < _WIN:
        return np.full(0, np.nan)
    frames = _frames(np.asarray(audio, dtype=np.float64))
    frames = frames - frames.mean(axis=1, keepdims=True)
    lo, hi = int(sr / _F0_MAX), int(sr / _F0_MIN)
    spec = np.fft.rfft(frames, n=2 * _WIN, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, : hi + 1]
    energy = ac[:, 0] + 1e-12
    norm = ac[:, lo : hi + 1] / energy[:, None]
    best = norm.argmax(axis=1)
    peak = norm[np.arange(len(norm)), best]
    f0 = sr / (best + lo)
    rms = np.sqrt(energy / _WIN)
    voiced = (peak > 0.45) & (rms > 0.01 * max(float(rms.max()), 1e-9) + 1e-4)
    return np.where(voiced, f0, np.nan)


def prosody_at_pause(audio: AudioArray, sr: int = SAMPLE_RATE, window_s: float = 0.6) -> Prosody:
    """Prosody of the speech that ends ``audio`` (trailing silence is skipped)."""
    x = np.asarray(audio, dtype=np.float64)
    if len(x) < _WIN:
        return Prosody(None, 0.0, None)
    frames = _frames(x)
    rms = np.sqrt(np.mean(frames**2, axis=1)) + 1e-9
    db = 20 * np.log10(rms)
    loud = db > db.max() - 30.0
    if not loud.any():
        return Prosody(None, 0.0, None)
    last = int(np.nonzero(loud)[0][-1])  # the last frame of speech
    span = int(window_s * sr / _HOP)
    first = max(0, last - span + 1)
    end_sample = min(len(x), last * _HOP + _WIN)
    seg = x[first * _HOP : end_sample]
    f0 = pitch_track(seg, sr)
    slope: float | None = None
    ok = np.isfinite(f0)
    if ok.sum() >= 8:
        semis_all = 12 * np.log2(f0 / np.nanmedian(f0[ok]))
        # octave errors of the tracker are jumps of ~12 semitones: speech glides far less
        ok &= np.abs(np.nan_to_num(semis_all, nan=99.0)) <= 7.0
    if ok.sum() >= 8:
        semis = semis_all[ok]
        t = np.nonzero(ok)[0] * (_HOP / sr)
        # the last half of the voiced frames: the fall (or rise) happens on the final syllables
        half = max(5, len(t) // 2)
        slope = float(np.polyfit(t[-half:], semis[-half:], 1)[0])
    tail = db[max(0, last - 11) : last + 1]
    before = db[max(0, last - 51) : max(0, last - 11)]
    drop = float(np.mean(tail) - np.mean(before)) if len(before) else 0.0
    return Prosody(slope, round(drop, 2), _final_lengthening(db[: last + 1]))


def _final_lengthening(db: np.ndarray) -> float | None:
    """Last syllable length / median syllable length, syllables as runs above mid energy."""
    if len(db) < 20:
        return None
    level = np.median(db[db > db.max() - 30.0]) if (db > db.max() - 30.0).any() else db.max()
    above = db > level - 3.0
    runs: list[int] = []
    n = 0
    for a in above:
        if a:
            n += 1
        elif n:
            runs.append(n)
            n = 0
    if n:
        runs.append(n)
    if len(runs) < 3:
        return None
    return round(float(runs[-1] / max(1.0, float(np.median(runs[:-1])))), 2)
