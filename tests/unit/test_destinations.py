"""The outbound destination policy as a pure function of an address, and its settings."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephonist.domain.destinations import (
    ALWAYS_REFUSED,
    INTERNAL,
    Address,
    DestinationPolicy,
    Network,
    classify,
    parse_networks,
)
from telephonist.settings import SettingError, Settings

EMULATOR = DestinationPolicy.for_mode("emulator")
GATEWAY = DestinationPolicy.for_mode("gateway")


def within(network: Network) -> st.SearchStrategy[Address]:
    """Any address of ``network``."""
    first, last = int(network.network_address), int(network.broadcast_address)
    kind = IPv4Address if network.version == 4 else IPv6Address
    return st.integers(first, last).map(kind)


def mapped(address: IPv4Address) -> IPv6Address:
    return IPv6Address(f"::ffff:{address}")


def any_of(ranges: tuple[tuple[str, Network], ...]) -> st.SearchStrategy[Address]:
    return st.one_of(*(within(network) for _, network in ranges))


networks = st.one_of(
    st.builds(
        lambda a, p: IPv4Network((a, p), strict=False),
        st.integers(0, 2**32 - 1),
        st.integers(0, 32),
    ),
    st.builds(
        lambda a, p: IPv6Network((a, p), strict=False),
        st.integers(0, 2**128 - 1),
        st.integers(0, 128),
    ),
)
every_network = (IPv4Network("0.0.0.0/0"), IPv6Network("::/0"))


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 reaches the IPv4 address it carries
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.31.255.255", "private"),
        ("192.168.0.1", "private"),
        ("100.100.100.200", "private"),
        ("fd00:ec2::254", "private"),
        ("172.32.0.1", None),
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_classify(address: str, kind: str | None) -> None:
    assert classify(ip_address(address)) == kind


@pytest.mark.parametrize(
    ("address", "emulator", "gateway"),
    [
        ("169.254.169.254", "link-local", "link-local"),
        ("0.0.0.0", "unspecified", "unspecified"),
        ("127.0.0.1", None, "loopback"),
        ("10.0.0.5", None, "private"),
        ("fc00::5", None, "private"),
        ("93.184.215.14", None, None),
    ],
)
def test_each_mode_default(address: str, emulator: str | None, gateway: str | None) -> None:
    """Emulator mode allows loopback and private networks, gateway mode refuses them; both
    refuse link-local and unspecified addresses and allow public ones."""
    for policy, reason in ((EMULATOR, emulator), (GATEWAY, gateway)):
        refusal = policy.decide(ip_address(address))
        assert (refusal.reason if refusal else None) == reason
        if refusal:
            assert str(refusal) == f"destination {address} is not allowed: {reason}"


def test_the_more_specific_list_entry_decides() -> None:
    """Allow and deny both hold an address: the longer prefix wins; a tie refuses."""
    policy = DestinationPolicy.for_mode(
        "gateway", allow="10.1.0.0/16, 10.9.9.9/32", deny="10.0.0.0/8 10.9.0.0/16,10.1.2.3"
    )
    assert policy.decide(ip_address("10.1.7.7")) is None  # /16 allowed beats /8 denied
    refusal = policy.decide(ip_address("10.1.2.3"))  # /32 denied beats /16 allowed
    assert refusal is not None and refusal.reason == "in outbound_deny (10.1.2.3/32)"
    assert policy.decide(ip_address("10.9.9.9")) is None
    denied = policy.decide(ip_address("10.2.0.1"))
    assert denied is not None and denied.reason == "in outbound_deny (10.0.0.0/8)"
    tie = DestinationPolicy.for_mode("emulator", allow="192.168.0.0/16", deny="192.168.0.0/16")
    assert tie.decide(ip_address("192.168.1.1")) is not None
    assert GATEWAY.decide(ip_address("10.1.7.7")) is not None  # without the lists: private


def test_deny_reaches_public_addresses_and_an_allow_list_can_be_the_only_way_out() -> None:
    only = DestinationPolicy.for_mode("gateway", allow="203.0.113.0/24", deny="0.0.0.0/0,::/0")
    assert only.decide(ip_address("203.0.113.9")) is None
    assert only.decide(ip_address("8.8.8.8")) is not None
    assert only.decide(ip_address("2001:db8::1")) is not None


def test_an_ipv4_mapped_address_is_judged_as_its_ipv4_address() -> None:
    policy = DestinationPolicy.for_mode("gateway", allow="127.0.0.1")
    assert policy.decide(ip_address("::ffff:127.0.0.1")) is None
    refusal = GATEWAY.decide(ip_address("::ffff:10.0.0.1"))
    assert refusal is not None
    assert str(refusal) == "destination ::ffff:a00:1 (10.0.0.1) is not allowed: private"


@given(
    address=any_of(ALWAYS_REFUSED),
    allow=st.lists(networks, max_size=4),
    mode=st.sampled_from(["emulator", "gateway"]),
)
def test_always_refused_whatever_the_allow_list(
    address: Address, allow: list[Network], mode: str
) -> None:
    """Any link-local, multicast, unspecified or broadcast address, and its IPv4-mapped form,
    is refused in any mode, even with everything (or that very address) allowed."""
    allowed = [*allow, *every_network, ip_network(address)]
    policy = DestinationPolicy(mode == "emulator", tuple(allowed), ())
    kind = classify(address)
    refusal = policy.decide(address)
    assert refusal is not None and refusal.reason == kind
    if isinstance(address, IPv4Address):
        mapped_refusal = policy.decide(mapped(address))
        assert mapped_refusal is not None and mapped_refusal.reason == kind


@given(address=any_of(INTERNAL))
def test_internal_addresses_depend_on_the_mode(address: Address) -> None:
    """Loopback and private addresses (and their IPv4-mapped forms): allowed in emulator mode,
    refused in gateway mode, unless a list says otherwise."""
    forms = [address, mapped(address)] if isinstance(address, IPv4Address) else [address]
    for form in forms:
        assert EMULATOR.decide(form) is None
        refusal = GATEWAY.decide(form)
        assert refusal is not None and refusal.reason == classify(address)
        allowed = DestinationPolicy(False, (ip_network(address),), ())
        assert allowed.decide(form) is None
        denied = DestinationPolicy(True, (), (ip_network(address),))
        assert denied.decide(form) is not None


@given(address=st.one_of(within(every_network[0]), within(every_network[1])))
def test_ordinary_addresses_are_allowed_in_both_modes(address: Address) -> None:
    if classify(address) is None:
        assert EMULATOR.decide(address) is None and GATEWAY.decide(address) is None
    else:
        assert GATEWAY.decide(address) is not None


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", ()),
        ("  ", ()),
        ("10.0.0.0/8", (IPv4Network("10.0.0.0/8"),)),
        (
            "10.0.0.0/8,fd00::/8 127.0.0.1",
            (ip_network("10.0.0.0/8"), ip_network("fd00::/8"), ip_network("127.0.0.1/32")),
        ),
        (
            " 10.0.0.0/8 ,\n192.168.0.0/16, ",
            (ip_network("10.0.0.0/8"), ip_network("192.168.0.0/16")),
        ),
    ],
)
def test_parse_networks(text: str, parsed: tuple[Network, ...]) -> None:
    assert parse_networks(text) == parsed


@pytest.mark.parametrize("text", ["10.0.0.300/8", "10.1.2.3/8", "localhost", "10/8"])
def test_parse_networks_names_the_bad_entry(text: str) -> None:
    with pytest.raises(ValueError, match=f"'{text}' is not a CIDR network"):
        parse_networks(f"192.168.0.0/16,{text}")


def test_settings_make_the_policy() -> None:
    settings = Settings.from_env(
        {
            "TELEPHONIST_MODE": "Gateway",
            "TELEPHONIST_OUTBOUND_ALLOW": "10.1.0.0/16",
            "TELEPHONIST_OUTBOUND_DENY": "10.1.2.0/24",
        }
    )
    assert settings.mode == "gateway"
    assert settings.destination_policy == DestinationPolicy(
        False, (ip_network("10.1.0.0/16"),), (ip_network("10.1.2.0/24"),)
    )
    assert Settings().destination_policy == DestinationPolicy()  # emulator mode, no lists


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TELEPHONIST_MODE": "proxy"}, "TELEPHONIST_MODE must be one of emulator, gateway"),
        (
            {"TELEPHONIST_OUTBOUND_ALLOW": "10.0.0.0/8,10.0.0.300"},
            "TELEPHONIST_OUTBOUND_ALLOW must be CIDR networks, comma-separated: '10.0.0.300'",
        ),
        (
            {"TELEPHONIST_OUTBOUND_DENY": "127.0.0.1/8"},
            "TELEPHONIST_OUTBOUND_DENY must be CIDR networks, comma-separated: '127.0.0.1/8'",
        ),
    ],
)
def test_bad_policy_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingError) as caught:
        Settings.from_env(env)
    assert message in str(caught.value)
