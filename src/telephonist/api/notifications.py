"""``Notifications.json``: the alerts recorded when talking to an app went wrong."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from telephonist.api.context import scoped
from telephonist.api.forms import query_form
from telephonist.api.paging import PageRequest, day_range, listing_response
from telephonist.api.render import JSONResponse, account_uri, rfc2822
from telephonist.domain import API_VERSION
from telephonist.errors import found
from telephonist.storage.repositories import alerts


def notification_json(row: Any, *, instance: bool = False) -> dict[str, Any]:
    out = {
        "account_sid": row["account_sid"],
        "api_version": API_VERSION,
        # An alert about a call names it (a message's alert names no call).
        "call_sid": row["resource_sid"] if (row["resource_sid"] or "").startswith("CA") else None,
        "date_created": rfc2822(row["date_created"]),
        "date_updated": rfc2822(row["date_created"]),
        "error_code": row["error_code"],
        "log": row["log"],
        "message_date": rfc2822(row["date_created"]),
        "message_text": row["message_text"],
        "more_info": row["more_info"],
        "request_method": row["request_method"],
        "request_url": row["request_url"],
        "sid": row["sid"],
        "uri": account_uri(row["account_sid"], f"/Notifications/{row['sid']}.json"),
    }
    if instance:
        out["request_variables"] = row["request_variables"]
        out["response_body"] = row["response_body"]
        out["response_headers"] = row["response_headers"]
    return out


async def list_notifications(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    query = query_form(request)
    page = PageRequest.from_query(query)
    filters: list[tuple[str, str]] = []
    if (level := query.choice("Log", ("0", "1"))) is not None:
        filters.append(("Log", level))
    since, until = day_range(query, "MessageDate", filters)

    return await listing_response(
        ctx.db,
        "notifications",
        alerts.notification_listing(ref.sid, log=level, since=since, until=until),
        page,
        render=notification_json,
        path=request.url.path,
        filters=filters,
    )


async def fetch_notification(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    row = await ctx.db.read(alerts.get_notification, ref.sid, request.path_params["sid"])
    return JSONResponse(notification_json(found(row, request.url.path), instance=True))
