"""The application context: what every entry point (CLI, web app, demo, bench) sets up once.

Built from :class:`~interviewer.config.Settings`, it holds the question bank (the shipped one
plus the user's own folder), the store (opened on first use) and the engines (loaded on first
use, with their model ids and whether the LLM is instruction-tuned). Code below the entry
points takes the context, or the pieces of it it needs, and never builds its own: a second
bank or default settings built somewhere deep is how the web app once lost the user's
questions and treated every LLM as a base model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interviewer.config import Settings, user_data_dir

if TYPE_CHECKING:
    from interviewer.engines.base import LLM, STT, TTS, VAD
    from interviewer.interview.bank import Bank
    from interviewer.store import Store

__all__ = ["ENGINE_ROLES", "AppContext", "Engines", "default_bank_dirs", "user_bank_dir"]

#: The interviewer's engines, in the order they are loaded (VAD first: it fails fastest).
ENGINE_ROLES = ("vad", "stt", "tts", "llm")

Factory = Callable[[], Any]


def user_bank_dir() -> Path:
    """The user's own questions (``interviewer bank add`` / ``bank import`` write here)."""
    return user_data_dir() / "questionbank"


def default_bank_dirs(user_dir: Path | None = None) -> list[Path]:
    """The shipped bank, plus the user's folder when it exists."""
    from interviewer.interview.bank import DEFAULT_BANK_DIR

    user = user_dir if user_dir is not None else user_bank_dir()
    return [DEFAULT_BANK_DIR, user] if user.is_dir() else [DEFAULT_BANK_DIR]


def llm_is_instruction_tuned(settings: Settings) -> bool:
    """A downloaded or user-supplied LLM is taken as instruction-tuned; the embedded one is not.

    A remote one (``llm_url``) is a chat model unless ``llm`` says the server runs the
    embedded base model.
    """
    from interviewer.registry import resolve

    if settings.llm_url:
        return settings.llm != "embedded"

    return resolve("llm", settings).source != "embedded"


def _default_factories(settings: Settings) -> dict[str, Factory]:
    from interviewer import engines

    def candidate() -> Any:
        from interviewer.audio.candidate import candidate_voice

        # a fixed seed: every run hears the same candidate audio
        return candidate_voice(settings, None, seed=0)

    return {
        "vad": lambda: engines.load_vad(settings),
        "stt": lambda: engines.load_stt(settings),
        # None when ``stt`` does both passes
        "stt_final": lambda: engines.load_stt_final(settings),
        "llm": lambda: engines.load_llm(settings),
        "tts": lambda: engines.load_tts(settings),
        "candidate_tts": candidate,
    }


def model_id(engine: Any) -> str:
    return str(getattr(engine, "model_id", type(engine).__name__))


class Engines:
    """Engines loaded on first use, once, with their load times and model ids.

    ``factories`` replaces some or all of the real loaders (tests pass fakes); roles without
    one load the model ``settings`` names. Silero VAD keeps recurrent state between frames, so
    :meth:`new_vad` gives each interview (or stream) its own instance; :attr:`vad` is one shared
    instance for measurements. STT, TTS and the LLM are shared (the LLM serialises its calls).

    ``instruction_tuned`` overrides what the registry says about the LLM (fakes have no
    registry entry). ``on_load`` is told each role as its loading starts (progress lines).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        factories: Mapping[str, Factory] | None = None,
        instruction_tuned: bool | None = None,
        models: Mapping[str, str] | None = None,
        on_load: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self._overrides = dict(factories or {})
        self._factories: dict[str, Factory] | None = None
        self._instruction_tuned = instruction_tuned
        self._models = dict(models or {})
        self.on_load = on_load
        #: seconds each role took to load
        self.load_s: dict[str, float] = {}
        #: candidate answers already rendered (the bench renders each text once per run)
        self.rendered: dict[str, Any] = {}
        self._loaded: dict[str, Any] = {}
        self._lock = threading.RLock()

    @classmethod
    def of(
        cls,
        settings: Settings,
        *,
        stt: STT | None = None,
        tts: TTS | None = None,
        llm: LLM | None = None,
        new_vad: Callable[[], VAD] | None = None,
        models: Mapping[str, str] | None = None,
        instruction_tuned: bool = False,
    ) -> Engines:
        """Engines already loaded (tests, and callers that hold engines of their own)."""
        factories: dict[str, Factory] = {}
        if new_vad is not None:
            factories["vad"] = new_vad
        engines = cls(
            settings, factories=factories, instruction_tuned=instruction_tuned, models=models
        )
        for role, engine in (("stt", stt), ("tts", tts), ("llm", llm)):
            if engine is not None:
                engines._loaded[role] = engine
        return engines

    # ------------------------------------------------------------------ loading

    def factory(self, role: str) -> Factory:
        if self._factories is None:
            defaults = _default_factories(self.settings)
            defaults.update(self._overrides)
            self._factories = defaults
        try:
            return self._factories[role]
        except KeyError:
            raise KeyError(f"no engine factory for role {role!r}") from None

    def overridden(self, role: str) -> bool:
        """Whether ``role`` loads through a factory given by the caller (a fake, in tests)."""
        return role in self._overrides

    def set_factory(self, role: str, factory: Factory) -> None:
        """Load ``role`` with ``factory`` (e.g. the demo's candidate voice for its script)."""
        with self._lock:
            if role in self._loaded:
                raise RuntimeError(f"the {role} engine is already loaded")
            self._overrides[role] = factory
            if self._factories is not None:
                self._factories[role] = factory

    def get(self, role: str) -> Any:
        """The engine for ``role``; the first call loads it (others wait for that load)."""
        if role in self._loaded:
            return self._loaded[role]
        with self._lock:
            if role not in self._loaded:
                if self.on_load is not None:
                    self.on_load(role)
                t0 = time.perf_counter()
                self._loaded[role] = self.factory(role)()
                self.load_s[role] = round(time.perf_counter() - t0, 3)
            return self._loaded[role]

    def load(self, roles: Iterable[str] = ENGINE_ROLES) -> Engines:
        """Load ``roles`` now (a missing model then fails before anything starts)."""
        for role in roles:
            self.get(role)
        return self

    def is_loaded(self, role: str) -> bool:
        return role in self._loaded

    def loaded(self) -> dict[str, Any]:
        return dict(self._loaded)

    def new_vad(self) -> VAD:
        """A fresh VAD instance: one per interview, since Silero keeps state between frames."""
        vad: VAD = self.factory("vad")()
        self._models.setdefault("vad", model_id(vad))
        return vad

    def timed_new_vad(self) -> tuple[VAD, float]:
        t0 = time.perf_counter()
        vad = self.new_vad()
        return vad, time.perf_counter() - t0

    # ------------------------------------------------------------------ the engines

    @property
    def vad(self) -> Any:
        return self.get("vad")

    @property
    def stt(self) -> Any:
        return self.get("stt")

    @property
    def stt_final(self) -> Any:
        """The full pass's model (``--stt-final``), or None when :attr:`stt` does both."""
        return self.get("stt_final") if self.settings.stt_final else None

    @property
    def llm(self) -> Any:
        return self.get("llm")

    @property
    def tts(self) -> Any:
        return self.get("tts")

    @property
    def candidate_tts(self) -> Any:
        return self.get("candidate_tts")

    @property
    def instruction_tuned(self) -> bool:
        """Whether the LLM takes chat messages (decides prompts and the scoring blend)."""
        if self._instruction_tuned is None:
            self._instruction_tuned = llm_is_instruction_tuned(self.settings)
        return self._instruction_tuned

    @property
    def models(self) -> dict[str, str]:
        """Role -> model id of the interviewer's engines loaded so far (stored per session)."""
        ids = dict(self._models)
        for role in ENGINE_ROLES:
            if role in self._loaded:
                ids[role] = model_id(self._loaded[role])
        return {r: ids[r] for r in ENGINE_ROLES if r in ids}


class AppContext:
    """Settings, bank, store and engines of one process, set up once by its entry point.

    The bank and the store load on first use: commands that need neither never pay for them.
    ``close()`` (or ``with``) closes the store if it was opened.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        bank_dirs: Iterable[Path] | None = None,
        user_bank: Path | None = None,
        db: Path | None = None,
        engines: Engines | None = None,
        bank: Bank | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings
        #: where ``bank add`` / ``bank import`` write the user's own questions
        self.user_bank_dir = user_bank if user_bank is not None else user_bank_dir()
        self._bank_dirs = list(bank_dirs) if bank_dirs is not None else None
        self.db = db
        self.engines = engines if engines is not None else Engines(settings)
        self._bank = bank
        self._store = store
        self._owns_store = store is None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        bank_dirs: Iterable[Path] | None = None,
        user_bank: Path | None = None,
        db: Path | None = None,
        engines: Engines | None = None,
    ) -> AppContext:
        return cls(settings, bank_dirs=bank_dirs, user_bank=user_bank, db=db, engines=engines)

    @property
    def bank_dirs(self) -> list[Path]:
        """The bank's folders: the shipped one plus the user's, unless given explicitly."""
        if self._bank_dirs is not None:
            return list(self._bank_dirs)
        return default_bank_dirs(self.user_bank_dir)

    @property
    def bank(self) -> Bank:
        if self._bank is None:
            with self._lock:
                if self._bank is None:
                    from interviewer.interview.bank import load_bank

                    self._bank = load_bank(self.bank_dirs)
        return self._bank

    def reload_bank(self) -> Bank:
        """Read the bank's files again (after ``bank add``)."""
        self._bank = None
        return self.bank

    @property
    def store(self) -> Store:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    from interviewer.store import Store

                    self._store = Store.open(self.db)
                    self._owns_store = True
        return self._store

    @property
    def instruction_tuned(self) -> bool:
        return self.engines.instruction_tuned

    def close(self) -> None:
        """Close the store if this context opened it."""
        store, self._store = self._store, None
        if store is not None and self._owns_store:
            store.close()

    def __enter__(self) -> AppContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
