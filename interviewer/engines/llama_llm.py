"""llama-cpp-python on a local GGUF model.

Chat messages are rendered with the model's own chat template (from the GGUF metadata) into one
token sequence, so chat and raw prompts share a single code path, and the prefix cache works the
same for both: llama.cpp keeps the KV state of the previous call and only evaluates the tokens
after the longest common prefix.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.engines import activity
from interviewer.errors import LLMPreempted, ModelError
from interviewer.types import ChatMessage, LLMResult

# Used when a GGUF carries no chat template (many base models): plain turn markers, and the
# markers themselves as stop strings so a base model does not write both sides of the dialogue.
_FALLBACK_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] | capitalize }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)
_FALLBACK_STOPS = ["\nUser:", "\nAssistant:", "\nSystem:"]


#: Tokens per slice of a background prompt's evaluation (see ``LlamaLLM._prefill``): about
#: 0.25 s on one core for Gemma-3-270M, the longest a reply or an STT call waits behind it.
#: Slicing costs 14% more in all than one evaluation of the prompt (16 tokens: 38%).
PREFILL_SLICE = 32


def grammar_schema(schema: Any) -> Any:
    """Rewrite what llama.cpp's schema-to-grammar converter ignores into what it enforces.

    It drops ``minimum``/``maximum`` on integers, so a 1-5 score could come back as 100; a small
    integer range becomes an ``enum`` of its values, which the grammar does enforce.
    """
    if isinstance(schema, list):
        return [grammar_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: grammar_schema(v) for k, v in schema.items()}
    lo, hi = out.get("minimum"), out.get("maximum")
    if (
        out.get("type") == "integer"
        and isinstance(lo, int)
        and isinstance(hi, int)
        and hi - lo <= 100
    ):
        out = {k: v for k, v in out.items() if k not in ("type", "minimum", "maximum")}
        out["enum"] = list(range(lo, hi + 1))
    return out


_log_callback: Any = None


def _quiet_llama_logs(llama_cpp: Any) -> None:
    """Route llama.cpp's C-side log lines to Python logging (debug) instead of stderr.

    Some lines (the SWA cache notice) reach stderr even with ``verbose=False`` and would break
    into the live transcript; the callback object must stay referenced for the process life.
    """
    global _log_callback
    if _log_callback is not None:
        return
    import ctypes
    import logging

    log = logging.getLogger("interviewer.llama_cpp")

    @llama_cpp.llama_log_callback
    def _callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        log.debug(text.decode("utf-8", "replace").rstrip())

    _log_callback = _callback
    llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))


class LlamaLLM:
    """One llama.cpp context. Calls are serialised by a lock (a context is not thread-safe).

    Two priorities share it: foreground calls (``stream``, ``complete_json``: the interviewer's
    reply) and background ones (``complete_json_background``: scoring). A background call waits
    while a foreground one waits or runs, and gives way between tokens as soon as one asks, so
    scoring never holds up the conversation.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        model_id: str = "llm",
        device: str = "cpu",
        n_ctx: int = 2048,
        threads: int = 0,
        seed: int = 0,
    ) -> None:
        import llama_cpp

        self.model_id = model_id
        self._llama_cpp = llama_cpp
        _quiet_llama_logs(llama_cpp)
        n_threads = threads or os.cpu_count() or 1
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(model_path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                n_gpu_layers=-1 if device == "cuda" else 0,
                seed=seed,
                verbose=False,
            )
        except Exception as exc:
            raise ModelError(
                f"llm model {model_path}: cannot load ({type(exc).__name__}: {exc}); "
                "the GGUF file may be truncated: download it again"
            ) from exc
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        # Background work (scoring) runs beside the audio pipeline: with every core it slows
        # speech recognition and synthesis, and ggml's spinning threads crawl when the cores are
        # oversubscribed. Half the cores keeps both moving.
        self.background_threads = max(1, n_threads // 2)
        self.json_repeat_penalty = 1.3
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._fg_waiting = 0
        self._last: LLMResult | None = None
        self._formatter = self._make_formatter()
        self._start_ids: dict[tuple[str, ...], Any] = {}

    # ------------------------------------------------------------------ prompt handling

    def _make_formatter(self) -> Any:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        meta = self._llm.metadata
        template = meta.get("tokenizer.chat_template")
        self._extra_stops = [] if template else list(_FALLBACK_STOPS)
        template = template or _FALLBACK_TEMPLATE

        def token_text(key: str) -> str:
            idx = meta.get(key)
            if idx is None:
                return ""
            return self._llm.detokenize([int(idx)], special=True).decode("utf-8", "ignore")

        return Jinja2ChatFormatter(
            template=template,
            eos_token=token_text("tokenizer.ggml.eos_token_id"),
            bos_token=token_text("tokenizer.ggml.bos_token_id"),
        )

    def tokens_for(self, prompt: str | Sequence[ChatMessage]) -> tuple[list[int], list[str]]:
        """Token ids for a raw prompt or chat messages, plus the template's stop strings."""
        if isinstance(prompt, str):
            return self._llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True), []
        result = self._formatter(messages=[{"role": m.role, "content": m.content} for m in prompt])
        tokens = self._llm.tokenize(
            result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
        )
        stops = (
            result.stop if isinstance(result.stop, list) else ([result.stop] if result.stop else [])
        )
        return tokens, [s for s in [*stops, *self._extra_stops] if s]

    def _reused_prefix(self, tokens: list[int]) -> int:
        # Same rule llama-cpp-python applies in Llama.generate(): the longest common prefix of
        # what the context already holds, leaving at least one token to evaluate.
        held = self._llm.input_ids[: self._llm.n_tokens].tolist()
        n = 0
        for a, b in zip(held, tokens[:-1], strict=False):
            if a != b:
                break
            n += 1
        return n

    def _check_fits(self, tokens: list[int], max_tokens: int) -> None:
        if len(tokens) + max_tokens > self.n_ctx:
            raise ModelError(
                f"prompt of {len(tokens)} tokens + {max_tokens} to generate exceeds the "
                f"context of {self.n_ctx}; raise llm_context in the config"
            )

    # ------------------------------------------------------------------ generation

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
        if not self._acquire_foreground(stop_event):
            self._last = LLMResult(text="", prompt_tokens=0, completion_tokens=0, stopped=True)
            return
        try:
            tokens, template_stops = self.tokens_for(prompt)
            self._check_fits(tokens, max_tokens)
            reused = self._reused_prefix(tokens)
            pieces: list[str] = []
            stopped = False
            completion_tokens = 0
            gen = self._llm.create_completion(
                tokens,
                max_tokens=max_tokens,
                temperature=temperature,
                stop=[*stop, *template_stops] or None,
                seed=seed,
                stream=True,
            )
            try:
                for chunk in gen:
                    if stop_event is not None and stop_event.is_set():
                        stopped = True
                        break
                    completion_tokens += 1
                    piece = chunk["choices"][0]["text"]  # type: ignore[index]
                    if piece:
                        pieces.append(piece)
                        yield piece
                    if stop_event is not None and stop_event.is_set():
                        stopped = True
                        break
            finally:
                gen.close()  # type: ignore[union-attr]
                self._last = LLMResult(
                    text="".join(pieces),
                    prompt_tokens=len(tokens),
                    completion_tokens=completion_tokens,
                    reused_prompt_tokens=reused,
                    stopped=stopped,
                )
        finally:
            self._lock.release()

    def complete_json(
        self,
        prompt: str | Sequence[ChatMessage],
        schema: Mapping[str, Any],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> dict[str, Any]:
        grammar = self._grammar(schema)
        self._acquire_foreground(None)
        try:
            text = self._json_locked(prompt, grammar, max_tokens, temperature, seed, None)
        finally:
            self._lock.release()
        return self._parse_json(text, schema, max_tokens)

    def complete_json_background(
        self,
        prompt: str | Sequence[ChatMessage],
        schema: Mapping[str, Any],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
        cancel: threading.Event | None = None,
    ) -> dict[str, Any]:
        """``complete_json`` at background priority: raises :class:`LLMPreempted` when a
        foreground call asks for the model (or ``cancel`` is set) before it is done.

        The prompt is always evaluated from an empty context: reusing a cached prefix changes
        the logits in the last bits, enough to flip a greedy token, and a score must not depend
        on what the model was asked before. (Scoring prompts share little with the replies'
        prompts, so little cache is lost.)
        """
        grammar = self._grammar(schema)
        self._acquire_background(cancel)
        try:
            self._llm.reset()
            self._set_threads(self.background_threads)

            def give_way() -> bool:
                # pause while speech is being recognised; give the model up to a reply
                while True:
                    if self._fg_waiting or (cancel is not None and cancel.is_set()):
                        return True
                    if activity.wait_idle(0.02):
                        return False

            text = self._json_locked(prompt, grammar, max_tokens, temperature, seed, give_way)
        finally:
            self._set_threads(self.n_threads)
            self._lock.release()
        return self._parse_json(text, schema, max_tokens)

    def _json_locked(
        self,
        prompt: str | Sequence[ChatMessage],
        grammar: Any,
        max_tokens: int,
        temperature: float,
        seed: int,
        give_way: Callable[[], bool] | None,
    ) -> str:
        """Generate under ``grammar`` (the caller holds the lock); ``give_way`` is asked after
        every token and ends the call with :class:`LLMPreempted`."""
        tokens, _ = self.tokens_for(prompt)
        self._check_fits(tokens, max_tokens)
        reused = self._reused_prefix(tokens)
        if give_way is not None:
            self._prefill(tokens[:-1], give_way)
        pieces: list[str] = []
        gen = self._llm.create_completion(
            tokens,
            max_tokens=max_tokens,
            temperature=temperature,
            grammar=grammar,
            seed=seed,
            # Small models fall into loops ("1000000...") that fill a string up to its
            # maxLength and use up the budget before the JSON closes; a repeat penalty breaks
            # those loops, and the grammar still holds the structure.
            repeat_penalty=self.json_repeat_penalty,
            stream=True,
        )
        try:
            for chunk in gen:
                pieces.append(chunk["choices"][0]["text"])  # type: ignore[index]
                if give_way is not None and give_way():
                    raise LLMPreempted(f"{self.model_id}: background call gave way")
        finally:
            gen.close()  # type: ignore[union-attr]
        self._last = LLMResult(
            text="".join(pieces),
            prompt_tokens=len(tokens),
            completion_tokens=len(pieces),
            reused_prompt_tokens=reused,
        )
        return self._last.text

    def _prefill(self, tokens: list[int], give_way: Callable[[], bool]) -> None:
        """Evaluate a background prompt in slices of :data:`PREFILL_SLICE` tokens, asking
        ``give_way`` before each one.

        One evaluation of a whole scoring prompt takes seconds on a core and cannot pause, so a
        speech-recognition call or a reply arriving meanwhile used to wait behind it. Sliced,
        the wait is one slice. The slices always fall at the same places, so the same prompt
        gives the same logits every time; ``create_completion`` then finds the prefix held and
        evaluates only the last token.
        """
        for start in range(0, len(tokens), PREFILL_SLICE):
            if give_way():
                raise LLMPreempted(f"{self.model_id}: background call gave way")
            self._llm.eval(tokens[start : start + PREFILL_SLICE])

    def next_text_mass(
        self, prompt: str, starts: Sequence[str], *, cancel: threading.Event | None = None
    ) -> float:
        """The probability that the text after the raw ``prompt`` begins with one of
        ``starts`` (or is the end of the text), from one evaluation, at background priority:
        :class:`LLMPreempted` when a foreground call asks for the model first.

        The prefix the context already holds is reused (unlike ``complete_json_background``:
        a probability compared against a threshold does not need bit-exact logits), so a
        prompt that only grows, an answer at each of its pauses, costs its new tokens.
        """
        ids = self._ids_starting(tuple(starts))
        tokens, _ = self.tokens_for(prompt)
        self._check_fits(tokens, 1)
        self._acquire_background(cancel)
        try:
            self._set_threads(self.background_threads)
            reused = self._reused_prefix(tokens)
            self._llm.n_tokens = reused  # eval drops the context's cache past this point
            rest = tokens[reused:]
            for start in range(0, len(rest), PREFILL_SLICE):
                if self._fg_waiting or (cancel is not None and cancel.is_set()):
                    raise LLMPreempted(f"{self.model_id}: background call gave way")
                self._llm.eval(rest[start : start + PREFILL_SLICE])
            n_vocab = self._llm.n_vocab()
            logits = np.ctypeslib.as_array(self._llm._ctx.get_logits(), shape=(n_vocab,))
            logits = logits.astype(np.float64)
        finally:
            self._set_threads(self.n_threads)
            self._lock.release()
        probs = np.exp(logits - logits.max())
        return float(probs[ids].sum() / probs.sum())

    def _ids_starting(self, starts: tuple[str, ...]) -> Any:
        """Token ids whose text begins with one of ``starts``, and the end-of-text token."""
        ids = self._start_ids.get(starts)
        if ids is None:
            found = [int(self._llm.token_eos())]
            for i in range(self._llm.n_vocab()):
                piece = self._llm.detokenize([i]).decode("utf-8", "ignore")
                if piece.startswith(starts):
                    found.append(i)
            ids = self._start_ids[starts] = np.array(sorted(set(found)))
        return ids

    # ------------------------------------------------------------------ priorities

    def _set_threads(self, n: int) -> None:
        ctx = getattr(self._llm, "_ctx", None)
        if ctx is not None and hasattr(ctx, "set_n_threads"):
            ctx.set_n_threads(n, n)

    def _acquire_foreground(self, stop_event: threading.Event | None) -> bool:
        """Take the context, announcing the wait so a background call gives way; False if
        ``stop_event`` is set first (the reply was cancelled while waiting)."""
        with self._count_lock:
            self._fg_waiting += 1
        try:
            while not self._lock.acquire(timeout=0.02):
                if stop_event is not None and stop_event.is_set():
                    return False
            return True
        finally:
            with self._count_lock:
                self._fg_waiting -= 1

    def _acquire_background(self, cancel: threading.Event | None) -> None:
        while True:
            if cancel is not None and cancel.is_set():
                raise LLMPreempted(f"{self.model_id}: background call cancelled")
            # start when no speech is being recognised (the prompt then pauses between slices)
            if not activity.wait_idle(0.02):
                continue
            if not self._fg_waiting and self._lock.acquire(timeout=0.02):
                if not self._fg_waiting:
                    return
                self._lock.release()  # a foreground call arrived meanwhile
            time.sleep(0.02)

    def _grammar(self, schema: Mapping[str, Any]) -> Any:
        from llama_cpp import LlamaGrammar

        return LlamaGrammar.from_json_schema(json.dumps(grammar_schema(schema)), verbose=False)

    def _parse_json(self, text: str, schema: Mapping[str, Any], max_tokens: int) -> dict[str, Any]:
        import jsonschema

        try:
            value = json.loads(text, strict=False)
        except json.JSONDecodeError as exc:
            raise ModelError(
                f"{self.model_id}: output is not complete JSON after {max_tokens} tokens"
            ) from exc
        try:
            jsonschema.validate(value, schema)
        except jsonschema.ValidationError as exc:
            raise ModelError(f"{self.model_id}: output breaks the schema: {exc.message}") from exc
        if not isinstance(value, dict):
            raise ModelError(f"{self.model_id}: expected a JSON object, got {type(value).__name__}")
        return value

    @property
    def last_result(self) -> LLMResult | None:
        return self._last
