"""Every type, field, argument, input field and enum value of the schema is described."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)

from schema.api import schema


def undescribed() -> list[str]:
    """The coordinates (`Type.field(arg:)`) of everything of ours that lacks a description."""
    missing: list[str] = []
    for name, kind in schema._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not kind.description:
            missing.append(name)
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in kind.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing += [
                    f"{name}.{field_name}({arg}:)"
                    for arg, argument in field.args.items()
                    if not argument.description
                ]
        elif isinstance(kind, GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, v in kind.fields.items() if not v.description]
        elif isinstance(kind, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in kind.values.items() if not value.description]
    return missing


def test_everything_in_the_schema_has_a_description() -> None:
    assert undescribed() == []


ROOT = Path(__file__).resolve().parents[1]
# Documents a reader of the schema or of the package does not have: not in the repository.
ELSEWHERE = re.compile(r"\b[A-Z][A-Z-]+\.md\b|§")


def test_every_description_stands_on_its_own() -> None:
    sdl = (ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    cited = [
        (where, line.strip())
        for where, text in (("schema.graphql", sdl), ("pyproject.toml", pyproject))
        for line in text.splitlines()
        for found in ELSEWHERE.findall(line)
        if not (ROOT / found).is_file()
    ]
    assert cited == []
