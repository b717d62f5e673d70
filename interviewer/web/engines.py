"""The server's engines: loaded once per process, on first need; a VAD per interview.

The engines are the application context's (:class:`interviewer.context.Engines`). STT, TTS and
the LLM are shared by every interview (the LLM serialises its calls with a lock; CTranslate2
and onnxruntime take concurrent calls). Silero VAD keeps state between frames, so each
interview gets its own instance from ``Engines.new_vad``. The hub adds what the pages show:
whether the models are loading, ready or failed, and how long they took.
"""

from __future__ import annotations

import threading
import time
from typing import Literal

from interviewer.context import Engines

Status = Literal["idle", "loading", "ready", "failed"]

#: Loaded before the first interview; the VAD is made per interview.
SHARED_ROLES = ("stt", "tts", "llm")


class EngineHub:
    """Loads the shared engines the first time :meth:`get` is called, once."""

    def __init__(self, engines: Engines) -> None:
        self.engines = engines
        self._lock = threading.Lock()
        self._ready = False
        self.status: Status = "idle"
        self.error: str | None = None
        self.load_seconds: float | None = None

    @classmethod
    def ready(cls, engines: Engines) -> EngineHub:
        """A hub around engines already loaded (tests, benchmarks)."""
        hub = cls(engines)
        hub.get()
        return hub

    @property
    def loaded(self) -> bool:
        return self._ready

    def get(self) -> Engines:
        """The engines; the first caller loads them and the others wait for it.

        A failed load is retried by the next caller (the error may have been fixed meanwhile,
        e.g. a model downloaded), and raises the loader's error to each caller.
        """
        if self._ready:
            return self.engines
        with self._lock:
            if not self._ready:
                self.status = "loading"
                t = time.perf_counter()
                try:
                    self.engines.load(SHARED_ROLES)
                except BaseException as exc:
                    self.status = "failed"
                    self.error = str(exc)
                    raise
                self.load_seconds = round(time.perf_counter() - t, 2)
                self.status = "ready"
                self.error = None
                self._ready = True
            return self.engines
