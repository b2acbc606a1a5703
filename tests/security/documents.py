"""Hostile documents and values: deep nesting, alias floods, fragment cycles and fan-out, and
enormous lists and strings."""

from __future__ import annotations

from typing import Any

from tests.security.model import (
    Call,
    Case,
    Expect,
    Make,
    Refused,
    Status,
    UserError,
    encode,
    fixed,
    gql,
    objective,
    variable,
)

MIB = 1 << 20


def _nested(leaf: Any, levels: int, key: str | None = None) -> Any:
    """`leaf` inside `levels` lists (or objects under `key`)."""
    value = leaf
    for _ in range(levels):
        value = [value] if key is None else {key: value}
    return value


def _nest(levels: int) -> str:
    """Field selections `levels` deep: organization -> departments -> organization ..."""
    inner = "id"
    for level in range(levels):
        inner = ("departments" if level % 2 else "organization") + " { " + inner + " }"
    return f"query($v: ID!) {{ node(id: $v) {{ ... on Department {{ {inner} }} }} }}"


def _at_department(query: str) -> Make:
    return lambda env: gql(query, {"v": env.alpha.department})


def _fanout(levels: int, fan: int) -> str:
    spreads = [
        f"fragment F{i} on Viewer {{ {' '.join([f'...F{i + 1}'] * fan)} }}" for i in range(levels)
    ]
    return f"{{ viewer {{ ...F0 }} }} {' '.join(spreads)} fragment F{levels} on Viewer {{ role }}"


def _chain(length: int) -> str:
    links = [f"fragment F{i} on Viewer {{ ...F{i + 1} }}" for i in range(length)]
    return f"{{ viewer {{ ...F0 }} }} {' '.join(links)} fragment F{length} on Viewer {{ role }}"


def _aliases(count: int, field: str = "role") -> str:
    return "{ viewer { " + " ".join(f"a{i}: {field}" for i in range(count)) + " } }"


DOCUMENTS: list[tuple[str, str, Make, Expect]] = [
    ("deep nesting", "13 levels of fields", _at_department(_nest(13)), Refused("QUERY_TOO_DEEP")),
    ("deep nesting", "40 levels of fields", _at_department(_nest(40)), Refused("QUERY_TOO_DEEP")),
    (
        "deep nesting",
        "2,400 levels of fields",
        _at_department(_nest(2400)),
        Refused("GRAPHQL_PARSE_FAILED"),
    ),
    (
        "deep nesting",
        "150 nested inline fragments",
        fixed(gql("{ viewer { " + "... on Viewer { " * 150 + "role" + " }" * 150 + " } }")),
        Refused("QUERY_TOO_DEEP"),
    ),
    (
        "deep nesting",
        "600 nested inline fragments",
        fixed(gql("{ viewer { " + "... on Viewer { " * 600 + "role" + " }" * 600 + " } }")),
        Refused("GRAPHQL_PARSE_FAILED"),
    ),
    (
        "deep nesting",
        "a chain of 400 fragments",
        fixed(gql(_chain(400))),
        Refused("QUERY_TOO_DEEP"),
    ),
    (
        "deep nesting",
        "500 nested lists in an id variable",
        fixed(gql("query($v: [ID!]!) { nodes(ids: $v) { id } }", {"v": _nested([], 500)})),
        Refused("BAD_USER_INPUT"),
    ),
    (
        "deep nesting",
        "500 nested lists in a literal",
        fixed(gql("{ nodes(ids: " + "[" * 500 + "]" * 500 + ") { id } }")),
        Refused("GRAPHQL_PARSE_FAILED"),
    ),
    (
        "deep nesting",
        "200 nested objects in an input",
        lambda env: gql(
            "mutation($input: ActionStepAddInput!) { actionStepAdd(input: $input) "
            "{ userErrors { code } } }",
            {"input": {"objectiveId": env.alpha.child, "title": _nested(1, 200, key="a")}},
        ),
        Refused("BAD_USER_INPUT"),
    ),
    ("alias flood", "31 aliases", fixed(gql(_aliases(31))), Refused("TOO_MANY_ALIASES")),
    ("alias flood", "1,000 aliases", fixed(gql(_aliases(1000))), Refused("TOO_MANY_ALIASES")),
    (
        "alias flood",
        "31 aliases of __typename",
        fixed(gql(_aliases(31, "__typename"))),
        Refused("TOO_MANY_ALIASES"),
    ),
    (
        "alias flood",
        "40 aliases in a fragment",
        fixed(
            gql(
                "{ viewer { ...F } } fragment F on Viewer { "
                + " ".join(f"a{i}: role" for i in range(40))
                + " }"
            )
        ),
        Refused("TOO_MANY_ALIASES"),
    ),
    (
        "alias flood",
        "31 aliases in inline fragments",
        fixed(
            gql(
                "{ viewer { "
                + " ".join(f"... on Viewer {{ a{i}: role }}" for i in range(31))
                + " } }"
            )
        ),
        Refused("TOO_MANY_ALIASES"),
    ),
    (
        "alias flood",
        "20 aliased pages of 100 organizations",
        fixed(
            gql(
                "{ "
                + " ".join(
                    f"a{i}: organizations(first: 100) {{ nodes {{ departments {{ id }} }} }}"
                    for i in range(20)
                )
                + " }"
            )
        ),
        Refused("QUERY_TOO_COSTLY"),
    ),
    (
        "fragments",
        "two fragments spreading each other",
        fixed(
            gql("{ viewer { ...A } } fragment A on Viewer { ...B } fragment B on Viewer { ...A }")
        ),
        Refused("GRAPHQL_VALIDATION_FAILED"),
    ),
    (
        "fragments",
        "a fragment spreading itself",
        fixed(gql("{ viewer { ...A } } fragment A on Viewer { role ...A }")),
        Refused("GRAPHQL_VALIDATION_FAILED"),
    ),
    (
        "fragments",
        "a fragment spreading itself twice",
        fixed(gql("{ viewer { ...A } } fragment A on Viewer { role ...A ...A }")),
        Refused("GRAPHQL_VALIDATION_FAILED"),
    ),
    (
        "fragments",
        "a cycle through an inline fragment",
        fixed(gql("{ viewer { ...A } } fragment A on Viewer { ... on Viewer { ...A } }")),
        Refused("GRAPHQL_VALIDATION_FAILED"),
    ),
    (
        "fragments",
        "a cycle of 50 fragments",
        fixed(
            gql(
                "{ viewer { ...F0 } } "
                + " ".join(f"fragment F{i} on Viewer {{ ...F{(i + 1) % 50} }}" for i in range(50))
            )
        ),
        Refused("GRAPHQL_VALIDATION_FAILED"),
    ),
    ("fragments", "fan-out 10^8", fixed(gql(_fanout(8, 10))), Refused("QUERY_TOO_COSTLY")),
    ("fragments", "fan-out 20^10", fixed(gql(_fanout(10, 20))), Refused("QUERY_TOO_COSTLY")),
    ("fragments", "fan-out 3^9", fixed(gql(_fanout(9, 3))), Refused("QUERY_TOO_COSTLY")),
    (
        "fragments",
        "an unknown fragment",
        fixed(gql("{ viewer { ...Nope } }")),
        Refused("GRAPHQL_VALIDATION_FAILED"),
    ),
    (
        "fragments",
        "an unknown fragment inside a fragment",
        fixed(gql("{ viewer { ...F } } fragment F on Viewer { ...Nope }")),
        Refused("GRAPHQL_VALIDATION_FAILED"),
    ),
    (
        "fragments",
        "a fragment on an unknown type",
        fixed(gql("{ viewer { ...F } } fragment F on Nope { role }")),
        Refused("GRAPHQL_VALIDATION_FAILED"),
    ),
    (
        "fragments",
        "a costly fragment spread 20 times",
        fixed(
            gql(
                "{ "
                + " ".join(f"a{i}: organizations(first: 100) {{ ...F }}" for i in range(20))
                + " } fragment F on OrganizationConnection { nodes { departments { id } } }"
            )
        ),
        Refused("QUERY_TOO_COSTLY"),
    ),
]

ENORMOUS: list[tuple[str, Make, Expect]] = [
    (
        "10,000 ids in nodes",
        fixed(gql("query($v: [ID!]!) { nodes(ids: $v) { id } }", {"v": ["x"] * 10_000})),
        Refused("TOO_MANY_IDS"),
    ),
    (
        "101 ids in nodes",
        lambda env: gql(
            "query($v: [ID!]!) { nodes(ids: $v) { id } }", {"v": [env.alpha.key_result] * 101}
        ),
        Refused("TOO_MANY_IDS"),
    ),
    (
        "10,000 key results in initiativeCreate",
        lambda env: gql(
            "mutation($input: InitiativeCreateInput!) { initiativeCreate(input: $input) "
            "{ initiative { id } userErrors { code } } }",
            {
                "input": {
                    "organizationId": env.alpha.org,
                    "title": "Big",
                    "cost": 1,
                    "expectedValue": 2,
                    "keyResultIds": [f"k{i}" for i in range(10_000)],
                }
            },
        ),
        UserError("INVALID_ID"),
    ),
    (
        "first: 101",
        variable(
            "query($at: ID!, $f: Int) { organization(id: $at) "
            "{ objectives(first: $f) { totalCount } } }",
            "f",
            101,
        ),
        Refused("INVALID_PAGE_SIZE"),
    ),
    (
        "first: 1,000,000",
        variable(
            "query($at: ID!, $f: Int) { organization(id: $at) "
            "{ initiatives(first: $f) { totalCount } } }",
            "f",
            10**6,
        ),
        Refused("INVALID_PAGE_SIZE"),
    ),
    (
        "first: -1",
        variable(
            "query($at: ID!, $f: Int) { organization(id: $at) "
            "{ objectives(first: $f) { totalCount } } }",
            "f",
            -1,
        ),
        Refused("INVALID_PAGE_SIZE"),
    ),
    (
        "first: 2^31",
        variable(
            "query($at: ID!, $f: Int) { organization(id: $at) "
            "{ objectives(first: $f) { totalCount } } }",
            "f",
            2**31,
        ),
        Refused("BAD_USER_INPUT"),
    ),
    (
        "first: 2^31 as a literal",
        fixed(gql("{ organizations(first: 2147483648) { totalCount } }")),
        Refused("GRAPHQL_VALIDATION_FAILED"),
    ),
    ("a title of almost 1 MiB", objective("t" * (MIB - 2048)), UserError("INVALID_TEXT")),
    (
        "an id of almost 1 MiB",
        fixed(gql("query($v: ID!) { organization(id: $v) { id } }", {"v": "i" * (MIB - 2048)})),
        Refused("INVALID_ID"),
    ),
    (
        "a cursor of almost 1 MiB",
        variable(
            "query($at: ID!, $c: String) { organization(id: $at) { objectives(after: $c) "
            "{ totalCount } } }",
            "c",
            "c" * (MIB - 2048),
        ),
        Refused("INVALID_CURSOR"),
    ),
    (
        "an idempotency key of almost 1 MiB",
        lambda env: gql(
            "mutation($input: CheckInCreateInput!) { checkInCreate(input: $input) "
            "{ checkIn { id } userErrors { code } } }",
            {
                "input": {
                    "keyResultId": env.alpha.key_result,
                    "value": 3,
                    "idempotencyKey": "k" * (MIB - 2048),
                }
            },
        ),
        UserError("INVALID_TEXT"),
    ),
    (
        "a body over 1 MiB",
        fixed(Call(body=encode({"query": "{ viewer { role } }", "variables": {"pad": "p" * MIB}}))),
        Status(413),
    ),
    (
        "a body over 1 MiB without a Content-Length",
        fixed(Call(body=encode({"query": "{ viewer { role } }" + " " * MIB}), chunked=True)),
        Status(413),
    ),
    (
        "a document over 1 MiB",
        fixed(Call(body=encode({"query": "{ viewer { role } }" + " " * MIB}))),
        Status(413),
    ),
    (
        "6,000 tokens",
        fixed(gql("{ viewer { " + "role " * 6000 + "} }")),
        Refused("TOO_MANY_TOKENS"),
    ),
    (
        "3,000 variables declared",
        fixed(
            gql("query(" + " ".join(f"$v{i}: Int" for i in range(3000)) + ") { viewer { role } }")
        ),
        Refused("TOO_MANY_TOKENS"),
    ),
]


def document_cases() -> list[Case]:
    return [
        *(Case(n, c, m, e) for c, n, m, e in DOCUMENTS),
        *(Case(n, "enormous lists and strings", m, e) for n, m, e in ENORMOUS),
    ]
