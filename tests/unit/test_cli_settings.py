"""serve and worker take their flags from the settings table: names, help, precedence, errors."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from telephonist.cli import cli, settings_command
from telephonist.settings import SERVE, SETTINGS, WORKER, Settings

CLEAN = {s.env: "" for s in SETTINGS}  # an empty variable counts as unset


def probe(command: str = SERVE) -> tuple[typer.Typer, list[Settings]]:
    """A command made the way serve and worker are, that only records its settings."""
    app = typer.Typer(rich_markup_mode=None)
    seen: list[Settings] = []

    @app.callback()
    def _root() -> None:
        """Probe."""

    @settings_command(app, command)
    def run(settings: Settings) -> None:
        seen.append(settings)

    return app, seen


def invoke(app: typer.Typer, *args: str, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={**CLEAN, **env})
    assert not isinstance(result.exception, AssertionError | TypeError), result.output
    return result.exit_code, result.output


def test_flag_beats_environment_beats_default() -> None:
    app, seen = probe()
    assert invoke(app, SERVE)[0] == 0
    assert invoke(app, SERVE, TELEPHONIST_WEBHOOK_TIMEOUT="5")[0] == 0
    code, out = invoke(app, SERVE, "--webhook-timeout", "7", TELEPHONIST_WEBHOOK_TIMEOUT="5")
    assert code == 0, out
    assert [s.webhook_timeout for s in seen] == [15.0, 5.0, 7.0]


def test_every_setting_has_its_flag_on_serve() -> None:
    """Each setting, given as its named flag, reaches Settings with its type."""
    app, seen = probe()
    args = [SERVE, "--no-worker", "--clock", "MANUAL", "--log-level", "debug", "--port", "0"]
    args += ["--worker-lease-seconds", "1.5", "--worker-send-lanes", "3", "--db", "sqlite://"]
    code, out = invoke(app, *args, TELEPHONIST_WORKER="true")
    assert code == 0, out
    (settings,) = seen
    assert settings.worker is False and settings.clock == "manual"
    assert settings.log_level == "debug" and settings.port == 0 and settings.db == "sqlite://"
    assert settings.worker_lease_seconds == 1.5 and settings.worker_send_lanes == 3


def test_setting_name_value_sets_any_setting() -> None:
    """--setting NAME VALUE reaches settings the command has no flag for, and beats the env."""
    app, seen = probe(WORKER)
    code, out = invoke(
        app,
        WORKER,
        "--setting",
        "clock",
        "manual",
        "--setting",
        "max-body-bytes",
        "2048",
        "--setting",
        "scenarios",
        "+1555*=black_hole",
        "--db",
        "sqlite://",
        TELEPHONIST_CLOCK="system",
    )
    assert code == 0, out
    (settings,) = seen
    assert settings.clock == "manual" and settings.max_body_bytes == 2048
    assert settings.scenarios == "+1555*=black_hole" and settings.db == "sqlite://"


def test_worker_has_only_the_flags_that_matter_to_it() -> None:
    app, _ = probe(WORKER)
    code, out = invoke(app, WORKER, "--host", "0.0.0.0")
    assert code == 2 and "No such option: --host" in out


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--clock", "auto"], {}, "'auto' is not one of 'system', 'manual'"),
        (["--port", "70000"], {}, "--port must be between 0 and 65535, not 70000"),
        (["--worker-batch-size", "0"], {}, "--worker-batch-size must be at least 1, not 0"),
        (["--setting", "clock", "auto"], {}, "--setting clock must be one of system, manual"),
        (["--setting", "colour", "red"], {}, "no setting is called 'colour'"),
        (["--setting", "clock"], {}, "give a NAME and a VALUE"),
        (["--port", "1", "--setting", "port", "2"], {}, "port is given twice"),
        ([], {"TELEPHONIST_CLOCK": "auto"}, "TELEPHONIST_CLOCK must be one of system, manual"),
    ],
)
def test_bad_values_exit_2_with_a_message(
    args: list[str], env: dict[str, str], message: str
) -> None:
    """A value the table refuses ends the command with exit code 2 and says why, no traceback."""
    app, seen = probe()
    result = CliRunner().invoke(app, [SERVE, *args], env={**CLEAN, **env})
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert seen == []


def help_text(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_help_shows_each_flag_with_its_variable_and_default() -> None:
    """--help names each flag's environment variable and default (no markup eats them)."""
    text = help_text(SERVE)
    assert "TELEPHONIST_WEBHOOK_TIMEOUT; default 15" in text
    for setting in SETTINGS:
        assert f"(env {setting.env}; default {setting.shown_default}" in text, setting.name
    assert "--worker / --no-worker" in text and "--setting NAME VALUE" in text
    worker = help_text(WORKER)
    assert "--worker-lease-seconds" in worker and "TELEPHONIST_WORKER_LEASE_SECONDS" in worker
    assert "--host" not in worker


def test_client_command_help_shows_variables() -> None:
    text = help_text("send")
    assert "env TELEPHONIST_ACCOUNT_SID" in text and "env TELEPHONIST_AUTH_TOKEN" in text


def test_existing_commands_are_still_there() -> None:
    text = help_text()
    for command in ("serve", "worker", "send", "env", "sim"):
        assert f" {command} " in text
    sim = help_text("sim")
    for command in ("send", "inbox", "scenario"):
        assert f" {command} " in sim
