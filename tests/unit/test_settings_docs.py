"""One settings table feeds the dataclass, the environment and the docs; they must agree."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import get_type_hints

import pytest

from telephonist.settings import SETTINGS, SettingError, Settings, markdown_table, render_doc

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_table_matches_dataclass() -> None:
    """The dataclass has one field per row, in order, of the row's type, with its default."""
    assert [f.name for f in fields(Settings)] == [s.name for s in SETTINGS]
    hints = get_type_hints(Settings)
    defaults = Settings()
    for setting in SETTINGS:
        assert hints[setting.name] is setting.type, setting.name
        assert getattr(defaults, setting.name) == setting.default


def test_worker_knobs_are_settings() -> None:
    """The dispatch worker's knobs have the documented names and defaults."""
    defaults = Settings()
    assert defaults.worker_batch_size == 256
    assert defaults.worker_lease_seconds == 60.0
    assert defaults.worker_poll_seconds == 0.05
    assert defaults.worker_send_lanes == 1
    assert defaults.webhook_concurrency == 1024
    assert defaults.webhook_per_account == 256
    env = {"TELEPHONIST_WORKER_LEASE_SECONDS": "2.5", "TELEPHONIST_WEBHOOK_PER_ACCOUNT": "4"}
    settings = Settings.from_env(env)
    assert settings.worker_lease_seconds == 2.5 and settings.webhook_per_account == 4


def test_configuration_doc_is_generated_from_the_table() -> None:
    """docs/configuration.md holds exactly the table the settings make (python
    docs/configuration.py regenerates it)."""
    text = DOCS.read_text("utf-8")
    assert render_doc(text) == text
    assert markdown_table() in text


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text("utf-8")
    for setting in SETTINGS:
        assert f"`{setting.env}`" in text, setting.env


def test_environment_and_overrides() -> None:
    env = {"TELEPHONIST_PORT": "9000", "TELEPHONIST_HOST": "0.0.0.0", "TELEPHONIST_DB": ""}
    settings = Settings.from_env(env, host="127.0.0.2")
    assert settings.port == 9000  # from the environment, typed
    assert settings.host == "127.0.0.2"  # the flag wins
    assert settings.database_url.endswith("telephonist.db")  # empty means the default
    assert Settings.from_env({}, port=None).port == 8080  # unset flags do not override


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TELEPHONIST_CLOCK": "auto"}, "TELEPHONIST_CLOCK must be one of system, manual"),
        ({"TELEPHONIST_LOG_LEVEL": "loud"}, "TELEPHONIST_LOG_LEVEL must be one of debug, info"),
        ({"TELEPHONIST_PORT": "80a"}, "TELEPHONIST_PORT must be a whole number, not '80a'"),
        ({"TELEPHONIST_PORT": "70000"}, "TELEPHONIST_PORT must be between 0 and 65535"),
        ({"TELEPHONIST_WORKER": "maybe"}, "TELEPHONIST_WORKER must be true or false"),
        ({"TELEPHONIST_WEBHOOK_TIMEOUT": "0"}, "TELEPHONIST_WEBHOOK_TIMEOUT must be above 0"),
        ({"TELEPHONIST_WORKER_BATCH_SIZE": "0"}, "TELEPHONIST_WORKER_BATCH_SIZE must be at least"),
    ],
)
def test_bad_environment_values_name_the_variable(env: dict[str, str], message: str) -> None:
    """A value a setting cannot take is refused, and the error says which variable held it."""
    with pytest.raises(SettingError) as caught:
        Settings.from_env(env)
    assert message in str(caught.value)


def test_values_are_checked_however_settings_are_made() -> None:
    """Code that builds Settings directly (tests, embedders) gets the same checks."""
    with pytest.raises(SettingError, match="clock must be one of system, manual"):
        Settings(clock="Manual")
    with pytest.raises(SettingError, match="worker_send_lanes must be at least 1"):
        Settings().with_(worker_send_lanes=0)
    with pytest.raises(SettingError, match="port must be a whole number, not True"):
        Settings(port=True)
    assert Settings(webhook_timeout=2).webhook_timeout == 2  # an int is a fine float


def test_choices_ignore_case_and_booleans_take_words() -> None:
    env = {"TELEPHONIST_LOG_LEVEL": "WARNING", "TELEPHONIST_WORKER": "off"}
    settings = Settings.from_env(env)
    assert settings.log_level == "warning" and settings.worker is False


def test_base_url() -> None:
    assert Settings(port=8123).base_url == "http://127.0.0.1:8123"
    assert Settings(public_url="https://t.example/").base_url == "https://t.example"
