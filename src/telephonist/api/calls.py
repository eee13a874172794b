"""``Calls``: place a call, read calls, redirect, cancel or hang up a live one, delete an ended one.

A create is validated in the domain (:func:`~telephonist.domain.calls.validate_call`, Twilio's
codes in Twilio's order) before any transaction opens, then stored with its first step queued
(:func:`~telephonist.dispatch.calls.place_call`): an accepted call is a stored call, answered
``queued`` as on Twilio. What happens next -- ringing, the answer, the TwiML -- is the call's
steps' (``dispatch/handlers/call.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from telephonist.api import idempotency
from telephonist.api.context import scoped
from telephonist.api.forms import Form, query_form, read_form
from telephonist.api.paging import PageRequest, day_range, listing_response
from telephonist.api.render import JSONResponse, account_uri, rfc2822
from telephonist.dispatch import calls as dispatch
from telephonist.domain import API_VERSION, phone
from telephonist.domain.calls import (
    FINAL_STATUSES,
    STATUSES,
    PlaceCall,
    UpdateCall,
    validate_call,
    validate_update,
)
from telephonist.errors import TwilioError, found, invalid_parameter, not_found
from telephonist.storage.repositories import calls as repo

SUBRESOURCES = {
    "feedback": "Feedback",
    "notifications": "Notifications",
    "recordings": "Recordings",
    "streams": "Streams",
    "payments": "Payments",
    "user_defined_message_subscriptions": "UserDefinedMessageSubscriptions",
    "user_defined_messages": "UserDefinedMessages",
    "events": "Events",
    "siprec": "Siprec",
    "transcriptions": "Transcriptions",
}


@functools.lru_cache(maxsize=4096)
def formatted(party: str) -> str:
    """``(415) 867-5309`` for a NANP number, anything else as it is (numbers repeat: a
    number's format is worked out once)."""
    if party.startswith("+1") and phone.is_valid_number(party):
        return phone.info(party).friendly_name
    return party


def call_json(row: Mapping[str, Any]) -> dict[str, Any]:
    sid, account = row["sid"], row["account_sid"]
    base = f"/Calls/{sid}"
    return {
        "account_sid": account,
        "answered_by": row["answered_by"],
        "api_version": API_VERSION,
        "caller_name": row["caller_name"],
        "date_created": rfc2822(row["date_created"]),
        "date_updated": rfc2822(row["date_updated"]),
        "direction": row["direction"],
        "duration": None if row["duration"] is None else str(row["duration"]),
        "end_time": rfc2822(row["end_time"]),
        "forwarded_from": row["forwarded_from"],
        "from": row["from_"],
        "from_formatted": formatted(row["from_"]),
        "group_sid": None,
        "parent_call_sid": row["parent_call_sid"],
        "phone_number_sid": row["phone_number_sid"],
        "price": row["price"],
        "price_unit": row["price_unit"],
        "queue_time": "0",
        "sid": sid,
        "start_time": rfc2822(row["start_time"]),
        "status": row["status"],
        "subresource_uris": {
            name: account_uri(account, f"{base}/{path}.json") for name, path in SUBRESOURCES.items()
        },
        "to": row["to"],
        "to_formatted": formatted(row["to"]),
        "trunk_sid": None,
        "uri": account_uri(account, f"{base}.json"),
    }


def place_call_command(account_sid: str, form: Form) -> PlaceCall:
    return PlaceCall(
        account_sid=account_sid,
        to=form.get("To"),
        from_=form.get("From"),
        url=form.get("Url"),
        twiml=form.get("Twiml"),
        application_sid=form.get("ApplicationSid"),
        method=form.get("Method"),
        fallback_url=form.get("FallbackUrl"),
        fallback_method=form.get("FallbackMethod"),
        status_callback=form.get("StatusCallback"),
        status_callback_method=form.get("StatusCallbackMethod"),
        status_callback_event=tuple(form.getlist("StatusCallbackEvent")),
        timeout=form.get("Timeout"),
        time_limit=form.get("TimeLimit"),
        send_digits=form.get("SendDigits"),
        machine_detection=form.get("MachineDetection"),
        record=form.get("Record"),
        recording_status_callback=form.get("RecordingStatusCallback"),
        recording_status_callback_method=form.get("RecordingStatusCallbackMethod"),
        recording_status_callback_event=tuple(form.getlist("RecordingStatusCallbackEvent")),
        recording_channels=form.get("RecordingChannels"),
        recording_track=form.get("RecordingTrack"),
        trim=form.get("Trim"),
    )


async def create_call(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    form = await read_form(request, ctx.settings.max_body_bytes)
    checked = validate_call(place_call_command(ref.sid, form))
    key = idempotency.requested(request, form, "Call")
    now = ctx.now_micros()

    def work(conn: Connection) -> tuple[Mapping[Any, Any], bool]:
        return idempotency.create_once(
            conn,
            ref.sid,
            key,
            now=now,
            create=lambda: dispatch.place_call(conn, ref.sid, checked, now=now),
            fetch=lambda sid: repo.get_call(conn, ref.sid, sid),
        )

    row, replayed = await ctx.db.run(work)
    if replayed:
        return JSONResponse(call_json(row), status_code=201, headers=idempotency.REPLAY)
    ctx.wake_worker()
    return JSONResponse(call_json(row), status_code=201)


async def list_calls(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    query = query_form(request)
    page = PageRequest.from_query(query)
    filters: list[tuple[str, str]] = []
    values: dict[str, str | None] = {}
    for param in ("To", "From", "ParentCallSid", "Status"):
        value = query.get(param)
        if value is not None:
            filters.append((param, value))
        values[param] = value
    status = values["Status"]
    if status is not None and status not in STATUSES:
        raise invalid_parameter(f"Status must be one of {', '.join(STATUSES)}; got {status!r}")
    started = day_range(query, "StartTime", filters)
    ended = day_range(query, "EndTime", filters)
    to, from_ = values["To"], values["From"]
    listing = repo.call_listing(
        ref.sid,
        to=None if to is None else (phone.parse_e164(to) or to),
        from_=None if from_ is None else (phone.parse_e164(from_) or from_),
        parent_call_sid=values["ParentCallSid"],
        status=status,
        started=started,
        ended=ended,
    )
    return await listing_response(
        ctx.db, "calls", listing, page, render=call_json, path=request.url.path, filters=filters
    )


async def fetch_call(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    row = await ctx.db.read(repo.get_call, ref.sid, request.path_params["sid"])
    return JSONResponse(call_json(found(row, request.url.path)))


def update_call_command(form: Form) -> UpdateCall:
    return UpdateCall(
        status=form.text("Status"),
        url=form.text("Url"),
        method=form.get("Method"),
        twiml=form.text("Twiml"),
        fallback_url=form.text("FallbackUrl"),
        fallback_method=form.get("FallbackMethod"),
        status_callback=form.text("StatusCallback"),
        status_callback_method=form.get("StatusCallbackMethod"),
        time_limit=form.get("TimeLimit"),
    )


async def update_call(request: Request) -> Response:
    """Redirect (``Url``/``Method`` or ``Twiml``), cancel (``Status=canceled``: queued or
    ringing) or hang up (``Status=completed``) a call, or change its callbacks, fallback or
    time limit; 21220 for a call that has ended, whatever the update asks."""
    ctx, _, ref = await scoped(request)
    sid = request.path_params["sid"]
    form = await read_form(request, ctx.settings.max_body_bytes)
    change = validate_update(update_call_command(form))
    now = ctx.now_micros()

    def work(conn: Connection) -> Mapping[str, Any]:
        call = found(repo.get_call(conn, ref.sid, sid), request.url.path)
        if call["status"] in FINAL_STATUSES:
            raise TwilioError(
                21220,
                "Call is not in-progress. Cannot redirect."
                if change.target is not None
                else f"Call is {call['status']}: an ended call cannot be changed",
            )
        dispatch.change_call(conn, call, change, now)
        return found(repo.get_call(conn, ref.sid, sid), request.url.path)

    row = await ctx.db.run(work)
    ctx.wake_worker()
    return JSONResponse(call_json(row))


async def delete_call(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    sid = request.path_params["sid"]

    def work(conn: Connection) -> bool:
        call = repo.get_call(conn, ref.sid, sid)
        if call is None:
            return False
        if call["status"] not in FINAL_STATUSES:
            raise TwilioError(20009, "Cannot delete a call that is still in progress")
        return repo.delete_call(conn, ref.sid, sid)

    if not await ctx.db.run(work):
        raise not_found(request.url.path)
    return Response(status_code=204)
