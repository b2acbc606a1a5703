"""How big a run is, and who it signs in as.

`make bench` measures at full size. With `BENCH_SMOKE=1` every benchmark runs once at tiny
sizes, in seconds (tests/test_bench_smoke.py does that in `make test`, so that a benchmark
cannot rot between runs of `make bench`); its numbers mean nothing and go to `BENCH_RESULTS`,
never to tests/bench/RESULTS.md or README.

Every HTTP and WebSocket benchmark runs with authentication on, as a deployment does: the
servers verify HS256 tokens signed with `SIGNING_KEY`, and the clients send real ones.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

from service.auth import Role, mint

SMOKE = os.environ.get("BENCH_SMOKE") == "1"
SIGNING_KEY = "bench-hs256-4b7e1c9a0f3d8e2b6a5c7d1f"
SIGNED = {"OKRGRAPH_JWT_SECRET": SIGNING_KEY}
"""The environment that turns a server's authentication on with the benchmarks' key."""

T = TypeVar("T")


def sized(full: T, smoke: T) -> T:
    """`full` for `make bench`, `smoke` for the smoke run."""
    return smoke if SMOKE else full


def results_path(default: Path) -> Path:
    """Where the run's results go: `BENCH_RESULTS` when set (the smoke run), else `default`."""
    given = os.environ.get("BENCH_RESULTS")
    return Path(given) if given else default


def token(slug: str, role: Role = Role.EDITOR, subject: str = "bench") -> str:
    """A real token for `slug`'s organization, good for the run."""
    return mint(secret=SIGNING_KEY, organization=slug, role=role, subject=subject)


def bearer(slug: str, role: Role = Role.EDITOR) -> dict[str, str]:
    """The `Authorization` header of a client signed in to `slug`."""
    return {"Authorization": f"Bearer {token(slug, role)}"}
