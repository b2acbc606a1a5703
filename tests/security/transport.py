"""Hostile requests at the HTTP layer: malformed bodies, wrong content types and methods, GET
mutations, and broken Unicode in bodies, documents and variables."""

from __future__ import annotations

from tests.security.model import (
    OBJECTIVE_CREATE,
    Answered,
    Call,
    Case,
    Expect,
    Make,
    Refused,
    SameAs,
    Status,
    Stored,
    UserError,
    encode,
    fixed,
    get,
    gql,
    objective,
    raw,
    variable,
)

ROLE = '{"query": "{ viewer { role } }"}'
ZERO_WIDTH = "al\u200bpha\u202e"  # a slug with a zero-width space and a right-to-left mark

MALFORMED: list[tuple[str, Make, Expect]] = [
    ("empty body", raw(b""), Status(400)),
    ("an open brace", raw(b"{"), Status(400)),
    ("an open bracket", raw(b"["), Status(400)),
    ("null", raw(b"null"), Status(400)),
    ("a bare string", raw(b'"{ viewer { role } }"'), Status(400)),
    ("a number", raw(b"123"), Status(400)),
    ("true", raw(b"true"), Status(400)),
    ("an empty batch", raw(b"[]"), Status(400)),
    ("a batch", raw(f"[{ROLE}, {ROLE}]".encode()), Status(400)),
    ("an empty object", raw(b"{}"), Status(400)),
    ("query a number", raw(b'{"query": 1}'), Status(400)),
    ("query null", raw(b'{"query": null}'), Status(400)),
    ("query a list", raw(b'{"query": ["{ viewer { role } }"]}'), Status(400)),
    ("query an operator", raw(b'{"query": {"$ne": null}}'), Status(400)),
    (
        "variables a string",
        raw(b'{"query": "{ viewer { role } }", "variables": "{}"}'),
        Status(400),
    ),
    ("variables a list", raw(b'{"query": "{ viewer { role } }", "variables": [1]}'), Status(400)),
    (
        "operationName a number",
        raw(b'{"query": "{ viewer { role } }", "operationName": 5}'),
        Status(400),
    ),
    (
        "extensions a string",
        raw(b'{"query": "{ viewer { role } }", "extensions": "x"}'),
        Status(400),
    ),
    ("trailing garbage", raw(ROLE.encode() + b" trailing"), Status(400)),
    ("single quotes", raw(b"{'query': '{ viewer { role } }'}"), Status(400)),
    (
        "NaN in variables",
        raw(
            b'{"query": "query($f: Int) { organizations(first: $f) { totalCount } }", '
            b'"variables": {"f": NaN}}'
        ),
        Refused("BAD_USER_INPUT"),
    ),
    (
        "an overflowing float in variables",
        raw(
            b'{"query": "query($f: Int) { organizations(first: $f) { totalCount } }", '
            b'"variables": {"f": 1e999}}'
        ),
        Refused("BAD_USER_INPUT"),
    ),
    ("100,000 nested arrays", raw(b"[" * 100_000 + b"]" * 100_000), Status(400)),
    (
        "50,000 nested arrays in variables",
        raw(
            b'{"query": "{ viewer { role } }", "variables": {"a": '
            + b"[" * 50_000
            + b"]" * 50_000
            + b"}}"
        ),
        Status(400),
    ),
    (
        "an integer of 5,000 digits",
        raw(b'{"query": "{ viewer { role } }", "variables": {"a": ' + b"9" * 5000 + b"}}"),
        Status(400),
    ),
    (
        "an unknown operationName",
        raw(b'{"query": "{ viewer { role } }", "operationName": "Nope"}'),
        Status(400),
    ),
    (
        "two anonymous operations",
        raw(b'{"query": "{ viewer { role } } { viewer { subject } }"}'),
        Refused("GRAPHQL_VALIDATION_FAILED"),
    ),
]

CONTENT_TYPES: list[tuple[str, Make, Expect]] = [
    ("text/plain", raw(ROLE.encode(), "text/plain"), Status(400)),
    (
        "form-urlencoded",
        raw(b"query=%7B%20viewer%20%7B%20role%20%7D%20%7D", "application/x-www-form-urlencoded"),
        Status(400),
    ),
    (
        "multipart upload",
        raw(
            b'--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
            + ROLE.encode()
            + b'\r\n--b\r\nContent-Disposition: form-data; name="map"\r\n\r\n{}\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
        ),
        Status(400),
    ),
    ("application/xml", raw(b"<query>{ viewer { role } }</query>", "application/xml"), Status(400)),
    ("application/graphql", raw(b"{ viewer { role } }", "application/graphql"), Status(400)),
    ("no content type", raw(ROLE.encode(), None), Status(400)),
    ("octet-stream", raw(ROLE.encode(), "application/octet-stream"), Status(400)),
    (
        "JSON in latin-1",
        raw(
            '{"query": "{ viewer { role } }", "x": "ü"}'.encode("latin-1"),
            "application/json; charset=latin-1",
        ),
        Status(400),
    ),
    ("JSON in UTF-16", raw(ROLE.encode("utf-16"), "application/json; charset=utf-16"), Status(400)),
    ("JSON after a UTF-8 byte order mark", raw(b"\xef\xbb\xbf" + ROLE.encode()), Status(400)),
]

METHODS: list[tuple[str, Make, Expect]] = [
    *(
        (f"{method} request", fixed(Call(method=method)), Status(405))
        for method in ("PUT", "PATCH", "DELETE")
    ),
    (
        "GET mutation",
        get(query='mutation { cycleClose(id: "x") { userErrors { code } } }'),
        Status(405),
    ),
    (
        "GET mutation after a comment",
        get(query='# harmless\nmutation M { cycleClose(id: "x") { userErrors { code } } }'),
        Status(405),
    ),
    (
        "GET mutation picked by operationName",
        get(
            query='query Q { viewer { role } } mutation M { cycleClose(id: "x") '
            "{ userErrors { code } } }",
            operationName="M",
        ),
        Status(405),
    ),
    (
        "GET organizationCreate",
        get(
            query='mutation { organizationCreate(input: {name: "G", slug: "alpha"}) '
            "{ userErrors { code } } }"
        ),
        Status(405),
    ),
    ("GET without a query", get(), Status(400)),
    (
        "GET with variables that are not JSON",
        get(query="query($v: ID!) { node(id: $v) { id } }", variables="{nope"),
        Status(400),
    ),
    (
        "GET with deeply nested variables",
        get(query="{ viewer { role } }", variables="[" * 5_000 + "]" * 5_000),
        Status(400),
    ),
]


UNICODE: list[tuple[str, Make, Expect]] = [
    (
        "a lone high surrogate in a variable",
        raw(
            b'{"query": "query($s: String!) { organizationBySlug(slug: $s) { id } }", '
            b'"variables": {"s": "\\ud800"}}'
        ),
        Status(400),
    ),
    (
        "a lone low surrogate in a title",
        lambda env: Call(
            body=encode(
                {
                    "query": OBJECTIVE_CREATE,
                    "variables": {
                        "input": {
                            "cycleId": env.alpha.cycle,
                            "parentId": env.alpha.objective,
                            "title": "x\udc00y",
                        }
                    },
                }
            )
        ),
        Status(400),
    ),
    (
        "a lone surrogate in a variable's name",
        raw(b'{"query": "{ viewer { role } }", "variables": {"\\udbff": 1}}'),
        Status(400),
    ),
    (
        "a lone surrogate escaped in the document",
        raw(b'{"query": "{ organizationBySlug(slug: \\"\\ud800\\") { id } }"}'),
        Status(400),
    ),
    (
        "a reversed surrogate pair",
        raw(
            b'{"query": "query($s: String!) { organizationBySlug(slug: $s) { id } }", '
            b'"variables": {"s": "\\udc00\\ud800"}}'
        ),
        Status(400),
    ),
    ("bytes that are not UTF-8", raw(b'{"query": "{ viewer { role } }\xff"}'), Status(400)),
    (
        "an overlong UTF-8 slash",
        raw(b'{"query": "{ viewer { role } }", "x": "\xc0\xaf"}'),
        Status(400),
    ),
    (
        "an encoded surrogate (CESU-8)",
        raw(b'{"query": "{ viewer { role } }", "x": "\xed\xa0\x80"}'),
        Status(400),
    ),
    (
        "a NUL in the document",
        fixed(gql("{ viewer\x00 { role } }")),
        Refused("GRAPHQL_PARSE_FAILED"),
    ),
    (
        "a BEL in a string literal is a plain character",
        fixed(gql('{ organizationBySlug(slug: "a\x07b") { id } }')),
        SameAs(fixed(gql('{ organizationBySlug(slug: "ab") { id } }'))),
    ),
    (
        "a NUL in an id",
        fixed(gql("query($v: ID!) { organization(id: $v) { id } }", {"v": "T3Jn\x00"})),
        Refused("INVALID_ID"),
    ),
    (
        "a NUL in a cursor",
        variable(
            "query($at: ID!, $c: String) { organization(id: $at) { objectives(after: $c) "
            "{ totalCount } } }",
            "c",
            "\x00",
        ),
        Refused("INVALID_CURSOR"),
    ),
    (
        "zero-width and right-to-left marks in a slug",
        lambda env: gql(
            'mutation($s: String!) { organizationCreate(input: {name: "Z", slug: $s}) '
            "{ organization { id } userErrors { code } } }",
            {"s": ZERO_WIDTH},
            token="zero-width",
        ),
        UserError("INVALID_TEXT"),
    ),
    ("a title of blanks and controls only", objective(" \t\n\r "), UserError("INVALID_TEXT")),
    ("a NUL inside a title", objective("a\x00b"), Stored("a\x00b")),
    (
        "control characters inside a title",
        objective("".join(map(chr, range(1, 32))) + "x"),
        Stored("".join(map(chr, range(1, 32))) + "x"),
    ),
    (
        "noncharacters inside a title",
        objective("\ufffe\uffff\U0010ffff"),
        Stored("\ufffe\uffff\U0010ffff"),
    ),
]


WATCH = 'subscription { progressChanged(scopeId: "T3JnYW5pemF0aW9uOng=") { sequence } }'
APOLLO_MULTIPART = 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json'
URQL = (
    "application/graphql-response+json, application/graphql+json, application/json, "
    "text/event-stream, multipart/mixed"
)
ACCEPT: list[tuple[str, Make, Expect]] = [
    (
        "a subscription that accepts only JSON",
        fixed(gql(WATCH, headers=(("accept", "application/json"),))),
        Refused("BAD_REQUEST", status=406),
    ),
    (
        "a subscription that accepts only graphql-response+json",
        fixed(gql(WATCH, headers=(("accept", "application/graphql-response+json"),))),
        Refused("BAD_REQUEST", status=406),
    ),
    (
        "a query with Apollo's multipart Accept for subscriptions",
        fixed(gql("{ viewer { role } }", headers=(("accept", APOLLO_MULTIPART),))),
        Answered(),
    ),
    (
        "a query with urql's default Accept",
        fixed(gql("{ viewer { role } }", headers=(("accept", URQL),))),
        Answered(),
    ),
    (
        "a query with a q-value that is not a number",
        fixed(gql("{ viewer { role } }", headers=(("accept", "application/json;q=x, */*"),))),
        Answered(),
    ),
]


def transport_cases() -> list[Case]:
    return [
        *(Case(n, "Accept header", m, e) for n, m, e in ACCEPT),
        *(Case(n, "malformed JSON body", m, e) for n, m, e in MALFORMED),
        *(Case(n, "wrong content type", m, e) for n, m, e in CONTENT_TYPES),
        *(Case(n, "wrong method or GET mutation", m, e) for n, m, e in METHODS),
        *(Case(n, "control characters and invalid Unicode", m, e) for n, m, e in UNICODE),
    ]
