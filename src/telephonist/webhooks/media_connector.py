"""The aiohttp connector media downloads use, held to the outbound destination policy.

aiohttp has two seams, and both are used. Its resolver: names are resolved by our
:class:`~telephonist.webhooks.resolver.Resolver`, which refuses a name unless every address it
resolves to is allowed, and aiohttp then connects to those addresses, not to the name (its DNS
cache keeps checked answers only). Its socket factory: aiohttp does not ask a resolver about a
host spelled as an address (``169.254.169.254``, ``[::ffff:169.254.169.254]``), so every socket
is checked again for the exact address it is about to connect to, redirect hops included.
A refusal reaches the caller as the ``os_error`` of aiohttp's ``ClientConnectorError``.

Imported with aiohttp, on the first media download (see ``WebhookClient.session``).
"""

from __future__ import annotations

import socket

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.connector import AddrInfoType

from telephonist.webhooks.resolver import Resolver


class PolicyResolver(AbstractResolver):
    """aiohttp's resolver seam, answered by a policy-checking :class:`Resolver`."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await self.resolver.resolve(host, port)
        results: list[ResolveResult] = []
        for address in addresses:
            found = socket.AF_INET6 if address.version == 6 else socket.AF_INET
            if family in (socket.AF_UNSPEC, found):
                results.append(
                    {
                        "hostname": host,
                        "host": str(address),
                        "port": port,
                        "family": found,
                        "proto": 0,
                        "flags": socket.AI_NUMERICHOST,
                    }
                )
        if not results:
            raise socket.gaierror(socket.EAI_ADDRFAMILY, f"{host} has no address of {family!r}")
        return results

    async def close(self) -> None:
        return None


def media_connector(resolver: Resolver, *, limit: int) -> aiohttp.TCPConnector:
    """A connector that resolves through ``resolver`` and checks every socket it connects."""

    def checked_socket(addr_info: AddrInfoType) -> socket.socket:
        family, kind, proto, _, sockaddr = addr_info
        resolver.check_numeric(str(sockaddr[0]))  # raises before any socket exists
        return socket.socket(family=family, type=kind, proto=proto)

    return aiohttp.TCPConnector(
        limit=limit,
        ttl_dns_cache=60,
        resolver=PolicyResolver(resolver),
        socket_factory=checked_socket,
    )
