"""README stays true to the code: every setting documented, the two commands first."""

from __future__ import annotations

from pathlib import Path

from service.config import Settings

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
