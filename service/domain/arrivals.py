"""Check-ins dated a little ahead of when they were written (DOMAIN.md §6), as their time
comes: a key result keeps them as `upcoming` until then, and each one's arrival is announced
once (the scheduler writes it to the log). These say what the key result is once a given one
has arrived, and what it was just before."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from service.domain.model import KeyResult


def _index(key_result: KeyResult, check_in_id: str) -> int | None:
    for index, upcoming in enumerate(key_result.upcoming):
        if upcoming.check_in_id == check_in_id:
            return index
    return None


def arrived(key_result: KeyResult, check_in_id: str) -> KeyResult | None:
    """The key result with its upcoming check-ins up to this one (in their order) counted, the
    later ones still upcoming; None when it holds no such upcoming check-in."""
    index = _index(key_result, check_in_id)
    if index is None:
        return None
    here = key_result.upcoming[index]
    counted = replace(key_result, upcoming=key_result.upcoming[: index + 1]).at(here.at)
    return replace(counted, upcoming=key_result.upcoming[index + 1 :])


def before_arrival(key_result: KeyResult, check_in_id: str) -> KeyResult | None:
    """The key result as it stood just before this upcoming check-in arrived, read at any
    instant: the ones before it still count when their time has come, it and the later ones
    are left out. None when it holds no such upcoming check-in."""
    index = _index(key_result, check_in_id)
    if index is None:
        return None
    return replace(key_result, upcoming=key_result.upcoming[:index])


def due_arrivals(key_result: KeyResult, now: datetime) -> list[str]:
    """The upcoming check-ins whose time has come by `now`, in the order they arrive."""
    return [u.check_in_id for u in key_result.upcoming if u.at <= now]


def next_arrival(key_result: KeyResult, now: datetime) -> datetime | None:
    """When the next upcoming check-in after `now` arrives (None: none is ahead)."""
    return next((u.at for u in key_result.upcoming if u.at > now), None)


__all__ = ["arrived", "before_arrival", "due_arrivals", "next_arrival"]
