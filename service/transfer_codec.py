"""How `service.transfer` writes the domain model's dataclasses as plain JSON and reads them
back: camelCase keys, ISO 8601 times with their UTC offset, enums by value; every value read is
checked against the field's type, and a bad one is a TransferError naming where it is.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, fields, is_dataclass
from datetime import date, datetime
from typing import Any, TypeVar, cast

T = TypeVar("T")


class TransferError(Exception):
    """An export of an unknown slug, a document that is not an export, or a taken slug."""


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# Not written out: the organization the document implies, a check-in's place in the change
# log it came from (an import writes its own), and a key result's upcoming check-ins (an import
# works them out again from the check-ins).
_LEFT_OUT = frozenset({"org_id", "sequence", "upcoming"})


def encode(value: object) -> Any:
    """A domain value as JSON: dataclasses as objects with camelCase keys (without what
    `_LEFT_OUT` names), times and dates in ISO 8601, enums by value."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            camel(f.name): encode(getattr(value, f.name))
            for f in fields(value)
            if f.name not in _LEFT_OUT
        }
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [encode(item) for item in value]
    return value


def entity(kind: type[T], data: object, org_id: str, where: str) -> T:
    """An entity of the document, in the organization `org_id`."""
    return cast(T, decode(kind, data, where, org_id))


def decode(kind: Any, value: object, where: str, org_id: str = "") -> Any:
    """`value` as a `kind` (a type of the domain model's fields); TransferError if it is not."""
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return None if value is None else decode(options[0], value, where)
    if origin is tuple:
        return tuple(
            decode(typing.get_args(kind)[0], item, where) for item in as_list(value, where)
        )
    if isinstance(kind, type) and is_dataclass(kind):
        data = as_object(value, where)
        hints = typing.get_type_hints(kind)
        values = {
            f.name: decode(hints[f.name], data[camel(f.name)], f"{where}.{camel(f.name)}")
            for f in fields(kind)
            if camel(f.name) in data
        }
        missing = [
            camel(f.name)
            for f in fields(kind)
            if f.name not in values and f.name != "org_id" and _required(f)
        ]
        if missing:
            raise TransferError(f"{where}: missing {', '.join(missing)}")
        if "org_id" in hints:
            values["org_id"] = org_id
        return kind(**values)
    return _scalar(kind, value, where)


def _scalar(kind: Any, value: object, where: str) -> Any:
    parse: dict[Any, Callable[[Any], Any]] = {
        datetime: datetime.fromisoformat,
        date: date.fromisoformat,
    }
    if kind in parse:
        try:
            parsed = parse[kind](as_text(value, where))
        except ValueError as error:
            raise TransferError(f"{where}: not an ISO 8601 value: {value!r}") from error
        if isinstance(parsed, datetime) and parsed.tzinfo is None:
            raise TransferError(f"{where}: a time needs its UTC offset: {value!r}")
        return parsed
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(value)
        except ValueError as error:
            raise TransferError(f"{where}: not a {kind.__name__}: {value!r}") from error
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind in (int, str, bool) and type(value) is kind:
        return value
    raise TransferError(f"{where}: expected {getattr(kind, '__name__', kind)}, got {value!r}")


def _required(f: Field[Any]) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def as_object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TransferError(f"{where}: expected an object")
    return value


def as_list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise TransferError(f"{where}: expected a list")
    return value


def as_text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise TransferError(f"{where}: expected a string")
    return value
