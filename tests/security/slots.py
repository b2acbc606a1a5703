"""Every place a client's value reaches the store: id arguments and id input fields, filter and
scalar arguments, and text input fields. Each slot is a document, variables that would be valid
for alpha, and the path of the one value a case replaces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.security.model import Ids

ERRORS = "userErrors { field message code }"
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Slot:
    """`name` is where the value goes, as a client would say it."""

    name: str
    document: str
    variables: Callable[[Ids], dict[str, Any]]
    path: Path
    kind: str = ""  # for an id slot: the Ids attribute of the object it expects


def put(variables: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    """`variables` with `value` at `path` (a copy along the path)."""
    head, *rest = path
    if isinstance(variables, list):
        copied: Any = list(variables)
    else:
        copied = dict(variables)
    copied[head] = put(copied[head], tuple(rest), value) if rest else value
    return copied  # type: ignore[no-any-return]


def mutation(field: str, arguments: str, selection: str) -> str:
    """A one-field mutation on `$v` (an id) or `$input`, with its userErrors."""
    declared = {"$v": "$v: ID!", "$input": "$input: {}!", "$c": "$c: ID!"}
    used = [d for name, d in declared.items() if name in arguments]
    head = ", ".join(used).replace("{}", field[0].upper() + field[1:] + "Input")
    return f"mutation({head}) {{ {field}({arguments}) {{ {selection} {ERRORS} }} }}"


def on(kind: str, selection: str, declared: str = "") -> str:
    """A query on one object of alpha, fetched by `$at`."""
    extra = f", {declared}" if declared else ""
    return f"query($at: ID!{extra}) {{ node(id: $at) {{ ... on {kind} {{ {selection} }} }} }}"


ORG_QUERY = "query($at: ID!, {declared}) {{ organization(id: $at) {{ {selection} }} }}"


def org(selection: str, declared: str) -> str:
    return ORG_QUERY.format(declared=declared, selection=selection)


# Filters and other scalars: an operator object must fail coercion --------------------------------
SCALAR_SLOTS = [
    Slot(
        "organizationBySlug(slug)",
        "query($v: String!) { organizationBySlug(slug: $v) { id } }",
        lambda a: {"v": "alpha"},
        ("v",),
    ),
    Slot(
        "Organization.initiatives(filter)",
        org("initiatives(filter: $v) { totalCount }", "$v: InitiativeFilter"),
        lambda a: {"at": a.org, "v": {"unaligned": True}},
        ("v",),
    ),
    *[
        Slot(
            f"InitiativeFilter.{field}",
            org("initiatives(filter: $v) { totalCount }", "$v: InitiativeFilter"),
            lambda a: {"at": a.org, "v": {}},
            ("v", field),
        )
        for field in ("unaligned", "roiBelow")
    ],
    Slot(
        "Organization.cycles(year)",
        org("cycles(year: $v) { id }", "$v: Int"),
        lambda a: {"at": a.org, "v": 2027},
        ("v",),
    ),
    Slot(
        "Organization.globalObjective(year)",
        org("globalObjective(year: $v) { id }", "$v: Int!"),
        lambda a: {"at": a.org, "v": 2027},
        ("v",),
    ),
    Slot(
        "Organization.objectives(first)",
        org("objectives(first: $v) { totalCount }", "$v: Int"),
        lambda a: {"at": a.org, "v": 5},
        ("v",),
    ),
    Slot(
        "Organization.objectives(after)",
        org("objectives(after: $v) { totalCount nodes { id } }", "$v: String"),
        lambda a: {"at": a.org, "v": None},
        ("v",),
    ),
    Slot(
        "KeyResult.progress(asOf)",
        on("KeyResult", "progress(asOf: $v) { value }", "$v: DateTime"),
        lambda a: {"at": a.key_result, "v": None},
        ("v",),
    ),
    Slot(
        "KeyResult.progressSeries(interval)",
        on(
            "KeyResult",
            'progressSeries(from: "2027-01-01T00:00:00Z", '
            'to: "2027-02-01T00:00:00Z", interval: $v) { at }',
            "$v: SeriesInterval!",
        ),
        lambda a: {"at": a.key_result, "v": "WEEK"},
        ("v",),
    ),
    *[
        Slot(
            f"checkInCreate.{field}",
            mutation("checkInCreate", "input: $input", "checkIn { id }"),
            lambda a: {"input": {"keyResultId": a.key_result, "value": 5}},
            ("input", field),
        )
        for field in ("value", "confidence", "recordedAt")
    ],
    *[
        Slot(
            f"objectiveProgressOverride.{field}",
            mutation("objectiveProgressOverride", "input: $input", "objective { id }"),
            lambda a: {"input": {"objectiveId": a.child, "value": 0.5, "reason": "Pilot"}},
            ("input", field),
        )
        for field in ("value", "expiresAt")
    ],
    Slot(
        "keyResultAlign.weight",
        mutation("keyResultAlign", "input: $input", "keyResult { id }"),
        lambda a: {"input": {"keyResultId": a.key_result, "objectiveId": a.objective}},
        ("input", "weight"),
    ),
    Slot(
        "cycleCreate.year",
        mutation("cycleCreate", "input: $input", "cycle { id }"),
        lambda a: {"input": {"organizationId": a.org, "year": 2031}},
        ("input", "year"),
    ),
    *[
        Slot(
            f"actionStepUpdate.{field}",
            mutation("actionStepUpdate", "id: $c, input: $input", "actionStep { id }"),
            lambda a: {"c": a.action_step, "input": {}},
            ("input", field),
        )
        for field in ("done", "position", "dueOn")
    ],
    Slot(
        "organizationUpdate.policy",
        mutation("organizationUpdate", "id: $c, input: $input", "organization { id }"),
        lambda a: {"c": a.org, "input": {}},
        ("input", "policy"),
    ),
    *[
        Slot(
            f"keyResultCreate.{field}",
            mutation("keyResultCreate", "input: $input", "keyResult { id }"),
            lambda a: {"input": {"objectiveId": a.child, "title": "New", "targetValue": 10}},
            ("input", field),
        )
        for field in ("kind", "weight", "startValue")
    ],
]

# Text the store keeps: a plain string in, the same plain string stored ------------------------
TEXT_SLOTS = [
    *[
        Slot(
            f"organizationUpdate.{field}",
            mutation("organizationUpdate", "id: $c, input: $input", "organization { id }"),
            lambda a: {"c": a.org, "input": {}},
            ("input", field),
        )
        for field in ("name", "mission", "vision")
    ],
    Slot(
        "departmentCreate.name",
        mutation("departmentCreate", "input: $input", "department { id }"),
        lambda a: {"input": {"organizationId": a.org, "name": "x"}},
        ("input", "name"),
    ),
    *[
        Slot(
            f"objectiveCreate.{field}",
            mutation("objectiveCreate", "input: $input", "objective { id }"),
            lambda a: {"input": {"cycleId": a.cycle, "title": "New", "parentId": a.objective}},
            ("input", field),
        )
        for field in ("title", "description")
    ],
    Slot(
        "objectiveUpdate.lessonsLearned",
        mutation("objectiveUpdate", "id: $c, input: $input", "objective { id }"),
        lambda a: {"c": a.child, "input": {}},
        ("input", "lessonsLearned"),
    ),
    *[
        Slot(
            f"keyResultCreate.{field}",
            mutation("keyResultCreate", "input: $input", "keyResult { id }"),
            lambda a: {"input": {"objectiveId": a.child, "title": "New", "targetValue": 10}},
            ("input", field),
        )
        for field in ("title", "unit")
    ],
    *[
        Slot(
            f"checkInCreate.{field}",
            mutation("checkInCreate", "input: $input", "checkIn { id }"),
            lambda a: {"input": {"keyResultId": a.upstream, "value": 7}},
            ("input", field),
        )
        for field in ("note", "idempotencyKey")
    ],
    *[
        Slot(
            f"actionStepAdd.{field}",
            mutation("actionStepAdd", "input: $input", "actionStep { id }"),
            lambda a: {"input": {"objectiveId": a.child, "title": "Step"}},
            ("input", field),
        )
        for field in ("title",)
    ],
    Slot(
        "memberUpdate.name",
        mutation("memberUpdate", "id: $c, input: $input", "member { id }"),
        lambda a: {"c": a.member, "input": {}},
        ("input", "name"),
    ),
    Slot(
        "initiativeCreate.title",
        mutation("initiativeCreate", "input: $input", "initiative { id }"),
        lambda a: {"input": {"organizationId": a.org, "title": "x", "cost": 1, "expectedValue": 2}},
        ("input", "title"),
    ),
]

EMAIL = Slot(
    "memberUpdate.email",
    mutation("memberUpdate", "id: $c, input: $input", "member { id }"),
    lambda a: {"c": a.member, "input": {}},
    ("input", "email"),
)
"""A text checked as an email before it is stored."""
