"""The interview WebSocket's two directions: the outbox to the browser, and what comes in.

Whatever a client sends, the interview goes on: a message that is too long, not JSON, nested
too deeply for the parser, or of an unknown type gets a ``notice`` and is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from interviewer.textsafe import storable
from interviewer.web import security
from interviewer.web.live import LiveInterview
from interviewer.web.security import AccessPolicy

log = logging.getLogger(__name__)

#: WebSocket messages: audio arrives in 32 ms blocks (1 KiB); anything near this is not ours.
MAX_WS_BINARY = 64 * 1024
MAX_WS_TEXT = 8 * 1024
#: our messages are one flat object; deeper JSON is refused before it is parsed
MAX_JSON_DEPTH = 8


class Outbox:
    """Messages from the interview's threads to the WebSocket, through the event loop.

    ``redact`` are strings (the store's path) that never reach the browser in a message.
    """

    CLOSE = object()
    #: queued messages at most (audio blocks are 32 ms each): a stalled client loses audio,
    #: the server does not grow a backlog
    MAX_ITEMS = 400

    def __init__(self, loop: asyncio.AbstractEventLoop, redact: tuple[str, ...] = ()) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.dropped = 0
        self.redact = tuple(r for r in redact if r)

    def put(self, item: Any) -> None:
        """From any thread; never blocks."""
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
            self.loop.call_soon_threadsafe(self._put, item)

    def _put(self, item: Any) -> None:
        if isinstance(item, bytes) and self.queue.qsize() >= self.MAX_ITEMS:
            self.dropped += 1
            return
        self.queue.put_nowait(item)

    def json(self, message: dict[str, Any]) -> None:
        text = message.get("message")
        if isinstance(text, str) and any(r in text for r in self.redact):
            for secret in self.redact:
                text = text.replace(secret, "the store")
            message = {**message, "message": text}
        self.put(message)

    def audio(self, data: bytes) -> None:
        self.put(data)

    async def pump(self, ws: WebSocket) -> None:
        while True:
            item = await self.queue.get()
            if item is self.CLOSE:
                return
            try:
                if isinstance(item, bytes):
                    await ws.send_bytes(item)
                else:
                    await ws.send_text(json.dumps(item))
                    if item.get("type") == "state" and item.get("state") == "ended":
                        await ws.close(1000)
                        return
            except (WebSocketDisconnect, RuntimeError):
                return  # the client is gone; the receive loop stops the interview


async def drive_socket(
    ws: WebSocket, live: LiveInterview, outbox: Outbox, shutdown_scoring_s: float
) -> None:
    """Run an accepted socket's interview: start it, feed it the page's messages until the page
    goes, then stop it (keeping what was said) and let the outbox drain."""
    sender = asyncio.create_task(outbox.pump(ws))
    live.start()
    close_code = None
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                close_code = message.get("code")
                break
            data = message.get("bytes")
            if data is not None:
                if len(data) > MAX_WS_BINARY:
                    await ws.close(code=1009, reason="audio message too large")
                    break
                live.feed_audio(data)
                continue
            text = message.get("text")
            if text is not None:
                on_client_text(live, outbox, text)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        # No-op once finished; else the turns so far are kept and the status is interrupted.
        # 1012: the server itself is stopping (uvicorn closes sockets before the lifespan
        # ends), so the last scores are not waited for long.
        live.stop(scoring_timeout=shutdown_scoring_s if close_code == 1012 else None)
        outbox.put(Outbox.CLOSE)
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(sender, timeout=2.0)


def socket_refusal(ws: WebSocket, policy: AccessPolicy) -> str | None:
    host = ws.headers.get("host")
    if not policy.host_ok(host):
        return "bad Host header"
    if policy.token is not None:
        name = security.token_cookie(host, ws.url.scheme)
        given = ws.cookies.get(name) or ws.query_params.get("token")
        if not policy.token_ok(given):
            return "access token missing or wrong"
    if not security.same_origin(ws.headers.get("origin"), host):
        return "cross-origin WebSocket refused"
    return None


def json_depth(text: str) -> int:
    """How deeply the JSON in ``text`` nests (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def on_client_text(live: LiveInterview, outbox: Outbox, text: str) -> None:
    """One text message from the page; nothing in it may end the interview."""
    if len(text) > MAX_WS_TEXT:
        outbox.json({"type": "notice", "message": "message too long; it was ignored"})
        return
    if json_depth(text) > MAX_JSON_DEPTH:
        outbox.json({"type": "notice", "message": "message nested too deeply; it was ignored"})
        return
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        outbox.json({"type": "notice", "message": "messages must be JSON"})
        return
    kind = message.get("type") if isinstance(message, dict) else None
    if kind == "text" and isinstance(message.get("text"), str):
        # a lone surrogate ("\ud800" is valid JSON) or a NUL cannot be stored
        live.submit_text(storable(message["text"]))
    elif kind == "command" and isinstance(message.get("name"), str):
        live.command(storable(message["name"]))
    elif kind == "hold":
        live.hold()
    else:
        shown = repr(storable(kind) if isinstance(kind, str) else kind)[:60]
        outbox.json({"type": "notice", "message": f"unknown message type {shown}; ignored"})
