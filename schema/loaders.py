"""What one request reads: the organizations' snapshots, their evaluations, and check-ins.

`Loaders` is the read model's face for one request. Each organization's snapshot is read once
per request (`snapshot`: caught up with its log, one small store read when nothing changed), and
every object, list and rollup of the response comes from that one snapshot, so a response never
mixes two positions of a log. Check-in history is read in batches by DataLoaders (names follow
`<What>By<Key>`, results in key order) from the read model, which keeps each key result's
check-ins with the snapshot once read.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import TypeVar

from strawberry.dataloader import DataLoader

from service.domain.history import History
from service.domain.model import CheckIn, KeyResult
from service.domain.plan import Plan
from service.domain.progress import Point
from service.domain.rollup import Evaluation, evaluate, evaluate_plan
from service.readmodel import ReadModel, Snapshot
from service.readmodel.offloop import off_loop, sliced
from service.readmodel.scopes import whole_second
from service.readmodel.years import OFF_LOOP_FROM
from service.store.interface import Page, Store

OrgKey = tuple[str, str]
"""(organization id, id): the key of anything that lives in an organization."""

EvaluationKey = tuple[str, int, datetime | None]
"""(organization id, year, as of): None means the stored current values at the request's now."""

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")


def upstream_of(key_results: Mapping[str, KeyResult], start: str) -> list[str]:
    """`start` and every key result of `key_results` it depends on, directly or not."""
    seen = [start]
    frontier = [start]
    while frontier:
        for upstream in key_results[frontier.pop()].depends_on:
            if upstream in key_results and upstream not in seen:
                seen.append(upstream)
                frontier.append(upstream)
    return seen


def point(check_in: CheckIn) -> Point:
    """A check-in as a point of its key result's history: of two at the same millisecond, the
    one recorded later (its change's sequence) is the newer."""
    key = f"{check_in.sequence:012d}/{check_in.id}"
    return Point(at=check_in.recorded_at, value=check_in.value, key=key)


class Loaders:
    """Every read of one request. `visible` says which organizations the caller may see (the
    others read as if they did not exist)."""

    def __init__(
        self,
        reads: ReadModel,
        store: Store,
        now: datetime,
        visible: Callable[[str], bool] = lambda _: True,
    ) -> None:
        self.reads = reads
        self.store = store
        self.now = now
        self.instant = whole_second(now)
        self.visible = visible
        self.snapshots: dict[str, Snapshot | None] = {}
        self._reading: dict[str, asyncio.Future[Snapshot | None]] = {}
        self.evaluated: dict[EvaluationKey, Evaluation] = {}
        """The evaluations this request has made, for resolvers that can answer at once."""
        self._evaluating: dict[EvaluationKey, asyncio.Future[Evaluation | None]] = {}
        self._upstream_evaluated: dict[tuple[str, int, datetime, str], Evaluation] = {}
        self._upstream_histories: dict[tuple[str, int, str], tuple[list[str], History, Plan]] = {}

    # Snapshots -----------------------------------------------------------------------------

    def held(self, org_id: str) -> Snapshot | None:
        """The organization's snapshot when this request has read it already (else None)."""
        return self.snapshots.get(org_id)

    async def snapshot(self, org_id: str) -> Snapshot | None:
        """The organization as its log stands (read once per request), or None when there is
        none the caller may see."""
        if org_id in self.snapshots:
            return self.snapshots[org_id]
        if not self.visible(org_id):
            return None
        pending = self._reading.get(org_id)
        if pending is None:
            pending = self._reading[org_id] = asyncio.ensure_future(self._read(org_id))
            try:
                found = await pending
            finally:
                del self._reading[org_id]
            self.snapshots[org_id] = found
            return found
        return await asyncio.shield(pending)

    def seed(self, org_id: str, found: Snapshot | None) -> None:
        """`found` is the organization as the read model gave it during this request (brought
        up to its log after the request arrived): read it rather than the log again."""
        if org_id not in self.snapshots and org_id not in self._reading and self.visible(org_id):
            self.snapshots[org_id] = None if found is None else self._settled(found)

    async def _read(self, org_id: str) -> Snapshot | None:
        found = await self.reads.snapshot(org_id)
        if found is None:
            return None
        return self._settled(found)

    def _settled(self, found: Snapshot) -> Snapshot:
        # As it stands at this request's instant: a check-in dated a little ahead counts once
        # its time has come, in the live numbers as in `asOf`.
        settled = found.at(self.instant)
        if settled is not found:
            self.reads.settled(found, settled)
        return settled

    def adopt(self, snapshot: Snapshot) -> None:
        """Read `snapshot` from now on (a write of this request made it): what was read of the
        organization before is stale."""
        self.snapshots[snapshot.org_id] = snapshot.at(self.instant)
        org_id = snapshot.org_id
        self.evaluated = {k: v for k, v in self.evaluated.items() if k[0] != org_id}
        self._upstream_evaluated = {
            k: v for k, v in self._upstream_evaluated.items() if k[0] != org_id
        }
        self._upstream_histories = {
            k: v for k, v in self._upstream_histories.items() if k[0] != org_id
        }
        # Check-ins read before the write are stale too (a second mutation of one request
        # reads what the first wrote).
        for name in ("check_ins_by_key_result", "history_by_key_result", "history_by_year"):
            loader = self.__dict__.get(name)
            if loader is not None:
                loader.clear_all()

    def answer(self, org_id: str, then: Callable[[Snapshot], R]) -> R | Awaitable[R]:
        """`then` of the organization's snapshot: at once when this request holds it already
        (most fields of a response), else once it is read. The organization must exist (the
        object asking belongs to it)."""
        held = self.snapshots.get(org_id)
        if held is not None:
            return then(held)

        async def later() -> R:
            found = await self.snapshot(org_id)
            assert found is not None  # the object asking belongs to it
            return then(found)

        return later()

    # Evaluations ---------------------------------------------------------------------------

    async def evaluation(self, org_id: str, year: int, as_of: datetime | None) -> Evaluation | None:
        """A year evaluated once per request and instant: every progress in the response comes
        from it. At now it reads the stored current values (shared with every request of the
        same second and position); at another instant, the check-in history."""
        key = (org_id, year, as_of)
        found = self.evaluated.get(key)
        if found is not None:
            return found
        pending = self._evaluating.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        pending = self._evaluating[key] = asyncio.ensure_future(self._evaluate(key))
        try:
            made = await pending
        finally:
            del self._evaluating[key]
        if made is not None:
            self.evaluated[key] = made
        return made

    async def _evaluate(self, key: EvaluationKey) -> Evaluation | None:
        org_id, year, as_of = key
        held = await self.snapshot(org_id)
        if held is None:
            return None
        if as_of is None:
            return await held.year(year).evaluated_soon(self.instant)
        scope = held.year(year).scope
        history = await self.history_by_year.load((org_id, year))

        def made(check: Callable[[], None]) -> Evaluation:
            readings = {
                k.id: history.reading(k.id, k.start_value, as_of)
                for k in sliced(scope.key_results.values(), check)
            }
            check()
            return evaluate(
                key_results=scope.key_results.values(),
                objectives=scope.objectives.values(),
                cycles=scope.cycles,
                readings=readings,
                policy=held.organization.policy,
                now=as_of,
            )

        if len(scope.key_results) < OFF_LOOP_FROM:
            return made(_go_on)
        # As a large year at now (`Year.evaluated_soon`): off the event loop, and stopped
        # between slices once the request is cancelled (its deadline).
        return await off_loop(made)

    async def key_result_evaluation(
        self, org_id: str, year: int, as_of: datetime, key_result_id: str
    ) -> Evaluation | None:
        """The year at `as_of` as far as one key result's progress goes: the key result and
        everything upstream of it (lateness flows down dependency chains; nothing else moves a
        key result's numbers), from their own check-ins alone. What a key result's chart asks
        at every point, for the price of a few histories, not the whole year's."""
        key = (org_id, year, as_of, key_result_id)
        found = self._upstream_evaluated.get(key)
        if found is not None:
            return found
        held = await self.snapshot(org_id)
        if held is None:
            return None
        scope = held.year(year).scope
        closure, history, plan = await self._upstream_history(org_id, year, key_result_id)
        made = evaluate_plan(
            plan,
            readings={
                k: history.reading(k, scope.key_results[k].start_value, as_of) for k in closure
            },
            policy=held.organization.policy,
            now=as_of,
        )
        self._upstream_evaluated[key] = made
        return made

    async def _upstream_history(
        self, org_id: str, year: int, key_result_id: str
    ) -> tuple[list[str], History, Plan]:
        """The key result and its upstream, with their history and evaluation plan: made once
        per request, then read at every point of a chart."""
        key = (org_id, year, key_result_id)
        found = self._upstream_histories.get(key)
        if found is None:
            held = await self.snapshot(org_id)
            assert held is not None  # the caller read it
            closure = upstream_of(held.year(year).scope.key_results, key_result_id)
            loaded = await self.history_by_key_result.load_many([(org_id, k) for k in closure])
            history = History.of(
                (kr_id, p) for kr_id, h in zip(closure, loaded, strict=True) for p in h
            )
            key_results = held.year(year).scope.key_results
            plan = Plan.of([key_results[k] for k in closure], (), held.year(year).scope.cycles)
            found = self._upstream_histories[key] = (closure, history, plan)
        return found

    # Check-ins -------------------------------------------------------------------------------

    @cached_property
    def check_in_by_id(self) -> DataLoader[OrgKey, CheckIn | None]:
        async def load(keys: Sequence[OrgKey]) -> list[CheckIn | None]:
            found: dict[OrgKey, CheckIn] = {}
            for org_id, ids in _by_org(keys).items():
                for c in await self.store.get_check_ins(org_id, ids):
                    found[(org_id, c.id)] = c
            return [found.get(key) for key in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def check_ins_by_key_result(self) -> DataLoader[OrgKey, Sequence[CheckIn]]:
        """A key result's check-ins, newest first (batched; kept by the read model)."""

        async def load(keys: Sequence[OrgKey]) -> list[Sequence[CheckIn]]:
            found: dict[OrgKey, Sequence[CheckIn]] = {}
            for org_id, ids in _by_org(keys).items():
                for kr_id, check_ins in (await self._check_ins(org_id, ids)).items():
                    found[(org_id, kr_id)] = check_ins
            return [found.get(key, ()) for key in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def history_by_key_result(self) -> DataLoader[OrgKey, list[Point]]:
        """A key result's check-ins as points of its history (batched)."""

        async def load(keys: Sequence[OrgKey]) -> list[list[Point]]:
            found = await self.check_ins_by_key_result.load_many(keys)
            return [[point(c) for c in check_ins] for check_ins in found]

        return DataLoader(load_fn=load)

    @cached_property
    def history_by_year(self) -> DataLoader[tuple[str, int], History]:
        """Every check-in of a year's key results: one read, then any instant is cheap."""

        async def load(keys: Sequence[tuple[str, int]]) -> list[History]:
            made: list[History] = []
            for org_id, year in keys:
                held = await self.snapshot(org_id)
                ids = sorted(held.year(year).scope.key_results) if held is not None else []
                found = await self._check_ins(org_id, ids)
                made.append(History.of((k, point(c)) for k in ids for c in found.get(k, ())))
            return made

        return DataLoader(load_fn=load)

    async def check_in_page(
        self, org_id: str, key_result_id: str, *, after: str | None, limit: int
    ) -> Page[CheckIn]:
        """One page of a key result's check-ins, newest first, past the check-in `after` (an
        empty page, with the total, when there is no such check-in)."""
        every = await self.check_ins_by_key_result.load((org_id, key_result_id))
        start = 0
        if after is not None:
            at = next((i for i, c in enumerate(every) if c.id == after), None)
            if at is None:
                return Page(items=[], total=len(every), has_next=False)
            start = at + 1
        rest = every[start:]
        return Page(items=list(rest[:limit]), total=len(every), has_next=len(rest) > limit)

    async def _check_ins(
        self, org_id: str, key_result_ids: Sequence[str]
    ) -> dict[str, tuple[CheckIn, ...]]:
        held = await self.snapshot(org_id)
        if held is None or not key_result_ids:
            return {}
        return await self.reads.check_ins(held, key_result_ids)


def _by_org(keys: Sequence[OrgKey]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for org_id, local_id in keys:
        if local_id not in grouped[org_id]:
            grouped[org_id].append(local_id)
    return grouped


def _go_on() -> None:
    """The `check` of work done on the event loop: it is never asked to stop half-way."""
