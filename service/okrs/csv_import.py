"""CSV in and out of an organization (`okrgraph import --csv`, `okrgraph export --csv`,
`organizationImportCsv`).

An import reads the file (`csv_rows`), plans it row by row against the organization as its log
stands (`csv_plan`), and writes the whole plan as ONE change (`organizationImportCsv`) or
nothing: a dry run, a refused row, or a file that changes nothing write nothing. The plan is
drafted again from the log on every attempt, so a retry after a lost reply finds the first
attempt's change and plans nothing; a file imported twice changes nothing the second time.

An export writes every objective (parents before children) followed by its key results, so
importing the export into an empty organization and exporting again gives the same file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.domain import members
from service.domain.errors import Conflict
from service.domain.model import Cycle, KeyResult, Objective, Organization
from service.okrs import csv_plan, csv_working
from service.okrs import csv_rows as c
from service.okrs.commit import Draft, Unchanged, Writer
from service.okrs.common import created
from service.readmodel import Snapshot
from service.store.records import digest

KIND = "organizationImportCsv"


@dataclass(frozen=True, slots=True)
class CsvImported:
    """What an import did or, on a dry run, would do: every row's report, whether the change
    was written, and the organization after."""

    rows: tuple[csv_working.RowReport, ...]
    dry_run: bool
    applied: bool
    snapshot: Snapshot

    @property
    def refused(self) -> list[c.CellError]:
        """Every reason a row is refused, in file order (empty when the file was taken)."""
        return [error for row in self.rows for error in row.errors]


async def import_csv(
    *,
    writer: Writer,
    org_id: str,
    text: str,
    now: datetime,
    dry_run: bool = False,
    actor: str | None = None,
    creating: Organization | None = None,
) -> CsvImported:
    """Plan `text` against the organization and, unless `dry_run` or a row is refused, write
    it as one change. `creating` is a new organization (`org_id` is its id) the same change
    makes: Conflict when its slug is taken. CsvRefused when the file cannot be read as rows at
    all; NotFound on organizationId when there is no such organization."""
    rows = c.read_rows(text)

    async def build(snapshot: Snapshot) -> Draft[csv_plan.Plan] | Unchanged[csv_plan.Plan]:
        made = csv_plan.plan(snapshot, rows, now=now, author=actor)
        if dry_run or made.refused or (not made.ops and creating is None):
            return Unchanged(made)
        if creating is None:
            return Draft(KIND, made.ops, made, "Organization", snapshot.org_id)
        if await writer.store.get_organization_by_slug(creating.slug) is not None:
            raise Conflict(f"the slug {creating.slug!r} is taken", field=("slug",))
        ops = [created(creating), *made.ops]
        dedup = "organization:" + digest(creating.slug)
        return Draft(KIND, ops, made, "Organization", creating.id, dedup)

    written = await writer.commit(
        org_id, build, actor=actor, at=now, field="organizationId", creating=creating
    )
    return CsvImported(
        rows=written.result.rows,
        dry_run=dry_run,
        applied=written.change is not None,
        snapshot=written.after,
    )


def _email(snapshot: Snapshot, owner_id: str | None, legacy_owner: str | None) -> str:
    """The email an owner is written as: its member's; for a free-text owner not yet migrated
    to a member, the email the migration gives it (DOMAIN.md members: `owner_email`)."""
    found = snapshot.members.get(owner_id or "")
    if found is not None:
        return found.email
    return members.owner_email(legacy_owner) if legacy_owner is not None else ""


def export_csv(snapshot: Snapshot) -> str:
    """The organization's objectives and key results in the CSV format (`csv_rows`)."""
    children: dict[str | None, list[Objective]] = {}
    for objective in snapshot.objective_list():
        parent_id = objective.parent_id if objective.parent_id in snapshot.objectives else None
        children.setdefault(parent_id, []).append(objective)
    key_results: dict[str, list[KeyResult]] = {}
    for key_result in sorted(snapshot.key_result_list(), key=lambda k: k.id):
        key_results.setdefault(key_result.objective_id, []).append(key_result)
    order = {cycle.id: n for n, cycle in enumerate(snapshot.cycle_list())}

    def placed(objective: Objective) -> tuple[int, str]:
        return order.get(objective.cycle_id, len(order)), objective.id

    lines: list[list[str]] = []
    stack = sorted(children.get(None, []), key=placed, reverse=True)
    while stack:
        objective = stack.pop()
        cycle = snapshot.cycles[objective.cycle_id]
        above = snapshot.objectives.get(objective.parent_id or "")
        lines.append(
            _line(
                snapshot,
                objective=objective.title,
                parent=above.title if above is not None else "",
                owner=_email(snapshot, objective.owner_id, objective.legacy_owner),
                department_id=objective.department_id,
                cycle=cycle,
            )
        )
        lines += [
            _line(
                snapshot,
                objective=objective.title,
                parent="",
                owner=_email(snapshot, k.owner_id, k.legacy_owner),
                department_id=k.department_id,
                cycle=cycle,
                key_result=k,
            )
            for k in key_results.get(objective.id, [])
        ]
        stack += sorted(children.get(objective.id, []), key=placed, reverse=True)
    return c.write_rows(lines)


def _line(
    snapshot: Snapshot,
    *,
    objective: str,
    parent: str,
    owner: str,
    department_id: str | None,
    cycle: Cycle,
    key_result: KeyResult | None = None,
) -> list[str]:
    department = snapshot.departments.get(department_id or "")
    cells = {
        c.OBJECTIVE: c.escape(objective),
        c.PARENT: c.escape(parent),
        c.OWNER: c.escape(owner),
        c.DEPARTMENT: c.escape(department.name if department is not None else ""),
        c.DUE: cycle.label,
    }
    if key_result is not None:
        cells |= {
            c.KEY_RESULT: c.escape(key_result.title),
            c.KIND: key_result.kind.value,
            c.START: c.number(key_result.start_value),
            c.TARGET: c.number(key_result.target_value),
            c.CURRENT: c.number(key_result.current_value),
        }
    return [cells.get(column, "") for column in c.COLUMNS]
