"""`organizationImportCsv`: its input, its payload (a report per row), and what it does."""

from __future__ import annotations

import enum

import strawberry

from schema.context import Context
from schema.enums import UserErrorCode
from schema.ids import expect_id
from schema.payloads import ERRORS, UserError
from schema.types import Organization
from service.okrs import csv_import, csv_working
from service.okrs import csv_rows as c


@strawberry.input(
    description="A CSV file to import into an organization (README: CSV import and export)."
)
class OrganizationImportCsvInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    csv: str = strawberry.field(
        description="The file's text: a header row naming the columns objective, parent, key "
        "result, owner email, department, kind, start, target, current, due (any order, any "
        "letter case), then a row per objective or key result; at most 512 KiB and 5000 rows."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Report what each row would do and write nothing."
    )


@strawberry.enum(description="What a row of an imported CSV does.")
class CsvImportAction(enum.Enum):
    CREATE = strawberry.enum_value("CREATE", description="Makes a new objective or key result.")
    UPDATE = strawberry.enum_value(
        "UPDATE", description="Changes an existing one (the columns in `changes`)."
    )
    UNCHANGED = strawberry.enum_value("UNCHANGED", description="Says what is there already.")
    REFUSED = strawberry.enum_value(
        "REFUSED", description="Cannot be taken (see `errors`): the file writes nothing."
    )


@strawberry.enum(description="What a row of an imported CSV describes.")
class CsvImportItem(enum.Enum):
    OBJECTIVE = strawberry.enum_value(
        "OBJECTIVE", description="An objective: the row names no key result."
    )
    KEY_RESULT = strawberry.enum_value("KEY_RESULT", description="A key result of its objective.")


@strawberry.type(description="Why a row of an imported CSV is refused.")
class CsvImportError:
    line: int = strawberry.field(description="The row's first line in the file (1 is the header).")
    column: str | None = strawberry.field(
        description="The column at fault, as the format names it (null: the row as a whole)."
    )
    code: UserErrorCode = strawberry.field(description="What is wrong, for programs.")
    message: str = strawberry.field(description="What is wrong, for people.")


@strawberry.type(description="What one row of an imported CSV does, or why it cannot.")
class CsvImportRow:
    line: int = strawberry.field(description="The row's first line in the file (1 is the header).")
    item: CsvImportItem | None = strawberry.field(
        description="What the row describes (null when refused before that was known)."
    )
    title: str | None = strawberry.field(description="The objective's or key result's title.")
    action: CsvImportAction = strawberry.field(description="What the row does.")
    changes: list[str] = strawberry.field(
        description="The columns whose values an UPDATE changes (`current`: a check-in)."
    )
    creates: list[str] = strawberry.field(
        description="What else the row makes, e.g. `cycle 2027`, `department Sales`, "
        "`objective Grow`."
    )
    errors: list[CsvImportError] = strawberry.field(description="Why the row is refused.")


@strawberry.type(description="The result of organizationImportCsv.")
class OrganizationImportCsvPayload:
    rows: list[CsvImportRow] = strawberry.field(
        default_factory=list, description="Every data row, in file order."
    )
    dry_run: bool = strawberry.field(default=False, description="Whether it was a dry run.")
    applied: bool = strawberry.field(
        default=False,
        description="Whether the import was written (one change in the organization's log); "
        "false on a dry run, when a row is refused, and when the file changes nothing.",
    )
    organization: Organization | None = strawberry.field(
        default=None, description="The organization after the import (null when refused)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


async def organization_import_csv(
    ctx: Context, input: OrganizationImportCsvInput
) -> OrganizationImportCsvPayload:
    org = ctx.home(expect_id(input.organization_id, "Organization", field="organizationId"))
    done = await csv_import.import_csv(
        writer=ctx.writer,
        org_id=org.org_id,
        text=input.csv,
        now=ctx.now,
        dry_run=input.dry_run,
        actor=ctx.subject,
    )
    refused = done.refused
    return OrganizationImportCsvPayload(
        rows=[_row(row) for row in done.rows],
        dry_run=done.dry_run,
        applied=done.applied,
        organization=None if refused else Organization.from_domain(done.snapshot.organization),
        user_errors=[
            UserError(
                field=["input", "csv"],
                message=f"line {e.line}{f', column {e.column}' if e.column else ''}: {e.message}",
                code=UserErrorCode(e.code.value),
            )
            for e in refused
        ],
    )


def _row(row: csv_working.RowReport) -> CsvImportRow:
    return CsvImportRow(
        line=row.line,
        item=CsvImportItem(row.item.value) if row.item is not None else None,
        title=row.title,
        action=CsvImportAction(row.action.value),
        changes=list(row.changes),
        creates=list(row.creates),
        errors=[_error(e) for e in row.errors],
    )


def _error(error: c.CellError) -> CsvImportError:
    return CsvImportError(
        line=error.line,
        column=error.column,
        code=UserErrorCode(error.code.value),
        message=error.message,
    )
