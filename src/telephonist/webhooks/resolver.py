"""Resolving where a request goes, once, and holding every address to the destination policy.

The policy (:mod:`telephonist.domain.destinations`) judges addresses; this is the edge that finds
them. A host is resolved once, *every* address it resolves to must be allowed (a name that
answers with one public and one link-local address is refused, not half-tried), and the caller
connects to the addresses answered here, never to the name again: a name whose DNS answer
changes between the check and the connection (DNS rebinding) cannot slip past. The webhook
transport and the media client both connect through it.

An address spelled in a URL counts as resolved the way the system resolves it, so ``0x7f000001``
and ``2852039166`` are judged as 127.0.0.1 and 169.254.169.254.
"""

from __future__ import annotations

import asyncio
import socket
from ipaddress import ip_address

from telephonist.domain.destinations import Address, DestinationPolicy, Refusal
from telephonist.errors import TelephonistError


class DestinationRefused(TelephonistError, OSError):
    """The policy refused an address the destination resolved to; nothing was connected to.

    An :class:`OSError` as well, so that socket-level clients (aiohttp) treat it as the
    connection failure it stands for, and carry it through to the caller as one.
    """

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


class Resolver:
    """Host names to policy-checked addresses."""

    def __init__(self, policy: DestinationPolicy | None = None) -> None:
        self.policy = policy or DestinationPolicy()

    async def resolve(self, host: str, port: int) -> list[Address]:
        """Every address ``host`` resolves to, in the system's order, each of them allowed.

        Raises :class:`DestinationRefused` (naming the first address refused), or the
        resolver's ``socket.gaierror`` when the name does not resolve.
        """
        literal = _literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
            addresses = list(dict.fromkeys(ip_address(info[4][0]) for info in infos))
            if not addresses:
                raise socket.gaierror(socket.EAI_NONAME, f"{host} resolves to no address")
        for address in addresses:
            self.check(address)
        return addresses

    def check(self, address: Address) -> None:
        """Raise :class:`DestinationRefused` unless the policy allows ``address``."""
        refusal = self.policy.decide(address)
        if refusal is not None:
            raise DestinationRefused(refusal)

    def check_numeric(self, host: str) -> Address:
        """The address a socket given ``host`` would connect to, once checked.

        For clients that hand addresses to sockets themselves: ``host`` must be numeric (any
        spelling the system accepts); a name is refused, as it would be resolved again.
        """
        address = _literal(host) or _numeric(host)
        if address is None:
            raise DestinationRefused(Refusal(host, "not a resolved address"))
        self.check(address)
        return address


def _literal(host: str) -> Address | None:
    """``host`` as an address when it is spelled the canonical way (no lookup at all)."""
    try:
        return ip_address(host)
    except ValueError:
        return None


def _numeric(host: str) -> Address | None:
    """``host`` as the system reads a numeric spelling (``0x7f000001``, ``127.1``), without DNS."""
    try:
        infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError):
        return None
    return ip_address(infos[0][4][0]) if infos else None
