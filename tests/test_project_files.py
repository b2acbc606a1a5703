"""LICENSE and CHANGELOG.md agree with pyproject.toml: the license it declares, and a change log
in Keep a Changelog's form whose newest release is the version being built."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

RELEASE = re.compile(r"## \[(?P<version>\d+\.\d+\.\d+)\] - (?P<date>\d{4}-\d{2}-\d{2})")
SECTIONS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_the_license_file_is_the_one_pyproject_declares() -> None:
    assert PROJECT["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) ")
    assert "the okrgraph authors" in text.splitlines()[2]
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def releases(text: str) -> list[tuple[str, date]]:
    """The change log's releases, newest first, after checking its form: a title, an
    Unreleased section on top, then releases with known section names, newer above older."""
    lines = text.splitlines()
    assert lines[0] == "# Changelog"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings[0] == "## [Unreleased]", "Unreleased comes first"
    found: list[tuple[str, date]] = []
    for heading in headings[1:]:
        match = RELEASE.fullmatch(heading)
        assert match, f"not `## [X.Y.Z] - YYYY-MM-DD`: {heading}"
        found.append((match["version"], date.fromisoformat(match["date"])))
    for line in lines:
        if line.startswith("### "):
            assert line[4:] in SECTIONS, line
    versions = [tuple(int(n) for n in v.split(".")) for v, _ in found]
    assert versions == sorted(versions, reverse=True), "newest first"
    assert [d for _, d in found] == sorted((d for _, d in found), reverse=True)
    return found


def test_the_newest_release_in_the_change_log_is_the_version_being_built() -> None:
    found = releases((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    assert found, "no release in CHANGELOG.md"
    assert found[0][0] == PROJECT["version"], "add the release to CHANGELOG.md"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("# Changelog\n\n## [0.1.0] - 2026-12-03\n", "Unreleased comes first"),
        ("# Changelog\n\n## [Unreleased]\n\n## 0.1.0 (2026-12-03)\n", "not `## [X.Y.Z]"),
        ("# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-12-03\n### Fixes\n", "### Fixes"),
        (
            "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-12-03\n\n"
            "## [0.2.0] - 2026-12-04\n",
            "newest first",
        ),
    ],
)
def test_a_change_log_out_of_form_is_refused(text: str, error: str) -> None:
    with pytest.raises(AssertionError, match=re.escape(error)):
        releases(text)
