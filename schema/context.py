"""The per-request context: the store and read model as the caller may see them, the clock, who
is asking, and this request's reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeAlias

from strawberry.types import Info as StrawberryInfo

from schema.ids import GlobalId
from schema.loaders import Loaders
from service.auth import Deactivated, Principal, Role
from service.domain.model import MemberRole
from service.events.stream import EventStream
from service.observability import Metrics
from service.okrs import members
from service.okrs.commit import Writer
from service.outbound.workers import Outbound
from service.readmodel import ReadModel, Snapshot
from service.store.interface import Store
from service.store.tenant import scoped


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass
class Context:
    """What every resolver may use. Built once per request (or WebSocket connection) by
    `build_context`.

    `reads` is the process's read model (or, without one, a read model of this request alone:
    the same reads, nothing kept); `writer` writes through it. With a `principal`, `store` is
    that principal's organization's view of the shared store (`service.store.tenant`) and only
    that organization is visible; without one, authentication is off and everything is.
    `outbound` is the instance's webhook and stream workers (None outside a running app: then
    webhooks are checked and tested with the default settings)."""

    shared: Store
    reads: ReadModel
    writer: Writer
    clock: Callable[[], datetime] = utc_now
    principal: Principal | None = None
    authenticated: bool = False
    connection_params: dict[str, object] | None = None
    events: EventStream | None = None
    metrics: Metrics | None = None
    outbound: Outbound | None = None
    org_id: str | None = None
    member_id: str | None = None
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
        self.process_writer = self.writer
        self.writer = self._scoped_writer()
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

    def visible(self, org_id: str) -> bool:
        """Whether the caller may see the organization."""
        return not self.authenticated or (self.org_id is not None and org_id == self.org_id)

    def home(self, gid: GlobalId) -> GlobalId:
        """An id as the caller's organization reads it: one of another organization becomes an
        id its own organization does not hold, so every lookup fails as for an unknown id."""
        if not self.authenticated or gid.org_id == self.org_id or gid.type_name == "Organization":
            return gid
        return GlobalId(gid.type_name, self.org_id or "~", f"~{gid.local_id}")

    def refresh(self) -> None:
        """A new instant and fresh reads: for each event of a long-lived subscription."""
        self.now = self.clock()
        self.reset_loaders()

    def reset_loaders(self) -> None:
        """Forget what was read."""
        self.loaders = Loaders(self.reads, self.store, self.now, self.visible)

    def wrote(self, snapshot: Snapshot) -> None:
        """A write of this request left its organization as `snapshot`: read that from now on
        (an organization it created becomes the caller's own)."""
        tenant_org = getattr(self.store, "org_id", None)
        if self.authenticated and self.org_id is None and tenant_org == snapshot.org_id:
            self.org_id = snapshot.org_id
        self.loaders.adopt(snapshot)

    def _scoped_writer(self) -> Writer:
        return self.process_writer.scoped(
            self.store, self.reads, allowed=self.visible, written=self.wrote
        )

    async def sign_in(self, principal: Principal) -> None:
        """Scope this context to the principal's organization (the token names it by slug),
        and find the member its subject is (`member_id`; None while the organization does not
        exist). A deactivated member's token is refused (`Deactivated`)."""
        self.org_id = await self.reads.organization_id(principal.organization)
        self.store = scoped(self.shared, org_id=self.org_id, slug=principal.organization)
        self.principal = principal
        self.writer = self._scoped_writer()
        self.authenticated = True
        self.reset_loaders()
        if self.org_id is not None:
            self.member_id = await self._member(self.org_id, principal)

    async def _member(self, org_id: str, principal: Principal) -> str:
        """The id of the member a principal is. Once the read model holds them, no store call:
        the snapshot held is brought up to the log by every request that reads it, so a
        deactivation made on another instance is seen from the next request on. A subject seen
        for the first time joins the organization (`members.member_for_subject`, one change),
        and the request reads on from the snapshot that write left."""
        held = self.reads.held(org_id)
        found = held.member_signed_in_as(principal.subject) if held is not None else None
        if found is None:
            joined = await members.member_for_subject(
                writer=self.writer,
                org_id=org_id,
                subject=principal.subject,
                role=MemberRole(principal.role.name.lower()),
                now=self.now,
            )
            found = joined.member
        if not found.active:
            raise Deactivated(
                f"the member {found.name} is deactivated in this organization: an admin can "
                "bring them back (memberUpdate with active: true)"
            )
        return found.id


def build_context(
    store: Store,
    *,
    reads: ReadModel | None = None,
    writer: Writer | None = None,
    clock: Callable[[], datetime] = utc_now,
    authenticated: bool = False,
    events: EventStream | None = None,
) -> Context:
    """A fresh context for one request: with authentication off everything is visible; on,
    nothing is until `sign_in`. Without `reads`, the request reads through a read model of its
    own (nothing kept between requests)."""
    chosen = reads if reads is not None else ReadModel(store)
    return Context(
        shared=store,
        reads=chosen,
        writer=writer if writer is not None else Writer(store, chosen),
        clock=clock,
        authenticated=authenticated,
        events=events,
    )


async def signed_in_context(
    store: Store,
    principal: Principal,
    *,
    reads: ReadModel | None = None,
    writer: Writer | None = None,
    clock: Callable[[], datetime] = utc_now,
    events: EventStream | None = None,
) -> Context:
    """A fresh context for one request of an authenticated principal."""
    context = build_context(
        store, reads=reads, writer=writer, clock=clock, authenticated=True, events=events
    )
    await context.sign_in(principal)
    return context


Info: TypeAlias = StrawberryInfo[Context, Any]
