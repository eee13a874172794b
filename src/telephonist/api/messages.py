"""``Messages.json`` and its ``Media`` subresource.

Create validates in Twilio's order, then stores the message (and its media) in one
transaction before answering: accepted means stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from telephonist.api import idempotency
from telephonist.api.context import context, scoped
from telephonist.api.forms import Form, query_form, read_form
from telephonist.api.paging import PageRequest, day_range, listing_response
from telephonist.api.render import JSONResponse, account_uri, rfc2822
from telephonist.dispatch.pipeline import Outbox, send_message
from telephonist.domain import API_VERSION, phone
from telephonist.domain.commands import SendMessage
from telephonist.domain.messages import SERVICE_SID as _SERVICE_SID
from telephonist.domain.messages import can_move, parse_send_at, validate
from telephonist.errors import TwilioError, found, invalid_parameter, not_found
from telephonist.storage.repositories import messages as repo

# Accepted and kept with the message; documented as having no effect in the simulator.
OPTION_PARAMS = (
    "MaxPrice",
    "ProvideFeedback",
    "Attempt",
    "SmartEncoded",
    "ShortenUrls",
    "ForceDelivery",
    "ContentRetention",
    "AddressRetention",
    "SendAsMms",
    "ApplicationSid",
    "ContentSid",
    "ContentVariables",
    "RiskCheck",
    "TrafficType",
)


# Statuses a message can be deleted in: it is done, or (sent, no receipt) out of our hands.
DELETABLE = frozenset(
    {"sent", "delivered", "undelivered", "failed", "received", "read", "canceled"}
)


def message_json(row: Any) -> dict[str, Any]:
    sid = row["sid"]
    base = account_uri(row["account_sid"], f"/Messages/{sid}")
    return {
        "account_sid": row["account_sid"],
        "api_version": API_VERSION,
        "body": row["body"],
        "date_created": rfc2822(row["date_created"]),
        "date_sent": rfc2822(row["date_sent"]),
        "date_updated": rfc2822(row["date_updated"]),
        "direction": row["direction"],
        "error_code": row["error_code"],
        "error_message": row["error_message"],
        "from": row["from_"] or None,  # none yet: a Messaging Service picks it
        "messaging_service_sid": row["messaging_service_sid"],
        "num_media": str(row["num_media"]),
        "num_segments": str(row["num_segments"]),
        "price": row["price"],
        "price_unit": row["price_unit"],
        "sid": sid,
        "status": row["status"],
        "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
        "to": row["to"],
        "uri": f"{base}.json",
    }


def media_json(row: Any) -> dict[str, Any]:
    return {
        "account_sid": row["account_sid"],
        "content_type": row["content_type"],
        "date_created": rfc2822(row["date_created"]),
        "date_updated": rfc2822(row["date_updated"]),
        "parent_sid": row["message_sid"],
        "sid": row["sid"],
        "uri": account_uri(
            row["account_sid"], f"/Messages/{row['message_sid']}/Media/{row['sid']}.json"
        ),
    }


def _command(form: Form, account_sid: str) -> SendMessage:
    options = {name: value for name in OPTION_PARAMS if (value := form.get(name)) is not None}
    schedule_type = form.get("ScheduleType")
    service = form.text("MessagingServiceSid")
    send_at: int | None = None
    if schedule_type:
        if schedule_type != "fixed":
            raise TwilioError(35126)
        from_ = form.text("From") or ""
        if not service and not _SERVICE_SID.fullmatch(from_):
            raise TwilioError(35118, "MessagingServiceSid is required to schedule a message")
        raw = form.text("SendAt")
        if not raw:
            raise TwilioError(35111)
        send_at = parse_send_at(raw)
    return SendMessage(
        account_sid=account_sid,
        to=form.text("To"),
        from_=form.text("From"),
        body=form.get("Body"),
        media_urls=tuple(u for u in form.getlist("MediaUrl") if u),
        messaging_service_sid=service,
        status_callback=form.get("StatusCallback"),
        validity_period=form.int("ValidityPeriod", code=21624),
        smart_encoded=form.bool("SmartEncoded"),
        options=options,
        send_at=send_at,
    )


async def create_message(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    form = await read_form(request, ctx.settings.max_body_bytes)
    command = _command(form, ref.sid)
    req = validate(command)
    key = idempotency.requested(request, form, "Message")
    now = ctx.now_micros()

    def work(conn: Connection) -> tuple[Mapping[Any, Any], bool]:
        return idempotency.create_once(
            conn,
            ref.sid,
            key,
            now=now,
            create=lambda: send_message(
                conn,
                command,
                now=now,
                mps=ctx.settings.mps,
                request=req,
                account_status=ref.status,
                schedule_window=(
                    ctx.settings.schedule_min_seconds,
                    ctx.settings.schedule_max_seconds,
                ),
                schedule_limit=ctx.settings.schedule_max_messages,
                campaign_pacing=ctx.settings.campaign_pacing,
            ),
            fetch=lambda sid: repo.get_message(conn, ref.sid, sid),
        )

    row, replayed = await ctx.db.run(work)
    if replayed:
        return JSONResponse(message_json(row), status_code=201, headers=idempotency.REPLAY)
    ctx.wake_worker()
    return JSONResponse(message_json(row), status_code=201)


async def list_messages(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    query = query_form(request)
    page = PageRequest.from_query(query)
    filters: list[tuple[str, str]] = []
    to = query.get("To")
    if to is not None:
        filters.append(("To", to))
    from_ = query.get("From")
    if from_ is not None:
        filters.append(("From", from_))
    since, until = day_range(query, "DateSent", filters)
    listing = repo.message_listing(
        ref.sid,
        to=None if to is None else (phone.parse_e164(to) or to),
        from_=None if from_ is None else (phone.parse_e164(from_) or from_),
        sent_since=since,
        sent_until=until,
    )
    return await listing_response(
        ctx.db,
        "messages",
        listing,
        page,
        render=message_json,
        path=request.url.path,
        filters=filters,
    )


async def fetch_message(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    row = await ctx.db.read(repo.get_message, ref.sid, request.path_params["sid"])
    return JSONResponse(message_json(found(row, request.url.path)))


async def update_message(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    sid = request.path_params["sid"]
    form = await read_form(request, ctx.settings.max_body_bytes)
    body = form.get("Body")
    status = form.get("Status")
    if body is not None and body != "":
        raise invalid_parameter("Body can only be updated to an empty string, which redacts it")
    if status is not None and status != "canceled":
        raise invalid_parameter(f"Status can only be updated to canceled, not {status!r}")
    now = ctx.now_micros()

    def work(conn: Connection) -> Any:
        row = found(repo.get_message(conn, ref.sid, sid), request.url.path)
        values: dict[str, Any] = {}
        if status == "canceled":
            if not can_move(row["status"], "canceled") or row["status"] != "scheduled":
                raise TwilioError(30409)
            # Through the outbox, so the status callback Twilio posts for it is owed with it.
            outbox = Outbox(now)
            outbox.change_status(dict(row), "canceled")
            outbox.flush(conn)
            row = found(repo.get_message(conn, ref.sid, sid), request.url.path)
            if row["status"] != "canceled":
                raise TwilioError(30409)  # dispatched meanwhile: no longer cancelable
        if body == "":
            values["body"] = ""
        if values:
            values["date_updated"] = now
            repo.update_message(conn, sid, values)
            row = found(repo.get_message(conn, ref.sid, sid), request.url.path)
        return row

    return JSONResponse(message_json(await ctx.db.run(work)))


async def delete_message(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    sid = request.path_params["sid"]

    def work(conn: Connection) -> None:
        row = found(repo.get_message(conn, ref.sid, sid), request.url.path)
        if row["status"] not in DELETABLE:
            # Twilio refuses while the message is still on its way.
            raise TwilioError(
                20009,
                f"Message {sid} is {row['status']}; it can be deleted "
                "once it reaches a final status",
            )
        repo.delete_message(conn, sid)

    await ctx.db.run(work)
    return Response(status_code=204)


# -- Media ---------------------------------------------------------------------------------------


async def list_media(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    message_sid = request.path_params["message_sid"]
    query = query_form(request)
    page = PageRequest.from_query(query)
    filters: list[tuple[str, str]] = []
    since, until = day_range(query, "DateCreated", filters)

    def parent_exists(conn: Connection) -> None:
        found(repo.get_message(conn, ref.sid, message_sid), request.url.path)

    return await listing_response(
        ctx.db,
        "media_list",
        repo.media_listing(message_sid, since=since, until=until),
        page,
        render=media_json,
        path=request.url.path,
        filters=filters,
        before=parent_exists,
    )


async def fetch_media(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    row = await ctx.db.read(
        repo.get_media, ref.sid, request.path_params["message_sid"], request.path_params["sid"]
    )
    return JSONResponse(media_json(found(row, request.url.path)))


async def delete_media(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    message_sid = request.path_params["message_sid"]
    sid = request.path_params["sid"]
    if not await ctx.db.run(repo.delete_media, ref.sid, message_sid, sid):
        raise not_found(request.url.path)
    return Response(status_code=204)


async def media_content_file(request: Request) -> Response:
    """The media bytes, at the Media URL without ``.json`` (what MediaUrlN points to).

    Public, like Twilio's media URLs by default: the app fetching it holds no credentials.
    """
    ctx = context(request)
    p = request.path_params
    stored = await ctx.db.read(repo.media_bytes, p["account_sid"], p["message_sid"], p["sid"])
    content_type, content = found(stored, request.url.path)
    return Response(content, media_type=content_type)
