"""The command line against a real server (system clock, in-process worker)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from telephonist.cli import cli
from telephonist.testing import RunningServer, running_server
from tests.integration.procs import Processes, free_port, wait_for


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
