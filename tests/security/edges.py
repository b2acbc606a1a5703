"""Hostile values at the edges: instants a date cannot hold or that have no time zone, series
that run to the last day of year 9999, numbers past the bounds every derived number stays
finite within, a slug with a trailing newline, retried check-ins whose key holds a NUL, and
typos that must not be answered with the names the schema holds (introspection is off)."""

from __future__ import annotations

from typing import Any

from tests.security.model import (
    Answered,
    Case,
    Expect,
    Make,
    Refused,
    Retried,
    UserError,
    gql,
)

SERIES = {
    "org": (
        "query($v: ID!, $from: DateTime!, $to: DateTime!, $step: SeriesInterval!) {{ node(id: $v) "
        "{{ ... on Organization {{ progressSeries(year: {year}, from: $from, to: $to, "
        "interval: $step) {{ at }} }} }} }}"
    ),
    "key_result": (
        "query($v: ID!, $from: DateTime!, $to: DateTime!, $step: SeriesInterval!) { node(id: $v) "
        "{ ... on KeyResult { progressSeries(from: $from, to: $to, interval: $step) { at } } } }"
    ),
}


def _series(kind: str, start: str, end: str, step: str, year: int = 2027) -> Make:
    query = SERIES[kind].format(year=year) if kind == "org" else SERIES[kind]
    return lambda env: gql(
        query, {"v": getattr(env.alpha, kind), "from": start, "to": end, "step": step}
    )


PROGRESS = {
    "KeyResult": ("key_result", "progress(asOf: $at) { value }"),
    "Objective": ("child", "progress(asOf: $at) { value }"),
    "Cycle": ("cycle", "progress(asOf: $at) { value }"),
    "Department": ("department", "progress(cycleId: $cycle, asOf: $at) { value }"),
    "Organization": ("org", "progress(year: 2027, asOf: $at) { value }"),
}


def _progress(type_name: str, at: str) -> Make:
    kind, field = PROGRESS[type_name]
    cycle = ", $cycle: ID!" if type_name == "Department" else ""
    query = (
        f"query($v: ID!, $at: DateTime{cycle}) "
        f"{{ node(id: $v) {{ ... on {type_name} {{ {field} }} }} }}"
    )

    def make(env: Any) -> Any:
        variables = {"v": getattr(env.alpha, kind), "at": at}
        if cycle:
            variables["cycle"] = env.alpha.cycle
        return gql(query, variables)

    return make


CHANGES = (
    "query($v: ID!, $at: DateTime) { node(id: $v) { ... on Organization "
    "{ changes(filter: {FIELD: $at}) { totalCount } } } }"
)


def _changes(field: str, at: str) -> Make:
    query = CHANGES.replace("FIELD", field)
    return lambda env: gql(query, {"v": env.alpha.org, "at": at})


CHECK_IN = (
    "mutation($input: CheckInCreateInput!) { checkInCreate(input: $input) "
    "{ checkIn { id } userErrors { code field } } }"
)
# A retry's answer says whether it wrote.
RETRY = CHECK_IN.replace("{ checkIn { id }", "{ created checkIn { id }")


def _check_in(document: str = CHECK_IN, **input: Any) -> Make:
    return lambda env: gql(document, {"input": {"keyResultId": env.alpha.key_result, **input}})


KEY_RESULT = (
    "mutation($input: KeyResultCreateInput!) { keyResultCreate(input: $input) "
    "{ keyResult { id } userErrors { code field } } }"
)


def _key_result(**input: Any) -> Make:
    return lambda env: gql(
        KEY_RESULT, {"input": {"objectiveId": env.alpha.child, "title": "Edge", **input}}
    )


ALIGN = (
    "mutation($input: KeyResultAlignInput!) { keyResultAlign(input: $input) "
    "{ keyResult { id } userErrors { code field } } }"
)
UNALIGN = (
    "mutation($input: KeyResultUnalignInput!) { keyResultUnalign(input: $input) "
    "{ keyResult { id } userErrors { code field } } }"
)


def _align(document: str = ALIGN, objective: str = "objective", **input: Any) -> Make:
    """A link of alpha's key result to one of alpha's objectives (the global one unless told)."""
    return lambda env: gql(
        document,
        {
            "input": {
                "keyResultId": env.alpha.key_result,
                "objectiveId": getattr(env.alpha, objective),
                **input,
            }
        },
    )


INITIATIVE = (
    "mutation($input: InitiativeCreateInput!) { initiativeCreate(input: $input) "
    "{ initiative { id } userErrors { code field } } }"
)


def _initiative(**input: Any) -> Make:
    return lambda env: gql(
        INITIATIVE,
        {"input": {"organizationId": env.alpha.org, "title": "Edge", "expectedValue": 1, **input}},
    )


ORGANIZATION = (
    "mutation($input: OrganizationCreateInput!) { organizationCreate(input: $input) "
    "{ organization { id } userErrors { code field } } }"
)

# What the first check-in of a retried pair sends: its key holds a NUL.
NUL_KEY = {"value": 42, "recordedAt": "2027-02-12T09:00:00Z", "idempotencyKey": "retry\x00key"}

EDGES: list[tuple[str, str, Make, Expect]] = [
    (
        "edges of time",
        "the issue's MONTH series past December 9999 (no global objective in 2026)",
        _series("org", "9999-12-01T00:00:00Z", "9999-12-02T00:00:00Z", "MONTH", year=2026),
        Refused("NOT_FOUND"),
    ),
    (
        "edges of time",
        "a MONTH series from December 9999",
        _series("org", "9999-12-01T00:00:00Z", "9999-12-31T23:59:59Z", "MONTH"),
        Answered(),
    ),
    (
        "edges of time",
        "a DAY series to the last second of 9999",
        _series("key_result", "9999-12-29T00:00:00Z", "9999-12-31T23:59:59Z", "DAY"),
        Answered(),
    ),
    (
        "edges of time",
        "a WEEK series whose end is in year 10000 in UTC",
        _series("key_result", "9999-12-01T00:00:00Z", "9999-12-31T20:00:00-05:00", "WEEK"),
        Refused("INVALID_VALUE"),
    ),
    (
        "edges of time",
        "a DAY series whose start is in year 0 in UTC",
        _series("key_result", "0001-01-01T05:00:00+14:00", "2027-01-01T00:00:00Z", "DAY"),
        Refused("INVALID_VALUE"),
    ),
    *(
        (
            "edges of time",
            f"{type_name}.progress(asOf) a bare date",
            _progress(type_name, "2026-11-02"),
            Refused("INVALID_VALUE"),
        )
        for type_name in PROGRESS
    ),
    (
        "edges of time",
        "KeyResult.progress(asOf) without a time zone",
        _progress("KeyResult", "2027-01-01T00:00:00"),
        Refused("INVALID_VALUE"),
    ),
    (
        "edges of time",
        "Organization.progress(asOf) in year 0 in UTC",
        _progress("Organization", "0001-01-01T05:00:00+14:00"),
        Refused("INVALID_VALUE"),
    ),
    *(
        (
            "edges of time",
            f"changes(filter: {{{field}}}) {label}",
            _changes(field, at),
            Refused("INVALID_VALUE"),
        )
        for field in ("since", "until")
        for label, at in (
            ("in year 10000 in UTC", "9999-12-31T20:00:00-05:00"),
            ("a bare date", "2026-11-02"),
        )
    ),
    (
        "edges of time",
        "checkInCreate recordedAt in year 0 in UTC",
        _check_in(value=1, recordedAt="0001-01-01T05:00:00+14:00"),
        UserError("INVALID_VALUE"),
    ),
    ("numbers", "a check-in of 1.7e308", _check_in(value=1.7e308), UserError("INVALID_VALUE")),
    ("numbers", "a check-in of -1.7e308", _check_in(value=-1.7e308), UserError("INVALID_VALUE")),
    (
        "numbers",
        "a key result targeting 5e-324 from 0",
        _key_result(startValue=0, targetValue=5e-324),
        UserError("NOT_MEASURABLE"),
    ),
    (
        "numbers",
        "a key result starting at -1e16",
        _key_result(startValue=-1e16, targetValue=0),
        UserError("INVALID_VALUE"),
    ),
    (
        "numbers",
        "an initiative costing 5e-324",
        _initiative(cost=5e-324),
        UserError("INVALID_VALUE"),
    ),
    (
        "numbers",
        "an initiative expecting 1.7e308",
        _initiative(cost=1, expectedValue=1.7e308),
        UserError("INVALID_VALUE"),
    ),
    (
        "numbers",
        "organizationCreate with a slug ending in a newline",
        lambda env: gql(
            ORGANIZATION, {"input": {"name": "New", "slug": "new-org\n"}}, token="newline"
        ),
        UserError("INVALID_TEXT"),
    ),
    (
        "numbers",
        "a retried check-in whose idempotencyKey holds a NUL",
        _check_in(RETRY, **NUL_KEY),
        Retried(first=_check_in(RETRY, **NUL_KEY)),
    ),
    ("numbers", "a link weighing 0", _align(weight=0), UserError("INVALID_VALUE")),
    ("numbers", "a link weighing -5e-324", _align(weight=-5e-324), UserError("INVALID_VALUE")),
    (
        "numbers",
        "a key result aligned with its own objective",
        _align(objective="child", weight=1),
        UserError("DUPLICATE"),
    ),
    (
        "numbers",
        "a key result unaligned from its own objective",
        _align(UNALIGN, objective="child"),
        UserError("INVALID_VALUE"),
    ),
    (
        "numbers",
        "a key result unaligned from an objective it never served",
        _align(UNALIGN),
        UserError("NOT_FOUND"),
    ),
    (
        "suggestions",
        "a field's typo",
        lambda env: gql("{ viewr { role } }"),
        Refused("GRAPHQL_VALIDATION_FAILED"),
    ),
    (
        "suggestions",
        "a type's typo",
        lambda env: gql("{ viewer { ...F } } fragment F on Viewr { role }"),
        Refused("GRAPHQL_VALIDATION_FAILED"),
    ),
    (
        "suggestions",
        "an argument's typo",
        lambda env: gql("{ organizations(frist: 1) { totalCount } }"),
        Refused("GRAPHQL_VALIDATION_FAILED"),
    ),
    (
        "suggestions",
        "an enum value's typo",
        lambda env: gql(
            SERIES["key_result"].replace("$step: SeriesInterval!", "").replace("$step", "MONTHH"),
            {
                "v": env.alpha.key_result,
                "from": "2027-01-01T00:00:00Z",
                "to": "2027-02-01T00:00:00Z",
            },
        ),
        Refused("GRAPHQL_VALIDATION_FAILED"),
    ),
    (
        "suggestions",
        "an enum value's typo in a variable",
        _series("key_result", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", "MONTHH"),
        Refused("BAD_USER_INPUT"),
    ),
    (
        "suggestions",
        "an input field's typo in a variable",
        _check_in(value=1, notee="typo"),
        Refused("BAD_USER_INPUT"),
    ),
]


def edge_cases() -> list[Case]:
    return [Case(name, category, make, expect) for category, name, make, expect in EDGES]
