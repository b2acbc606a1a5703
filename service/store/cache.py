"""Years of OKRs kept in memory between requests, checked against the store on every use.

Loading an organization's year is the cost of every rollup (a thousand key results take
about 0.1 s to read); it changes only on writes. Each use first reads the organization's
version (one small read, `Store.version`); only when that moved is the year read again. Every
instance keeps its own cache and sees every other instance's writes through the version, so
nothing has to be told to forget anything.

A cached year also keeps its last few evaluations (`evaluated`): a dashboard polled by many
people asks for the same year at the same instant (requests compute at whole seconds), and an
evaluation is a pure function of the year, the policy and the instant.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from service.domain.model import Policy
from service.domain.rollup import Evaluation
from service.store.interface import Store, YearScope

EVALUATIONS_KEPT = 4
"""Evaluations kept per cached year: enough for the instants of requests in flight together."""


@dataclass(slots=True)
class _Year:
    version: int
    scope: YearScope
    evaluations: OrderedDict[tuple[datetime, Policy], Evaluation] = field(
        default_factory=OrderedDict
    )


class YearCache:
    """At most `capacity` years, least recently used out first; safe to share by all requests
    of a process (entries are immutable values)."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._years: OrderedDict[tuple[str, int], _Year] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.evaluations = 0
        """How many evaluations `evaluated` computed (the others it found)."""

    async def load_year(self, store: Store, org_id: str, year: int) -> YearScope:
        """The year as the store holds it now."""
        return (await self._entry(store, org_id, year)).scope

    async def evaluated(
        self,
        store: Store,
        org_id: str,
        year: int,
        *,
        policy: Policy,
        now: datetime,
        evaluate: Callable[[YearScope], Evaluation],
    ) -> Evaluation:
        """The year as the store holds it now, evaluated at `now` under `policy`: computed by
        `evaluate` once per version of the year, policy and instant, then shared."""
        entry = await self._entry(store, org_id, year)
        key = (now, policy)
        found = entry.evaluations.get(key)
        if found is None:
            self.evaluations += 1
            found = evaluate(entry.scope)
            entry.evaluations[key] = found
            while len(entry.evaluations) > EVALUATIONS_KEPT:
                entry.evaluations.popitem(last=False)
        return found

    async def _entry(self, store: Store, org_id: str, year: int) -> _Year:
        key = (org_id, year)
        # The version is read before the year: a write racing with the read leaves an entry
        # tagged with the older version, which the next use reads again.
        version = await store.version(org_id)
        found = self._years.get(key)
        if found is not None and found.version == version:
            self.hits += 1
            self._years.move_to_end(key)
            return found
        self.misses += 1
        entry = _Year(version, await store.load_year(org_id, year))
        self._years[key] = entry
        self._years.move_to_end(key)
        while len(self._years) > self.capacity:
            self._years.popitem(last=False)
        return entry
