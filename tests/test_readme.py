"""README stays true to the code: every setting documented, the two commands first."""

from __future__ import annotations

from pathlib import Path

from service.config import Settings
from tests.bench.report import (
    BEGIN,
    DASHBOARD_OVER_HTTP,
    END,
    RESULTS,
    readme_part,
    readme_region,
    sync_readme,
)

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_configuration_table() -> None:
    table = README[README.index("## Configuration") :]
    missing = [
        f"OKRGRAPH_{name.upper()}"
        for name in Settings.model_fields
        if f"`OKRGRAPH_{name.upper()}`" not in table
    ]
    assert missing == []


def test_the_readme_opens_with_the_two_commands() -> None:
    opening = README[: README.index("okrgraph is")]
    assert "make run" in opening
    assert "make test" in opening


def test_the_performance_section_shows_the_latest_bench_results() -> None:
    """README's generated region is what `make bench` made of tests/bench/RESULTS.md."""
    performance = README[README.index("## Performance") :]
    assert readme_part(performance) == readme_region(RESULTS.read_text(encoding="utf-8"))


def test_the_generated_region_counts_the_targets_met(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(
        "# Benchmark results\n\nMeasured 2027-01-02 03:04 UTC on a machine.\n\n"
        "## Targets\n\n| measured | value | target | met |\n| --- | --- | --- | --- |\n"
        "| a | 1 | ≤ 2 | yes |\n| b | 3 | ≤ 2 | **no** |\n| c | 4 | none |  |\n\n"
        f"## {DASHBOARD_OVER_HTTP}\n\n| server | requests/s |\n| --- | ---: |\n| x | 5 |\n\n"
        "Words about it.\n\n## Other\n\n| y | z |\n",
        encoding="utf-8",
    )
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# R\n\n## Performance\n\n{BEGIN}\nstale\n{END}\n\nAfter.\n", encoding="utf-8"
    )
    sync_readme(results, readme)
    written = readme.read_text(encoding="utf-8")
    region = readme_part(written)
    assert region.startswith("Latest run: 2027-01-02 03:04 UTC on a machine. 1 of 2 targets met;")
    assert "| b | 3 | ≤ 2 | **no** |" in region
    assert "| x | 5 |" in region
    assert "Words about it" not in region
    assert "| y | z |" not in region
    assert written.endswith(f"{END}\n\nAfter.\n")
    assert "stale" not in written
