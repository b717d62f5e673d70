"""Pacing a reply on the audio actually played: what the speaking side offers (:class:`Voice`)
and how long the line may stay quiet (for ``FollowUpPolicy`` in ``interview/followup.py``).
"""

from __future__ import annotations

import time
from typing import Protocol

__all__ = [
    "AUDIO_FIRST_S",
    "BRIDGE_AFTER_S",
    "HANDOFF_S",
    "PACE_CAP_S",
    "POLL_S",
    "Voice",
    "in_time",
    "soon_ready",
]

#: With a voice to pace on (:class:`Voice`): the next sentence is queued once no more than this
#: much of the previous one is left to play (its last word and trailing silence), so it follows
#: at the natural pause between sentences even when the brain's thread is slow to wake.
HANDOFF_S = 0.4
#: How long the line may stay quiet after the acknowledgement (beyond the silence at its end)
#: while the quote is still being synthesized, before a stock bridge phrase fills it.
BRIDGE_AFTER_S = 0.3
#: How often :meth:`FollowUpPolicy.compose` looks at the model and the voice while it waits.
POLL_S = 0.03
#: The longest the model waits for the rules' follow-up to be synthesized before it starts.
AUDIO_FIRST_S = 3.0
#: The longest :meth:`FollowUpPolicy.compose` waits on one sentence (a voice that stopped).
PACE_CAP_S = 10.0
#: How much sooner than the sentence playing ends a synthesis must be due to count as in time
#: (:func:`in_time`): the voice's speed is an average, and a busy CPU slows one synthesis.
ETA_MARGIN_S = 0.1


class Voice(Protocol):
    """The speaking side, as :meth:`FollowUpPolicy.compose` paces on it (the pipeline's
    ``Speaker``)."""

    def ahead(self) -> float:
        """Seconds of speech queued and not yet played (infinite while still synthesizing)."""
        ...

    def ready(self, text: str) -> bool:
        """True when ``text`` is synthesized, so saying it costs no wait."""
        ...

    def prepare(self, text: str, *, urgent: bool = False) -> None:
        """Synthesize ``text`` ahead (``urgent``: before anything else prepared)."""
        ...

    def eta(self, text: str) -> float:
        """Seconds until ``text`` is synthesized (0: it is; infinite: not on its way)."""
        ...

    def seconds(self, text: str) -> float | None:
        """How long ``text`` plays, if it is synthesized."""
        ...


def in_time(voice: Voice, text: str, before: str) -> bool:
    """True if ``text`` will be synthesized by the time ``before`` (synthesized) has played:
    said after it, it follows at the natural pause. A reply that is about to say ``before``
    asks this to choose it over a longer sentence that buys the synthesis more time."""
    if voice.ready(text):
        return True
    length = voice.seconds(before)
    return length is not None and voice.eta(text) <= length - ETA_MARGIN_S


def soon_ready(voice: Voice, text: str) -> bool:
    """True if ``text`` is synthesized before the line has been quiet for about
    ``BRIDGE_AFTER_S`` past the end of what plays now (no dead air yet: the pause between
    two sentences is about that long)."""
    quiet_since: float | None = None
    deadline = time.monotonic() + PACE_CAP_S  # a voice that stopped playing
    while not voice.ready(text):
        now = time.monotonic()
        if now > deadline:
            return False
        if voice.ahead() > 0:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= BRIDGE_AFTER_S:
            return False
        time.sleep(POLL_S)
    return True
