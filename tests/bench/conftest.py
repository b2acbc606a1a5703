"""Benchmarks: every test here carries the `bench` marker, and `make test` never runs them
(it ignores tests/bench). The session shares one world (the large data set takes most of a
minute to write) and writes tests/bench/RESULTS.md at its end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from tests.bench.report import RESULTS, Results, sync_readme
from tests.bench.scale import results_path
from tests.bench.world import World, world

HERE = Path(__file__).parent


COLLECTED: set[Path] = set()
"""The benchmark files this session runs."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.bench)
            COLLECTED.add(Path(item.path))


@pytest.fixture(scope="session")
def results() -> Iterator[Results]:
    """Where each benchmark puts its table; written to RESULTS.md when the session ends, and
    README's Performance region made again from it. The run ends with the targets table."""
    collected = Results(complete=set(HERE.glob("test_*.py")) <= COLLECTED)
    yield collected
    path = results_path(RESULTS)
    if collected.sections:
        collected.write(path)
        if path == RESULTS:
            sync_readme()
    if collected.targets:
        print(f"\n## Targets\n\n{collected.summary()}\n", flush=True)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def bench_world() -> AsyncIterator[World]:
    """The demo and the large organization in one nx-27017, dated today (the server's clock is
    the real one)."""
    async with world(datetime.now(UTC).date()) as made:
        yield made
