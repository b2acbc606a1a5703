"""`okrgraph serve` as a real process for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator

from tests.processes import listening

ADDRESS = re.compile(r"GraphiQL at (http://\S+)/graphql")


@contextlib.contextmanager
def serving(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start `okrgraph serve ARGS --port 0`, yield its base URL once it listens, and stop it
    with SIGTERM at the end, expecting a clean exit."""
    with listening(
        [sys.executable, "-m", "service.cli", "serve", "--port", "0", *args],
        ADDRESS,
        what="the server",
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        clean_exit=True,
        stop_within=30,
    ) as base:
        yield base
