"""Engine factories: settings -> registry -> a loaded engine behind its protocol.

Imports of the heavy libraries happen inside the factories so that ``interviewer --help`` and
the fakes never pay for torch, CTranslate2 or llama.cpp.
"""

from __future__ import annotations

from interviewer.config import Settings
from interviewer.engines.base import LLM, STT, TTS, VAD
from interviewer.errors import DeviceError
from interviewer.registry import ResolvedModel, assemble_embedded_llm, resolve

__all__ = [
    "LLM",
    "STT",
    "TTS",
    "VAD",
    "load_llm",
    "load_stt",
    "load_stt_final",
    "load_tts",
    "load_vad",
    "resolve_device",
]


def cuda_available() -> bool:
    """True when CTranslate2 sees a CUDA device (it is the lightest library to ask)."""
    try:
        import ctranslate2

        return bool(ctranslate2.get_cuda_device_count() > 0)
    except Exception:
        return False


def llama_gpu_offload() -> bool:
    try:
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:
        return False


def resolve_device(device: str, engine: str = "stt") -> str:
    """``auto`` -> ``cuda`` when the engine's library can use a GPU here, else ``cpu``."""
    if device not in ("auto", "cpu", "cuda"):
        raise DeviceError(f"unknown device {device!r}; use auto, cpu or cuda")
    if device == "cpu":
        return "cpu"
    has_gpu = cuda_available() and (engine != "llm" or llama_gpu_offload())
    if device == "cuda" and not has_gpu:
        lib = "llama-cpp-python built with -DGGML_CUDA=on" if engine == "llm" else "a CUDA GPU"
        raise DeviceError(
            f"--device cuda: no CUDA for the {engine} engine ({lib} needed); use --device cpu"
        )
    return "cuda" if has_gpu else "cpu"


def _model(role: str, settings: Settings) -> ResolvedModel:
    model = resolve(role, settings)
    if role == "llm" and model.source == "embedded" and not model.path.exists():
        assemble_embedded_llm()
        model = resolve(role, settings)
    return model.require()


def load_vad(settings: Settings) -> VAD:
    from interviewer.engines.silero_vad import SileroVAD

    model = _model("vad", settings)
    return SileroVAD(model.path, model_id=model.model_id)


def load_stt(settings: Settings) -> STT:
    from interviewer.engines.whisper_stt import WhisperSTT

    s = settings
    model = _model("stt", s)
    return WhisperSTT(
        model.path,
        model_id=model.model_id,
        device=resolve_device(s.device, "stt"),
        cpu_threads=s.threads,
        # two model replicas: the full pass (answer of record) decodes on its own thread while
        # the candidate speaks, and the streaming pass's finals must not queue behind it
        num_workers=2,
    )


def load_stt_final(settings: Settings) -> STT | None:
    """The model of the full pass (``stt_final``), or None when the streaming one does both."""
    from dataclasses import replace

    if not settings.stt_final or settings.stt_final == settings.stt:
        return None
    return load_stt(replace(settings, stt=settings.stt_final))


def load_llm(settings: Settings) -> LLM:
    s = settings
    if s.llm_url:
        from interviewer.engines.remote_llm import RemoteLLM

        # ``llm`` names the server's model; auto/embedded take the one it lists first
        name = "" if s.llm in ("auto", "embedded") else s.llm
        return RemoteLLM(s.llm_url, model=name, timeout_s=s.llm_timeout)

    from interviewer.engines.llama_llm import LlamaLLM

    model = _model("llm", s)
    return LlamaLLM(
        model.path,
        model_id=model.model_id,
        device=resolve_device(s.device, "llm"),
        n_ctx=s.llm_context,
        threads=s.threads,
    )


def load_tts(
    settings: Settings,
    *,
    speed: float = 1.0,
    noise_scale: float | None = None,
    noise_w_scale: float | None = None,
) -> TTS:
    from interviewer.engines.piper_tts import PiperTTS

    s = settings
    model = _model("tts", s)
    # Piper's CUDA path needs onnxruntime-gpu; CPU is fast enough for one voice in real time.
    device = "cuda" if s.device == "cuda" else "cpu"
    return PiperTTS(
        model.path,
        model.config_path,
        model_id=model.model_id,
        device=device,
        speed=speed,
        noise_scale=noise_scale,
        noise_w_scale=noise_w_scale,
    )
