"""The control API for calls, under ``/telephonist/v1``: the phones on the other side of a call.

A handset dials one of the caller's numbers (``Handsets/{number}/Calls``), picks how it answers
calls placed to it (``Handsets/{number}/CallBehavior``), presses keys, speaks or hangs up on a
live call (``Calls/{sid}/Digits|Speech|Hangup``), and every call keeps a transcript of what
the caller heard and did (``Calls/{sid}/Transcript``). Same credentials, scoping and error
shape as the rest of the control API: another account's calls answer as calls that do not
exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from starlette.requests import Request
from starlette.responses import Response

from telephonist.api.calls import call_json
from telephonist.api.forms import read_form
from telephonist.api.render import JSONResponse
from telephonist.api.simulator import caller, handset_number, simulator_of
from telephonist.dispatch import calls as dispatch
from telephonist.domain import phone
from telephonist.domain.calls import InvalidBehavior, behavior
from telephonist.domain.scripts import InvalidScript, format_script
from telephonist.domain.scripts import parse as parse_script
from telephonist.errors import TwilioError, invalid_parameter, not_found
from telephonist.providers.simulator import store
from telephonist.storage.repositories import calls as repo
from telephonist.storage.repositories import numbers as numbers_repo
from telephonist.storage.repositories.accounts import reachable_sids
from telephonist.storage.schema import calls


def _call(conn: Connection, account_sid: str, sid: str) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(calls)
            .where(calls.c.sid == sid)
            .where(calls.c.account_sid.in_(reachable_sids(account_sid)))
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def _script(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return format_script(parse_script(text))
    except InvalidScript as exc:
        raise invalid_parameter(f"Script: {exc}") from None


async def dial_in(request: Request) -> Response:
    """A handset calls one of the caller's numbers; 201 with the call (ringing)."""
    ctx, who = await caller(request)
    handset = handset_number(request)
    form = await read_form(request, ctx.settings.max_body_bytes)
    to_raw = form.text("To")
    if to_raw is None:
        raise TwilioError(21201, "To (one of this server's numbers) is required")
    to = phone.parse_e164(to_raw)
    if to is None:
        raise TwilioError(21211, f"To {to_raw!r} is not an E.164 phone number")
    script = _script(form.get("Script"))
    simulator_of(ctx)
    now = ctx.now_micros()

    def work(conn: Connection) -> dict[str, Any] | None:
        if handset in numbers_repo.owned_within(conn, [handset], who.account_sid):
            raise invalid_parameter(
                f"{handset} is one of this account's numbers; a handset is a number it does not own"
            )
        return dispatch.receive_call(conn, who.account_sid, handset, to, now=now, script=script)

    row = await ctx.db.run(work)
    if row is None:
        raise TwilioError(21211, f"{to} is not one of this account's numbers", status=404)
    ctx.wake_worker()
    return JSONResponse(call_json(row), status_code=201)


async def set_behavior(request: Request) -> Response:
    """How a handset (a number, or a glob pattern in ``Pattern``) answers the caller's calls."""
    ctx, who = await caller(request)
    form = await read_form(request, ctx.settings.max_body_bytes)
    raw = request.path_params["number"]
    pattern = raw if any(c in raw for c in "*?[") else handset_number(request)
    try:
        found = behavior(
            form.text("Behavior") or "answer", form.text("AnswerAfter"), form.get("Script")
        )
    except InvalidBehavior as exc:
        raise invalid_parameter(f"{exc.parameter}: {exc}") from None
    except InvalidScript as exc:
        raise invalid_parameter(f"Script: {exc}") from None
    simulator_of(ctx)
    await ctx.db.run(store.set_call_behavior, who.account_sid, pattern, found, ctx.now_micros())
    return JSONResponse(
        {
            "number": pattern,
            "behavior": found.kind,
            "answer_after": found.answer_after / 1_000_000,
            "script": format_script(found.script) or None,
        }
    )


async def _input(request: Request, kind: str, value: str) -> Response:
    ctx, who = await caller(request)
    sid = request.path_params["sid"]
    now = ctx.now_micros()

    def work(conn: Connection) -> dict[str, Any]:
        call = _call(conn, who.account_sid, sid)
        if call is None:
            raise not_found(request.url.path)
        dispatch.send_input(conn, call, kind, value, now)
        # As the input left it: a hang-up before the answer has ended the call already.
        after = _call(conn, who.account_sid, sid)
        assert after is not None
        return after

    call = await ctx.db.run(work)
    ctx.wake_worker()
    return JSONResponse(call_json(call))


async def press(request: Request) -> Response:
    ctx, _ = await caller(request)
    form = await read_form(request, ctx.settings.max_body_bytes)
    digits = form.text("Digits")
    if digits is None or not all(c in "0123456789*#w" for c in digits):
        raise invalid_parameter("Digits must be 0-9, *, # and w (a half-second pause)")
    return await _input(request, "digits", digits)


async def speak(request: Request) -> Response:
    ctx, _ = await caller(request)
    form = await read_form(request, ctx.settings.max_body_bytes)
    text = form.text("Text")
    if text is None or not text.strip():
        raise invalid_parameter("Text is required")
    return await _input(request, "speech", text)


async def hang_up(request: Request) -> Response:
    return await _input(request, "hangup", "caller")


async def transcript(request: Request) -> Response:
    ctx, who = await caller(request)
    sid = request.path_params["sid"]

    def work(conn: Connection) -> dict[str, Any]:
        call = _call(conn, who.account_sid, sid)
        if call is None:
            raise not_found(request.url.path)
        return dispatch.transcript_json(call, repo.transcript(conn, sid))

    return JSONResponse(await ctx.db.read(work))
