"""Configuration: one table feeds the CLI flags, the environment and the docs.

Every setting has a name, a type, a default and a help text in :data:`SETTINGS`. The
environment variable is ``TELEPHONIST_`` + the upper-cased name. Flags beat the environment,
which beats the default. Nothing is read at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

ENV_PREFIX = "TELEPHONIST_"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    type: type
    help: str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "host",
        "127.0.0.1",
        str,
        "Interface to listen on. Loopback by default: an emulator "
        "holding auth tokens should not be reachable from the network unless you ask.",
    ),
    Setting(
        "port",
        8080,
        int,
        "TCP port to listen on. 8080 is free on most developer machines and needs no privileges.",
    ),
    Setting(
        "db",
        "",
        str,
        "Database URL (SQLAlchemy form). Empty means a SQLite file "
        "`telephonist.db` in the data directory. PostgreSQL: "
        "`postgresql://user@host:5432/dbname`.",
    ),
    Setting(
        "data_dir",
        ".telephonist",
        str,
        "Directory for the default SQLite database and stored media.",
    ),
    Setting(
        "account_sid",
        "",
        str,
        "SID of the default account (`AC` + 32 hex). Empty: "
        "generated on first start and kept in the database.",
    ),
    Setting(
        "auth_token",
        "",
        str,
        "Auth token of the default account (32 hex). Empty: "
        "generated on first start and kept in the database.",
    ),
    Setting(
        "public_url",
        "",
        str,
        "Base URL clients use to reach this server, used in "
        "absolute URLs it hands out. Empty: `http://{host}:{port}`.",
    ),
    Setting(
        "max_body_bytes",
        1_048_576,
        int,
        "Largest request body accepted; larger ones are answered with error 20413.",
    ),
    Setting("log_level", "info", str, "Log level: debug, info, warning or error."),
    Setting(
        "clock",
        "system",
        str,
        "`system` (real time) or `manual`: simulated time that only "
        "moves when told to through the control API, for tests that must not sleep.",
    ),
    Setting(
        "worker",
        True,
        bool,
        "Run a dispatch worker inside the server process. Turn off "
        "when separate `telephonist worker` processes do the work.",
    ),
    Setting(
        "webhook_timeout",
        15.0,
        float,
        "Seconds to wait for an app's webhook to answer (Twilio waits 15).",
    ),
    Setting(
        "scenarios",
        "",
        str,
        "Simulated-carrier scenarios for handset number patterns, "
        "e.g. `+1555*=black_hole,+4477*=slow`.",
    ),
    Setting("mps_long_code", 1.0, float, "Segments per second a local or mobile number sends."),
    Setting("mps_toll_free", 3.0, float, "Segments per second a toll-free number sends."),
    Setting("mps_short_code", 100.0, float, "Segments per second a short code sends."),
    Setting("worker_batch_size", 256, int, "Tasks leased per batch."),
    Setting("worker_lease_seconds", 60.0, float, "How long a leased task stays a worker's."),
    Setting("worker_poll_seconds", 0.05, float, "How often an idle worker looks for work."),
    Setting("worker_send_lanes", 2, int, "Batches of carrier hand-overs in flight at once."),
    Setting("webhook_concurrency", 256, int, "Webhook requests in flight per worker process."),
    Setting("webhook_per_account", 32, int, "Of those, at most this many for one account."),
)


@dataclass(frozen=True)
class Settings:
    """The resolved configuration of one server process."""

    host: str = "127.0.0.1"
    port: int = 8080
    db: str = ""
    data_dir: str = ".telephonist"
    account_sid: str = ""
    auth_token: str = ""
    public_url: str = ""
    max_body_bytes: int = 1_048_576
    log_level: str = "info"
    clock: str = "system"
    worker: bool = True
    webhook_timeout: float = 15.0
    scenarios: str = ""
    mps_long_code: float = 1.0
    mps_toll_free: float = 3.0
    mps_short_code: float = 100.0
    worker_batch_size: int = 256
    worker_lease_seconds: float = 60.0
    worker_poll_seconds: float = 0.05
    worker_send_lanes: int = 2
    webhook_concurrency: int = 256
    webhook_per_account: int = 32

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``TELEPHONIST_*`` variables, then explicit ``overrides`` (non-None)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = env.get(setting.env)
            if raw is not None and raw != "":
                values[setting.name] = _convert(setting, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def database_url(self) -> str:
        if self.db:
            return self.db
        return "sqlite:///" + os.path.join(self.data_dir, "telephonist.db")

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def mps(self) -> dict[str, float]:
        """Throughput per sender kind, in segments per second."""
        return {
            "local": self.mps_long_code,
            "mobile": self.mps_long_code,
            "toll_free": self.mps_toll_free,
            "short_code": self.mps_short_code,
            "alphanumeric": 10.0,
        }


def _convert(setting: Setting, raw: str) -> Any:
    if setting.type is bool:
        lowered = raw.strip().lower()
        if lowered not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ValueError(f"{setting.env} must be true or false, not {raw!r}")
        return lowered in ("1", "true", "yes", "on")
    return setting.type(raw)
