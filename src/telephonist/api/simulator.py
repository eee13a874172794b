"""The control API of the simulated carrier, under ``/telephonist/v1``.

It lets a test or a person act as the phones on the other side: send an SMS/MMS from a
handset to one of the server's numbers, read what a handset received, pick how a handset's
carrier behaves, and move simulated time. Requests take the same HTTP Basic credentials as the
Twilio API; answers are JSON, errors Twilio-shaped.

It is scoped like the REST API: what a caller does here concerns its own account and its
subaccounts. A scenario rule is the caller's account's and shapes only that account's traffic
(and its subaccounts'); a handset texts only the caller's numbers, and an inbox shows only what
the caller's accounts sent. Another account's objects answer exactly as objects that do not
exist, so nothing here tells one account about another.
"""

from __future__ import annotations

import base64
import binascii
import math
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from telephonist.api.auth import require_active
from telephonist.api.context import READS, Context, principal
from telephonist.api.forms import Form, query_form, read_form
from telephonist.api.render import JSONResponse, rfc2822
from telephonist.clock import FakeClock, to_micros
from telephonist.dispatch.queue import next_due
from telephonist.domain import phone, short_codes
from telephonist.domain.accounts import Principal
from telephonist.domain.error_codes import catalog_message
from telephonist.domain.messages import MessageRejected, check_content
from telephonist.errors import TwilioError, invalid_parameter
from telephonist.providers.base import InboundMedia, MobileOriginated
from telephonist.providers.simulator import store
from telephonist.providers.simulator.carrier import NAME, Simulator
from telephonist.providers.simulator.scenarios import SCENARIOS
from telephonist.storage.repositories import numbers as numbers_repo
from telephonist.storage.repositories import short_codes as short_codes_repo
from telephonist.webhooks.media import MediaError, fetch_media

PREFIX = "/telephonist/v1"


def simulator_of(ctx: Context) -> Simulator:
    """The simulated carrier of this server (404 when it runs without one)."""
    if NAME not in ctx.providers:
        raise TwilioError(20404, 404, "The simulated carrier is not running on this server")
    simulator = ctx.providers.get(NAME)
    assert isinstance(simulator, Simulator)
    return simulator


def handset_number(request: Request) -> str:
    """The ``{number}`` in a control-API path, as E.164 (21211 when it is not a number)."""
    raw = request.path_params["number"]
    number = phone.parse_e164(raw)
    if number is None:
        raise TwilioError(21211, 400, f"{raw!r} is not an E.164 phone number")
    return number


async def caller(request: Request) -> tuple[Context, Principal]:
    """Authenticate a control-API request. As on the REST API, a suspended account's
    credentials may read (its rules, its handsets' inboxes) but change nothing (20005)."""
    ctx, who = await principal(request)
    if request.method not in READS:
        require_active(who)
    return ctx, who


async def send_from_handset(request: Request) -> Response:
    """A handset texts one of the caller's numbers or short codes: stored as inbound, then
    the app's SmsUrl is called.

    Who holds ``To`` and owns the handset is checked before anything is fetched or written,
    in reads that see only the caller's numbers and short codes: another account's answers as
    one nobody holds (as ``To``), or as any handset (as the handset), on the same path. A
    short code is texted only by handsets of its own country, as carriers route them.
    """
    ctx, who = await caller(request)
    handset = handset_number(request)
    form = await read_form(request, ctx.settings.max_body_bytes)
    to_raw = form.text("To")
    if to_raw is None:
        raise TwilioError(21604, 400, "To (one of this server's numbers) is required")
    to = to_raw if phone.is_short_code(to_raw) else phone.parse_e164(to_raw)
    if to is None:
        raise TwilioError(21211, 400, f"To {to_raw!r} is not an E.164 number or a short code")
    body = form.get("Body") or ""
    urls = [u for u in form.getlist("MediaUrl") if u]
    uploads = _uploads(form)
    try:
        check_content(body, urls, inline_media=len(uploads))
    except MessageRejected as exc:
        raise TwilioError(exc.code, 400, exc.message) from None
    simulator = simulator_of(ctx)
    mine = await ctx.db.read(numbers_repo.owned_within, [handset, to], who.account_sid)
    if phone.is_short_code(to):
        code = await ctx.db.read(short_codes_repo.held_within, to, who.account_sid)
        if code is None:
            raise TwilioError(21211, 404, f"{to} is not one of this account's numbers")
        if not short_codes.reaches(code["iso_country"], handset):
            raise TwilioError(
                21612, 400, f"{handset} cannot reach {to}, a short code of {code['iso_country']}"
            )
    elif to not in mine:
        raise TwilioError(21211, 404, f"{to} is not one of this account's numbers")
    if handset in mine:
        raise invalid_parameter(
            f"{handset} is one of this account's numbers; a handset is a number it does not own"
        )
    attachments = list(uploads)
    for url in urls:
        try:
            fetched = await fetch_media(ctx.webhooks, url, timeout=ctx.settings.webhook_timeout)
        except MediaError as exc:
            # The code and its title, nothing more: how a fetch failed (which address a name
            # has, what a port answered) would make this endpoint a map of the network
            # behind the server. The destination policy applies as to every other fetch.
            message = f"MediaUrl {url} could not be fetched: {catalog_message(exc.code)}"
            raise TwilioError(exc.code, message) from None
        attachments.append(InboundMedia(fetched.content_type, fetched.content, url))

    row = await simulator.send_from_handset(
        MobileOriginated(NAME, from_=handset, to=to, body=body, media=tuple(attachments))
    )
    return JSONResponse(
        {
            "sid": row["sid"],
            "account_sid": row["account_sid"],
            "from": row["from_"],
            "to": row["to"],
            "body": row["body"],
            "num_media": row["num_media"],
            "status": row["status"],
        },
        status_code=201,
    )


def _uploads(form: Form) -> list[InboundMedia]:
    """Inline media: ``MediaContent`` (base64) with ``MediaContentType``, repeated in pairs."""
    contents = form.getlist("MediaContent")
    types = form.getlist("MediaContentType")
    if len(types) != len(contents):
        raise invalid_parameter("Each MediaContent needs a MediaContentType")
    out = []
    for content, content_type in zip(contents, types, strict=True):
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise invalid_parameter("MediaContent must be base64") from None
        out.append(InboundMedia(content_type, data))
    return out


async def handset_inbox(request: Request) -> Response:
    """What a handset received from the caller's account (and its subaccounts), oldest first.

    Handsets are shared, but what other accounts sent them is not the caller's to read.
    """
    ctx, who = await caller(request)
    handset = handset_number(request)
    rows = await ctx.db.read(store.inbox, handset, who.account_sid)
    return JSONResponse(
        {
            "handset": handset,
            "messages": [
                {
                    "message_sid": r["message_sid"],
                    "from": r["peer"],
                    "body": r["body"],
                    "num_media": r["num_media"],
                    "scenario": r["scenario"],
                    "date_received": rfc2822(r["created_at"]),
                }
                for r in rows
            ],
        }
    )


async def list_scenarios(request: Request) -> Response:
    """The catalogue and the rules in force for the caller's traffic, least specific first:
    the configured ones, its parent account's, its own."""
    ctx, who = await caller(request)
    simulator = simulator_of(ctx)
    rows = await ctx.db.read(store.rules_in_force, who.account_sid, who.owner_account_sid)
    configured = [
        {"pattern": p, "scenario": n, "source": "config"} for p, n in simulator.config_rules
    ]
    accounts = [
        {
            "pattern": r.pattern,
            "scenario": r.scenario,
            "source": "account" if r.account_sid == who.account_sid else "parent",
        }
        for r in rows
    ]
    accounts.sort(key=lambda rule: rule["source"] == "account")
    return JSONResponse(
        {
            "scenarios": [
                {"name": s.name, "description": s.description} for s in SCENARIOS.values()
            ],
            "rules": configured + accounts,
        }
    )


async def set_rule(request: Request) -> Response:
    """Attach a scenario to a number or a glob pattern (``+1555*``), for the caller's account."""
    ctx, who = await caller(request)
    form = await read_form(request, ctx.settings.max_body_bytes)
    pattern = form.text("Pattern") or request.path_params.get("number")
    name = form.text("Scenario")
    if not pattern or len(pattern) > 64 or not pattern.startswith("+"):
        raise invalid_parameter("Pattern must be an E.164 number or a glob such as +1555*")
    if name not in SCENARIOS:
        raise invalid_parameter(f"Scenario must be one of {', '.join(SCENARIOS)}")
    simulator_of(ctx)
    await ctx.db.run(store.set_rule, who.account_sid, pattern, name, ctx.now_micros())
    return JSONResponse({"pattern": pattern, "scenario": name})


async def delete_rule(request: Request) -> Response:
    """Remove one of the caller's own rules; anyone else's is not there for it to remove."""
    ctx, who = await caller(request)
    pattern = query_form(request).text("Pattern")
    if not pattern:
        raise invalid_parameter("Pattern is required")

    simulator_of(ctx)
    if not await ctx.db.run(store.delete_rule, who.account_sid, pattern):
        raise TwilioError(20404, 404, f"No scenario rule for {pattern}")
    return Response(status_code=204)


async def clock(request: Request) -> Response:
    """Read simulated time, or advance it and run everything that falls due."""
    ctx, _ = await caller(request)
    processed = 0
    if request.method == "POST":
        form = await read_form(request, ctx.settings.max_body_bytes)
        seconds = form.get("Advance") or "0"
        try:
            step = float(seconds)
        except ValueError:
            raise invalid_parameter("Advance must be a number of seconds") from None
        if not math.isfinite(step):
            raise invalid_parameter("Advance must be a number of seconds")
        if step < 0:
            raise invalid_parameter("Time only moves forward")
        try:
            ctx.clock.now() + timedelta(seconds=step)
        except OverflowError:
            raise invalid_parameter("Advance would move the clock past the year 9999") from None
        if step and not isinstance(ctx.clock, FakeClock):
            raise TwilioError(
                20422,
                409,
                "The clock is the system clock; start the server "
                "with TELEPHONIST_CLOCK=manual to move time",
            )
        processed = await _advance(ctx, step)
    now = ctx.clock.now()
    return JSONResponse(
        {
            "now": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "micros": to_micros(now),
            "manual": isinstance(ctx.clock, FakeClock),
            "processed": processed,
        }
    )


async def _advance(ctx: Context, step: float) -> int:
    """Move time to ``now + step``, stopping at each instant work falls due, so every timer
    fires at its own moment and in order."""
    the_clock = ctx.clock
    processed = await ctx.run_due()
    if not step:
        return processed
    assert isinstance(the_clock, FakeClock)
    target = to_micros(the_clock.now()) + int(step * 1_000_000)
    while True:
        due = await ctx.db.read(next_due)
        now = to_micros(the_clock.now())
        stop = target if due is None or due > target else max(due, now)
        the_clock.advance((stop - now) / 1_000_000)
        processed += await ctx.run_due()
        if stop >= target:
            return processed
