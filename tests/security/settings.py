"""Hostile requests against what the settings expose: a server seeded with `--demo` (which
never turns authentication off) asked without a token, and `/metrics` asked on the API's
address (metrics have a listener of their own)."""

from __future__ import annotations

from tests.security.model import Call, Case, Expect, Make, Refused, Status, fixed, gql

UNAUTHENTICATED = Refused("UNAUTHENTICATED", 401)
MISSION = "query($org: ID!) { node(id: $org) { ... on Organization { mission } } }"
RENAME = (
    'mutation($org: ID!) { organizationUpdate(id: $org, input: {name: "Owned"}) '
    "{ organization { name } userErrors { code } } }"
)
CREATE = (
    'mutation { organizationCreate(input: {name: "Mine", slug: "anonymous-org"}) '
    "{ organization { id } userErrors { code } } }"
)


def _anonymous(query: str, *, with_org: bool = False) -> Make:
    """`query` sent to the demo app without a token (on alpha's organization with `$org`)."""
    if with_org:
        return lambda env: gql(query, {"org": env.alpha.org}, token=None, app="demo")
    return fixed(gql(query, token=None, app="demo"))


def _metrics(app: str, token: str | None, method: str = "GET") -> Make:
    return fixed(
        Call(method=method, body=None, content_type=None, token=token, app=app, path="/metrics")
    )


DEMO: list[tuple[str, Make, Expect]] = [
    (
        "demo, no token, lists organizations",
        _anonymous("{ organizations { nodes { slug } } }"),
        UNAUTHENTICATED,
    ),
    ("demo, no token, reads a mission", _anonymous(MISSION, with_org=True), UNAUTHENTICATED),
    ("demo, no token, renames an organization", _anonymous(RENAME, with_org=True), UNAUTHENTICATED),
    ("demo, no token, creates an organization", _anonymous(CREATE), UNAUTHENTICATED),
    (
        "demo, no token, reads by GET",
        fixed(
            Call(
                method="GET",
                body=None,
                content_type=None,
                token=None,
                app="demo",
                params={"query": "{ organizations { totalCount } }"},
                headers=(("accept", "application/json"),),
            )
        ),
        UNAUTHENTICATED,
    ),
]

METRICS: list[tuple[str, Make, Expect]] = [
    ("metrics on the API, no token", _metrics("hs", None), Status(404)),
    ("metrics on the API, an admin's token", _metrics("hs", "admin"), Status(404)),
    ("metrics on the API of the demo", _metrics("demo", None), Status(404)),
    ("metrics on the API by POST", _metrics("rs", None, "POST"), Status(404)),
]


def settings_cases() -> list[Case]:
    return [
        *(Case(n, "demo without a token", m, e) for n, m, e in DEMO),
        *(Case(n, "metrics on the API address", m, e) for n, m, e in METRICS),
    ]
