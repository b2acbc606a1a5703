"""The per-request context: the store as the caller may see it, the clock, who is asking, and
this request's DataLoaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeAlias

from strawberry.types import Info as StrawberryInfo

from schema.ids import GlobalId
from schema.loaders import Loaders
from service.auth import Principal, Role
from service.events import EventBus
from service.observability import Metrics
from service.store.cache import YearCache
from service.store.interface import Store
from service.store.tenant import scoped


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass
class Context:
    """What every resolver may use. Built once per request (or WebSocket connection) by
    `build_context`, so loaders never share a cache between requests.

    With a `principal`, `store` is that principal's organization's view of the shared store
    (`service.store.tenant`); without one, authentication is off and everything is visible."""

    shared: Store
    clock: Callable[[], datetime] = utc_now
    principal: Principal | None = None
    authenticated: bool = False
    connection_params: dict[str, object] | None = None
    events: EventBus | None = None
    cache: YearCache | None = None
    metrics: Metrics | None = None
    org_id: str | None = None
    subscriptions: int = 0
    store: Store = field(init=False)
    loaders: Loaders = field(init=False)
    # One instant per request: every number in one response is computed at the same `now`.
    now: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.now = self.clock()
        # Authenticated but nobody signed in yet (a WebSocket before connection_init): nothing.
        locked = self.authenticated and self.principal is None
        self.store = scoped(self.shared, org_id=None, slug="") if locked else self.shared
        self.reset_loaders()

    @property
    def subject(self) -> str | None:
        """Who is asking, as the token names them; None with authentication off."""
        return self.principal.subject if self.principal else None

    def may(self, role: Role) -> bool:
        """Whether the caller holds `role` (or a higher one); always, with authentication off."""
        if not self.authenticated:
            return True
        return self.principal is not None and self.principal.role >= role

    def home(self, gid: GlobalId) -> GlobalId:
        """An id as the caller's organization reads it: one of another organization becomes an
        id its own organization does not hold, so every lookup fails as for an unknown id."""
        if not self.authenticated or gid.org_id == self.org_id or gid.type_name == "Organization":
            return gid
        return GlobalId(gid.type_name, self.org_id or "~", f"~{gid.local_id}")

    def refresh(self) -> None:
        """A new instant and empty loaders: for each event of a long-lived subscription."""
        self.now = self.clock()
        self.reset_loaders()

    def reset_loaders(self) -> None:
        """Forget what was loaded: after a write, cached objects and rollups are stale."""
        self.loaders = Loaders(self.store, self.now, self.cache)

    async def sign_in(self, principal: Principal) -> None:
        """Scope this context to the principal's organization (the token names it by slug)."""
        found = await self.shared.get_organization_by_slug(principal.organization)
        self.org_id = found.id if found else None
        self.store = scoped(self.shared, org_id=self.org_id, slug=principal.organization)
        self.principal = principal
        self.authenticated = True
        self.reset_loaders()


def build_context(
    store: Store,
    *,
    clock: Callable[[], datetime] = utc_now,
    authenticated: bool = False,
    events: EventBus | None = None,
    cache: YearCache | None = None,
) -> Context:
    """A fresh context for one request: with authentication off everything is visible; on,
    nothing is until `sign_in`."""
    return Context(
        shared=store, clock=clock, authenticated=authenticated, events=events, cache=cache
    )


async def signed_in_context(
    store: Store,
    principal: Principal,
    *,
    clock: Callable[[], datetime] = utc_now,
    events: EventBus | None = None,
    cache: YearCache | None = None,
) -> Context:
    """A fresh context for one request of an authenticated principal."""
    context = Context(shared=store, clock=clock, authenticated=True, events=events, cache=cache)
    await context.sign_in(principal)
    return context


Info: TypeAlias = StrawberryInfo[Context, Any]
