"""The ``telephonist`` command: ``serve`` today; more subcommands as capabilities land."""

from __future__ import annotations

import logging
import sys

import typer
import uvicorn
from rich.console import Console

from telephonist.app import create_app, prepare
from telephonist.settings import Settings
from telephonist.storage.seed import BadCredentialsSetting

cli = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="A self-hosted, Twilio-compatible communications platform.")
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
    host: str = typer.Option(None, help="Interface to listen on [env TELEPHONIST_HOST; "
                             "default 127.0.0.1]"),
    port: int = typer.Option(None, help="Port [env TELEPHONIST_PORT; default 8080]"),
    db: str = typer.Option(None, "--db", help="Database URL [env TELEPHONIST_DB; default "
                           "SQLite in the data directory]"),
    data_dir: str = typer.Option(None, help="Data directory [env TELEPHONIST_DATA_DIR]"),
    public_url: str = typer.Option(None, help="Base URL clients use [env TELEPHONIST_PUBLIC_URL]"),
    log_level: str = typer.Option(None, help="debug|info|warning|error [env "
                                  "TELEPHONIST_LOG_LEVEL]"),
) -> None:
    """Start the Twilio-compatible API server."""
    settings = Settings.from_env(host=host, port=port, db=db, data_dir=data_dir,
                                 public_url=public_url, log_level=log_level)
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
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
    typer.echo(SNIPPET.format(sid=account.sid, token=account.auth_token, base=base) + "\n",
               err=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                log_level=settings.log_level, access_log=False)


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
    sys.exit(main())
