"""The organization as the rows of a CSV import planned so far leave it (`Working`), what a row
reports (`RowReport`), and the helpers every row's plan shares."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from service.domain import calendar, members
from service.domain.errors import DomainError, ErrorCode, InvalidInput
from service.domain.model import (
    CheckIn,
    Cycle,
    CycleKind,
    Department,
    KeyResult,
    Member,
    MemberRole,
    Objective,
)
from service.okrs import csv_rows as c
from service.okrs.common import created, new_id, put
from service.readmodel import Snapshot
from service.store import documents as d
from service.store.reads import CHECK_INS
from service.store.records import Op, Put

T = TypeVar("T")


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


_ABSENT = object()


class Working:
    """The organization as the rows planned so far leave it: its tables, indexed by what rows
    name (titles, department names, emails), with an undo log so a refused row leaves nothing
    behind."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.org_id = snapshot.org_id
        self.cycles: dict[str, Cycle] = {}
        self.objectives: dict[str, Objective] = {}
        self.key_results: dict[str, KeyResult] = {}
        self.departments: dict[str, Department] = {}
        self.members: dict[str, Member] = {}
        self.check_ins: dict[str, CheckIn] = {}
        self._titled: dict[str, set[str]] = {}  # objective title → ids
        self._in_team: dict[str | None, set[str]] = {}  # department id → objective ids
        self._named: dict[tuple[str, str], str] = {}  # (objective id, title) → key result id
        self._teams: dict[str, str] = {}  # department name → id
        self._emails: dict[str, str] = {}  # member email (case-insensitive) → id
        self._undo: list[tuple[dict[str, Any], str, object]] = []
        for table, found in (
            (self.cycles, snapshot.cycles),
            (self.objectives, snapshot.objectives),
            (self.key_results, snapshot.key_results),
            (self.departments, snapshot.departments),
            (self.members, snapshot.members),
        ):
            for key, value in found.items():
                self._place(table, key, value)

    # Changing, undoing, writing -----------------------------------------------------------------
    def set(self, table: dict[str, Any], key: str, value: Any) -> None:
        """Put `value` in one of the tables (undone by `rollback`)."""
        self._undo.append((table, key, table.get(key, _ABSENT)))
        self._place(table, key, value)

    def mark(self) -> int:
        """Where the undo log stands (to roll back to)."""
        return len(self._undo)

    def rollback(self, mark: int) -> None:
        """Undo every change since `mark`."""
        while len(self._undo) > mark:
            table, key, old = self._undo.pop()
            self._place(table, key, old)

    def _place(self, table: dict[str, Any], key: str, value: object) -> None:
        old = table.get(key)
        if isinstance(old, Objective):
            self._titled[old.title].discard(key)
            self._in_team[old.department_id].discard(key)
        elif isinstance(old, KeyResult):
            self._named.pop((old.objective_id, old.title), None)
        elif isinstance(old, Department):
            self._teams.pop(old.name, None)
        elif isinstance(old, Member):
            self._emails.pop(old.email_key, None)
        if value is _ABSENT:
            del table[key]
            return
        table[key] = value
        if isinstance(value, Objective):
            self._titled.setdefault(value.title, set()).add(key)
            self._in_team.setdefault(value.department_id, set()).add(key)
        elif isinstance(value, KeyResult):
            self._named[value.objective_id, value.title] = key
        elif isinstance(value, Department):
            self._teams[value.name] = key
        elif isinstance(value, Member):
            self._emails[value.email_key] = key

    def ops(self) -> list[Op]:
        """What writes the tables as they stand: every entity new or changed, then the
        check-ins."""
        ops: list[Op] = []
        before = self.snapshot
        for table, old in (
            (self.members, before.members),
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

    # Finding --------------------------------------------------------------------------------------
    def titled(self, title: str) -> list[Objective]:
        """The objectives of this title."""
        return [self.objectives[i] for i in sorted(self._titled.get(title, ()))]

    def in_team(self, department_id: str) -> list[Objective]:
        """The objectives of a department."""
        return [self.objectives[i] for i in self._in_team.get(department_id, ())]

    def key_result(self, objective_id: str, title: str) -> KeyResult | None:
        """The key result of this title under the objective."""
        found = self._named.get((objective_id, title))
        return self.key_results[found] if found is not None else None

    def cycle(self, due: c.Due, creates: list[str]) -> Cycle:
        """The cycle `due` names, made when missing (a year with its quarters, a month under
        its quarter), noting what it makes in `creates`."""
        year = self._find_cycle(CycleKind.YEAR, due.year, None, None)
        if year is None:
            year = self._make_cycle(calendar.year_span(due.year), None)
            creates.append(f"cycle {year.label}")
            for span in calendar.quarter_spans(due.year):
                self._make_cycle(span, year.id)
        if due.quarter is None:
            return year
        quarter = self._find_cycle(CycleKind.QUARTER, due.year, due.quarter, None)
        if quarter is None:
            raise fail(c.DUE, f"the year {due.year} has no quarter {due.quarter}")
        if due.month is None:
            return quarter
        month = self._find_cycle(CycleKind.MONTH, due.year, due.quarter, due.month)
        if month is None:
            month = self._make_cycle(calendar.month_span(due.year, due.month), quarter.id)
            creates.append(f"cycle {month.label}")
        return month

    def year_cycles(self, year: int) -> list[Cycle]:
        """The cycles of a year, in time order (longer first)."""
        return sorted(
            (x for x in self.cycles.values() if x.year == year),
            key=lambda x: (x.starts_at, -x.ends_at.timestamp(), x.id),
        )

    def _find_cycle(
        self, kind: CycleKind, year: int, quarter: int | None, month: int | None
    ) -> Cycle | None:
        return next(
            (
                found
                for found in self.cycles.values()
                if found.kind is kind
                and found.year == year
                and (quarter is None or found.quarter == quarter)
                and found.month == month
            ),
            None,
        )

    def _make_cycle(self, span: calendar.Span, parent_id: str | None) -> Cycle:
        made = Cycle(
            id=new_id(),
            org_id=self.org_id,
            kind=span.kind,
            year=span.year,
            starts_at=span.starts_at,
            ends_at=span.ends_at,
            quarter=span.quarter,
            month=span.month,
            parent_id=parent_id,
        )
        self.set(self.cycles, made.id, made)
        return made

    def department(self, name: str, creates: list[str]) -> str:
        """The id of the department of this name, made when missing."""
        found = self._teams.get(name)
        if found is not None:
            return found
        made = Department(id=new_id(), org_id=self.org_id, name=name)
        self.set(self.departments, made.id, made)
        creates.append(f"department {name}")
        return made.id

    def owner(self, email: str, creates: list[str]) -> Member:
        """The member with this email (compared case-insensitively), made when missing: a
        viewer named by the email's local part, as `memberInvite` would make it."""
        found = self._emails.get(email.casefold())
        if found is not None:
            return self.members[found]
        made = Member(
            id=new_id(),
            org_id=self.org_id,
            name=members.owner_name(email),
            email=email,
            role=MemberRole.VIEWER,
        )
        self.set(self.members, made.id, made)
        creates.append(f"member {email}")
        return made


# Errors on columns ----------------------------------------------------------------------------
def fail(column: str, message: str, code: ErrorCode = ErrorCode.INVALID_VALUE) -> DomainError:
    """A row refused on `column`."""
    return InvalidInput(message, field=(column,), code=code)


def checked(check: Callable[[], T], column: str) -> T:
    """Run a rule of the domain; its error names `column` (rules name the API's fields)."""
    try:
        return check()
    except DomainError as error:
        error.field = (column,)
        raise
