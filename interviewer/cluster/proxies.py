"""Engines behind the project's protocols whose work runs on Ray Serve deployments.

The pipeline, the follow-ups and the scoring take these as they take the local engines: the
same methods, the same errors (a replica's :class:`~interviewer.errors.ModelError` is raised
here as itself). A request that fails because its replica was lost with its node is sent again,
a bounded number of times, and Serve routes it to a live replica; a stream is retried only if
nothing of it had arrived yet.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from interviewer.errors import ModelError
from interviewer.types import AudioArray, AudioChunk, ChatMessage, LLMResult, Transcript

T = TypeVar("T")

#: One engine call, at most (a long answer's full pass on a loaded CPU takes seconds).
REQUEST_TIMEOUT_S = 120.0
#: Tries of a request whose replica died, and the pause before each retry.
ATTEMPTS = 3
RETRY_PAUSE_S = 0.5


def unwrap(exc: BaseException) -> BaseException:
    """The engine's own exception inside Ray's wrapper (so ``except ModelError`` works)."""
    from ray.exceptions import RayTaskError

    if isinstance(exc, RayTaskError) and isinstance(exc.cause, Exception):
        return exc.cause
    return exc


def replica_lost(exc: BaseException) -> bool:
    """The replica (or its node) went away: the request may go to another replica."""
    from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError

    return isinstance(exc, ActorDiedError | ActorUnavailableError | RayActorError)


def call(fn: Callable[[], T], what: str) -> T:
    """``fn()`` with the retry on a lost replica and the engine's own errors."""
    for attempt in range(ATTEMPTS):
        try:
            return fn()
        except Exception as exc:
            if replica_lost(exc) and attempt + 1 < ATTEMPTS:
                time.sleep(RETRY_PAUSE_S * (attempt + 1))
                continue
            cause = unwrap(exc)
            if cause is exc:
                raise
            raise cause from None
    raise AssertionError(f"unreachable: {what}")


def info(handle: Any) -> dict[str, Any]:
    """A deployment's model id, node and pid (one of its replicas')."""
    out: dict[str, Any] = call(lambda: handle.info.remote().result(timeout_s=60), "info")
    return out


class ServeSTT:
    """:class:`~interviewer.engines.base.STT` on the ``stt`` deployment (batched there)."""

    def __init__(self, handle: Any, model_id: str) -> None:
        self.handle = handle
        self.model_id = model_id

    def transcribe(
        self,
        audio: AudioArray,
        *,
        word_timestamps: bool = True,
        beam_size: int = 1,
        initial_prompt: str | None = None,
    ) -> Transcript:
        options = {
            "word_timestamps": word_timestamps,
            "beam_size": beam_size,
            "initial_prompt": initial_prompt,
        }
        request = (np.ascontiguousarray(audio, dtype=np.float32), options)
        result: Transcript = call(
            lambda: self.handle.transcribe.remote(request).result(timeout_s=REQUEST_TIMEOUT_S),
            "transcribe",
        )
        return result


class ServeTTS:
    """:class:`~interviewer.engines.base.TTS` on the ``tts`` deployment, chunks streamed."""

    def __init__(self, handle: Any, model_id: str, sample_rate: int) -> None:
        self.handle = handle.options(stream=True)
        self.model_id = model_id
        self.sample_rate = sample_rate

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        yield from _stream(lambda: self.handle.synthesize.remote(text))


def _stream(start: Callable[[], Any]) -> Generator[Any, None, None]:
    """Items of a streaming request; retried on a lost replica only before the first item."""
    for attempt in range(ATTEMPTS):
        gen = start()
        got_any = False
        try:
            for item in gen:
                got_any = True
                yield item
            return
        except GeneratorExit:
            gen.cancel()
            raise
        except Exception as exc:
            if replica_lost(exc) and not got_any and attempt + 1 < ATTEMPTS:
                time.sleep(RETRY_PAUSE_S * (attempt + 1))
                continue
            cause = unwrap(exc)
            if cause is exc:
                raise
            raise cause from None


class ServeLLM:
    """:class:`~interviewer.engines.base.LLM` on the ``llm`` deployment.

    ``stop_event`` is watched between pieces; once set, the request is cancelled and the
    replica stops generating at its next token.
    """

    def __init__(self, handle: Any, model_id: str) -> None:
        self.handle = handle
        self._streaming = handle.options(stream=True)
        self.model_id = model_id
        self._last: LLMResult | None = None
        self._lock = threading.Lock()

    @property
    def last_result(self) -> LLMResult | None:
        return self._last

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
        options = {
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stop": list(stop),
            "seed": seed,
        }
        payload = prompt if isinstance(prompt, str) else list(prompt)
        pieces: Generator[Any, None, None] = _stream(
            lambda: self._streaming.stream.remote(payload, options)
        )
        try:
            for kind, value in pieces:
                if kind == "end":
                    self._last = value
                    break
                yield value
                if stop_event is not None and stop_event.is_set():
                    break
        finally:
            pieces.close()  # cancels the request when it has not ended

    def complete_json(
        self,
        prompt: str | Sequence[ChatMessage],
        schema: Mapping[str, Any],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> dict[str, Any]:
        options = {"max_tokens": max_tokens, "temperature": temperature, "seed": seed}
        payload = prompt if isinstance(prompt, str) else list(prompt)
        result, last = call(
            lambda: self.handle.complete_json.remote(payload, dict(schema), options).result(
                timeout_s=REQUEST_TIMEOUT_S
            ),
            "complete_json",
        )
        self._last = last
        if not isinstance(result, dict):
            raise ModelError(f"the LLM deployment returned {type(result).__name__}, not an object")
        return result
