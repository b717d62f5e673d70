"""The turn-taking bench's replay: each answer's audio frame by frame through the VAD and the
endpointer, with the speculative STT text of each pause delivered after the time its call really
took. Cheap enough to sweep the waits: the trade-off curve between the cut-in rate and the delay
from the end of speech to the end of the turn (see :mod:`interviewer.bench.turns`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.audio.candidate import CandidateScript, render_text
from interviewer.bench.common import EngineSet, Progress
from interviewer.pipeline.endpointing import EndpointConfig, Endpointer
from interviewer.pipeline.records import percentiles_ms
from interviewer.pipeline.seams import join_text
from interviewer.pipeline.transcriber import with_trailing_silence
from interviewer.pipeline.turn_end import (
    Prosody,
    TurnEvidence,
    lone_tail,
    predict,
    prosody_at_pause,
    unheard_after,
)
from interviewer.pipeline.turn_vote import p_complete
from interviewer.text import HESITATIONS
from interviewer.types import SAMPLE_RATE

FRAME = 512
FRAME_S = FRAME / SAMPLE_RATE
#: silence after each rendered answer in the replay, longer than any wait
TAIL_S = 5.0
#: shorter pauses resume before any wait on the curve can end the turn: no STT call needed
MIN_PAUSE_S = 0.3

PAUSE_RE = re.compile(r"\[\s*pause\s+([0-9]*\.?[0-9]+)\s*\]", re.IGNORECASE)
_CONJUNCTIONS = frozenset(
    {"and", "but", "or", "so", "because", "then", "while", "although", "since", "as"}
)

#: The trade-off curve: (model, label, endpoint settings). "rules" at its default is what the
#: pipeline did before the prediction; "predict" at its default is what it does now.
CURVE: tuple[tuple[str, str, dict[str, float]], ...] = (
    ("rules", "silence 0.55 s (before)", {"silence_s": 0.55}),
    ("rules", "silence 0.8 s", {"silence_s": 0.8}),
    ("rules", "silence 1.2 s", {"silence_s": 1.2}),
    ("rules", "silence 1.8 s", {"silence_s": 1.8, "uncertain_silence_s": 1.8}),
    ("rules", "silence 2.5 s", {"silence_s": 2.5, "uncertain_silence_s": 2.5}),
    ("predict", "min 0.4 s, max 2.4 s", {"silence_s": 0.4, "max_wait_s": 2.4}),
    ("predict", "min 0.55 s, max 2.6 s", {"silence_s": 0.55, "max_wait_s": 2.6}),
    ("predict", "min 0.55 s, max 3.2 s (default)", {}),
    ("predict", "min 0.8 s, max 3.2 s", {"silence_s": 0.8}),
    ("predict", "min 0.55 s, max 4.0 s", {"max_wait_s": 4.0}),
)


#: Evidence the live pipeline does not gather today, replayed at the default prediction to see
#: what it would change: the voiced audio the word times leave unrecognised ("words", from a
#: word-timestamp pass over each piece, arriving after that pass's time) and the language
#: model's vote ("llm", after its evaluation's time, which follows the text).
#: Each at the default waits and at shorter ones, where the prediction alone cuts in.
EXTRA_EVIDENCE: tuple[tuple[str, dict[str, float], frozenset[str]], ...] = (
    ("default + unrecognised audio (word times)", {}, frozenset({"words"})),
    ("default + LLM vote", {}, frozenset({"llm"})),
    ("default + both", {}, frozenset({"words", "llm"})),
    (
        "min 0.4 s, max 2.4 s + word times",
        {"silence_s": 0.4, "max_wait_s": 2.4},
        frozenset({"words"}),
    ),
    ("min 0.4 s, max 2.4 s + LLM vote", {"silence_s": 0.4, "max_wait_s": 2.4}, frozenset({"llm"})),
)


def endpoint_config(model: str, **settings: float) -> EndpointConfig:
    """The endpointing of one curve point (``no_answer_s`` generous: a bench never times out)."""
    base = EndpointConfig(no_answer_s=15.0, turn_model="predict" if model == "predict" else "rules")
    return replace(base, **settings)  # type: ignore[arg-type]


@dataclass(frozen=True)
class PauseMark:
    kind: str  # filler | conjunction | mid-clause | opening | between parts
    seconds: float


def pause_marks(text: str) -> list[PauseMark]:
    """Each ``[pause S]`` of an answer, with where it falls (from the words before it)."""
    marks = []
    for n, m in enumerate(PAUSE_RE.finditer(text)):
        before = PAUSE_RE.sub(" ", text[: m.start()]).strip()
        words = re.findall(r"[a-z']+", before.lower())
        last = words[-1] if words else ""
        if last in HESITATIONS:
            kind = "filler"
        elif last in _CONJUNCTIONS:
            kind = "conjunction"
        elif before.endswith((".", "!", "?")):
            kind = "opening" if n == 0 and len(words) <= 8 else "between parts"
        else:
            kind = "mid-clause"
        marks.append(PauseMark(kind, float(m.group(1))))
    return marks


# ---------------------------------------------------------------------------- replay


@dataclass
class _Pause:
    text: str
    prosody: Prosody | None
    stt_s: float
    lone_tail_s: float | None = None
    #: voiced seconds the word times of the piece leave uncovered, and that pass's time
    unheard_s: float | None = None
    words_s: float = 0.0
    #: the language model's vote on the text so far, and its evaluation's time
    llm_p: float | None = None
    llm_s: float = 0.0


@dataclass
class ReplayItem:
    """One rendered answer, its VAD probabilities and the STT text at each long pause."""

    script: str
    index: int
    question: str
    paused: bool
    marks: list[PauseMark]
    probs: list[float]
    #: end of the last voiced frame (s from the start of the audio)
    speech_end: float
    pauses: dict[int, _Pause] = field(default_factory=dict)


def _long_pauses(probs: list[float], threshold: float) -> list[tuple[int, int]]:
    """(first silent frame, resume frame) of each pause the endpointer will see, from the
    endpointer itself (its speech/pause states do not depend on the waits)."""
    ep = Endpointer(EndpointConfig(turn_model="rules", no_answer_s=1e9, threshold=threshold))
    ep.require_text = False
    ep.cfg = replace(ep.cfg, silence_s=1e9)
    ep.open(0.0)
    found: list[tuple[int, int]] = []
    start: int | None = None
    for i, p in enumerate(probs):
        ev = ep.feed(p, (i + 1) * FRAME_S)
        if ev is None:
            continue
        if ev.kind == "pause":
            start = i
        elif ev.kind == "resume" and start is not None:
            found.append((start, i))
            start = None
    if start is not None:
        found.append((start, len(probs)))
    return [(a, b) for a, b in found if (b - a) * FRAME_S >= MIN_PAUSE_S]


def prepare_replay(
    eng: EngineSet,
    scripts: list[CandidateScript],
    voice: Callable[[CandidateScript], Any],
    progress: Progress,
    *,
    extra: bool = True,
) -> list[ReplayItem]:
    """Render every answer, run the VAD over it, and transcribe the speech at each long pause
    the way the streaming transcriber does (the piece since the last pause, joined on); with
    ``extra``, also the evidence of :data:`EXTRA_EVIDENCE` at each pause."""
    items = []
    threshold = EndpointConfig().threshold
    for script in scripts:
        tts = voice(script)
        for i, ans in enumerate(script.answers):
            text = ans.text or ""
            audio = np.concatenate(
                [render_text(tts, text), np.zeros(int(TAIL_S * SAMPLE_RATE), np.float32)]
            )
            eng.vad.reset()
            n = len(audio) // FRAME
            probs = [
                float(eng.vad.speech_prob(audio[k * FRAME : (k + 1) * FRAME])) for k in range(n)
            ]
            voiced = [k for k, p in enumerate(probs) if p >= threshold]
            item = ReplayItem(
                Path(script.source).name,
                i,
                ans.question or "",
                "[pause" in text.lower(),
                pause_marks(text),
                probs,
                ((voiced[-1] + 1) * FRAME_S) if voiced else 0.0,
            )
            said = ""
            last_cut = 0
            for start, _ in _long_pauses(probs, threshold):
                upto = start * FRAME
                piece = audio[last_cut:upto]
                t0 = time.perf_counter()
                result = eng.stt.transcribe(with_trailing_silence(piece), word_timestamps=False)
                stt_s = time.perf_counter() - t0
                said = join_text(said, result.text).strip()
                prosody = prosody_at_pause(audio[max(0, upto - SAMPLE_RATE) : upto])
                tail = lone_tail(probs, start, FRAME_S, threshold)
                pause = _Pause(said, prosody, stt_s, tail)
                if extra:
                    _extra_evidence(eng, pause, piece, probs[last_cut // FRAME : start], item)
                item.pauses[start] = pause
                last_cut = upto
            items.append(item)
        progress("turns", f"replay: {Path(script.source).name} rendered and transcribed")
    return items


def _extra_evidence(
    eng: EngineSet, pause: _Pause, piece: np.ndarray, probs: list[float], item: ReplayItem
) -> None:
    """Word times over the piece (the unrecognised voiced audio) and the LLM's vote."""
    t0 = time.perf_counter()
    words = eng.stt.transcribe(piece, word_timestamps=True).words
    pause.words_s = time.perf_counter() - t0
    last = (words[-1].start, words[-1].end) if words else None
    pause.unheard_s = unheard_after(last, probs, FRAME_S, EndpointConfig().threshold)
    t0 = time.perf_counter()
    pause.llm_p = p_complete(eng.llm, item.question, pause.text)
    pause.llm_s = time.perf_counter() - t0


@dataclass(frozen=True)
class ReplayOutcome:
    cut_in: bool
    #: nudges inside the answer (the interviewer spoke but did not take the turn)
    nudges_inside: int
    #: end of speech -> end of turn, seconds (None after a cut-in)
    end_delay: float | None


def replay(
    item: ReplayItem, cfg: EndpointConfig, extra: frozenset[str] = frozenset()
) -> ReplayOutcome:
    """The endpointer over one answer, each pause's text arriving after its STT time (and the
    ``extra`` evidence after its own)."""
    ep = Endpointer(cfg, frame_s=FRAME_S)
    ep.open(0.0, item.question)
    # (when, pause id, what arrives: "text" | "words" | "llm", the pause)
    pending: list[tuple[float, int, str, _Pause]] = []
    nudges = 0
    for i, p in enumerate(item.probs):
        t = (i + 1) * FRAME_S
        for entry in sorted((e for e in pending if e[0] <= t), key=lambda e: e[:3]):
            pending.remove(entry)
            _, pid, what, known = entry
            if what == "text":
                ep.set_tail_text(
                    pid, known.text, prosody=known.prosody, lone_tail_s=known.lone_tail_s
                )
            elif what == "words":
                ep.add_evidence(pid, unheard_s=known.unheard_s)
            else:
                ep.add_evidence(pid, llm_p_complete=known.llm_p)
        ev = ep.feed(p, t)
        if ev is None:
            continue
        if ev.kind == "pause" and i in item.pauses:
            known = item.pauses[i]
            at = t + known.stt_s
            pending.append((at, ev.pause_id, "text", known))
            if "words" in extra and known.unheard_s is not None:
                # a pass of its own after the text's: word times on the final call instead
                # would delay the text itself
                pending.append((at + known.words_s, ev.pause_id, "words", known))
            if "llm" in extra and known.llm_p is not None:
                pending.append((at + known.llm_s, ev.pause_id, "llm", known))
        elif ev.kind == "nudge" and t < item.speech_end:
            nudges += 1
        elif ev.kind in ("end_of_turn", "timeout"):
            if t < item.speech_end - FRAME_S:
                return ReplayOutcome(True, nudges, None)
            return ReplayOutcome(False, nudges, t - item.speech_end)
    return ReplayOutcome(False, nudges, None)


def replay_curve(items: list[ReplayItem]) -> list[dict[str, Any]]:
    """Cut-in rate on the paused answers and end-of-turn delay on every real end, per setting."""
    rows = []
    paused = [it for it in items if it.paused]
    points = [(m, label, settings, frozenset[str]()) for m, label, settings in CURVE]
    pauses = [p for it in items for p in it.pauses.values()]
    have = {"words"} if any(p.unheard_s is not None for p in pauses) else set()
    have |= {"llm"} if any(p.llm_p is not None for p in pauses) else set()
    # a row only where its evidence was gathered (a remote or fake model cannot vote)
    points += [("predict", lb, st, ex) for lb, st, ex in EXTRA_EVIDENCE if ex <= have]
    for model, label, settings, extra in points:
        cfg = endpoint_config(model, **settings)
        outcomes = [(it, replay(it, cfg, extra)) for it in items]
        cut = [o for it, o in outcomes if it.paused and o.cut_in]
        cut_clean = [o for it, o in outcomes if not it.paused and o.cut_in]
        delays = [o.end_delay for _, o in outcomes if o.end_delay is not None]
        clean_delays = [
            o.end_delay for it, o in outcomes if not it.paused and o.end_delay is not None
        ]
        rows.append(
            {
                "model": model,
                "setting": label,
                "evidence": sorted(extra),
                "cut_in_rate": round(len(cut) / len(paused), 3) if paused else None,
                "cut_ins": len(cut),
                "cut_ins_complete_answers": len(cut_clean),
                "nudges_inside": sum(o.nudges_inside for _, o in outcomes),
                "end_delay_ms": percentiles_ms(delays),
                "end_delay_complete_ms": percentiles_ms(clean_delays),
                "cut_in_by_pause": _by_kind(outcomes),
            }
        )
    return rows


def _by_kind(outcomes: list[tuple[ReplayItem, ReplayOutcome]]) -> dict[str, int]:
    """Cut-ins by the kind of the answer's pauses (an answer with several kinds counts once
    under each): which places the policy still gets wrong."""
    counts: dict[str, int] = {}
    for it, o in outcomes:
        if o.cut_in:
            for kind in {m.kind for m in it.marks} or {"none"}:
                counts[kind] = counts.get(kind, 0) + 1
    return counts


def evidence_separation(items: list[ReplayItem]) -> dict[str, Any]:
    """How well each piece of evidence tells the pauses inside an answer from its end: the
    area under the ROC curve (1: always higher at the end, 0.5: no better than chance) of the
    rules' probability, the LLM's vote, and the unrecognised audio (lower at the end), with
    what each cost per pause."""
    inside: list[_Pause] = []
    ends: list[_Pause] = []
    for it in items:
        end_frame = int(it.speech_end / FRAME_S)
        for start, pause in it.pauses.items():
            (ends if start >= end_frame - 1 else inside).append(pause)

    def rules(p: _Pause, q: str) -> float:
        ev = TurnEvidence(p.text, q, prosody=p.prosody, lone_tail_s=p.lone_tail_s)
        return predict(ev).p_end

    questions = {id(p): it.question for it in items for p in it.pauses.values()}
    out: dict[str, Any] = {"pauses_inside": len(inside), "answer_ends": len(ends)}
    out["rules_auc"] = _auc(
        [rules(p, questions[id(p)]) for p in ends], [rules(p, questions[id(p)]) for p in inside]
    )
    votes_end = [p.llm_p for p in ends if p.llm_p is not None]
    votes_in = [p.llm_p for p in inside if p.llm_p is not None]
    if votes_end and votes_in:
        out["llm"] = {
            "auc": _auc(votes_end, votes_in),
            "median_at_ends": round(float(np.median(votes_end)), 3),
            "median_inside": round(float(np.median(votes_in)), 3),
            "eval_ms": percentiles_ms([p.llm_s for p in inside + ends if p.llm_p is not None]),
        }
    un_end = [p.unheard_s for p in ends if p.unheard_s is not None]
    un_in = [p.unheard_s for p in inside if p.unheard_s is not None]
    if un_end and un_in:
        out["unheard"] = {
            "auc": _auc([-u for u in un_end], [-u for u in un_in]),
            "share_over_0_25_s_inside": round(sum(u >= 0.25 for u in un_in) / len(un_in), 3),
            "share_over_0_25_s_at_ends": round(sum(u >= 0.25 for u in un_end) / len(un_end), 3),
            "words_pass_ms": percentiles_ms([p.words_s for p in inside + ends]),
        }
    return out


def _auc(pos: list[float], neg: list[float]) -> float | None:
    if not pos or not neg:
        return None
    wins = sum((x > y) + 0.5 * (x == y) for x in pos for y in neg)
    return round(wins / (len(pos) * len(neg)), 3)
