"""The official `graphql-ws` npm client (with `ws`; versions pinned in package.json and
package-lock.json here, installed by `npm ci`) against a live server, driven by subscribe.mjs:
connect with the token in connectionParams, subscribe, receive the event a mutation causes,
complete while the connection stays open, then disconnect normally."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.npm import installed
from tests.realtime.conformance.conftest import Live
from tests.realtime.wire import WAIT, until_active

HERE = Path(__file__).parent
TOOL_FILES = ("package.json", "package-lock.json", "subscribe.mjs")
PINNED = {"graphql-ws": "6.0.8", "ws": "8.18.3", "graphql": "16.15.0"}


@pytest.fixture(scope="module")
def client_tool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """graphql-ws and ws installed with `npm ci` from the lockfile, in a directory of its own.
    A failed install fails the test: conformance is not optional."""
    return installed(
        HERE,
        TOOL_FILES,
        tmp_path_factory.mktemp("graphql-ws"),
        PINNED,
        needs="the graphql-ws conformance test",
    )


class Script:
    """subscribe.mjs running: its JSON lines, one step each."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def step(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), WAIT)
        except TimeoutError:
            pytest.fail(f"subscribe.mjs said nothing within {WAIT:g} s")
        if not line:
            pytest.fail(f"subscribe.mjs ended: {await self.stderr()}")
        step: dict[str, Any] = json.loads(line)
        assert step["step"] != "error", step
        return step

    async def stderr(self) -> str:
        assert self.process.stderr is not None
        return (await self.process.stderr.read()).decode(errors="replace")[-3000:]


@pytest.mark.slow
async def test_the_official_graphql_ws_client_subscribes_receives_an_event_and_completes(
    client_tool: Path, live: Live
) -> None:
    node = shutil.which("node")
    assert node is not None
    world = live.world
    process = await asyncio.create_subprocess_exec(
        node,
        "subscribe.mjs",
        live.url,
        live.token,
        world.mql,
        cwd=client_tool,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    script = Script(process)
    try:
        assert {(await script.step())["step"] for _ in range(2)} == {"subscribed", "connected"}
        await until_active(live.metrics, 1)
        cause = await live.gql.check_in(world.mql, 250)

        received = await script.step()
        assert received["step"] == "next"
        assert "errors" not in received["result"], received
        event = received["result"]["data"]["progressChanged"]
        assert event["node"] == {"id": world.mql}
        assert event["cause"] == {"id": cause, "value": 250}
        assert event["previous"] == {"value": 0, "status": "PENDING"}
        assert event["current"]["value"] == pytest.approx(0.25)
        assert (await script.step())["step"] == "completed"
        await until_active(live.metrics, 0)  # the server heard `complete`; the socket is still open

        assert process.stdin is not None
        process.stdin.close()  # the script disconnects
        assert await script.step() == {"step": "closed", "code": 1000, "reason": "Normal Closure"}
        assert await asyncio.wait_for(process.wait(), WAIT) == 0, await script.stderr()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
