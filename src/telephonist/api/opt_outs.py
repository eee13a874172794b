"""Opt-outs in the control API, under ``/telephonist/v1``: who texted STOP, and a Messaging
Service's own keywords and replies.

Twilio keeps its opt-out list to itself and sets a service's Advanced Opt-Out in its console,
so neither has a REST resource there; these are telephonist's. They are scoped like the rest
of the control API: a caller sees its own account's opt-outs and its subaccounts', and sets
the keywords of its own services only (another account's service answers 404).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from telephonist.api.forms import read_form
from telephonist.api.render import JSONResponse, rfc2822
from telephonist.api.simulator import caller
from telephonist.domain.optout import (
    KINDS,
    check_reply,
    describe,
    keywords_from,
    overlap,
    parse_keywords,
)
from telephonist.errors import TwilioError, invalid_parameter
from telephonist.storage.repositories import messaging_services as services_repo
from telephonist.storage.repositories import opt_outs as repo

PARAMS = {
    **{f"{k.capitalize()}Keywords": f"{k.lower()}_keywords" for k in KINDS},
    **{f"{k.capitalize()}Reply": f"{k.lower()}_reply" for k in KINDS},
}
"""Form parameter -> stored setting: StopKeywords, StartKeywords, HelpKeywords, StopReply..."""


async def list_opt_outs(request: Request) -> Response:
    """Every opt-out of the caller's account and its subaccounts, oldest first."""
    ctx, who = await caller(request)
    rows = await ctx.db.read(repo.list_opt_outs, who.account_sid)
    return JSONResponse(
        {
            "opt_outs": [
                {
                    "account_sid": r["account_sid"],
                    "scope": r["scope"],
                    "recipient": r["recipient"],
                    "date_created": rfc2822(r["date_created"]),
                }
                for r in rows
            ]
        }
    )


def _settings_json(sid: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"messaging_service_sid": sid, **describe(keywords_from(config))}


async def _service(request: Request) -> tuple[Any, str, str]:
    ctx, who = await caller(request)
    sid = request.path_params["sid"]
    row = await ctx.db.read(services_repo.get_service, who.account_sid, sid)
    if row is None:
        raise TwilioError(20404, 404, f"The Messaging Service {sid} was not found")
    return ctx, who.account_sid, sid


async def fetch_settings(request: Request) -> Response:
    ctx, _, sid = await _service(request)
    config = await ctx.db.read(repo.get_settings, sid)
    return JSONResponse(_settings_json(sid, config))


async def update_settings(request: Request) -> Response:
    """Replace the keyword lists and replies sent; the others stay as they were. An empty
    parameter goes back to the default."""
    ctx, account_sid, sid = await _service(request)
    form = await read_form(request, ctx.settings.max_body_bytes)
    changes: dict[str, Any] = {}
    cleared: list[str] = []
    for param, name in PARAMS.items():
        raw = form.get(param)
        if raw is None:
            continue
        if raw == "":
            cleared.append(name)
            continue
        try:
            changes[name] = parse_keywords(raw) if name.endswith("_keywords") else check_reply(raw)
        except ValueError as exc:
            raise invalid_parameter(f"{param} must be {exc}") from None

    def work(conn: Any) -> dict[str, Any]:
        config = {**repo.get_settings(conn, sid), **changes}
        for name in cleared:
            config.pop(name, None)
        clash = overlap(keywords_from(config))
        if clash:
            raise invalid_parameter(
                f"{', '.join(sorted(clash))} cannot be a keyword of two kinds at once"
            )
        repo.set_settings(conn, account_sid, sid, config, ctx.now_micros())
        return config

    config = await ctx.db.run(work)
    return JSONResponse(_settings_json(sid, config))
