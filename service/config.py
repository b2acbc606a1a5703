"""Settings from the environment (OKRGRAPH_*, plus HOST and PORT), built once and passed down."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """How the service runs; every field can be set by an environment variable or a CLI flag."""

    model_config = SettingsConfigDict(env_prefix="OKRGRAPH_", extra="ignore")

    host: str = Field(
        default="127.0.0.1",
        validation_alias=AliasChoices("OKRGRAPH_HOST", "HOST"),
        description="Interface to listen on.",
    )
    port: int = Field(
        default=8000,
        ge=0,
        le=65535,
        validation_alias=AliasChoices("OKRGRAPH_PORT", "PORT"),
        description="TCP port to listen on.",
    )
    mongodb_uri: str | None = Field(
        default=None,
        description="A real MongoDB to use instead of the embedded store.",
    )
    mongodb_selection_timeout: float = Field(
        default=1.5,
        gt=0,
        description="Seconds to wait for a reachable MongoDB before a request fails with "
        "STORE_UNAVAILABLE (the URI's own serverSelectionTimeoutMS wins).",
    )
    database: str = Field(default="okrgraph", description="The MongoDB database name.")
    data_dir: Path = Field(
        default=Path(".okrgraph-data"),
        description="Where the embedded store keeps its files.",
    )
    memory: bool = Field(
        default=False, description="Keep the embedded store in memory (nothing on disk)."
    )
    demo: bool = Field(
        default=False,
        description="Seed the demo organization into an empty store (authentication stays on).",
    )
    redis_url: str | None = Field(
        default=None, description="Redis for events between instances; none: in-process bus."
    )
    read_model_capacity: int = Field(
        default=256,
        ge=1,
        description="Organizations each instance keeps in memory (least recently used out).",
    )
    read_model_check_ins: int = Field(
        default=500_000,
        ge=0,
        description="Check-ins each instance keeps in memory over every organization (the "
        "least recently used organizations' forgotten first; about 450 bytes each).",
    )
    response_reuse: bool = Field(
        default=True,
        description="Identical queries at the same log position and second share one answer.",
    )
    log_retention_days: int = Field(
        default=7, ge=1, description="Days an organization's change log keeps at least."
    )
    log_retention_changes: int = Field(
        default=100_000, ge=1, description="Changes an organization's log keeps at least."
    )
    reminder_interval: float = Field(
        default=60.0,
        gt=0,
        description=(
            "Seconds between two passes of the scheduler (check-in due notices, override "
            "expiries, arriving check-ins); sooner when something is due before then."
        ),
    )
    nats_url: str | None = Field(
        default=None,
        description="NATS with JetStream: every change is published there; none: not published.",
    )
    nats_subject_prefix: str = Field(
        default="okrgraph",
        pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$",
        description="Changes go to `<prefix>.<organization id>.progress`.",
    )
    nats_stream: str = Field(
        default="OKRGRAPH",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The JetStream stream holding the subjects (made when missing).",
    )
    webhook_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts and networks (CIDR) webhooks may call although they are private "
        "(comma-separated or a JSON list).",
    )
    webhook_timeout: float = Field(
        default=10.0, gt=0, le=60, description="Seconds a webhook endpoint has to answer."
    )
    auth: Literal["enabled", "disabled"] = Field(
        default="enabled",
        description="`disabled` serves without authentication (development only, loopback only).",
    )
    auth_disabled_anywhere: bool = Field(
        default=False,
        description="Allow OKRGRAPH_AUTH=disabled on a host other than loopback.",
    )
    jwt_secret: str | None = Field(
        default=None, description="HS256 secret (at least 32 characters) that signs tokens."
    )
    jwt_public_key: str | None = Field(
        default=None, description="RS256 public key (PEM) that verifies tokens."
    )
    jwt_jwks_file: Path | None = Field(
        default=None, description="A JWKS file of RS256 public keys, chosen by the token's kid."
    )
    jwt_issuer: str | None = Field(default=None, description="The `iss` tokens must carry.")
    jwt_audience: str | None = Field(default=None, description="The `aud` tokens must carry.")
    introspection: bool | None = Field(
        default=None,
        description="Allow schema introspection; default: on in demo mode, off otherwise.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (comma-separated or a JSON list).",
    )
    metrics: bool = Field(
        default=True, description="Serve Prometheus metrics on their own listener."
    )
    metrics_host: str = Field(
        default="127.0.0.1", description="Interface the metrics listener listens on."
    )
    metrics_port: int = Field(
        default=9464,
        ge=0,
        le=65535,
        description="TCP port of the metrics listener (0: any free port).",
    )
    federation: bool = Field(
        default=False, description="Serve the schema as an Apollo Federation 2 subgraph."
    )
    federation_router: str | None = Field(
        default=None,
        description="The `sub` of the federation router's token: only it reads `_service`.",
    )
    trusted_documents: Path | None = Field(
        default=None,
        description="A directory of registered documents (schema/operations/): only those run.",
    )
    max_depth: int = Field(default=12, ge=1, description="The deepest query allowed.")
    max_aliases: int = Field(default=30, ge=1, description="The most aliases in one request.")
    max_tokens: int = Field(default=5000, ge=1, description="The most tokens in one document.")
    max_cost: int = Field(
        default=10_000, ge=1, description="The highest estimated query cost allowed."
    )
    request_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a GraphQL operation may run before it is stopped (error TIMEOUT).",
    )

    @field_validator("cors_origins", "webhook_allow", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @property
    def auth_enabled(self) -> bool:
        """Authentication is on unless explicitly disabled (the demo does not turn it off)."""
        return self.auth == "enabled"

    @property
    def introspection_allowed(self) -> bool:
        """Introspection as configured, else on only in demo mode."""
        return self.demo if self.introspection is None else self.introspection
