"""Forged, expired, malformed and misdirected tokens, built by hand where PyJWT would refuse to
build them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.security.model import SECRET, Case, Env, Make, Refused, SameAs, fixed, gql

VIEWER_QUERY = "{ viewer { role } }"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _segment(value: Any) -> str:
    return _b64(value if isinstance(value, bytes) else json.dumps(value).encode())


def claims(**changes: Any) -> dict[str, Any]:
    """alpha's admin, valid for an hour; a change of None drops the claim."""
    now = int(datetime.now(UTC).timestamp())
    base: dict[str, Any] = {"sub": "mallory", "org": "alpha", "role": "admin", "exp": now + 3600}
    return {k: v for k, v in (base | changes).items() if v is not None}


def hand_signed(
    payload: Any, *, header: Any = None, key: bytes = SECRET.encode(), digest: Any = hashlib.sha256
) -> str:
    """A token signed with HMAC over whatever header and payload bytes are given."""
    head = _segment(header if header is not None else {"alg": "HS256", "typ": "JWT"})
    body = _segment(payload)
    signature = hmac.new(key, f"{head}.{body}".encode(), digest).digest()
    return f"{head}.{body}.{_b64(signature)}"


def unsigned(payload: Any, alg: str = "none") -> str:
    return f"{_segment({'alg': alg, 'typ': 'JWT'})}.{_segment(payload)}."


@cache
def attacker_key() -> rsa.RSAPrivateKey:
    """A key pair the service has never seen."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def server_key() -> rsa.RSAPrivateKey:
    """The key pair whose public half the RS256 app trusts."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def server_public_pem() -> bytes:
    return (
        server_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _bearer(token: str | bytes, app: str = "hs") -> Make:
    """The viewer query with this Authorization header (a bare token gets `Bearer `)."""
    header = token if isinstance(token, bytes) or " " in token else f"Bearer {token}"
    return fixed(gql(VIEWER_QUERY, token=None, authorization=header, app=app))


def _lazy(build: Any, app: str = "hs") -> Make:
    """A token built when the case runs (keys and clocks are not read at import)."""
    return lambda env: gql(VIEWER_QUERY, token=None, authorization=f"Bearer {build(env)}", app=app)


def _tampered(env: Env) -> str:
    head, _, signature = env.tokens["viewer"].split(".")
    return f"{head}.{_segment(claims())}.{signature}"


UNAUTHENTICATED = Refused("UNAUTHENTICATED", status=401)
FORGED: list[tuple[str, Make]] = [
    ("no Authorization header", fixed(gql(VIEWER_QUERY, token=None))),
    ("Bearer without a token", _bearer("Bearer")),
    ("Bearer and blanks", _bearer("Bearer    ")),
    ("Basic credentials", _bearer("Basic dXNlcjpwYXNz")),
    (
        "a valid token under another scheme",
        lambda env: gql(VIEWER_QUERY, token=None, authorization=f"Token {env.tokens['admin']}"),
    ),
    ("not a token", _bearer("not-a-token")),
    ("three empty-ish segments", _bearer("a.b.c")),
    ("two segments", _bearer("eyJhbGciOiJIUzI1NiJ9.e30")),
    (
        "four segments",
        lambda env: gql(
            VIEWER_QUERY, token=None, authorization=f"Bearer {env.tokens['admin']}.e30"
        ),
    ),
    ("viewer's signature on admin claims", _lazy(_tampered)),
    (
        "signature stripped",
        lambda env: gql(
            VIEWER_QUERY,
            token=None,
            authorization="Bearer " + env.tokens["admin"].rsplit(".", 1)[0] + ".",
        ),
    ),
    ("alg none", _lazy(lambda env: unsigned(claims()))),
    ("alg None", _lazy(lambda env: unsigned(claims(), "None"))),
    ("alg NONE with a signature", _lazy(lambda env: unsigned(claims(), "NONE") + "c2ln")),
    (
        "HS256 with the wrong secret",
        _lazy(lambda env: jwt.encode(claims(), "x" * 40, algorithm="HS256")),
    ),
    ("HS256 with an empty secret", _lazy(lambda env: hand_signed(claims(), key=b""))),
    (
        "HS512 with the right secret",
        _lazy(lambda env: hand_signed(claims(), header={"alg": "HS512"}, digest=hashlib.sha512)),
    ),
    (
        "HS384 header on an HS256 signature",
        _lazy(lambda env: hand_signed(claims(), header={"alg": "HS384"})),
    ),
    (
        "RS256 on an HS256 service",
        _lazy(lambda env: jwt.encode(claims(), attacker_key(), algorithm="RS256")),
    ),
    (
        "HS256 signed with the RS256 public key",
        _lazy(lambda env: hand_signed(claims(), key=env.rsa_pem), app="rs"),
    ),
    (
        "RS256 signed with another key",
        _lazy(lambda env: jwt.encode(claims(), attacker_key(), algorithm="RS256"), app="rs"),
    ),
    ("alg none on an RS256 service", _lazy(lambda env: unsigned(claims()), app="rs")),
    (
        "expired an hour ago",
        _lazy(
            lambda env: jwt.encode(
                claims(exp=datetime.now(UTC) - timedelta(hours=1)), SECRET, algorithm="HS256"
            )
        ),
    ),
    ("no exp", _lazy(lambda env: jwt.encode(claims(exp=None), SECRET, algorithm="HS256"))),
    ("exp not a number", _lazy(lambda env: hand_signed(claims(exp="never")))),
    (
        "exp infinite",
        _lazy(
            lambda env: hand_signed(
                json.dumps(claims()).replace('"exp": ', '"exp": 1e999, "x": ').encode()
            )
        ),
    ),
    (
        "nbf in the future",
        _lazy(
            lambda env: jwt.encode(
                claims(nbf=datetime.now(UTC) + timedelta(hours=1)), SECRET, algorithm="HS256"
            )
        ),
    ),
    ("iat not a number", _lazy(lambda env: hand_signed(claims(iat="yesterday")))),
    ("role superadmin", _lazy(lambda env: hand_signed(claims(role="superadmin")))),
    ("role as a list", _lazy(lambda env: hand_signed(claims(role=["admin"])))),
    ("no role", _lazy(lambda env: hand_signed(claims(role=None)))),
    ("no org", _lazy(lambda env: hand_signed(claims(org=None)))),
    ("empty org", _lazy(lambda env: hand_signed(claims(org="")))),
    ("org as an operator", _lazy(lambda env: hand_signed(claims(org={"$ne": None})))),
    ("sub as an operator", _lazy(lambda env: hand_signed(claims(sub={"$gt": ""})))),
    ("no sub", _lazy(lambda env: hand_signed(claims(sub=None)))),
    ("payload a JSON list", _lazy(lambda env: hand_signed([claims()]))),
    ("payload not JSON", _lazy(lambda env: hand_signed(b"{'sub': 1"))),
    ("header not JSON", _lazy(lambda env: hand_signed(claims(), header=b"{alg"))),
    (
        "kid and jku pointing away",
        _lazy(
            lambda env: jwt.encode(
                claims(),
                "y" * 40,
                algorithm="HS256",
                headers={"kid": "../../../../dev/null", "jku": "http://attacker.test/jwks"},
            )
        ),
    ),
    (
        "crit extension not understood",
        _lazy(
            lambda env: jwt.encode(claims(), SECRET, algorithm="HS256", headers={"crit": ["exp"]})
        ),
    ),
    ("a 200 kB token", _bearer("e" * 200_000 + ".e30.e30")),
    ("bytes that are not text", _bearer(b"Bearer \xff\xfe\xfa.\x80\x81")),
]


def _forbidden(token: str, query: str) -> Make:
    return lambda env: gql(query, {"org": env.alpha.org}, token=token)


ROLES: list[tuple[str, Make]] = [
    (
        "viewer creates a department",
        _forbidden(
            "viewer",
            "mutation($org: ID!) { departmentCreate(input: {organizationId: $org, "
            'name: "Spies"}) { department { id } userErrors { code } } }',
        ),
    ),
    (
        "editor creates a cycle",
        _forbidden(
            "editor",
            "mutation($org: ID!) { cycleCreate(input: {organizationId: $org, year: 2032})"
            " { cycle { id } userErrors { code } } }",
        ),
    ),
    (
        "editor changes the policy",
        _forbidden(
            "editor",
            "mutation($org: ID!) { organizationUpdate(id: $org, input: {policy: "
            "{onTrackRatio: 0.1}}) { organization { id } userErrors { code } } }",
        ),
    ),
    (
        "viewer records a check-in",
        lambda env: gql(
            "mutation($kr: ID!) { checkInCreate(input: {keyResultId: $kr, value: 99}) "
            "{ checkIn { id } userErrors { code } } }",
            {"kr": env.alpha.key_result},
            token="viewer",
        ),
    ),
    (
        "viewer creates its organization",
        lambda env: gql(
            'mutation { organizationCreate(input: {name: "V", slug: "alpha"}) '
            "{ organization { id } userErrors { code } } }",
            token="viewer",
        ),
    ),
]

OTHER_ORGANIZATION: list[tuple[str, Make, Make]] = [
    (
        "a token of an organization that does not exist reads alpha",
        lambda env: gql(
            "query($v: ID!) { node(id: $v) { id } }", {"v": env.alpha.key_result}, token="ghost"
        ),
        lambda env: gql(
            "query($v: ID!) { node(id: $v) { id } }", {"v": env.never.key_result}, token="ghost"
        ),
    ),
    (
        "a token of an organization that does not exist updates alpha",
        lambda env: gql(
            'mutation($v: ID!) { organizationUpdate(id: $v, input: {name: "X"}) '
            "{ organization { id } userErrors { code message field } } }",
            {"v": env.alpha.org},
            token="ghost",
        ),
        lambda env: gql(
            'mutation($v: ID!) { organizationUpdate(id: $v, input: {name: "X"}) '
            "{ organization { id } userErrors { code message field } } }",
            {"v": env.never.org},
            token="ghost",
        ),
    ),
    (
        "beta's admin lists alpha's key results",
        lambda env: gql(
            "query($v: [ID!]!) { nodes(ids: $v) { id } }",
            {"v": [env.alpha.key_result, env.alpha.upstream]},
            token="beta",
        ),
        lambda env: gql(
            "query($v: [ID!]!) { nodes(ids: $v) { id } }",
            {"v": [env.never.key_result, env.never.upstream]},
            token="beta",
        ),
    ),
    (
        "alpha's admin takes beta's slug",
        lambda env: gql(
            'mutation { organizationCreate(input: {name: "B", slug: "beta"}) '
            "{ organization { id } userErrors { code message field } } }"
        ),
        lambda env: gql(
            'mutation { organizationCreate(input: {name: "B", slug: "never-was"}) '
            "{ organization { id } userErrors { code message field } } }"
        ),
    ),
    (
        "alpha's admin looks beta up by slug",
        lambda env: gql('{ organizationBySlug(slug: "beta") { id } }'),
        lambda env: gql('{ organizationBySlug(slug: "never-was") { id } }'),
    ),
]


def token_cases() -> list[Case]:
    return [
        *(
            Case(name, "forged, expired or malformed token", make, UNAUTHENTICATED)
            for name, make in FORGED
        ),
        *(Case(name, "role escalation", make, Refused("FORBIDDEN")) for name, make in ROLES),
        *(
            Case(name, "another organization's token", make, SameAs(twin))
            for name, make, twin in OTHER_ORGANIZATION
        ),
    ]
