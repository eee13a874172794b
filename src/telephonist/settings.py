"""Configuration: one table feeds the dataclass, the environment, the CLI flags and the docs.

Every setting has a name, a type, a default, a help text and (where it has them) the values
it may take, in :data:`SETTINGS`. The :class:`Settings` dataclass takes its defaults from the
table; the environment variable is ``TELEPHONIST_`` + the upper-cased name; ``telephonist
serve`` and ``telephonist worker`` build their flags from the table; and
``docs/configuration.md`` holds :func:`markdown_table`, checked by a test. Flags beat the
environment, which beats the default. Nothing is read at import time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from telephonist.domain.destinations import MODES, DestinationPolicy, parse_networks

ENV_PREFIX = "TELEPHONIST_"
SERVE = "serve"
WORKER = "worker"
BOTH = (SERVE, WORKER)

_WORDS: dict[type, str] = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class SettingError(ValueError):
    """A setting was given a value it cannot take; the message names where the value came from
    (an environment variable, a flag), so the person who typed it can find it."""


@dataclass(frozen=True)
class Setting:
    """One row of the table.

    ``commands`` are the commands that get a named flag for it (every setting can still be
    given to any of them as ``--setting NAME VALUE`` or through the environment).
    ``default_text`` says what an empty default means, where the value alone would not.
    ``values`` says in words what a text setting takes, and ``validate`` (raising ValueError
    with the reason) checks it, where "any text" would be wrong.
    """

    name: str
    default: Any
    type: type
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    positive: bool = False
    commands: tuple[str, ...] = (SERVE,)
    default_text: str = ""
    values: str = ""
    validate: Callable[[Any], object] | None = None

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def shown_default(self) -> str:
        """The default as a person would type it (``true``, ``15``, ``0.05``)."""
        return self.default_text or show(self.default)

    @property
    def allowed(self) -> str:
        """The values it may take, in words; empty when any value of its type will do."""
        if self.values:
            return self.values
        if self.choices:
            return ", ".join(self.choices)
        if self.minimum is not None and self.maximum is not None:
            return f"{show(self.minimum)}–{show(self.maximum)}"
        if self.minimum is not None:
            return f"≥ {show(self.minimum)}"
        if self.positive:
            return "> 0"
        return ""

    def parse(self, raw: str, source: str) -> Any:
        """Turn the text of an environment variable or flag into a checked value."""
        text = raw.strip()
        value: Any
        if self.type is bool:
            if text.lower() not in _TRUE + _FALSE:
                raise SettingError(f"{source} must be {_WORDS[bool]}, not {raw!r}")
            value = text.lower() in _TRUE
        elif self.type is int:
            try:
                value = int(text)
            except ValueError:
                raise SettingError(f"{source} must be {_WORDS[int]}, not {raw!r}") from None
        elif self.type is float:
            try:
                value = float(text)
            except ValueError:
                raise SettingError(f"{source} must be {_WORDS[float]}, not {raw!r}") from None
        elif self.choices and text.lower() in self.choices:
            value = text.lower()  # INFO means info
        else:
            value = raw
        return self.check(value, source)

    def check(self, value: Any, source: str) -> Any:
        """Raise :class:`SettingError` unless ``value`` is one this setting can take."""
        # bool is an int to Python, not to a person setting a port.
        numeric = self.type is float and isinstance(value, int)
        if isinstance(value, bool) is not (self.type is bool) or not (
            isinstance(value, self.type) or numeric
        ):
            raise SettingError(f"{source} must be {_WORDS[self.type]}, not {value!r}")
        if self.choices and value not in self.choices:
            raise SettingError(f"{source} must be one of {self.allowed}, not {value!r}")
        if (
            (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
            or (self.positive and value <= 0)
        ):
            raise SettingError(f"{source} must be {self._range_words()}, not {value!r}")
        if self.validate is not None:
            try:
                self.validate(value)
            except ValueError as exc:
                raise SettingError(f"{source} must be {self.allowed}: {exc}") from None
        return value

    def _range_words(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"between {show(self.minimum)} and {show(self.maximum)}"
        if self.minimum is not None:
            return f"at least {show(self.minimum)}"
        return "above 0"


def show(value: Any) -> str:
    """A value as the environment or a flag would spell it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "host",
        "127.0.0.1",
        str,
        "Interface to listen on. Loopback by default: an emulator holding auth tokens should "
        "not be reachable from the network unless you ask (`--host 0.0.0.0`).",
    ),
    Setting(
        "port",
        8080,
        int,
        "TCP port to listen on. 8080 is free on most developer machines and needs no "
        "privileges. 0 picks a free port.",
        minimum=0,
        maximum=65535,
    ),
    Setting(
        "db",
        "",
        str,
        "Database URL (SQLAlchemy form). PostgreSQL: `postgresql://user@host:5432/dbname`. The "
        "schema is migrated automatically on start.",
        commands=BOTH,
        default_text="SQLite file `telephonist.db` in the data directory",
    ),
    Setting(
        "data_dir",
        ".telephonist",
        str,
        "Directory for the default SQLite database and stored media.",
        commands=BOTH,
    ),
    Setting(
        "account_sid",
        "",
        str,
        "SID of the default account (`AC` + 32 hex). Set it (with the token) so CI pipelines "
        "know the credentials in advance.",
        default_text="generated on first start, then kept in the database",
    ),
    Setting(
        "auth_token",
        "",
        str,
        "Auth token of the default account (32 hex).",
        default_text="generated on first start, then kept in the database",
    ),
    Setting(
        "public_url",
        "",
        str,
        "Base URL clients use to reach this server, used in the absolute URLs it hands out.",
        default_text="`http://{host}:{port}`",
    ),
    Setting(
        "max_body_bytes",
        1_048_576,
        int,
        "Largest request body accepted; larger ones are answered with error 20413 (HTTP 413).",
        minimum=1,
    ),
    Setting(
        "http_max_url",
        8192,
        int,
        "Longest URL (path and query string) a request may have, in bytes; a longer one is "
        "answered with error 20413 (HTTP 414) and the connection closed.",
        minimum=64,
    ),
    Setting(
        "http_max_header_bytes",
        32768,
        int,
        "Most bytes of request headers accepted; more are answered with error 20413 "
        "(HTTP 431) and the connection closed.",
        minimum=1024,
    ),
    Setting(
        "http_max_headers",
        100,
        int,
        "Most request headers accepted; more are answered with error 20413 (HTTP 431) and "
        "the connection closed.",
        minimum=8,
    ),
    Setting(
        "http_read_timeout",
        30.0,
        float,
        "Seconds a client has to send a whole request (line, headers and body) once it has "
        "begun, and to begin the first on a new connection. A slower request is answered "
        "with error 20422 (HTTP 408) and its connection closed.",
        positive=True,
    ),
    Setting(
        "http_keep_alive_timeout",
        5.0,
        float,
        "Seconds an idle keep-alive connection stays open between requests.",
        positive=True,
    ),
    Setting(
        "log_level",
        "info",
        str,
        "How much the server logs.",
        choices=("debug", "info", "warning", "error"),
        commands=BOTH,
    ),
    Setting(
        "clock",
        "system",
        str,
        "`system` (real time) or `manual`: simulated time that moves only when told to "
        "(`POST /telephonist/v1/Clock`), so tests never sleep. With a manual clock the worker "
        "runs only when the clock is advanced.",
        choices=("system", "manual"),
    ),
    Setting(
        "worker",
        True,
        bool,
        "Run a dispatch worker inside the server process. Turn it off (`--no-worker`) when "
        "separate `telephonist worker` processes do the work.",
    ),
    Setting(
        "mode",
        "emulator",
        str,
        "`emulator` (the simulated carrier) or `gateway` (in front of real providers, still to "
        "come). Today its only effect is the default outbound destination policy: in "
        "`emulator` mode webhooks, TwiML and media may be fetched from loopback and private "
        "addresses, where local apps serve them; in `gateway` mode those are refused unless "
        "`outbound_allow` lists them.",
        choices=MODES,
        commands=BOTH,
    ),
    Setting(
        "outbound_allow",
        "",
        str,
        "Networks that webhooks, TwiML and media may be fetched from even where the mode "
        "refuses them, e.g. `10.20.0.0/16,fd00:1::/64` for an app on an internal network in "
        "`gateway` mode. Link-local (`169.254.0.0/16`, `fe80::/10`: cloud metadata services), "
        "multicast, unspecified and broadcast addresses stay refused whatever it says. Where "
        "`outbound_deny` holds the same address, the more specific network wins.",
        commands=BOTH,
        default_text="none",
        values="CIDR networks, comma-separated",
        validate=parse_networks,
    ),
    Setting(
        "outbound_deny",
        "",
        str,
        "Networks that are never fetched from, in any mode, e.g. `127.0.0.0/8,::1/128` to keep "
        "an emulator away from other services on its own host. With `0.0.0.0/0,::/0` here, "
        "only the networks in `outbound_allow` are fetched from.",
        commands=BOTH,
        default_text="none",
        values="CIDR networks, comma-separated",
        validate=parse_networks,
    ),
    Setting(
        "webhook_timeout",
        15.0,
        float,
        "Seconds to wait for an app's webhook to answer (Twilio waits 15). Per-URL "
        "`#rt=`/`#ct=`/`#rc=` fragments override it, as on Twilio.",
        positive=True,
        commands=BOTH,
    ),
    Setting(
        "scenarios",
        "",
        str,
        "Simulated-carrier scenarios for handset number patterns, e.g. "
        "`+1555*=black_hole,+4477*=slow`; they apply to every account. Each account attaches "
        "its own at run time through the control API.",
        commands=BOTH,
        default_text="none",
    ),
    Setting(
        "mps_long_code",
        1.0,
        float,
        "Segments per second a local or mobile number sends.",
        positive=True,
        commands=BOTH,
    ),
    Setting(
        "mps_toll_free",
        3.0,
        float,
        "Segments per second a toll-free number sends.",
        positive=True,
        commands=BOTH,
    ),
    Setting(
        "mps_short_code",
        100.0,
        float,
        "Segments per second a short code sends.",
        positive=True,
        commands=BOTH,
    ),
    Setting(
        "call_price_outbound",
        0.014,
        float,
        "USD per started minute of an outbound call (placed through the API or a <Dial> "
        "leg), reported as the call's negative price.",
        minimum=0.0,
        commands=BOTH,
    ),
    Setting(
        "call_price_inbound",
        0.0085,
        float,
        "USD per started minute of an inbound call.",
        minimum=0.0,
        commands=BOTH,
    ),
    Setting(
        "schedule_min_seconds",
        900,
        int,
        "How far ahead a scheduled message's SendAt must be at least (Twilio's documented "
        "15 minutes; its newest docs say 300 s).",
        minimum=0,
    ),
    Setting(
        "schedule_max_seconds",
        3_024_000,
        int,
        "How far ahead a scheduled message's SendAt may be at most (Twilio's 35 days).",
        minimum=1,
    ),
    Setting(
        "schedule_max_messages",
        500_000,
        int,
        "How many scheduled messages an account may have waiting at once; one more answers "
        "35125 (Twilio's soft limit of 500,000 per account).",
        minimum=1,
    ),
    Setting(
        "worker_batch_size",
        256,
        int,
        "Tasks a worker leases at once. Larger batches mean fewer, bigger transactions.",
        minimum=1,
        commands=BOTH,
    ),
    Setting(
        "worker_lease_seconds",
        60.0,
        float,
        "How long a leased task stays a worker's before it falls due again, so the work of a "
        "worker that died is picked up by another.",
        positive=True,
        commands=BOTH,
    ),
    Setting(
        "worker_poll_seconds",
        0.05,
        float,
        "How often an idle worker looks for due work (new work in its own process wakes it "
        "at once).",
        positive=True,
        commands=BOTH,
    ),
    Setting(
        "worker_send_lanes",
        1,
        int,
        "Batches of hand-overs to the carrier a worker keeps in flight at once. One suits the "
        "simulator, which answers at once (a second lane's work would compete with the first's "
        "transaction for the process); more overlap a carrier that takes time to answer.",
        minimum=1,
        commands=BOTH,
    ),
    Setting(
        "webhook_concurrency",
        1024,
        int,
        "Webhook requests in flight at once per worker process.",
        minimum=1,
        commands=BOTH,
    ),
    Setting(
        "webhook_per_account",
        256,
        int,
        "Of those, at most this many for one account, so one account's slow app holds only "
        "its share.",
        minimum=1,
        commands=BOTH,
    ),
    Setting(
        "webhook_per_host",
        256,
        int,
        "And at most this many to one host and port, so one dead target holds only its share "
        "of an account's.",
        minimum=1,
        commands=BOTH,
    ),
    Setting(
        "stop_seconds",
        2.0,
        float,
        "On SIGTERM, how long webhook requests in flight may take to end before they are "
        "cancelled and handed back to the queue (in-flight API requests get as long).",
        minimum=0,
        commands=BOTH,
    ),
    Setting(
        "a2p_enforcement",
        "warn",
        str,
        "What happens to a message US carriers would block under A2P 10DLC (a US long code "
        "texting a US number from no Messaging Service with a verified campaign): `off`, no "
        "check; `warn`, delivered and flagged by a warning alert with 30034 (30035 while the "
        "campaign is in review); `enforce`, it fails with that code, as on the carriers' "
        "networks.",
        choices=("off", "warn", "enforce"),
        commands=BOTH,
    ),
    Setting(
        "a2p_review_seconds",
        60.0,
        float,
        "How long A2P 10DLC reviews take on the server's clock: a submitted TrustHub bundle, a "
        "brand registration or a campaign is decided this long after it was submitted "
        "(docs/a2p.md has the rules).",
        minimum=0,
    ),
)

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


def _default(name: str) -> Any:
    """The table's default: the dataclass below names each field once more (so type checkers
    and readers see it) but never repeats a value."""
    return BY_NAME[name].default


@dataclass(frozen=True)
class Settings:
    """The resolved configuration of one server or worker process; every value is checked
    against the table when it is made (or copied with :meth:`with_`)."""

    host: str = _default("host")
    port: int = _default("port")
    db: str = _default("db")
    data_dir: str = _default("data_dir")
    account_sid: str = _default("account_sid")
    auth_token: str = _default("auth_token")
    public_url: str = _default("public_url")
    max_body_bytes: int = _default("max_body_bytes")
    http_max_url: int = _default("http_max_url")
    http_max_header_bytes: int = _default("http_max_header_bytes")
    http_max_headers: int = _default("http_max_headers")
    http_read_timeout: float = _default("http_read_timeout")
    http_keep_alive_timeout: float = _default("http_keep_alive_timeout")
    log_level: str = _default("log_level")
    clock: str = _default("clock")
    worker: bool = _default("worker")
    mode: str = _default("mode")
    outbound_allow: str = _default("outbound_allow")
    outbound_deny: str = _default("outbound_deny")
    webhook_timeout: float = _default("webhook_timeout")
    scenarios: str = _default("scenarios")
    mps_long_code: float = _default("mps_long_code")
    mps_toll_free: float = _default("mps_toll_free")
    mps_short_code: float = _default("mps_short_code")
    call_price_outbound: float = _default("call_price_outbound")
    call_price_inbound: float = _default("call_price_inbound")
    schedule_min_seconds: int = _default("schedule_min_seconds")
    schedule_max_seconds: int = _default("schedule_max_seconds")
    schedule_max_messages: int = _default("schedule_max_messages")
    worker_batch_size: int = _default("worker_batch_size")
    worker_lease_seconds: float = _default("worker_lease_seconds")
    worker_poll_seconds: float = _default("worker_poll_seconds")
    worker_send_lanes: int = _default("worker_send_lanes")
    webhook_concurrency: int = _default("webhook_concurrency")
    webhook_per_account: int = _default("webhook_per_account")
    webhook_per_host: int = _default("webhook_per_host")
    stop_seconds: float = _default("stop_seconds")
    a2p_enforcement: str = _default("a2p_enforcement")
    a2p_review_seconds: float = _default("a2p_review_seconds")

    def __post_init__(self) -> None:
        for setting in SETTINGS:
            setting.check(getattr(self, setting.name), setting.name)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``TELEPHONIST_*`` variables, then explicit ``overrides`` (non-None).

        Raises :class:`SettingError` naming the variable when one holds a value its setting
        cannot take. An empty variable counts as unset.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = env.get(setting.env)
            if raw is not None and raw != "":
                values[setting.name] = setting.parse(raw, setting.env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def database_url(self) -> str:
        if self.db:
            return self.db
        return "sqlite:///" + os.path.join(self.data_dir, "telephonist.db")

    @property
    def campaign_pacing(self) -> int | None:
        """The A2P review delay (microseconds) when campaigns' throughput paces their
        numbers, which it does when A2P 10DLC is enforced; None otherwise."""
        if self.a2p_enforcement != "enforce":
            return None
        return int(self.a2p_review_seconds * 1_000_000)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def destination_policy(self) -> DestinationPolicy:
        """Where this process may send requests: the mode's default and the two lists."""
        return DestinationPolicy.for_mode(
            self.mode, allow=self.outbound_allow, deny=self.outbound_deny
        )

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

    @property
    def call_prices(self) -> dict[str, float]:
        """USD per started minute of a call, by direction."""
        return {
            "inbound": self.call_price_inbound,
            "outbound-api": self.call_price_outbound,
            "outbound-dial": self.call_price_outbound,
        }


def lookup(name: str) -> Setting | None:
    """The setting called ``name`` (``webhook-timeout`` and ``webhook_timeout`` alike)."""
    return BY_NAME.get(name.strip().lower().replace("-", "_"))


TABLE_START = "<!-- settings table: generated from telephonist.settings.SETTINGS -->"
TABLE_END = "<!-- end of settings table -->"


def markdown_table() -> str:
    """The settings as the Markdown table ``docs/configuration.md`` holds between its markers."""
    lines = [
        "| setting | environment variable | flag | default | values | what it does |",
        "|---|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        flag = f"`--{s.flag[2:]}/--no-{s.flag[2:]}`" if s.type is bool else f"`{s.flag}`"
        default = s.default_text or f"`{s.shown_default}`"
        cells = [
            f"`{s.name}`",
            f"`{s.env}`",
            f"{flag} ({', '.join(s.commands)})",
            default,
            s.allowed or _WORDS[s.type],
            s.help,
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def render_doc(text: str) -> str:
    """``text`` with the part between the table markers replaced by :func:`markdown_table`."""
    head, start, rest = text.partition(TABLE_START)
    _, end, tail = rest.partition(TABLE_END)
    if not start or not end:
        raise ValueError("the document has no settings table markers")
    return f"{head}{TABLE_START}\n{markdown_table()}{TABLE_END}{tail}"
