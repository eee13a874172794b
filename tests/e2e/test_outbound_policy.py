"""The outbound destination policy, end to end: what users see when a URL points somewhere
telephonist will not go.

A refused SmsUrl, StatusCallback, redirect hop or MediaUrl fails as an unreachable one does
(11205), its alert says which address was refused and why, and nothing is connected to: a
loopback listener that counts the connections it accepts stands in for the refused host where
one can (the integration tests show the same for link-local addresses, which no test can
listen on). Link-local URLs here use port 9 and harmless paths: were the policy broken, the
server would connect, and must not ask a real metadata service for anything. The handset
control API answers a failed media fetch with the code and its title
only, so it cannot be used to map the network behind the server.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs

import pytest
from starlette.responses import Response
from twilio.twiml.messaging_response import MessagingResponse

from telephonist.settings import Settings
from telephonist.testing import running_server
from tests.conftest import database_url_for, make_http, sdk_client
from tests.contract.oracle import Spec
from tests.e2e.app import running_app
from tests.e2e.conftest import Sim

METADATA = "destination 169.254.169.254 is not allowed: link-local"


@dataclass
class Listener:
    """A loopback port that accepts connections and never answers; it counts what it got."""

    sock: socket.socket

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def accepted(self) -> int:
        """Connections that arrived since the last call (the kernel queues them for us)."""
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def prove_counting(self) -> None:
        """The counter sees a connection when one is made: its zeros mean something."""
        socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
        assert self.accepted() == 1


@contextmanager
def listener() -> Iterator[Listener]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        sock.setblocking(False)
        yield Listener(sock)


def alerts_for(sim: Sim, url: str) -> list[tuple[str, str]]:
    """(error code, Msg) of each alert recorded for a request to ``url``."""
    return [
        (a.error_code, parse_qs(a.message_text)["Msg"][0])
        for a in sim.client.notifications.list()
        if a.request_url == url
    ]


def test_an_sms_url_at_the_metadata_service_is_an_11205_alert(sim: Sim) -> None:
    """An SmsUrl spelling 169.254.169.254 as a number: one 11205 alert naming the address,
    not retried, and no reply."""
    url = "http://2852039166:9/sms"
    number = sim.number(sms_url=url)
    handset = "+13035550171"
    assert sim.text(handset, number, "hello").status_code == 201
    sim.advance(0)
    assert alerts_for(sim, url) == [("11205", METADATA)]
    assert sim.inbox(handset) == []


def test_a_status_callback_at_the_metadata_service_is_an_11205_alert(sim: Sim) -> None:
    """The message is delivered as usual; its callbacks to an IPv4-mapped spelling of the
    metadata address become alerts instead of requests."""
    url = "http://[::ffff:169.254.169.254]:9/callback"
    sent = sim.client.messages.create(
        to="+13035550172", from_=sim.number(), body="hi", status_callback=url
    )
    sim.advance(0)
    assert sim.client.messages(sent.sid).fetch().status == "delivered"
    reason = "destination ::ffff:a9fe:a9fe (169.254.169.254) is not allowed: link-local"
    assert alerts_for(sim, url) == [("11205", reason), ("11205", reason)]  # sent, delivered


def test_redirects_from_an_allowed_app_to_the_metadata_service(sim: Sim) -> None:
    """The app (on loopback, allowed in emulator mode) answers with an HTTP redirect, or with
    TwiML's <Redirect>, to the metadata service: the hop is refused with 11205."""
    metadata = "http://169.254.169.254:9/next"
    sim.app.on("/moved", lambda hit: Response(status_code=302, headers={"location": metadata}))

    def redirect(hit: object) -> str:
        twiml = MessagingResponse()
        twiml.redirect(metadata)
        return str(twiml)

    sim.app.on("/redirect", redirect)
    moved = sim.number(sms_url=sim.app.url("/moved"))
    redirecting = sim.number(sms_url=sim.app.url("/redirect"))
    sim.text("+13035550173", moved, "a")
    sim.text("+13035550174", redirecting, "b")
    sim.advance(0)
    assert alerts_for(sim, sim.app.url("/moved")) == [("11205", METADATA)]
    assert alerts_for(sim, metadata) == [("11205", METADATA)]
    assert len(sim.app.at("/moved")) == 1 and len(sim.app.at("/redirect")) == 1


def test_outbound_media_at_the_metadata_service_fails_the_message(sim: Sim) -> None:
    """A MediaUrl pointing at link-local fails the message with the media fetch's 11205."""
    sent = sim.client.messages.create(
        to="+13035550175",
        from_=sim.number(),
        media_url=["http://0xA9FEA9FE:9/picture.png"],
    )
    sim.advance(0)
    failed = sim.client.messages(sent.sid).fetch()
    assert (failed.status, failed.error_code) == ("failed", 11205)


def test_the_handset_api_answers_failed_media_fetches_with_the_code_only(sim: Sim) -> None:
    """Refused, closed or answering: the answer is the code and its title, never the address
    a name has, the connect error or what the port said."""
    number = sim.number()
    sim.app.on("/missing.png", lambda hit: Response("no such thing", status_code=404))
    with listener() as closed:
        closed_url = f"http://127.0.0.1:{closed.port}/x.png"
    cases = [
        ("http://169.254.169.254:9/x.png", 11205, "HTTP connection failure"),
        (closed_url, 11205, "HTTP connection failure"),
        (sim.app.url("/missing.png"), 11200, "HTTP retrieval failure"),
    ]
    for url, code, title in cases:
        response = sim.text("+13035550176", number, "look", MediaUrl=url)
        assert response.status_code == 400, response.text
        body = response.json()
        assert (body["code"], body["status"]) == (code, 400)
        assert body["message"] == f"MediaUrl {url} could not be fetched: {title}"


@dataclass
class Gateway:
    sim: Sim
    listener: Listener


@pytest.fixture(scope="module")
def gateway(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    spec: Spec,
    request: pytest.FixtureRequest,
) -> Iterator[Gateway]:
    """A server in gateway mode, and a loopback listener it must not connect to."""
    tmp = tmp_path_factory.mktemp("gateway")
    with database_url_for(backend, tmp, request) as db:
        settings = Settings(
            db=db,
            data_dir=str(tmp),
            clock="manual",
            webhook_timeout=1.0,
            mode="gateway",
            a2p_enforcement="off",  # these tests count alerts; A2P has tests of its own
        )
        with (
            running_server(settings) as server,
            running_app(server.auth_token) as app,
            make_http(server, spec, (server.account_sid, server.auth_token)) as http,
            listener() as port,
        ):
            yield Gateway(Sim(server, app, sdk_client(server, spec), http), port)


@pytest.mark.parametrize(
    ("host", "address"),
    [("localhost", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("127.0.0.1", "127.0.0.1")],
)
def test_gateway_mode_refuses_loopback(gateway: Gateway, host: str, address: str) -> None:
    """In gateway mode an SmsUrl, a StatusCallback, a message's MediaUrl and a handset's
    MediaUrl on loopback are refused, however spelled; the listener there accepts nothing."""
    sim, port = gateway.sim, gateway.listener.port
    reason = f"destination {address} is not allowed: loopback"
    sms_url = f"http://{host}:{port}/sms"
    callback = f"http://{host}:{port}/status"
    number = sim.number(sms_url=sms_url)
    sim.text("+13035550177", number, "hi")
    sent = sim.client.messages.create(
        to="+13035550178", from_=number, body="hi", status_callback=callback
    )
    mms = sim.client.messages.create(
        to="+13035550178", from_=sim.number(), media_url=[f"http://{host}:{port}/picture.png"]
    )
    media = sim.text("+13035550179", number, "x", MediaUrl=f"http://{host}:{port}/x.png")
    sim.advance(0)
    assert (media.status_code, media.json()["code"]) == (400, 11205)
    failed = sim.client.messages(mms.sid).fetch()
    assert (failed.status, failed.error_code) == ("failed", 11205)
    assert alerts_for(sim, sms_url) == [("11205", reason)]
    assert alerts_for(sim, callback) == [("11205", reason), ("11205", reason)]
    assert sim.client.messages(sent.sid).fetch().status == "delivered"
    assert gateway.listener.accepted() == 0
    gateway.listener.prove_counting()


def test_gateway_mode_gives_each_refusal_its_own_reason(gateway: Gateway) -> None:
    """An always-refused address says why it is refused (unspecified), not loopback's reason,
    though 0.0.0.0 would reach this host."""
    sim = gateway.sim
    url = "http://0.0.0.0:9/sms"
    number = sim.number(sms_url=url)
    sim.text("+13035550180", number, "hi")
    sim.advance(0)
    assert alerts_for(sim, url) == [("11205", "destination 0.0.0.0 is not allowed: unspecified")]
