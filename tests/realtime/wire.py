"""Speaking the subscription protocols by hand, and asking a server how many subscriptions it
holds (so a test publishes only once the subscriber is listening, without sleeping on a guess)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from service.observability import Metrics

WAIT = 10.0  # seconds: how long anything expected may take on a busy 2-core machine
ACTIVE = re.compile(r"^okrgraph_subscriptions_active (\S+)$", re.MULTILINE)


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def receive(ws: ClientConnection, within: float = WAIT) -> dict[str, Any]:
    """The next message, decoded; fails the test if none arrives in time."""
    try:
        raw = await asyncio.wait_for(ws.recv(), within)
    except TimeoutError:
        pytest.fail(f"no message within {within:g} s")
    message: dict[str, Any] = json.loads(raw)
    return message


async def quiet(ws: ClientConnection, seconds: float = 0.5) -> None:
    """Nothing arrives for `seconds`."""
    try:
        raw = await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return
    pytest.fail(f"expected silence, received {raw!r}")


async def closed_with(ws: ClientConnection) -> tuple[int, str]:
    """The close code and reason the server sent, once it closes the connection."""
    with pytest.raises(ConnectionClosed) as closing:
        await asyncio.wait_for(ws.recv(), WAIT)
    received = closing.value.rcvd
    assert received is not None, "the connection ended without a close frame"
    return received.code, received.reason


async def subscribe(ws: ClientConnection, op: str, query: str, **variables: Any) -> None:
    """A graphql-transport-ws `subscribe` message."""
    payload = {"query": query, "variables": variables}
    await send(ws, {"id": op, "type": "subscribe", "payload": payload})


async def init(ws: ClientConnection, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """connection_init, and the server's answer."""
    await send(ws, {"type": "connection_init", **({"payload": payload} if payload else {})})
    return await receive(ws)


async def active(metrics: Metrics | str) -> int:
    """The subscriptions a server holds now: its metrics gauge, read from an in-process app's
    Metrics or from a running server's metrics listener (its `/metrics` URL)."""
    if isinstance(metrics, Metrics):
        return int(metrics.registry.get_sample_value("okrgraph_subscriptions_active") or 0)
    async with httpx.AsyncClient(timeout=WAIT) as http:
        response = await http.get(metrics)
    assert response.status_code == 200, response.text
    found = ACTIVE.search(response.text)
    assert found is not None, "okrgraph_subscriptions_active is missing from /metrics"
    return int(float(found.group(1)))


async def until(
    check: Callable[[], Awaitable[bool]], describe: str, within: float = WAIT, every: float = 0.02
) -> None:
    """Wait until `check()` answers true; fail the test with `describe` if not."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {within:g} s: {describe}")
        await asyncio.sleep(every)


async def until_active(metrics: Metrics | str, count: int) -> None:
    """Wait until the server holds exactly `count` subscriptions.

    On the in-process bus a subscription is attached to the bus before its resolver yields to
    the loop again, so once the gauge counts it, it hears every later event. (The Redis bus
    also waits for Redis to confirm the channel: see `until_channel` in the two-instance test.)
    """

    async def reached() -> bool:
        return await active(metrics) == count

    await until(reached, f"{count} active subscription(s)")
