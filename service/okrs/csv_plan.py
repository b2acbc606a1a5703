"""What a CSV file would do to an organization, row by row: the plan `csv_import` reports
(dry run) or writes (one change).

Rows are taken in file order against the organization as the rows before them left it
(`csv_working.Working`), so a row may name what an earlier row made. A row is refused whole
(nothing of it is planned) when any of its cells is bad or it breaks one of DOMAIN.md's rules
(`csv_planner`); the rows after it are planned all the same, so one dry run reports every
refused row, and a file with a refused row writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.domain.errors import DomainError
from service.okrs import csv_rows as c
from service.okrs.csv_planner import RowPlanner
from service.okrs.csv_working import Action, Item, RowReport, Working
from service.readmodel import Snapshot
from service.store.records import Op


@dataclass(frozen=True, slots=True)
class Plan:
    """Every row's report and what applying the file writes (nothing when a row is refused)."""

    rows: tuple[RowReport, ...]
    ops: tuple[Op, ...]

    @property
    def refused(self) -> list[c.CellError]:
        """Every reason a row is refused, in file order."""
        return [error for row in self.rows for error in row.errors]


def plan(
    snapshot: Snapshot,
    rows: list[c.Row],
    *,
    now: datetime,
    author: str | None,
) -> Plan:
    """What the rows do to the organization `snapshot` holds, at `now`."""
    working = Working(snapshot)
    reports: list[RowReport] = []
    for row in rows:
        if row.errors:
            reports.append(_refused(row, row.errors))
            continue
        mark = working.mark()
        try:
            reports.append(RowPlanner(working, row, now, author).run())
        except DomainError as error:
            working.rollback(mark)
            column = error.field[0] if error.field and error.field[0] in c.COLUMNS else None
            reports.append(
                _refused(row, (c.CellError(row.line, column, error.code, error.message),))
            )
    whole = all(r.action is not Action.REFUSED for r in reports)
    return Plan(rows=tuple(reports), ops=tuple(working.ops()) if whole else ())


def _refused(row: c.Row, errors: tuple[c.CellError, ...]) -> RowReport:
    item = Item.KEY_RESULT if row.key_result else Item.OBJECTIVE if row.objective else None
    return RowReport(row.line, item, row.key_result or row.objective, Action.REFUSED, errors=errors)
