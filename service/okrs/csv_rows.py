"""The CSV format of `okrgraph import --csv` / `export --csv` and `organizationImportCsv`: its
columns, reading a file into rows with every bad cell named (line, column, code), and writing
rows back with formula-looking cells escaped (OWASP "CSV injection").

A file is UTF-8 (a byte-order mark is dropped), lines end in LF or CRLF, fields follow RFC 4180
(quoted fields may hold commas, quotes and line breaks). The header row names the columns, in
any order and any letter case; columns it does not name are blank in every row, and columns
this format does not know are ignored. README "CSV import and export" describes what a row
means; `service.okrs.csv_import` applies it.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from service.domain import calendar, members
from service.domain.errors import DomainError, ErrorCode
from service.domain.model import KeyResultKind

OBJECTIVE = "objective"
PARENT = "parent"
KEY_RESULT = "key result"
OWNER = "owner email"
DEPARTMENT = "department"
KIND = "kind"
START = "start"
TARGET = "target"
CURRENT = "current"
DUE = "due"
COLUMNS = (OBJECTIVE, PARENT, KEY_RESULT, OWNER, DEPARTMENT, KIND, START, TARGET, CURRENT, DUE)
"""Every column, in the order an export writes them."""

_ALIASES = {
    "keyresult": KEY_RESULT,
    "kr": KEY_RESULT,
    "owneremail": OWNER,
    "owner": OWNER,
    "email": OWNER,
    "team": DEPARTMENT,
    "startvalue": START,
    "targetvalue": TARGET,
    "currentvalue": CURRENT,
    "duedate": DUE,
    "cycle": DUE,
}

MAX_BYTES = 512 * 1024
"""The largest file taken (512 KiB of UTF-8: a request body holds at most 1 MiB)."""
MAX_ROWS = 5000
"""The most data rows a file may hold."""
MAX_CELL = 2000
"""The longest cell, in characters (a title is at most 500 once trimmed)."""

T = TypeVar("T")

_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

_TRIGGERS = frozenset("=+-@\t\r")
"""First characters a spreadsheet may take for a formula (OWASP's list)."""
_ESCAPE = "'"


class CsvRefused(DomainError):
    """A file that cannot be read as rows at all: too large, not UTF-8, no usable header."""


@dataclass(frozen=True, slots=True)
class CellError:
    """Why a row is refused: its line in the file, the column at fault (None: the row as a
    whole), a code and a message for people."""

    line: int
    column: str | None
    code: ErrorCode
    message: str


@dataclass(frozen=True, slots=True)
class Due:
    """Which cycle a row lands in: a year, one of its quarters, or one of its months."""

    year: int
    quarter: int | None = None
    month: int | None = None

    @property
    def label(self) -> str:
        """`2027`, `2027-Q1` or `2027-02`, as `Cycle.label` writes it."""
        if self.month is not None:
            return f"{self.year}-{self.month:02d}"
        if self.quarter is not None:
            return f"{self.year}-Q{self.quarter}"
        return str(self.year)


@dataclass(frozen=True, slots=True)
class Row:
    """One data row, its cells read: text cells trimmed and unescaped (None when blank or when
    the header has no such column), numbers as floats, the kind and the cycle parsed.
    `present` holds the columns the header names. `errors` lists every bad cell."""

    line: int
    objective: str | None = None
    parent: str | None = None
    key_result: str | None = None
    owner: str | None = None
    department: str | None = None
    kind: KeyResultKind | None = None
    start: float | None = None
    target: float | None = None
    current: float | None = None
    due: Due | None = None
    present: frozenset[str] = frozenset()
    errors: tuple[CellError, ...] = field(default=())


# Reading -----------------------------------------------------------------------------------------
def decode(data: bytes) -> str:
    """A file's bytes as text: UTF-8, at most MAX_BYTES; CsvRefused otherwise."""
    if len(data) > MAX_BYTES:
        raise _too_large(len(data))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CsvRefused(
            f"the file is not UTF-8 text (byte {error.start})", field=("csv",)
        ) from error


def _too_large(size: int) -> CsvRefused:
    return CsvRefused(
        f"the CSV is {size} bytes; at most {MAX_BYTES} (512 KiB) are taken: split the file",
        field=("csv",),
        code=ErrorCode.INVALID_VALUE,
    )


def read_rows(text: str) -> list[Row]:
    """The data rows of a file (blank lines skipped); CsvRefused when the file as a whole
    cannot be read: too large, too many rows, no header naming `objective`, a column named
    twice, or a line the CSV reader cannot take (a NUL byte, a quote left open)."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_BYTES:
        raise _too_large(size)
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns: list[str | None] | None = None
    rows: list[Row] = []
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if columns is None:
                columns = _header(record, start)
                continue
            if len(rows) >= MAX_ROWS:
                raise CsvRefused(
                    f"line {start}: the file has more than {MAX_ROWS} rows: split it",
                    field=("csv",),
                )
            rows.append(_row(record, columns, start))
    except csv.Error as error:
        raise CsvRefused(
            f"line {reader.line_num}: not readable as CSV ({error})", field=("csv",)
        ) from error
    if columns is None:
        raise CsvRefused(
            f"the file is empty: it needs a header row naming its columns ({', '.join(COLUMNS)})",
            field=("csv",),
        )
    return rows


def _header(record: Sequence[str], line: int) -> list[str | None]:
    """Each cell's column (None for a column this format does not know)."""
    columns: list[str | None] = []
    for cell in record:
        name = cell.removeprefix("\ufeff").strip().lower()
        squashed = re.sub(r"[\s_\-]+", "", name)
        known = next((c for c in COLUMNS if c.replace(" ", "") == squashed), None)
        column = known or _ALIASES.get(squashed)
        if column is not None and column in columns:
            raise CsvRefused(f"line {line}: the column {column!r} is named twice", field=("csv",))
        columns.append(column)
    if OBJECTIVE not in columns:
        raise CsvRefused(
            f"line {line}: the header row must name the column 'objective' (columns: "
            f"{', '.join(COLUMNS)})",
            field=("csv",),
        )
    return columns


def _row(record: Sequence[str], columns: Sequence[str | None], line: int) -> Row:
    cells: dict[str, str] = {}
    errors: list[CellError] = []
    if len(record) > len(columns):
        extra = record[len(columns) :]
        if any(cell.strip() for cell in extra):
            errors.append(
                CellError(
                    line,
                    None,
                    ErrorCode.INVALID_VALUE,
                    f"the row has {len(record)} cells; the header names {len(columns)}",
                )
            )
    for column, cell in zip(columns, record, strict=False):
        if column is None:
            continue
        if len(cell) > MAX_CELL:
            errors.append(
                CellError(
                    line,
                    column,
                    ErrorCode.INVALID_TEXT,
                    f"the cell is {len(cell)} characters; at most {MAX_CELL} are taken",
                )
            )
            continue
        cells[column] = cell.strip()
    values: dict[str, object] = {}
    for column, cell in cells.items():
        if not cell:
            continue
        try:
            values[column] = _READERS[column](cell)
        except ValueError as error:
            code = ErrorCode.INVALID_TEXT if column in _TEXT else ErrorCode.INVALID_VALUE
            errors.append(CellError(line, column, code, str(error)))
    return Row(
        line=line,
        objective=_as(values, OBJECTIVE, str),
        parent=_as(values, PARENT, str),
        key_result=_as(values, KEY_RESULT, str),
        owner=_as(values, OWNER, str),
        department=_as(values, DEPARTMENT, str),
        kind=_as(values, KIND, KeyResultKind),
        start=_as(values, START, float),
        target=_as(values, TARGET, float),
        current=_as(values, CURRENT, float),
        due=_as(values, DUE, Due),
        present=frozenset(c for c in columns if c is not None),
        errors=tuple(errors),
    )


def _as(values: dict[str, object], column: str, kind: type[T]) -> T | None:
    found = values.get(column)
    return found if isinstance(found, kind) else None


def _text(cell: str) -> str:
    value = unescape(cell).strip()
    if any((ord(c) < 32 and c not in "\t\n\r") or "\ud800" <= c <= "\udfff" for c in value):
        raise ValueError("control characters and lone surrogates are not taken")
    return value


def _email(cell: str) -> str:
    value = _text(cell)
    try:
        return members.email(value, field=OWNER)
    except DomainError:
        raise ValueError(f"not an email address: {value[:80]!r}") from None


def _number(cell: str) -> float:
    try:
        value = float(unescape(cell))
    except ValueError:
        raise ValueError(f"not a number: {cell[:40]!r} (write e.g. 1000 or 12.5)") from None
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {cell[:40]!r}")
    if abs(value) > 1e15:
        raise ValueError("numbers must be between -1e+15 and 1e+15")
    return value


def _kind(cell: str) -> KeyResultKind:
    name = re.sub(r"[\s\-]+", "_", cell.strip()).upper()
    try:
        return KeyResultKind(name)
    except ValueError:
        known = ", ".join(k.value for k in KeyResultKind)
        raise ValueError(f"not a kind: {cell[:40]!r} (one of {known})") from None


def _due(cell: str) -> Due:
    """A cycle label (`2027`, `2027-Q2`, `2027-05`) or a date (its quarter)."""
    try:
        if found := _YEAR.match(cell):
            return Due(calendar.valid_year(int(found[1])))
        if found := _QUARTER.match(cell):
            return Due(calendar.valid_year(int(found[1])), quarter=int(found[2]))
        if found := _MONTH.match(cell):
            month = int(found[2])
            if 1 <= month <= 12:
                year = calendar.valid_year(int(found[1]))
                return Due(year, quarter=(month - 1) // 3 + 1, month=month)
        if found := _DATE.match(cell):
            year, month, day = (int(part) for part in found.groups())
            calendar.valid_year(year)
            date(year, month, day)
            return Due(year, quarter=(month - 1) // 3 + 1)
    except DomainError as error:
        raise ValueError(error.message) from None
    except ValueError:
        pass
    raise ValueError(
        f"not a cycle or date: {cell[:40]!r} (write 2027, 2027-Q2, 2027-05 or 2027-06-30)"
    )


_TEXT = frozenset({OBJECTIVE, PARENT, KEY_RESULT, DEPARTMENT, OWNER})
_READERS = {
    OBJECTIVE: _text,
    PARENT: _text,
    KEY_RESULT: _text,
    OWNER: _email,
    DEPARTMENT: _text,
    KIND: _kind,
    START: _number,
    TARGET: _number,
    CURRENT: _number,
    DUE: _due,
}


# Writing -----------------------------------------------------------------------------------------
def escape(value: str) -> str:
    """A text cell a spreadsheet will not run: one starting with = + - @, a tab or a carriage
    return gets a leading apostrophe (and so does one that `unescape` would strip)."""
    if value[:1] in _TRIGGERS or (
        value[:1] == _ESCAPE and value[1:2] != "" and value[1:2] in _TRIGGERS | {_ESCAPE}
    ):
        return _ESCAPE + value
    return value


def unescape(value: str) -> str:
    """A cell as `escape` found it: the apostrophe before = + - @ (or before another
    apostrophe) is dropped."""
    if value[:1] == _ESCAPE and value[1:2] != "" and value[1:2] in _TRIGGERS | {_ESCAPE}:
        return value[1:]
    return value


def number(value: float) -> str:
    """A number as the shortest text that reads back as the same float (integers without
    a decimal point)."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def write_rows(rows: Iterable[Sequence[str]]) -> str:
    """A file: the header row, then `rows` (cells in COLUMNS order, text already escaped),
    quoted where needed, lines ending in CRLF (RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()
