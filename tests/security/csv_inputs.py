"""Hostile CSV files for organizationImportCsv: past the size and row limits, a NUL byte, an
unclosed quote, numbers no key result may hold, a row wider than its header, formulas and
operator text (stored as plain titles, escaped only when exported), and a dry run of it all
(nothing stored)."""

from __future__ import annotations

from typing import Any

from service.okrs import csv_rows
from tests.security.model import Answered, Case, Expect, Make, Stored, UserError, gql

IMPORT = (
    "mutation($input: OrganizationImportCsvInput!) { organizationImportCsv(input: $input) "
    "{ organization { id } userErrors { code field message } } }"
)
HEADER = "objective,parent,key result,owner email,department,kind,start,target,current,due\r\n"


def _import(csv: str, *, dry_run: bool = False) -> Make:
    variables: dict[str, Any] = {"csv": csv, "dryRun": dry_run}
    return lambda env: gql(IMPORT, {"input": {"organizationId": env.alpha.org, **variables}})


def _row(**cells: str) -> str:
    return ",".join(cells.get(column.replace(" ", "_"), "") for column in csv_rows.COLUMNS)


def _kr(**cells: str) -> str:
    row = {"objective": "CSV target", "key_result": "KR", "due": "2027-Q2", **cells}
    return HEADER + _row(**row) + "\r\n"


CSV: list[tuple[str, Make, Expect]] = [
    (
        "a CSV past 512 KiB",
        _import(HEADER + "x" * (csv_rows.MAX_BYTES + 1)),
        UserError("INVALID_VALUE"),
    ),
    (
        "a CSV past 5000 rows",
        _import(HEADER + "Goal,,,,,,,,,2027\r\n" * (csv_rows.MAX_ROWS + 1)),
        UserError("INVALID_VALUE"),
    ),
    ("a CSV with no header", _import(""), UserError("INVALID_VALUE")),
    (
        "a CSV with an unclosed quote",
        _import(HEADER + '"Goal,,,,,,,,,2027\r\n'),
        UserError("INVALID_VALUE"),
    ),
    (
        "a CSV with a NUL in a title",
        _import(HEADER + "Go\x00al,,,,,,,,,2027-Q2\r\n"),
        UserError("INVALID_TEXT"),
    ),
    (
        "a CSV with a control character in a title",
        _import(HEADER + "Go\x1bal,,,,,,,,,2027-Q2\r\n"),
        UserError("INVALID_TEXT"),
    ),
    ("a CSV target of 1e999", _import(_kr(start="0", target="1e999")), UserError("INVALID_VALUE")),
    ("a CSV target of NaN", _import(_kr(start="0", target="NaN")), UserError("INVALID_VALUE")),
    ("a CSV start past 1e15", _import(_kr(start="-2e15", target="1")), UserError("INVALID_VALUE")),
    (
        "a CSV number with a thousands comma",
        _import(_kr(start="0", target='"1,000"')),
        UserError("INVALID_VALUE"),
    ),
    (
        "a CSV kind that is no kind",
        _import(_kr(kind="$where", start="0", target="1")),
        UserError("INVALID_VALUE"),
    ),
    (
        "a CSV due of year 0",
        _import(_kr(start="0", target="1", due="0000")),
        UserError("INVALID_VALUE"),
    ),
    (
        "a CSV due of February 30",
        _import(HEADER + "Goal,,,,,,,,,2027-02-30\r\n"),
        UserError("INVALID_VALUE"),
    ),
    (
        "a CSV owner that is no email",
        _import(HEADER + "Goal,,,=cmd|' /C calc'!A0,,,,,,2027-Q2\r\n"),
        UserError("INVALID_TEXT"),
    ),
    (
        "a CSV row wider than its header",
        _import(HEADER + "Goal,,,,,,,,,2027-Q2,,=1+1\r\n"),
        UserError("INVALID_VALUE"),
    ),
    (
        "a CSV parent of another year",
        _import(HEADER + "Goal,Increase the sales close rate by 20%,,,,,,,,2031-Q2\r\n"),
        UserError("NOT_FOUND"),
    ),
    (
        "a CSV title past 500 characters",
        _import(HEADER + "x" * 600 + ",,,,,,,,,2027-Q2\r\n"),
        UserError("INVALID_TEXT"),
    ),
    (
        "a CSV cell past 2000 characters",
        _import(HEADER + "Goal,,,,,,,,," + "9" * 3000 + "\r\n"),
        UserError("INVALID_TEXT"),
    ),
    (
        "a CSV title that is a formula, stored as text",
        _import(HEADER + '"=HYPERLINK(""http://x.test"",""a"")",,,,,,,,,2027-Q2\r\n'),
        Stored('=HYPERLINK("http://x.test","a")'),
    ),
    (
        "a CSV title of operator text, stored as text",
        _import(HEADER + '"{""$gt"": """"}",,,,,,,,,2027-Q2\r\n'),
        Stored('{"$gt": ""}'),
    ),
    (
        "a CSV department of operator text, stored as text",
        _import(HEADER + "Team goal,,,,[$where],,,,,2027-Q2\r\n"),
        Stored("[$where]"),
    ),
    (
        "a CSV dry run of formulas and operator text, nothing stored",
        _import(HEADER + '"=1+1",,"@SUM(A1)",,#where,,0,1,,2027-Q3\r\n', dry_run=True),
        Answered(),
    ),
]


def csv_cases() -> list[Case]:
    return [Case(name, "hostile CSV", make, expect) for name, make, expect in CSV]
