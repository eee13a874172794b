"""``telephonist bulk`` through the CLI against a real server on a loopback port.

The server's clock is manual, so nothing is delivered until a test moves it, and every test
uses its own recipients, so the server is shared without tests seeing each other's messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from typer.testing import CliRunner

from telephonist.bulk import plan, results
from telephonist.bulk.send import Api, default_rate, send_file
from telephonist.cli import cli
from telephonist.settings import Settings
from telephonist.testing import RunningServer, running_server

FROM = "+15005550006"  # Twilio's test From: always accepted, no number to buy


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data = tmp_path_factory.mktemp("bulk")
    with running_server(Settings(data_dir=str(data), clock="manual")) as running:
        yield running


def http(server: RunningServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url, auth=(server.account_sid, server.auth_token), timeout=30
    )


def bulk(server: RunningServer, *args: str) -> tuple[int, str]:
    env = {
        "TELEPHONIST_PUBLIC_URL": server.base_url,
        "TELEPHONIST_ACCOUNT_SID": server.account_sid,
        "TELEPHONIST_AUTH_TOKEN": server.auth_token,
    }
    result = CliRunner().invoke(cli, ["bulk", *args], env=env)
    return result.exit_code, result.output


def messages_to(server: RunningServer, to: str) -> list[dict[str, str]]:
    with http(server) as client:
        response = client.get(
            f"/2010-04-01/Accounts/{server.account_sid}/Messages.json",
            params={"To": to, "PageSize": "1000"},
        )
    assert response.status_code == 200, response.text
    found: list[dict[str, str]] = response.json()["messages"]
    return found


def recipients(tmp_path: Path, block: int, count: int) -> tuple[Path, list[str]]:
    """A CSV of ``count`` recipients no other test uses (``block`` picks them)."""
    numbers = [f"+1415555{block:02d}{i:02d}" for i in range(count)]
    path = tmp_path / "people.csv"
    path.write_text("to,name\n" + "".join(f"{n},P{i}\n" for i, n in enumerate(numbers)))
    return path, numbers


def read(path: Path) -> list[results.Result]:
    return sorted(results.read_results(path).values(), key=lambda r: r.row)


def test_send_fills_the_template_and_writes_results(server: RunningServer, tmp_path: Path) -> None:
    """One message per row, its body from the template, and one result line per row."""
    path, numbers = recipients(tmp_path, 10, 3)
    code, out = bulk(
        server, "send", str(path), "--from", FROM, "--body", "Hi {name}!", "--rate", "1000"
    )
    assert code == 0, out
    assert "3 rows this run" in out
    rows = read(tmp_path / "people.results.csv")
    assert [(r.row, r.to, r.status) for r in rows] == [
        (i + 1, n, "queued") for i, n in enumerate(numbers)
    ]
    for i, (number, row) in enumerate(zip(numbers, rows, strict=True)):
        [message] = messages_to(server, number)
        assert (message["sid"], message["body"]) == (row.sid, f"Hi P{i}!")


def test_body_column_to_column_and_results_path(server: RunningServer, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("phone,text\n+14155551100,first {not a field}\n+14155551101,second\n")
    out_path = tmp_path / "out.csv"
    code, out = bulk(
        server,
        "send",
        str(path),
        "--from",
        FROM,
        "--body-column",
        "text",
        "--to-column",
        "phone",
        "--results",
        str(out_path),
        "--rate",
        "1000",
        "--quiet",
    )
    assert code == 0, out
    assert out == ""
    assert [m["body"] for m in messages_to(server, "+14155551100")] == ["first {not a field}"]
    assert [r.sid[:2] for r in read(out_path)] == ["SM", "SM"]


def test_bad_rows_are_reported_and_the_run_goes_on(server: RunningServer, tmp_path: Path) -> None:
    """Invalid (21211), opted out (21610) and duplicate rows are results, not a stop."""
    path = tmp_path / "mixed.csv"
    path.write_text(
        "to,name\n+15005550001,bad\n+14155551200,ok\n+15005550004,stopped\n"
        "+1 415 555 1200,again\n,nobody\n+14155551201,ok2\n"
    )
    code, out = bulk(
        server, "send", str(path), "--from", FROM, "--body", "Hi {name}", "--rate", "1000"
    )
    assert code == 0, out
    got = [(r.status, r.error_code) for r in read(tmp_path / "mixed.results.csv")]
    assert got == [
        ("rejected", "21211"),
        ("queued", ""),
        ("rejected", "21610"),
        ("rejected", "duplicate"),
        ("rejected", "missing-to"),
        ("queued", ""),
    ]
    assert len(messages_to(server, "+14155551200")) == 1


@pytest.mark.parametrize(
    ("content", "body", "message"),
    [
        (b"to,name\n+14155551300,A\n", "Hi {nmae}", "no column 'nmae'"),
        (b"to,name\n+14155551301,A\n+14155551399,B,C\n", "Hi {name}", r"row 2 \(line 3\)"),
        (
            "to,name\n+14155551302,A\n+14155551399,Zoë\n".encode("latin-1"),
            "Hi {name}",
            r"not UTF-8 \(line 3",
        ),
    ],
    ids=["missing column", "broken row", "latin-1"],
)
def test_a_bad_file_sends_nothing(
    server: RunningServer, tmp_path: Path, content: bytes, body: str, message: str
) -> None:
    """The whole file is checked first: exit 2, the place named, no message (not even for
    the good row before the bad one), no results file."""
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    code, out = bulk(server, "send", str(path), "--from", FROM, "--body", body, "--rate", "1000")
    assert code == 2, out
    assert re.search(message, " ".join(out.split())), out
    first = content.split(b"\n")[1].split(b",")[0].decode()
    assert messages_to(server, first) == []
    assert not (tmp_path / "bad.results.csv").exists()


def test_an_unusable_sender_stops_the_run(server: RunningServer, tmp_path: Path) -> None:
    """A From the account does not have (21659) would fail every row: stop at the first."""
    path, numbers = recipients(tmp_path, 14, 5)
    code, out = bulk(
        server,
        "send",
        str(path),
        "--from",
        "+14155559999",
        "--body",
        "x",
        "--rate",
        "1000",
        "--concurrency",
        "1",
    )
    assert code == 1 and "21659" in out
    assert all(messages_to(server, n) == [] for n in numbers)


def test_a_limited_run_resumes_without_sending_twice(server: RunningServer, tmp_path: Path) -> None:
    """--limit 2 then a plain rerun: every row gets exactly one message, none skipped twice."""
    path, numbers = recipients(tmp_path, 15, 5)
    args = ("send", str(path), "--from", FROM, "--body", "Hi {name}", "--rate", "1000")
    code, out = bulk(server, *args, "--limit", "2")
    assert code == 0, out
    assert [len(messages_to(server, n)) for n in numbers] == [1, 1, 0, 0, 0]
    first = {r.row: r.sid for r in read(tmp_path / "people.results.csv")}
    code, out = bulk(server, *args)
    assert code == 0, out
    assert "3 rows this run, 2 settled before" in out
    rows = read(tmp_path / "people.results.csv")
    assert [len(messages_to(server, n)) for n in numbers] == [1] * 5
    assert {r.row: r.sid for r in rows if r.row in first} == first
    assert len({r.sid for r in rows}) == 5


def test_an_interrupted_run_resumes_and_replays_what_was_in_flight(
    server: RunningServer, tmp_path: Path
) -> None:
    """A run killed after two results, with more requests in flight, then rerun: exactly one
    message per row on the server."""
    path, numbers = recipients(tmp_path, 16, 8)
    out_path = tmp_path / "people.results.csv"
    api = Api(server.base_url, server.account_sid, server.auth_token)
    seen: list[results.Result] = []

    def crash_after_two(result: results.Result) -> None:
        seen.append(result)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        send_file(
            api,
            path,
            out_path,
            plan.Sender(from_=FROM),
            body="Hi {name}",
            rate=1000,
            concurrency=4,
            on_result=crash_after_two,
        )
    assert len(read(out_path)) == 2
    code, out = bulk(
        server, "send", str(path), "--from", FROM, "--body", "Hi {name}", "--rate", "1000"
    )
    assert code == 0, out
    assert [len(messages_to(server, n)) for n in numbers] == [1] * 8
    assert [r.status for r in read(out_path)] == ["queued"] * 8


def test_a_create_whose_answer_was_lost_is_replayed(server: RunningServer, tmp_path: Path) -> None:
    """A create that reached the server before the interruption (so no result line) is not
    sent again: the rerun's request carries the same key and gets that message back."""
    path, numbers = recipients(tmp_path, 17, 3)
    data = path.read_bytes()
    sender = plan.Sender(from_=FROM)
    rows = plan.plan_rows(
        plan.read_table(data),
        plan.content_hash(data),
        sender,
        template=plan.parse_template("Hi {name}"),
    )
    lost = rows[1]
    with http(server) as client:
        landed = client.post(
            f"/2010-04-01/Accounts/{server.account_sid}/Messages.json",
            content=urlencode({"To": lost.to, "From": FROM, "Body": lost.body}),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Idempotency-Key": lost.key,
            },
        )
    assert landed.status_code == 201, landed.text
    code, out = bulk(
        server, "send", str(path), "--from", FROM, "--body", "Hi {name}", "--rate", "1000"
    )
    assert code == 0, out
    assert [len(messages_to(server, n)) for n in numbers] == [1, 1, 1]
    assert read(tmp_path / "people.results.csv")[1].sid == landed.json()["sid"]


def test_status_refreshes_the_results(server: RunningServer, tmp_path: Path) -> None:
    """After the carrier has delivered, `bulk status` rewrites the statuses and counts them."""
    path, _ = recipients(tmp_path, 18, 2)
    path.write_text(path.read_text() + "+15005550001,invalid\n")
    code, out = bulk(server, "send", str(path), "--from", FROM, "--body", "Hi", "--rate", "1000")
    assert code == 0, out
    with http(server) as client:
        moved = client.post("/telephonist/v1/Clock", data={"Advance": "60"})
    assert moved.status_code == 200, moved.text
    out_path = tmp_path / "people.results.csv"
    code, out = bulk(server, "status", str(out_path), "--quiet")
    assert code == 0, out
    assert [r.status for r in read(out_path)] == ["delivered", "delivered", "rejected"]
    assert "3 rows in" in out
    assert any(line.split() == ["│", "delivered", "│", "2", "│"] for line in out.splitlines())


def test_status_of_a_missing_file(server: RunningServer, tmp_path: Path) -> None:
    code, out = bulk(server, "status", str(tmp_path / "nope.csv"))
    assert code == 2 and "no such results file" in " ".join(out.split())


def test_a_service_paces_at_its_pool_and_is_sent_by_sid(
    server: RunningServer, tmp_path: Path
) -> None:
    """The default rate of a service is its pool's, and every row is sent through the
    service (accepted, its sender chosen from the pool when dispatched)."""
    with http(server) as client:
        service = client.post("/v1/Services", data={"FriendlyName": "bulk"}).json()["sid"]
        for _ in range(2):
            number = client.post(
                f"/2010-04-01/Accounts/{server.account_sid}/IncomingPhoneNumbers.json",
                data={"AreaCode": "415"},
            ).json()["sid"]
            added = client.post(
                f"/v1/Services/{service}/PhoneNumbers", data={"PhoneNumberSid": number}
            )
            assert added.status_code == 201, added.text
    api = Api(server.base_url, server.account_sid, server.auth_token)
    assert default_rate(api, plan.Sender(service=service)) == 2.0
    assert default_rate(api, plan.Sender(service="MG" + "0" * 32)) == 1.0
    path, numbers = recipients(tmp_path, 19, 2)
    code, out = bulk(
        server, "send", str(path), "--service", service, "--body", "x", "--rate", "1000"
    )
    assert code == 0, out
    sent = [messages_to(server, n) for n in numbers]
    assert [[m["messaging_service_sid"] for m in found] for found in sent] == [[service]] * 2
    assert [r.status for r in read(tmp_path / "people.results.csv")] == ["accepted"] * 2


def test_a_services_short_codes_count_in_its_pace(server: RunningServer) -> None:
    """A number (1 a second) and a short code (100) in the pool: 101 a second."""
    with http(server) as client:
        service = client.post("/v1/Services", data={"FriendlyName": "fast"}).json()["sid"]
        number = client.post(
            f"/2010-04-01/Accounts/{server.account_sid}/IncomingPhoneNumbers.json",
            data={"AreaCode": "415"},
        ).json()["sid"]
        code = client.post("/telephonist/v1/ShortCodes", data={"ShortCode": "47001"}).json()
        for pool, param, sid in (
            ("PhoneNumbers", "PhoneNumberSid", number),
            ("ShortCodes", "ShortCodeSid", code["sid"]),
        ):
            added = client.post(f"/v1/Services/{service}/{pool}", data={param: sid})
            assert added.status_code == 201, added.text
    api = Api(server.base_url, server.account_sid, server.auth_token)
    assert default_rate(api, plan.Sender(service=service)) == 101.0
