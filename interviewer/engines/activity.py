"""Foreground engine work in flight (speech recognition), process-wide.

Background LLM work (scoring) pauses between tokens, and waits before it starts, while any is
in flight: on a small CPU they compete for the same cores, and the interviewer's turn-taking
waits on the recogniser's speculative final. Measured with ``demo --score`` against
``--no-score`` before this existed: p95 voice-to-voice rose from 0.9 s to 1.8-2.0 s.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_cond = threading.Condition()
_in_flight = 0


@contextmanager
def foreground() -> Iterator[None]:
    """Mark the enclosed engine call as foreground work."""
    global _in_flight
    with _cond:
        _in_flight += 1
    try:
        yield
    finally:
        with _cond:
            _in_flight -= 1
            if not _in_flight:
                _cond.notify_all()


def busy() -> bool:
    return _in_flight > 0


def wait_idle(timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for no foreground work; True if idle."""
    with _cond:
        if _in_flight:
            _cond.wait(timeout)
        return not _in_flight
