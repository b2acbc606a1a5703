"""Tokens: what verifies, what does not, and why."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from service.auth import (
    LEEWAY,
    AuthError,
    ConfigurationError,
    Principal,
    Role,
    Verifier,
    bearer,
    mint,
)

SECRET = "a-test-signing-key-that-is-long-enough-32"


def hs256(**settings: Any) -> Verifier:
    found = Verifier.configure(secret=SECRET, public_key=None, jwks_file=None, **settings)
    assert found is not None
    return found


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "sub": "ana",
        "org": "acme",
        "role": "editor",
        "exp": now + timedelta(minutes=5),
    }
    return {k: v for k, v in (base | overrides).items() if v is not None}


def test_a_minted_token_verifies_to_its_principal() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    token = mint(secret=SECRET, organization="acme", role=Role.ADMIN, subject="ana", now=now)
    # Good until `exp` (12 hours on) and the clock skew allowed.
    until = now + timedelta(hours=12, seconds=LEEWAY)
    assert hs256().verify(token) == Principal(
        subject="ana", organization="acme", role=Role.ADMIN, expires_at=until
    )


@pytest.mark.parametrize(
    ("token_claims", "secret", "reason"),
    [
        (claims(exp=datetime.now(UTC) - timedelta(minutes=5)), SECRET, "expired"),
        (claims(exp=None), SECRET, "exp"),
        (claims(org=None), SECRET, "org"),
        (claims(sub=None), SECRET, "sub"),
        (claims(role="owner"), SECRET, "role"),
        (claims(org=""), SECRET, "non-empty"),
        (claims(), "another-secret-that-is-long-enough-32", "Signature"),
    ],
)
def test_bad_tokens_are_refused_with_the_reason(
    token_claims: dict[str, Any], secret: str, reason: str
) -> None:
    token = jwt.encode(token_claims, secret, algorithm="HS256")
    with pytest.raises(AuthError, match=reason):
        hs256().verify(token)


def test_garbage_and_the_none_algorithm_are_refused() -> None:
    for token in ("not-a-token", "a.b.c", jwt.encode(claims(), key="", algorithm="none")):
        with pytest.raises(AuthError):
            hs256().verify(token)


def test_issuer_and_audience_are_checked_when_configured() -> None:
    verifier = hs256(issuer="https://id.example", audience="okrgraph")
    good = mint(
        secret=SECRET,
        organization="acme",
        role=Role.VIEWER,
        issuer="https://id.example",
        audience="okrgraph",
    )
    assert verifier.verify(good).role is Role.VIEWER
    for wrong in (
        mint(secret=SECRET, organization="acme", role=Role.VIEWER, audience="okrgraph"),
        mint(
            secret=SECRET,
            organization="acme",
            role=Role.VIEWER,
            issuer="https://id.example",
            audience="other",
        ),
    ):
        with pytest.raises(AuthError):
            verifier.verify(wrong)


def _rsa() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, pem.decode()


def test_rs256_with_a_pem_public_key() -> None:
    key, pem = _rsa()
    verifier = Verifier.configure(secret=None, public_key=pem, jwks_file=None)
    assert verifier is not None
    token = jwt.encode(claims(), key, algorithm="RS256")
    assert verifier.verify(token).organization == "acme"
    forged = jwt.encode(claims(), SECRET, algorithm="HS256")  # algorithm confusion
    with pytest.raises(AuthError):
        verifier.verify(forged)


def test_rs256_with_a_jwks_file_picks_the_key_by_kid(tmp_path: Path) -> None:
    key, _ = _rsa()
    other, _ = _rsa()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk | {"kid": "k1", "use": "sig", "alg": "RS256"}]}))
    verifier = Verifier.configure(secret=None, public_key=None, jwks_file=jwks)
    assert verifier is not None
    good = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": "k1"})
    assert verifier.verify(good).subject == "ana"
    for bad in (
        jwt.encode(claims(), key, algorithm="RS256", headers={"kid": "k2"}),
        jwt.encode(claims(), other, algorithm="RS256", headers={"kid": "k1"}),
    ):
        with pytest.raises(AuthError):
            verifier.verify(bad)


def test_configuration_mistakes_are_refused_at_start(tmp_path: Path) -> None:
    assert Verifier.configure(secret=None, public_key=None, jwks_file=None) is None
    with pytest.raises(ConfigurationError, match="32"):
        Verifier.configure(secret="short", public_key=None, jwks_file=None)
    with pytest.raises(ConfigurationError, match="only one"):
        Verifier.configure(secret=SECRET, public_key="x", jwks_file=None)
    with pytest.raises(ConfigurationError, match="does not load"):
        Verifier.configure(secret=None, public_key="not a pem", jwks_file=None)
    with pytest.raises(ConfigurationError, match="does not load"):
        Verifier.configure(secret=None, public_key=None, jwks_file=tmp_path / "missing.json")


def test_the_authorization_header_must_be_a_bearer_token() -> None:
    assert bearer(None) is None
    assert bearer("Bearer abc") == "abc"
    assert bearer("bearer   abc ") == "abc"
    for bad in ("abc", "Basic abc", "Bearer", "Bearer  "):
        with pytest.raises(AuthError):
            bearer(bad)
