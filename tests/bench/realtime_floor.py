"""The floor of the subscriptions benchmark: a bare Starlette app on uvicorn that writes a given
frame to every connected WebSocket when told to over HTTP, with no GraphQL involved.

It mirrors what okrgraph does per event, minus everything GraphQL: the HTTP handler hands the
frame to one queue per connection and answers; one task per connection (as Strawberry runs one
task per subscription) wakes up and writes it. Same ASGI server, same WebSocket implementation
and the same uvicorn defaults (permessage-deflate included) as `okrgraph serve`, so what the
benchmark measures here is the cost of the sockets themselves, client included.

Run as `python -m tests.bench.realtime_floor --port 0`; `floor_server()` does that for a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.processes import listening

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = re.compile(r"floor: listening at (http://\S+)")


class Floor:
    """The connected sockets, one outgoing queue each."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[str]] = set()

    async def socket(self, websocket: WebSocket) -> None:
        """Accept (with the subprotocol the client offers, as okrgraph does), then write what
        arrives in this connection's queue until the client leaves."""
        offered = websocket.scope.get("subprotocols") or [None]
        await websocket.accept(subprotocol=offered[0])
        queue: asyncio.Queue[str] = asyncio.Queue()
        self.queues.add(queue)
        writer = asyncio.create_task(self._write(websocket, queue))
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            self.queues.discard(queue)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    @staticmethod
    async def _write(websocket: WebSocket, queue: asyncio.Queue[str]) -> None:
        while True:
            frame = await queue.get()
            await websocket.send_text(frame)

    async def broadcast(self, request: Request) -> Response:
        """Queue the request's body, as a text frame, for every connection; answer at once."""
        frame = (await request.body()).decode()
        for queue in tuple(self.queues):
            queue.put_nowait(frame)
        return Response(status_code=204)

    async def connections(self, request: Request) -> Response:
        """How many sockets are connected now."""
        return JSONResponse({"connections": len(self.queues)})


def create_app() -> Starlette:
    floor = Floor()
    return Starlette(
        routes=[
            Route("/broadcast", floor.broadcast, methods=["POST"]),
            Route("/connections", floor.connections),
            WebSocketRoute("/ws", floor.socket),
        ]
    )


class _Server(uvicorn.Server):
    """Says where it listens once it does (with `--port 0`, the port the kernel chose)."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            port = self.servers[0].sockets[0].getsockname()[1]
            print(f"floor: listening at http://{self.config.host}:{port}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    config = uvicorn.Config(
        create_app(), host=args.host, port=args.port, access_log=False, log_level="warning"
    )
    _Server(config).run()
    return 0


@contextlib.contextmanager
def floor_server() -> Iterator[str]:
    """Run the floor as its own process; yield its base URL; stop it with SIGTERM."""
    command = [sys.executable, "-m", "tests.bench.realtime_floor", "--port", "0"]
    with listening(command, ADDRESS, what="the floor server", cwd=ROOT) as base:
        yield base


if __name__ == "__main__":
    sys.exit(main())
