"""Preparing the store (indexes, the demo) whenever it first answers.

A MongoDB that cannot be reached at start-up must not stop the service: in Kubernetes that
would be a crash loop through every election. The service starts anyway (`/healthz` 200,
`/readyz` 503 naming the hosts it tries), and prepares the store as soon as it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from service.domain.errors import StoreUnavailable

logger = logging.getLogger(__name__)

RETRY_SECONDS = 2.0


class StorePreparation:
    """Runs `prepare` now, or, while the store is unavailable, again every `retry` seconds
    until it succeeds; `ready` says whether it has."""

    def __init__(
        self,
        prepare: Callable[[], Awaitable[None]],
        hosts: Sequence[str],
        *,
        retry: float | None = None,
    ) -> None:
        self._prepare = prepare
        self.hosts = list(hosts)
        self._retry = RETRY_SECONDS if retry is None else retry
        self._task: asyncio.Task[None] | None = None
        self.ready = False

    async def start(self) -> None:
        """Prepare the store, or start retrying in the background when it does not answer."""
        if await self._attempt():
            return
        logger.warning(
            "the store (%s) does not answer: serving anyway, /readyz answers 503 until it does",
            ", ".join(self.hosts),
        )
        self._task = asyncio.create_task(self._keep_trying(), name="okrgraph-store-prepare")

    async def _attempt(self) -> bool:
        try:
            await self._prepare()
        except StoreUnavailable:
            return False
        self.ready = True
        return True

    async def _keep_trying(self) -> None:
        try:
            # Polling: nothing announces that a store came back but asking it.
            while not await self._attempt():  # noqa: ASYNC110
                await asyncio.sleep(self._retry)
        except Exception:  # nobody awaits this task: say what went wrong, in the log
            logger.exception("preparing the store failed; /readyz stays 503")
            return
        logger.info("the store (%s) answers: indexes made", ", ".join(self.hosts))

    async def close(self) -> None:
        """Stop retrying."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
