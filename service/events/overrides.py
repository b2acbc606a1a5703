"""An explanation's override (a progress set by hand) as plain, JSON-able data: how it travels
between instances inside a progress event."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from service.domain.explain import OverrideNote
from service.domain.model import Override


class PlainOverride(TypedDict):
    """The override a number answers, and the value computed beside it."""

    value: float
    reason: str
    set_at: str
    set_by: str | None
    expires_at: str | None
    cleared_at: str | None
    cleared_by: str | None
    computed: float | None


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def override_to_plain(note: OverrideNote | None) -> PlainOverride | None:
    """An explanation's override as plain data."""
    if note is None:
        return None
    held = note.override
    return {
        "value": held.value,
        "reason": held.reason,
        "set_at": held.set_at.isoformat(),
        "set_by": held.set_by,
        "expires_at": _iso(held.expires_at),
        "cleared_at": _iso(held.cleared_at),
        "cleared_by": held.cleared_by,
        "computed": note.computed,
    }


def override_from_plain(plain: PlainOverride | None) -> OverrideNote | None:
    """`override_to_plain` read back."""
    if plain is None:
        return None
    return OverrideNote(
        Override(
            value=plain["value"],
            reason=plain["reason"],
            set_at=datetime.fromisoformat(plain["set_at"]),
            set_by=plain["set_by"],
            expires_at=_instant(plain["expires_at"]),
            cleared_at=_instant(plain["cleared_at"]),
            cleared_by=plain["cleared_by"],
        ),
        plain["computed"],
    )
