"""Candidate scripts: validation with clear errors, pauses, wav answers, a folder voice."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from interviewer.audio.candidate import (
    RenderedAnswer,
    SimulatedCandidate,
    load_script,
    parse_script,
    render_script,
    render_text,
)
from interviewer.audio.duplex import VirtualDuplexLink
from interviewer.engines.fakes import FakeTTS
from interviewer.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "candidate.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text,needle",
    [
        ("answers: []\n", "non-empty"),
        ("answer:\n  - text: hi\n", "unknown key"),
        ("answers:\n  - text: hi\n    wav: x.wav\n", "answers[1]"),
        ("answers:\n  - text: 'wait [pause 99] ok'\n", "longer than"),
        ("answers:\n  - wav: missing.wav\n", "no such audio file"),
        ("speed: 9\nanswers:\n  - text: hi\n", "speed"),
        ("answers:\n  - text: [unclosed\n", "invalid YAML"),
        ("answers:\n  - text: hi\n    question: ''\n", "question must be"),
    ],
)
def test_bad_scripts_name_the_file_and_the_problem(tmp_path: Path, text: str, needle: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=r"candidate\.yaml") as info:
        load_script(path)
    assert needle in str(info.value)


def test_pause_markers_become_silence() -> None:
    tts = FakeTTS(sample_rate=16_000, seconds_per_char=0.01)
    audio = render_text(tts, "At my last job, [pause 1.5] I chose a vendor.")
    silent = np.abs(audio) < 1e-6
    longest = max(len(run) for run in "".join("1" if x else "0" for x in silent).split("0"))
    assert longest / 16_000 >= 1.5
    script = parse_script({"answers": [{"text": "At my last job, [pause 1.5] I chose."}]}, "s")
    assert script.answers[0].spoken_text == "At my last job, I chose."


def test_wav_answers_and_a_folder_voice(tmp_path: Path) -> None:
    clip = (0.3 * np.sin(np.linspace(0, 300, 16_000))).astype(np.float32)
    folder = tmp_path / "voice"
    folder.mkdir()
    sf.write(folder / "01.wav", clip, 16_000)
    sf.write(tmp_path / "answer.wav", clip[:8_000], 16_000)
    path = write(
        tmp_path,
        f"voice: {folder}\nanswers:\n  - text: first answer\n"
        "  - wav: answer.wav\n  - text: third\n",
    )
    script = load_script(path)
    rendered, last = render_script(script, FakeTTS(sample_rate=16_000))
    assert len(rendered[0].audio) == 16_000 and rendered[0].text == "first answer"  # the clip
    assert len(rendered[1].audio) == 8_000  # the wav answer, path relative to the script
    assert rendered[2].text == "third" and len(rendered[2].audio) > 0  # no clip left: TTS
    assert last.text and len(last.audio) > 0


def test_an_answer_may_name_its_question() -> None:
    script = parse_script({"answers": [{"text": "I led it.", "question": "What did you do?"}]}, "s")
    assert script.answers[0].question == "What did you do?"


def test_the_candidate_counts_a_cut_in_and_finishes_its_answer() -> None:
    """The interviewer speaks while an answer is still going: one cut-in, at its time in the
    answer; the answer is spoken to its end, and the next one waits for it."""
    link = VirtualDuplexLink()
    tone = (0.2 * np.sin(np.arange(16_000) / 5)).astype(np.float32)
    answers = [RenderedAnswer(np.tile(tone, 2), "first"), RenderedAnswer(tone[:8000], "second")]
    cand = SimulatedCandidate(link.candidate, answers, RenderedAnswer(tone[:100], ""), gap_s=0.1)
    heard: list[np.ndarray] = []
    link.start(lambda frame, t: heard.append(frame))
    cand.start(time.monotonic)
    try:
        cand.your_turn()
        time.sleep(0.8)  # 0.7 s into a 2 s answer, the interviewer talks
        link.playback.write(1, "Thank you.", tone[:4000])
        cand.your_turn()
        deadline = time.monotonic() + 6
        while len(cand.spans) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        cand.stop()
        link.stop()
    assert [c.answer for c in cand.cut_ins] == [0]
    assert 0.4 <= cand.cut_ins[0].at_s <= 1.2
    (s1, e1), (s2, _) = cand.spans
    assert e1 - s1 == pytest.approx(2.0, abs=0.01)
    assert s2 >= e1  # the second answer did not start over the first
