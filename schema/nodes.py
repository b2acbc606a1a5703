"""The Relay `Node` interface and how a global id becomes an object."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from schema.context import Info
from schema.ids import GlobalId, expect_id, parse_global_id
from service.auth import Role
from service.domain.errors import DomainError


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Opaque global id: unique across types and organizations."
    )


async def load_node(info: Info, value: str) -> Node | None:
    """The object a global id names, or None when it names nothing (or is not one of ours)."""
    found = parse_global_id(value)
    if found is None:
        return None
    return await load_global(info, found)


async def load_global(info: Info, gid: GlobalId) -> Node | None:
    """The object of a decoded id, from the request's snapshot of its organization (a check-in
    or a change from the store: no snapshot holds history)."""
    from schema import types  # the concrete types import this module

    loaders = info.context.loaders
    org, local = gid.org_id, gid.local_id
    held = await loaders.snapshot(org)
    if held is None:
        return None
    match gid.type_name:
        case "Organization":
            return types.Organization.from_domain(held.organization)
        case "Department":
            d = held.departments.get(local)
            return types.Department.from_domain(d) if d else None
        case "Cycle":
            c = held.cycles.get(local)
            return types.Cycle.from_domain(c) if c else None
        case "Objective":
            ob = held.objectives.get(local)
            return types.Objective.from_domain(ob) if ob else None
        case "KeyResult":
            k = held.key_results.get(local)
            return types.KeyResult.from_domain(k) if k else None
        case "CheckIn":
            ci = await loaders.check_in_by_id.load((org, local))
            return types.CheckIn.from_domain(ci) if ci else None
        case "ActionStep":
            s = held.action_steps.get(local)
            return types.ActionStep.from_domain(s) if s else None
        case "Change":
            if not local.isdigit() or not info.context.may(Role.EDITOR):
                return None
            found = await info.context.store.changes_after(org, int(local) - 1, limit=1)
            if not found or found[0].sequence != int(local):
                return None
            return types.Change.from_record(found[0])
        case "Member":
            m = held.members.get(local)
            return types.Member.from_domain(m) if m else None
        case "Webhook":
            if not info.context.may(Role.ADMIN):
                return None
            hook = await info.context.store.get_webhook(org, local)
            return types.Webhook.from_domain(hook) if hook else None
        case _:
            i = held.initiatives.get(local)
            return types.Initiative.from_domain(i) if i else None


def argument_id(value: str, type_name: str, *, field: str) -> GlobalId:
    """An id argument of a query field; a GraphQL error (code INVALID_ID) when it is not one."""
    try:
        return expect_id(value, type_name, field=field)
    except DomainError as error:
        raise GraphQLError(error.message, extensions={"code": error.code.value}) from error
