"""Which URLs webhooks may call: http(s) to a host that resolves only to public addresses.

A target that resolves to a loopback, link-local, private, shared (carrier-grade NAT),
multicast, reserved or unspecified address is refused (server-side request forgery: a webhook
must not reach into the network the service runs in), unless the allow-list names its host or a
network holding the address (`OKRGRAPH_WEBHOOK_ALLOW`). The check runs when an endpoint is set
and again before every attempt, since what a name resolves to can change; redirects are never
followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL = 2000


class TargetRefused(Exception):
    """The URL is not one a webhook may call."""


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

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow:
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry.lower())

    async def check(self, url: str) -> None:
        """Return when a webhook may call `url`; TargetRefused with the reason otherwise."""
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
            return
        for address in await self._addresses(host, port):
            if _inner(address) and not any(address in n for n in self.networks):
                raise TargetRefused(
                    f"{host} resolves to {address}, an internal address; "
                    "only the allow-list (OKRGRAPH_WEBHOOK_ALLOW) opens such targets"
                )

    async def _addresses(self, host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as error:
            raise TargetRefused(f"{host} does not resolve: {error}") from error
        addresses = [ipaddress.ip_address(info[4][0]) for info in found]
        if not addresses:
            raise TargetRefused(f"{host} does not resolve")
        return addresses
