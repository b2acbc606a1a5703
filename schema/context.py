"""The per-request context: the store, the clock and this request's DataLoaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeAlias

from strawberry.types import Info as StrawberryInfo

from schema.loaders import Loaders
from service.store.interface import Store


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass
class Context:
    """What every resolver may use. Built once per request (or WebSocket operation) by
    `build_context`, so loaders never share a cache between requests."""

    store: Store
    clock: Callable[[], datetime] = utc_now
    subject: str | None = None
    loaders: Loaders = field(init=False)
    # One instant per request: every number in one response is computed at the same `now`.
    now: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.now = self.clock()
        self.reset_loaders()

    def reset_loaders(self) -> None:
        """Forget what was loaded: after a write, cached objects and rollups are stale."""
        self.loaders = Loaders(self.store, self.now)


def build_context(store: Store, *, clock: Callable[[], datetime] = utc_now) -> Context:
    """A fresh context for one request."""
    return Context(store=store, clock=clock)


Info: TypeAlias = StrawberryInfo[Context, Any]
