"""The ``telephonist`` command: ``serve`` today; more subcommands as capabilities land."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import typer
import uvicorn
from rich.console import Console

from telephonist.app import build_dispatch, create_app, prepare
from telephonist.clock import SystemClock
from telephonist.settings import Settings
from telephonist.storage.seed import BadCredentialsSetting

cli = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="A self-hosted, Twilio-compatible communications platform.",
)
console = Console(stderr=True)


@cli.callback()
def _root() -> None:
    """A self-hosted, Twilio-compatible communications platform."""


SNIPPET = """\
from twilio.rest import Client
client = Client("{sid}", "{token}")
client.api.base_url = "{base}"
n = client.incoming_phone_numbers.create(area_code="415")
print(client.messages.create(to="+14155550123", from_=n.phone_number, body="Hi").sid)"""


@cli.command()
def serve(
    host: str = typer.Option(
        None, help="Interface to listen on [env TELEPHONIST_HOST; default 127.0.0.1]"
    ),
    port: int = typer.Option(None, help="Port [env TELEPHONIST_PORT; default 8080]"),
    db: str = typer.Option(
        None, "--db", help="Database URL [env TELEPHONIST_DB; default SQLite in the data directory]"
    ),
    data_dir: str = typer.Option(None, help="Data directory [env TELEPHONIST_DATA_DIR]"),
    public_url: str = typer.Option(None, help="Base URL clients use [env TELEPHONIST_PUBLIC_URL]"),
    log_level: str = typer.Option(
        None, help="debug|info|warning|error [env TELEPHONIST_LOG_LEVEL]"
    ),
    worker: bool = typer.Option(
        None,
        "--worker/--no-worker",
        help="Run a dispatch worker in this process [env TELEPHONIST_WORKER; default on]",
    ),
    clock: str = typer.Option(None, help="system|manual [env TELEPHONIST_CLOCK]"),
) -> None:
    """Start the Twilio-compatible API server (with a dispatch worker and the simulator)."""
    settings = Settings.from_env(
        host=host,
        port=port,
        db=db,
        data_dir=data_dir,
        public_url=public_url,
        log_level=log_level,
        worker=worker,
        clock=clock,
    )
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
    database.close()
    base = settings.base_url
    console.print(f"[bold]telephonist[/bold] listening on [cyan]{base}[/cyan]")
    console.print(f"  database     {_redact(settings.database_url)}")
    console.print(f"  account SID  {account.sid}")
    console.print(f"  auth token   {account.auth_token}")
    console.print("  try it with the official SDK (pip install twilio):\n")
    typer.echo(
        SNIPPET.format(sid=account.sid, token=account.auth_token, base=base) + "\n", err=True
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
    )


@cli.command()
def worker(
    db: str = typer.Option(None, "--db", help="Database URL [env TELEPHONIST_DB]"),
    data_dir: str = typer.Option(None, help="Data directory [env TELEPHONIST_DATA_DIR]"),
) -> None:
    """Run a dispatch worker against the same database as the server (scale out)."""
    settings = Settings.from_env(db=db, data_dir=data_dir)
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


async def _run_worker(settings: Settings) -> None:
    database, _ = prepare(settings)
    dispatch = build_dispatch(settings, database, SystemClock())
    await dispatch.start()
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
    settings = Settings.from_env()
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
    help="Server base URL [env TELEPHONIST_PUBLIC_URL; default http://127.0.0.1:8080]",
)
SID_OPT = typer.Option(None, "--account-sid", help="[env TELEPHONIST_ACCOUNT_SID]")
TOKEN_OPT = typer.Option(None, "--auth-token", help="[env TELEPHONIST_AUTH_TOKEN]")
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
