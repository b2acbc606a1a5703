"""`okrgraph serve` as a real process for end-to-end tests, each with its metrics listener on a
port of its own."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator

from service.store.embedded import free_port
from tests.processes import listening

ADDRESS = re.compile(r"GraphiQL at (http://\S+)/graphql")
_METRICS: dict[str, str] = {}  # a running server's base URL: its metrics URL


def metrics_of(base: str) -> str:
    """The `/metrics` URL of the server `serving` started at `base`."""
    return _METRICS[base]


@contextlib.contextmanager
def serving(
    *args: str, env: dict[str, str] | None = None, stop_within: float = 30
) -> Iterator[str]:
    """Start `okrgraph serve ARGS --port 0`, yield its base URL once it listens, and stop it
    with SIGTERM at the end, expecting a clean exit within `stop_within` seconds."""
    metrics_port = free_port()
    given = {"OKRGRAPH_METRICS_PORT": str(metrics_port), **(env or {})}
    with listening(
        [sys.executable, "-m", "service.cli", "serve", "--port", "0", *args],
        ADDRESS,
        what="the server",
        env={**os.environ, "PYTHONUNBUFFERED": "1", **given},
        clean_exit=True,
        stop_within=stop_within,
    ) as base:
        _METRICS[base] = f"http://127.0.0.1:{metrics_port}/metrics"
        try:
            yield base
        finally:
            del _METRICS[base]
