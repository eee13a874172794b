"""The command line against a real server: messaging on the system clock with the in-process
worker, voice on a manual clock that each test moves itself."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from telephonist.cli import cli
from telephonist.settings import Settings
from telephonist.testing import RunningServer, running_server
from tests.integration.procs import Processes, free_port, wait_for


@pytest.fixture(scope="module")
def live() -> Iterator[RunningServer]:
    with running_server() as server:
        yield server


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server whose clock moves only when a test advances it (nothing runs on its own)."""
    data = tmp_path_factory.mktemp("manual")
    with running_server(Settings(data_dir=str(data), clock="manual")) as server:
        yield server


def control(server: RunningServer, timeout: float = 30) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url, auth=(server.account_sid, server.auth_token), timeout=timeout
    )


def advance(server: RunningServer, seconds: float = 0) -> None:
    """Move the manual clock; everything that falls due runs before this returns."""
    with control(server) as http:
        response = http.post("/telephonist/v1/Clock", data={"Advance": str(seconds)})
    assert response.status_code == 200, response.text


def buy(server: RunningServer) -> str:
    """A fresh number of the server's account (no VoiceUrl: it answers with Twilio's greeting)."""
    with control(server) as http:
        response = http.post(
            f"/2010-04-01/Accounts/{server.account_sid}/IncomingPhoneNumbers.json",
            data={"AreaCode": "415"},
        )
    assert response.status_code == 201, response.text
    return str(response.json()["phone_number"])


def place(server: RunningServer, to: str, from_: str, twiml: str) -> str:
    """An outbound call through the REST API; its SID."""
    with control(server) as http:
        response = http.post(
            f"/2010-04-01/Accounts/{server.account_sid}/Calls.json",
            data={"To": to, "From": from_, "Twiml": twiml},
        )
    assert response.status_code == 201, response.text
    return str(response.json()["sid"])


def status(server: RunningServer, sid: str) -> str:
    with control(server) as http:
        response = http.get(f"/2010-04-01/Accounts/{server.account_sid}/Calls/{sid}.json")
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


def run(server: RunningServer, *args: str) -> tuple[int, str]:
    env = {
        "TELEPHONIST_PUBLIC_URL": server.base_url,
        "TELEPHONIST_ACCOUNT_SID": server.account_sid,
        "TELEPHONIST_AUTH_TOKEN": server.auth_token,
    }
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_send_and_wait(live: RunningServer) -> None:
    """`telephonist send --wait` prints the SID and follows the status to delivered."""
    code, out = run(
        live,
        "send",
        "--from",
        "+15005550006",
        "--to",
        "+14155550160",
        "--body",
        "from the cli",
        "--wait",
        "--timeout",
        "20",
    )
    assert code == 0, out
    assert out.splitlines()[0].startswith("SM")
    assert "delivered" in out


def test_send_error_is_reported(live: RunningServer) -> None:
    code, out = run(live, "send", "--from", "+15005550006", "--to", "+15005550004", "--body", "x")
    assert code == 1
    assert "21610" in out


def test_sim_commands(live: RunningServer) -> None:
    code, out = run(live, "sim", "scenario", "+1720555016*", "landline")
    assert code == 0, out
    code, out = run(live, "sim", "scenario")
    assert "black_hole" in out and "+1720555016* -> landline" in out
    code, out = run(
        live,
        "send",
        "--from",
        "+15005550006",
        "--to",
        "+17205550161",
        "--body",
        "to a landline",
        "--wait",
        "--timeout",
        "20",
    )
    assert code == 1 and "undelivered (30006)" in out
    code, out = run(live, "sim", "inbox", "+17205550161")
    assert code == 0 and "to a landline" in out


def test_sim_send_needs_an_owned_number(live: RunningServer) -> None:
    code, out = run(
        live, "sim", "send", "--from", "+17205550162", "--to", "+19995550000", "--body", "hello"
    )
    assert code == 1 and "21211" in out


def test_sim_short_code_leases_one_that_then_sends(live: RunningServer) -> None:
    """`telephonist sim short-code` prints the new SC SID; the short code then sends like a
    number (`send --from 47201` is accepted), and asking for it again is the server's 21422."""
    code, out = run(live, "sim", "short-code", "47201", "--name", "alerts")
    assert code == 0, out
    assert out.strip().startswith("SC") and len(out.strip()) == 34
    code, out = run(live, "send", "--from", "47201", "--to", "+17205550163", "--body", "x")
    assert code == 0 and out.startswith("SM"), out
    code, out = run(live, "sim", "short-code", "47201")
    assert code == 1 and "21422" in out


def test_serve_flags_beat_the_environment(tmp_path: Path) -> None:
    """A real `telephonist serve`: its flag and --setting beat the environment, which still
    supplies what no flag gives."""
    sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    env = {
        "TELEPHONIST_PORT": str(free_port()),
        "TELEPHONIST_CLOCK": "system",
        "TELEPHONIST_DATA_DIR": str(tmp_path / "data"),
        "TELEPHONIST_ACCOUNT_SID": sid,
        "TELEPHONIST_AUTH_TOKEN": token,
    }
    port = free_port()
    with Processes(tmp_path, env, lease_seconds=60) as procs:
        proc = procs.start("serve", "serve", "--port", str(port), "--setting", "clock", "manual")
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            assert proc.popen.poll() is None, proc.tail()
            try:
                return httpx.get(base + "/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(healthy, "/healthz on the --port port", 30, proc.tail)
        # The clock is manual (--setting beat TELEPHONIST_CLOCK): it can be advanced.
        advanced = httpx.post(
            base + "/telephonist/v1/Clock", data={"Advance": "5"}, auth=(sid, token), timeout=10
        )
        assert advanced.status_code == 200, advanced.text
        assert (tmp_path / "data" / "telephonist.db").is_file()  # TELEPHONIST_DATA_DIR applied


def test_serve_refuses_a_bad_value_before_starting() -> None:
    """The real serve and worker commands stop with exit code 2 and a message, no traceback."""
    runner = CliRunner()
    result = runner.invoke(cli, ["serve", "--clock", "sometimes"])
    assert result.exit_code == 2 and "'sometimes' is not one of 'system', 'manual'" in result.output
    result = runner.invoke(cli, ["worker"], env={"TELEPHONIST_WEBHOOK_TIMEOUT": "soon"})
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "TELEPHONIST_WEBHOOK_TIMEOUT must be a number, not 'soon'" in result.output


def events(server: RunningServer, sid: str) -> tuple[str, list[dict[str, object]]]:
    """The call's status and transcript, read through `telephonist sim transcript --json`."""
    code, out = run(server, "sim", "transcript", sid, "--json")
    assert code == 0, out
    body = json.loads(out)
    assert body["call_sid"] == sid
    return body["status"], body["events"]


def test_sim_call_runs_its_caller_script(manual: RunningServer) -> None:
    """`sim call FROM TO --script` dials in and prints the SID; the script plays from the
    answer, and the transcript table shows it in order, in seconds from the answer."""
    number = buy(manual)
    code, out = run(
        manual,
        "sim",
        "call",
        "+17205550201",
        number,
        "--script",
        'wait 1; press 5; say "hello there"; wait 0.5; hangup',
    )
    assert code == 0, out
    sid = out.strip()
    assert sid.startswith("CA") and len(sid) == 34, out
    advance(manual, 0)
    advance(manual, 5)
    code, out = run(manual, "sim", "transcript", sid)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == f"{sid}  completed"
    assert lines[1].split() == ["at", "kind", "detail"]
    rows = [line.split(None, 2) for line in lines[2:]]
    assert [row[:2] for row in rows] == [
        ["0.000", "say"],
        ["1.000", "digits"],
        ["1.000", "speech"],
        ["1.500", "hangup"],
    ]
    assert rows[0][2].startswith('"Thanks for the call.')
    assert rows[1][2] == "5"
    assert rows[2][2] == '"hello there"'
    assert rows[3][2] == "by=caller"


def test_sim_press_say_and_hangup_reach_a_live_call(manual: RunningServer) -> None:
    """Keys, speech and a hang-up sent from the command line land on the call clock when they
    were sent; a call that has ended refuses more input with the server's 21220."""
    number = buy(manual)
    code, sid = run(manual, "sim", "call", "+17205550202", number)
    assert code == 0, sid
    sid = sid.strip()
    advance(manual, 0)  # answered: Twilio's greeting starts
    code, out = run(manual, "sim", "press", sid, "12#")
    assert (code, out.strip()) == (0, f"{sid}: pressed 12#")
    advance(manual, 1)
    code, out = run(manual, "sim", "say", sid, "billing please")
    assert (code, out.strip()) == (0, f"{sid}: said 'billing please'")
    advance(manual, 1)
    code, out = run(manual, "sim", "hangup", sid)
    assert (code, out.strip()) == (0, f"{sid}: hung up")
    advance(manual, 0)
    final, heard = events(manual, sid)
    assert final == "completed"
    assert [(e["at"], e["kind"]) for e in heard] == [
        (0.0, "say"),
        (0.0, "digits"),
        (1.0, "speech"),
        (2.0, "hangup"),
    ]
    assert heard[1]["digits"] == "12#"
    assert heard[2]["text"] == "billing please"
    assert heard[3]["by"] == "caller"
    code, out = run(manual, "sim", "press", sid, "3")
    assert code == 1 and "21220" in out, out


def test_sim_answer_sets_how_a_handset_answers(manual: RunningServer) -> None:
    """`sim answer` sets a handset's (or a pattern's) behaviour, answer delay and script, and
    the calls the account places to it follow them."""
    number = buy(manual)
    code, out = run(manual, "sim", "answer", "+17205550211", "--behavior", "busy")
    assert (code, out.strip()) == (0, "+17205550211 -> busy")
    busy = place(manual, "+17205550211", number, "<Response><Say>hi</Say></Response>")
    advance(manual, 0)
    assert status(manual, busy) == "busy"

    code, out = run(
        manual,
        "sim",
        "answer",
        "+172055502[23]*",
        "--behavior",
        "answer",
        "--after",
        "3",
        "--script",
        "wait 1; press 7",
    )
    assert code == 0, out
    assert out.strip() == "+172055502[23]* -> answer after 3s; script: wait 1; press 7"
    sid = place(manual, "+17205550221", number, '<Response><Pause length="10"/></Response>')
    advance(manual, 0)
    advance(manual, 2.5)
    assert status(manual, sid) == "ringing"  # it rings for three seconds, not one
    advance(manual, 0.5)
    assert status(manual, sid) == "in-progress"
    advance(manual, 2)
    _, heard = events(manual, sid)
    assert [(e["at"], e["kind"], e.get("digits")) for e in heard] == [
        (0.0, "pause", None),
        (1.0, "digits", "7"),
    ]


def test_sim_voice_errors_print_the_servers_message(manual: RunningServer) -> None:
    """Refusals exit 1 with the server's code or message, as the messaging commands do."""
    number = buy(manual)
    nobody = "CA" + "0" * 32
    cases = [
        (("call", "+17205550231", "+17205550232"), "21211"),
        (("call", "+17205550231", number, "--script", "jump"), "expected wait, press"),
        (("answer", "+17205550233", "--behavior", "sometimes"), "Behavior must be one of"),
        (("answer", "+17205550233", "--behavior", "busy", "--script", "press 1"), "no script"),
        (("answer", "+17205550233", "--behavior", "answer", "--after", "601"), "AnswerAfter"),
        (("press", nobody, "1"), "20404"),
        (("press", nobody, "x"), "Digits must be"),
        (("say", nobody, "hello"), "20404"),
        (("hangup", nobody), "20404"),
        (("transcript", nobody), "20404"),
        (("transcript", nobody, "--json"), "20404"),
    ]
    for args, expected in cases:
        code, out = run(manual, "sim", *args)
        assert code == 1 and expected in " ".join(out.split()), (args, out)
        assert "Traceback" not in out


@pytest.fixture
def alone(tmp_path: Path) -> Iterator[RunningServer]:
    """A manual-clock server of its own, for a test that may leave its worker spinning."""
    settings = Settings(data_dir=str(tmp_path / "data"), clock="manual", stop_seconds=1)
    with running_server(settings) as server:
        yield server


def advance_within(server: RunningServer, seconds: float, limit: float = 3) -> None:
    """Move the manual clock, failing (httpx.ReadTimeout) if it has not answered in ``limit``
    seconds of real time: the due work never settles."""
    with control(server, timeout=limit) as http:
        response = http.post("/telephonist/v1/Clock", data={"Advance": str(seconds)})
    assert response.status_code == 200, response.text


def test_sim_press_with_a_pause_plays_the_keys_half_a_second_apart(alone: RunningServer) -> None:
    number = buy(alone)
    code, sid = run(alone, "sim", "call", "+17205550241", number)
    assert code == 0, sid
    sid = sid.strip()
    advance(alone, 0)
    code, out = run(alone, "sim", "press", sid, "1w2")
    assert code == 0, out
    advance_within(alone, 1)
    _, heard = events(alone, sid)
    assert [(e["at"], e.get("digits")) for e in heard if e["kind"] == "digits"] == [
        (0.0, "1"),
        (0.5, "2"),
    ]


def test_sim_hangup_while_the_handset_rings_ends_the_call(alone: RunningServer) -> None:
    number = buy(alone)
    code, out = run(alone, "sim", "answer", "+17205550242", "--behavior", "answer", "--after", "10")
    assert code == 0, out
    sid = place(alone, "+17205550242", number, "<Response><Say>hello</Say></Response>")
    advance(alone, 0)
    advance(alone, 2)
    assert status(alone, sid) == "ringing"
    code, out = run(alone, "sim", "hangup", sid)
    assert code == 0, out
    advance_within(alone, 0)
    # Declined while ringing: never answered, so no duration; the domain reads a decline busy.
    assert status(alone, sid) in ("busy", "no-answer", "canceled")
    final, heard = events(alone, sid)
    assert final == status(alone, sid) and not [e for e in heard if e["kind"] == "say"]
