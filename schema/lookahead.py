"""Looking ahead into a list's selection: what its items will ask for, made before they ask.

A page of objectives whose items each ask for their progress would each wait for their year's
evaluation; making it for the whole page first lets every item answer at once, with no
coroutine per field. Errors are left to the fields that ask, which report them in place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator

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
    """Evaluate, before the items of a list of objectives (at `paths` in this field's
    selection) ask, the years whose progress at now they or their key results will ask for:
    every item then answers its progress at once."""
    if not found:
        return
    wanted: dict[str, list[SelectedField]] = {}
    # `selected_fields` holds this field itself; its items are under its selections.
    inside = [s for f in fields(info.selected_fields) for s in f.selections]
    for path in paths:
        for name, selected in below(inside, *path).items():
            wanted.setdefault(name, []).extend(selected)
    under = below([s for f in wanted.get("keyResults", []) for s in f.selections])
    if _now(wanted.get("progress", [])) or _now(under.get("progress", [])):
        loaders = info.context.loaders
        years = sorted({(o.org_id, o.year) for o in found})
        await asyncio.gather(
            *(loaders.evaluation(org_id, year, None) for org_id, year in years),
            return_exceptions=True,
        )
