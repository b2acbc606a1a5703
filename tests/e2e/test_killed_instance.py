"""An instance killed (SIGKILL) in the middle of a burst of check-ins leaves nothing half
written: the client sends what got no answer again, with the same idempotency keys, to
another instance, and then every check-in is recorded exactly once, the key result's current
value is its newest check-in's, every change of the log is applied, and an instance that
starts afterwards answers exactly as the surviving one does.

Real processes over real sockets: nx-27017, instance A (killed), instance B, instance C."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.auth import Role, mint
from service.store.embedded import NxServer, free_port
from tests.e2e.servers import serving
from tests.realtime.world import GraphQL, build

SECRET = "killed-instance-signing-key-9e4b7c2d5a1f"
SLUG = "acme-killed"
BURST = 40
CHECK_IN = """mutation($input: CheckInCreateInput!) { checkInCreate(input: $input) {
  created checkIn { value } userErrors { code message } } }"""
STATE = """query($kr: ID!, $org: ID!) {
  kr: node(id: $kr) { ... on KeyResult { currentValue progress { value status }
    checkIns(first: 100) { totalCount nodes { value } } } }
  org: node(id: $org) { ... on Organization { changes(first: 100) { nodes { kind } } } } }"""


def start_a(uri: str, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """Instance A, which the test kills: its process and base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", "0", "--mongodb-uri", uri],
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        found = re.search(r"GraphiQL at (http://\S+)/graphql", line)
        if found:
            # Kept read (access logs) so a full pipe never stalls it; ends with the process.
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, found.group(1)
    raise AssertionError("instance A never listened")


def check_in(world_kr: str, n: int, start: datetime) -> dict[str, Any]:
    recorded = start + timedelta(seconds=n)
    return {
        "input": {
            "keyResultId": world_kr,
            "value": float(n),
            "recordedAt": recorded.isoformat(),
            "idempotencyKey": f"burst-{n}",
        }
    }


async def send(http: httpx.AsyncClient, variables: dict[str, Any]) -> bool:
    """Whether the instance answered that the check-in is stored."""
    try:
        response = await http.post("/graphql", json={"query": CHECK_IN, "variables": variables})
    except httpx.TransportError:
        return False
    if response.status_code != 200:
        return False
    payload = response.json()["data"]["checkInCreate"]
    assert payload["userErrors"] == [], payload
    return True


@pytest.mark.slow
async def test_an_instance_killed_mid_burst_leaves_nothing_half_written(tmp_path: Path) -> None:
    nx = NxServer.launch(None, tmp_path, port=free_port())
    await nx.ready()
    env = {"OKRGRAPH_JWT_SECRET": SECRET, "OKRGRAPH_METRICS": "false"}
    token = mint(secret=SECRET, organization=SLUG, role=Role.ADMIN, subject="burst")
    auth = {"Authorization": f"Bearer {token}"}
    a_process, a = start_a(nx.uri, env)
    try:
        with serving("--mongodb-uri", nx.uri, env=env) as b:
            async with (
                httpx.AsyncClient(base_url=a, headers=auth, timeout=10) as on_a,
                httpx.AsyncClient(base_url=b, headers=auth, timeout=10) as on_b,
            ):
                world = await build(GraphQL(on_b), slug=SLUG)
                start = datetime.now(UTC) - timedelta(seconds=BURST + 60)
                burst = [check_in(world.mql, n, start) for n in range(BURST)]

                first_stored = asyncio.Event()

                async def one(n: int) -> bool:
                    await asyncio.sleep(0.02 * n)
                    stored = await send(on_a, burst[n])
                    if stored:
                        first_stored.set()
                    return stored

                sending = [asyncio.create_task(one(n)) for n in range(BURST)]
                await asyncio.wait_for(first_stored.wait(), 10)
                await asyncio.sleep(0.05)
                a_process.send_signal(signal.SIGKILL)  # mid-burst, between any two calls
                answered = await asyncio.gather(*sending)
                assert 0 < sum(answered) < BURST, "the kill fell inside the burst"
                # The client sends again, to B, what A never confirmed.
                for n, done in enumerate(answered):
                    if not done:
                        assert await send(on_b, burst[n])
                variables = {"kr": world.mql, "org": world.org}
                on_b_state = (
                    await on_b.post("/graphql", json={"query": STATE, "variables": variables})
                ).json()
            with serving("--mongodb-uri", nx.uri, env=env) as c:
                async with httpx.AsyncClient(base_url=c, headers=auth, timeout=10) as on_c:
                    fresh = (
                        await on_c.post("/graphql", json={"query": STATE, "variables": variables})
                    ).json()
    finally:
        if a_process.poll() is None:
            a_process.kill()
        a_process.wait()
        if a_process.stdout is not None:
            a_process.stdout.close()
        await nx.stop()
    assert "errors" not in on_b_state, on_b_state
    kr = on_b_state["data"]["kr"]
    values = sorted(node["value"] for node in kr["checkIns"]["nodes"])
    assert values == [float(n) for n in range(BURST)], "each check-in exactly once"
    assert kr["checkIns"]["totalCount"] == BURST
    assert kr["currentValue"] == float(BURST - 1)  # the newest recordedAt
    kinds = [c["kind"] for c in on_b_state["data"]["org"]["changes"]["nodes"]]
    assert kinds.count("checkInCreate") == BURST
    assert fresh == on_b_state
