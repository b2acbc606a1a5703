"""Redis is the shared one at 127.0.0.1:6379, or a private redis-server for the session when that
one does not answer (never a skip)."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest

from tests.events.servers import RedisServer, answers, free_port

SHARED_REDIS_PORT = 6379


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The shared Redis, or a private one when it is down; sync, so it runs outside any loop."""
    if answers(SHARED_REDIS_PORT):
        yield f"redis://127.0.0.1:{SHARED_REDIS_PORT}/0"
        return
    server = RedisServer(free_port())
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def org() -> str:
    """An organization id no other test (nor another run on the shared Redis) uses."""
    return f"org-{uuid4().hex}"
