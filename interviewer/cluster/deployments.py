"""The shared engines as Ray Serve deployments: one model per replica, loaded in its constructor.

Each replica builds its engine once from a factory (the real loader in ``interviewer serve
--ray``, a fake in the tests) and serves every interview routed to it. The engines are
synchronous and some stream; each call runs on a thread of the replica so its event loop stays
free to take (and batch) the next requests. A stream that the caller cancels (the candidate
barged in) sets the engine's ``stop_event``, so generation ends at the next token as it does in
one process.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import numpy as np
from ray import serve

from interviewer.types import Transcript

Factory = Callable[[], Any]

#: STT requests that arrive within this window go to the engine together.
STT_BATCH_WAIT_S = 0.01
STT_MAX_BATCH = 8


def _where() -> dict[str, Any]:
    import ray

    return {"node": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}


async def _pump(
    work: Callable[[threading.Event], Iterator[Any]], finish: Callable[[], Any] | None = None
) -> AsyncIterator[tuple[str, Any]]:
    """Run a blocking generator on a thread and hand its items to the event loop.

    Yields ``("item", x)`` for each item and, when ``finish`` is given, ``("end", finish())``
    last. Cancelled (the caller went away), it sets the stop event the generator watches.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    stop = threading.Event()

    def run() -> None:
        try:
            for item in work(stop):
                loop.call_soon_threadsafe(queue.put_nowait, ("item", item))
                if stop.is_set():
                    break
            tail = finish() if finish is not None else None
            loop.call_soon_threadsafe(queue.put_nowait, ("end", tail))
        except BaseException as exc:
            loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))

    # not awaited: once stopped, the thread ends at the engine's next piece on its own
    loop.run_in_executor(None, run)
    try:
        while True:
            kind, value = await queue.get()
            if kind == "error":
                raise value
            if kind == "end":
                if finish is not None:
                    yield ("end", value)
                break
            yield (kind, value)
    finally:
        stop.set()


@serve.deployment(name="stt", max_ongoing_requests=32)
class STTDeployment:
    """Speech to text. Concurrent requests are batched (``serve.batch``) and the batch goes to
    the engine at once: CTranslate2 decodes it on its worker replicas side by side."""

    def __init__(self, factory: Factory, max_batch: int = STT_MAX_BATCH, wait_s: float = 0.01):
        self.engine = factory()
        self.batch_sizes: list[int] = []
        batched: Any = self.transcribe  # serve.batch's wrapper, with its setters
        batched.set_max_batch_size(max_batch)
        batched.set_batch_wait_timeout_s(wait_s)

    def info(self) -> dict[str, Any]:
        return {"model_id": self.engine.model_id, "batches": list(self.batch_sizes), **_where()}

    @serve.batch(max_batch_size=STT_MAX_BATCH, batch_wait_timeout_s=STT_BATCH_WAIT_S)
    async def transcribe(self, requests: list[tuple[np.ndarray, dict[str, Any]]]) -> list[Any]:
        self.batch_sizes.append(len(requests))
        del self.batch_sizes[:-1000]  # a bounded record for info()
        many = getattr(self.engine, "transcribe_many", None)
        if many is not None:  # an engine that decodes a batch in one pass (a GPU build)
            out: list[Transcript] = await asyncio.to_thread(many, requests)
            return out
        return list(
            await asyncio.gather(
                *(asyncio.to_thread(self.engine.transcribe, audio, **kw) for audio, kw in requests)
            )
        )


@serve.deployment(name="tts", max_ongoing_requests=16)
class TTSDeployment:
    """Text to speech, one chunk per sentence, streamed as each is ready."""

    def __init__(self, factory: Factory) -> None:
        self.engine = factory()

    def info(self) -> dict[str, Any]:
        return {
            "model_id": self.engine.model_id,
            "sample_rate": self.engine.sample_rate,
            **_where(),
        }

    async def synthesize(self, text: str) -> AsyncIterator[Any]:
        async for _kind, chunk in _pump(lambda _stop: self.engine.synthesize(text)):
            yield chunk


@serve.deployment(name="llm", max_ongoing_requests=8)
class LLMDeployment:
    """The LLM: token streams (cancellable) and schema-held JSON, with each call's counters."""

    def __init__(self, factory: Factory) -> None:
        self.engine = factory()

    def info(self) -> dict[str, Any]:
        return {"model_id": self.engine.model_id, **_where()}

    async def stream(self, prompt: Any, options: dict[str, Any]) -> AsyncIterator[Any]:
        def work(stop: threading.Event) -> Iterator[str]:
            return iter(self.engine.stream(prompt, stop_event=stop, **options))

        async for item in _pump(work, finish=lambda: self.engine.last_result):
            yield item

    async def complete_json(
        self, prompt: Any, schema: dict[str, Any], options: dict[str, Any]
    ) -> tuple[dict[str, Any], Any]:
        def run() -> tuple[dict[str, Any], Any]:
            return self.engine.complete_json(prompt, schema, **options), self.engine.last_result

        return await asyncio.to_thread(run)
