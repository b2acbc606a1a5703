"""The checked-in SDL is the schema the code builds: clients and reviewers read the file."""

from __future__ import annotations

from pathlib import Path

from schema.api import sdl
from service import cli

SDL_FILE = Path(__file__).resolve().parents[1] / "schema" / "schema.graphql"
STALE = f"{SDL_FILE} is not the schema in the code: run `okrgraph export-schema`"


def test_the_checked_in_sdl_is_the_schema_in_the_code() -> None:
    assert SDL_FILE.exists(), STALE
    assert SDL_FILE.read_text(encoding="utf-8") == sdl(), STALE
    assert cli.main(["export-schema", "--check", "--output", str(SDL_FILE)]) == 0
