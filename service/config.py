"""Settings from the environment (OKRGRAPH_*, plus HOST and PORT), built once and passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    database: str = Field(default="okrgraph", description="The MongoDB database name.")
    data_dir: Path = Field(
        default=Path(".okrgraph-data"),
        description="Where the embedded store keeps its files.",
    )
    memory: bool = Field(
        default=False, description="Keep the embedded store in memory (nothing on disk)."
    )
    demo: bool = Field(default=False, description="Seed the demo organization into an empty store.")
    redis_url: str | None = Field(
        default=None, description="Redis for events between instances; none: in-process bus."
    )
