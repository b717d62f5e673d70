"""Long monologues, a real recording as the microphone, Ctrl-C, missing audio devices."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from interviewer.audio.duplex import WavFileSource
from interviewer.engines.fakes import FakeSTT, FakeTTS
from interviewer.interview.fixed import FixedQuestionsBrain
from interviewer.metrics import word_error_rate
from interviewer.pipeline.runner import InterviewRunner, RunnerConfig
from interviewer.pipeline.transcriber import StreamingTranscriber
from interviewer.store import Store
from tests.conftest import clip_named


def test_five_minute_monologue_keeps_memory_bounded_and_text_whole() -> None:
    chunk_words = iter(range(10_000))
    stt = FakeSTT(lambda audio: f"w{next(chunk_words)}")
    tr = StreamingTranscriber(stt, time.monotonic, commit_after_s=20.0, partial_every_s=1e9)
    tr.start()
    try:
        frame = np.full(512, 0.2, dtype=np.float32)
        tr.begin([frame], [0.9])
        most_held = 0
        for _ in range(int(300 * 16_000 / 512)):  # five minutes of speech, no pause
            tr.append(frame, 0.9)
            with tr._cond:
                held = tr._utt.total - tr._utt.base
            most_held = max(most_held, held)
            # real time gives the worker 32 ms per frame; here, wait for it when it lags
            waited = 0
            while held > 22 * 16_000 and waited < 2000:
                time.sleep(0.001)
                waited += 1
                with tr._cond:
                    held = tr._utt.total - tr._utt.base
        tr.request_final(1)
        final = tr.final_for(1, timeout=10)
    finally:
        tr.stop()
    assert final is not None
    # every stretch's text is in the final, in order, and the audio held never grew past ~20 s
    commits = tr.calls["commit"]
    assert commits >= 14
    numbers = [int(w[1:]) for w in final.text.split()]
    # the last stretch may be empty when the commits used up the audio exactly
    assert len(numbers) in (commits, commits + 1) and numbers == sorted(set(numbers))
    assert most_held < 27 * 16_000


@pytest.mark.real
def test_a_real_recording_as_the_microphone(real_vad, real_stt) -> None:  # type: ignore[no-untyped-def]
    clip = clip_named("librispeech")
    source = WavFileSource(clip.path)
    brain = FixedQuestionsBrain(["Please read the sentence."], greeting="Hi.")
    runner = InterviewRunner(
        brain=brain, vad=real_vad, stt=real_stt, tts=FakeTTS(seconds_per_char=0.005),
        duplex=source, config=RunnerConfig(listen_after_s=0.0),
    )  # fmt: skip
    th = threading.Thread(target=runner.run)
    th.start()
    th.join(60)
    assert not th.is_alive()
    assert clip.reference is not None
    assert word_error_rate(clip.reference, brain.answers[0].text) <= 0.15
    ex = runner.transcript()["latency"]["exchanges"][0]
    assert ex["speech_end"] is not None and ex["playback_start"] > ex["speech_end"]


@pytest.mark.real
def test_ctrl_c_keeps_everything_recorded(tmp_path: Path) -> None:
    out, db = tmp_path / "out", tmp_path / "db.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-m", "interviewer", "--llm", "embedded", "demo", "--questions", "2",
         "--out", str(out), "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # a shell running this suite in the background hands SIGINT down as ignored; a
        # terminal user's Ctrl-C is not ignored, so give the child the default disposition
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    seen = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 240
    # wait until the first answer has been heard and the interviewer has replied to it
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        heard = sum(ln.startswith("candidate ") for ln in seen)
        if heard >= 1 and line.startswith("interviewer "):
            break
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, "".join(seen) + rest
    assert "Traceback" not in rest
    doc = json.loads((out / "transcript.json").read_text())
    assert doc["stats"]["interrupted"] is True
    assert any(t["speaker"] == "candidate" and t["text"] for t in doc["turns"]), (doc, seen)
    assert (out / "conversation.wav").stat().st_size > 16_000 * 4
    with Store.open(db) as store:
        (session,) = store.list_sessions()
        assert session.status == "interrupted"
        assert session.turn_count >= 1


def test_devices_lists_or_explains() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "interviewer", "devices"], capture_output=True, text=True, timeout=60
    )
    if proc.returncode == 0:
        assert "audio devices" in proc.stdout
    else:
        # no PortAudio library on this machine: one line with the fix, no traceback
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert "PortAudio" in proc.stderr and "libportaudio2" in proc.stderr
