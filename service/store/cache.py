"""Years of OKRs kept in memory between requests, checked against the store on every use.

Loading an organization's year is the cost of every rollup (a thousand key results take
about 0.1 s to read); it changes only on writes. Each use first reads the organization's
version (one small read, `Store.version`); only when that moved is the year read again. Every
instance keeps its own cache and sees every other instance's writes through the version, so
nothing has to be told to forget anything.

The organization itself, its departments and its cycles are kept the same way (`organization`):
a dashboard names them all, and with them kept it costs the one version read and nothing more.
Version 0 (an organization no write has touched, or one the caller may not see) is never kept.

A cached year also keeps its last few evaluations (`evaluated`): a dashboard polled by many
people asks for the same year at the same instant (requests compute at whole seconds), and an
evaluation is a pure function of the year, the policy and the instant. And it keeps the year's
`Plan` (`service.domain.plan`), made on its first evaluation: every later second's evaluation
walks the plan's flat columns instead of the key results themselves, and a check-in's
evaluation carries its plan, one row replaced, to the year it offers (`remember`).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from service.domain.model import Cycle, Department, KeyResult, Objective, Organization, Policy
from service.domain.plan import Plan
from service.domain.rollup import Evaluation, evaluate_plan
from service.store.interface import Page, Store, YearScope

EVALUATIONS_KEPT = 4
"""Evaluations kept per cached year: enough for the instants of requests in flight together."""


@dataclass(slots=True)
class CachedYear:
    """A year as the store held it at `version`, its evaluations so far, and its lists in the
    store's order (by id), made on first use and shared by every request of that version."""

    version: int
    scope: YearScope
    evaluations: OrderedDict[tuple[datetime, Policy], Evaluation] = field(
        default_factory=OrderedDict
    )
    plan: Plan | None = None
    _objectives_of_cycle: dict[str, list[Objective]] | None = None
    _key_results_of_objective: dict[str, list[KeyResult]] | None = None
    _children_of_objective: dict[str, list[Objective]] | None = None

    def planned(self) -> Plan:
        """The year's plan, made on first use."""
        if self.plan is None:
            scope = self.scope
            self.plan = Plan.of(scope.key_results, scope.objectives, scope.cycles)
        return self.plan

    def objectives_of_cycle(self, cycle_id: str) -> list[Objective]:
        """A cycle's objectives, by id (as `Store.find_objectives` returns them)."""
        if self._objectives_of_cycle is None:
            grouped: dict[str, list[Objective]] = {}
            for o in sorted(self.scope.objectives.values(), key=_by_id):
                grouped.setdefault(o.cycle_id, []).append(o)
            self._objectives_of_cycle = grouped
        return self._objectives_of_cycle.get(cycle_id, [])

    def key_results_of_objective(self, objective_id: str) -> list[KeyResult]:
        """An objective's key results, by id (as `Store.find_key_results` returns them)."""
        if self._key_results_of_objective is None:
            grouped: dict[str, list[KeyResult]] = {}
            for k in sorted(self.scope.key_results.values(), key=_by_id):
                if k.objective_id in self.scope.objectives:  # not upstream of another year
                    grouped.setdefault(k.objective_id, []).append(k)
            self._key_results_of_objective = grouped
        return self._key_results_of_objective.get(objective_id, [])

    def children_of_objective(self, objective_id: str) -> list[Objective]:
        """The objectives directly under one, by id (as `Store.find_objectives` returns them;
        a parent is always in its children's year)."""
        if self._children_of_objective is None:
            grouped: dict[str, list[Objective]] = {}
            for o in sorted(self.scope.objectives.values(), key=_by_id):
                if o.parent_id is not None:
                    grouped.setdefault(o.parent_id, []).append(o)
            self._children_of_objective = grouped
        return self._children_of_objective.get(objective_id, [])

    def page_of_objectives(
        self, cycle_id: str, *, department_id: str | None, after: str | None, limit: int
    ) -> Page[Objective]:
        """A page of a cycle's objectives (of one department if given) past `after`, as
        `Store.find_objectives` pages them."""
        every = self.objectives_of_cycle(cycle_id)
        if department_id is not None:
            every = [o for o in every if o.department_id == department_id]
        rest = every if after is None else [o for o in every if o.id > after]
        return Page(items=rest[:limit], total=len(every), has_next=len(rest) > limit)


def _by_id(item: Objective | KeyResult) -> str:
    return item.id


@dataclass(frozen=True, slots=True)
class CachedOrganization:
    """An organization as the store held it at `version`: itself, its departments (in
    `Store.list_departments` order) and every cycle of it (in `Store.list_cycles` order)."""

    version: int
    organization: Organization
    departments: list[Department]
    cycles: list[Cycle]
    department_by_id: dict[str, Department]
    cycle_by_id: dict[str, Cycle]

    @classmethod
    def of(
        cls,
        version: int,
        organization: Organization,
        departments: list[Department],
        cycles: list[Cycle],
    ) -> CachedOrganization:
        return cls(
            version,
            organization,
            departments,
            cycles,
            {d.id: d for d in departments},
            {c.id: c for c in cycles},
        )

    def cycles_of(self, year: int | None) -> list[Cycle]:
        """The cycles of `year` (every cycle for None), as `Store.list_cycles` returns them."""
        return self.cycles if year is None else [c for c in self.cycles if c.year == year]


class YearCache:
    """At most `capacity` years and as many organizations, least recently used out first;
    safe to share by all requests of a process (entries are immutable values). `hits` and
    `misses` count years."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._years: OrderedDict[tuple[str, int], CachedYear] = OrderedDict()
        self._organizations: OrderedDict[str, CachedOrganization] = OrderedDict()
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
    ) -> Evaluation:
        """The year as the store holds it now, evaluated at `now` under `policy` from each key
        result's stored reading: computed once per version of the year, policy and instant,
        then shared."""
        entry = await self.year(store, org_id, year)
        return self.evaluate(entry, policy=policy, now=now)

    def evaluate(
        self,
        entry: CachedYear,
        *,
        policy: Policy,
        now: datetime,
    ) -> Evaluation:
        """`entry` evaluated at `now` under `policy` from each key result's stored reading:
        remembered, or computed from the year's plan."""
        found = entry.evaluations.get((now, policy))
        if found is None:
            self.evaluations += 1
            found = evaluate_plan(entry.planned(), policy=policy, now=now)
            self.remember(entry, policy=policy, now=now, evaluation=found)
        return found

    def remember(
        self, entry: CachedYear, *, policy: Policy, now: datetime, evaluation: Evaluation
    ) -> None:
        """Keep `evaluation` of `entry` from its stored readings (the newest few are kept), and
        its plan, which is the plan of `entry`'s year, when `entry` has none yet."""
        if entry.plan is None:
            entry.plan = evaluation.plan
        entry.evaluations[(now, policy)] = evaluation
        entry.evaluations.move_to_end((now, policy))
        while len(entry.evaluations) > EVALUATIONS_KEPT:
            entry.evaluations.popitem(last=False)

    def offer(self, org_id: str, year: int, version: int, scope: YearScope) -> CachedYear:
        """Keep `scope` as the year at `version`, when the caller knows it exactly (a writer
        that changed one key result and saw the version move by its own write alone), so the
        next use does not read the year again. Such a write changes key results only, so the
        organization kept at the version before is the organization at `version` too."""
        entry = CachedYear(version, scope)
        self._keep((org_id, year), entry)
        kept = self._organizations.get(org_id)
        if kept is not None and kept.version == version - 1:
            self._organizations[org_id] = replace(kept, version=version)
        return entry

    async def organization(
        self, store: Store, org_id: str, version: int
    ) -> CachedOrganization | None:
        """The organization, its departments and its cycles as the store holds them at
        `version` (read just before by the caller, from `store`); None if there is none."""
        found = self._organizations.get(org_id)
        if found is not None and found.version == version and version > 0:
            self._organizations.move_to_end(org_id)
            return found
        # Three small reads, side by side: a miss waits for one round trip, not three.
        organizations, departments, cycles = await asyncio.gather(
            store.get_organizations([org_id]),
            store.list_departments(org_id),
            store.list_cycles(org_id),
        )
        if not organizations:
            return None
        entry = CachedOrganization.of(version, organizations[0], departments, cycles)
        if version > 0 and (found is None or found.version < version):
            _put(self._organizations, org_id, entry, self.capacity)
        return entry

    async def year(
        self, store: Store, org_id: str, year: int, *, version: int | None = None
    ) -> CachedYear:
        """The year as the store holds it now (at `version`, when the caller has just read it
        from `store`), with its version."""
        key = (org_id, year)
        # The version is read before the year: a write racing with the read leaves an entry
        # tagged with the older version, which the next use reads again.
        if version is None:
            version = await store.version(org_id)
        found = self._years.get(key)
        if found is not None and found.version == version and version > 0:
            self.hits += 1
            self._years.move_to_end(key)
            return found
        self.misses += 1
        entry = CachedYear(version, await store.load_year(org_id, year))
        self._keep(key, entry)
        return entry

    def _keep(self, key: tuple[str, int], entry: CachedYear) -> None:
        if entry.version == 0:
            return  # see the module's doc
        found = self._years.get(key)
        if found is not None and found.version > entry.version:
            return  # a newer year is kept already
        _put(self._years, key, entry, self.capacity)


K = TypeVar("K")
V = TypeVar("V")


def _put(kept: OrderedDict[K, V], key: K, entry: V, capacity: int) -> None:
    """Keep `entry` as the most recently used, and at most `capacity` entries."""
    kept[key] = entry
    kept.move_to_end(key)
    while len(kept) > capacity:
        kept.popitem(last=False)
