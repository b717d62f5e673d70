"""Sentence chunking of streamed text, and the TTS worker's cache (fakes)."""

from __future__ import annotations

import pytest

from interviewer.audio.playback import PlaybackBuffer
from interviewer.engines.fakes import FakeTTS
from interviewer.pipeline.speaker import Speaker, chunk_sentences
from tests.conftest import wait_until


@pytest.mark.parametrize(
    "pieces,expected",
    [
        (["Let's begin.", "Tell me about X."], ["Let's begin.", "Tell me about X."]),
        (["Thanks", ". ", "Could", " you", " explain?"], ["Thanks.", "Could you explain?"]),
        (["We use e.g.", " pandas here."], ["We use e.g. pandas here."]),
        (["It costs 3.", "5 dollars."], ["It costs 3.5 dollars."]),
        (["no punctuation at the end"], ["no punctuation at the end"]),
        ([], []),
    ],
)
def test_chunk_sentences(pieces: list[str], expected: list[str]) -> None:
    assert list(chunk_sentences(pieces)) == expected


def test_first_sentence_is_released_before_the_next_piece_exists() -> None:
    released: list[str] = []

    def slow_llm():  # type: ignore[no-untyped-def]
        yield "Thanks."
        # by the time the generator resumes, the chunker must already have handed this out
        assert released == ["Thanks."]
        yield "What was the outcome?"

    for sentence in chunk_sentences(slow_llm()):
        released.append(sentence)
    assert released == ["Thanks.", "What was the outcome?"]


def test_speaker_caches_prepared_sentences() -> None:
    tts = FakeTTS(seconds_per_char=0.001)
    playback = PlaybackBuffer(16_000)
    speaker = Speaker(tts, playback)
    speaker.start()
    try:
        speaker.prepare("Thank you. Next question.")
        assert wait_until(lambda: speaker.synthesized >= 2)
        assert speaker.synthesized == 2
        speaker.say(1, "Thank you.")
        assert speaker.wait_idle(5)
        assert speaker.cache_hits == 1 and speaker.synthesized == 2
        assert playback.busy
        speaker.cancel()
        speaker.say(2, "Something new.")  # queued after cancel: still spoken
        assert speaker.wait_idle(5)
        assert tts.spoken.count("Something new.") == 1
    finally:
        speaker.stop()


class _FailingTTS(FakeTTS):
    """Raises on each sentence of ``fail`` as many times as its count, then speaks it."""

    def __init__(self, fail: dict[str, int]) -> None:
        super().__init__(seconds_per_char=0.001)
        self.fail = dict(fail)

    def synthesize(self, text):  # type: ignore[no-untyped-def]
        if self.fail.get(text, 0) > 0:
            self.fail[text] -= 1
            raise RuntimeError(f"replica lost while saying {text!r}")
        yield from super().synthesize(text)


def test_an_engine_error_never_stops_the_worker() -> None:
    """A failed synthesis made ahead is made again when said; a sentence that fails twice is
    skipped; the sentences after it are still spoken, and waiting on them never hangs (a
    cluster interview hung in wait_idle when a node with a TTS replica went away)."""
    tts = _FailingTTS({"Ahead.": 1, "Flaky.": 1, "Broken.": 5})
    playback = PlaybackBuffer(16_000)
    speaker = Speaker(tts, playback)
    speaker.start()
    try:
        speaker.prepare("Ahead.")
        assert wait_until(lambda: tts.fail["Ahead."] == 0)  # the guess failed on the worker
        for i, sentence in enumerate(["Ahead.", "Flaky.", "Broken.", "After."]):
            speaker.say(i + 1, sentence)
        assert speaker.wait_idle(5)
        assert speaker.failed == 1
        assert tts.spoken == ["Ahead.", "Flaky.", "After."]
    finally:
        speaker.stop()
