"""The official npm ``twilio`` SDK against the server: the walk a Node app makes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from twilio.rest import Client

from telephonist.settings import Settings
from telephonist.testing import RunningServer, running_server
from tests.conftest import check_response, database_url_for
from tests.contract.oracle import Spec

pytestmark = pytest.mark.node

NODE_DIR = Path(__file__).parent / "node"


@pytest.fixture(scope="module")
def server(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[RunningServer]:
    """A server on the manual clock: the walk moves time itself (POST /telephonist/v1/Clock)."""
    tmp = tmp_path_factory.mktemp("server")
    with (
        database_url_for(backend, tmp, request) as db,
        running_server(Settings(db=db, data_dir=str(tmp), clock="manual")) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def node() -> str:
    """The node binary, with the pinned SDK installed from package-lock.json if needed."""
    node_bin, npm_bin = shutil.which("node"), shutil.which("npm")
    if node_bin is None or npm_bin is None:
        pytest.skip("Node.js and npm are needed for the npm SDK tests")
    if not (NODE_DIR / "node_modules").is_dir():
        try:
            done = subprocess.run(
                [npm_bin, "ci", "--no-audit", "--no-fund"],
                cwd=NODE_DIR,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            output = [
                o.decode() if isinstance(o, bytes) else o or "" for o in (exc.stdout, exc.stderr)
            ]
            pytest.fail("npm ci timed out after 300 s:\n" + "\n".join(output))
        if done.returncode != 0:
            pytest.fail(f"npm ci failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return node_bin


def run_walk(node: str, server: RunningServer, sender: str) -> dict[str, Any]:
    env = dict(os.environ)
    for name in ("TWILIO_REGION", "TWILIO_EDGE"):
        env.pop(name, None)
    env.update(
        TELEPHONIST_URL=server.base_url,
        ACCOUNT_SID=server.account_sid,
        AUTH_TOKEN=server.auth_token,
        FROM=sender,
    )
    done = subprocess.run(
        [node, "walk.js"],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"walk.js failed:\n{done.stderr}\n{done.stdout}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_node_sdk_walk(node: str, server: RunningServer, client: Client, spec: Spec) -> None:
    """Create, fetch, page, filter, media, errors, numbers, Messaging Services, scheduled
    sends and Lookups v2 all work through twilio-node."""
    sender = str(client.incoming_phone_numbers.create(area_code="415").phone_number)
    out = run_walk(node, server, sender)

    # Every request went to this server, none to api.twilio.com, messaging.twilio.com,
    # lookups.twilio.com or a regional host; all three domains were used.
    origin = urlsplit(server.base_url)
    assert out["requests"]
    assert {urlsplit(url).netloc for _, url, _ in out["requests"]} == {origin.netloc}
    prefixes = {urlsplit(url).path.split("/")[1] for _, url, _ in out["requests"]}
    assert prefixes == {"2010-04-01", "v1", "v2"}

    # Every answer the SDK got (errors included) is one Twilio's OpenAPI description allows.
    responses = out["responses"]
    assert [(m, u) for m, u, _, _ in responses] == [(m, u) for m, u, _ in out["requests"]]
    for method, url, status, body in responses:
        check_response(spec, method, url, status, "" if body == "" else json.dumps(body))

    # Create: seven queued messages from the owned number, all different.
    created = out["created"]
    sids = [m["sid"] for m in created]
    assert len(created) == 7 and len(set(sids)) == 7
    for i, m in enumerate(created):
        assert m["sid"].startswith("MM" if i == 3 else "SM") and len(m["sid"]) == 34
        assert m["from"] == sender and m["status"] == "queued"
    assert created[3]["numMedia"] == "2" and created[0]["numMedia"] == "0"

    # Fetch: the same message back, and its dateCreated parsed to the same instant.
    fetched = out["fetched"]
    assert fetched["sid"] == sids[4] and fetched["body"] == "node 4 héllo €"
    assert fetched["to"] == "+14155550104" and fetched["from"] == sender
    assert fetched["numSegments"] == "1"
    assert fetched["dateCreated"] == created[4]["dateCreated"]

    # The Python SDK sees exactly what Node created.
    python_dates: dict[str, datetime] = {}
    for m in created:
        again = client.messages(m["sid"]).fetch()
        assert again.body == m["body"] and again.to == m["to"] and again.from_ == sender
        assert again.date_created == datetime.fromisoformat(m["dateCreated"])
        python_dates[m["sid"]] = again.date_created
    assert python_dates[sids[4]] == datetime.fromisoformat(fetched["dateCreated"])

    # List with pageSize 3: every page walked, nothing twice, newest first.
    listed = out["listed"]
    assert len(listed) >= 7 and len(set(listed)) == len(listed)
    assert set(sids) <= set(listed)
    ours = [sid for sid in listed if sid in python_dates]
    assert ours == list(reversed(sids))
    dates = [python_dates[sid] for sid in ours]
    assert dates == sorted(dates, reverse=True)
    pages = [
        url
        for method, url, params in out["requests"]
        if method == "GET"
        and urlsplit(url).path.endswith("/Messages.json")
        and "To" not in params
        and "To=" not in url
    ]
    assert len(pages) == -(-len(listed) // 3)  # every page of 3 fetched, no extra request

    # The To filter returns only (and all) messages to that number, newest first.
    assert out["filtered"] == [sids[5], sids[1]]

    # Media: both URLs became Media resources of the right type.
    assert out["mediaMessageSid"] == sids[3]
    media = out["media"]
    assert sorted(m["contentType"] for m in media) == ["image/jpeg", "image/png"]
    assert all(m["parentSid"] == sids[3] and m["sid"].startswith("ME") for m in media)

    # A validation error arrives as a RestException with Twilio's fields.
    error = out["error"]
    assert error is not None
    assert error["code"] == 21602 and error["status"] == 400
    assert error["moreInfo"] == "https://www.twilio.com/docs/errors/21602"
    assert error["message"]

    # Calls: five queued outbound-api calls from the owned number, carrying its SID.
    calls = out["calls"]
    call_sids = [c["sid"] for c in calls]
    assert len(set(call_sids)) == 5
    sender_sid = client.incoming_phone_numbers.list(phone_number=sender)[0].sid
    for c in calls:
        assert c["sid"].startswith("CA") and len(c["sid"]) == 34
        assert (c["from"], c["status"], c["direction"]) == (sender, "queued", "outbound-api")
        assert c["phoneNumberSid"] == sender_sid
    assert [calls[0]["to"], calls[2]["to"]] == [out["callTo"]] * 2

    # Fetch: the same call, its fields and date as the Python SDK reads them.
    fetched_call = out["fetchedCall"]
    assert fetched_call["sid"] == call_sids[1] and fetched_call["to"] == calls[1]["to"]
    assert fetched_call["from"] == sender and fetched_call["apiVersion"] == "2010-04-01"
    to = calls[1]["to"]
    assert fetched_call["toFormatted"] == f"({to[2:5]}) {to[5:8]}-{to[8:]}"
    assert fetched_call["uri"].endswith(f"/Calls/{call_sids[1]}.json")
    assert fetched_call["dateCreated"] == calls[1]["dateCreated"]
    again_call = client.calls(call_sids[1]).fetch()
    assert again_call.date_created == datetime.fromisoformat(calls[1]["dateCreated"])

    # List with pageSize 2: every page walked, each call once; the To filter finds its two.
    listed_calls = out["listedCalls"]
    assert sorted(listed_calls) == sorted(call_sids)
    call_pages = [
        url
        for method, url, params in out["requests"]
        if method == "GET" and urlsplit(url).path.endswith("/Calls.json") and "To" not in params
    ]
    assert len(call_pages) == 3
    assert sorted(out["filteredCalls"]) == sorted([call_sids[0], call_sids[2]])

    # An update through the SDK, and a refused create as a RestException with Twilio's fields.
    assert out["canceledCall"] == {"sid": call_sids[4], "status": "canceled"}
    assert out["callError"] == {
        "code": 21205,
        "status": 400,
        "moreInfo": "https://www.twilio.com/docs/errors/21205",
    }

    # Numbers: buying by area code and searching by area code.
    bought = out["bought"]
    assert bought["phoneNumber"].startswith("+1415") and bought["sid"].startswith("PN")
    owned = client.incoming_phone_numbers(bought["sid"]).fetch()
    assert owned.phone_number == bought["phoneNumber"]
    search = out["search"]
    assert 1 <= len(search) <= 3
    assert all(number.startswith("+1512") for number in search)

    # Messaging Services: three created, a pool number added, listed two per page, oldest
    # first, each once; fetched; updated (the update kept by the server, as Python reads it).
    services = out["services"]
    service_sids = [s["sid"] for s in services]
    assert len(set(service_sids)) == 3
    assert all(sid.startswith("MG") and len(sid) == 34 for sid in service_sids)
    assert [s["friendlyName"] for s in services] == [f"node service {i}" for i in range(3)]
    pool = out["pool"]
    assert out["poolEntry"] == {
        "sid": pool["sid"],
        "serviceSid": service_sids[0],
        "phoneNumber": pool["phoneNumber"],
    }
    assert [n.sid for n in client.messaging.v1.services(service_sids[0]).phone_numbers.list()] == [
        pool["sid"]
    ]
    listed_services = out["listedServices"]
    assert len(set(listed_services)) == len(listed_services)
    assert [sid for sid in listed_services if sid in service_sids] == service_sids
    service_pages = [
        url
        for method, url, _ in out["requests"]
        if method == "GET" and urlsplit(url).path == "/v1/Services"
    ]
    assert len(service_pages) == -(-len(listed_services) // 2) >= 2
    fetched_service = out["fetchedService"]
    assert fetched_service["sid"] == service_sids[0]
    assert fetched_service["friendlyName"] == "node service 0"
    assert fetched_service["stickySender"] is True
    again_service = client.messaging.v1.services(service_sids[0]).fetch()
    assert again_service.date_created == datetime.fromisoformat(fetched_service["dateCreated"])
    assert out["updatedService"] == {
        "sid": service_sids[1],
        "friendlyName": "node service 1 renamed",
        "stickySender": False,
    }
    kept = client.messaging.v1.services(service_sids[1]).fetch()
    assert (kept.friendly_name, kept.sticky_sender) == ("node service 1 renamed", False)

    # A message through the service: accepted with no sender; once the worker ran (the clock
    # advanced by 0), it went from the pool's number and was delivered.
    assert out["serviceMessage"] == {
        "sid": out["serviceMessage"]["sid"],
        "to": out["serviceTo"],
        "from": None,
        "status": "accepted",
        "messagingServiceSid": service_sids[0],
    }
    assert out["routed"] == {
        "sid": out["serviceMessage"]["sid"],
        "from": pool["phoneNumber"],
        "status": "delivered",
        "messagingServiceSid": service_sids[0],
    }

    # Scheduling: both scheduled for two hours from the server's clock; the canceled one
    # stays canceled, the other is still scheduled until the clock reaches SendAt, then
    # delivered from the pool's number.
    now = datetime.fromisoformat(out["clockNow"].replace("Z", "+00:00"))
    send_at = datetime.fromisoformat(out["sendAt"].replace("Z", "+00:00"))
    assert send_at - now == timedelta(hours=2)
    scheduled = out["scheduled"]
    assert [(m["from"], m["status"]) for m in scheduled] == [(None, "scheduled")] * 2
    first, second = (m["sid"] for m in scheduled)
    assert out["canceled"] == {"sid": second, "status": "canceled"}
    assert out["beforeDue"] == {"sid": first, "status": "scheduled"}
    after = datetime.fromisoformat(out["afterClock"].replace("Z", "+00:00"))
    assert after >= send_at
    assert out["dueMessages"] == [
        {"sid": first, "from": pool["phoneNumber"], "status": "delivered"},
        {"sid": second, "from": None, "status": "canceled"},
    ]
    assert client.messages(second).fetch().status == "canceled"

    # Lookups v2 with the line type package (twilio-node 6 camel-cases the package's keys).
    assert out["lookup"] == {
        "phoneNumber": "+14155550100",
        "valid": True,
        "countryCode": "US",
        "callingCountryCode": "1",
        "nationalFormat": "(415) 555-0100",
        "lineTypeIntelligence": {
            "mobileCountryCode": None,
            "mobileNetworkCode": None,
            "carrierName": None,
            "type": "mobile",
            "errorCode": None,
        },
        "callerName": None,
    }
