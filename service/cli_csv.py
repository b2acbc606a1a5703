"""`okrgraph import --csv FILE --org SLUG [--dry-run]` and `okrgraph export --csv --org SLUG`
(README: CSV import and export)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias

from service.domain.errors import DomainError
from service.domain.model import Organization
from service.okrs import csv_rows
from service.okrs.commit import Writer
from service.okrs.common import new_id
from service.okrs.csv_import import CsvImported, export_csv, import_csv
from service.okrs.organizations import valid_slug
from service.readmodel import ReadModel
from service.store.interface import Store

Opened: TypeAlias = contextlib.AbstractAsyncContextManager[Store]
"""The store a command opens (and closes when done)."""


def export_csv_file(opened: Opened, slug: str, output: Path | None) -> int:
    """`okrgraph export --csv`: the organization `slug` as CSV, to `output` or stdout."""

    async def read() -> str | None:
        async with opened as store:
            reads = ReadModel(store)
            org_id = await reads.organization_id(slug)
            held = await reads.snapshot(org_id) if org_id is not None else None
            return export_csv(held) if held is not None else None

    text = asyncio.run(read())
    if text is None:
        print(f"okrgraph: no organization with the slug {slug!r}", file=sys.stderr)
        return 1
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_bytes(text.encode("utf-8"))
        print(f"exported {slug} to {output}")
    return 0


def import_csv_file(opened: Opened, source: str, slug: str, *, dry_run: bool) -> int:
    """`okrgraph import --csv`: a file (- for stdin) into the organization `slug` (made by the
    same change when there is none); prints a line per row; exit status 1 when refused."""
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        text = csv_rows.decode(data)
    except OSError as error:
        print(f"okrgraph: cannot read {source}: {error.strerror}", file=sys.stderr)
        return 1
    except DomainError as error:
        print(f"okrgraph: {source}: {error.message}", file=sys.stderr)
        return 1

    async def write() -> CsvImported:
        async with opened as store:
            await store.ensure_indexes()
            reads = ReadModel(store)
            writer = Writer(store, reads)
            org_id = await reads.organization_id(slug)
            creating = None
            if org_id is None:
                creating = Organization(id=new_id(), name=slug, slug=valid_slug(slug))
                org_id = creating.id
            return await import_csv(
                writer=writer,
                org_id=org_id,
                text=text,
                now=datetime.now(UTC),
                dry_run=dry_run,
                actor="okrgraph import --csv",
                creating=creating,
            )

    try:
        done = asyncio.run(write())
    except DomainError as error:
        print(f"okrgraph: {source}: {error.message}", file=sys.stderr)
        return 1
    for line in csv_report(done):
        print(line)
    return 1 if done.refused else 0


def csv_report(done: CsvImported) -> list[str]:
    """An import's report for people: a line per row, then what was written."""
    lines = []
    for row in done.rows:
        what = f"{row.item.value.lower().replace('_', ' ')} " if row.item is not None else ""
        line = f"line {row.line}: {row.action.value} {what}{row.title or ''}".rstrip()
        if row.changes:
            line += f" (changes {', '.join(row.changes)})"
        if row.creates:
            line += f" (creates {', '.join(row.creates)})"
        lines.append(line)
        lines += [
            f"  line {e.line}, column {e.column or '-'}: {e.code.value}: {e.message}"
            for e in row.errors
        ]
    if done.refused:
        lines.append(f"refused: {len(done.refused)} problem(s); nothing was written")
    elif done.dry_run:
        lines.append("dry run: nothing was written")
    else:
        lines.append("written as one change" if done.applied else "nothing to change")
    return lines
