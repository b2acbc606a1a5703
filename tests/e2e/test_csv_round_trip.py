"""`okrgraph import --csv` then `okrgraph export --csv`, as real processes on the embedded store
(nx-27017 in a data directory): the export reads back as the file, and importing it again
changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.kit.test_csv_cli import EXPORTED, SOURCE


def okrgraph(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_a_csv_imported_by_one_process_is_exported_by_another(tmp_path: Path) -> None:
    store = ["--data-dir", str(tmp_path / "data")]
    source = tmp_path / "okrs.csv"
    source.write_bytes(SOURCE.encode())
    done = okrgraph("import", "--csv", str(source), "--org", "acme", *store)
    assert done.returncode == 0, done.stderr
    assert "written as one change" in done.stdout
    output = tmp_path / "out.csv"
    done = okrgraph("export", "--csv", "--org", "acme", "--output", str(output), *store)
    assert done.returncode == 0, done.stderr
    assert output.read_bytes().decode() == EXPORTED
    again = okrgraph("import", "--csv", str(output), "--org", "acme", *store)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("UNCHANGED") == 5
    assert "nothing to change" in again.stdout
