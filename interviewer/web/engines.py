"""The server's engines: loaded once per process, on first need; a VAD per interview.

STT, TTS and the LLM are shared by every interview (the LLM serialises its calls with a lock;
CTranslate2 and onnxruntime take concurrent calls). Silero VAD keeps state between frames, so
each interview gets its own instance from ``new_vad``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from interviewer.config import Settings
from interviewer.engines.base import LLM, STT, TTS, VAD


@dataclass
class EngineSet:
    stt: STT
    tts: TTS
    llm: LLM | None
    new_vad: Callable[[], VAD]
    #: role -> model id, stored with each session
    models: dict[str, str] = field(default_factory=dict)


Status = Literal["idle", "loading", "ready", "failed"]


class EngineHub:
    """Loads the engines with ``loader`` the first time :meth:`get` is called, once."""

    def __init__(self, loader: Callable[[], EngineSet]) -> None:
        self._loader = loader
        self._lock = threading.Lock()
        self._engines: EngineSet | None = None
        self.status: Status = "idle"
        self.error: str | None = None
        self.load_seconds: float | None = None

    @classmethod
    def ready(cls, engines: EngineSet) -> EngineHub:
        """A hub around engines already loaded (tests, benchmarks)."""
        hub = cls(lambda: engines)
        hub.get()
        return hub

    @property
    def loaded(self) -> bool:
        return self._engines is not None

    def get(self) -> EngineSet:
        """The engines; the first caller loads them and the others wait for it.

        A failed load is retried by the next caller (the error may have been fixed meanwhile,
        e.g. a model downloaded), and raises the loader's error to each caller.
        """
        if self._engines is not None:
            return self._engines
        with self._lock:
            if self._engines is None:
                self.status = "loading"
                t = time.perf_counter()
                try:
                    self._engines = self._loader()
                except BaseException as exc:
                    self.status = "failed"
                    self.error = str(exc)
                    raise
                self.load_seconds = round(time.perf_counter() - t, 2)
                self.status = "ready"
                self.error = None
            return self._engines


def settings_loader(settings: Settings) -> Callable[[], EngineSet]:
    """The real engines named by ``settings`` (the registry's usual resolution)."""

    def load() -> EngineSet:
        from interviewer import engines

        vad = engines.load_vad(settings)  # fails early on a missing VAD model, and gives its id
        stt = engines.load_stt(settings)
        tts = engines.load_tts(settings)
        llm = engines.load_llm(settings)
        models: dict[str, Any] = {
            "vad": getattr(vad, "model_id", type(vad).__name__),
            "stt": getattr(stt, "model_id", type(stt).__name__),
            "tts": getattr(tts, "model_id", type(tts).__name__),
            "llm": getattr(llm, "model_id", type(llm).__name__),
        }
        return EngineSet(
            stt=stt,
            tts=tts,
            llm=llm,
            new_vad=lambda: engines.load_vad(settings),
            models={k: str(v) for k, v in models.items()},
        )

    return load
