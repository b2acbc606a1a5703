"""`okrgraph --help` names every command, and `okrgraph schema-check` reports what a change to
the schema does to its clients: exit 1 on a breaking change, 0 on dangerous ones or none."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from graphql import EnumTypeDefinitionNode, parse, print_ast

from schema.api import sdl
from service import cli
from tests.kit.kit import SDL_FILE

COMMANDS = [
    "serve",
    "seed",
    "export-schema",
    "schema-check",
    "token",
    "export",
    "import",
    "migrate-owners",
]


def test_help_documents_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 0
    listing = capsys.readouterr().out
    for command in COMMANDS:
        described = re.search(rf"^\s+{re.escape(command)}\s+\S", listing, re.MULTILINE)
        assert described, f"`okrgraph --help` says nothing of {command}"
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        assert "usage: okrgraph " + command in capsys.readouterr().out


def known_schema(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schema.graphql"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_checked_in_sdl_has_no_change_to_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["schema-check", "--schema", str(SDL_FILE)]) == 0
    assert "0 breaking and 0 dangerous changes" in capsys.readouterr().out


def test_a_field_the_code_no_longer_has_is_breaking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Clients know `Query.legacyReport` (the file has it); the code has removed it."""
    text = sdl().replace("type Query {\n", "type Query {\n  legacyReport: String\n", 1)
    assert text != sdl()
    assert cli.main(["schema-check", "--schema", str(known_schema(tmp_path, text))]) == 1
    out = capsys.readouterr().out
    [change] = [line for line in out.splitlines() if line.startswith("BREAKING")]
    assert change.startswith("BREAKING FIELD_REMOVED: ")
    assert "Query.legacyReport" in change
    assert "1 breaking and 0 dangerous changes" in out


def test_an_enum_value_the_code_added_is_dangerous_not_breaking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Clients know SeriesInterval without MONTH (the file lacks it); the code adds it: a
    client's exhaustive switch may meet a value it does not handle."""
    known = parse(sdl())
    definitions = [
        replace(d, values=tuple(v for v in d.values or () if v.name.value != "MONTH"))
        if isinstance(d, EnumTypeDefinitionNode) and d.name.value == "SeriesInterval"
        else d
        for d in known.definitions
    ]
    text = print_ast(replace(known, definitions=tuple(definitions)))
    assert cli.main(["schema-check", "--schema", str(known_schema(tmp_path, text))]) == 0
    out = capsys.readouterr().out
    [change] = [line for line in out.splitlines() if line.startswith("DANGEROUS")]
    assert change.startswith("DANGEROUS VALUE_ADDED_TO_ENUM: ")
    assert "SeriesInterval" in change
    assert "MONTH" in change
    assert "0 breaking and 1 dangerous changes" in out


def test_a_missing_or_broken_schema_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["schema-check", "--schema", str(tmp_path / "none.graphql")]) == 2
    assert "cannot read" in capsys.readouterr().err
    for text in ("type Query {", "type Query { a: Missing }"):
        bad = known_schema(tmp_path, text)
        assert cli.main(["schema-check", "--schema", str(bad)]) == 2
        assert "is not a GraphQL schema" in capsys.readouterr().err
