"""`okrgraph serve | seed | export-schema | schema-check | token | export | import`: the
command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import gc
import json
import logging.config
import signal
import socket
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from service import cli_csv
from service.auth import ConfigurationError, Role, mint, weak_secret
from service.config import Settings
from service.draining import Drain
from service.okrs.commit import Writer
from service.okrs.demo import seed_demo
from service.okrs.migration import migrate_every_organization
from service.preflight import (
    StartError,
    bind,
    check_exposure,
    check_store,
    load_settings,
    written_name,
)
from service.readmodel import ReadModel
from service.store.embedded import open_store
from service.store.interface import Store
from service.transfer import export_organization, import_organization
from service.transfer_codec import TransferError


def _store_flags(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", type=Path, help="embedded store directory (kept on disk)")
    where.add_argument("--memory", action="store_true", help="embedded store in memory")
    where.add_argument("--mongodb-uri", help="a real MongoDB instead of the embedded store")


class _Parser(argparse.ArgumentParser):
    """argparse, whose mistakes are one line (the usage is one `--help` away), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _settings(args: argparse.Namespace) -> tuple[Settings, frozenset[str]]:
    """The environment's settings with the flags on top (a store flag replaces whatever store
    the environment names), and the settings that came from flags (for messages)."""
    overrides: dict[str, object] = {}
    for name in ("data_dir", "mongodb_uri", "host", "port"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    if getattr(args, "data_dir", None) is not None:
        overrides.update(memory=False, mongodb_uri=None)
    if getattr(args, "memory", False):
        overrides.update(memory=True, mongodb_uri=None)
    if getattr(args, "demo", False):
        overrides["demo"] = True
    flags = frozenset(name for name in overrides if getattr(args, name, None) not in (None, False))
    return load_settings(overrides, flags), flags


async def _seed(settings: Settings, today: date, now: datetime | None) -> str:
    async with open_store(
        mongodb_uri=settings.mongodb_uri,
        data_dir=None if settings.memory else settings.data_dir,
        database=settings.database,
        selection_timeout=settings.mongodb_selection_timeout,
    ) as store:
        await store.ensure_indexes()
        seeded = await seed_demo(writer=Writer(store, ReadModel(store)), today=today, now=now)
    if seeded.organization is None:
        return "the demo organization exists already; nothing written"
    return f"seeded the demo organization {seeded.organization.name!r} for {today.isoformat()}"


def _address(host: str, listener: socket.socket) -> str:
    port = listener.getsockname()[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _Quiet(uvicorn.Server):
    """A uvicorn server that leaves the signals to the main one: the metrics listener."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _Server(uvicorn.Server):
    """uvicorn's server on sockets bound beforehand (service/preflight.py), which says where
    GraphiQL is once it listens (with `--port 0`, on the port the kernel chose), runs the
    metrics listener beside it, and drains for a moment at SIGTERM (service/draining.py)."""

    def __init__(
        self,
        config: uvicorn.Config,
        *,
        drain: Drain,
        metrics: tuple[uvicorn.Config, socket.socket] | None,
    ) -> None:
        super().__init__(config)
        self._drain = drain
        self._metrics = metrics
        self._metrics_server: _Quiet | None = None
        self._metrics_task: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.started:
            return
        if self._metrics is not None:
            config, listener = self._metrics
            self._metrics_server = _Quiet(config)
            serving = self._metrics_server.serve(sockets=[listener])
            self._metrics_task = asyncio.create_task(serving, name="okrgraph-metrics")
            where = _address(config.host, listener)
            print(f"okrgraph: metrics at http://{where}/metrics", flush=True)
        settle_heap()
        where = _address(self.config.host, self.servers[0].sockets[0])
        print(f"okrgraph: GraphiQL at http://{where}/graphql", flush=True)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """The first SIGTERM or SIGINT once serving starts the drain; the stop follows when it
        is over (`on_tick`). Another signal stops at once, as uvicorn does."""
        if self.started and not self._drain.draining:
            self._drain.begin()
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        self._drain.start_ending()  # in the loop: the signal handler only marks the start
        if self._drain.over():
            self.should_exit = True
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._metrics_server is not None and self._metrics_task is not None:
            self._metrics_server.should_exit = True
            await self._metrics_task
        await super().shutdown(sockets)


def settle_heap() -> int:
    """Collect once, then move everything the start-up made (modules, the schema, the demo
    data) out of the garbage collector's sight, so that its full collections walk only what
    requests and connections make: with a thousand WebSocket subscribers connecting, a full
    collection over the whole heap paused the process for up to 0.7 s. The objects stay alive
    as before; the number frozen is returned (and logged)."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logging.getLogger("service.cli").info("moved %d start-up objects out of the collector", frozen)
    return frozen


def _log_config() -> dict[str, Any]:
    """uvicorn's logging as JSON lines (with the request id), extended to the service's
    loggers and Strawberry's; GraphiQL's address stays a plain line on stdout."""
    config = copy.deepcopy(LOGGING_CONFIG)
    json_lines = {"()": "service.observability.JsonFormatter"}
    config["formatters"]["default"] = json_lines
    config["formatters"]["access"] = json_lines
    for name in ("service", "schema", "strawberry"):
        config["loggers"][name] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def _after_graceful_stop(signum: int, frame: FrameType | None) -> None:
    """Nothing: see `_serve`."""


def _listeners(
    settings: Settings, flags: frozenset[str]
) -> tuple[socket.socket, socket.socket | None]:
    """The API's socket and the metrics listener's (None when metrics are off), bound."""
    host, port = written_name("host", flags), written_name("port", flags)
    listener = bind(settings.host, settings.port, f"{host}, {port}")
    if not settings.metrics:
        return listener, None
    try:
        metrics = bind(
            settings.metrics_host,
            settings.metrics_port,
            "OKRGRAPH_METRICS_HOST, OKRGRAPH_METRICS_PORT",
        )
    except StartError:
        listener.close()
        raise
    return listener, metrics


def _serve(settings: Settings, flags: frozenset[str] = frozenset()) -> int:
    # Imported here: only `serve` and `export-schema` need the GraphQL layer, whose import
    # (building the schema) takes half a second.
    from service.app import MAX_BODY_BYTES, create_app
    from service.observability import configure_tracing, metrics_app

    check_store(settings, flags)
    check_exposure(settings, flags)
    # Bound first, before the store starts or the demo is seeded: a port in use is one line.
    listener, metrics_listener = _listeners(settings, flags)
    logging.config.dictConfig(_log_config())  # before the app: its start-up logs are JSON too
    configure_tracing()
    try:
        app = create_app(settings)
    except ConfigurationError as error:
        for bound in (listener, metrics_listener):
            if bound is not None:
                bound.close()
        print(f"okrgraph: {error}", file=sys.stderr)
        return 2
    metrics: tuple[uvicorn.Config, socket.socket] | None = None
    if metrics_listener is not None:
        metrics_config = uvicorn.Config(
            metrics_app(app.state.metrics),
            host=settings.metrics_host,
            lifespan="off",
            log_config=None,
            access_log=False,
        )
        metrics = (metrics_config, metrics_listener)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        log_config=_log_config(),
        # Open WebSockets must not hold a stop (SIGTERM) for longer than this, in seconds.
        timeout_graceful_shutdown=10,
        # A WebSocket frame may be as large as an HTTP body, no larger (close code 1009).
        ws_max_size=MAX_BODY_BYTES,
    )
    # uvicorn stops gracefully on SIGINT and SIGTERM (the lifespan closes the store and stops
    # the embedded nx-27017), then raises the signal again for the handler it found installed.
    # That handler is this no-op, so that a clean stop ends the process with status 0.
    stopping = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, _after_graceful_stop) for signum in stopping}
    try:
        _Server(config, drain=app.state.drain, metrics=metrics).run(sockets=[listener])
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def _export_schema(output: Path, *, check: bool) -> int:
    from schema.api import sdl  # imported here, as in `_serve`

    text = sdl()
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != text:
            print(
                f"{output} differs from the schema in the code: run `okrgraph export-schema`",
                file=sys.stderr,
            )
            return 1
        print(f"{output} matches the schema in the code")
        return 0
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0


def _token(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.jwt_secret:
        print(
            "okrgraph: token needs OKRGRAPH_JWT_SECRET (the secret the server checks)",
            file=sys.stderr,
        )
        return 2
    problem = weak_secret(settings.jwt_secret)
    if problem is not None:  # the server would refuse it: a token signed with it is no use
        print(f"okrgraph: {problem}", file=sys.stderr)
        return 2
    print(
        mint(
            secret=settings.jwt_secret,
            organization=args.org,
            role=Role.named(args.role),
            subject=args.subject,
            ttl=timedelta(hours=args.hours),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    )
    return 0


def _schema_check(known: Path) -> int:
    """Breaking and dangerous changes from the schema clients know (`known`) to the code's."""
    from graphql import GraphQLError, build_schema, find_breaking_changes, find_dangerous_changes

    from schema.api import sdl  # imported here, as in `_serve`

    try:
        old = build_schema(known.read_text(encoding="utf-8"))
    except OSError as error:
        print(f"okrgraph: cannot read {known}: {error.strerror}", file=sys.stderr)
        return 2
    except (GraphQLError, TypeError) as error:  # TypeError: SDL that parses but is no schema
        print(f"okrgraph: {known} is not a GraphQL schema: {error}", file=sys.stderr)
        return 2
    new = build_schema(sdl())
    breaking = find_breaking_changes(old, new)
    dangerous = find_dangerous_changes(old, new)
    for change in breaking:
        print(f"BREAKING {change.type.name}: {change.description}")
    for danger in dangerous:
        print(f"DANGEROUS {danger.type.name}: {danger.description}")
    print(
        f"{len(breaking)} breaking and {len(dangerous)} dangerous changes from {known} to the "
        "schema in the code"
    )
    return 1 if breaking else 0


def _opened(settings: Settings) -> contextlib.AbstractAsyncContextManager[Store]:
    return open_store(
        mongodb_uri=settings.mongodb_uri,
        data_dir=None if settings.memory else settings.data_dir,
        database=settings.database,
        selection_timeout=settings.mongodb_selection_timeout,
    )


def _export(settings: Settings, slug: str, output: Path | None) -> int:
    async def read() -> dict[str, Any]:
        async with _opened(settings) as store:
            reads = ReadModel(store)
            return await export_organization(reads=reads, slug=slug, now=datetime.now(UTC))

    try:
        document = asyncio.run(read())
    except TransferError as error:
        print(f"okrgraph: {error}", file=sys.stderr)
        return 1
    text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"exported {slug} to {output}")
    return 0


def _import(settings: Settings, source: str, slug: str | None) -> int:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        document = json.loads(text)
    except OSError as error:
        print(f"okrgraph: cannot read {source}: {error.strerror}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"okrgraph: {source} is not JSON: {error}", file=sys.stderr)
        return 1

    async def write() -> str:
        async with _opened(settings) as store:
            await store.ensure_indexes()
            writer = Writer(store, ReadModel(store))
            imported = await import_organization(
                writer=writer, document=document, slug=slug, now=datetime.now(UTC)
            )
            return f"imported {imported.organization.name!r} as {imported.organization.slug}"

    try:
        print(asyncio.run(write()))
    except TransferError as error:
        print(f"okrgraph: {error}", file=sys.stderr)
        return 1
    return 0


def _migrate_owners(settings: Settings) -> int:
    async def migrate() -> dict[str, int]:
        async with _opened(settings) as store:
            await store.ensure_indexes()
            writer = Writer(store, ReadModel(store))
            return await migrate_every_organization(
                writer=writer, store=store, now=datetime.now(UTC)
            )

    migrated = asyncio.run(migrate())
    if not migrated:
        print("no free-text owners left: nothing to migrate")
    for org_id, count in migrated.items():
        print(f"organization {org_id}: {count} free-text owner(s) migrated to members")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status (2: a setting that cannot work,
    said in one line)."""
    try:
        return _main(argv)
    except StartError as error:
        print(f"okrgraph: {error}", file=sys.stderr)
        return 2


def _main(argv: Sequence[str] | None) -> int:
    parser = _Parser(prog="okrgraph", description=__doc__)
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {metadata.version('okrgraph')}"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the GraphQL API and GraphiQL")
    serve.add_argument("--host", help="interface to listen on (default 127.0.0.1; env HOST)")
    serve.add_argument(
        "--port", type=int, help="TCP port, 0 for any free one (default 8000; env PORT)"
    )
    _store_flags(serve)
    serve.add_argument("--demo", action="store_true", help="seed the demo into an empty store")
    export = commands.add_parser("export-schema", help="write the schema's SDL")
    export.add_argument(
        "--output", type=Path, default=Path("schema/schema.graphql"), help="%(default)s"
    )
    export.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when the file differs"
    )
    seed = commands.add_parser("seed", help="write example data")
    seed.add_argument("--demo", action="store_true", required=True, help="the demo organization")
    seed.add_argument("--today", type=date.fromisoformat, help="date the demo as of this day")
    _store_flags(seed)
    token = commands.add_parser("token", help="mint a development token (HS256)")
    token.add_argument("--org", required=True, help="the organization's slug")
    token.add_argument("--role", required=True, choices=["viewer", "editor", "admin"])
    token.add_argument("--subject", default="developer", help="the `sub` claim (%(default)s)")
    token.add_argument("--hours", type=float, default=12, help="lifetime (%(default)s hours)")
    check = commands.add_parser(
        "schema-check",
        help="report breaking and dangerous changes from the checked-in SDL to the code",
        description="Compare the schema clients know (the checked-in SDL) with the schema the "
        "code builds, with graphql-core's find_breaking_changes and find_dangerous_changes; "
        "print each change and exit 1 when one is breaking.",
    )
    check.add_argument(
        "--schema", type=Path, default=Path("schema/schema.graphql"), help="%(default)s"
    )
    out = commands.add_parser(
        "export",
        help="write one organization's OKRs as JSON",
        description="Write an organization, its policy, departments, cycles, objectives, key "
        "results with their dependencies, check-ins, action steps and initiatives as JSON.",
    )
    out.add_argument("--org", required=True, help="the organization's slug")
    out.add_argument(
        "--output", type=Path, help="the JSON (or CSV) file to write (default: stdout)"
    )
    out.add_argument(
        "--csv",
        action="store_true",
        help="write objectives and key results as CSV (README: CSV import and export)",
    )
    _store_flags(out)
    into = commands.add_parser(
        "import",
        help="write an organization exported as JSON into a store, under new ids",
        description="Write an `okrgraph export` document into a store under new ids; refused "
        "when an organization of that slug exists already.",
    )
    into.add_argument("file", nargs="?", help="the JSON file to read (- for stdin)")
    into.add_argument("--slug", help="the new organization's slug (default: the exported one)")
    into.add_argument(
        "--csv",
        metavar="FILE",
        help="import objectives and key results from CSV (- for stdin) into the organization "
        "--org, made when there is none: one change, or nothing when a row is refused",
    )
    into.add_argument("--org", help="with --csv: the organization's slug")
    into.add_argument(
        "--dry-run", action="store_true", help="with --csv: report each row, write nothing"
    )
    _store_flags(into)
    owners = commands.add_parser(
        "migrate-owners",
        help="turn the free-text owners of existing data into members",
        description="Each distinct free-text owner of an organization (case and blanks aside) "
        "becomes one member, and everything it owned is owned by that member: one change in "
        "the log per owner. Idempotent; `serve` runs it too once the store answers.",
    )
    _store_flags(owners)
    args = parser.parse_args(argv)
    if args.command == "schema-check":
        return _schema_check(args.schema)
    if args.command == "token":
        return _token(load_settings(), args)
    if args.command == "export-schema":
        return _export_schema(args.output, check=args.check)
    settings, flags = _settings(args)
    if args.command == "serve":
        return _serve(settings, flags)
    check_store(settings, flags)
    if args.command == "export":
        if args.csv:
            return cli_csv.export_csv_file(_opened(settings), args.org, args.output)
        return _export(settings, args.org, args.output)
    if args.command == "import":
        if args.csv is not None:
            if args.file is not None or args.org is None:
                parser.error("import --csv FILE takes --org SLUG and no JSON file")
            return cli_csv.import_csv_file(
                _opened(settings), args.csv, args.org, dry_run=args.dry_run
            )
        if args.file is None:
            parser.error("import needs a JSON file, or --csv FILE --org SLUG")
        return _import(settings, args.file, args.slug)
    if args.command == "migrate-owners":
        return _migrate_owners(settings)
    # Without --today the histories reach the real instant, so a check-in made right after is
    # the newest; --today dates everything at noon of that day, for reproducible numbers.
    now = None if args.today else datetime.now(UTC)
    today = args.today or datetime.now(UTC).date()
    print(asyncio.run(_seed(settings, today, now)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
