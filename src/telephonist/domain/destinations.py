"""Where telephonist may send a request: the outbound destination policy.

Every URL telephonist fetches was given to it by someone else: a number's SmsUrl, a
StatusCallback, a ``<Redirect>`` in an app's TwiML, an HTTP redirect, a MediaUrl. Without a
policy those are a way to make the server reach what only it can reach (server-side request
forgery): the cloud metadata service at 169.254.169.254, which hands out credentials, or
services on its own loopback and private network. The policy judges the *address* a request
would connect to, after the host name is resolved, never the URL's spelling: ``2852039166``,
``0xA9FEA9FE`` and ``[::ffff:169.254.169.254]`` are all 169.254.169.254.

Three kinds of address:

- **always refused**, whatever the lists say: unspecified (``0.0.0.0/8``, ``::``: connecting
  to them reaches the host itself), link-local (``169.254.0.0/16``, ``fe80::/10``: where cloud
  metadata services live), multicast and the broadcast address. No app serves webhooks there;
- **internal**: loopback and private networks (``10/8``, ``172.16/12``, ``192.168/16``,
  ``100.64/10``, ``fc00::/7``). An emulator's apps run on the developer's machine or network, so
  emulator mode allows them; gateway mode, facing the internet, refuses them;
- everything else, allowed.

``outbound_allow`` and ``outbound_deny`` (lists of CIDR networks) change the last two: where
both hold the address, the more specific network (the longer prefix) decides, and a tie
refuses. An IPv4-mapped (``::ffff:a.b.c.d``) or NAT64 (``64:ff9b::a.b.c.d``) address is judged
as the IPv4 address it carries, since that is what a connection to it reaches.

Pure: the resolver that applies it is :mod:`telephonist.webhooks.resolver`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network
from typing import TypeAlias

Address: TypeAlias = IPv4Address | IPv6Address
Network: TypeAlias = IPv4Network | IPv6Network

EMULATOR = "emulator"
GATEWAY = "gateway"
MODES = (EMULATOR, GATEWAY)

ALWAYS_REFUSED: tuple[tuple[str, Network], ...] = (
    ("unspecified", IPv4Network("0.0.0.0/8")),  # "this network": 0.0.0.0 reaches this host
    ("unspecified", IPv6Network("::/128")),
    ("link-local", IPv4Network("169.254.0.0/16")),
    ("link-local", IPv6Network("fe80::/10")),
    ("multicast", IPv4Network("224.0.0.0/4")),
    ("multicast", IPv6Network("ff00::/8")),
    ("broadcast", IPv4Network("255.255.255.255/32")),
)
"""Refused in every mode, whatever ``outbound_allow`` says."""

INTERNAL: tuple[tuple[str, Network], ...] = (
    ("loopback", IPv4Network("127.0.0.0/8")),
    ("loopback", IPv6Network("::1/128")),
    ("private", IPv4Network("10.0.0.0/8")),
    ("private", IPv4Network("172.16.0.0/12")),
    ("private", IPv4Network("192.168.0.0/16")),
    # Shared address space (RFC 6598): not routed on the internet, and home to some clouds'
    # metadata services (100.100.100.200).
    ("private", IPv4Network("100.64.0.0/10")),
    ("private", IPv6Network("fc00::/7")),  # unique local, AWS's fd00:ec2::254 among them
)
"""Allowed in emulator mode, refused in gateway mode, unless a list says otherwise."""

_SPECIAL = ALWAYS_REFUSED + INTERNAL
_INTERNAL_KINDS = frozenset(kind for kind, _ in INTERNAL)
_NAT64 = IPv6Network("64:ff9b::/96")
_SEPARATORS = re.compile(r"[\s,]+")


def parse_networks(text: str) -> tuple[Network, ...]:
    """CIDR networks separated by commas or spaces (``10.0.0.0/8, fd00::/8``); a bare address
    is a network of one. Raises ValueError naming the entry that is not one."""
    networks = []
    for entry in _SEPARATORS.split(text.strip()):
        if not entry:
            continue
        try:
            networks.append(ip_network(entry))
        except ValueError as exc:
            raise ValueError(f"{entry!r} is not a CIDR network ({exc})") from None
    return tuple(networks)


def reached(address: Address) -> Address:
    """The address a connection to ``address`` reaches: the IPv4 address an IPv4-mapped or
    NAT64 IPv6 address carries, else ``address`` itself."""
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def classify(address: Address) -> str | None:
    """The kind of special address ``address`` reaches (``link-local``, ``loopback``...), or
    None for an ordinary one."""
    target = reached(address)
    for kind, network in _SPECIAL:
        if target.version == network.version and target in network:
            return kind
    return None


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a destination may not be connected to; its text is what an alert says."""

    destination: str
    reason: str

    def __str__(self) -> str:
        return f"destination {self.destination} is not allowed: {self.reason}"


@dataclass(frozen=True, slots=True)
class DestinationPolicy:
    """Which addresses telephonist connects to. The default is emulator mode's."""

    allow_internal: bool = True
    allow: tuple[Network, ...] = ()
    deny: tuple[Network, ...] = ()

    @classmethod
    def for_mode(cls, mode: str, *, allow: str = "", deny: str = "") -> DestinationPolicy:
        """The policy of ``mode`` (``emulator`` or ``gateway``) with the two CIDR lists."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        return cls(mode == EMULATOR, parse_networks(allow), parse_networks(deny))

    def decide(self, address: Address) -> Refusal | None:
        """None when ``address`` may be connected to, else the refusal."""
        kind = classify(address)
        target = reached(address)
        shown = str(address) if target is address else f"{address} ({target})"
        if kind is not None and kind not in _INTERNAL_KINDS:
            return Refusal(shown, kind)
        allowed = _most_specific(self.allow, target)
        denied = _most_specific(self.deny, target)
        if denied is not None and (allowed is None or denied.prefixlen >= allowed.prefixlen):
            return Refusal(shown, f"in outbound_deny ({denied})")
        if allowed is not None:
            return None
        if kind is not None and not self.allow_internal:
            return Refusal(shown, kind)
        return None


def _most_specific(networks: tuple[Network, ...], address: Address) -> Network | None:
    matches = [n for n in networks if n.version == address.version and address in n]
    return max(matches, key=lambda n: n.prefixlen, default=None)
