"""DataLoaders, made per request: each batches one kind of lookup into one store call.

Names follow `<What>By<Key>`; every loader returns its results in key order. Keys carry the
organization id because every store read is scoped to one organization.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import Protocol, TypeVar

from strawberry.dataloader import DataLoader

from service.domain.history import History
from service.domain.model import (
    ActionStep,
    CheckIn,
    Cycle,
    Department,
    Initiative,
    KeyResult,
    Objective,
    Organization,
)
from service.domain.progress import Point
from service.domain.rollup import Evaluation, evaluate
from service.okrs.common import evaluate_scope, whole_second
from service.store.cache import CachedOrganization, CachedYear, YearCache
from service.store.interface import Store, YearScope

OrgKey = tuple[str, str]
"""(organization id, id): the key of anything that lives in an organization."""

EvaluationKey = tuple[str, int, datetime | None]
"""(organization id, year, as of): None means the stored current values at the request's now."""


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


E = TypeVar("E", bound=_HasId)
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _by_org(keys: Iterable[OrgKey]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for org_id, local_id in keys:
        if local_id not in grouped[org_id]:
            grouped[org_id].append(local_id)
    return grouped


def _entities(
    fetch: Callable[[str, Sequence[str]], Awaitable[list[E]]],
) -> DataLoader[OrgKey, E | None]:
    """A loader of entities by (org, id): one store call per organization in the batch."""

    async def load(keys: Sequence[OrgKey]) -> list[E | None]:
        found: dict[OrgKey, E] = {}
        for org_id, ids in _by_org(keys).items():
            for entity in await fetch(org_id, ids):
                found[(org_id, entity.id)] = entity
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def _grouped(
    fetch: Callable[[str, list[str]], Awaitable[Iterable[V]]],
    parent_of: Callable[[V], Iterable[str]],
) -> DataLoader[OrgKey, list[V]]:
    """A loader of children by (org, parent id): one store call per organization in the batch;
    each child goes to every parent `parent_of` names, in the order the store returned them."""

    async def load(keys: Sequence[OrgKey]) -> list[list[V]]:
        found: dict[OrgKey, list[V]] = defaultdict(list)
        for org_id, ids in _by_org(keys).items():
            wanted = set(ids)
            for child in await fetch(org_id, ids):
                for parent in parent_of(child):
                    if parent in wanted:
                        found[(org_id, parent)].append(child)
        return [found.get(key, []) for key in keys]

    return DataLoader(load_fn=load)


def _each(fetch: Callable[[K], Awaitable[V]]) -> DataLoader[K, V]:
    """A loader that fetches each distinct key once per request (for lookups with no batch form)."""

    async def load(keys: Sequence[K]) -> list[V]:
        return [await fetch(key) for key in keys]

    return DataLoader(load_fn=load)


R = TypeVar("R")


def answer(loader: DataLoader[K, V], key: K, then: Callable[[V], R]) -> R | Awaitable[R]:
    """`then` of what `loader` holds for `key`: at once when it is loaded already (a list's
    items, loaded ahead by `schema.lookahead`), else once it is."""
    future = loader.cache_map.get(key)
    settled = future is not None and future.done() and not future.cancelled()
    if future is not None and settled and future.exception() is None:
        return then(future.result())

    async def later() -> R:
        return then(await loader.load(key))

    return later()


class Loaders:
    """Every loader of one request."""

    def __init__(self, store: Store, now: datetime, cache: YearCache | None = None) -> None:
        self.store = store
        self.now = now
        self.cache = cache
        self.instant = whole_second(now)
        self.evaluated: dict[EvaluationKey, Evaluation] = {}
        """The evaluations this request has made, for resolvers that can answer at once."""

    # Each loader is made on first use: a subscription refreshes its loaders for every event,
    # and most events touch none of them (building all nineteen per event, per subscriber, was
    # most of the cost of a fan-out to a thousand subscribers).

    @cached_property
    def organization_by_id(self) -> DataLoader[str, Organization | None]:
        return DataLoader(load_fn=self._organizations)

    @cached_property
    def department_by_id(self) -> DataLoader[OrgKey, Department | None]:
        return _entities(self._departments)

    @cached_property
    def cycle_by_id(self) -> DataLoader[OrgKey, Cycle | None]:
        return _entities(self._cycles_by_id)

    @cached_property
    def objective_by_id(self) -> DataLoader[OrgKey, Objective | None]:
        return _entities(self.store.get_objectives)

    @cached_property
    def key_result_by_id(self) -> DataLoader[OrgKey, KeyResult | None]:
        return _entities(self.store.get_key_results)

    @cached_property
    def check_in_by_id(self) -> DataLoader[OrgKey, CheckIn | None]:
        return _entities(self.store.get_check_ins)

    @cached_property
    def action_step_by_id(self) -> DataLoader[OrgKey, ActionStep | None]:
        return _entities(self.store.get_action_steps)

    @cached_property
    def initiative_by_id(self) -> DataLoader[OrgKey, Initiative | None]:
        return _entities(self.store.get_initiatives)

    @cached_property
    def departments_by_organization(self) -> DataLoader[str, list[Department]]:
        return _each(self._departments_of)

    @cached_property
    def cycles_by_organization_year(self) -> DataLoader[tuple[str, int | None], list[Cycle]]:
        return _each(self._cycles)

    @cached_property
    def key_results_by_objective(self) -> DataLoader[OrgKey, list[KeyResult]]:
        return _grouped(self._key_results_of, lambda k: (k.objective_id,))

    @cached_property
    def children_by_objective(self) -> DataLoader[OrgKey, list[Objective]]:
        return _grouped(self._children_of, lambda o: (o.parent_id,) if o.parent_id else ())

    @cached_property
    def action_steps_by_objective(self) -> DataLoader[OrgKey, list[ActionStep]]:
        return _grouped(self.store.list_action_steps, lambda s: (s.objective_id,))

    @cached_property
    def dependents_by_key_result(self) -> DataLoader[OrgKey, list[KeyResult]]:
        return _grouped(self._dependents_of, lambda k: k.depends_on)

    @cached_property
    def initiatives_by_key_result(self) -> DataLoader[OrgKey, list[Initiative]]:
        return _grouped(self._initiatives_of, lambda i: i.key_result_ids)

    @cached_property
    def year_by_organization(self) -> DataLoader[tuple[str, int], YearScope]:
        return _each(self._year)

    @cached_property
    def version_by_organization(self) -> DataLoader[str, int]:
        """The organization's version, read once per request: every cached year and cached
        organization the request uses is the one of this version."""
        return _each(self.store.version)

    @cached_property
    def cached_organization(self) -> DataLoader[str, CachedOrganization | None]:
        """The organization, its departments and cycles from the shared cache. Only with a
        cache (`Loaders.cache`)."""
        return _each(self._cached_organization)

    @cached_property
    def cached_year(self) -> DataLoader[tuple[str, int], CachedYear]:
        """The year from the shared cache, with its version: one version read per request.
        Only with a cache (`Loaders.cache`)."""
        return _each(self._cached_year)

    @cached_property
    def history_by_year(self) -> DataLoader[tuple[str, int], tuple[YearScope, History]]:
        return _each(self._history)

    @cached_property
    def check_ins_by_key_result(self) -> DataLoader[OrgKey, list[CheckIn]]:
        return _grouped(self._check_ins_of, lambda c: (c.key_result_id,))

    @cached_property
    def evaluation_by_year(self) -> DataLoader[EvaluationKey, Evaluation | None]:
        return _each(self._evaluation)

    # With a cache, an organization, its departments and its cycles come from the cached
    # organization of the request's version: a dashboard costs that one version read.

    async def _organizations(self, keys: Sequence[str]) -> list[Organization | None]:
        if self.cache is not None:
            cached = await self.cached_organization.load_many(keys)
            return [None if c is None else c.organization for c in cached]
        found = {o.id: o for o in await self.store.get_organizations(list(dict.fromkeys(keys)))}
        return [found.get(key) for key in keys]

    async def _departments(self, org_id: str, ids: Sequence[str]) -> list[Department]:
        if self.cache is None:
            return await self.store.get_departments(org_id, ids)
        return await self._kept(org_id, ids, lambda cached: cached.department_by_id)

    async def _departments_of(self, org_id: str) -> list[Department]:
        if self.cache is None:
            return await self.store.list_departments(org_id)
        cached = await self.cached_organization.load(org_id)
        return [] if cached is None else cached.departments

    async def _cycles_by_id(self, org_id: str, ids: Sequence[str]) -> list[Cycle]:
        if self.cache is None:
            return await self.store.get_cycles(org_id, ids)
        return await self._kept(org_id, ids, lambda cached: cached.cycle_by_id)

    async def _kept(
        self,
        org_id: str,
        ids: Sequence[str],
        table: Callable[[CachedOrganization], Mapping[str, E]],
    ) -> list[E]:
        """The entities among `ids` in one of the cached organization's tables."""
        cached = await self.cached_organization.load(org_id)
        known = {} if cached is None else table(cached)
        return [known[i] for i in ids if i in known]

    async def _cycles(self, key: tuple[str, int | None]) -> list[Cycle]:
        org_id, year = key
        if self.cache is None:
            return await self.store.list_cycles(org_id, year=year)
        cached = await self.cached_organization.load(org_id)
        return [] if cached is None else cached.cycles_of(year)

    async def _cached_organization(self, org_id: str) -> CachedOrganization | None:
        assert self.cache is not None, "a cached organization needs a cache"
        version = await self.version_by_organization.load(org_id)
        return await self.cache.organization(self.store, org_id, version)

    async def _key_results_of(self, org_id: str, objective_ids: list[str]) -> list[KeyResult]:
        return (await self.store.find_key_results(org_id, objective_ids=objective_ids)).items

    async def _children_of(self, org_id: str, parent_ids: list[str]) -> list[Objective]:
        return (await self.store.find_objectives(org_id, parent_ids=parent_ids)).items

    async def _dependents_of(self, org_id: str, ids: list[str]) -> list[KeyResult]:
        return (await self.store.find_key_results(org_id, depends_on=ids)).items

    async def _initiatives_of(self, org_id: str, ids: list[str]) -> list[Initiative]:
        return (await self.store.find_initiatives(org_id, key_result_ids=ids)).items

    async def _evaluation(self, key: EvaluationKey) -> Evaluation | None:
        found = await self._evaluate(key)
        if found is not None:
            self.evaluated[key] = found
        return found

    async def _evaluate(self, key: EvaluationKey) -> Evaluation | None:
        """A whole year evaluated once per request and instant: every progress in the response
        comes from it, so the number of store round trips does not grow with the number of
        nodes. At now it reads the stored current values; at another instant, the history."""
        org_id, year, as_of = key
        org = await self.organization_by_id.load(org_id)
        if org is None:
            return None
        if as_of is None:
            if self.cache is None:
                scope = await self.year_by_organization.load((org_id, year))
                return evaluate_scope(scope, org, self.instant)
            return self.cache.evaluate(
                await self.cached_year.load((org_id, year)), policy=org.policy, now=self.instant
            )
        scope, history = await self.history_by_year.load((org_id, year))
        return evaluate(
            key_results=scope.key_results.values(),
            objectives=scope.objectives.values(),
            cycles=scope.cycles,
            readings={
                k.id: history.reading(k.id, k.start_value, as_of)
                for k in scope.key_results.values()
            },
            policy=org.policy,
            now=as_of,
        )

    async def _year(self, key: tuple[str, int]) -> YearScope:
        if self.cache is None:
            return await self.store.load_year(*key)
        return (await self.cached_year.load(key)).scope

    async def _cached_year(self, key: tuple[str, int]) -> CachedYear:
        assert self.cache is not None, "a cached year needs a cache"
        version = await self.version_by_organization.load(key[0])
        return await self.cache.year(self.store, *key, version=version)

    async def _history(self, key: tuple[str, int]) -> tuple[YearScope, History]:
        """A year and every check-in of its key results: one read, then any instant is cheap."""
        scope = await self.year_by_organization.load(key)
        found = await self.store.list_check_ins(key[0], list(scope.key_results))
        return scope, History.of((c.key_result_id, point(c)) for c in found)

    async def _check_ins_of(self, org_id: str, ids: list[str]) -> list[CheckIn]:
        return await self.store.list_check_ins(org_id, ids)


def point(check_in: CheckIn) -> Point:
    """A check-in as a point of its key result's history (ties broken by id, as the store does)."""
    return Point(at=check_in.recorded_at, value=check_in.value, key=check_in.id)
