"""`create_app(settings)`: the one place where the store, the schema and HTTP meet.

The lifespan owns the store (and with it the embedded nx-27017); `/graphql` serves GraphQL over
HTTP and WebSocket and GraphiQL for browsers, from files the service ships; `/healthz` says the
process runs, `/readyz` that it can reach its store. Metrics are not served here: `okrgraph
serve` runs `metrics_app(app.state.metrics)` on a listener of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from schema.api import build_schema
from schema.context import utc_now
from schema.ids import to_global_id
from schema.limits import Limits
from service.answers import AuthOffHeader, NotStored
from service.auth import (
    ConfigurationError,
    Verifier,
)
from service.config import Settings
from service.domain.errors import StoreUnavailable
from service.draining import Drain, DrainGate
from service.events import EventStream, create_bus
from service.graphql_http import GraphQLApp
from service.http_rules import Running
from service.observability import Metrics, ObservedStore, RequestIds, operation_names
from service.okrs.commit import Retention, Writer
from service.okrs.demo import seed_demo
from service.okrs.migration import migrate_every_organization
from service.outbound.workers import Outbound
from service.pages import dashboard
from service.persisted import PersistedQueries
from service.readiness import StorePreparation
from service.readmodel import ReadModel
from service.reuse import (
    ResponseReuse,
)
from service.scheduler import ReminderScheduler
from service.store.embedded import open_store, uri_hosts
from service.store.interface import Store
from service.store.mongo import MongoStore

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
OPERATIONS_DIR = HERE.parent / "schema" / "operations"

MAX_BODY_BYTES = 1 << 20
READY_TIMEOUT = 1.5  # seconds; a readiness probe must answer before the prober gives up


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def _readyz(running: Running) -> Callable[[Request], Awaitable[Response]]:
    async def readyz(request: Request) -> Response:
        store = running.store
        try:
            if store is None:
                raise StoreUnavailable("the app is not running")
            await asyncio.wait_for(store.ping(), timeout=READY_TIMEOUT)
        except (StoreUnavailable, TimeoutError):
            return JSONResponse(
                {"status": "unavailable", "store": "unreachable", "hosts": running.hosts},
                status_code=503,
            )
        if running.preparation is not None and not running.preparation.ready:
            # It answers again, and its indexes are being made: not yet.
            return JSONResponse(
                {"status": "unavailable", "store": "preparing", "hosts": running.hosts},
                status_code=503,
            )
        # Without the bus, queries and mutations still work: the instance stays in rotation,
        # and says that live updates are degraded (they follow the log by polling meanwhile).
        bus = running.bus.health() if running.bus else None
        if bus is not None and not bus.ok:
            return JSONResponse(
                {"status": "degraded", "store": "ok", "bus": bus.status, "reason": bus.reason}
            )
        return JSONResponse({"status": "ready", "store": "ok", "bus": "ok"})

    return readyz


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    schema: strawberry.Schema | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """The ASGI application. Its lifespan opens the store the settings name, unless `store` is
    given (then the caller owns it), creates the indexes and, with `settings.demo`, seeds the
    demo organization into an empty store, as soon as the store answers (at once, or in the
    background while `/readyz` says 503). `app.state` holds the metrics (for the metrics
    listener) and the drain (for a stop). `schema` defaults to the service's schema; `clock`
    to the real UTC clock."""
    now = clock or utc_now
    persisted = PersistedQueries.configure(settings.trusted_documents)
    running = Running(metrics=Metrics(known_operations(persisted)))
    running.hosts = store_hosts(settings) if store is None else []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as owned:
            opened = store
            if opened is None:
                opened = await owned.enter_async_context(
                    open_store(
                        mongodb_uri=settings.mongodb_uri,
                        data_dir=None if settings.memory else settings.data_dir,
                        database=settings.database,
                        selection_timeout=settings.mongodb_selection_timeout,
                    )
                )
            if isinstance(opened, MongoStore):
                opened.on_round_trip = running.metrics.round_trip
            # Every store call named for the metrics and traced (spans when tracing is on).
            observed = cast(Store, ObservedStore(opened))
            bus = create_bus(settings.redis_url)
            await bus.start()
            owned.push_async_callback(bus.close)
            reads = ReadModel(
                observed,
                capacity=settings.read_model_capacity,
                check_in_capacity=settings.read_model_check_ins,
            )
            retention = Retention(
                days=settings.log_retention_days, changes=settings.log_retention_changes
            )
            outbound = Outbound.configure(settings, observed, reads, naming=to_global_id)
            writer = Writer(
                observed, reads, notify=outbound.also(bus.announce), retention=retention
            )

            async def prepare() -> None:
                await opened.ensure_indexes()
                # Free-text owners of data written before members become members, once.
                migrated = await migrate_every_organization(
                    writer=writer, store=observed, now=now().astimezone(UTC)
                )
                for org_id, count in migrated.items():
                    logger.info("migrated %d free-text owners of %s to members", count, org_id)
                if settings.demo:
                    instant = now().astimezone(UTC)
                    today = instant.date()
                    seeded = await seed_demo(writer=writer, today=today, now=instant)
                    if seeded.organization is not None:
                        logger.info("seeded the demo organization for %s", today.isoformat())

            # A store that does not answer yet is prepared once it does (service/readiness.py).
            preparation = StorePreparation(prepare, running.hosts or ["the given store"])
            await preparation.start()
            owned.push_async_callback(preparation.close)
            running.preparation = preparation
            events = EventStream(reads, observed, bus)
            await events.start()
            owned.push_async_callback(events.close)
            # At SIGTERM, open event streams (SSE, multipart, WebSocket subscriptions) end with
            # their `complete` at once, rather than hold the stop and then be cut off.
            drain.at_start.append(events.end_subscriptions)
            owned.callback(drain.at_start.remove, events.end_subscriptions)
            bus.listen(outbound.noticed)
            await outbound.start()
            owned.push_async_callback(outbound.close)
            scheduler = ReminderScheduler(
                observed,
                reads,
                writer,
                interval=settings.reminder_interval,
                window=timedelta(days=settings.log_retention_days),
                clock=now,
            )
            await scheduler.start()
            owned.push_async_callback(scheduler.close)
            running.outbound = outbound
            running.reuse = app.state.reuse = (
                ResponseReuse(reads, counted=running.metrics.count_reuse)
                if settings.response_reuse
                else None
            )
            running.store, running.bus, running.reads, running.writer, running.events = (
                observed,
                bus,
                reads,
                writer,
                events,
            )
            try:
                yield
            finally:
                running.store, running.bus, running.reads, running.writer = None, None, None, None
                running.events, running.outbound, running.reuse = None, None, None

    verifier = _verifier(settings)
    chosen = (
        schema
        if schema is not None
        else build_schema(
            limits_of(settings),
            federation=settings.federation,
            router=settings.federation_router,
        )
    )
    graphql = GraphQLApp(chosen, running, now, verifier, settings.cors_origins, persisted)
    drain = Drain()
    middleware = [
        Middleware(NotStored),
        Middleware(DrainGate, drain=drain),
        # Here rather than Starlette's own `max_body_size` (outside every middleware), so that
        # a 413 is marked as every other answer.
        Middleware(RequestBodyLimitMiddleware, max_body_size=MAX_BODY_BYTES),
        Middleware(RequestIds),
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            max_age=600,
        ),
    ]
    if verifier is None:
        middleware.append(Middleware(AuthOffHeader))
    app = Starlette(
        routes=[
            Route("/", dashboard),
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", _healthz),
            Route("/readyz", _readyz(running)),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        lifespan=lifespan,
        middleware=middleware,
    )
    app.state.metrics = running.metrics
    app.state.drain = drain
    return app


def known_operations(persisted: PersistedQueries) -> set[str]:
    """The operation names metrics label by name: the kit's shipped operations and, with
    trusted documents, theirs."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(OPERATIONS_DIR.glob("*.graphql"))]
    if persisted.trusted is not None:
        texts.extend(persisted.trusted.documents.values())
    return operation_names(*texts)


def store_hosts(settings: Settings) -> list[str]:
    """The hosts the service's store is reached at, for messages (never credentials)."""
    if settings.mongodb_uri:
        return uri_hosts(settings.mongodb_uri)
    return ["the embedded store"]


def limits_of(settings: Settings) -> Limits:
    """The request limits the settings ask for."""
    return Limits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_cost=settings.max_cost,
        introspection=settings.introspection_allowed,
        timeout=settings.request_timeout,
    )


def _verifier(settings: Settings) -> Verifier | None:
    """The token verifier; ConfigurationError when authentication is on without a key."""
    if not settings.auth_enabled:
        logger.warning(
            "authentication is OFF (OKRGRAPH_AUTH=disabled): anyone who can reach this port "
            "can read and change every organization"
        )
        return None
    verifier = Verifier.configure(
        secret=settings.jwt_secret,
        public_key=settings.jwt_public_key,
        jwks_file=settings.jwt_jwks_file,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    if verifier is None:
        raise ConfigurationError(
            "authentication is on but no key is configured: set OKRGRAPH_JWT_SECRET, "
            "OKRGRAPH_JWT_PUBLIC_KEY or OKRGRAPH_JWT_JWKS_FILE (or, for development on this "
            "machine, OKRGRAPH_AUTH=disabled)"
        )
    return verifier
