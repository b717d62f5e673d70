"""Settings: defaults < TOML file < environment < CLI flags.

Model choices are strings per role: ``auto`` (a downloaded upgrade if there is one, else the
embedded default), ``embedded``, a manifest name (``whisper-small.en``) or a path to the files.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import platformdirs

from interviewer.errors import ConfigError

ROLES = ("vad", "stt", "llm", "tts")
Device = Literal["auto", "cpu", "cuda"]

APP_NAME = "interviewer"
REPO_ROOT = Path(__file__).resolve().parents[1]


def user_data_dir() -> Path:
    """Where the database, downloaded models and reports live (``INTERVIEWER_HOME`` overrides)."""
    env = os.environ.get("INTERVIEWER_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_cache_dir() -> Path:
    env = os.environ.get("INTERVIEWER_HOME")
    if env:
        return Path(env).expanduser() / "cache"
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def model_dirs() -> list[Path]:
    """Folders searched for downloaded models, in order.

    The checkout's ``models/`` comes first so a developer's downloads are found; the user data
    dir is where an installed package downloads to.
    """
    dirs: list[Path] = []
    env = os.environ.get("INTERVIEWER_MODELS_DIR")
    if env:
        dirs.append(Path(env).expanduser())
    repo_models = REPO_ROOT / "models"
    if (repo_models / "manifest.toml").exists():
        dirs.append(repo_models)
    dirs.append(user_data_dir() / "models")
    return dirs


@dataclass(frozen=True)
class Settings:
    """Everything an engine factory needs; immutable, so threads can share it."""

    vad: str = "auto"
    stt: str = "auto"
    llm: str = "auto"
    tts: str = "auto"
    #: the model of the full pass only (the stored answer), e.g. a larger Whisper; None: ``stt``
    stt_final: str | None = None
    device: Device = "auto"
    #: CPU threads per engine; 0 lets each library pick (all cores).
    threads: int = 0
    llm_context: int = 2048
    #: an OpenAI-compatible server to use instead of a local GGUF (``llm`` then names the
    #: server's model; auto/embedded: the first it lists)
    llm_url: str | None = None
    #: seconds to wait for the server's next token or JSON reply before falling back to rules
    llm_timeout: float = 30.0
    source: tuple[str, ...] = field(default=("defaults",), compare=False)

    def model_spec(self, role: str) -> str:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        return str(getattr(self, role))

    def with_overrides(self, origin: str, **values: Any) -> Settings:
        """Return a copy with the non-None ``values`` applied (flags, env)."""
        clean = {k: v for k, v in values.items() if v is not None}
        if not clean:
            return self
        known = {f.name for f in fields(self)} - {"source"}
        unknown = set(clean) - known
        if unknown:
            raise ConfigError(f"{origin}: unknown setting(s) {', '.join(sorted(unknown))}")
        if "device" in clean and clean["device"] not in ("auto", "cpu", "cuda"):
            raise ConfigError(
                f"{origin}: device must be auto, cpu or cuda, not {clean['device']!r}"
            )
        for int_key in ("threads", "llm_context"):
            if int_key in clean:
                try:
                    clean[int_key] = int(clean[int_key])
                except (TypeError, ValueError) as exc:
                    raise ConfigError(f"{origin}: {int_key} must be an integer") from exc
        if "llm_timeout" in clean:
            try:
                clean["llm_timeout"] = float(clean["llm_timeout"])
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{origin}: llm_timeout must be a number of seconds") from exc
            if not clean["llm_timeout"] > 0:
                raise ConfigError(f"{origin}: llm_timeout must be above 0")
        if "llm_url" in clean:
            url = str(clean["llm_url"]).strip()
            if not url.startswith(("http://", "https://")):
                raise ConfigError(
                    f"{origin}: llm_url {url!r} must be an http(s) URL, "
                    "e.g. http://127.0.0.1:11434/v1"
                )
            clean["llm_url"] = url
        return replace(self, **clean, source=(*self.source, origin))


def _from_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from exc
    flat: dict[str, Any] = {}
    models = data.pop("models", {})
    if not isinstance(models, dict):
        raise ConfigError(f"{path}: [models] must be a table of role = model")
    for role, spec in models.items():
        if role in ("stt_final", "llm_url"):
            flat[role] = str(spec)
            continue
        if role not in ROLES:
            raise ConfigError(
                f"{path}: [models] has unknown role {role!r}; roles: {', '.join(ROLES)}"
            )
        flat[role] = str(spec)
    engine = data.pop("engine", {})
    if isinstance(engine, dict):
        flat.update(engine)
    return flat


def load_settings(config_file: Path | None = None, **flags: Any) -> Settings:
    """Build settings from defaults, a TOML file, ``INTERVIEWER_*`` env vars and flags."""
    settings = Settings()
    path = config_file or default_config_path()
    if config_file is not None and not config_file.exists():
        raise ConfigError(f"{config_file}: no such config file")
    if path.exists():
        settings = settings.with_overrides(str(path), **_from_toml(path))
    env_values = {
        name: os.environ[f"INTERVIEWER_{name.upper()}"]
        for name in (*ROLES, "stt_final", "device", "threads", "llm_url", "llm_timeout")
        if f"INTERVIEWER_{name.upper()}" in os.environ
    }
    settings = settings.with_overrides("environment", **env_values)
    return settings.with_overrides("flags", **flags)
