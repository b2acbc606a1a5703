"""A store seen by one organization: tenant isolation at the lowest layer.

Every request made with a token gets its own `TenantStore` around the shared store. Reads of
another organization find nothing, exactly as unknown ids do; writes to another organization are
refused as NotFound. Because the use cases, the loaders and the resolvers all read through it,
no code path above can leak another organization's data by forgetting a check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from service.domain.errors import NotFound
from service.domain.model import Organization
from service.store.interface import Page, Store
from service.store.reads import ORGS
from service.store.records import Change

# Reads whose first argument is the organization id: another organization's gives this instead.
ORG_READS: dict[str, Callable[[], Any]] = {
    "changes_after": list,
    "last_change": lambda: None,
    "first_sequence": lambda: None,
    "page_changes": lambda: Page(items=[], total=0, has_next=False),
    "load_organization": lambda: None,
    "get_check_ins": list,
    "find_check_in": lambda: None,
    "list_check_ins": list,
    "page_check_ins": lambda: Page(items=[], total=0, has_next=False),
    "get_webhook": lambda: None,
    "list_webhooks": list,
    "page_deliveries": lambda: Page(items=[], total=0, has_next=False),
}
# Writes whose first argument is the organization id: another organization's is refused.
ORG_WRITES = frozenset(
    {"prune_changes", "put_webhook", "delete_webhook", "put_delivery", "prune_deliveries"}
)
# Neither reads nor writes an organization's data.
UNSCOPED = frozenset({"ping", "ensure_indexes", "round_trips"})
# The process's own background work (leases, positions, every organization's endpoints):
# never reachable through a tenant's view, which raises AttributeError for them.
BACKGROUND = frozenset(
    {
        "take_lease",
        "release_lease",
        "get_position",
        "save_position",
        "all_webhooks",
        "organizations_with_legacy_owners",
    }
)
# Changes and organizations themselves: handled by methods of TenantStore.
ORGANIZATION_METHODS = frozenset(
    {
        "append_change",
        "apply",
        "change_by_dedup",
        "get_organizations",
        "get_organization_by_slug",
        "list_organizations",
    }
)


def _refused() -> NotFound:
    return NotFound("nothing with this id in the organization", field=("id",))


class TenantStore:
    """The shared store as one organization may see it: `org_id` (None until it exists) named by
    its `slug`, the only organization a caller holding a token for that slug may create."""

    def __init__(self, inner: Store, *, org_id: str | None, slug: str) -> None:
        self._inner = inner
        self.org_id = org_id
        self.slug = slug

    def _mine(self, org_id: object) -> bool:
        return self.org_id is not None and org_id == self.org_id

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name in ORG_READS:
            return self._read(name, attribute)
        if name in ORG_WRITES:
            return self._write(attribute)
        if name in UNSCOPED:
            return attribute
        if name in BACKGROUND:
            raise AttributeError(f"{name!r} is the process's own, not an organization's")
        raise AttributeError(f"TenantStore does not know whether {name!r} is scoped")

    def _read(self, name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def read(org_id: str, *args: Any, **kwargs: Any) -> Any:
            if not self._mine(org_id):
                return ORG_READS[name]()
            return await method(org_id, *args, **kwargs)

        return read

    def _write(self, method: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def write(org_id: str, *args: Any, **kwargs: Any) -> Any:
            if not self._mine(org_id):
                raise _refused()
            return await method(org_id, *args, **kwargs)

        return write

    def _may_write(self, change: Change) -> bool:
        """A change of this organization, or the change that creates the organization the
        token names (once: then it is this organization)."""
        if self._mine(change.org_id):
            return True
        if self.org_id is not None:
            return False
        return any(
            put.doc.get("slug") == self.slug and put.id == change.org_id
            for put in change.puts(ORGS)
        )

    # Changes ---------------------------------------------------------------------------------
    async def append_change(self, change: Change) -> None:
        if not self._may_write(change):
            raise _refused()
        await self._inner.append_change(change)
        if self.org_id is None:
            self.org_id = change.org_id

    async def apply(self, change: Change) -> None:
        if not self._may_write(change):
            raise _refused()
        await self._inner.apply(change)

    async def change_by_dedup(self, dedup: str) -> Change | None:
        found = await self._inner.change_by_dedup(dedup)
        return found if found is not None and self._may_write(found) else None

    # Organizations ---------------------------------------------------------------------------
    async def get_organizations(self, ids: Sequence[str]) -> list[Organization]:
        return await self._inner.get_organizations([i for i in ids if self._mine(i)])

    async def get_organization_by_slug(self, slug: str) -> Organization | None:
        found = await self._inner.get_organization_by_slug(slug)
        return found if found is not None and self._mine(found.id) else None

    async def list_organizations(
        self, *, after: str | None, limit: int, ids: Sequence[str] | None = None
    ) -> Page[Organization]:
        mine = [self.org_id] if self.org_id is not None else []
        allowed = mine if ids is None else [i for i in ids if i in mine]
        return await self._inner.list_organizations(after=after, limit=limit, ids=allowed)


def scoped(inner: Store, *, org_id: str | None, slug: str) -> Store:
    """`inner` as the organization `slug` (id `org_id`, None before it exists) sees it."""
    # The proxy implements the whole Protocol, partly through __getattr__ (a test checks that
    # every method of Store is classified above), which mypy cannot see.
    return cast(Store, TenantStore(inner, org_id=org_id, slug=slug))
