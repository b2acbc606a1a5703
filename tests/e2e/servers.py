"""`okrgraph serve` as a real process for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

ADDRESS = re.compile(r"GraphiQL at (http://\S+)/graphql")


@contextlib.contextmanager
def serving(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start `okrgraph serve ARGS --port 0`, yield its base URL once it listens, and stop it
    with SIGTERM at the end, expecting a clean exit."""
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    assert process.stdout is not None
    output = process.stdout
    lines: list[str] = []
    # Keep reading (access logs) once it listens, so a full pipe never stalls the server.
    drain = threading.Thread(target=output.read, daemon=True)
    try:
        for line in output:
            lines.append(line)
            found = ADDRESS.search(line)
            if found:
                drain.start()
                yield found.group(1)
                break
        else:
            pytest.fail("the server never printed its address:\n" + "".join(lines))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
            if drain.is_alive():
                drain.join(timeout=10)  # the server is gone: its output ends
            output.close()
