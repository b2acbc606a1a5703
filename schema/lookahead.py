"""Looking ahead into a list's selection: what its items will ask for, loaded before they ask.

A page of objectives whose items each ask for their key results, department and progress
would start three loads per item and wait for each; loading them for the whole page first
(one batch each, the same store calls) lets every item answer at once, with no coroutine per
field. Errors of these loads are left to the fields that ask, which report them in place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Iterator
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from schema.context import Info
from service.domain import model


def fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """The fields among `selections`, with those of fragments written out."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from fields(selection.selections)


def below(selections: Iterable[Selection], *path: str) -> dict[str, list[SelectedField]]:
    """The fields selected at `path` under `selections`, by name (a name may be selected more
    than once, with aliases)."""
    level = list(fields(selections))
    for name in path:
        level = [f for parent in level if parent.name == name for f in fields(parent.selections)]
    found: dict[str, list[SelectedField]] = {}
    for selected in level:
        found.setdefault(selected.name, []).append(selected)
    return found


def _now(progress: list[SelectedField]) -> bool:
    """Whether any of these `progress` selections is at now (no `asOf`)."""
    return any(p.arguments.get("asOf") is None for p in progress)


CONNECTION_ITEMS = (("nodes",), ("edges", "node"))
"""Where a connection's items are in its selection."""


async def objectives(
    info: Info, found: list[model.Objective], paths: Iterable[tuple[str, ...]] = ((),)
) -> None:
    """Load what the objectives of a list (its items at `paths` in this field's selection)
    will ask for: their key results, departments, and their years' evaluation at now."""
    if not found:
        return
    wanted: dict[str, list[SelectedField]] = {}
    # `selected_fields` holds this field itself; its items are under its selections.
    inside = [s for f in fields(info.selected_fields) for s in f.selections]
    for path in paths:
        for name, selected in below(inside, *path).items():
            wanted.setdefault(name, []).extend(selected)
    loaders = info.context.loaders
    loads: list[Awaitable[Any]] = []
    if "keyResults" in wanted:
        loads.append(_key_results(info, found))
    if "department" in wanted:
        loads.append(_departments(info, found))
    under = below([s for f in wanted.get("keyResults", []) for s in f.selections])
    if _now(wanted.get("progress", [])) or _now(under.get("progress", [])):
        for org_id, year in sorted({(o.org_id, o.year) for o in found}):
            loads.append(loaders.evaluation_by_year.load((org_id, year, None)))
    await asyncio.gather(*loads, return_exceptions=True)


async def _key_results(info: Info, found: list[model.Objective]) -> None:
    """The objectives' key results: their cached years when there is a cache (the version
    read the evaluation makes anyway; `Objective.keyResults` reads the year), else one batch."""
    loaders = info.context.loaders
    if info.context.cache is None:
        await loaders.key_results_by_objective.load_many([(o.org_id, o.id) for o in found])
    else:
        await loaders.cached_year.load_many(sorted({(o.org_id, o.year) for o in found}))


async def _departments(info: Info, found: list[model.Objective]) -> None:
    """The objectives' departments, from the list of their organizations' departments: one
    store call, the same one a query asking for `organization.departments` makes."""
    loaders = info.context.loaders
    for org_id in sorted({o.org_id for o in found if o.department_id}):
        for team in await loaders.departments_by_organization.load(org_id):
            loaders.department_by_id.prime((org_id, team.id), team)
