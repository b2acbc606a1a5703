"""`okrgraph serve | seed | export-schema`: the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from service.config import Settings
from service.okrs.demo import seed_demo
from service.store.embedded import open_store


def _store_flags(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", type=Path, help="embedded store directory (kept on disk)")
    where.add_argument("--memory", action="store_true", help="embedded store in memory")
    where.add_argument("--mongodb-uri", help="a real MongoDB instead of the embedded store")


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    for name in ("data_dir", "mongodb_uri", "host", "port"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    if getattr(args, "memory", False):
        overrides["memory"] = True
    if getattr(args, "demo", False):
        overrides["demo"] = True
    return Settings(**overrides)  # type: ignore[arg-type]  # pydantic validates the values


async def _seed(settings: Settings, today: date) -> str:
    async with open_store(
        mongodb_uri=settings.mongodb_uri,
        data_dir=None if settings.memory else settings.data_dir,
        database=settings.database,
    ) as store:
        await store.ensure_indexes()
        seeded = await seed_demo(store=store, today=today)
    if seeded.organization is None:
        return "the demo organization exists already; nothing written"
    return f"seeded the demo organization {seeded.organization.name!r} for {today.isoformat()}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    parser = argparse.ArgumentParser(prog="okrgraph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    seed = commands.add_parser("seed", help="write example data")
    seed.add_argument("--demo", action="store_true", required=True, help="the demo organization")
    seed.add_argument("--today", type=date.fromisoformat, help="date the demo as of this day")
    _store_flags(seed)
    args = parser.parse_args(argv)
    settings = _settings(args)
    if args.command == "seed":
        today = args.today or datetime.now(UTC).date()
        print(asyncio.run(_seed(settings, today)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
