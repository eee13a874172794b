"""Apps that build their own twilio Client reach telephonist unedited: `telephonist env`
prints the exports, the shims it names rewrite the SDKs' twilio.com requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from twilio.rest import Client
from typer.testing import CliRunner

from telephonist.cli import cli
from telephonist.testing import RunningServer, running_server
from tests.e2e.test_node_sdk import NODE_DIR
from tests.e2e.test_node_sdk import node as node  # the fixture: npm ci once, or skip

PYTHON_APP = Path(__file__).with_name("own_client_app.py")
# Region and edge make the SDKs rewrite host names themselves; the shims must win either way.
PLACES = {"global": {}, "sydney": {"TWILIO_REGION": "au1", "TWILIO_EDGE": "sydney"}}


@pytest.fixture(scope="module")
def live() -> Iterator[RunningServer]:
    with running_server() as server:
        yield server


def exports(server: RunningServer) -> str:
    """What `telephonist env` prints for this server and its default account."""
    result = CliRunner().invoke(
        cli,
        ["env", "--url", server.base_url],
        env={
            "TELEPHONIST_ACCOUNT_SID": server.account_sid,
            "TELEPHONIST_AUTH_TOKEN": server.auth_token,
        },
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def run_app(server: RunningServer, place: str, argv: list[str], cwd: Path) -> dict[str, Any]:
    """Run ``argv`` in a POSIX shell that evaluated `telephonist env` first, as a user would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "TELEPHONIST_"))}
    env.pop("NODE_OPTIONS", None)
    env.update(PLACES[place])
    script = exports(server) + 'exec "$@"\n'
    done = subprocess.run(
        ["sh", "-c", script, "sh", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"the app failed:\n{done.stderr}\n{done.stdout}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def check(server: RunningServer, out: dict[str, Any], to: str, body: str) -> None:
    """What the app did happened on this server."""
    client = Client(server.account_sid, server.auth_token)
    client.api.base_url = server.base_url
    message = client.messages(out["sid"]).fetch()
    assert message.body == body and message.to == to and message.from_ == out["from"]
    assert out["fetched"] == body
    assert (out["status"], out["code"]) == (404, 20404)  # messaging.twilio.com came here too


def test_env_prints_the_exports(live: RunningServer) -> None:
    """`telephonist env` names the server, both shims (which ship in the package) and the
    credentials, keeping what PYTHONPATH and NODE_OPTIONS already held."""
    text = exports(live)
    lines = text.splitlines()
    assert f"export TELEPHONIST_URL={live.base_url}" in lines
    assert f"export TWILIO_ACCOUNT_SID={live.account_sid}" in lines
    assert f"export TWILIO_AUTH_TOKEN={live.auth_token}" in lines
    shown = subprocess.run(
        ["sh", "-c", text + 'printf "%s\\n%s\\n" "$PYTHONPATH" "$NODE_OPTIONS"'],
        env={"PATH": os.environ.get("PATH", ""), "NODE_OPTIONS": "--no-warnings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    python_path, node_options = shown
    assert ":" not in python_path  # no empty entry (the current directory) after ours
    assert (Path(python_path) / "sitecustomize.py").is_file()
    require, shim, kept = node_options.split(" ")
    assert require == "--require" and Path(shim).is_file() and kept == "--no-warnings"


def test_env_without_credentials_says_so() -> None:
    result = CliRunner().invoke(
        cli, ["env"], env={"TELEPHONIST_ACCOUNT_SID": "", "TELEPHONIST_AUTH_TOKEN": ""}
    )
    assert result.exit_code == 0
    assert "export TELEPHONIST_URL=http://127.0.0.1:8080" in result.stdout
    assert "TWILIO_ACCOUNT_SID" not in result.stdout and "no credentials" in result.stderr


@pytest.mark.parametrize("place", sorted(PLACES))
def test_python_app_with_its_own_client(live: RunningServer, place: str) -> None:
    """An unedited Python app's own Client sends through telephonist."""
    to, body = "+14155550171", f"own python client, {place}"
    out = run_app(live, place, [sys.executable, str(PYTHON_APP), to, body], PYTHON_APP.parent)
    check(live, out, to, body)


@pytest.mark.node
@pytest.mark.parametrize("place", sorted(PLACES))
def test_node_app_with_its_own_client(node: str, live: RunningServer, place: str) -> None:
    """An unedited Node app's own client sends through telephonist."""
    to, body = "+14155550172", f"own node client, {place}"
    out = run_app(live, place, [node, "own_client.js", to, body], NODE_DIR)
    check(live, out, to, body)
