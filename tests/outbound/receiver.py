"""A real HTTP webhook receiver (uvicorn on a free port) that verifies every message with the
`standardwebhooks` reference library, and can be told to fail, hang or redirect."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.events.servers import free_port


@dataclass
class Received:
    """One request: its webhook-id, the CloudEvent, and which of the receiver's secrets
    verified it (empty: none did)."""

    message_id: str
    event: dict[str, Any]
    verified_by: list[str]
    answered: int
    host: str = ""
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def sequence(self) -> int:
        return int(self.event["data"]["sequence"])


@dataclass
class Receiver:
    """Answers 200 to verified messages unless told otherwise: `fail` answers 500 to the next
    so many, `hang` sleeps that long before answering, `redirect` answers 302."""

    secrets: list[str]
    fail: int = 0
    hang: float = 0.0
    redirect: bool = False
    requests: list[Received] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def accepted(self) -> list[Received]:
        """The requests answered 200, in arrival order."""
        return [r for r in self.requests if r.answered == 200]

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        headers = dict(request.headers)
        verified = []
        for secret in self.secrets:
            try:
                Verifier(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            verified.append(secret)
        if self.hang:
            await asyncio.sleep(self.hang)
        if not verified:
            code = 401
        elif self.redirect:
            code = 302
        elif self.fail > 0:
            self.fail -= 1
            code = 500
        else:
            code = 200
        self.requests.append(
            Received(
                headers.get("webhook-id", ""),
                json.loads(body),
                verified,
                code,
                host=headers.get("host", ""),
            )
        )
        if code == 302:
            return Response(status_code=302, headers={"location": self.url + "/elsewhere"})
        return Response(status_code=code)

    async def start(self) -> None:
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="error", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(500):
            if self._server.started:
                return
            await asyncio.sleep(0.01)
        raise RuntimeError("the receiver did not start")

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    async def wait_for(self, count: int, within: float = 10.0) -> list[Received]:
        """Wait until `count` messages were accepted; fewer when `within` passed."""
        for _ in range(int(within / 0.02)):
            if len(self.accepted) >= count:
                break
            await asyncio.sleep(0.02)
        return self.accepted
