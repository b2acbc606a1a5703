"""Store round trips per request, on the demo and on the large organization: counts, which do
not depend on the machine. Target: the same counts on both (no N+1 anywhere)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from schema.ids import parse_global_id
from service.okrs import check_ins
from service.okrs.commit import Writer
from service.readmodel import ReadModel
from tests.bench.queries import CHECK_IN, DASHBOARD, KEY_RESULT_DETAIL, NODE, TREE
from tests.bench.report import Results, table
from tests.bench.world import Cost, DataSet, World

pytestmark = pytest.mark.asyncio(loop_scope="session")

Variables = Callable[[DataSet], dict[str, Any]]

REQUESTS: list[tuple[str, str, Variables]] = [
    ("dashboard", DASHBOARD, DataSet.dashboard),
    ("year tree", TREE, lambda d: {"org": d.org, "year": d.year}),
    ("node", NODE, lambda d: {"id": d.key_result}),
    ("checkInCreate", CHECK_IN, lambda d: {"kr": d.key_result, "value": 42.0}),
    (
        "KeyResultDetail",
        KEY_RESULT_DETAIL,
        lambda d: {
            "id": d.key_result,
            "from": f"{d.year}-01-01T00:00:00Z",
            "to": f"{d.year}-12-31T00:00:00Z",
        },
    ),
]


MODES = ("cold", "warm", "after another instance's write", "nothing kept")
"""How a request meets the read model: `okrgraph serve`'s first request for an organization (a
cold read model), its later ones (warm), one right after a check-in made on another instance,
and a library caller that keeps nothing between requests (tests, tools)."""
SERVED = MODES[:3]
"""The modes the service runs in: the target is judged on these."""


async def cost(
    world: World, data: DataSet, query: str, variables: Variables
) -> tuple[Cost, Cost, Cost, Cost]:
    """With a cold read model, then warm (as `serve` runs), then after a check-in another
    instance made, then with nothing kept."""
    reads = ReadModel(world.store)
    _, cold = await world.execute(query, variables(data), signed_in=data.editor, reads=reads)
    _, warm = await world.execute(query, variables(data), signed_in=data.editor, reads=reads)
    await another_instances_check_in(world, data)
    _, after = await world.execute(query, variables(data), signed_in=data.editor, reads=reads)
    _, none = await world.execute(query, variables(data), signed_in=data.editor)
    return cold, warm, after, none


async def another_instances_check_in(world: World, data: DataSet) -> None:
    """A check-in written by another instance (its own read model and writer)."""
    found = parse_global_id(data.key_result)
    assert found is not None
    reads = ReadModel(world.store)
    await check_ins.record_check_in(
        writer=Writer(world.store, reads),
        org_id=found.org_id,
        key_result_id=found.local_id,
        value=7.0,
        now=datetime.now(UTC),
    )


def difference(demo: Cost, large: Cost) -> str:
    """The commands one data set sent more of than the other, e.g. `large +2 getMore objectives`."""
    more = [("large", Counter(large.sent) - Counter(demo.sent))]
    more.append(("demo", Counter(demo.sent) - Counter(large.sent)))
    return "; ".join(
        f"{who} " + ", ".join(f"+{n} {command}" for command, n in sorted(extra.items()))
        for who, extra in more
        if extra
    )


async def test_round_trips_per_request(bench_world: World, results: Results) -> None:
    rows: list[list[object]] = []
    more: list[str] = []  # large needs more calls than demo: a cost that grows with size
    fewer: list[str] = []
    notes: list[str] = []
    for name, query, variables in REQUESTS:
        demo = await cost(bench_world, bench_world.demo, query, variables)
        large = await cost(bench_world, bench_world.large, query, variables)
        for label, d, lg in zip(MODES, demo, large, strict=True):
            row = f"{name} ({label})"
            if label in SERVED and lg.calls > d.calls:
                more.append(row)
            elif label in SERVED and lg.calls < d.calls:
                fewer.append(row)
            same = "yes" if lg.calls == d.calls else "**no**, large more"
            if lg.calls < d.calls:
                same = "no, large fewer"
            same_wire = Counter(d.sent) == Counter(lg.sent)
            wire = "equal" if same_wire else "differ"
            if not same_wire:
                notes.append(f"- {name} ({label}): {difference(d, lg)}")
            rows.append(
                [
                    f"{name} ({label})",
                    d.calls,
                    lg.calls,
                    same,
                    d.commands,
                    lg.commands,
                    wire,
                ]
            )
    header = [
        "request",
        "demo: store calls",
        "large: store calls",
        "same",
        "demo: wire commands",
        "large: wire commands",
        "wire",
    ]
    demo_size, large_size = bench_world.demo.key_results, bench_world.large.key_results
    served = len(REQUESTS) * len(SERVED)
    if not more and not fewer:
        verdict = f"**met** on every request as the service runs ({served} of {served})"
    else:
        verdict = (
            f"**not met** on {len(more) + len(fewer)} of {served}: large needs more store "
            f"calls on {', '.join(more) or 'none'}; fewer on {', '.join(fewer) or 'none'}"
        )
    differences = "\n".join(notes)
    results.target(
        "store calls per request, demo and large alike",
        f"{served - len(more) - len(fewer)} of {served} equal as served, large more on {len(more)}",
        "all equal",
        not more and not fewer,
    )
    results.add(
        "Store round trips per request",
        f"""{table(header, rows)}

Where the commands differ (command and collection):

{differences}

Demo: {demo_size} key results in its year; large: {large_size}. Store calls are
`MongoStore.round_trips` around one `schema.execute`, signed in as an editor of the
organization (authentication on, as served: signing in finds the organization by its slug);
wire commands are what the driver sent (PyMongo command monitoring), a cursor's `getMore`
batches included. "Cold cache" is the first request of `okrgraph serve` for the organization
(its read model holds nothing of it yet); "warm" the next identical one, which reads the
organization's change log after the position it holds (nothing new: one small read); "after
another instance's write" the next one after a check-in written by another instance, whose
change that same read brings and the snapshot applies (no reload, whatever the size); "nothing
kept" is a caller that keeps no read model between requests (tests and tools), shown for
completeness.

Target, the same store calls on both data sets: {verdict}.""",
    )
