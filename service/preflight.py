"""What `okrgraph serve` checks before the store starts or the demo is seeded.

A setting that does not parse or cannot work ends the command with one line that names the
setting as the user wrote it (`PORT`, not `OKRGRAPH_PORT`; `--data-dir`, when that flag was
given) and exit status 2: never a traceback, never a URI or a secret echoed back. The listening
sockets are bound here too, so a port in use is such a line, before anything is written.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Collection, Mapping
from pathlib import Path

from pydantic import AliasChoices, ValidationError
from pymongo.errors import InvalidURI
from pymongo.uri_parser import parse_uri

from service.config import Settings

# The flags of `okrgraph serve` and the commands that open a store, by the setting they set.
FLAGS = {
    "host": "--host",
    "port": "--port",
    "data_dir": "--data-dir",
    "memory": "--memory",
    "mongodb_uri": "--mongodb-uri",
    "demo": "--demo",
}
# Values never repeated in a message: they may carry credentials.
SENSITIVE = frozenset({"mongodb_uri", "redis_url", "jwt_secret", "jwt_public_key"})
MONGODB_SCHEMES = ("mongodb", "mongodb+srv")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,19})://")


class StartError(Exception):
    """A setting that cannot work; the message is the one line the user sees."""


def environment_names(field: str) -> list[str]:
    """The environment variables that set `field`, the winning one first."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [f"OKRGRAPH_{field.upper()}"]


def written_name(
    field: str, flags: Collection[str] = (), environ: Mapping[str, str] | None = None
) -> str:
    """The setting as the user wrote it: the flag when one was given, else the environment
    variable that is set (the settings read names case-insensitively), else the name people
    use most (`PORT` rather than `OKRGRAPH_PORT`)."""
    if field in flags and field in FLAGS:
        return FLAGS[field]
    names = environment_names(field)
    present = {name.upper() for name in (os.environ if environ is None else environ)}
    return next((name for name in names if name.upper() in present), names[-1])


def _field_of(location: object) -> str | None:
    for field in Settings.model_fields:
        if location == field or location in environment_names(field):
            return field
    return None


def load_settings(
    overrides: Mapping[str, object] | None = None, flags: Collection[str] = ()
) -> Settings:
    """The settings from the environment with `overrides` (from flags) on top; StartError
    naming the first setting that does not parse."""
    try:
        return Settings(**dict(overrides or {}))  # type: ignore[arg-type]  # pydantic checks
    except ValidationError as error:
        raise StartError(_describe(error, flags)) from None


def _describe(error: ValidationError, flags: Collection[str]) -> str:
    first = error.errors()[0]
    location = first["loc"][0] if first["loc"] else None
    field = _field_of(location)
    if field is None:
        return f"a setting does not parse: {first['msg']}"
    name = written_name(field, flags)
    given = first.get("input")
    shown = ""
    if field not in SENSITIVE and isinstance(given, str | int | float) and len(str(given)) <= 60:
        shown = f" (got {given!r})"
    return f"{name}: {first['msg']}{shown}"


def check_store(settings: Settings, flags: Collection[str] = ()) -> None:
    """The store the settings name can be opened: a MongoDB URI of a MongoDB scheme that
    parses, or an embedded store's directory that is (or can be made) a writable directory."""
    if settings.mongodb_uri:
        _check_uri(settings.mongodb_uri, written_name("mongodb_uri", flags))
        return
    if settings.memory:
        return
    _check_data_dir(settings.data_dir, written_name("data_dir", flags))


def _check_uri(uri: str, name: str) -> None:
    scheme = _SCHEME.match(uri)
    if scheme is None or scheme.group(1).lower() not in MONGODB_SCHEMES:
        given = f", not {scheme.group(1)}://" if scheme else ""
        raise StartError(f"{name} must be a mongodb:// or mongodb+srv:// URI{given}")
    if scheme.group(1).lower() == "mongodb+srv":
        return  # parsing one asks DNS for its hosts: the driver does that when it connects
    try:
        parse_uri(uri)
    except (InvalidURI, ValueError) as error:
        # The driver's reason, unless it repeats a part of the URI (it may hold a password).
        reason = str(error)
        secret_parts = [part for part in re.split(r"[:/@?&=,]", uri) if len(part) >= 3]
        leaks = any(part in reason for part in secret_parts if part not in MONGODB_SCHEMES)
        detail = "" if leaks else f": {reason}"
        raise StartError(f"{name} is not a valid MongoDB URI{detail}") from None


def _check_data_dir(path: Path, name: str) -> None:
    if path.exists() and not path.is_dir():
        raise StartError(f"{name} {path} is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StartError(f"{name}: cannot create {path}: {error.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise StartError(f"{name} {path} is not writable")


def is_loopback(host: str) -> bool:
    """Whether every address `host` names is a loopback one (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(found) and all(
        ipaddress.ip_address(str(address[4][0]).split("%")[0]).is_loopback for address in found
    )


def check_exposure(settings: Settings, flags: Collection[str] = ()) -> None:
    """Authentication off is for a developer's own machine: a bind beyond loopback is refused
    unless OKRGRAPH_AUTH_DISABLED_ANYWHERE says so as well."""
    if settings.auth_enabled or settings.auth_disabled_anywhere or is_loopback(settings.host):
        return
    host = written_name("host", flags)
    raise StartError(
        f"OKRGRAPH_AUTH=disabled would serve every organization to anyone who can reach "
        f"{host}={settings.host}: listen on a loopback address (127.0.0.1, ::1), or set "
        "OKRGRAPH_AUTH_DISABLED_ANYWHERE=true as well"
    )


def bind(host: str, port: int, names: str) -> socket.socket:
    """A TCP socket bound to host:port (not yet listening), as uvicorn would bind it;
    StartError naming the settings (`names`) when the address is in use or unknown."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except OSError as error:
        raise StartError(f"cannot listen on {where} ({names}): {error.strerror}") from None
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
    except OSError as error:
        listener.close()
        raise StartError(f"cannot listen on {where} ({names}): {error.strerror}") from None
    return listener
