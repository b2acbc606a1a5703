"""The bus of a single instance: no broker and nobody to tell (the instance reads its own
writes as it makes them)."""

from __future__ import annotations

from service.events.bus import CLOSED, BusHealth, Notice


class MemoryBus:
    """`NoticeBus` for one instance: notices go nowhere."""

    def __init__(self) -> None:
        self._closed = False

    async def start(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """Nothing to let go of."""
        self._closed = True

    def announce(self, org_id: str, sequence: int) -> None:
        """No other instance to tell."""

    def listen(self, noticed: Notice) -> None:
        """No other instance to hear from."""

    def health(self) -> BusHealth:
        """Always ok until closed."""
        return BusHealth(ok=False, reason=CLOSED) if self._closed else BusHealth(ok=True)
