"""The answer of record (issue 15): full-pass decoding, seams, guards and unsure words.

Logic on fakes here; the same on tiny.en and real audio in tests/test_record_real.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from interviewer.pipeline.record import (
    FinalDecoding,
    answer_decoding,
    compression_ratio,
    decoding_prompt,
    degenerate,
    key_terms,
    repair,
    repeated_ngrams,
    words_kept,
)
from interviewer.pipeline.transcriber import StreamingTranscriber
from interviewer.scoring.evidence import (
    UNSURE_MARK,
    annotate_uncertain,
    mark_uncertain,
    uncertain_spans,
)
from interviewer.types import Segment, Transcript, Word

# ------------------------------------------------------------------------------ guards


def test_repeated_ngrams_counts_each_immediate_repeat() -> None:
    assert repeated_ngrams("we agreed to ship a smaller first version on time") == 0
    assert repeated_ngrams("ship a smaller first first. on time") == 1
    assert repeated_ngrams("the end of the day of the day of the day") == 2


def test_compression_ratio_flags_a_loop() -> None:
    loop = "of the day " * 20
    assert compression_ratio(loop) > 2.4 and degenerate(loop)
    plain = "I led a project to cut our cloud costs by a third in six months."
    assert compression_ratio(plain) < 2.4 and not degenerate(plain)
    assert compression_ratio("") == 0.0


def test_a_stuttered_word_the_streamed_text_lacks_is_said_once() -> None:
    """The seam of the seeded demo: the stored answer doubled a word the stream had once."""
    fixed = repair(
        ["We agreed to ship a smaller first first. on time."],
        "we agreed to ship a smaller first version on time",
    )
    assert fixed.text == "We agreed to ship a smaller first. on time."
    assert fixed.replaced


def test_a_looping_stretch_is_replaced_by_the_streamed_text() -> None:
    full = [
        "I measured precision at ten.",
        "At the end of the day of the day of the day of the day of the day",
        "and we shipped it.",
    ]
    streamed = "i measured precision at ten at the end of the day we chose recall and we shipped it"
    fixed = repair(full, streamed)
    assert fixed.text == (
        "I measured precision at ten. at the end of the day we chose recall and we shipped it."
    )
    assert [old for old, _ in fixed.replaced] == [full[1]]


def test_a_clean_full_pass_is_kept_whole() -> None:
    full = ["I led a project to cut our cloud costs.", "It took six months."]
    fixed = repair(full, "i let a project to cut our cloud costs it took six months")
    assert fixed.text == " ".join(full) and not fixed.replaced
    # a word the candidate repeated is speech, kept when the stream heard it too
    assert (
        repair(["it was very very slow"], "it was very very slow").text == "it was very very slow"
    )
    assert repair(["It works."], "").text == "It works."


# ------------------------------------------------------------------------------ prompt


def test_key_terms_prefers_domain_words() -> None:
    terms = key_terms(
        [
            "Uses NDCG or precision@k to evaluate ranking",
            "Mentions the p-value and what it does not show",
            "Deploys with Kubernetes; explains the trade-off clearly",
        ]
    )
    for term in ("NDCG", "precision@k", "p-value", "Kubernetes", "trade-off"):
        assert any(t.lower() == term.lower() for t in terms), (term, terms)
    assert not {"uses", "the", "what", "clearly", "explains"} & {t.lower() for t in terms}
    assert len(key_terms(["alpha" + str(i) for i in range(50)], limit=5)) == 5


def test_the_prompt_ends_with_the_question_and_stays_short() -> None:
    prompt = decoding_prompt("How would you evaluate a ranker?", ["NDCG", "precision"])
    assert prompt == "NDCG, precision. How would you evaluate a ranker?"
    long = decoding_prompt("Why?", [f"term{i}" for i in range(200)], max_words=20)
    assert long is not None and len(long.split()) == 20 and long.endswith("Why?")
    assert decoding_prompt(None, []) is None


@dataclass
class _Criterion:
    description: str
    anchors: dict[int, str]


@dataclass
class _Rubric:
    criteria: list[_Criterion]


@dataclass
class _Question:
    text: str
    key_points: list[str]
    rubric: _Rubric


@dataclass
class _Spec:
    job_description: str | None


@dataclass
class _Brain:
    current_question: _Question | None
    spec: _Spec | None


def test_answer_decoding_holds_question_rubric_and_job_description_terms() -> None:
    q = _Question(
        "How do you evaluate a search ranking model?",
        ["Offline metrics such as NDCG", "An online A/B test"],
        _Rubric([_Criterion("Chooses metrics", {1: "none", 3: "some", 5: "MRR and recall"})]),
    )
    decoding = answer_decoding(_Brain(q, _Spec("We run Kubernetes and PostgreSQL.")), q.text)
    assert decoding.prompt is not None and decoding.prompt.endswith(q.text)
    assert decoding.beam_size == 5 and decoding.hotwords is None
    for term in ("NDCG", "A/B", "MRR", "Kubernetes", "PostgreSQL"):
        assert term in decoding.prompt, (term, decoding.prompt)
    # no hotwords argument at all unless set (an STT without the parameter still serves it)
    assert decoding.kwargs() == {"beam_size": 5, "initial_prompt": decoding.prompt}
    assert FinalDecoding(hotwords="NDCG").kwargs()["hotwords"] == "NDCG"
    # a brain with no bank question (the fixed list of the tests) gives the question alone
    assert answer_decoding(object(), "Tell me about it?").prompt == "Tell me about it?"


# ------------------------------------------------------------------------------ transcriber


class _RecordingSTT:
    """Text-only calls hear "piece"; a full pass (word timestamps) records how it was asked."""

    def __init__(self, model_id: str = "rec", text: str = "Heard it.") -> None:
        self.model_id = model_id
        self.text = text
        self.full: list[tuple[int, str | None, str | None]] = []
        self.quick = 0

    def transcribe(  # type: ignore[no-untyped-def]
        self, audio, *, word_timestamps=True, beam_size=1, initial_prompt=None, hotwords=None
    ):
        seconds = len(audio) / 16_000
        if not word_timestamps:
            self.quick += 1
            return Transcript(text="piece", segments=(), duration=seconds)
        self.full.append((beam_size, initial_prompt, hotwords))
        words = tuple(Word(w, 0.0, seconds, 0.9) for w in self.text.split())
        seg = Segment(0.0, seconds, self.text, words)
        return Transcript(text=self.text, segments=(seg,), duration=seconds)


def _speak(tr: StreamingTranscriber, seconds: float) -> None:
    frame = np.full(512, 0.1, dtype=np.float32)
    for _ in range(round(seconds * 16_000 / 512)):
        tr.append(frame, 0.9)


def _answer(tr: StreamingTranscriber, pieces: int = 2) -> tuple[list[Word], str | None]:
    tr.begin([], [])
    for pause in range(1, pieces + 1):
        _speak(tr, 0.64)
        tr.request_final(pause)
        assert tr.final_for(pause, 5) is not None
        if pause < pieces:
            tr.resume(pause, pause_s=0.5)
    tr.finish(pieces)
    return tr.full_pass(tr.epoch, 5)


def test_the_full_pass_uses_beam_search_the_prompt_and_its_own_model() -> None:
    stream, final = _RecordingSTT("tiny"), _RecordingSTT("larger")
    tr = StreamingTranscriber(stream, time.monotonic, partial_every_s=1e9, final_stt=final)
    tr.start()
    try:
        tr.set_decoding(FinalDecoding(5, "How do you evaluate a ranker?", "NDCG, recall"))
        _, text = _answer(tr)
    finally:
        tr.stop()
    assert text == "Heard it."
    assert final.full == [(5, "How do you evaluate a ranker?", "NDCG, recall")]
    assert stream.full == [] and stream.quick >= 2  # the streaming pass kept its model


def test_default_decoding_is_beam_five_without_a_prompt() -> None:
    assert FinalDecoding().kwargs() == {"beam_size": 5, "initial_prompt": None}
    stt = _RecordingSTT()
    tr = StreamingTranscriber(stt, time.monotonic, partial_every_s=1e9)
    tr.start()
    try:
        _answer(tr)
    finally:
        tr.stop()
    assert stt.full == [(5, None, None)]


class _SeamSTT(_RecordingSTT):
    """Each full pass hears the word cut at its start again (the seam of a monologue)."""

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def transcribe(  # type: ignore[no-untyped-def]
        self, audio, *, word_timestamps=True, beam_size=1, initial_prompt=None, hotwords=None
    ):
        if not word_timestamps:
            return super().transcribe(audio, word_timestamps=False)
        self.n += 1
        words = [f"w{self.n}a", f"w{self.n}b"]
        if self.n > 1:
            words.insert(0, f"w{self.n - 1}b")  # heard again across the join
        text = " ".join(words)
        seg = Segment(0.0, 1.0, text, tuple(Word(w, 0.0, 1.0, 0.9) for w in words))
        return Transcript(text=text, segments=(seg,), duration=1.0)


def test_passes_join_without_a_doubled_word() -> None:
    stt = _SeamSTT()
    tr = StreamingTranscriber(stt, time.monotonic, partial_every_s=1e9, words_max_s=1.0)
    tr.start()
    try:
        _, text = _answer(tr, pieces=4)
    finally:
        tr.stop()
    assert stt.n >= 2
    assert text == " ".join(f"w{i}a w{i}b" for i in range(1, stt.n + 1))


class _CodedSTT(_RecordingSTT):
    """Hears audio as words: each run of one sample value is the word ``w<value*1000>``, a
    run of the same value after silence is the same word heard again (said once), and
    silence is nothing. Word times are where the runs are, so joins can be checked."""

    def __init__(self) -> None:
        super().__init__()
        self.word_calls: list[tuple[float, float]] = []  # (seconds, when) per full pass

    def transcribe(  # type: ignore[no-untyped-def]
        self, audio, *, word_timestamps=True, beam_size=1, initial_prompt=None, hotwords=None
    ):
        if not word_timestamps:
            return super().transcribe(audio, word_timestamps=False)
        self.word_calls.append((len(audio) / 16_000, time.monotonic()))
        words: list[Word] = []
        codes = np.round(np.asarray(audio) * 1000).astype(int)
        i = 0
        while i < len(codes):
            j = i
            while j < len(codes) and codes[j] == codes[i]:
                j += 1
            if codes[i] and not (words and words[-1].word == f"w{codes[i]}"):
                words.append(Word(f"w{codes[i]}", i / 16_000, j / 16_000, 0.9))
            elif codes[i]:
                words[-1] = Word(words[-1].word, words[-1].start, j / 16_000, 0.9)
            i = j
        text = " ".join(w.word for w in words)
        seg = Segment(0.0, len(audio) / 16_000, text, tuple(words))
        return Transcript(text=text, segments=(seg,) if words else (), duration=seg.end)


def _coded_answer(tr: StreamingTranscriber, pieces: int) -> tuple[list[Word], str | None]:
    """``pieces`` words of 0.64 s with 0.32 s pauses; each piece after the first starts with a
    frame of the word before (a word cut at the pause is heard again after it)."""
    tr.begin([], [])
    for k in range(1, pieces + 1):
        if k > 1:
            tr.append(np.full(512, (k - 1) / 1000, dtype=np.float32), 0.9)
        for _ in range(19):
            tr.append(np.full(512, k / 1000, dtype=np.float32), 0.9)
        tr.request_final(k)
        assert tr.final_for(k, 5) is not None
        for _ in range(10):
            tr.append(np.zeros(512, dtype=np.float32), 0.05)
        _settle(tr)
        if k < pieces:
            tr.resume(k, pause_s=0.32)
    tr.finish(pieces)
    return tr.full_pass(tr.epoch, 5)


def _settle(tr: StreamingTranscriber, timeout_s: float = 10.0) -> None:
    """Wait until the record worker has taken every group that is ready. A candidate speaks
    in real time, so the worker has a piece's length to take a group; the test feeds the
    audio at once, and on a busy machine the worker would otherwise first wake at the turn's
    end and take the rest as one group (not what the test is about)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with tr._cond:
            if not (tr._word_jobs and tr._words_ready()):
                return
        time.sleep(0.005)


@pytest.mark.parametrize("group_s", [1.5, 2.5])
def test_the_incremental_full_pass_equals_the_one_shot_pass(group_s: float) -> None:
    """Groups of committed pieces go while the candidate still speaks; joined, their text and
    words are the one-shot pass's: in order, no word doubled at a join, none dropped."""
    results = {}
    for name, group in (("one-shot", 1e9), ("incremental", group_s)):
        stt = _CodedSTT()
        tr = StreamingTranscriber(stt, time.monotonic, partial_every_s=1e9, words_group_s=group)
        tr.start()
        try:
            words, text = _coded_answer(tr, pieces=7)
            finished_at = time.monotonic()
        finally:
            tr.stop()
        results[name] = (words, text, stt)
        if name == "one-shot":
            assert len(stt.word_calls) == 1
        else:
            # all but the last group ran before the turn ended
            assert len(stt.word_calls) >= 3
            assert all(when < finished_at for _, when in stt.word_calls)
            assert all(seconds <= group_s + 1.0 for seconds, _ in stt.word_calls)
    expected = " ".join(f"w{k}" for k in range(1, 8))
    one_words, one_text, _ = results["one-shot"]
    inc_words, inc_text, _ = results["incremental"]
    assert one_text == inc_text == expected
    # the words carry answer time: each word once, in order, where it was said
    assert [w.word for w in one_words] == expected.split()
    assert [w.word for w in inc_words][: len(expected.split())] == expected.split()
    starts = [w.start for w in inc_words if w.word != "w0"]
    assert starts == sorted(starts)
    for a, b in zip(one_words, inc_words, strict=False):
        assert b.start == pytest.approx(a.start, abs=0.05)


class _SignOffSTT(_CodedSTT):
    """``_CodedSTT`` that, like tiny.en on real clips, writes a looping sign-off into the
    silence at the end of each full pass ("We'll see you next time. See you next time. ..."):
    at a group's end that is inside the answer. Its text-only calls hear the words as the full
    pass does, so the stream is a witness of what was said."""

    LOOP = "See you next time. See you next time. See you next time."

    def transcribe(  # type: ignore[no-untyped-def]
        self, audio, *, word_timestamps=True, beam_size=1, initial_prompt=None, hotwords=None
    ):
        heard = super().transcribe(audio, word_timestamps=True)
        if not word_timestamps:
            self.word_calls.pop()
            return Transcript(text=heard.text, segments=(), duration=heard.duration)
        end = heard.duration
        loop = tuple(Word(w, end, end, 0.6) for w in self.LOOP.split())
        return Transcript(
            text=f"{heard.text} {self.LOOP}",
            segments=(*heard.segments, Segment(end, end, self.LOOP, loop)),
            duration=end,
        )


@pytest.mark.parametrize("group_s", [1e9, 1.5])
def test_a_phrase_written_into_silence_leaves_the_text_and_the_words(group_s: float) -> None:
    """The words of record follow the text of record: a loop the repair drops has no words
    left to count as speech (CI, tiny.en: the first group's words ended in "we'll see you
    next time" four times though its text did not)."""
    stt = _SignOffSTT()
    tr = StreamingTranscriber(stt, time.monotonic, partial_every_s=1e9, words_group_s=group_s)
    tr.start()
    try:
        words, text = _coded_answer(tr, pieces=7)
    finally:
        tr.stop()
    expected = " ".join(f"w{k}" for k in range(1, 8))
    assert (len(stt.word_calls) > 1) == (group_s < 100)
    assert text == expected
    assert [w.word for w in words] == expected.split()
    replaced = tr.repairs[tr.epoch].replaced
    assert replaced and all(full == _SignOffSTT.LOOP and not kept for full, kept in replaced)


def test_words_kept_follow_what_the_repair_kept() -> None:
    loop = "of the day of the day"
    said = [Word(w, i / 10, i / 10 + 0.1, 0.9) for i, w in enumerate(loop.split(" "))]
    assert words_kept(said, "of the day of the day", "of the day of the day") == said
    assert words_kept(said, "of the day of the day", "") == []
    assert [w.word for w in words_kept(said, "of the day of the day", "of the day")] == [
        "of",
        "the",
        "day",
    ]
    fixed = repair(["Fine.", "Thank you.", "It works."], "fine it works")
    assert fixed.kept == ("Fine.", "", "It works.")
    assert repair(["", "Fine."], "").kept == ("", "Fine.")


# ------------------------------------------------------------------------------ unsure words


WORDS = [
    Word("I", 0.0, 0.2, 0.95),
    Word("let", 0.2, 0.4, 0.21),
    Word("a", 0.4, 0.5, 0.9),
    Word("project", 0.5, 0.9, 0.92),
    Word("to", 0.9, 1.0, 0.9),
    Word("cut", 1.0, 1.2, 0.9),
    Word("costs.", 1.2, 1.6, 0.35),
]
ANSWER = "I let a project to cut costs. It worked."


def test_unsure_words_are_found_and_marked() -> None:
    spans = uncertain_spans(ANSWER, WORDS)
    assert [ANSWER[s:e] for s, e in spans] == ["let", "costs"]
    assert (
        mark_uncertain(ANSWER, spans)
        == f"I let{UNSURE_MARK} a project to cut costs{UNSURE_MARK}. It worked."
    )
    # stored word dicts work the same, and a word not in the text is skipped
    dicts = [{"word": "nowhere", "probability": 0.1}] + [
        {"word": w.word, "probability": w.probability} for w in WORDS
    ]
    assert uncertain_spans(ANSWER, dicts) == spans


def test_evidence_resting_on_unsure_words_is_marked_and_named() -> None:
    doc = {
        "criteria": {
            "ownership": {"score": 2.0, "evidence": ["I let a project to cut costs."]},
            "impact": {"score": 3.0, "evidence": ["It worked."]},
            "depth": {"score": 1.0, "evidence": ["insufficient evidence"]},
        }
    }
    out = annotate_uncertain(doc, ANSWER, WORDS)
    own = out["criteria"]["ownership"]
    assert own["evidence"] == ["I let a project to cut costs."]  # verbatim, for the highlight
    assert own["evidence_marked"] == [f"I let{UNSURE_MARK} a project to cut costs{UNSURE_MARK}."]
    assert own["unsure"] == ["let", "costs"]
    assert "unsure" not in out["criteria"]["impact"]
    assert "unsure" not in out["criteria"]["depth"]


def test_the_report_names_unsure_evidence() -> None:
    from interviewer.scoring.evidence import unsure_note

    note = unsure_note(["let"])
    assert "'let'" in note and "recording" in note


@pytest.mark.parametrize("threshold", [0.0, 0.2])
def test_a_lower_threshold_marks_fewer_words(threshold: float) -> None:
    assert len(uncertain_spans(ANSWER, WORDS, threshold=threshold)) < 2


def test_the_report_marks_unsure_words_and_names_them_under_their_criterion(
    tmp_path: Path,
) -> None:
    """Stored words carry their probabilities; the report marks the unsure ones in the answer
    and in every quote, and says under the criterion that it rests on them."""
    from interviewer.interview.bank import load_bank
    from interviewer.interview.spec import InterviewSpec
    from interviewer.report import build_report, render_html, render_markdown
    from interviewer.store import Store, TurnRecord

    bank = load_bank()
    question = bank.get("beh.conflict.teammate")
    answer = (
        "Two engineers disagreed about the release plan, so I let a meeting where each listed "
        "their risks. I proposed shipping a smaller first version. We shipped on time and churn "
        "fell by 12 percent in three months."
    )
    words = [
        {"word": w, "start": i * 0.3, "end": i * 0.3 + 0.25, "probability": 0.9}
        for i, w in enumerate(answer.split())
    ]
    for w in words:
        if w["word"] in ("let", "shipped"):
            w["probability"] = 0.2
    with Store.open(tmp_path / "db.duckdb") as store:
        spec = InterviewSpec.from_mapping({"role": "data_scientist", "type": "behavioral"})
        sid = store.create_session(spec.to_dict(), {"llm": "fake"}, "text", user_id="u1")
        store.add_turn(
            sid,
            TurnRecord(
                question_text=question.text,
                answer_text=answer,
                question_id=question.id,
                words=words,
            ),
        )
        store.set_status(sid, "finished")
        report = build_report(store, sid, bank=bank)
    md = render_markdown(report)
    html = render_html(report)
    assert f"so I let{UNSURE_MARK} a meeting" in md and f"We shipped{UNSURE_MARK} on time" in md
    assert f"We shipped{UNSURE_MARK} on time" in html
    criteria = report.questions[0].scores["criteria"]  # type: ignore[index]
    unsure = {name: c.get("unsure") for name, c in criteria.items() if c.get("unsure")}
    assert unsure, criteria  # the result sentence is evidence for at least one criterion
    for name, words_ in unsure.items():
        assert set(words_) <= {"let", "shipped"}
        marked = criteria[name]["evidence_marked"]
        assert all(UNSURE_MARK in q for q in marked if any(w in q for w in words_))
    assert "the recogniser was unsure of" in md and "the recogniser was unsure of" in html


def test_bench_record_measures_before_after_prompt_and_models(tmp_path: Path) -> None:
    """``wer.record`` on fakes: every figure present, and the markdown renders them."""
    import soundfile as sf

    from interviewer.bench.common import BenchConfig, EngineSet, Progress
    from interviewer.bench.record_wer import TECHNICAL_ANSWERS, bench_record, record_markdown
    from interviewer.config import Settings
    from interviewer.engines.fakes import FakeSTT, FakeTTS, FakeVAD

    text = "I led the project and we shipped it on time."
    for name in ("x", "y"):
        audio = np.concatenate([np.zeros(3200), 0.3 * np.sin(np.arange(12800) / 5.0)])
        sf.write(tmp_path / f"{name}.wav", audio.astype(np.float32), 16_000)
        (tmp_path / f"{name}.txt").write_text(text)

    def said(audio: Any) -> str:
        # the sentence once per stretch of sound, as a recogniser would hear joined clips
        loud = np.sqrt(np.mean(np.reshape(audio[: len(audio) // 320 * 320], (-1, 320)) ** 2, 1))
        starts = np.flatnonzero((loud > 1e-3) & ~np.r_[False, loud[:-1] > 1e-3])
        return " ".join([text] * max(1, len(starts)))

    factories: dict[str, Callable[[], Any]] = {
        "vad": FakeVAD,
        "stt": lambda: FakeSTT(said),
        "tts": lambda: FakeTTS(seconds_per_char=0.006),
    }
    eng = EngineSet(Settings(device="cpu"), factories=factories)
    cfg = BenchConfig.make(True, wer_data=(tmp_path,))
    loaded: list[str] = []

    def load(spec: str) -> FakeSTT:
        loaded.append(spec)
        if spec == "broken":
            raise RuntimeError("no such model")
        return FakeSTT([text])

    out = bench_record(
        eng,
        cfg,
        Progress(lambda _: None),
        model_specs=["bigger", "broken"],
        load_stt=load,
        speed=50.0,
    )
    assert [r["clip"] for r in out["clips"]] == ["x.wav", "y.wav"]
    assert out["summary"]["after"]["mean_clip_wer"] == 0.0
    assert len(out["technical"]["answers"]) == len(TECHNICAL_ANSWERS)
    la = out["long_answer"]
    assert 60.0 <= la["answer_s"] < 62.0
    for mode in ("one_shot", "incremental"):
        assert la[mode]["wer"] == 0.0, la[mode]["text"][:80]
        assert la[mode]["record_after_turn_s"] >= 0
    assert la["one_shot"]["full_passes"] == 1 and la["incremental"]["full_passes"] > 1
    assert loaded == ["bigger", "broken"]
    assert [m["model"] for m in out["models"]] == ["fake-stt", "fake-stt", "broken"]
    assert "error" in out["models"][2]
    md = "\n".join(record_markdown(out))
    assert "### Answer of record" in md and "| x.wav |" in md and "no such model" in md
    assert "| incremental |" in md


def test_stt_final_comes_from_toml_env_and_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interviewer.config import Settings, load_settings
    from interviewer.engines import load_stt_final

    cfg = tmp_path / "config.toml"
    cfg.write_text('[models]\nstt = "embedded"\nstt_final = "whisper-small.en"\n')
    assert load_settings(cfg).stt_final == "whisper-small.en"
    monkeypatch.setenv("INTERVIEWER_STT_FINAL", "/models/whisper-base")
    assert load_settings(cfg).stt_final == "/models/whisper-base"
    assert load_settings(cfg, stt_final="whisper-medium.en").stt_final == "whisper-medium.en"
    # unset, or the streaming model itself: one model does both passes
    assert load_stt_final(Settings()) is None
    assert load_stt_final(Settings(stt="embedded", stt_final="embedded")) is None


def test_words_the_full_pass_dropped_are_kept_from_the_stream() -> None:
    """A prompted decode can stop early; the streamed words after its end are not lost."""
    full = ["I trained XGBoost with class weights instead of SMOTE and chose the threshold on the"]
    streamed = (
        "i train xgboose with class weights instead of smoke and chose the threshold on the "
        "precision recall curve because f1 at the default threshold hit most of the fraud"
    )
    fixed = repair(full, streamed)
    assert fixed.text == (
        full[0]
        + " precision recall curve because f1 at the default threshold hit most of the fraud"
    )
    # a skipped stretch between two segments comes back in its place
    fixed = repair(
        ["We packaged it in containers.", "We watched latency."],
        "we packaged it in containers and ran it on kubernetes we watched latency",
    )
    assert (
        fixed.text == "We packaged it in containers. and ran it on kubernetes We watched latency."
    )
    # one or two stray streamed words at a cut are the stream's noise, not dropped speech
    assert repair(["It works."], "it works you know").text == "It works."


def test_a_loop_the_stream_heard_nothing_of_is_dropped() -> None:
    full = ["I chose the threshold on the curve.", "XGBoost, SMOTE, SMOTE, SMOTE, SMOTE"]
    fixed = repair(full, "i chose the threshold on the curve")
    assert fixed.text == "I chose the threshold on the curve."
    # words the stream missed at a cut are not a loop: kept
    assert repair(["It works.", "Thank you."], "it works").text == "It works. Thank you."


def test_a_stock_phrase_at_a_group_end_the_stream_never_heard_is_dropped() -> None:
    """tiny.en on real clips: the first group of the incremental pass ended in "Thank you very
    much.", said by no one; inside the answer, where the stream heard the rest, it goes."""
    full = [
        "The child almost hurt the small dog.",
        "At that high level, the air is pure.",
        "Thank you very much.",
        "Sunday is the best part of the week.",
    ]
    streamed = "the child almost hurt the small dog at that high level the air is pure sunday is "
    streamed += "the best part of the week"
    fixed = repair(full, streamed)
    assert "Thank you" not in fixed.text and fixed.text.endswith("part of the week.")
    assert fixed.replaced == (("Thank you very much.", ""),)
    # a stream that disagrees with the full pass is no witness: nothing dropped
    assert repair(["Sure.", "It works.", "Fine."], "something else").text == "Sure. It works. Fine."
