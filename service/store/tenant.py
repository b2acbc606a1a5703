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
from service.store.interface import Page, Store, YearScope

# Reads whose first argument is the organization id: another organization's gives this instead.
ORG_READS: dict[str, Callable[[], Any]] = {
    "list_departments": list,
    "get_departments": list,
    "get_cycles": list,
    "list_cycles": list,
    "get_objectives": list,
    "find_objectives": lambda: Page(items=[], total=0, has_next=False),
    "find_global_objective": lambda: None,
    "count_team_objectives": lambda: 0,
    "get_key_results": list,
    "find_key_results": lambda: Page(items=[], total=0, has_next=False),
    "get_check_ins": list,
    "list_check_ins": list,
    "page_check_ins": lambda: Page(items=[], total=0, has_next=False),
    "get_action_steps": list,
    "list_action_steps": list,
    "get_initiatives": list,
    "find_initiatives": lambda: Page(items=[], total=0, has_next=False),
    "load_year": YearScope,
    "delete_check_in": lambda: None,
    "version": lambda: 0,
}
# Writes whose first argument is the organization id: another organization's is refused.
ORG_WRITES = frozenset(
    {
        "close_cycle",
        "delete_objective",
        "delete_key_result",
        "add_dependency",
        "remove_dependency",
        "set_scores",
        "link_initiative",
        "unlink_initiative",
        "next_sequence",
    }
)
# Writes of entities, each carrying its organization id.
ENTITY_WRITES = frozenset(
    {
        "insert_department",
        "insert_objective",
        "update_objective",
        "insert_key_result",
        "update_key_result",
        "append_check_in",
        "insert_action_step",
        "update_action_step",
        "insert_initiative",
    }
)
ENTITY_BATCH_WRITES = frozenset({"insert_cycles", "insert_key_results"})
# Neither reads nor writes an organization's data.
UNSCOPED = frozenset({"ping", "ensure_indexes", "round_trips"})
# Organizations themselves: handled by methods of TenantStore.
ORGANIZATION_METHODS = frozenset(
    {
        "insert_organization",
        "update_organization",
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
        if name in ENTITY_WRITES:
            return self._entity_write(attribute)
        if name in ENTITY_BATCH_WRITES:
            return self._batch_write(attribute)
        if name in UNSCOPED:
            return attribute
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

    def _entity_write(self, method: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def write(entity: Any) -> Any:
            if not self._mine(entity.org_id):
                raise _refused()
            return await method(entity)

        return write

    def _batch_write(self, method: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        async def write(entities: Sequence[Any]) -> Any:
            if not all(self._mine(e.org_id) for e in entities):
                raise _refused()
            return await method(entities)

        return write

    # Organizations ---------------------------------------------------------------------------
    async def insert_organization(self, org: Organization) -> None:
        """Only the organization the token names, and only once."""
        if org.slug != self.slug or self.org_id is not None:
            raise _refused()
        await self._inner.insert_organization(org)
        self.org_id = org.id

    async def update_organization(self, org: Organization) -> None:
        if not self._mine(org.id):
            raise _refused()
        await self._inner.update_organization(org)

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
