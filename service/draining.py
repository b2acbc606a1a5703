"""Stopping without dropping requests.

At SIGTERM the server keeps its listener open for `DRAIN_SECONDS` more and answers every
request, on a new connection or on a kept-alive one, with 503 and `Connection: close` (the
client retries elsewhere, and its connection is closed cleanly after the answer), and every new
WebSocket with close code 1012 (service restart). Only then does uvicorn close the listener and
the connections: a request sent on an idle connection in that moment would otherwise get no
answer at all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

DRAIN_SECONDS = 1.0
SERVICE_RESTART = 1012  # the WebSocket close code for a server that is restarting
_BODY = json.dumps(
    {
        "errors": [
            {
                "message": "the server is stopping: retry the request",
                "extensions": {"code": "SERVER_STOPPING"},
            }
        ]
    }
).encode()


class Drain:
    """Whether the server is stopping, and since when; and what ends at once when it starts
    (`at_start`: open event streams, which would otherwise hold the stop for uvicorn's grace
    and then be cut off without their `complete`)."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.at_start: list[Callable[[], None]] = []
        self._started = False

    def start_ending(self) -> None:
        """Run what ends when draining starts, once (called in the event loop)."""
        if self.since is None or self._started:
            return
        self._started = True
        for end in self.at_start:
            end()

    @property
    def draining(self) -> bool:
        return self.since is not None

    def begin(self) -> None:
        """Start draining (once: a second call keeps the first instant)."""
        if self.since is None:
            self.since = time.monotonic()

    def over(self, seconds: float = DRAIN_SECONDS) -> bool:
        """Whether draining began at least `seconds` ago."""
        return self.since is not None and time.monotonic() - self.since >= seconds


class DrainGate:
    """Answers every request with 503 and `Connection: close` while the server drains."""

    def __init__(self, app: ASGIApp, drain: Drain) -> None:
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.drain.draining or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": SERVICE_RESTART})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(_BODY)).encode()),
                    (b"connection", b"close"),
                    (b"retry-after", b"1"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": _BODY})
