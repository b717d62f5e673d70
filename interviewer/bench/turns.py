"""Turn-taking: does the interviewer cut in on thinking pauses, and what does that cost?

The set (``benchmarks/data/turns``) is candidate scripts in the ``demo --script`` format whose
answers carry the question they answer; half hold thinking pauses, half end cleanly. Two
measurements, both for the punctuation-only endpointing (``rules``, the behaviour before the
turn prediction) and the prediction (``predict``), in the same run:

* **Replay** (:mod:`interviewer.bench.turns_replay`; every script, no real time): each
  answer's audio goes frame by frame through the VAD and the endpointer, with the speculative
  STT text of each pause delivered after the time its call really took. Cheap enough to sweep
  the waits, which gives the trade-off curve between the cut-in rate and the delay from the
  end of speech to the end of the turn.
* **Interview** (real time, the first script, or all of them in a full run): the streaming
  pipeline asks each answer's question and a simulated candidate answers through the virtual
  link; it counts a cut-in when the interviewer starts speaking during one of its answers.
  Words lost are (substitutions + deletions) / words said over the whole interview,
  insertions ignored, set beside the same answers spoken without their pauses. Voice-to-voice
  is taken on the exchanges that follow a real end of an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.audio.candidate import (
    CandidateScript,
    RenderedAnswer,
    SimulatedCandidate,
    load_script,
    render_text,
)
from interviewer.audio.duplex import VirtualDuplexLink
from interviewer.audio.recorder import StereoRecorder
from interviewer.bench.common import BenchConfig, EngineSet, Progress
from interviewer.bench.e2e import drive
from interviewer.bench.turns_replay import (
    CURVE,
    PAUSE_RE,
    endpoint_config,
    evidence_separation,
    pause_marks,
    prepare_replay,
    replay_curve,
)
from interviewer.config import REPO_ROOT
from interviewer.errors import ConfigError
from interviewer.interview.base import Answer, Reply
from interviewer.metrics import normalize_text
from interviewer.pipeline.endpointing import EndpointConfig
from interviewer.pipeline.records import ExchangeRecord, percentiles_ms
from interviewer.pipeline.runner import InterviewRunner, RunnerConfig
from interviewer.pipeline.turn_end import NUDGE_TEXT
from interviewer.types import SAMPLE_RATE

TURN_SET = REPO_ROOT / "benchmarks" / "data" / "turns"
MODELS = ("rules", "predict")

# ---------------------------------------------------------------------------- the set


def load_turn_set(folder: Path = TURN_SET) -> list[CandidateScript]:
    """The scripts of a turn-taking set (``*.yaml``, in name order); each answer needs a text
    and the question it answers."""
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        raise ConfigError(f"{folder}: no turn-taking scripts (*.yaml) here")
    scripts = []
    for path in files:
        script = load_script(path)
        for i, ans in enumerate(script.answers, start=1):
            if ans.text is None or ans.question is None:
                raise ConfigError(
                    f"{path}: answers[{i}]: a turn-taking answer needs text and question"
                )
        scripts.append(script)
    return scripts


def words_lost(said: list[str], heard: list[str]) -> dict[str, Any]:
    """(substitutions + deletions) / words said, over all of ``said`` against all of ``heard``
    (each joined in order); insertions are ignored (an extra turn costs the candidate
    nothing)."""
    import jiwer

    ref = normalize_text(" ".join(said))
    hyp = normalize_text(" ".join(heard))
    n = len(ref.split())
    if n == 0:
        return {"words": 0, "lost": 0, "rate": None}
    if not hyp:
        return {"words": n, "lost": n, "rate": 1.0}
    out = jiwer.process_words(ref, hyp)
    lost = int(out.substitutions + out.deletions)
    return {"words": n, "lost": lost, "rate": round(lost / n, 4)}


# ---------------------------------------------------------------------------- interviews


class TurnsBrain:
    """Asks each answer's own question in order, with a stock acknowledgement between them."""

    ACK = "Thank you."

    def __init__(self, questions: list[str]) -> None:
        self.questions = questions
        self._i = 0
        self._done = False
        self._undo: tuple[int, bool] | None = None

    def start(self) -> Reply:
        return Reply("question", iter([self.questions[0]]), question_id="t1")

    def on_answer(self, answer: Answer) -> Reply:
        self._undo = (self._i, self._done)
        self._i += 1
        if self._i >= len(self.questions):
            self._done = True
            return Reply("closing", iter([f"{self.ACK} That's all from me."]), finished=True)
        return Reply(
            "question", iter([f"{self.ACK} {self.questions[self._i]}"]), question_id=f"t{self._i}"
        )

    def withdraw_answer(self) -> bool:
        """The candidate went on over the acknowledgement: the answer continues."""
        if self._undo is None:
            return False
        self._i, self._done = self._undo
        self._undo = None
        return True

    def planned_next(self) -> str | None:
        return self.questions[self._i + 1] if self._i + 1 < len(self.questions) else None

    @property
    def finished(self) -> bool:
        return self._done

    def stock_phrases(self) -> list[str]:
        return [self.ACK]


def run_turns_interview(
    eng: EngineSet,
    answers: list[RenderedAnswer],
    questions: list[str],
    endpoint: EndpointConfig,
    *,
    with_pauses: list[bool] | None = None,
    record_to: Path | None = None,
    max_wall_s: float = 900.0,
) -> dict[str, Any]:
    """One interview in real time; returns cut-ins, words lost and latency."""
    recorder = StereoRecorder(record_to, SAMPLE_RATE) if record_to is not None else None
    link = VirtualDuplexLink(recorder)
    silent = RenderedAnswer(np.zeros(0, np.float32), "")
    candidate = SimulatedCandidate(link.candidate, answers, silent)
    records: list[ExchangeRecord] = []
    runner = InterviewRunner(
        brain=TurnsBrain(questions),
        vad=eng.vad,
        stt=eng.stt,
        tts=eng.tts,
        duplex=link,
        config=RunnerConfig(endpoint=endpoint),
        on_your_turn=candidate.your_turn,
        on_exchange=records.append,
    )
    try:
        wall_s, _ = drive(runner, candidate, recorder, max_wall_s)
    finally:
        eng.vad.reset()
    doc = runner.transcript()
    said = [a.text for a in answers[: len(candidate.spans)] if a.text]
    heard = [t["text"] for t in doc["turns"] if t["speaker"] == "candidate"]
    # the exchanges that follow a real end of an answer: their speech ends within the last
    # second of that answer's audio (the rendered audio ends in ~0.2-0.4 s of its own silence)
    ends = [end - runner.t0 for _, end in candidate.spans]
    v2v = []
    for ex in doc["latency"]["exchanges"]:
        se, ps = ex.get("speech_end"), ex.get("playback_start")
        if se is None or ps is None:
            continue
        if any(end - 1.0 <= se <= end + 0.1 for end in ends):
            v2v.append(ps - se)
    # a nudge ("Take your time.") inside an answer is interviewer speech, but not a taking of
    # the turn: counted apart
    nudge_at = [
        t["start"]
        for t in doc["turns"]
        if t["speaker"] == "interviewer" and t["text"] == NUDGE_TEXT
    ]
    cut: list[int] = []
    nudged: list[int] = []
    for c in candidate.cut_ins:
        at = c.t - runner.t0
        (nudged if any(n - 0.1 <= at <= n + 1.5 for n in nudge_at) else cut).append(c.answer)
    flags = with_pauses or [False] * len(answers)
    paused = [i for i in range(len(candidate.spans)) if i < len(flags) and flags[i]]
    return {
        "answers_spoken": len(candidate.spans),
        "answers_with_pauses": len(paused),
        "cut_ins": len(cut),
        "cut_in_answers": sorted(set(cut)),
        "paused_answers": paused,
        "cut_in_rate": round(len(set(cut) & set(paused)) / len(paused), 3) if paused else None,
        "nudges": doc["stats"].get("nudges", 0),
        "yields": doc["stats"].get("yields", 0),
        "barge_ins": doc["stats"].get("barge_ins", 0),
        "nudges_inside_answers": len(nudged),
        # the stored answers (the full pass, as the transcript shows them), and the streamed
        # text the interviewer acted on, to tell recognition from turn-taking losses
        "words_lost": words_lost(said, heard),
        "words_lost_streamed": words_lost(
            said, [r.answer_streamed or r.answer for r in records if not r.timed_out]
        ),
        "heard": heard,
        "overlapping_answers": sum(r.overlapping for r in records),
        "voice_to_voice_ms": percentiles_ms(v2v),
        "exchanges_after_real_end": len(v2v),
        "wall_s": round(wall_s, 1),
        "watchdog_fired": not runner.brain.finished,
    }


def _render(eng: EngineSet, tts: Any, texts: list[str]) -> list[RenderedAnswer]:
    out = []
    for text in texts:
        key = f"turns:{id(tts)}:{text}"
        if key not in eng.rendered:
            spoken = " ".join(PAUSE_RE.sub(" ", text).split())
            eng.rendered[key] = RenderedAnswer(render_text(tts, text), spoken)
        out.append(eng.rendered[key])
    return out


def bench_turns(
    eng: EngineSet,
    cfg: BenchConfig,
    progress: Progress,
    out_dir: Path | None = None,
    *,
    folder: Path = TURN_SET,
    voice: Callable[[CandidateScript], Any] | None = None,
    interviews: int | None = None,
) -> dict[str, Any]:
    """Replay curve over the whole set, then real-time interviews on the first ``interviews``
    scripts (quick: 1), each policy with and without the pauses."""
    scripts = load_turn_set(folder)
    if voice is None:
        voice = _voice_loader(eng)
    n_paused = sum("[pause" in (a.text or "").lower() for s in scripts for a in s.answers)
    progress("turns", f"{len(scripts)} scripts, {n_paused} answers with pauses")
    items = prepare_replay(eng, scripts, voice, progress)
    curve = replay_curve(items)
    results: dict[str, Any] = {
        "set": str(folder),
        "scripts": [Path(s.source).name for s in scripts],
        "speeds": [s.speed for s in scripts],
        "voices": sorted({s.voice for s in scripts}),
        "answers": len(items),
        "answers_with_pauses": n_paused,
        "pauses": _pause_counts(scripts),
        "replay": curve,
        "evidence": evidence_separation(items),
    }
    count = interviews if interviews is not None else (1 if cfg.quick else len(scripts))
    runs = []
    for script in scripts[:count]:
        tts = voice(script)
        texts = [a.text or "" for a in script.answers]
        questions = [a.question or "" for a in script.answers]
        name = Path(script.source).stem
        for model in MODELS:
            for paused in (True, False):
                answers = _render(
                    eng, tts, texts if paused else [PAUSE_RE.sub(" ", t) for t in texts]
                )
                progress(
                    "turns", f"{name}, {model}, {'paused' if paused else 'no pauses'}: real time"
                )
                record = None
                if out_dir is not None:
                    (out_dir / "turns").mkdir(parents=True, exist_ok=True)
                    record = (
                        out_dir / "turns" / f"{name}_{model}_{'paused' if paused else 'plain'}.wav"
                    )
                flags = [paused and "[pause" in t.lower() for t in texts]
                run = run_turns_interview(
                    eng,
                    answers,
                    questions,
                    endpoint_config(model),
                    with_pauses=flags,
                    record_to=record,
                )
                run.update({"script": name, "model": model, "paused": paused})
                runs.append(run)
                progress(
                    "turns",
                    f"  cut-ins {run['cut_ins']}, words lost {run['words_lost']['rate']}, "
                    f"v2v p50 {run['voice_to_voice_ms']['p50']} ms",
                )
    results["interviews"] = runs
    results["summary"] = _summary(curve, runs)
    return results


def _voice_loader(eng: EngineSet) -> Callable[[CandidateScript], Any]:
    """The candidate voice at each script's speed (loaded once per speed); fakes: the set's."""
    if eng.overridden("candidate_tts"):
        return lambda script: eng.candidate_tts
    from interviewer.audio.candidate import candidate_voice

    cache: dict[tuple[str, float], Any] = {}

    def load(script: CandidateScript) -> Any:
        key = (script.voice, script.speed)
        if key not in cache:
            cache[key] = candidate_voice(eng.settings, script, seed=0)
        return cache[key]

    return load


def _pause_counts(scripts: list[CandidateScript]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in scripts:
        for a in s.answers:
            for m in pause_marks(a.text or ""):
                counts[m.kind] = counts.get(m.kind, 0) + 1
    return counts


def _summary(curve: list[dict[str, Any]], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Headline figures per policy: the default curve point and the real-time interviews."""
    out: dict[str, Any] = {}
    defaults = {"rules": CURVE[0][1], "predict": "min 0.55 s, max 3.2 s (default)"}
    for model in MODELS:
        point = next(r for r in curve if r["model"] == model and r["setting"] == defaults[model])
        mine = [r for r in runs if r["model"] == model]
        paused = [r for r in mine if r["paused"]]
        plain = [r for r in mine if not r["paused"]]
        answers = sum(r["answers_with_pauses"] for r in paused)
        entry: dict[str, Any] = {
            "replay_cut_in_rate": point["cut_in_rate"],
            "replay_end_delay_p50_ms": point["end_delay_complete_ms"]["p50"],
        }
        if paused:
            entry["cut_ins"] = sum(r["cut_ins"] for r in paused)
            entry["answers_with_pauses"] = answers
            cut = sum(len(set(r["cut_in_answers"]) & set(r["paused_answers"])) for r in paused)
            entry["cut_in_rate"] = round(cut / answers, 3) if answers else None
            entry["nudges_inside_answers"] = sum(r["nudges_inside_answers"] for r in paused)
            entry["words_lost"] = _pooled(paused)
            entry["words_lost_no_pauses"] = _pooled(plain)
            lost, base = entry["words_lost"], entry["words_lost_no_pauses"]
            entry["words_lost_ratio"] = round(lost / base, 2) if lost is not None and base else None
            v = [r["voice_to_voice_ms"]["p50"] for r in paused if r["voice_to_voice_ms"]["p50"]]
            entry["voice_to_voice_p50_ms"] = round(float(np.median(v)), 1) if v else None
        out[model] = entry
    return out


def _pooled(runs: list[dict[str, Any]]) -> float | None:
    words = sum(r["words_lost"]["words"] for r in runs)
    lost = sum(r["words_lost"]["lost"] for r in runs)
    return round(lost / words, 4) if words else None


# ---------------------------------------------------------------------------- report


def _p(v: Any, digits: int = 0) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def turns_markdown(turns: dict[str, Any]) -> list[str]:
    """The turn-taking section of summary.md."""
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(turns["pauses"].items()))
    lines = [
        "## Turn-taking",
        "",
        f"{turns['answers']} answers in {len(turns['scripts'])} scripts (speeds "
        f"{', '.join(f'{s:g}' for s in turns['speeds'])}), {turns['answers_with_pauses']} with "
        f"thinking pauses ({kinds}). `rules`: the punctuation-only endpointing (before); "
        "`predict`: the end-of-turn prediction (now).",
        "",
        "| policy | cut-in rate | cut-ins, complete answers | words lost | no pauses | ratio "
        "| v2v p50 ms after a real end | nudges inside answers |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for model, s in turns["summary"].items():
        lines.append(
            f"| {model} | {_p(s.get('cut_in_rate'), 3)} | "
            f"{_cut_clean(turns, model)} | {_p(s.get('words_lost'), 3)} | "
            f"{_p(s.get('words_lost_no_pauses'), 3)} | {_p(s.get('words_lost_ratio'), 2)} | "
            f"{_p(s.get('voice_to_voice_p50_ms'))} | {s.get('nudges_inside_answers', '-')} |"
        )
    lines += [
        "",
        "Replay over the whole set (no real time; each pause's text arrives after its STT call):",
        "",
        "| policy | setting | cut-in rate | cut-ins, complete answers | end delay p50 / p95 ms "
        "(complete answers) | nudges inside answers |",
        "|---|---|---:|---:|---|---:|",
    ]
    for r in turns["replay"]:
        d = r["end_delay_complete_ms"]
        lines.append(
            f"| {r['model']} | {r['setting']} | {_p(r['cut_in_rate'], 3)} | "
            f"{r['cut_ins_complete_answers']} | {_p(d['p50'])} / {_p(d['p95'])} | "
            f"{r['nudges_inside']} |"
        )
    ev = turns.get("evidence") or {}
    if ev:
        llm, unheard = ev.get("llm") or {}, ev.get("unheard") or {}
        lines += [
            "",
            f"Pauses inside answers against answer ends ({ev['pauses_inside']} / "
            f"{ev['answer_ends']}), area under the ROC curve: rules {_p(ev['rules_auc'], 3)}, "
            f"LLM vote {_p(llm.get('auc'), 3)} (eval p50 "
            f"{_p((llm.get('eval_ms') or {}).get('p50'))} ms), unrecognised audio "
            f"{_p(unheard.get('auc'), 3)} (word-time pass p50 "
            f"{_p((unheard.get('words_pass_ms') or {}).get('p50'))} ms).",
        ]
    lines += ["", "![turns](turns.png)", ""]
    return lines


def _cut_clean(turns: dict[str, Any], model: str) -> str:
    runs = [r for r in turns["interviews"] if r["model"] == model and r["paused"]]
    if not runs:
        return "-"
    return str(sum(len(set(r["cut_in_answers"]) - set(r["paused_answers"])) for r in runs))


def turns_chart(turns: dict[str, Any], ax: Any) -> None:
    """The trade-off curve: cut-in rate against the end-of-turn delay, per policy."""
    for model, marker in (("rules", "o"), ("predict", "s")):
        # the rows with extra evidence sit at the default setting: not points of the curve
        rows = [r for r in turns["replay"] if r["model"] == model and not r.get("evidence")]
        xs = [r["end_delay_complete_ms"]["p50"] for r in rows]
        ys = [r["cut_in_rate"] for r in rows]
        pts = [(x, y) for x, y in zip(xs, ys, strict=True) if x is not None and y is not None]
        if pts:
            ax.plot(*zip(*sorted(pts), strict=True), marker=marker, label=model)
    ax.set_xlabel("end of speech -> end of turn, p50 on complete answers (ms)")
    ax.set_ylabel("cut-in rate (answers with pauses)")
    ax.set_title("Turn-taking: cut-ins against response time")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
