"""An LLM wrapper that keeps every JSON verdict it was asked for, in memory and in a file.

Scoring benchmarks ask a model for the same rubric verdict many times over: once per blend
weight tried, again after a crash, again when a run is extended. On two CPU cores a verdict
costs 15 s to minutes, while what the scorer does with it costs milliseconds; so the verdicts
are kept, keyed by everything that decides them (model, prompt, schema, token budget,
temperature, seed), and a rerun re-scores from the file without the model. Failures are kept
too (as their message), so a rerun falls back to rules for the same answers as the first run.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from interviewer.engines.base import LLM
from interviewer.errors import ModelError
from interviewer.types import ChatMessage, LLMResult

__all__ = ["CachedLLM"]


def _message(m: Any) -> Any:
    if isinstance(m, Mapping):
        return dict(m)
    return {"role": getattr(m, "role", ""), "content": getattr(m, "content", str(m))}


class CachedLLM:
    """Wraps ``llm``; ``complete_json`` answers from ``path`` when it can, else asks ``llm``
    (which may be None: then an unseen prompt is a :class:`ModelError`, and the caller falls
    back to rules, as it would for a failed model). ``seconds`` lists the time of each call
    that reached the model."""

    def __init__(self, llm: LLM | None, path: Path, *, model_id: str | None = None) -> None:
        self._llm = llm
        self.model_id = model_id or (llm.model_id if llm is not None else "cached")
        self.path = Path(path)
        self._lock = threading.Lock()
        self._cache: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            self._cache = json.loads(self.path.read_text(encoding="utf-8"))
        self.seconds: list[float] = []
        self.hits = 0

    def recorded_seconds(self) -> list[float]:
        """How long each verdict in the file took when the model made it."""
        return [float(e["seconds"]) for e in self._cache.values() if "seconds" in e]

    def _key(self, prompt: Any, schema: Mapping[str, Any], **params: Any) -> str:
        body = prompt if isinstance(prompt, str) else [_message(m) for m in prompt]
        raw = json.dumps(
            {"model": self.model_id, "prompt": body, "schema": schema, **params},
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def _save(self) -> None:
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(self._cache, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)

    def complete_json(
        self,
        prompt: str | Sequence[ChatMessage],
        schema: Mapping[str, Any],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> dict[str, Any]:
        key = self._key(prompt, schema, max_tokens=max_tokens, temperature=temperature, seed=seed)
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None:
            self.hits += 1
            if "error" in hit:
                raise ModelError(hit["error"])
            return dict(hit["value"])
        if self._llm is None:
            raise ModelError(f"no cached verdict for this prompt in {self.path}, and no model")
        t = time.perf_counter()
        try:
            value = self._llm.complete_json(
                prompt, schema, max_tokens=max_tokens, temperature=temperature, seed=seed
            )
            entry: dict[str, Any] = {"value": value}
        except ModelError as exc:
            entry = {"error": str(exc)}
        seconds = time.perf_counter() - t
        self.seconds.append(seconds)
        with self._lock:
            self._cache[key] = {**entry, "seconds": round(seconds, 2)}
            self._save()
        if "error" in entry:
            raise ModelError(entry["error"])
        return dict(entry["value"])

    def stream(
        self,
        prompt: str | Sequence[ChatMessage],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        stop_event: threading.Event | None = None,
        seed: int = 0,
    ) -> Iterator[str]:
        # Streamed text is a reply, not a verdict: it is never cached.
        if self._llm is None:
            raise ModelError("no model to stream from")
        return self._llm.stream(
            prompt,
            max_tokens=max_tokens,
            temperature=temperature,
            stop=stop,
            stop_event=stop_event,
            seed=seed,
        )

    @property
    def last_result(self) -> LLMResult | None:
        return self._llm.last_result if self._llm is not None else None
