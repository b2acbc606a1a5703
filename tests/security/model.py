"""What a hostile case is: a request (built from the world's ids and tokens when it runs), what
the service must answer, and whether it may write."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

NEVER = "0" * 32  # a local id that no organization holds
SECRET = "a-test-signing-key-that-is-long-enough-for-hs256"


@dataclass(frozen=True)
class Ids:
    """One organization's global ids, one (or two) of each type."""

    org: str
    department: str
    year: str
    cycle: str  # Q1 of the year
    later: str  # Q2, for carrying over
    objective: str  # the year's global objective
    child: str  # a Q1 objective under it
    key_result: str
    upstream: str  # a key result `key_result` depends on
    check_in: str
    action_step: str
    initiative: str
    member: str


@dataclass(frozen=True)
class Env:
    """What a case is built from: the ids of alpha (whose tokens ask), of beta (another
    organization), ids of every type in alpha's namespace that name nothing, and the tokens."""

    alpha: Ids
    beta: Ids
    never: Ids
    tokens: dict[str, str]
    rsa_pem: bytes  # the RS256 app's public key, for the HS/RS confusion forgery


@dataclass(frozen=True)
class Call:
    """One HTTP request, to /graphql unless `path` says otherwise."""

    method: str = "POST"
    body: bytes | None = None
    content_type: str | None = "application/json"
    params: dict[str, str] | None = None
    token: str | None = "admin"  # a key of Env.tokens; None: no Authorization header
    authorization: str | bytes | None = None  # a literal header instead of a token
    headers: tuple[tuple[str, str], ...] = ()
    app: str = "hs"  # "hs": HS256 secret; "rs": RS256 public key; "demo": HS256, --demo
    chunked: bool = False  # sent in 64 kB chunks without a Content-Length
    path: str = "/graphql"


Make: TypeAlias = Callable[[Env], Call]


def encode(value: Any) -> bytes:
    """JSON as a client sends it (ASCII escapes, so lone surrogates survive as `\\udXXX`)."""
    return json.dumps(value, ensure_ascii=True).encode()


def gql(query: str, variables: dict[str, Any] | None = None, **call: Any) -> Call:
    """A POST of a GraphQL document."""
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return Call(body=encode(body), **call)


def fixed(call: Call) -> Make:
    """A request that needs nothing from the world."""
    return lambda env: call


def raw(body: bytes, content_type: str | None = "application/json", **call: Any) -> Make:
    """A POST of these very bytes."""
    return fixed(Call(body=body, content_type=content_type, **call))


def get(**params: str) -> Make:
    """A GET of /graphql with these query parameters, asking for JSON."""
    accept = (("accept", "application/json"),)
    return fixed(Call(method="GET", body=None, content_type=None, params=params, headers=accept))


def variable(query: str, name: str, value: Any) -> Make:
    """`query` on alpha's organization (`$at`) with one more variable."""
    return lambda env: gql(query, {"at": env.alpha.org, name: value})


OBJECTIVE_CREATE = (
    "mutation($input: ObjectiveCreateInput!) { objectiveCreate(input: $input) "
    "{ objective { id title } userErrors { code field message } } }"
)


def objective(title: str) -> Make:
    """An objective under alpha's global objective, titled `title`."""
    return lambda env: gql(
        OBJECTIVE_CREATE,
        {"input": {"cycleId": env.alpha.cycle, "parentId": env.alpha.objective, "title": title}},
    )


# Expectations -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Status:
    """This HTTP status (4xx), whatever the body."""

    status: int


@dataclass(frozen=True)
class Refused:
    """GraphQL errors, each with a code, one of them `code`; no data beyond nulls."""

    code: str
    status: int = 200


@dataclass(frozen=True)
class UserError:
    """One mutation payload with a userError of `code` and no object."""

    code: str


@dataclass(frozen=True)
class SameAs:
    """Exactly the answer to `twin` (a request for something that does not exist), after
    `normalize` turns the hostile text into the twin's."""

    twin: Make
    normalize: Callable[[str], str] = field(default=lambda text: text)


@dataclass(frozen=True)
class Stored:
    """Accepted, and `text` stored verbatim: a plain string, not an operator."""

    text: str


@dataclass(frozen=True)
class Answered:
    """Answered with data and no error: a request at an edge that the service can serve."""


@dataclass(frozen=True)
class Retried:
    """The second sending of a check-in: `first` (sent just before) writes it, and this one
    answers that check-in (`created: false`, the same id) and writes nothing."""

    first: Make


Expect: TypeAlias = Status | Refused | UserError | SameAs | Stored | Answered | Retried


@dataclass(frozen=True)
class Case:
    """One hostile request and what must come of it."""

    name: str
    category: str
    make: Make
    expect: Expect
