"""The embedded store: nx-27017 (a MongoDB wire-protocol server over SQLite) as a child process,
and `open_store`, which picks a real MongoDB when given a URI and the embedded one otherwise.

The child never outlives its parent: it is stopped (SIGTERM, then SIGKILL) when the context
exits however it exits (normally, by exception, Ctrl-C or cancellation); it runs in its own
session so that a terminal's Ctrl-C reaches only the parent, which then stops it cleanly; and on
Linux the kernel sends it SIGTERM should the parent die without cleaning up (a SIGTERM or
SIGKILL to the parent), through PR_SET_PDEATHSIG.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from service.store.mongo import MongoStore

START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
RESEND_TERM = 0.5  # seconds between SIGTERMs while the child stops
_LAUNCH = "import sys; from nx_27017.nx_27017 import main; sys.exit(main())"
_PR_SET_PDEATHSIG = 1


SELECTION_TIMEOUT = 1.5  # seconds; the setting OKRGRAPH_MONGODB_SELECTION_TIMEOUT
CONNECT_TIMEOUT_MS = 1000


class EmbeddedStartError(RuntimeError):
    """nx-27017 did not answer in time, or exited while starting."""


def free_port() -> int:
    """A loopback TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn asking Linux to SIGTERM the child when its parent dies; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    prctl = ctypes.CDLL(name, use_errno=True).prctl  # looked up before fork, not in the child
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


@dataclass
class NxServer:
    """One nx-27017 child process listening on a loopback port."""

    process: subprocess.Popen[bytes]
    port: int
    workdir: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    @classmethod
    def launch(cls, data_dir: Path | None, workdir: Path, *, port: int | None = None) -> NxServer:
        """Start the process (without waiting for it): `data_dir` None keeps data in memory;
        `workdir` receives its pid and log files. Call from the thread that will outlive it:
        PR_SET_PDEATHSIG watches the launching thread."""
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        command = [
            sys.executable,
            "-c",
            _LAUNCH,
            "--data-dir",
            "memory" if data_dir is None else str(data_dir.resolve()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--pid-file",
            str(workdir / "nx.pid"),
            "--log-file",
            str(workdir / "nx.log"),
        ]
        with (workdir / "nx.out").open("ab") as out:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=out,
                cwd=workdir,
                start_new_session=True,
                preexec_fn=_die_with_parent(),  # safe: nothing runs in other threads here
            )
        return cls(process=process, port=port, workdir=workdir)

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.workdir / "nx.out").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def ready(self, within: float = START_TIMEOUT) -> None:
        """Return once `ping` answers; EmbeddedStartError (with the log tail) otherwise."""
        deadline = time.monotonic() + within
        # Wait for the port with plain sockets first: a PyMongo client closed while its monitor
        # is still connecting leaks that socket (PyMongo 4.20).
        while not await self._accepts():
            self._check_running()
            if time.monotonic() > deadline:
                raise EmbeddedStartError(
                    f"nx-27017 did not listen on port {self.port} within {within:g} s:"
                    f"\n{self.log_tail()}"
                )
            await asyncio.sleep(0.05)
        left_ms = max(int((deadline - time.monotonic()) * 1000), 500)
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            self.uri, serverSelectionTimeoutMS=left_ms, connectTimeoutMS=left_ms
        )
        try:
            await client.admin.command("ping")
        except PyMongoError as exc:
            raise EmbeddedStartError(
                f"nx-27017 did not answer ping on port {self.port}: {exc}\n{self.log_tail()}"
            ) from exc
        finally:
            await client.close()

    def _check_running(self) -> None:
        if self.process.poll() is not None:
            raise EmbeddedStartError(
                f"nx-27017 exited with status {self.process.returncode} while starting:"
                f"\n{self.log_tail()}"
            )

    async def _accepts(self) -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        writer.close()
        await writer.wait_closed()
        return True

    def _signal(self, signum: int) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)  # its own session: the group is its pid

    async def stop(self, grace: float = STOP_TIMEOUT) -> None:
        """SIGTERM, again every half second while it stops (one sent while it was still
        setting up its handlers is lost), up to `grace` seconds, then SIGKILL; the process is
        reaped either way, even when this is cancelled while waiting."""
        try:
            deadline = time.monotonic() + grace
            resend = 0.0
            # Polling, not an Event: a child's exit is not awaitable without owning SIGCHLD.
            while self.process.poll() is None and time.monotonic() < deadline:
                if time.monotonic() >= resend:
                    self._signal(signal.SIGTERM)
                    resend = time.monotonic() + RESEND_TERM
                await asyncio.sleep(0.02)
        finally:
            if self.process.poll() is None:
                self._signal(signal.SIGKILL)
                self.process.wait()


@dataclass(frozen=True, slots=True)
class EmbeddedMongo:
    """A running embedded store: where to connect, and the server's process id."""

    uri: str
    pid: int


@contextlib.asynccontextmanager
async def embedded_mongo(
    data_dir: Path | None, *, start_timeout: float = START_TIMEOUT
) -> AsyncIterator[EmbeddedMongo]:
    """Run nx-27017 on a free loopback port for the duration of the block; `data_dir` None keeps
    everything in memory. The server is stopped when the block exits, however it exits."""
    with tempfile.TemporaryDirectory(prefix="okrgraph-nx-") as workdir:
        server = NxServer.launch(data_dir, Path(workdir))
        try:
            await server.ready(start_timeout)
            yield EmbeddedMongo(uri=server.uri, pid=server.pid)
        finally:
            await server.stop()


def uri_options(uri: str) -> set[str]:
    """The names of the options a MongoDB URI sets, lower-cased (as the driver reads them)."""
    query = uri.partition("?")[2]
    return {name.lower() for name, _ in parse_qsl(query, keep_blank_values=True)}


def uri_hosts(uri: str) -> list[str]:
    """The hosts a MongoDB URI names (`host[:port]`), without its credentials or options."""
    rest = uri.partition("://")[2]
    hosts = rest.split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    return [host for host in hosts.split(",") if host]


@contextlib.asynccontextmanager
async def connect(
    uri: str, database: str = "okrgraph", *, selection_timeout: float = SELECTION_TIMEOUT
) -> AsyncIterator[MongoStore]:
    """A MongoStore over a new client to `uri`; the client is closed when the block exits.

    Fail fast while the store is down (the driver's default waits 30 s): a request gets
    STORE_UNAVAILABLE within `selection_timeout` seconds, and the driver reconnects by itself
    when it is back. The URI's own serverSelectionTimeoutMS and connectTimeoutMS win."""
    given = uri_options(uri)
    timeouts: dict[str, Any] = {}
    if "serverselectiontimeoutms" not in given:
        timeouts["serverSelectionTimeoutMS"] = int(selection_timeout * 1000)
    if "connecttimeoutms" not in given:
        timeouts["connectTimeoutMS"] = CONNECT_TIMEOUT_MS
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(uri, tz_aware=True, **timeouts)
    try:
        yield MongoStore(client[database])
    finally:
        await client.close()


@contextlib.asynccontextmanager
async def open_store(
    *,
    mongodb_uri: str | None,
    data_dir: Path | None,
    database: str = "okrgraph",
    selection_timeout: float = SELECTION_TIMEOUT,
) -> AsyncIterator[MongoStore]:
    """The store the service runs on: the MongoDB at `mongodb_uri` when given (the setting
    OKRGRAPH_MONGODB_URI), else an embedded nx-27017 keeping its files in `data_dir` (None: in
    memory). Owns the client and the embedded server, and closes both on exit."""
    if mongodb_uri:
        async with connect(mongodb_uri, database, selection_timeout=selection_timeout) as store:
            yield store
        return
    async with (
        embedded_mongo(data_dir) as server,
        connect(server.uri, database, selection_timeout=selection_timeout) as store,
    ):
        yield store
