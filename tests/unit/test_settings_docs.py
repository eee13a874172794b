"""One settings table feeds the dataclass, the environment and the docs; they must agree."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from telephonist.settings import SETTINGS, Settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_table_matches_dataclass() -> None:
    assert [f.name for f in fields(Settings)] == [s.name for s in SETTINGS]
    defaults = Settings()
    for setting in SETTINGS:
        assert getattr(defaults, setting.name) == setting.default


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


def test_base_url() -> None:
    assert Settings(port=8123).base_url == "http://127.0.0.1:8123"
    assert Settings(public_url="https://t.example/").base_url == "https://t.example"
