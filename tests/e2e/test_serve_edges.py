"""`okrgraph serve` at its edges, as a real process: WebSocket frames beyond 1 MiB, a MongoDB
that is not there at start-up, and a stop (SIGTERM) with a kept-alive connection open."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from service.auth import Role, mint
from service.okrs.demo import DEMO_SLUG
from service.store.embedded import NxServer, free_port
from tests.e2e.servers import serving
from tests.processes import children
from tests.realtime.wire import closed_with
from tests.store.test_embedded import wait_gone

SECRET = "e2e-edges-signing-key-4f9c2a7e1b8d3f6a"
TRANSPORT_WS = [Subprotocol("graphql-transport-ws")]


async def init_of(url: str, size: int) -> tuple[int, str]:
    """How the server closes a connection whose connection_init frame is `size` bytes."""
    padding = "x" * (size - 60)
    frame = json.dumps({"type": "connection_init", "payload": {"padding": padding}})
    async with connect(url, subprotocols=TRANSPORT_WS, max_size=None) as ws:
        await ws.send(frame)
        return await closed_with(ws)


@pytest.mark.slow
def test_a_websocket_frame_over_1_mib_closes_the_connection_before_sign_in() -> None:
    with serving("--memory", env={"OKRGRAPH_JWT_SECRET": SECRET}) as base:
        url = base.replace("http://", "ws://", 1) + "/graphql"
        # Under the limit the frame is read: its sign-in fails for want of a token.
        assert asyncio.run(init_of(url, 1000 * 1000)) == (4403, "Forbidden")
        code, _ = asyncio.run(init_of(url, 2 * 1024 * 1024))
        assert code == 1009  # message too big
        assert httpx.get(f"{base}/healthz").status_code == 200


@pytest.mark.slow
def test_serve_starts_without_its_mongodb_and_connects_once_it_answers(tmp_path: Path) -> None:
    port = free_port()
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    env = {"OKRGRAPH_AUTH": "disabled", "OKRGRAPH_MONGODB_SELECTION_TIMEOUT": "0.3"}
    nx: NxServer | None = None
    try:
        with serving("--mongodb-uri", uri, "--demo", env=env) as base:
            assert httpx.get(f"{base}/healthz").status_code == 200
            ready = httpx.get(f"{base}/readyz", timeout=10)
            assert ready.status_code == 503
            assert ready.json()["hosts"] == [f"127.0.0.1:{port}"]
            (tmp_path / "nx").mkdir()
            nx = NxServer.launch(tmp_path / "data", tmp_path / "nx", port=port)
            asyncio.run(nx.ready())
            deadline = time.monotonic() + 30
            while httpx.get(f"{base}/readyz", timeout=10).status_code != 200:
                assert time.monotonic() < deadline, "the server did not prepare the store"
                time.sleep(0.1)
            query = {"query": "{ organizations { totalCount } }"}
            answer = httpx.post(f"{base}/graphql", json=query).json()
            assert answer["data"] == {"organizations": {"totalCount": 1}}  # the demo, seeded
    finally:
        if nx is not None:
            asyncio.run(nx.stop())


def request(connection: socket.socket, path: str) -> tuple[int, dict[str, str]]:
    """One HTTP/1.1 request on a kept-alive connection: the status and headers."""
    connection.sendall(f"GET {path} HTTP/1.1\r\nHost: okrgraph\r\n\r\n".encode())
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        assert chunk, "the connection closed without an answer"
        received += chunk
    head = received.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in head[1:])
    length = int(headers.get("content-length", "0"))
    body = received.split(b"\r\n\r\n", 1)[1]
    while len(body) < length:
        body += connection.recv(65536)
    return int(head[0].split()[1]), headers


@pytest.mark.slow
def test_at_sigterm_kept_alive_connections_get_503_and_close_and_the_store_stops(
    tmp_path: Path,
) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", "0", "--memory"],
        env={**os.environ, "OKRGRAPH_AUTH": "disabled", "OKRGRAPH_METRICS": "false"},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None
    try:
        found = None
        for line in server.stdout:
            found = re.search(r"GraphiQL at http://127\.0\.0\.1:(\d+)/graphql", line)
            if found:
                break
        assert found is not None
        threading.Thread(target=server.stdout.read, daemon=True).start()
        port = int(found.group(1))
        [nx] = children(server.pid)
        with socket.create_connection(("127.0.0.1", port)) as kept:
            assert request(kept, "/healthz")[0] == 200
            server.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            time.sleep(0.2)  # the signal is handled by then; the drain lasts 1 s
            status, headers = request(kept, "/healthz")
            assert (status, headers["connection"]) == (503, "close")
            assert kept.recv(1) == b""  # then closed by the server
        url = f"ws://127.0.0.1:{port}/graphql"

        async def websocket_close() -> tuple[int, str]:
            async with connect(url, subprotocols=TRANSPORT_WS) as ws:
                return await closed_with(ws)

        assert asyncio.run(websocket_close())[0] == 1012  # service restart
        assert server.wait(timeout=15) == 0
        assert time.monotonic() - stopped < 6
        assert wait_gone(nx, within=1)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stdout.close()


SSE_SECRET = "sse-stop-signing-key-5b8e1d7c3a9f"


@pytest.mark.slow
async def test_at_sigterm_an_open_event_stream_gets_complete_at_once_and_the_server_stops(
    tmp_path: Path,
) -> None:
    before = children(os.getpid())
    env = {"OKRGRAPH_JWT_SECRET": SSE_SECRET}
    with serving("--memory", "--demo", env=env) as base:
        (pid,) = children(os.getpid()) - before
        token = mint(secret=SSE_SECRET, organization=DEMO_SLUG, role=Role.VIEWER, subject="sse")
        auth = {"Authorization": f"Bearer {token}", "accept": "text/event-stream"}
        async with httpx.AsyncClient(base_url=base, headers=auth, timeout=10) as http:
            org = await http.post("/graphql", json={"query": "{ viewer { organization { id } } }"})
            scope = org.text.split('"id":"', 1)[1].split('"', 1)[0]
            body = {
                "query": "subscription($s: ID!) { progressChanged(scopeId: $s) { sequence } }",
                "variables": {"s": scope},
            }
            async with http.stream("POST", "/graphql", json=body) as response:
                assert response.status_code == 200
                lines = response.aiter_lines()
                await asyncio.sleep(0.3)  # subscribed
                os.kill(pid, signal.SIGTERM)
                stopped = time.monotonic()
                seen: list[str] = []
                async for line in lines:
                    seen.append(line)
                ended = time.monotonic() - stopped
        assert "event: complete" in seen
        assert ended < 2.0, f"the stream ended {ended:.1f} s after SIGTERM"
