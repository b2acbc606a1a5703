"""The command line, run as a real process against the embedded store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from service.okrs.demo import DEMO_SLUG
from service.store.embedded import open_store


def okrgraph(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
async def test_the_seeded_demo_is_still_there_after_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = okrgraph("seed", "--demo", "--data-dir", str(data), "--today", "2027-05-10")
    assert first.returncode == 0, first.stderr
    assert "seeded the demo organization" in first.stdout
    second = okrgraph("seed", "--demo", "--data-dir", str(data), "--today", "2027-05-10")
    assert second.returncode == 0, second.stderr
    assert "exists already" in second.stdout
    async with open_store(mongodb_uri=None, data_dir=data) as store:
        org = await store.get_organization_by_slug(DEMO_SLUG)
        assert org is not None
        scope = await store.load_year(org.id, 2027)
    assert len(scope.cycles) == 5
    assert len(scope.key_results) >= 8


def test_seed_without_demo_is_a_usage_error() -> None:
    result = okrgraph("seed")
    assert result.returncode == 2
    assert "--demo" in result.stderr
