"""An LLM behind an OpenAI-compatible HTTP server: llama.cpp's or llama-cpp-python's server,
Ollama, vLLM.

A raw prompt goes to ``/v1/completions`` and chat messages to ``/v1/chat/completions``, so the
prompts the interviewer writes for a base model and for an instruction-tuned one reach the
server as they would reach the local engine. JSON replies are held to the schema by whichever
dialect the server speaks (the OpenAI ``json_schema`` response format, llama-cpp-python's
``json_object`` with a schema, a GBNF grammar on completions) and are always validated here: a
server that ignores all of them gets its output checked, and the caller falls back to rules.

Every failure (refused connection, HTTP error, no token within the timeout) is a
:class:`ModelError` that names the URL, which the follow-up and scoring code already turn into
their rule-based fallback.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from interviewer.engines.llama_llm import grammar_schema
from interviewer.errors import ModelError
from interviewer.types import ChatMessage, LLMResult

#: Seconds to wait for the server's next token (or whole JSON reply) before giving up.
DEFAULT_TIMEOUT_S = 30.0
#: Environment variable with a bearer token, for servers that want one (vLLM --api-key).
API_KEY_ENV = "INTERVIEWER_LLM_API_KEY"


def api_base(url: str) -> str:
    """``http://host:port`` -> ``http://host:port/v1``; a URL with a path is kept as given."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ModelError(f"--llm-url {url!r}: give an http(s) URL such as http://127.0.0.1:8000/v1")
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path or '/v1'}"


def _gbnf(schema: Mapping[str, Any]) -> str | None:
    """The schema as a GBNF grammar (what llama.cpp-based servers enforce on completions)."""
    try:
        from llama_cpp.llama_grammar import json_schema_to_gbnf
    except Exception:  # llama-cpp-python not importable: the other dialects still apply
        return None
    return str(json_schema_to_gbnf(json.dumps(grammar_schema(schema))))


def parse_json_reply(text: str, schema: Mapping[str, Any], who: str) -> dict[str, Any]:
    import jsonschema

    try:
        value = json.loads(text, strict=False)
    except json.JSONDecodeError as exc:
        raise ModelError(f"{who}: output is not complete JSON") from exc
    if not isinstance(value, dict):
        raise ModelError(f"{who}: expected a JSON object, got {type(value).__name__}")
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        raise ModelError(f"{who}: output breaks the schema: {exc.message}") from exc
    return value


class RemoteLLM:
    """The :class:`~interviewer.engines.base.LLM` protocol over an OpenAI-compatible server.

    ``model`` is the name the server knows the model by (``qwen2.5:0.5b`` for Ollama, the
    ``--served-model-name`` for vLLM); empty asks the server's ``/v1/models`` and takes the first.
    Thread-safe: the server does its own scheduling, so calls are not serialised here.
    """

    def __init__(
        self,
        url: str,
        *,
        model: str = "",
        timeout_s: float = DEFAULT_TIMEOUT_S,
        api_key: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base = api_base(url)
        self.timeout_s = timeout_s
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = httpx.Client(
            base_url=self.base,
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            transport=transport,
            trust_env=False,  # a local server: no proxy from the environment
        )
        self.model = model or self._first_model()
        self.model_id = f"{self.model}@{self.base}"
        self._last: LLMResult | None = None
        #: response formats this server rejected (so each is tried once, not on every call)
        self._rejected: set[str] = set()
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------ plumbing

    def _fail(self, exc: Exception) -> ModelError:
        if isinstance(exc, httpx.TimeoutException):
            return ModelError(
                f"llm server {self.base}: no reply within {self.timeout_s:g} s "
                "(raise llm_timeout in the config, or use a smaller model)"
            )
        if isinstance(exc, httpx.ConnectError):
            return ModelError(
                f"llm server {self.base}: cannot connect ({exc}); is it running? check --llm-url"
            )
        if isinstance(exc, httpx.HTTPStatusError):
            return ModelError(
                f"llm server {self.base}: HTTP {exc.response.status_code}: "
                f"{_error_text(exc.response)}"
            )
        return ModelError(f"llm server {self.base}: {type(exc).__name__}: {exc}")

    def _first_model(self) -> str:
        try:
            r = self._http.get("/models")
            r.raise_for_status()
            data = r.json().get("data") or []
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise (
                self._fail(exc)
                if isinstance(exc, httpx.HTTPError)
                else ModelError(f"llm server {self.base}: /models is not an OpenAI model list")
            ) from exc
        if not data or not isinstance(data[0], dict) or "id" not in data[0]:
            raise ModelError(f"llm server {self.base} lists no model; name one with --llm NAME")
        return str(data[0]["id"])

    def _request(
        self, prompt: str | Sequence[ChatMessage], body: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """The endpoint and full body for ``prompt``: raw text completes, messages chat."""
        full = {"model": self.model, **body}
        if isinstance(prompt, str):
            return "/completions", {**full, "prompt": prompt}
        msgs = [{"role": m.role, "content": m.content} for m in prompt]
        return "/chat/completions", {**full, "messages": msgs}

    def _set_last(self, text: str, usage: Any, pieces: int, stopped: bool) -> None:
        usage = usage if isinstance(usage, dict) else {}
        details = usage.get("prompt_tokens_details") or {}
        self._last = LLMResult(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or pieces),
            # only servers that report it (vLLM with prefix caching); 0 means unknown
            reused_prompt_tokens=int(details.get("cached_tokens") or 0),
            stopped=stopped,
            extra={"server": self.base, "model": self.model},
        )

    # ------------------------------------------------------------------ the protocol

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
        """Stream over server-sent events. Setting ``stop_event`` closes the stream (within
        20 ms, even before the first token), which tells the server to stop generating: it
        sees the disconnect."""
        if stop_event is not None and stop_event.is_set():
            self._set_last("", None, 0, stopped=True)
            return
        path, body = self._request(
            prompt,
            {
                "max_tokens": max_tokens,
                "temperature": temperature,
                "seed": seed,
                "stream": True,
                "stream_options": {"include_usage": True},
                **({"stop": list(stop)} if stop else {}),
            },
        )
        pieces: list[str] = []
        usage: Any = None
        stopped = False
        done = threading.Event()
        try:
            with self._http.stream("POST", path, json=body) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    resp.raise_for_status()
                if stop_event is not None:
                    # A barge-in while the server is still reading the prompt (no token to wake
                    # us yet): close the stream from here, which ends the blocked read.
                    threading.Thread(
                        target=_close_on, args=(stop_event, done, resp), daemon=True
                    ).start()
                for data in _sse_data(resp.iter_lines()):
                    if stop_event is not None and stop_event.is_set():
                        stopped = True
                        break
                    usage = data.get("usage") or usage
                    piece = _piece(data)
                    if piece:
                        pieces.append(piece)
                        yield piece
                    if stop_event is not None and stop_event.is_set():
                        stopped = True
                        break
        except (httpx.HTTPError, httpx.StreamError) as exc:
            if stop_event is None or not stop_event.is_set():
                raise self._fail(exc) from exc
            stopped = True  # the stream closed under us by the barge-in: a clean stop
        finally:
            done.set()
            self._set_last("".join(pieces), usage, len(pieces), stopped)

    def complete_json(
        self,
        prompt: str | Sequence[ChatMessage],
        schema: Mapping[str, Any],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> dict[str, Any]:
        strict = grammar_schema(schema)
        base = {"max_tokens": max_tokens, "temperature": temperature, "seed": seed}
        formats: dict[str, dict[str, Any]] = {
            "json_schema": {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": strict, "strict": True},
            },
            # llama-cpp-python's server: json_object with a schema, enforced by a grammar
            "json_object": {"type": "json_object", "schema": strict},
        }
        extra: dict[str, Any] = {}
        if isinstance(prompt, str):
            # /completions has no response_format in OpenAI's API; llama.cpp's servers take a
            # grammar (llama-cpp-python) or json_schema (llama-server) there instead.
            gbnf = _gbnf(schema)
            extra = {"json_schema": strict, **({"grammar": gbnf} if gbnf else {})}
        last_exc: Exception | None = None
        for name, fmt in formats.items():
            if name in self._rejected:
                continue
            path, body = self._request(prompt, {**base, **extra, "response_format": fmt})
            try:
                resp = self._http.post(path, json=body)
            except httpx.HTTPError as exc:
                raise self._fail(exc) from exc
            # llama-cpp-python's server answers a request it cannot parse with a 500
            if resp.status_code in (400, 422, 500) and _about_format(resp):
                # this server does not know that response format: try the next dialect
                with self._lock:
                    self._rejected.add(name)
                last_exc = httpx.HTTPStatusError("rejected", request=resp.request, response=resp)
                continue
            try:
                resp.raise_for_status()
                data = resp.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise self._fail(exc) from exc
            text = _piece(data, streamed=False) or ""
            self._set_last(text, data.get("usage"), 0, stopped=False)
            return parse_json_reply(text, schema, self.model_id)
        if last_exc is not None:
            raise self._fail(last_exc)
        # every dialect was rejected before: ask without one and rely on validation
        path, body = self._request(prompt, {**base, **extra})
        try:
            resp = self._http.post(path, json=body)
            resp.raise_for_status()
            data = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise self._fail(exc) from exc
        text = _piece(data, streamed=False) or ""
        self._set_last(text, data.get("usage"), 0, stopped=False)
        return parse_json_reply(text, schema, self.model_id)

    @property
    def last_result(self) -> LLMResult | None:
        return self._last


def _close_on(stop_event: threading.Event, done: threading.Event, resp: httpx.Response) -> None:
    while not done.wait(0.02):
        if stop_event.is_set():
            # Closing a socket does not wake a thread blocked reading it; shutting it down does.
            stream = resp.extensions.get("network_stream")
            sock = stream.get_extra_info("socket") if stream is not None else None
            with contextlib.suppress(Exception):
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
            return


def _sse_data(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        if not line.startswith("data:"):
            continue  # comments, event names, keep-alives
        payload = line[5:].strip()
        if payload == "[DONE]":
            return
        try:
            data = json.loads(payload)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            if "error" in data:
                raise ModelError(f"llm server error: {str(data['error'])[:200]}")
            yield data


def _piece(data: dict[str, Any], streamed: bool = True) -> str | None:
    choices = data.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        return None
    choice = choices[0]
    if "text" in choice:  # /completions
        return choice.get("text")
    msg = choice.get("delta" if streamed else "message") or {}
    return msg.get("content") if isinstance(msg, dict) else None


def _error_text(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text.strip().splitlines()[0][:200] if resp.text.strip() else "(empty)"
    err = body.get("error", body) if isinstance(body, dict) else body
    msg = err.get("message", err) if isinstance(err, dict) else err
    if not isinstance(msg, str):
        msg = json.dumps(msg)[:300]
    return msg.splitlines()[0][:300] if msg else "(empty)"


def _about_format(resp: httpx.Response) -> bool:
    """Whether an error complains about ``response_format`` (not, say, the prompt's length)."""
    return "response_format" in resp.text or "json_schema" in resp.text
