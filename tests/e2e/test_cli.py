"""The command line against a real server (system clock, in-process worker)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from telephonist.cli import cli
from telephonist.testing import RunningServer, running_server


@pytest.fixture(scope="module")
def live() -> Iterator[RunningServer]:
    with running_server() as server:
        yield server


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
