"""The speculative final at a pause, on the real models: it must hear the answer's last words,
since the end-of-turn prediction reads them (an outcome said, or still to come)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from interviewer.audio.candidate import candidate_voice, render_text
from interviewer.bench.turns import load_turn_set
from interviewer.bench.turns_replay import FRAME, PAUSE_RE
from interviewer.metrics import normalize_text
from interviewer.pipeline.endpointing import EndpointConfig
from interviewer.pipeline.transcriber import StreamingTranscriber
from tests.conftest import EMBEDDED

pytestmark = pytest.mark.real


def test_the_final_at_the_answer_end_hears_its_last_words(real_vad, real_stt) -> None:  # type: ignore[no-untyped-def]
    """``set_c`` answer 6, as the live transcriber held it when the prediction nudged after its
    real end: the 7 s since the last commit, cut at the pause's first silent frame. Decoded as
    it was, tiny.en wrote "... we built the full dashboard a" for "... a month later.", so the
    story had no outcome and the interviewer said "Take your time." to a finished answer."""
    script = next(s for s in load_turn_set() if Path(s.source).stem == "set_c")
    said = " ".join(PAUSE_RE.sub(" ", script.answers[6].text or "").split())
    assert said.endswith("we built the full dashboard a month later.")
    audio = render_text(candidate_voice(EMBEDDED, script, seed=0), said)
    real_vad.reset()
    frames = [audio[i : i + FRAME] for i in range(0, len(audio) - FRAME + 1, FRAME)]
    probs = [float(real_vad.speech_prob(f)) for f in frames]
    last_voiced = max(k for k, p in enumerate(probs) if p >= EndpointConfig().threshold)
    start = int(5.12 * 16_000) // FRAME  # where the live run's last commit had cut

    tr = StreamingTranscriber(real_stt, time.monotonic, partial_every_s=1e9)
    tr.start()
    try:
        tr.begin([], [])
        end = last_voiced + 2  # the pause's first silent frame, as the listener hands it over
        for f, p in zip(frames[start:end], probs[start:end], strict=True):
            tr.append(f, p)
        tr.request_final(1)
        final = tr.final_for(1, 60)
    finally:
        tr.stop()
    assert final is not None
    assert normalize_text(final.text).endswith("a month later"), final.text
    # the audio the final covers is the speech, not the silence it was decoded with
    assert final.covers == (end - start) * FRAME
