"""Progress set by hand on an objective, with its provenance (GitLab issue 382433).

An objective keeps every override ever set on it (`Objective.overrides`, oldest first): the
newest one set at or before an instant decides whether the objective is overridden then, so
setting a new override ends the one before, and `asOf` an instant before any override reads the
computed progress. Clearing one writes when it ended; it is never forgotten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from service.domain import calendar, rules
from service.domain.errors import ErrorCode, InvalidInput
from service.domain.model import Override

MAX_REASON = rules.MAX_TEXT
"""The longest reason an override may give."""


def active(overrides: Sequence[Override], instant: datetime) -> Override | None:
    """The override holding at `instant`: the newest set at or before it (of two set at the
    same instant, the one set last), unless it has expired or been cleared by then."""
    for override in reversed(overrides):
        if override.set_at <= instant:
            ends = override.ends_at()
            return override if ends is None or instant < ends else None
    return None


def set_override(
    overrides: Sequence[Override],
    *,
    value: float,
    reason: str,
    at: datetime,
    by: str | None,
    expires_at: datetime | None = None,
) -> tuple[Override, ...]:
    """The history with a new override set at `at` (checked: see `checked_value`,
    `checked_reason`, `checked_expiry`); it ends the one holding before it."""
    made = Override(
        value=checked_value(value),
        reason=checked_reason(reason),
        set_at=at,
        set_by=by,
        expires_at=checked_expiry(expires_at, now=at),
    )
    return (*overrides, made)


def clear_override(
    overrides: Sequence[Override], *, at: datetime, by: str | None
) -> tuple[Override, ...]:
    """The history with the override holding at `at` cleared then; as it was when none holds."""
    holding = active(overrides, at)
    if holding is None:
        return tuple(overrides)
    ended = replace(holding, cleared_at=at, cleared_by=by)
    return tuple(ended if o is holding else o for o in overrides)


def expiries(overrides: Sequence[Override]) -> list[Override]:
    """The overrides that ended by expiring (oldest first): each held until its `expires_at`
    and nothing held from then on, because it was not cleared before and no newer override was
    set by then. Those are the instants the objective returned to its computed value by
    itself."""
    found: list[Override] = []
    for index, override in enumerate(overrides):
        ends = override.expires_at
        if ends is None or (override.cleared_at is not None and override.cleared_at <= ends):
            continue
        later = overrides[index + 1 :]
        if any(newer.set_at <= ends for newer in later):
            continue
        found.append(override)
    return found


def due_expiries(overrides: Sequence[Override], now: datetime) -> list[Override]:
    """The expiries (see `expiries`) that have come by `now` and are not yet announced."""
    return [o for o in expiries(overrides) if _ends_by(o, now) and not o.expired]


def _ends_by(override: Override, now: datetime) -> bool:
    return override.expires_at is not None and override.expires_at <= now


def next_expiry(overrides: Sequence[Override], now: datetime) -> datetime | None:
    """When the next expiry after `now` comes, as things stand (None: none is ahead)."""
    ahead = [o.expires_at for o in expiries(overrides) if o.expires_at and o.expires_at > now]
    return min(ahead, default=None)


def note_expiry(overrides: Sequence[Override], expired: Override) -> tuple[Override, ...]:
    """The history with `expired` (one of `expiries`) marked as announced; when each override
    holds is unchanged."""
    return _replaced(overrides, expired, replace(expired, expired=True))


def still_holding(overrides: Sequence[Override], expired: Override) -> tuple[Override, ...]:
    """The history as if `expired` had no expiry: the objective just before it expired, read at
    any later instant (how an expiry's event tells what the objective answered before)."""
    return _replaced(overrides, expired, replace(expired, expires_at=None))


def _replaced(overrides: Sequence[Override], old: Override, new: Override) -> tuple[Override, ...]:
    """The history with its first override equal to `old` replaced by `new`."""
    history = list(overrides)
    history[history.index(old)] = new
    return tuple(history)


def same_setting(
    override: Override | None,
    *,
    value: float,
    reason: str,
    by: str | None,
    expires_at: datetime | None,
) -> bool:
    """Whether `override` already says this (the same checked value, reason, author and
    expiry): a request sent again after a lost reply finds its first attempt in place."""
    return (
        override is not None
        and override.value == value
        and override.reason == reason
        and override.set_by == by
        and override.expires_at == expires_at
    )


def checked_value(value: float) -> float:
    """A progress value: finite, within [0, 1] (INVALID_VALUE otherwise)."""
    number = rules.finite(value, field="value")
    if not 0.0 <= number <= 1.0:
        raise InvalidInput("value is a progress: between 0 and 1", field=("value",))
    return number


def checked_reason(reason: str) -> str:
    """Why the progress is set by hand: required (INVALID_TEXT when empty or too long)."""
    return rules.text(reason, field="reason", limit=MAX_REASON)


def checked_expiry(expires_at: datetime | None, *, now: datetime) -> datetime | None:
    """An optional expiry: with a time zone and after `now` (INVALID_VALUE otherwise)."""
    if expires_at is None:
        return None
    at = calendar.instant(expires_at, field="expiresAt")
    # Kept to the millisecond, as every instant the store holds.
    at = at.replace(microsecond=at.microsecond // 1000 * 1000)
    if at <= now:
        raise InvalidInput(
            "expiresAt must lie in the future", field=("expiresAt",), code=ErrorCode.INVALID_VALUE
        )
    return at


__all__ = [
    "MAX_REASON",
    "Override",
    "active",
    "checked_expiry",
    "checked_reason",
    "checked_value",
    "clear_override",
    "due_expiries",
    "expiries",
    "next_expiry",
    "note_expiry",
    "same_setting",
    "set_override",
    "still_holding",
]
