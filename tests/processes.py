"""Process helpers for tests that start servers (Linux /proc)."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest


def children(pid: int) -> set[int]:
    """The process ids of `pid`'s children."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(child) for child in (task / "children").read_text().split())
    return found


@contextlib.contextmanager
def listening(
    command: list[str],
    address: re.Pattern[str],
    *,
    what: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    clean_exit: bool = False,
    stop_within: float = 15,
) -> Iterator[str]:
    """Start `command`, yield the first group of `address` once a line of its output matches
    (its base URL), and stop it with SIGTERM at the end; with `clean_exit`, it must then exit
    with status 0 within `stop_within` seconds. A process that never prints its address fails
    the test with its output."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout
    lines: list[str] = []
    # Keep reading (access logs) once it listens, so a full pipe never stalls the server.
    drain = threading.Thread(target=output.read, daemon=True)
    try:
        for line in output:
            lines.append(line)
            found = address.search(line)
            if found:
                drain.start()
                yield found.group(1)
                break
        else:
            pytest.fail(f"{what} never printed its address:\n" + "".join(lines))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=stop_within)
            if clean_exit:
                assert status == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            if drain.is_alive():
                drain.join(timeout=10)  # the process is gone: its output ends
            output.close()
