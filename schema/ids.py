"""Opaque global ids and cursors.

A global id is base64url of `Type:orgId:localId` (for an organization, `Organization:orgId`), so
any id names its type and its organization without a store round trip; clients must treat it as
opaque. A cursor is base64url of `cursor:localId`.
"""

from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass

from service.domain.errors import ErrorCode, InvalidInput

NODE_TYPES = frozenset(
    {
        "Organization",
        "Department",
        "Cycle",
        "Objective",
        "KeyResult",
        "CheckIn",
        "ActionStep",
        "Initiative",
        "Change",
        "Webhook",
        "Member",
    }
)
_CURSOR = "cursor:"


@dataclass(frozen=True, slots=True)
class GlobalId:
    """A decoded global id: the node type, its organization and its id in the store."""

    type_name: str
    org_id: str
    local_id: str


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(text: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return raw.decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


@functools.lru_cache(maxsize=1 << 16)
def to_global_id(type_name: str, org_id: str, local_id: str) -> str:
    """The opaque id clients see (remembered: a response names the same few thousand nodes
    request after request, and encoding is most of the cost of building a node)."""
    if type_name == "Organization":
        return _encode(f"Organization:{org_id}")
    return _encode(f"{type_name}:{org_id}:{local_id}")


def parse_global_id(value: str) -> GlobalId | None:
    """The decoded id, or None when it is not one of ours."""
    text = _decode(value) if len(value) <= 200 else None
    if text is None:
        return None
    parts = text.split(":")
    if not parts or parts[0] not in NODE_TYPES:
        return None
    if parts[0] == "Organization":
        if len(parts) != 2 or not parts[1]:
            return None
        return GlobalId("Organization", parts[1], parts[1])
    if len(parts) != 3 or not parts[1] or not parts[2]:
        return None
    return GlobalId(parts[0], parts[1], parts[2])


def expect_id(value: str, type_name: str, *, field: str) -> GlobalId:
    """Decode an id argument that must name a `type_name`; InvalidInput (INVALID_ID) otherwise."""
    found = parse_global_id(value)
    if found is None:
        raise InvalidInput(
            f"{value[:80]!r} is not a valid id", field=(field,), code=ErrorCode.INVALID_ID
        )
    if found.type_name != type_name:
        raise InvalidInput(
            f"expected the id of a {type_name}, got the id of a {found.type_name}",
            field=(field,),
            code=ErrorCode.INVALID_ID,
        )
    return found


def to_cursor(local_id: str) -> str:
    """The opaque cursor of an item in an id-ordered list."""
    return _encode(_CURSOR + local_id)


def from_cursor(cursor: str | None) -> str | None:
    """The local id a cursor points after; InvalidInput (INVALID_VALUE) for a foreign cursor."""
    if cursor is None:
        return None
    text = _decode(cursor) if len(cursor) <= 200 else None
    if text is None or not text.startswith(_CURSOR) or len(text) == len(_CURSOR):
        raise InvalidInput("not a cursor of this list", field=("after",))
    return text[len(_CURSOR) :]
