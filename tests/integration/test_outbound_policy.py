"""The outbound destination policy at the network edge: what is refused is never connected to.

Every test runs on an event loop that records each connection attempt (``sock_connect``, where
asyncio's ``create_connection`` and aiohttp's connector both end up) and each name lookup, and
answers names under ``.test`` from a table the test writes: DNS the test controls. So
"refused" is shown as "no connect was made", even for link-local addresses no test can listen
on; where a loopback listener can stand in, its count of accepted connections says it too.
The loop really connects to loopback only: were the policy broken, a test would record the
attempt and fail, never reach a metadata service.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import re
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from telephonist.domain.destinations import DestinationPolicy
from telephonist.twiml.messaging import messaging_planner
from telephonist.webhooks.delivery import WebhookClient
from telephonist.webhooks.fetcher import fetch_twiml
from telephonist.webhooks.media import MediaError, fetch_media
from telephonist.webhooks.resolver import DestinationRefused, Resolver
from tests.integration.test_transport import OK, Answer, Scripted, fixed

EMULATOR = DestinationPolicy.for_mode("emulator")
GATEWAY = DestinationPolicy.for_mode("gateway")
METADATA = "169.254.169.254 is not allowed: link-local"
PNG = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 4\r\n\r\n\x89PNG"


class Watched(asyncio.SelectorEventLoop):
    """An event loop that records every connect and lookup made on it; ``dns`` answers names
    (each entry a list of successive answers, the last one repeating). Connections anywhere
    but loopback are recorded and refused, not made."""

    def __init__(self) -> None:
        super().__init__()
        self.connects: list[tuple[str, int]] = []
        self.lookups: list[str] = []
        self.dns: dict[str, list[list[str]]] = {}

    async def sock_connect(self, sock: socket.socket, address: Any) -> None:
        self.connects.append((address[0], address[1]))
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "tests connect to loopback only")
        await super().sock_connect(sock, address)

    async def getaddrinfo(self, host: Any, port: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        self.lookups.append(name)
        answers = self.dns.get(name)
        if answers is None:
            return await super().getaddrinfo(host, port, **kwargs)
        addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port))
            for a in addresses
        ]


def watched(main: Callable[[Watched], Coroutine[Any, Any, Any]]) -> Any:
    with asyncio.Runner(loop_factory=Watched) as runner:
        loop = runner.get_loop()
        assert isinstance(loop, Watched)
        return runner.run(main(loop))


async def webhook(url: str, policy: DestinationPolicy) -> tuple[int | None, str]:
    """A webhook POST to ``url``: its error code (None: it worked) and the alert's text."""
    client = WebhookClient(timeout=2, policy=policy)
    try:
        attempt = await client.send(url, "POST", [("A", "1")], auth_token="t" * 32, event="e")
    finally:
        await client.aclose()
    return attempt.error_code, attempt.error_text


async def media(url: str, policy: DestinationPolicy) -> tuple[int | None, str]:
    """A media download from ``url``: its error code (None: it worked) and the error's text."""
    client = WebhookClient(timeout=2, policy=policy)
    try:
        await fetch_media(client, url)
    except MediaError as exc:
        return exc.code, str(exc)
    finally:
        await client.aclose()
    return None, ""


CLIENTS = [pytest.param(webhook, id="webhook"), pytest.param(media, id="media")]
Client = Callable[[str, DestinationPolicy], Coroutine[Any, Any, tuple[int | None, str]]]


def _mode(policy: DestinationPolicy) -> str:
    return "emulator" if policy.allow_internal else "gateway"


REFUSED = [
    # (host as spelled in the URL, mode, what the refusal says)
    ("0xA9FEA9FE", EMULATOR, METADATA),
    ("0xA9.0xFE.0xA9.0xFE", EMULATOR, METADATA),
    ("169.254.169.254", EMULATOR, METADATA),
    (
        "[::ffff:169.254.169.254]",
        EMULATOR,
        "::ffff:a9fe:a9fe (169.254.169.254) is not allowed: link-local",
    ),
    ("[fe80::1]", EMULATOR, "fe80::1 is not allowed: link-local"),
    ("metadata.test", EMULATOR, METADATA),
    ("169.254.169.254", GATEWAY, METADATA),
]
# All digits and dots but not a dotted quad: aiohttp refuses these itself, before the policy
# sees them (test_numeric_spellings_are_read_as_the_system_reads_them shows the policy's own
# reading, which holds where aiohttp would not refuse), so the webhook transport alone is shown.
WEBHOOK_ONLY = [("2852039166", EMULATOR, METADATA), ("0251.0376.0251.0376", EMULATOR, METADATA)]
TABLE = [
    *[pytest.param(webhook, *row, id=f"{row[0]}-{_mode(row[1])}-webhook") for row in REFUSED],
    *[pytest.param(media, *row, id=f"{row[0]}-{_mode(row[1])}-media") for row in REFUSED],
    *[pytest.param(webhook, *row, id=f"{row[0]}-{_mode(row[1])}-webhook") for row in WEBHOOK_ONLY],
]


@pytest.mark.parametrize(("client", "host", "policy", "reason"), TABLE)
def test_metadata_spellings_are_refused_unconnected(
    client: Client, host: str, policy: DestinationPolicy, reason: str
) -> None:
    """Every spelling of the metadata address, and a name resolving to it, fails with 11205
    and says why, in either mode, and no connection is attempted."""

    async def main(loop: Watched) -> None:
        loop.dns["metadata.test"] = [["169.254.169.254"]]
        code, text = await client(f"http://{host}/latest/meta-data/", policy)
        assert code == 11205
        assert reason in text
        assert loop.connects == []

    watched(main)


@pytest.mark.parametrize(
    "spelling", ["2852039166", "0251.0376.0251.0376", "0xA9FEA9FE", "0xA9.0xFE.0xA9.0xFE"]
)
def test_numeric_spellings_are_read_as_the_system_reads_them(spelling: str) -> None:
    """The media client's last check before each connect judges what a socket given this
    spelling would connect to, and refuses a name (it would be resolved again)."""
    resolver = Resolver(EMULATOR)
    with pytest.raises(DestinationRefused) as caught:
        resolver.check_numeric(spelling)
    assert str(caught.value) == f"destination {METADATA}"
    assert str(resolver.check_numeric("0x7f000001")) == "127.0.0.1"
    with pytest.raises(DestinationRefused, match="localhost is not allowed: not a resolved"):
        resolver.check_numeric("localhost")


LOOPBACK_REFUSED = [
    ("0.0.0.0", EMULATOR, r"destination 0\.0\.0\.0 is not allowed: unspecified"),
    ("0x7f000001", GATEWAY, r"destination 127\.0\.0\.1 is not allowed: loopback"),
    ("localhost", GATEWAY, r"destination (127\.0\.0\.1|::1) is not allowed: loopback"),
    ("127.0.0.1", GATEWAY, r"destination 127\.0\.0\.1 is not allowed: loopback"),
    (
        "127.0.0.1",
        DestinationPolicy.for_mode("emulator", deny="127.0.0.1"),
        r"127\.0\.0\.1 is not allowed: in outbound_deny \(127\.0\.0\.1/32\)",
    ),
]


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize(
    ("host", "policy", "reason"),
    LOOPBACK_REFUSED,
    ids=["0.0.0.0", "hex-gateway", "localhost-gateway", "127.0.0.1-gateway", "denied"],
)
def test_refused_loopback_spellings_reach_no_listener(
    client: Client, host: str, policy: DestinationPolicy, reason: str
) -> None:
    """A listener on loopback, addressed in ways the policy refuses, accepts nothing."""

    async def main(loop: Watched) -> None:
        async with Scripted(fixed(PNG)) as server:
            port = server.url.split(":")[2].split("/")[0]
            code, text = await client(f"http://{host}:{port}/x.png", policy)
            assert code == 11205
            assert re.search(reason, text), text
            assert server.connections == 0 and loop.connects == []

    watched(main)


ALLOWED = [
    ("127.0.0.1", EMULATOR),
    ("0x7f000001", EMULATOR),
    ("localhost", EMULATOR),
    ("127.0.0.1", DestinationPolicy.for_mode("gateway", allow="127.0.0.0/8")),
    ("127.0.0.1", DestinationPolicy.for_mode("emulator", allow="127.0.0.1", deny="127.0.0.0/8")),
]


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize(
    ("host", "policy"),
    ALLOWED,
    ids=["emulator", "hex-emulator", "localhost-emulator", "gateway-allowed", "allow-wins"],
)
def test_allowed_destinations_are_fetched(
    client: Client, host: str, policy: DestinationPolicy
) -> None:
    """Loopback in emulator mode, or wherever ``outbound_allow`` says, is fetched as before."""

    async def main(loop: Watched) -> None:
        async with Scripted(fixed(PNG)) as server:
            port = int(server.url.split(":")[2].split("/")[0])
            code, text = await client(f"http://{host}:{port}/x.png", policy)
            assert (code, text) == (None, "")
            assert server.connections == 1
            assert loop.connects == [("127.0.0.1", port)]

    watched(main)


def redirect_to(location: str) -> Answer:
    async def answer(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(
            b"HTTP/1.1 302 Found\r\nLocation: "
            + location.encode()
            + b"\r\nContent-Length: 0\r\n\r\n"
        )
        return True

    return answer


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", METADATA),
        ("http://[::ffff:169.254.169.254]/latest/", "(169.254.169.254) is not allowed: link-local"),
        ("http://metadata.test/latest/", METADATA),
    ],
    ids=["literal", "ipv4-mapped", "name"],
)
def test_a_redirect_from_an_allowed_app_to_metadata_is_not_followed(
    client: Client, location: str, reason: str
) -> None:
    """An allowed loopback app answering 302 to the metadata service: the hop is refused."""

    async def main(loop: Watched) -> None:
        loop.dns["metadata.test"] = [["169.254.169.254"]]
        async with Scripted(redirect_to(location)) as server:
            port = int(server.url.split(":")[2].split("/")[0])
            code, text = await client(server.url, EMULATOR)
            assert code == 11205
            assert reason in text
            assert len(server.requests) == 1
            assert loop.connects == [("127.0.0.1", port)]

    watched(main)


def test_a_twiml_redirect_to_metadata_is_an_11205_alert() -> None:
    """``<Redirect>`` to 169.254.169.254 from an allowed app: the hop fails with 11205 and the
    reason, and is never connected to."""
    document = b"<Response><Redirect>http://169.254.169.254/latest/</Redirect></Response>"
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n%s" % (
        len(document),
        document,
    )

    async def main(loop: Watched) -> None:
        async with Scripted(fixed(answer)) as server:
            port = int(server.url.split(":")[2].split("/")[0])
            client = WebhookClient(timeout=2, policy=EMULATOR)
            try:
                result = await fetch_twiml(
                    client,
                    messaging_planner("+14155550100", "+14155550199"),
                    url=server.url,
                    method="POST",
                    params=[("Body", "hi")],
                    auth_token="t" * 32,
                    event="SM1:inbound",
                    now=1_700_000_000_000_000,
                )
            finally:
                await client.aclose()
            assert [code for _, code, _ in result.attempts] == [None, 11205]
            refused = result.attempts[-1][0]
            assert refused.url == "http://169.254.169.254/latest/"
            assert refused.error_text == f"destination {METADATA}"
            assert loop.connects == [("127.0.0.1", port)]

    watched(main)


@pytest.mark.parametrize("client", CLIENTS)
def test_the_address_checked_is_the_address_connected(client: Client) -> None:
    """A name is looked up once per connection and the connection goes to the address that
    was checked: a DNS answer that changes afterwards (rebinding) is not asked again. The next
    connection asks again and is refused."""

    async def main(loop: Watched) -> None:
        loop.dns["rebind.test"] = [["127.0.0.1"], ["169.254.169.254"]]
        async with Scripted(fixed(PNG)) as server:
            port = int(server.url.split(":")[2].split("/")[0])
            url = f"http://rebind.test:{port}/x.png"
            assert await client(url, EMULATOR) == (None, "")
            assert loop.connects == [("127.0.0.1", port)]
            assert loop.lookups.count("rebind.test") == 1
            code, text = await client(url, EMULATOR)
            assert code == 11205 and METADATA in text
            assert loop.connects == [("127.0.0.1", port)]
            assert server.connections == 1

    watched(main)


@pytest.mark.parametrize("client", CLIENTS)
def test_one_refused_address_refuses_the_name(client: Client) -> None:
    """A name answering with an allowed and a refused address is refused as a whole, before
    any connection: the allowed one is not tried either."""

    async def main(loop: Watched) -> None:
        loop.dns["mixed.test"] = [["127.0.0.1", "169.254.169.254"]]
        async with Scripted(fixed(PNG)) as server:
            port = int(server.url.split(":")[2].split("/")[0])
            code, text = await client(f"http://mixed.test:{port}/x.png", EMULATOR)
            assert code == 11205 and METADATA in text
            assert server.connections == 0 and loop.connects == []

    watched(main)


def test_the_next_address_is_tried_when_one_fails() -> None:
    """As before the policy: when a name's first address does not answer, the next is tried."""

    async def main(loop: Watched) -> None:
        async with Scripted(fixed(OK)) as server:
            port = int(server.url.split(":")[2].split("/")[0])
            # 127.0.0.2: loopback too, but the listener is bound to 127.0.0.1 only.
            loop.dns["two.test"] = [["127.0.0.2", "127.0.0.1"]]
            code, _ = await webhook(f"http://two.test:{port}/hook", EMULATOR)
            assert code is None
            assert loop.connects == [("127.0.0.2", port), ("127.0.0.1", port)]

    watched(main)
