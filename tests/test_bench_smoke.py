"""Every benchmark runs once at tiny sizes (`BENCH_SMOKE=1`, tests/bench/scale.py), so that
none rots between runs of `make bench`: a benchmark that errors, or whose reference answers
differently from okrgraph, fails here. Its numbers mean nothing and go to a temporary file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.report import SUMMARY, sections

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = sorted(p.name for p in (ROOT / "tests" / "bench").glob("test_*.py"))


@pytest.mark.slow
def test_every_benchmark_runs_at_tiny_sizes(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    env = {**os.environ, "BENCH_SMOKE": "1", "BENCH_RESULTS": str(results)}
    command = [sys.executable, "-m", "pytest", "tests/bench", "-p", "no:cacheprovider"]
    ran = subprocess.run(
        [*command, "--no-cov", "-q", "-rA"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout[-6000:] + ran.stderr[-3000:]
    for name in BENCHMARKS:
        assert f"tests/bench/{name}::" in ran.stdout, f"{name} did not run"
    written = sections(results.read_text(encoding="utf-8"))
    assert SUMMARY in written
    assert len(written) > len(BENCHMARKS)
