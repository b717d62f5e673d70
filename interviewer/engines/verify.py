"""``interviewer models --verify``: load each role's engine and run a tiny inference on it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from interviewer.context import Engines

#: TTS before STT, so STT is checked on real speech (a round trip) rather than silence.
VERIFY_ORDER = ("vad", "tts", "stt", "llm")


@dataclass
class VerifyResult:
    ok: bool
    detail: str
    load_s: float = 0.0
    infer_s: float = 0.0


def verify_role(role: str, engines: Engines, shared: dict[str, Any]) -> VerifyResult:
    """Load ``role``'s engine from ``engines`` and check one small inference's output.

    ``shared`` carries the TTS's speech to the STT check (see :data:`VERIFY_ORDER`)."""
    t0 = time.perf_counter()
    if role == "vad":
        vad = engines.get("vad")
        t1 = time.perf_counter()
        frame = np.zeros(vad.frame_samples, dtype=np.float32)
        prob = vad.speech_prob(frame)
        if not 0.0 <= prob <= 1.0:
            return VerifyResult(False, f"speech probability {prob} outside [0, 1]")
        return VerifyResult(
            True, f"silence -> p(speech)={prob:.3f}", t1 - t0, time.perf_counter() - t1
        )
    if role == "tts":
        tts = engines.get("tts")
        t1 = time.perf_counter()
        chunks = list(tts.synthesize("Tell me about a project you are proud of."))
        audio = np.concatenate([c.audio for c in chunks]) if chunks else np.zeros(0, np.float32)
        if len(audio) < tts.sample_rate // 4:
            return VerifyResult(False, "synthesized less than 0.25 s of audio")
        from interviewer.audio.io import resample

        shared["tts_audio"] = resample(audio, tts.sample_rate)
        return VerifyResult(
            True,
            f"{len(audio) / tts.sample_rate:.2f} s of speech",
            t1 - t0,
            time.perf_counter() - t1,
        )
    if role == "stt":
        stt = engines.get("stt")
        t1 = time.perf_counter()
        heard = shared.get("tts_audio")
        audio = np.zeros(16_000, dtype=np.float32) if heard is None else heard
        text = stt.transcribe(audio).text
        detail = f"heard: {text!r}" if text else "ran on 1 s of silence"
        return VerifyResult(True, detail, t1 - t0, time.perf_counter() - t1)
    llm = engines.get("llm")
    t1 = time.perf_counter()
    text = "".join(llm.stream("The interview began with a question about", max_tokens=8))
    if not text.strip():
        return VerifyResult(False, "generated no text")
    sample = " ".join(text.split())[:40]
    return VerifyResult(True, f"generated: {sample!r}", t1 - t0, time.perf_counter() - t1)
