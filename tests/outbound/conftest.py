"""Outbound delivery against real parts: the machine's nats-server (127.0.0.1:4222, or a private
one when that does not answer), private nats-servers for outages, and HTTP receivers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mongomock_motor import AsyncMongoMockClient

from service.okrs.commit import Writer
from service.readmodel import ReadModel
from service.store.mongo import MongoStore
from tests.events.servers import free_port

SHARED_NATS_PORT = 4222


def listening(port: int) -> bool:
    """Whether something accepts connections on the port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class NatsServer:
    """A nats-server with JetStream on its own port and directory, that can be stopped and
    started again (keeping its stored streams)."""

    def __init__(self, port: int, directory: Path) -> None:
        binary = shutil.which("nats-server")
        if binary is None:
            raise RuntimeError("nats-server is not installed: the JetStream tests need it")
        self.binary = binary
        self.port = port
        self.directory = directory
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def _jetstream(self) -> list[str]:
        return ["-js", "-sd", str(self.directory)]

    def start(self, timeout: float = 10.0) -> None:
        self._process = subprocess.Popen(
            [self.binary, "-a", "127.0.0.1", "-p", str(self.port), *self._jetstream],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not listening(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nats-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Kill the server, as a crash would."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    """The machine's nats-server, or a private one for the session when it does not answer."""
    if listening(SHARED_NATS_PORT):
        yield f"nats://127.0.0.1:{SHARED_NATS_PORT}"
        return
    with tempfile.TemporaryDirectory(prefix="okrgraph-nats-") as directory:
        server = NatsServer(free_port(), Path(directory))
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


@pytest.fixture
def private_nats() -> Iterator[NatsServer]:
    """A nats-server of the test's own, to stop and start."""
    with tempfile.TemporaryDirectory(prefix="okrgraph-nats-") as directory:
        server = NatsServer(free_port(), Path(directory))
        server.start()
        try:
            yield server
        finally:
            server.stop()


@dataclass
class Instance:
    """One instance of the service as the outbound workers see it."""

    store: MongoStore
    reads: ReadModel
    writer: Writer


@pytest.fixture
async def store() -> MongoStore:
    made = MongoStore(AsyncMongoMockClient(tz_aware=True)["outbound"])
    await made.ensure_indexes()
    return made


def instance(store: MongoStore) -> Instance:
    reads = ReadModel(store)
    return Instance(store, reads, Writer(store, reads))
