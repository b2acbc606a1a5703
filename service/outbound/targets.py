"""Which URLs webhooks may call: http(s) to a host that resolves only to public addresses.

A target that resolves to a loopback, link-local, private, shared (carrier-grade NAT),
multicast, reserved or unspecified address is refused (server-side request forgery: a webhook
must not reach into the network the service runs in), unless the allow-list names its host or a
network holding the address (`OKRGRAPH_WEBHOOK_ALLOW`). The check runs when an endpoint is set
and again before every attempt, and the attempt connects to the address checked (the name goes
in the Host header and, for https, in TLS's server name, which the certificate is verified
against), so a name that resolves elsewhere a moment later (DNS rebinding) changes nothing;
redirects are never followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL = 2000


Resolve = Callable[[str, int], Awaitable[list[str]]]
"""A host's addresses (as text), for a port."""


class TargetRefused(Exception):
    """The URL is not one a webhook may call."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where an attempt connects: `url` with the checked address in place of the name, and
    the name for the Host header (`host`) and for TLS (`server_name`); both None when the URL
    is used as it is (an address already, or a host the allow-list names)."""

    url: str
    host: str | None = None
    server_name: str | None = None


async def _system_resolve(host: str, port: int) -> list[str]:
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in found]


def _inner(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _inner(address.ipv4_mapped)
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in ipaddress.ip_network("100.64.0.0/10")
    )


class Targets:
    """The SSRF guard (see the module's doc); `allow` lists hosts and networks (CIDR) that may
    be private."""

    def __init__(self, allow: Iterable[str] = (), *, resolve: Resolve = _system_resolve) -> None:
        self.resolve = resolve
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow:
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry.lower())

    async def check(self, url: str) -> Target:
        """Where to connect to call `url`; TargetRefused with the reason when a webhook may
        not call it."""
        if len(url) > MAX_URL:
            raise TargetRefused(f"a webhook URL has at most {MAX_URL} characters")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise TargetRefused("a webhook URL is http:// or https://")
        host = parts.hostname
        if not host:
            raise TargetRefused("a webhook URL names a host")
        if parts.username or parts.password:
            raise TargetRefused("a webhook URL carries no credentials")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as error:
            raise TargetRefused("the webhook URL's port is not a number") from error
        if host.lower() in self.hosts:
            return Target(url)
        addresses = await self._addresses(host, port)
        for address in addresses:
            if _inner(address) and not any(address in n for n in self.networks):
                raise TargetRefused(
                    f"{host} resolves to {address}, an internal address; "
                    "only the allow-list (OKRGRAPH_WEBHOOK_ALLOW) opens such targets"
                )
        if _literal(host) is not None:
            return Target(url)
        pinned = addresses[0]
        shown = f"[{pinned}]" if pinned.version == 6 else str(pinned)
        netloc = shown if parts.port is None else f"{shown}:{parts.port}"
        return Target(
            url=urlunsplit(parts._replace(netloc=netloc)),
            host=parts.netloc,
            server_name=host if parts.scheme == "https" else None,
        )

    async def _addresses(self, host: str, port: int) -> list[IPAddress]:
        literal = _literal(host)
        if literal is not None:
            return [literal]
        try:
            found = await self.resolve(host, port)
            # An IPv6 address may come with its zone (`fe80::1%eth0`).
            addresses = [ipaddress.ip_address(text.split("%")[0]) for text in found]
        except (OSError, UnicodeError, ValueError) as error:
            raise TargetRefused(f"{host} does not resolve: {error}") from error
        if not addresses:
            raise TargetRefused(f"{host} does not resolve")
        return addresses


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
