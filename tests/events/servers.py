"""Private redis-server processes for tests that take Redis away and bring it back."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

NO_PERSISTENCE = ("--save", "", "--appendonly", "no")


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def answers(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a Redis answers PING on the port."""
    try:
        with socket.create_connection((host, port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """A redis-server on a fixed port, without persistence, that can be killed and restarted."""

    def __init__(self, port: int) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: the event bus tests need it")
        self.binary = binary
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        """The running server's process id."""
        assert self._process is not None, "the server is not running"
        return self._process.pid

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until it answers."""
        self._process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", *NO_PERSISTENCE],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not answers(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Kill the server (as a crash would) and reap it."""
        if self._process is not None:
            self._process.kill()  # a stopped (SIGSTOP) process dies of SIGKILL too
            self._process.wait()
            self._process = None
