"""Who is asking: bearer JWTs verified with PyJWT, and the roles of DOMAIN's organizations.

HS256 with a shared secret, or RS256 with a PEM public key or a JWKS file. `exp` is required;
`iss` and `aud` are checked when configured. Claims: `sub`, `org` (the organization's slug) and
`role`, one of viewer, editor, admin.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key


class Role(enum.IntEnum):
    """What a caller may do; each role can do everything the ones below it can."""

    VIEWER = 1
    EDITOR = 2
    ADMIN = 3

    @classmethod
    def named(cls, name: object) -> Role:
        """The role a claim names; AuthError for anything else."""
        if isinstance(name, str) and name.upper() in cls.__members__:
            return cls[name.upper()]
        raise AuthError("the token's `role` must be viewer, editor or admin")


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: who, for which organization (slug), and with which role; and
    until when its token is good (`exp` and the clock skew allowed), if it says."""

    subject: str
    organization: str
    role: Role
    expires_at: datetime | None = None

    def seconds_left(self, now: datetime | None = None) -> float | None:
        """Seconds until the token expires; None when it does not say."""
        if self.expires_at is None:
            return None
        return (self.expires_at - (now or datetime.now(UTC))).total_seconds()


class AuthError(Exception):
    """A missing, malformed, expired or wrongly signed token; the message says which."""

    code = "UNAUTHENTICATED"


class Deactivated(AuthError):
    """A valid token of a member who has been deactivated: refused (403) until an admin
    brings them back."""

    code = "MEMBER_INACTIVE"


class TokenExpired(AuthError):
    """A token past its `exp` (and the clock skew allowed): the client should get a new one."""


LEEWAY = 30
"""Seconds of clock skew allowed between the token's issuer and this server."""


class ConfigurationError(Exception):
    """The authentication settings cannot work (say, a key that does not parse)."""


MIN_SECRET_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 8
# Words of the values people copy from examples; a random secret holds none of them.
PLACEHOLDERS = (
    "changeme",
    "secret",
    "example",
    "placeholder",
    "password",
    "replaceme",
    "default",
    "dummy",
    "yourkey",
    "insecure",
)


def weak_secret(secret: str) -> str | None:
    """Why an HS256 secret must be refused (too short, too few distinct characters, or a
    placeholder copied from an example), in one line that does not repeat it; None if fine."""
    advice = "make one with `openssl rand -hex 32`"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"OKRGRAPH_JWT_SECRET must be at least {MIN_SECRET_LENGTH} characters: {advice}"
    if len(set(secret)) < MIN_DISTINCT_CHARACTERS:
        return (
            f"OKRGRAPH_JWT_SECRET has fewer than {MIN_DISTINCT_CHARACTERS} distinct characters: "
            f"{advice}"
        )
    folded = "".join(c for c in secret.lower() if c.isalnum())
    if any(word in folded for word in PLACEHOLDERS):
        return (
            "OKRGRAPH_JWT_SECRET holds a placeholder word (such as changeme, secret or example), "
            f"as copied from an example: {advice}"
        )
    return None


@dataclass(frozen=True, slots=True)
class Verifier:
    """Checks tokens against one configured key (or key set)."""

    algorithm: str
    key: Any  # a secret string, a public key, or a PyJWKSet
    issuer: str | None = None
    audience: str | None = None

    @classmethod
    def configure(
        cls,
        *,
        secret: str | None,
        public_key: str | None,
        jwks_file: Path | None,
        issuer: str | None = None,
        audience: str | None = None,
    ) -> Verifier | None:
        """The verifier the settings describe; None when none is configured."""
        given = [v for v in (secret, public_key, jwks_file) if v]
        if len(given) > 1:
            raise ConfigurationError(
                "configure only one of OKRGRAPH_JWT_SECRET, OKRGRAPH_JWT_PUBLIC_KEY and "
                "OKRGRAPH_JWT_JWKS_FILE"
            )
        if secret:
            problem = weak_secret(secret)
            if problem is not None:
                raise ConfigurationError(problem)
            return cls("HS256", secret, issuer, audience)
        try:
            if public_key:
                return cls("RS256", load_pem_public_key(public_key.encode()), issuer, audience)
            if jwks_file:
                keys = jwt.PyJWKSet.from_dict(json.loads(jwks_file.read_text(encoding="utf-8")))
                return cls("RS256", keys, issuer, audience)
        except (ValueError, OSError, jwt.PyJWTError) as error:
            raise ConfigurationError(f"the JWT public key does not load: {error}") from error
        return None

    def verify(self, token: str) -> Principal:
        """The principal a token names; AuthError when it does not verify."""
        try:
            key = self._key_for(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.algorithm],
                issuer=self.issuer,
                audience=self.audience,
                options={
                    "require": ["exp", "sub", "org", "role"],
                    "verify_aud": bool(self.audience),
                },
                leeway=LEEWAY,
            )
        except jwt.ExpiredSignatureError as error:
            raise TokenExpired("the token has expired") from error
        except jwt.PyJWTError as error:
            raise AuthError(f"the token does not verify: {error}") from error
        subject, org = claims["sub"], claims["org"]
        if not isinstance(subject, str) or not isinstance(org, str) or not subject or not org:
            raise AuthError("the token's `sub` and `org` must be non-empty strings")
        return Principal(
            subject=subject,
            organization=org,
            role=Role.named(claims["role"]),
            expires_at=datetime.fromtimestamp(float(claims["exp"]) + LEEWAY, UTC),
        )

    def _key_for(self, token: str) -> Any:
        if not isinstance(self.key, jwt.PyJWKSet):
            return self.key
        kid = jwt.get_unverified_header(token).get("kid")
        for candidate in self.key.keys:
            if candidate.key_id == kid:
                return candidate.key
        raise AuthError("the token's `kid` names no key of the configured key set")


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header; None when there is no header."""
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("the Authorization header must be `Bearer <token>`")
    return token.strip()


def mint(
    *,
    secret: str,
    organization: str,
    role: Role,
    subject: str = "developer",
    ttl: timedelta = timedelta(hours=12),
    issuer: str | None = None,
    audience: str | None = None,
    now: datetime | None = None,
) -> str:
    """A development token (HS256) signed with the configured secret."""
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "org": organization,
        "role": role.name.lower(),
        "iat": issued,
        "exp": issued + ttl,
    }
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")
