"""What a CSV file would do to an organization, row by row: the plan `csv_import` reports
(dry run) or writes (one change).

Rows are taken in file order against the organization as the rows before them left it, so a
row may name what an earlier row made. A row is refused whole (nothing of it is planned) when
any of its cells is bad or it breaks one of DOMAIN.md's rules; the rows after it are planned
all the same, so one dry run reports every refused row.

How a row maps to the model (README "CSV import and export" says the same for people):
- `due` places the row in a cycle: `2027` (the year: the global objective lives there),
  `2027-Q2`, `2027-05`, or a date (the quarter holding it). A missing cycle is made: a year
  with its four quarters, a month under its quarter.
- A row without a key result is an objective, known by its title in its cycle. `parent` is an
  objective's title in the same year (made by an earlier row or there already); `department`
  and `owner email` are the objective's.
- A row with a key result is a key result of the objective `objective` (its title in the
  row's cycle, or anywhere when `due` is blank), known by its title under that objective. An
  objective not found is made from the row (its title, `parent` and `due`). `department` and
  `owner email` are the key result's; `kind` (INCREASE when blank and the target is above the
  start, DECREASE below), `start` and `target` its measure; `current`, when it differs from the
  current value, is a check-in recorded at the import.
- Present in the header but blank: no parent, department or owner; a blank number or kind
  keeps what the key result has (and a new one needs its start and target, a MILESTONE aside).
- A department not found is made; an owner's email names a member, made when not found.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from service.domain import calendar, rules
from service.domain.errors import DomainError, ErrorCode, InvalidInput, RuleViolation
from service.domain.model import (
    CheckIn,
    Cycle,
    CycleKind,
    Department,
    KeyResult,
    KeyResultKind,
    Objective,
)
from service.okrs import csv_rows as c
from service.okrs.check_ins import with_check_in
from service.okrs.common import created, new_id, put
from service.readmodel import Snapshot
from service.store import documents as d
from service.store.reads import CHECK_INS
from service.store.records import Op, Put

T = TypeVar("T")

NOTE = "CSV import"
"""The note of the check-ins an import records."""


class Action(enum.StrEnum):
    """What a row does."""

    CREATE = "CREATE"
    UPDATE = "UPDATE"
    UNCHANGED = "UNCHANGED"
    REFUSED = "REFUSED"


class Item(enum.StrEnum):
    """What a row describes."""

    OBJECTIVE = "OBJECTIVE"
    KEY_RESULT = "KEY_RESULT"


@dataclass(frozen=True, slots=True)
class RowReport:
    """One row's outcome: what it describes (None when refused before that was known), its
    title, what it does, the columns whose values change (an update), what else it makes
    (`department Sales`, `cycle 2027`, `objective Grow`, `member ann@x.org`), and why it is
    refused."""

    line: int
    item: Item | None
    title: str | None
    action: Action
    changes: tuple[str, ...] = ()
    creates: tuple[str, ...] = ()
    errors: tuple[c.CellError, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """Every row's report and what applying the file writes (nothing when a row is refused)."""

    rows: tuple[RowReport, ...]
    ops: tuple[Op, ...]

    @property
    def refused(self) -> list[c.CellError]:
        """Every reason a row is refused, in file order."""
        return [error for row in self.rows for error in row.errors]


_ABSENT = object()


class _Working:
    """The organization as the rows planned so far leave it: mutable tables with an undo log,
    so a refused row leaves nothing behind."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.cycles: dict[str, Cycle] = dict(snapshot.cycles)
        self.objectives: dict[str, Objective] = dict(snapshot.objectives)
        self.key_results: dict[str, KeyResult] = dict(snapshot.key_results)
        self.departments: dict[str, Department] = dict(snapshot.departments)
        self.check_ins: dict[str, CheckIn] = {}
        self.extra: dict[str, Any] = {}
        """Other entities rows make (members), by id, with `extra_ops` to write them."""
        self._undo: list[tuple[dict[str, Any], str, object]] = []

    def set(self, table: dict[str, Any], key: str, value: Any) -> None:
        self._undo.append((table, key, table.get(key, _ABSENT)))
        table[key] = value

    def mark(self) -> int:
        return len(self._undo)

    def rollback(self, mark: int) -> None:
        while len(self._undo) > mark:
            table, key, old = self._undo.pop()
            if old is _ABSENT:
                del table[key]
            else:
                table[key] = old

    def ops(self) -> list[Op]:
        """What writes the tables as they stand: every entity new or changed, then the
        check-ins."""
        ops: list[Op] = []
        before = self.snapshot
        for table, old in (
            (self.departments, before.departments),
            (self.cycles, before.cycles),
            (self.objectives, before.objectives),
            (self.key_results, before.key_results),
        ):
            for key, value in table.items():
                if key not in old:
                    ops.append(created(value))
                elif old[key] != value:
                    ops.append(put(before, value))
        ops += [Put(CHECK_INS, d.check_in_doc(made)) for made in self.check_ins.values()]
        return ops


Owners = Callable[[_Working, str, list[str]], str]
"""Who owns what a row names: the owner to store for an email (noting what it makes)."""


def email_owner(working: _Working, email: str, creates: list[str]) -> str:
    """The owner an email names: the email itself (owners are free text)."""
    return email


def plan(
    snapshot: Snapshot,
    rows: list[c.Row],
    *,
    now: datetime,
    author: str | None,
    owners: Owners = email_owner,
) -> Plan:
    """What the rows do to the organization `snapshot` holds, at `now`."""
    working = _Working(snapshot)
    reports: list[RowReport] = []
    for row in rows:
        mark = working.mark()
        try:
            if row.errors:
                raise _Refused(row.errors)
            report = _Planner(working, row, now, author, owners).run()
        except _Refused as bad:
            working.rollback(mark)
            report = _refused_report(row, bad.errors)
        except DomainError as error:
            working.rollback(mark)
            report = _refused_report(row, (_cell_error(row, error),))
        reports.append(report)
    whole = all(r.action is not Action.REFUSED for r in reports)
    return Plan(rows=tuple(reports), ops=tuple(working.ops()) if whole else ())


class _Refused(Exception):
    def __init__(self, errors: tuple[c.CellError, ...]) -> None:
        super().__init__(errors)
        self.errors = errors


def _refused_report(row: c.Row, errors: tuple[c.CellError, ...]) -> RowReport:
    item = Item.KEY_RESULT if row.key_result else Item.OBJECTIVE if row.objective else None
    title = row.key_result or row.objective
    return RowReport(row.line, item, title, Action.REFUSED, errors=errors)


def _cell_error(row: c.Row, error: DomainError) -> c.CellError:
    column = error.field[0] if error.field and error.field[0] in c.COLUMNS else None
    return c.CellError(row.line, column, error.code, error.message)


def _fail(column: str, message: str, code: ErrorCode = ErrorCode.INVALID_VALUE) -> DomainError:
    return InvalidInput(message, field=(column,), code=code)


def _renamed(error: DomainError, column: str) -> DomainError:
    error.field = (column,)
    return error


@dataclass
class _Planner:
    """One row's plan against the working organization."""

    working: _Working
    row: c.Row
    now: datetime
    author: str | None
    owners: Owners
    creates: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)

    def run(self) -> RowReport:
        row = self.row
        if row.objective is None:
            raise _fail(c.OBJECTIVE, "every row names its objective", ErrorCode.INVALID_TEXT)
        if row.key_result is None:
            for column in (c.KIND, c.START, c.TARGET, c.CURRENT):
                if getattr(row, column) is not None:
                    raise _fail(
                        column,
                        f"a row without a key result is an objective: {column} is for key results",
                    )
            objective, action = self._objective()
            return self._report(Item.OBJECTIVE, objective.title, action)
        key_result, action = self._key_result()
        return self._report(Item.KEY_RESULT, key_result.title, action)

    def _report(self, item: Item, title: str, action: Action) -> RowReport:
        return RowReport(
            self.row.line,
            item,
            title,
            action,
            changes=tuple(self.changes) if action is Action.UPDATE else (),
            creates=tuple(self.creates),
        )

    # Cycles, departments, owners -------------------------------------------------------------
    def _cycle(self) -> Cycle:
        due = self.row.due
        if due is None:
            raise _fail(c.DUE, "due is needed: the cycle the objective lives in (e.g. 2027-Q1)")
        year = self._find_cycle(CycleKind.YEAR, due.year, None, None)
        if year is None:
            year = self._make_cycle(calendar.year_span(due.year), None)
            for span in calendar.quarter_spans(due.year):
                self._make_cycle(span, year.id, note=False)
        if due.quarter is None:
            return year
        quarter = self._find_cycle(CycleKind.QUARTER, due.year, due.quarter, None)
        if quarter is None:
            raise _fail(c.DUE, f"the year {due.year} has no quarter {due.quarter}")
        if due.month is None:
            return quarter
        month = self._find_cycle(CycleKind.MONTH, due.year, due.quarter, due.month)
        if month is None:
            month = self._make_cycle(calendar.month_span(due.year, due.month), quarter.id)
        return month

    def _find_cycle(
        self, kind: CycleKind, year: int, quarter: int | None, month: int | None
    ) -> Cycle | None:
        return next(
            (
                found
                for found in self.working.cycles.values()
                if found.kind is kind
                and found.year == year
                and (quarter is None or found.quarter == quarter)
                and found.month == month
            ),
            None,
        )

    def _make_cycle(
        self, span: calendar.Span, parent_id: str | None, *, note: bool = True
    ) -> Cycle:
        made = Cycle(
            id=new_id(),
            org_id=self.working.snapshot.org_id,
            kind=span.kind,
            year=span.year,
            starts_at=span.starts_at,
            ends_at=span.ends_at,
            quarter=span.quarter,
            month=span.month,
            parent_id=parent_id,
        )
        self.working.set(self.working.cycles, made.id, made)
        if note:
            self.creates.append(f"cycle {made.label}")
        return made

    def _department(self) -> str | None:
        name = self.row.department
        if name is None:
            return None
        cleaned = _checked(lambda: rules.text(name, field="name"), c.DEPARTMENT)
        found = next((x for x in self.working.departments.values() if x.name == cleaned), None)
        if found is not None:
            return found.id
        made = Department(id=new_id(), org_id=self.working.snapshot.org_id, name=cleaned)
        self.working.set(self.working.departments, made.id, made)
        self.creates.append(f"department {cleaned}")
        return made.id

    def _owner(self) -> str | None:
        if self.row.owner is None:
            return None
        return self.owners(self.working, self.row.owner, self.creates)

    # Objectives ------------------------------------------------------------------------------
    def _objective(self) -> tuple[Objective, Action]:
        row = self.row
        assert row.objective is not None
        target = self._cycle()
        title = _checked(lambda: rules.text(row.objective or "", field="title"), c.OBJECTIVE)
        found = self._objective_in(target, title)
        parent_id = (
            self._parent(target, found) if c.PARENT in row.present else _keep(found, "parent_id")
        )
        department_id = (
            self._department() if c.DEPARTMENT in row.present else _keep(found, "department_id")
        )
        owner = self._owner() if c.OWNER in row.present else _keep(found, "owner")
        if found is None:
            return self._new_objective(
                target, title, parent_id, department_id, owner
            ), Action.CREATE
        updated = replace(found, parent_id=parent_id, department_id=department_id, owner=owner)
        if updated == found:
            return found, Action.UNCHANGED
        self.changes += _differences(
            found, updated, {"parent_id": c.PARENT, "department_id": c.DEPARTMENT, "owner": c.OWNER}
        )
        self._open(target)
        if department_id != found.department_id:
            self._team_limit(target, department_id, leaving=found.id)
        if parent_id != found.parent_id:
            self._check_parent(target, parent_id, leaving=found.id)
            if parent_id is not None:
                parents = {o.id: o.parent_id for o in self.working.objectives.values()}
                _checked(lambda: rules.no_ancestor_loop(found.id, parent_id, parents), c.PARENT)
        self.working.set(self.working.objectives, updated.id, updated)
        return updated, Action.UPDATE

    def _new_objective(
        self,
        target: Cycle,
        title: str,
        parent_id: str | None,
        department_id: str | None,
        owner: str | None,
    ) -> Objective:
        self._open(target)
        self._check_parent(target, parent_id)
        self._team_limit(target, department_id)
        made = Objective(
            id=new_id(),
            org_id=self.working.snapshot.org_id,
            cycle_id=target.id,
            year=target.year,
            title=title,
            parent_id=parent_id,
            department_id=department_id,
            owner=owner,
        )
        self.working.set(self.working.objectives, made.id, made)
        return made

    def _objective_in(self, target: Cycle | None, title: str) -> Objective | None:
        """The objective titled so in `target` (in any cycle when None: then one at most)."""
        found = [
            o
            for o in self.working.objectives.values()
            if o.title == title and (target is None or o.cycle_id == target.id)
        ]
        if len(found) > 1:
            where = target.label if target is not None else "the organization"
            raise _fail(
                c.OBJECTIVE if target is None else c.DUE,
                f"{len(found)} objectives of {where} are titled {title!r}: name its cycle in due",
                ErrorCode.DUPLICATE,
            )
        return found[0] if found else None

    def _parent(self, target: Cycle, found: Objective | None) -> str | None:
        title = self.row.parent
        if title is None:
            return None
        among = [
            o
            for o in self.working.objectives.values()
            if o.title == title and o.year == target.year and (found is None or o.id != found.id)
        ]
        if not among:
            raise _fail(
                c.PARENT,
                f"no objective of {target.year} is titled {title!r} (a parent is defined by an "
                "earlier row or exists already)",
                ErrorCode.NOT_FOUND,
            )
        if len(among) > 1:
            raise _fail(
                c.PARENT,
                f"{len(among)} objectives of {target.year} are titled {title!r}: rename one",
                ErrorCode.INVALID_PARENT,
            )
        return among[0].id

    def _check_parent(self, target: Cycle, parent_id: str | None, leaving: str = "") -> None:
        if parent_id is None:
            if target.kind is CycleKind.YEAR:
                existing = next(
                    (
                        o
                        for o in self.working.objectives.values()
                        if o.cycle_id == target.id and o.parent_id is None and o.id != leaving
                    ),
                    None,
                )
                _checked(lambda: rules.single_global_objective(target, existing), c.PARENT)
            return
        parent = self.working.objectives[parent_id]
        _checked(lambda: rules.same_year(target, self.working.cycles[parent.cycle_id]), c.PARENT)

    def _team_limit(self, target: Cycle, department_id: str | None, leaving: str = "") -> None:
        if department_id is None:
            return
        counted = set(rules.team_limit_cycles(target, self._year_cycles(target.year)))
        if not counted:
            return
        count = sum(
            1
            for o in self.working.objectives.values()
            if o.department_id == department_id and o.cycle_id in counted and o.id != leaving
        )
        policy = self.working.snapshot.organization.policy
        _checked(lambda: rules.objective_limit(count, policy), c.DEPARTMENT)

    def _year_cycles(self, year: int) -> list[Cycle]:
        return sorted(
            (x for x in self.working.cycles.values() if x.year == year),
            key=lambda x: (x.starts_at, -x.ends_at.timestamp(), x.id),
        )

    def _open(self, target: Cycle) -> None:
        if target.closed:
            raise _fail(
                c.DUE,
                f"cycle {target.label} is closed; its OKRs are frozen",
                ErrorCode.CYCLE_CLOSED,
            )

    # Key results -----------------------------------------------------------------------------
    def _key_result(self) -> tuple[KeyResult, Action]:
        row = self.row
        title = _checked(lambda: rules.text(row.key_result or "", field="title"), c.KEY_RESULT)
        objective = self._objective_of()
        found = next(
            (
                k
                for k in self.working.key_results.values()
                if k.objective_id == objective.id and k.title == title
            ),
            None,
        )
        department_id = (
            self._department() if c.DEPARTMENT in row.present else _keep(found, "department_id")
        )
        owner = self._owner() if c.OWNER in row.present else _keep(found, "owner")
        target_cycle = self.working.cycles[objective.cycle_id]
        if found is None:
            made = self._new_key_result(objective, title, department_id, owner)
            self._check_in(made, target_cycle)
            return self.working.key_results[made.id], Action.CREATE
        kind, start, target = found.kind, found.start_value, found.target_value
        if row.kind is not None or row.start is not None or row.target is not None:
            kind, start, target = _bounds(
                row.kind or found.kind,
                found.start_value if row.start is None else row.start,
                found.target_value if row.target is None else row.target,
            )
        moved_start = found.last_check_in_at is None and start != found.start_value
        updated = replace(
            found,
            kind=kind,
            start_value=start,
            target_value=target,
            current_value=start if moved_start else found.current_value,
            department_id=department_id,
            owner=owner,
        )
        self.changes += _differences(
            found,
            updated,
            {
                "kind": c.KIND,
                "start_value": c.START,
                "target_value": c.TARGET,
                "department_id": c.DEPARTMENT,
                "owner": c.OWNER,
            },
        )
        if updated != found:
            self._open(target_cycle)
            self.working.set(self.working.key_results, updated.id, updated)
        if self._check_in(updated, target_cycle):
            self.changes.append(c.CURRENT)
        final = self.working.key_results[found.id]
        return final, Action.UPDATE if final != found else Action.UNCHANGED

    def _objective_of(self) -> Objective:
        row = self.row
        title = _checked(lambda: rules.text(row.objective or "", field="title"), c.OBJECTIVE)
        if row.due is None:
            found = self._objective_in(None, title)
            if found is None:
                raise _fail(
                    c.OBJECTIVE,
                    f"no objective is titled {title!r}: define it in an earlier row, or name "
                    "its cycle in due to make it with this row",
                    ErrorCode.NOT_FOUND,
                )
            return found
        target = self._cycle()
        found = self._objective_in(target, title)
        if found is not None:
            return found
        parent_id = self._parent(target, None)
        made = self._new_objective(target, title, parent_id, None, None)
        self.creates.append(f"objective {title}")
        return made

    def _new_key_result(
        self, objective: Objective, title: str, department_id: str | None, owner: str | None
    ) -> KeyResult:
        self._open(self.working.cycles[objective.cycle_id])
        kind, start, target = _bounds(self.row.kind, self.row.start, self.row.target)
        made = KeyResult(
            id=new_id(),
            org_id=self.working.snapshot.org_id,
            objective_id=objective.id,
            cycle_id=objective.cycle_id,
            year=objective.year,
            title=title,
            kind=kind,
            start_value=start,
            target_value=target,
            current_value=start,
            department_id=department_id,
            owner=owner,
            created_at=d.to_millis(self.now),
        )
        self.working.set(self.working.key_results, made.id, made)
        return made

    def _check_in(self, key_result: KeyResult, target: Cycle) -> bool:
        """Record the row's `current` when it differs from the key result's value; whether
        it did."""
        value = self.row.current
        if value is None or value == key_result.at(self.now).current_value:
            return False
        self._open(target)
        at = d.to_millis(self.now)
        if at < target.starts_at:
            raise _fail(
                c.CURRENT,
                f"{target.label} starts {target.starts_on.isoformat()}: until then a key result "
                "has no check-ins and its current value is its start",
            )
        made = CheckIn(
            id=new_id(),
            org_id=self.working.snapshot.org_id,
            key_result_id=key_result.id,
            value=value,
            recorded_at=at,
            note=NOTE,
            author=self.author,
            sequence=self.working.snapshot.position + 1,
        )
        self.working.set(self.working.check_ins, made.id, made)
        moved = with_check_in(key_result, made, self.now)
        self.working.set(self.working.key_results, moved.id, moved)
        return True


def _bounds(
    kind: KeyResultKind | None, start: float | None, target: float | None
) -> tuple[KeyResultKind, float, float]:
    """A key result's measure, checked as `keyResultCreate` checks it (DOMAIN.md §2)."""
    if kind is KeyResultKind.MILESTONE:
        start = 0.0 if start is None else start
        target = 1.0 if target is None else target
    if start is None or target is None:
        missing = c.START if start is None else c.TARGET
        raise RuleViolation(
            f"{missing} is needed: a key result is measured from a start to a target",
            field=(missing,),
            code=ErrorCode.NOT_MEASURABLE,
        )
    chosen = kind if kind is not None else rules.infer_kind(start, target)
    _checked(lambda: rules.measurable(chosen, start, target), c.TARGET)
    return chosen, start, target


def _checked(check: Callable[[], T], column: str) -> T:
    """Run a rule of the domain; its error names `column`."""
    try:
        return check()
    except DomainError as error:
        raise _renamed(error, column) from error


def _keep(found: Any, name: str) -> Any:
    return getattr(found, name) if found is not None else None


def _differences(before: Any, after: Any, columns: dict[str, str]) -> list[str]:
    return [
        column for name, column in columns.items() if getattr(before, name) != getattr(after, name)
    ]
