"""An organization as its change log stood at one position: the read model's unit.

A `Snapshot` holds the organization, its departments, cycles, objectives, key results, action
steps and initiatives as domain values, and never changes: applying a change (`applied`) makes
the snapshot of the next position, sharing what the change did not touch. Every reader of one
request reads one snapshot, so one response never mixes two positions.

Lists are made on first use and kept with the snapshot, in the orders the API promises:
departments by name, cycles by start (longest first), everything else by id (ids sort by
creation). A year's evaluation lives in its `Year`, made on first use too. The check-ins of
the key results read so far live in its `history` (`HeldCheckIns`): carried to the next snapshot
by `applied`, not by `reverted` (a snapshot read backwards, for events, holds none).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypeVar

from service.domain.model import (
    ActionStep,
    Cycle,
    CycleKind,
    Department,
    Initiative,
    KeyResult,
    Member,
    Objective,
    Organization,
)
from service.readmodel.history import HeldCheckIns
from service.readmodel.years import Year, YearScope, placement
from service.store import documents as d
from service.store.interface import OrganizationDocuments
from service.store.reads import (
    CYCLES,
    DEPARTMENTS,
    INITIATIVES,
    KEY_RESULTS,
    MEMBERS,
    OBJECTIVES,
    ORGS,
    STEPS,
)
from service.store.records import Change, Delete, DeleteWhere, Doc, Op, Put

T = TypeVar("T")

# The collections a snapshot holds, and how a document of each becomes a domain value.
_READERS: dict[str, Callable[[Doc], Any]] = {
    DEPARTMENTS: d.department_of,
    CYCLES: d.cycle_of,
    OBJECTIVES: d.objective_of,
    KEY_RESULTS: d.key_result_of,
    STEPS: d.action_step_of,
    INITIATIVES: d.initiative_of,
    MEMBERS: d.member_of,
}
_WRITERS: dict[str, Callable[[Any], Doc]] = {
    ORGS: d.organization_doc,
    DEPARTMENTS: d.department_doc,
    CYCLES: d.cycle_doc,
    OBJECTIVES: d.objective_doc,
    KEY_RESULTS: d.key_result_doc,
    STEPS: d.action_step_doc,
    INITIATIVES: d.initiative_doc,
    MEMBERS: d.member_doc,
}
HELD = frozenset(_WRITERS)
"""The collections a snapshot holds as documents (check-ins are history: read per key result
on first use and kept in `history`)."""


def doc_of(collection: str, entity: Any) -> Doc:
    """The document of an entity of one of the collections a snapshot holds."""
    return _WRITERS[collection](entity)


class Snapshot:
    """An organization at `position` of its log (0: nothing logged yet). Immutable."""

    __slots__ = (
        "_ahead",
        "_at",
        "_by_subject",
        "_children",
        "_cycle_list",
        "_department_list",
        "_dependents",
        "_history",
        "_initiatives_of",
        "_member_list",
        "_steps_of",
        "_years",
        "action_steps",
        "cycles",
        "departments",
        "initiatives",
        "key_results",
        "members",
        "objectives",
        "org_id",
        "organization",
        "position",
    )

    def __init__(
        self,
        position: int,
        organization: Organization,
        *,
        departments: Mapping[str, Department],
        cycles: Mapping[str, Cycle],
        objectives: Mapping[str, Objective],
        key_results: Mapping[str, KeyResult],
        action_steps: Mapping[str, ActionStep],
        initiatives: Mapping[str, Initiative],
        members: Mapping[str, Member] | None = None,
        years: dict[int, Year] | None = None,
        history: HeldCheckIns | None = None,
    ) -> None:
        self.org_id = organization.id
        self.position = position
        self.organization = organization
        self.departments = departments
        self.cycles = cycles
        self.objectives = objectives
        self.key_results = key_results
        self.action_steps = action_steps
        self.initiatives = initiatives
        self.members: Mapping[str, Member] = members if members is not None else {}
        self._member_list: list[Member] | None = None
        self._by_subject: dict[str, Member] | None = None
        self._years: dict[int, Year] = years if years is not None else {}
        self._history = history if history is not None else HeldCheckIns()
        self._department_list: list[Department] | None = None
        self._cycle_list: list[Cycle] | None = None
        self._children: dict[str | None, list[Cycle]] | None = None
        self._dependents: dict[str, list[KeyResult]] | None = None
        self._initiatives_of: dict[str, list[Initiative]] | None = None
        self._steps_of: dict[str, list[ActionStep]] | None = None
        self._at: tuple[datetime, Snapshot] | None = None
        self._ahead: list[KeyResult] | None = None

    @classmethod
    def of(cls, position: int, documents: OrganizationDocuments) -> Snapshot:
        """The snapshot of loaded documents, taken to be at `position`."""
        return cls(
            position,
            documents.organization,
            departments=_by_id(documents.departments),
            cycles=_by_id(documents.cycles),
            objectives=_by_id(documents.objectives),
            key_results=_by_id(documents.key_results),
            action_steps=_by_id(documents.action_steps),
            initiatives=_by_id(documents.initiatives),
            members=_by_id(documents.members),
        )

    @classmethod
    def empty(cls, organization: Organization) -> Snapshot:
        """An organization with nothing in it, before its first change."""
        return cls(
            0,
            organization,
            departments={},
            cycles={},
            objectives={},
            key_results={},
            action_steps={},
            initiatives={},
            members={},
        )

    # Changes -------------------------------------------------------------------------------

    def applied(self, change: Change) -> Snapshot:
        """The snapshot after `change`, which must be the next one (`position + 1`), or a
        change whose effect the snapshot may partly show already (a cold load replays the
        changes made while it read): every put and delete is whole, so applying one again
        changes nothing."""
        made = self._with(change.sequence, [(op, False) for op in change.ops])
        made._history = self._history.carried(change.sequence, change.ops)
        return made

    def reverted(self, change: Change) -> Snapshot:
        """The snapshot before `change`, which must be the last one applied (`position`): each
        document back as the change found it."""
        return self._with(change.sequence - 1, [(op, True) for op in reversed(change.ops)])

    def _with(self, position: int, steps: list[tuple[Op, bool]]) -> Snapshot:
        tables: dict[str, dict[str, Any]] = {}
        organization = self.organization
        reshaped: set[int] = set()  # years whose scope changed more than key results' fields
        refreshed: dict[str, KeyResult] = {}  # key results changed where they sit
        for op, backwards in steps:
            if isinstance(op, DeleteWhere) or op.collection not in HELD:
                continue  # check-ins are history: `HeldCheckIns` follows them
            doc = _document(op, backwards)
            if op.collection == ORGS:
                organization = d.organization_of(doc) if doc is not None else organization
                continue
            table = tables.get(op.collection)
            if table is None:
                table = tables[op.collection] = dict(self._table(op.collection))
            old = table.get(op.id)
            new = _READERS[op.collection](doc) if doc is not None else None
            if new is not None:
                table[op.id] = new
            elif old is not None:
                del table[op.id]
            if op.collection in (DEPARTMENTS, STEPS, INITIATIVES, MEMBERS):
                continue  # none of these is part of an evaluation
            if op.collection == KEY_RESULTS and isinstance(new, KeyResult) and _stays(old, new):
                refreshed[op.id] = new
                continue
            refreshed.pop(op.id, None)
            reshaped.update(self._years_holding(old, new))
        made = Snapshot(
            position,
            organization,
            departments=tables.get(DEPARTMENTS, self.departments),
            cycles=tables.get(CYCLES, self.cycles),
            objectives=tables.get(OBJECTIVES, self.objectives),
            key_results=tables.get(KEY_RESULTS, self.key_results),
            action_steps=tables.get(STEPS, self.action_steps),
            initiatives=tables.get(INITIATIVES, self.initiatives),
            members=tables.get(MEMBERS, self.members),
        )
        if organization.policy == self.organization.policy:
            made._years = self._carried(reshaped, refreshed)
        return made

    def _years_holding(self, *entities: Any) -> set[int]:
        """The years an objective, cycle or key result is part of (a key result is part of the
        years whose key results depend on it, too)."""
        found = {e.year for e in entities if e is not None}
        for number, year in self._years.items():
            if any(e is not None and e.id in year.scope.key_results for e in entities):
                found.add(number)
        return found

    def _carried(self, reshaped: set[int], refreshed: dict[str, KeyResult]) -> dict[int, Year]:
        """The years the next snapshot can take over: untouched ones as they are, and those
        where key results changed only their fields or readings carried with their plan and
        newest evaluation (`Year.with_key_result`)."""
        carried: dict[int, Year] = {}
        for number, year in self._years.items():
            if number in reshaped:
                continue
            changed = [k for k in refreshed.values() if k.id in year.scope.key_results]
            if not changed:
                carried[number] = year
                continue
            key_results = {**year.scope.key_results, **{k.id: k for k in changed}}
            scope = YearScope(year.scope.cycles, year.scope.objectives, key_results)
            for k in changed:
                year = year.with_key_result(k, scope)
            carried[number] = year
        return carried

    def _table(self, collection: str) -> Mapping[str, Any]:
        return {
            DEPARTMENTS: self.departments,
            CYCLES: self.cycles,
            OBJECTIVES: self.objectives,
            KEY_RESULTS: self.key_results,
            STEPS: self.action_steps,
            INITIATIVES: self.initiatives,
            MEMBERS: self.members,
        }[collection]

    def ahead(self) -> list[KeyResult]:
        """The key results with upcoming check-ins."""
        if self._ahead is None:
            self._ahead = [k for k in self.key_results.values() if k.upcoming]
        return self._ahead

    def at(self, instant: datetime) -> Snapshot:
        """The organization as it stands at `instant`: key results with upcoming check-ins whose
        time has come read with them counted (`KeyResult.at`). Itself when there are none,
        which is nearly always; the last one made is kept."""
        due = [k for k in self.ahead() if k.upcoming[0].at <= instant]
        if not due:
            return self
        kept = self._at
        if kept is not None and kept[0] == instant:
            return kept[1]
        settled = {**self.key_results, **{k.id: k.at(instant) for k in due}}
        made = Snapshot(
            self.position,
            self.organization,
            departments=self.departments,
            cycles=self.cycles,
            objectives=self.objectives,
            key_results=settled,
            action_steps=self.action_steps,
            initiatives=self.initiatives,
            members=self.members,
            history=self._history,
        )
        self._at = (instant, made)
        return made

    @property
    def history(self) -> HeldCheckIns:
        """The check-ins of the key results read so far at this position (the read model
        fills it, `ReadModel.check_ins`)."""
        return self._history

    # Lists ----------------------------------------------------------------------------------

    def department_list(self) -> list[Department]:
        """The departments by name."""
        if self._department_list is None:
            self._department_list = sorted(self.departments.values(), key=_by_name)
        return self._department_list

    def cycle_list(self, year: int | None = None) -> list[Cycle]:
        """The cycles (of one year if given) by start, the longest first: a year, its first
        quarter, that quarter's first month."""
        if self._cycle_list is None:
            self._cycle_list = sorted(self.cycles.values(), key=_cycle_order)
        if year is None:
            return self._cycle_list
        return [c for c in self._cycle_list if c.year == year]

    def cycle_children(self, cycle_id: str | None) -> list[Cycle]:
        """The cycles directly inside one (None: the years), in time order."""
        if self._children is None:
            grouped: dict[str | None, list[Cycle]] = {}
            for c in self.cycle_list():
                grouped.setdefault(c.parent_id, []).append(c)
            self._children = grouped
        return self._children.get(cycle_id, [])

    def cycles_inside(self, cycle_id: str) -> set[str]:
        """A cycle and every cycle inside it."""
        found = {cycle_id}
        frontier = [cycle_id]
        while frontier:
            frontier = [c.id for parent in frontier for c in self.cycle_children(parent)]
            found.update(frontier)
        return found

    def dependents(self, key_result_id: str) -> list[KeyResult]:
        """The key results that depend on one, by id."""
        if self._dependents is None:
            grouped: dict[str, list[KeyResult]] = {}
            for k in sorted(self.key_results.values(), key=_id):
                for upstream in dict.fromkeys(k.depends_on):
                    grouped.setdefault(upstream, []).append(k)
            self._dependents = grouped
        return self._dependents.get(key_result_id, [])

    def initiatives_of(self, key_result_id: str) -> list[Initiative]:
        """The initiatives that serve a key result, by id."""
        if self._initiatives_of is None:
            grouped: dict[str, list[Initiative]] = {}
            for i in sorted(self.initiatives.values(), key=_id):
                for k in dict.fromkeys(i.key_result_ids):
                    grouped.setdefault(k, []).append(i)
            self._initiatives_of = grouped
        return self._initiatives_of.get(key_result_id, [])

    def initiative_list(self) -> list[Initiative]:
        """Every initiative, by id."""
        return sorted(self.initiatives.values(), key=_id)

    def action_plan(self, objective_id: str) -> list[ActionStep]:
        """An objective's action steps by position (then id)."""
        if self._steps_of is None:
            grouped: dict[str, list[ActionStep]] = {}
            for s in sorted(self.action_steps.values(), key=_step_order):
                grouped.setdefault(s.objective_id, []).append(s)
            self._steps_of = grouped
        return self._steps_of.get(objective_id, [])

    def member_list(self) -> list[Member]:
        """Every member, by id (the order they joined in)."""
        if self._member_list is None:
            self._member_list = sorted(self.members.values(), key=_id)
        return self._member_list

    def member_signed_in_as(self, subject: str) -> Member | None:
        """The member whose token subject is `subject`, if any."""
        if self._by_subject is None:
            self._by_subject = {m.subject: m for m in self.member_list() if m.subject is not None}
        return self._by_subject.get(subject)

    def owned_by(self, member_id: str, cycle_id: str) -> tuple[list[Objective], list[KeyResult]]:
        """The objectives and key results a member owns in a cycle and the cycles inside it,
        each by id ("my OKRs")."""
        inside = self.cycles_inside(cycle_id)
        return (
            [o for o in self.objective_list() if o.owner_id == member_id and o.cycle_id in inside],
            [k for k in self.key_result_list() if k.owner_id == member_id and k.cycle_id in inside],
        )

    def objective_list(self) -> list[Objective]:
        """Every objective, by id."""
        return sorted(self.objectives.values(), key=_id)

    def key_result_list(self) -> list[KeyResult]:
        """Every key result, by id."""
        return sorted(self.key_results.values(), key=_id)

    def year_cycle(self, year: int) -> Cycle | None:
        """The YEAR cycle of `year`, if the organization has it."""
        for c in self.cycle_list(year):
            if c.kind is CycleKind.YEAR:
                return c
        return None

    def global_objective(self, year: int) -> Objective | None:
        """The year's global objective: its YEAR cycle's objective without a parent (the
        oldest, should there be more)."""
        cycle = self.year_cycle(year)
        if cycle is None:
            return None
        roots = [o for o in self.year(year).objectives_of_cycle(cycle.id) if o.parent_id is None]
        return roots[0] if roots else None

    # Years ----------------------------------------------------------------------------------

    def year(self, year: int) -> Year:
        """The year's evaluation scope, made on first use and kept with this snapshot."""
        found = self._years.get(year)
        if found is None:
            found = self._years[year] = Year(year, self._scope(year), self.organization.policy)
        return found

    def _scope(self, year: int) -> YearScope:
        """A year's cycles, objectives and key results, plus upstream key results outside the
        year (and their cycles). Key results whose objective is gone are left out."""
        # By id (creation order), whatever order changes put them in: every instance, and
        # every replay, evaluates the same scope to the same numbers and explanations.
        cycles = {c.id: c for c in sorted(self.cycles.values(), key=_id) if c.year == year}
        objectives = {o.id: o for o in sorted(self.objectives.values(), key=_id) if o.year == year}
        key_results = {
            k.id: k
            for k in sorted(self.key_results.values(), key=_id)
            if k.year == year and k.objective_id in objectives
        }
        upstream_ids = sorted(
            {u for k in key_results.values() for u in k.depends_on} - key_results.keys()
        )
        for upstream in upstream_ids:
            found = self.key_results.get(upstream)
            if found is not None:
                key_results[upstream] = found
                outer = self.cycles.get(found.cycle_id)
                if outer is not None:
                    cycles.setdefault(outer.id, outer)
        return YearScope(
            MappingProxyType(cycles), MappingProxyType(objectives), MappingProxyType(key_results)
        )


def _by_id(items: Iterable[T]) -> dict[str, T]:
    return {item.id: item for item in items}  # type: ignore[attr-defined]


def _id(item: Any) -> str:
    return str(item.id)


def _by_name(department: Department) -> tuple[str, str]:
    return department.name, department.id


def _cycle_order(cycle: Cycle) -> tuple[float, float, str]:
    return cycle.starts_at.timestamp(), -cycle.ends_at.timestamp(), cycle.id


def _step_order(step: ActionStep) -> tuple[str, int, str]:
    return step.objective_id, step.position, step.id


def _stays(old: KeyResult | None, new: KeyResult | None) -> bool:
    """Whether a key result stayed where it sits (same objective, cycle, weight, upstream)."""
    return old is not None and new is not None and placement(old) == placement(new)


def _document(op: Put | Delete, backwards: bool) -> Doc | None:
    """The document an operation leaves, read forwards, or the one it found, read backwards;
    None for none (deleted forwards, created backwards)."""
    if isinstance(op, Put):
        return op.before if backwards else op.doc
    return op.before if backwards else None
