"""What the figures were measured on: CPU, GPU, library versions, models and devices used."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from interviewer.config import Settings

LIBRARIES = (
    "interviewer",
    "faster-whisper",
    "ctranslate2",
    "llama_cpp_python",
    "piper-tts",
    "onnxruntime",
    "onnxruntime-gpu",
    "torch",
    "silero-vad",
    "numpy",
    "duckdb",
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def library_versions() -> dict[str, str]:
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def gpus() -> list[dict[str, str]]:
    """NVIDIA GPUs as nvidia-smi lists them (empty without a driver)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    rows = []
    for line in out.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3:
            rows.append({"name": parts[0], "memory": parts[1], "driver": parts[2]})
    return rows


def cuda_support() -> dict[str, Any]:
    """Whether the engine libraries themselves can use CUDA here (what ``auto`` decides on)."""
    from interviewer.engines import cuda_available, llama_gpu_offload

    info: dict[str, Any] = {"ctranslate2": cuda_available(), "llama_cpp": llama_gpu_offload()}
    try:
        import onnxruntime

        info["onnxruntime_providers"] = list(onnxruntime.get_available_providers())
    except Exception:
        info["onnxruntime_providers"] = []
    return info


def devices_used(engines: dict[str, Any]) -> dict[str, str]:
    """The device each loaded engine actually runs on, read from the engine objects."""
    used: dict[str, str] = {}
    for role, eng in engines.items():
        if role == "candidate_tts":
            continue
        used[role] = _device_of(role, eng)
    return used


def _device_of(role: str, eng: Any) -> str:
    if role == "stt":
        device = getattr(eng, "device", None)
        compute = getattr(eng, "compute_type", None)
        if device is None:
            return "n/a"
        return f"{device} ({compute})" if compute else str(device)
    if role == "llm":
        inner = getattr(eng, "_llm", None)
        if inner is None:
            return "n/a"
        layers = int(getattr(getattr(inner, "model_params", None), "n_gpu_layers", 0) or 0)
        from interviewer.engines import llama_gpu_offload

        # n_gpu_layers is what was asked for; without a GPU build llama.cpp ignores it
        return "cuda" if layers != 0 and llama_gpu_offload() else "cpu"
    if role == "tts":
        session = getattr(getattr(eng, "_voice", None), "session", None)
        if session is None:
            return "n/a"
        providers = list(session.get_providers())
        return "cuda" if providers and providers[0].startswith("CUDA") else "cpu"
    if role == "vad":
        # Silero runs on torch; the model is never moved off the CPU
        return "cpu" if hasattr(eng, "_torch") else "n/a"
    return "n/a"


def model_ids(engines: dict[str, Any]) -> dict[str, str]:
    return {
        role: str(getattr(eng, "model_id", type(eng).__name__))
        for role, eng in engines.items()
        if role != "candidate_tts"
    }


def machine_info(settings: Settings, engines: dict[str, Any]) -> dict[str, Any]:
    try:
        import psutil

        memory_gb: float | None = round(psutil.virtual_memory().total / 2**30, 1)
        physical = psutil.cpu_count(logical=False)
    except Exception:
        memory_gb, physical = None, None
    return {
        "cpu": cpu_model(),
        "cores_logical": os.cpu_count(),
        "cores_physical": physical,
        "memory_gb": memory_gb,
        "gpus": gpus(),
        "cuda": cuda_support(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": library_versions(),
        "device_requested": settings.device,
        "threads": settings.threads,
        "models": model_ids(engines),
        "devices": devices_used(engines),
    }
