"""The answer of record on Whisper tiny.en (embedded) and real recordings in ../shared/audio.

Each answer here is real speech: clips from ../shared/audio joined with pauses, so the
streaming pass cuts and commits it where a candidate's pauses would.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from interviewer.audio.io import load_audio
from interviewer.metrics import normalize_text, word_error_rate
from interviewer.pipeline.record import FinalDecoding, degenerate, repeated_ngrams
from interviewer.pipeline.transcriber import StreamingTranscriber
from tests.conftest import CLIPS, SHARED_AUDIO

pytestmark = pytest.mark.real

# Clips tiny.en hears word for word on their own (tests/test_stt_real.py), so a word lost or
# doubled in the joined answer is the join's doing, not the recogniser's.
PIECES = (
    "sb_harvard_spk1_snt1.wav",
    "sb_harvard_spk1_snt3.wav",
    "sb_harvard_spk1_snt5.wav",
    "sb_harvard_example1.wav",
)
REFS = {c.path.name: c.reference or "" for c in CLIPS}
FRAME = 512


def _run_answer(stt, pieces, pause_s: float = 0.6, words_group_s: float = 15.0):  # type: ignore[no-untyped-def]
    """Feed ``pieces`` with ``pause_s`` of silence between them through the streaming
    transcriber as the listener would (a final at each pause, committed when speech resumes),
    and return the full pass's text and the streamed text."""
    tr = StreamingTranscriber(stt, time.monotonic, partial_every_s=1e9, words_group_s=words_group_s)
    tr.start()
    try:
        tr.begin([], [])
        silence = np.zeros(int(pause_s * 16_000), dtype=np.float32)
        streamed = None
        for i, audio in enumerate(pieces, start=1):
            for at in range(0, len(audio), FRAME):
                tr.append(audio[at : at + FRAME], 0.9)
            tr.request_final(i)
            final = tr.final_for(i, 60)
            assert final is not None
            streamed = final.text
            if i < len(pieces):
                for at in range(0, len(silence), FRAME):
                    tr.append(silence[at : at + FRAME], 0.05)
                tr.resume(i, pause_s)
        tr.finish(len(pieces))
        words, text = tr.full_pass(tr.epoch, 120)
        passes = tr.calls["words"]
    finally:
        tr.stop()
    return words, text, streamed, passes


# 1e9: one pass after the turn; 5 s: the incremental pass, a group per two pieces
@pytest.mark.parametrize("group_s", [1e9, 5.0])
def test_no_word_is_doubled_or_dropped_where_pieces_join(real_stt, group_s) -> None:  # type: ignore[no-untyped-def]
    pieces = [load_audio(SHARED_AUDIO / name) for name in PIECES]
    words, text, streamed, passes = _run_answer(real_stt, pieces, words_group_s=group_s)
    assert text is not None and words
    assert passes == (1 if group_s > 100 else 2), passes
    # the word timestamps hold each word of the text in order, none twice at a join, and none
    # of a stretch the repair dropped (tiny.en writes "We'll see you next time, see you next
    # time, ..." into the silence at the end of the first group on some CPUs)
    heard = normalize_text(" ".join(w.word for w in words)).split()
    rest = iter(heard)
    assert all(w in rest for w in normalize_text(text).split()), (heard, text)
    assert repeated_ngrams(" ".join(heard)) == 0, heard
    assert [w.start for w in words] == sorted(w.start for w in words)
    reference = " ".join(REFS[name] for name in PIECES)
    hyp = normalize_text(text).split()
    assert repeated_ngrams(" ".join(hyp)) == 0, text
    # every join's last and first words are heard once each, in order
    for left, right in itertools.pairwise(PIECES):
        last = normalize_text(REFS[left]).split()[-1]
        first = normalize_text(REFS[right]).split()[0]
        assert hyp.count(last) == normalize_text(reference).split().count(last), (last, text)
        assert hyp.count(first) == normalize_text(reference).split().count(first), (first, text)
    assert word_error_rate(reference, text) <= 0.1, (text, streamed)


def test_full_pass_decoding_never_loops_on_the_real_clips(real_stt) -> None:  # type: ignore[no-untyped-def]
    """Beam 5 with the compression-ratio guard: no stored answer repeats itself."""
    decoding = FinalDecoding()
    for clip in CLIPS:
        if clip.duration > 40:
            continue  # the long dialogue is covered by tests/test_stt_real.py
        text = real_stt.transcribe(
            load_audio(clip.path), word_timestamps=True, **decoding.kwargs()
        ).text
        assert not degenerate(text), (clip.path.name, text)


def test_the_prompt_is_context_never_transcribed(real_stt) -> None:  # type: ignore[no-untyped-def]
    """The question and its terms bias spelling; they must not appear in, or replace, what was
    said."""
    clip = next(c for c in CLIPS if c.path.name == "jfk_ask_not.flac")
    decoding = FinalDecoding(5, "Tell me about a time you led a project?", "Kubernetes, NDCG")
    text = real_stt.transcribe(
        load_audio(clip.path), word_timestamps=True, **decoding.kwargs()
    ).text
    assert word_error_rate(clip.reference or "", text) <= 0.1, text
    assert "kubernetes" not in text.lower() and "ndcg" not in text.lower()


def test_word_probabilities_reach_the_full_pass(real_stt) -> None:  # type: ignore[no-untyped-def]
    """The unsure-word marks rest on the words' probabilities: real ones, in (0, 1]."""
    clip = next(c for c in CLIPS if c.path.name == "speechocean762_096260007.wav")
    words = real_stt.transcribe(load_audio(clip.path), word_timestamps=True, beam_size=5).words
    assert words and all(0.0 < w.probability <= 1.0 for w in words)
    # the accented clip tiny.en mishears: some of its words are guesses
    assert min(w.probability for w in words) < 0.5
