"""The ``telephonist`` command: ``serve``, ``worker``, ``send``, ``sim …``, ``bulk …`` and ``env``.

``serve`` and ``worker`` take their flags from the settings table (one named flag per
setting that matters to the command, and ``--setting NAME VALUE`` for any of them), so a
setting added to the table is a flag, an environment variable and a row of the docs at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import gc
import inspect
import json
import logging
import shlex
import signal
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote, urlencode

import httpx
import typer
import uvicorn
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from telephonist import shims
from telephonist.app import build_dispatch, create_app, prepare
from telephonist.bulk import plan as bulk_plan
from telephonist.bulk import results as bulk_results
from telephonist.bulk import send as bulk_send_
from telephonist.clock import SystemClock
from telephonist.domain.calls import BEHAVIORS
from telephonist.server import uvicorn_config
from telephonist.settings import SERVE, SETTINGS, WORKER, Setting, SettingError, Settings, lookup
from telephonist.storage.seed import BadCredentialsSetting, DefaultAccount

cli = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="A self-hosted, Twilio-compatible communications platform.",
    # Plain click help: Rich would read "[env …]" in a help text as a style tag and drop it,
    # and its narrow columns cut long environment variable names short.
    rich_markup_mode=None,
)
console = Console(stderr=True)


@cli.callback()
def _root() -> None:
    """A self-hosted, Twilio-compatible communications platform."""


SNIPPET = """\
{imports}from twilio.rest import Client
client = Client("{sid}", {token})
client.api.base_url = "{base}"
n = client.incoming_phone_numbers.create(area_code="415")
print(client.messages.create(to="+14155550123", from_=n.phone_number, body="Hi").sid)"""


def settings_command(
    app: typer.Typer, command: str
) -> Callable[[Callable[[Settings], None]], Callable[..., None]]:
    """Register ``command`` on ``app`` with one flag per setting the table marks for it, plus
    ``--setting NAME VALUE`` for any setting, and call it with the resolved :class:`Settings`.

    typer reads a command's options from its signature, so the signature is made from the
    table. Flags beat the environment, which beats the table's default.
    """

    def decorate(body: Callable[[Settings], None]) -> Callable[..., None]:
        def run(**flags: Any) -> None:
            body(settings_from_flags(flags))

        run.__name__, run.__qualname__ = body.__name__, body.__qualname__
        run.__doc__, run.__module__ = body.__doc__, body.__module__
        run.__signature__ = inspect.Signature(_parameters(command))  # type: ignore[attr-defined]
        app.command(command, cls=SettingsCommand)(run)
        return run

    return decorate


class SettingsCommand(typer.core.TyperCommand):
    """A typer command that takes Datasette's ``--setting NAME VALUE``.

    typer has no two-value repeatable option, so before parsing, each ``--setting NAME VALUE``
    becomes ``--setting NAME=VALUE`` for a plain repeatable option (a name has no ``=``).
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        joined: list[str] = []
        rest = iter(args)
        for arg in rest:
            if arg == "--":
                joined += [arg, *rest]
                break
            if arg != "--setting":
                joined.append(arg)
                continue
            pair = [next(rest, None), next(rest, None)]
            if pair[0] is None or pair[1] is None:
                raise typer.BadParameter("give a NAME and a VALUE", param_hint="--setting")
            joined += ["--setting", f"{pair[0]}={pair[1]}"]
        result: list[str] = super().parse_args(ctx, joined)
        return result


def _parameters(command: str) -> list[inspect.Parameter]:
    params = []
    for setting in SETTINGS:
        if command not in setting.commands:
            continue
        decls = (
            [f"{setting.flag}/--no-{setting.flag[2:]}"] if setting.type is bool else [setting.flag]
        )
        kind: Any = setting.type
        if setting.choices:
            # typer shows an Enum as the list of its values and refuses others (exit code 2).
            kind = _choices(setting)
        option = typer.Option(
            None,
            *decls,
            help=_flag_help(setting),
            show_default=False,
            case_sensitive=False,
        )
        params.append(
            inspect.Parameter(
                setting.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=option,
                annotation=Optional[kind],  # noqa: UP045 (typer reads the annotation at run time)
            )
        )
    every = typer.Option(
        [],
        "--setting",
        metavar="NAME VALUE",
        help="Any setting by name, repeatable: --setting worker_batch_size 64 "
        "(the table is in docs/configuration.md).",
    )
    params.append(
        inspect.Parameter(
            "setting", inspect.Parameter.KEYWORD_ONLY, default=every, annotation=list[str]
        )
    )
    return params


def _choices(setting: Setting) -> type[enum.Enum]:
    made: type[enum.Enum] = enum.Enum(  # type: ignore[misc]  # built from the table
        setting.name, [(c, c) for c in setting.choices], type=str
    )
    return made


def _flag_help(setting: Setting) -> str:
    words = [f"env {setting.env}", f"default {setting.shown_default}"]
    if setting.allowed and not setting.choices:  # typer lists the choices itself
        words.append(setting.allowed)
    return f"{setting.help} ({'; '.join(words)})"


def settings_from_flags(
    flags: dict[str, Any], environ: Mapping[str, str] | None = None
) -> Settings:
    """The flags a settings command was given (``None``: not given), the ``--setting`` pairs,
    then the environment, then the defaults; a bad value ends the command with exit code 2."""
    pairs = [item.partition("=")[::2] for item in flags.pop("setting", None) or ()]
    overrides: dict[str, Any] = {}
    try:
        for name, value in flags.items():
            if value is None:
                continue
            setting = lookup(name)
            assert setting is not None, name
            if isinstance(value, enum.Enum):
                value = value.value
            overrides[name] = setting.check(value, setting.flag)
        for name, raw in pairs:
            setting = lookup(name)
            if setting is None:
                known = ", ".join(s.name for s in SETTINGS)
                raise typer.BadParameter(
                    f"no setting is called {name!r} (known: {known})", param_hint="--setting"
                )
            if setting.name in overrides:
                raise typer.BadParameter(f"{setting.name} is given twice")
            overrides[setting.name] = setting.parse(raw, f"--setting {setting.name}")
    except SettingError as exc:
        raise typer.BadParameter(str(exc)) from None
    try:
        return Settings.from_env(environ, **overrides)
    except SettingError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None


@settings_command(cli, SERVE)
def serve(settings: Settings) -> None:
    """Start the Twilio-compatible API server (with a dispatch worker and the simulator)."""
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    # Migration chatter on every start is noise; failures still surface as errors.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        database, account = prepare(settings)
    except BadCredentialsSetting as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(start_banner(settings, account), highlight=False, soft_wrap=True)
    typer.echo(start_snippet(settings, account) + "\n", err=True)
    app = create_app(settings, prepared=(database, account))
    _freeze_startup_objects()
    server = uvicorn.Server(uvicorn_config(app, settings))
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        raise typer.Exit(3)  # uvicorn has said why (the port is taken, say)


def start_banner(settings: Settings, account: DefaultAccount) -> str:
    """What ``serve`` prints when it starts (Rich markup): where it listens, its database and
    the default account.

    The auth token is printed only when telephonist generated it, since then this is the one
    place to learn it. A token given as a setting (``TELEPHONIST_AUTH_TOKEN``,
    ``--auth-token``, ``--setting auth_token``) is known to whoever gave it, and setting it is
    the documented way to keep it out of output such as shared CI logs: it is never printed.
    """
    if settings.auth_token:
        token = "[dim](the auth_token setting you gave; not printed)[/dim]"
    else:
        token = (
            f"{account.auth_token}  [dim](generated by telephonist and kept in the database; "
            "set TELEPHONIST_AUTH_TOKEN to choose it and keep it out of this output)[/dim]"
        )
    return "\n".join(
        [
            f"[bold]telephonist[/bold] listening on [cyan]{escape(settings.base_url)}[/cyan]",
            f"  database     {escape(_redact(settings.database_url))}",
            f"  account SID  {account.sid}",
            f"  auth token   {token}",
            "  try it with the official SDK (pip install twilio):\n",
        ]
    )


def start_snippet(settings: Settings, account: DefaultAccount) -> str:
    """The five lines ``serve`` suggests; a token given as a setting is read from the
    environment in them rather than printed."""
    if settings.auth_token:
        imports, token = "import os\n", 'os.environ["TELEPHONIST_AUTH_TOKEN"]'
    else:
        imports, token = "", f'"{account.auth_token}"'
    return SNIPPET.format(imports=imports, sid=account.sid, token=token, base=settings.base_url)


@settings_command(cli, WORKER)
def worker(settings: Settings) -> None:
    """Run a dispatch worker against the same database as the server (scale out)."""
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(_run_worker(settings))


def _loop_factory() -> Any:
    """uvloop where it is installed (uvicorn[standard] brings it), as the server uses."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _freeze_startup_objects() -> None:
    """What start-up loaded (libphonenumber's metadata, SQLAlchemy's tables...) lives as long
    as the process: moved out of the collector's sight, full collections, and the latency
    spikes they cause under load, stay short. Only the entry points do this: a library must
    not freeze the objects of the process it runs in."""
    gc.collect()
    gc.freeze()


async def _run_worker(settings: Settings) -> None:
    database, _ = prepare(settings)
    dispatch = build_dispatch(settings, database, SystemClock())
    await dispatch.start()
    _freeze_startup_objects()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    console.print(f"[bold]telephonist worker[/bold] on {_redact(settings.database_url)}")
    try:
        await dispatch.worker.run_forever(stop)
    finally:
        await dispatch.close()
        database.close()


def _client_settings(
    url: str | None, account_sid: str | None, auth_token: str | None
) -> tuple[str, str, str]:
    """Where the server is and whose credentials to use: flags, then TELEPHONIST_*."""
    settings = _env_settings()
    base = (url or settings.base_url).rstrip("/")
    sid = account_sid or settings.account_sid
    token = auth_token or settings.auth_token
    if not sid or not token:
        console.print(
            "[red]error:[/red] give --account-sid/--auth-token or set "
            "TELEPHONIST_ACCOUNT_SID and TELEPHONIST_AUTH_TOKEN"
        )
        raise typer.Exit(2)
    return base, sid, token


def _env_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None


def _fail(response: httpx.Response) -> None:
    try:
        body = response.json()
        console.print(f"[red]error {body.get('code')}:[/red] {body.get('message')}")
    except ValueError:
        console.print(f"[red]error:[/red] HTTP {response.status_code}")
    raise typer.Exit(1)


URL_OPT = typer.Option(
    None,
    "--url",
    help="Server base URL (env TELEPHONIST_PUBLIC_URL; default http://{host}:{port} "
    "from TELEPHONIST_HOST and TELEPHONIST_PORT, i.e. http://127.0.0.1:8080)",
)
SID_OPT = typer.Option(None, "--account-sid", help="Account SID (env TELEPHONIST_ACCOUNT_SID)")
TOKEN_OPT = typer.Option(None, "--auth-token", help="Auth token (env TELEPHONIST_AUTH_TOKEN)")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
FINAL = {"delivered", "undelivered", "failed", "canceled", "read", "received"}


@cli.command()
def send(
    from_: str = typer.Option(..., "--from", help="One of your numbers (E.164)"),
    to: str = typer.Option(..., "--to", help="Destination (E.164)"),
    body: str = typer.Option("", "--body"),
    media: list[str] = typer.Option([], "--media", help="Media URL (repeatable)"),
    wait: bool = typer.Option(False, "--wait", help="Follow the status to its end"),
    timeout: float = typer.Option(60.0, help="Seconds to wait with --wait"),
    url: str = URL_OPT,
    account_sid: str = SID_OPT,
    auth_token: str = TOKEN_OPT,
) -> None:
    """Send a message through the REST API and print its SID."""
    base, sid, token = _client_settings(url, account_sid, auth_token)
    data: list[tuple[str, str]] = [("From", from_), ("To", to), ("Body", body)]
    data += [("MediaUrl", m) for m in media]
    with httpx.Client(base_url=base, auth=(sid, token), timeout=30) as http:
        response = http.post(
            f"/2010-04-01/Accounts/{sid}/Messages.json", content=urlencode(data), headers=FORM
        )
        if response.status_code != 201:
            _fail(response)
        message = response.json()
        typer.echo(message["sid"])
        if not wait:
            return
        status = message["status"]
        console.print(f"  {status}")
        deadline = time.monotonic() + timeout
        while status not in FINAL and time.monotonic() < deadline:
            time.sleep(0.2)
            current = http.get(f"/2010-04-01/Accounts/{sid}/Messages/{message['sid']}.json")
            if current.status_code != 200:
                _fail(current)
            fresh = current.json()
            if fresh["status"] != status:
                status = fresh["status"]
                code = f" ({fresh['error_code']})" if fresh["error_code"] else ""
                console.print(f"  {status}{code}")
        if status not in FINAL:
            console.print("[yellow]still not final; stopped waiting[/yellow]")
            raise typer.Exit(3)
        if status in ("undelivered", "failed"):
            raise typer.Exit(1)


sim = typer.Typer(help="Act as the handsets on the simulated carrier.", no_args_is_help=True)
cli.add_typer(sim, name="sim")


@sim.command("send")
def sim_send(
    from_: str = typer.Option(..., "--from", help="The handset's number (E.164)"),
    to: str = typer.Option(..., "--to", help="One of the server's numbers"),
    body: str = typer.Option("", "--body"),
    media: list[str] = typer.Option([], "--media", help="Media URL (repeatable)"),
    url: str = URL_OPT,
    account_sid: str = SID_OPT,
    auth_token: str = TOKEN_OPT,
) -> None:
    """Text one of the server's numbers from a handset (the app's SmsUrl gets the webhook)."""
    base, sid, token = _client_settings(url, account_sid, auth_token)
    data = [("To", to), ("Body", body), *[("MediaUrl", m) for m in media]]
    with httpx.Client(base_url=base, auth=(sid, token), timeout=30) as http:
        response = http.post(
            f"/telephonist/v1/Handsets/{quote(from_)}/Messages",
            content=urlencode(data),
            headers=FORM,
        )
        if response.status_code != 201:
            _fail(response)
        typer.echo(response.json()["sid"])


@sim.command("inbox")
def sim_inbox(
    number: str = typer.Argument(..., help="The handset's number (E.164)"),
    url: str = URL_OPT,
    account_sid: str = SID_OPT,
    auth_token: str = TOKEN_OPT,
) -> None:
    """List what a handset received."""
    base, sid, token = _client_settings(url, account_sid, auth_token)
    with httpx.Client(base_url=base, auth=(sid, token), timeout=30) as http:
        response = http.get(f"/telephonist/v1/Handsets/{quote(number)}/Messages")
        if response.status_code != 200:
            _fail(response)
        for item in response.json()["messages"]:
            typer.echo(f"{item['date_received']}  {item['from']}  {item['body']}")


@sim.command("scenario")
def sim_scenario(
    pattern: str = typer.Argument(None, help="Number or glob (+1555*); omit to list"),
    scenario: str = typer.Argument(None, help="Scenario name"),
    url: str = URL_OPT,
    account_sid: str = SID_OPT,
    auth_token: str = TOKEN_OPT,
) -> None:
    """Attach a carrier scenario to handsets, or list scenarios and rules."""
    base, sid, token = _client_settings(url, account_sid, auth_token)
    with httpx.Client(base_url=base, auth=(sid, token), timeout=30) as http:
        if pattern and scenario:
            response = http.post(
                "/telephonist/v1/Scenarios/Rules", data={"Pattern": pattern, "Scenario": scenario}
            )
            if response.status_code != 200:
                _fail(response)
            typer.echo(f"{pattern} -> {scenario}")
            return
        response = http.get("/telephonist/v1/Scenarios")
        if response.status_code != 200:
            _fail(response)
        listing = response.json()
        for item in listing["scenarios"]:
            typer.echo(f"{item['name']:<18} {item['description']}")
        for rule in listing["rules"]:
            typer.echo(f"rule: {rule['pattern']} -> {rule['scenario']} ({rule['source']})")


def _control(url: str | None, account_sid: str | None, auth_token: str | None) -> httpx.Client:
    """An HTTP client for the control API of the server the flags or TELEPHONIST_* name."""
    base, sid, token = _client_settings(url, account_sid, auth_token)
    return httpx.Client(base_url=base, auth=(sid, token), timeout=30)


def _post(http: httpx.Client, path: str, data: list[tuple[str, str]], ok: int) -> Any:
    """POST a form to the control API; the JSON answer, or the server's error and exit 1."""
    response = http.post(path, content=urlencode(data), headers=FORM)
    if response.status_code != ok:
        _fail(response)
    return response.json()


def _segment(value: str) -> str:
    """One path segment: ``+``, ``*`` and ``/`` are escaped so that the server sees them."""
    return quote(value, safe="")


@sim.command("short-code")
def sim_short_code(
    short_code: str = typer.Argument(..., help="5 or 6 digits"),
    country: str = typer.Option("US", "--country", help="ISO country code it texts"),
    name: str = typer.Option("", "--name", help="FriendlyName (default: the digits)"),
    sms_url: str = typer.Option("", "--sms-url", help="Where texts to it are posted"),
    mms: bool = typer.Option(False, "--mms", help="MMS-enabled"),
    url: str = URL_OPT,
    account_sid: str = SID_OPT,
    auth_token: str = TOKEN_OPT,
) -> None:
    """Lease a short code from the simulated carrier for your account and print its SID
    (Twilio's API cannot buy short codes)."""
    data = [
        ("ShortCode", short_code),
        ("IsoCountryCode", country),
        ("MmsEnabled", "true" if mms else "false"),
    ]
    data += [(k, v) for k, v in (("FriendlyName", name), ("SmsUrl", sms_url)) if v]
    with _control(url, account_sid, auth_token) as http:
        made = _post(http, "/telephonist/v1/ShortCodes", data, 201)
    typer.echo(made["sid"])


@sim.command("call")
def sim_call(
    from_: str = typer.Argument(..., metavar="FROM", help="The handset's number (E.164)"),
    to: str = typer.Argument(..., help="One of the server's numbers"),
    script: str = typer.Option(
        None,
        "--script",
        help='What the handset does once answered: wait 2; press 1; say "yes"; hangup',
    ),
    url: str = URL_OPT,
    account_sid: str = SID_OPT,
    auth_token: str = TOKEN_OPT,
) -> None:
    """Call one of the server's numbers from a handset (the number's VoiceUrl answers) and
    print the call's SID."""
    data = [("To", to)] + ([("Script", script)] if script else [])
    with _control(url, account_sid, auth_token) as http:
        call = _post(http, f"/telephonist/v1/Handsets/{_segment(from_)}/Calls", data, 201)
    typer.echo(call["sid"])


@sim.command("answer")
def sim_answer(
    number: str = typer.Argument(..., help="The handset's number (E.164), or a glob (+1555*)"),
    behavior: str = typer.Option(
        ...,
        "--behavior",
        metavar="BEHAVIOR",
        help=f"How the handset answers calls: {', '.join(BEHAVIORS)}",
    ),
    after: float = typer.Option(
        None, "--after", help="Seconds of ringing before it answers (default 1: one ring)"
    ),
    script: str = typer.Option(
        None,
        "--script",
        help="What it does once answered (answer and machine only): wait 1; press 1; hangup",
    ),
    url: str = URL_OPT,
    account_sid: str = SID_OPT,
    auth_token: str = TOKEN_OPT,
) -> None:
    """Choose how a handset answers the calls your numbers place to it."""
    data = [("Behavior", behavior)]
    if after is not None:
        data.append(("AnswerAfter", repr(after)))
    if script:
        data.append(("Script", script))
    with _control(url, account_sid, auth_token) as http:
        set_ = _post(http, f"/telephonist/v1/Handsets/{_segment(number)}/CallBehavior", data, 200)
    line = f"{set_['number']} -> {set_['behavior']}"
    if set_["behavior"] in ("answer", "machine"):
        line += f" after {set_['answer_after']:g}s"
    if set_.get("script"):
        line += f"; script: {set_['script']}"
    typer.echo(line)


def _live_input(
    call_sid: str, what: str, data: list[tuple[str, str]], flags: tuple[Any, Any, Any]
) -> None:
    with _control(*flags) as http:
        _post(http, f"/telephonist/v1/Calls/{_segment(call_sid)}/{what}", data, 200)


@sim.command("press")
def sim_press(
    call_sid: str = typer.Argument(..., metavar="CALLSID", help="A live call (CA…)"),
    digits: str = typer.Argument(..., help="Keys 0-9, *, #, and w for a half-second pause"),
    url: str = URL_OPT,
    account_sid: str = SID_OPT,
    auth_token: str = TOKEN_OPT,
) -> None:
    """Press keys on the handset's side of a live call."""
    _live_input(call_sid, "Digits", [("Digits", digits)], (url, account_sid, auth_token))
    typer.echo(f"{call_sid}: pressed {digits}")


@sim.command("say")
def sim_say(
    call_sid: str = typer.Argument(..., metavar="CALLSID", help="A live call (CA…)"),
    text: str = typer.Argument(..., help="What the handset says (a <Gather> hears it)"),
    url: str = URL_OPT,
    account_sid: str = SID_OPT,
    auth_token: str = TOKEN_OPT,
) -> None:
    """Speak on the handset's side of a live call."""
    _live_input(call_sid, "Speech", [("Text", text)], (url, account_sid, auth_token))
    typer.echo(f"{call_sid}: said {text!r}")


@sim.command("hangup")
def sim_hangup(
    call_sid: str = typer.Argument(..., metavar="CALLSID", help="A call (CA…)"),
    url: str = URL_OPT,
    account_sid: str = SID_OPT,
    auth_token: str = TOKEN_OPT,
) -> None:
    """Hang up the handset's side of a call."""
    _live_input(call_sid, "Hangup", [], (url, account_sid, auth_token))
    typer.echo(f"{call_sid}: hung up")


@sim.command("transcript")
def sim_transcript(
    call_sid: str = typer.Argument(..., metavar="CALLSID", help="A call (CA…)"),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON the control API answers"),
    url: str = URL_OPT,
    account_sid: str = SID_OPT,
    auth_token: str = TOKEN_OPT,
) -> None:
    """What the caller heard and did on a call, in order, in seconds from the answer."""
    with _control(url, account_sid, auth_token) as http:
        response = http.get(f"/telephonist/v1/Calls/{_segment(call_sid)}/Transcript")
        if response.status_code != 200:
            _fail(response)
    body = response.json()
    if as_json:
        typer.echo(json.dumps(body, indent=2))
        return
    for line in transcript_lines(body):
        typer.echo(line)


# The field a transcript line leads with, shown bare; the others follow as name=value.
_LEAD = {"say": "text", "speech": "text", "play": "url", "digits": "digits", "dial": "to"}
_QUOTED = {"say", "speech"}


def transcript_lines(transcript: Mapping[str, Any]) -> list[str]:
    """A transcript as a table: seconds from the answer, the kind, then its fields."""
    events = transcript.get("events") or []
    lines = [f"{transcript['call_sid']}  {transcript['status']}"]
    if not events:
        return [*lines, "  (nothing yet)"]
    width = max(len("kind"), *(len(e["kind"]) for e in events))
    lines.append(f"{'at':>9}  {'kind':<{width}}  detail")
    for event in events:
        kind = event["kind"]
        fields = {k: v for k, v in event.items() if k not in ("at", "kind")}
        words = []
        lead = _LEAD.get(kind)
        if lead in fields:
            value = str(fields.pop(lead))
            words.append(json.dumps(value, ensure_ascii=False) if kind in _QUOTED else value)
        words += [f"{name}={value}" for name, value in fields.items()]
        lines.append(f"{event['at']:>9.3f}  {kind:<{width}}  {'  '.join(words)}".rstrip())
    return lines


bulk = typer.Typer(
    help="Send one message per row of a CSV file, resumably, and follow their statuses.",
    no_args_is_help=True,
)
cli.add_typer(bulk, name="bulk")


class _RateColumn(ProgressColumn):
    """Messages per second, as Rich measures the task's speed."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:.1f} msg/s" if task.speed else "", style="progress.data.speed")


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
        transient=False,
    )


def _summary(counts: Mapping[str, int]) -> Table:
    table = Table()
    table.add_column("status")
    table.add_column("rows", justify="right")
    for status, count in sorted(counts.items()):
        table.add_row(status or "(none)", str(count))
    return table


@bulk.command("send")
def bulk_send(
    recipients: Path = typer.Argument(..., help="CSV file with a header row and a 'to' column"),
    from_: str = typer.Option(None, "--from", help="The sending number (E.164)"),
    service: str = typer.Option(None, "--service", help="A Messaging Service SID (MG…)"),
    body: str = typer.Option(
        None, "--body", help="Body template: {column} is that row's value, {{ and }} are braces"
    ),
    body_column: str = typer.Option(
        None, "--body-column", help="Take each row's body from this column instead of --body"
    ),
    to_column: str = typer.Option(
        bulk_plan.DEFAULT_TO_COLUMN, "--to-column", help="The column holding the recipients"
    ),
    rate: float = typer.Option(
        None,
        "--rate",
        help="Messages per second (default: the sender's documented rate: 1 for a long code, "
        "3 toll-free, 100 a short code, 10 alphanumeric; a service's pool summed)",
    ),
    concurrency: int = typer.Option(4, "--concurrency", help="Requests in flight at most"),
    limit: int = typer.Option(None, "--limit", help="Send at most this many rows this run"),
    results_path: Path = typer.Option(
        None, "--results", help="Results CSV (default: <name>.results.csv beside the input)"
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar or summary"),
    url: str = URL_OPT,
    account_sid: str = SID_OPT,
    auth_token: str = TOKEN_OPT,
) -> None:
    """Send one message per CSV row; rerun the same command to finish an interrupted run.

    Each row's Idempotency-Key comes from the file's content, the sender, the body and the
    row number, so a rerun skips rows the results file has settled and replays (never
    resends) any that were in flight when the last run stopped.
    """
    base, sid, token = _client_settings(url, account_sid, auth_token)
    out = results_path or bulk_results.default_path(recipients)
    progress = _progress(quiet)
    task: list[TaskID] = []

    def start(total: int, pace: float) -> None:
        if not quiet:
            console.print(f"{total} rows to send at {pace:g} msg/s", highlight=False)
        task.append(progress.add_task("sending", total=total))

    try:
        sender = bulk_plan.Sender(from_, service)
        with progress:
            summary = bulk_send_.send_file(
                bulk_send_.Api(base, sid, token),
                recipients,
                out,
                sender,
                body=body,
                body_column=body_column,
                to_column=to_column,
                rate=rate,
                concurrency=concurrency,
                limit=limit,
                on_start=start,
                on_result=lambda _: progress.advance(task[0]),
            )
    except bulk_plan.BulkError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        if out.exists():
            console.print(f"results so far: {escape(str(out))}", highlight=False)
        raise typer.Exit(1 if isinstance(exc, bulk_send_.Aborted) else 2) from None
    if not quiet:
        console.print(
            f"{sum(summary.counts.values())} rows this run, {summary.skipped} settled before",
            highlight=False,
        )
        console.print(_summary(summary.counts))
        console.print(f"results: {escape(str(out))}", highlight=False)


@bulk.command("status")
def bulk_status(
    results_path: Path = typer.Argument(..., metavar="RESULTS", help="A bulk send results CSV"),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar"),
    url: str = URL_OPT,
    account_sid: str = SID_OPT,
    auth_token: str = TOKEN_OPT,
) -> None:
    """Fetch every sent row's message again, rewrite the status column, count the statuses."""
    base, sid, token = _client_settings(url, account_sid, auth_token)
    progress = _progress(quiet)
    task: list[TaskID] = []
    try:
        with progress:
            fresh = bulk_send_.refresh_file(
                bulk_send_.Api(base, sid, token),
                results_path,
                on_start=lambda total: task.append(progress.add_task("fetching", total=total)),
                on_result=lambda _: progress.advance(task[0]),
            )
    except bulk_plan.BulkError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1 if isinstance(exc, bulk_send_.Aborted) else 2) from None
    counts: dict[str, int] = {}
    for result in fresh:
        counts[result.status] = counts.get(result.status, 0) + 1
    # The table is the command's answer, so it goes to stdout even with --quiet.
    typer.echo(f"{len(fresh)} rows in {results_path}")
    Console().print(_summary(counts))


@cli.command("env")
def env_(url: str = URL_OPT, account_sid: str = SID_OPT, auth_token: str = TOKEN_OPT) -> None:
    """Print shell lines that point unchanged Twilio apps at this server: eval "$(telephonist env)".

    Apps that build their own Client (most do) reach telephonist once these are exported: a
    shim telephonist ships rewrites the twilio SDK's *.twilio.com requests to TELEPHONIST_URL
    (Python through PYTHONPATH, Node through NODE_OPTIONS). The SDKs read the credentials
    from TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.
    """
    settings = _env_settings()
    base = (url or settings.base_url).rstrip("/")
    sid = account_sid or settings.account_sid
    token = auth_token or settings.auth_token
    for line in env_lines(base, sid, token):
        typer.echo(line)
    if not sid or not token:
        console.print(
            "note: no credentials known; give --account-sid/--auth-token (or set "
            "TELEPHONIST_ACCOUNT_SID and TELEPHONIST_AUTH_TOKEN) to export TWILIO_ACCOUNT_SID "
            "and TWILIO_AUTH_TOKEN too"
        )


def env_lines(base: str, account_sid: str = "", auth_token: str = "") -> list[str]:
    """POSIX shell lines: the server's URL, the two shims, and the credentials when known.

    Existing PYTHONPATH and NODE_OPTIONS values are kept after ours; an empty PYTHONPATH stays
    without a trailing ``:`` (which Python would read as the current directory).
    """
    require = f"--require {_node_quote(str(shims.NODE))}"
    lines = [
        f"export TELEPHONIST_URL={shlex.quote(base)}",
        f'export PYTHONPATH={shlex.quote(str(shims.DIRECTORY))}"${{PYTHONPATH:+:$PYTHONPATH}}"',
        f'export NODE_OPTIONS={shlex.quote(require)}"${{NODE_OPTIONS:+ $NODE_OPTIONS}}"',
    ]
    if account_sid:
        lines.append(f"export TWILIO_ACCOUNT_SID={shlex.quote(account_sid)}")
    if auth_token:
        lines.append(f"export TWILIO_AUTH_TOKEN={shlex.quote(auth_token)}")
    return lines


def _node_quote(path: str) -> str:
    """Node splits NODE_OPTIONS on spaces unless a value is in double quotes."""
    if not any(c in path for c in ' "\\'):
        return path
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _redact(url: str) -> str:
    """Never print a database password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url


def main() -> None:
    cli(prog_name="telephonist")


if __name__ == "__main__":
    main()
