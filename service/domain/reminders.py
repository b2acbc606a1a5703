"""Check-in reminders (issue 19): which key results are due a check-in, since when, and whose.

A key result should be checked in every `Policy.check_in_cadence_days`. Its clock starts at its
last check-in, or, before any, at its cycle's start (or its creation, if later); once a cadence
has passed since then it is due, from that instant (`due_at`) until its next check-in. Key
results of closed cycles are never due: their numbers are frozen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from service.domain.model import Cycle, KeyResult, Policy
from service.domain.progress import silent_since


@dataclass(frozen=True, slots=True)
class DueCheckIn:
    """A key result due a check-in: `since` when (a cadence after `last`, its last check-in or
    the start of its silence), and `late` how long that was before the instant asked about."""

    key_result_id: str
    owner: str | None
    last: datetime
    since: datetime
    late: timedelta


@dataclass(frozen=True, slots=True)
class OwnerDue:
    """The key results one owner (None: nobody) is due to check in, the longest due first,
    and since when the oldest of them has been due."""

    owner: str | None
    due: tuple[DueCheckIn, ...]

    @property
    def since(self) -> datetime:
        """When the longest-due key result became due."""
        return self.due[0].since

    @property
    def late(self) -> timedelta:
        """How late the longest-due key result is."""
        return self.due[0].late


def cadence(policy: Policy) -> timedelta:
    """How often a key result should be checked in."""
    return timedelta(days=policy.check_in_cadence_days)


def clock_start(key_result: KeyResult, cycle: Cycle) -> datetime:
    """Where a key result's reminder clock starts: its last check-in, else the start of its
    silence (its cycle's start, or its creation if later)."""
    if key_result.last_check_in_at is not None:
        return key_result.last_check_in_at
    return silent_since(cycle.starts_at, key_result.created_at)


def due_at(key_result: KeyResult, cycle: Cycle, policy: Policy) -> datetime | None:
    """The instant a key result becomes due, unless it is checked in before then; None when
    it is never due (its cycle is closed)."""
    if cycle.closed:
        return None
    return clock_start(key_result, cycle) + cadence(policy)


def due_check_ins(
    key_results: Iterable[KeyResult],
    cycles: Mapping[str, Cycle],
    *,
    now: datetime,
    policy: Policy,
    owner_of: Callable[[KeyResult], str | None],
) -> list[DueCheckIn]:
    """Every key result due at `now`, the longest due first (then by id). A key result whose
    cycle is not in `cycles` is left out."""
    found: list[DueCheckIn] = []
    for key_result in key_results:
        cycle = cycles.get(key_result.cycle_id)
        if cycle is None:
            continue
        since = due_at(key_result, cycle, policy)
        if since is None or since > now:
            continue
        found.append(
            DueCheckIn(
                key_result_id=key_result.id,
                owner=owner_of(key_result),
                last=clock_start(key_result, cycle),
                since=since,
                late=now - since,
            )
        )
    found.sort(key=lambda d: (d.since, d.key_result_id))
    return found


def by_owner(due: Iterable[DueCheckIn]) -> list[OwnerDue]:
    """Due key results grouped by owner, owners by their longest-due key result (then by
    name), the unowned ones as one group of their own (`owner` None) at the end."""
    groups: dict[str | None, list[DueCheckIn]] = {}
    for item in sorted(due, key=lambda d: (d.since, d.key_result_id)):
        groups.setdefault(item.owner, []).append(item)
    owned = sorted(
        (OwnerDue(owner, tuple(items)) for owner, items in groups.items() if owner is not None),
        key=lambda g: (g.since, g.owner or ""),
    )
    unowned = groups.get(None)
    return owned + ([OwnerDue(None, tuple(unowned))] if unowned else [])


__all__ = [
    "DueCheckIn",
    "OwnerDue",
    "by_owner",
    "cadence",
    "clock_start",
    "due_at",
    "due_check_ins",
]
