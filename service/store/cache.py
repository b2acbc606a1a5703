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
class CachedYear:
    """A year as the store held it at `version`, and its evaluations so far."""

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
        self._years: OrderedDict[tuple[str, int], CachedYear] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.evaluations = 0
        """How many evaluations `evaluated` computed (the others it found)."""

    async def load_year(self, store: Store, org_id: str, year: int) -> YearScope:
        """The year as the store holds it now."""
        return (await self.year(store, org_id, year)).scope

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
        entry = await self.year(store, org_id, year)
        return self.evaluate(entry, policy=policy, now=now, evaluate=evaluate)

    def evaluate(
        self,
        entry: CachedYear,
        *,
        policy: Policy,
        now: datetime,
        evaluate: Callable[[YearScope], Evaluation],
    ) -> Evaluation:
        """`entry` evaluated at `now` under `policy`: remembered, or computed by `evaluate`."""
        found = entry.evaluations.get((now, policy))
        if found is None:
            self.evaluations += 1
            found = evaluate(entry.scope)
            self.remember(entry, policy=policy, now=now, evaluation=found)
        return found

    def remember(
        self, entry: CachedYear, *, policy: Policy, now: datetime, evaluation: Evaluation
    ) -> None:
        """Keep `evaluation` of `entry` (the newest few are kept)."""
        entry.evaluations[(now, policy)] = evaluation
        entry.evaluations.move_to_end((now, policy))
        while len(entry.evaluations) > EVALUATIONS_KEPT:
            entry.evaluations.popitem(last=False)

    def offer(self, org_id: str, year: int, version: int, scope: YearScope) -> CachedYear:
        """Keep `scope` as the year at `version`, when the caller knows it exactly (a writer
        that changed one key result and saw the version move by its own write alone), so the
        next use does not read the year again."""
        entry = CachedYear(version, scope)
        self._keep((org_id, year), entry)
        return entry

    async def year(self, store: Store, org_id: str, year: int) -> CachedYear:
        """The year as the store holds it now, with its version."""
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
        entry = CachedYear(version, await store.load_year(org_id, year))
        self._keep(key, entry)
        return entry

    def _keep(self, key: tuple[str, int], entry: CachedYear) -> None:
        found = self._years.get(key)
        if found is not None and found.version > entry.version:
            return  # a newer year is kept already
        self._years[key] = entry
        self._years.move_to_end(key)
        while len(self._years) > self.capacity:
            self._years.popitem(last=False)
