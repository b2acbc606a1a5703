"""One row of a CSV import planned against the working organization (`RowPlanner`): the
objective or key result it names, found or made, changed or left, checked by DOMAIN.md §2's
rules and reported on the column at fault. README "CSV import and export" says how a row
maps to the model."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from service.domain import members, rules
from service.domain.errors import ErrorCode, RuleViolation
from service.domain.model import CheckIn, Cycle, CycleKind, KeyResult, KeyResultKind, Objective
from service.okrs import csv_rows as c
from service.okrs.check_ins import with_check_in
from service.okrs.common import new_id
from service.okrs.csv_working import Action, Item, RowReport, Working, checked, fail
from service.store import documents as d

NOTE = "CSV import"
"""The note of the check-ins an import records."""


@dataclass
class RowPlanner:
    """One row's plan against the working organization."""

    working: Working
    row: c.Row
    now: datetime
    author: str | None
    creates: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)

    def run(self) -> RowReport:
        row = self.row
        if row.objective is None:
            raise fail(c.OBJECTIVE, "every row names its objective", ErrorCode.INVALID_TEXT)
        if row.key_result is None:
            for column in (c.KIND, c.START, c.TARGET, c.CURRENT):
                if getattr(row, column) is not None:
                    raise fail(
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
        if self.row.due is None:
            raise fail(c.DUE, "due is needed: the cycle the objective lives in (e.g. 2027-Q1)")
        return self.working.cycle(self.row.due, self.creates)

    def _department(self) -> str | None:
        name = self.row.department
        if name is None:
            return None
        cleaned = checked(lambda: rules.text(name, field="name"), c.DEPARTMENT)
        return self.working.department(cleaned, self.creates)

    def _owner(self, found: Objective | KeyResult | None) -> tuple[str | None, str | None]:
        """The owner (a member id) and free-text owner the row gives: kept when the header has
        no owner column, none when the cell is blank, else the email's member (made when
        missing); a deactivated member cannot be given OKRs (MEMBER_INACTIVE)."""
        if c.OWNER not in self.row.present:
            return (found.owner_id, found.legacy_owner) if found is not None else (None, None)
        if self.row.owner is None:
            return None, None
        member = self.working.owner(self.row.owner, self.creates)
        if found is None or found.owner_id != member.id:
            checked(lambda: members.active_owner(member, field=c.OWNER), c.OWNER)
        return member.id, None

    # Objectives ------------------------------------------------------------------------------
    def _objective(self) -> tuple[Objective, Action]:
        row = self.row
        assert row.objective is not None
        target = self._cycle()
        title = checked(lambda: rules.text(row.objective or "", field="title"), c.OBJECTIVE)
        found = self._objective_in(target, title)
        parent_id = (
            self._parent(target, found) if c.PARENT in row.present else _keep(found, "parent_id")
        )
        department_id = (
            self._department() if c.DEPARTMENT in row.present else _keep(found, "department_id")
        )
        owner_id, legacy_owner = self._owner(found)
        if found is None:
            return self._new_objective(
                target, title, parent_id, department_id, owner_id
            ), Action.CREATE
        updated = replace(
            found,
            parent_id=parent_id,
            department_id=department_id,
            owner_id=owner_id,
            legacy_owner=legacy_owner,
        )
        if updated == found:
            return found, Action.UNCHANGED
        self.changes += _differences(
            found, updated, {"parent_id": c.PARENT, "department_id": c.DEPARTMENT, **_OWNER}
        )
        self._open(target)
        if department_id != found.department_id:
            self._team_limit(target, department_id, leaving=found.id)
        if parent_id != found.parent_id:
            self._check_parent(target, parent_id, leaving=found.id)
            if parent_id is not None:
                parents = {o.id: o.parent_id for o in self.working.objectives.values()}
                checked(lambda: rules.no_ancestor_loop(found.id, parent_id, parents), c.PARENT)
        self.working.set(self.working.objectives, updated.id, updated)
        return updated, Action.UPDATE

    def _new_objective(
        self,
        target: Cycle,
        title: str,
        parent_id: str | None,
        department_id: str | None,
        owner_id: str | None,
    ) -> Objective:
        self._open(target)
        self._check_parent(target, parent_id)
        self._team_limit(target, department_id)
        made = Objective(
            id=new_id(),
            org_id=self.working.org_id,
            cycle_id=target.id,
            year=target.year,
            title=title,
            parent_id=parent_id,
            department_id=department_id,
            owner_id=owner_id,
        )
        self.working.set(self.working.objectives, made.id, made)
        return made

    def _objective_in(self, target: Cycle | None, title: str) -> Objective | None:
        """The objective titled so in `target` (in any cycle when None: then one at most)."""
        found = [o for o in self.working.titled(title) if target is None or o.cycle_id == target.id]
        if len(found) > 1:
            where = target.label if target is not None else "the organization"
            raise fail(
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
            for o in self.working.titled(title)
            if o.year == target.year and (found is None or o.id != found.id)
        ]
        if not among:
            raise fail(
                c.PARENT,
                f"no objective of {target.year} is titled {title!r} (a parent is defined by an "
                "earlier row or exists already)",
                ErrorCode.NOT_FOUND,
            )
        if len(among) > 1:
            raise fail(
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
                checked(lambda: rules.single_global_objective(target, existing), c.PARENT)
            return
        parent = self.working.objectives[parent_id]
        checked(lambda: rules.same_year(target, self.working.cycles[parent.cycle_id]), c.PARENT)

    def _team_limit(self, target: Cycle, department_id: str | None, leaving: str = "") -> None:
        if department_id is None:
            return
        counted = set(rules.team_limit_cycles(target, self.working.year_cycles(target.year)))
        if not counted:
            return
        count = sum(
            1
            for o in self.working.in_team(department_id)
            if o.cycle_id in counted and o.id != leaving
        )
        policy = self.working.snapshot.organization.policy
        checked(lambda: rules.objective_limit(count, policy), c.DEPARTMENT)

    def _open(self, target: Cycle) -> None:
        if target.closed:
            raise fail(
                c.DUE,
                f"cycle {target.label} is closed; its OKRs are frozen",
                ErrorCode.CYCLE_CLOSED,
            )

    # Key results -----------------------------------------------------------------------------
    def _key_result(self) -> tuple[KeyResult, Action]:
        row = self.row
        title = checked(lambda: rules.text(row.key_result or "", field="title"), c.KEY_RESULT)
        objective = self._objective_of()
        found = self.working.key_result(objective.id, title)
        department_id = (
            self._department() if c.DEPARTMENT in row.present else _keep(found, "department_id")
        )
        owner_id, legacy_owner = self._owner(found)
        target_cycle = self.working.cycles[objective.cycle_id]
        if found is None:
            made = self._new_key_result(objective, title, department_id, owner_id)
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
            owner_id=owner_id,
            legacy_owner=legacy_owner,
        )
        self.changes += _differences(
            found,
            updated,
            {
                "kind": c.KIND,
                "start_value": c.START,
                "target_value": c.TARGET,
                "department_id": c.DEPARTMENT,
                **_OWNER,
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
        title = checked(lambda: rules.text(row.objective or "", field="title"), c.OBJECTIVE)
        if row.due is None:
            found = self._objective_in(None, title)
            if found is None:
                raise fail(
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
        self, objective: Objective, title: str, department_id: str | None, owner_id: str | None
    ) -> KeyResult:
        self._open(self.working.cycles[objective.cycle_id])
        kind, start, target = _bounds(self.row.kind, self.row.start, self.row.target)
        made = KeyResult(
            id=new_id(),
            org_id=self.working.org_id,
            objective_id=objective.id,
            cycle_id=objective.cycle_id,
            year=objective.year,
            title=title,
            kind=kind,
            start_value=start,
            target_value=target,
            current_value=start,
            department_id=department_id,
            owner_id=owner_id,
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
            raise fail(
                c.CURRENT,
                f"{target.label} starts {target.starts_on.isoformat()}: until then a key result "
                "has no check-ins and its current value is its start",
            )
        made = CheckIn(
            id=new_id(),
            org_id=self.working.org_id,
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
    checked(lambda: rules.measurable(chosen, start, target), c.TARGET)
    return chosen, start, target


def _keep(found: Any, name: str) -> Any:
    return getattr(found, name) if found is not None else None


_OWNER = {"owner_id": c.OWNER, "legacy_owner": c.OWNER}


def _differences(before: Any, after: Any, columns: dict[str, str]) -> list[str]:
    """The columns whose fields differ, each once, in the order given."""
    found = [col for name, col in columns.items() if getattr(before, name) != getattr(after, name)]
    return list(dict.fromkeys(found))
