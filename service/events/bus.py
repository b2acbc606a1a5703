"""The bus between instances: notices that an organization's log has grown.

Events are not carried: every instance reads the log itself (`service.events.stream`), so a
notice lost while the broker is away costs nothing but time (the next poll reads the log), and
a slow or stopped broker never holds up a write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

Notice = Callable[[str, int], None]
"""Told of a notice: the organization, and the sequence of the change written."""


@dataclass(frozen=True, slots=True)
class BusHealth:
    """Whether the bus carries notices now; `dropped` counts notices that could not be sent."""

    ok: bool
    reason: str | None = None
    dropped: int = 0

    @property
    def status(self) -> str:
        """`ok` or `degraded`, as /readyz reports it."""
        return "ok" if self.ok else "degraded"


class NoticeBus(Protocol):
    """Carries notices of new changes to every instance."""

    async def start(self) -> None:
        """Begin carrying notices. Returns once the broker was tried once, reached or not: an
        unreachable broker leaves the bus degraded and retried in the background."""
        ...

    async def close(self) -> None:
        """Stop: no more notices either way. Idempotent."""
        ...

    def announce(self, org_id: str, sequence: int) -> None:
        """Tell the other instances of change `sequence` of `org_id`, without waiting: the
        notice is sent in the background (dropped, counted, if it cannot be)."""
        ...

    def listen(self, noticed: Notice) -> None:
        """Call `noticed` for every notice from another instance."""
        ...

    def health(self) -> BusHealth:
        """Ok, or degraded with the reason (broker unreachable, bus closed)."""
        ...


CLOSED = "the event bus is closed"
