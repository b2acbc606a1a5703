"""Answers that every layer of the HTTP app gives alike: refusals with a GraphQL-shaped body
(401, 403, 405), and the headers that mark responses as private or made with authentication off.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth import (
    Deactivated,
)
from service.negotiation import (
    SINGLE_CONNECTION,
)

AUTH_OFF_HEADER = "X-Okrgraph-Auth"


NOT_STORED = "private, no-store"
"""The Cache-Control of every /graphql answer: it depends on the caller's token (its
organization and role), so no cache, shared or the browser's, may keep it or serve it to
another caller."""


def private(send: Send) -> Send:
    """`send` with every response marked NOT_STORED and varying by Authorization (a stream of
    server-sent events also asks proxies not to transform it)."""

    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            streamed = headers.get("content-type", "").startswith("text/event-stream")
            headers["cache-control"] = NOT_STORED + (", no-transform" if streamed else "")
            headers.add_vary_header("Authorization")
        await send(message)

    return marked


def unauthenticated(message: str) -> Response:
    """401 with a GraphQL-shaped body and the challenge HTTP asks for."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="okrgraph"'},
    )


def member_inactive(message: str) -> Response:
    """403 with a GraphQL-shaped body coded MEMBER_INACTIVE: the token is good, its member is
    deactivated."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": Deactivated.code}}]},
        status_code=403,
    )


def single_connection_refused() -> Response:
    """405 for graphql-sse's single connection mode, with a body naming the mode served."""
    return JSONResponse(
        {"errors": [{"message": SINGLE_CONNECTION, "extensions": {"code": "BAD_REQUEST"}}]},
        status_code=405,
        headers={"Allow": "GET, POST"},
    )


class NotStored:
    """Marks every HTTP answer of /graphql NOT_STORED (`private`), whichever layer makes it: the
    API, a refusal of the token, or the body limit's 413. A 404 anywhere (such as /metrics, which
    is served on its own listener only) is marked too: nothing there is for a cache to keep."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/graphql":
            send = private(send)
        elif scope["type"] == "http":
            send = _private_when_not_found(send)
        await self.app(scope, receive, send)


def _private_when_not_found(send: Send) -> Send:
    marked = private(send)

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 404:
            # The body that follows goes the same way: private only alters the start.
            await marked(message)
        else:
            await send(message)

    return sending


class AuthOffHeader:
    """Marks every HTTP response while authentication is off, so nobody mistakes it for safe."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(AUTH_OFF_HEADER, "disabled")
            await send(message)

        await self.app(scope, receive, marked)
