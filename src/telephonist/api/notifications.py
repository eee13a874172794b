"""``Notifications.json``: the alerts recorded when talking to an app went wrong."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from starlette.requests import Request
from starlette.responses import Response

from telephonist.api.context import scoped
from telephonist.api.forms import query_form
from telephonist.api.paging import PageRequest, day_filters, list_response
from telephonist.api.render import API_VERSION, JSONResponse, account_uri, rfc2822
from telephonist.errors import not_found
from telephonist.storage.schema import notifications


def notification_json(row: Any, *, instance: bool = False) -> dict[str, Any]:
    out = {
        "account_sid": row["account_sid"],
        "api_version": API_VERSION,
        "call_sid": None,
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
    stmt = select(notifications).where(notifications.c.account_sid == ref.sid)
    filters: list[tuple[str, str]] = []
    if (level := query.choice("Log", ("0", "1"))) is not None:
        stmt = stmt.where(notifications.c.log == level)
        filters.append(("Log", level))
    stmt = day_filters(stmt, query, "MessageDate", notifications.c.date_created, filters)

    return await list_response(
        ctx.db,
        "notifications",
        stmt,
        page,
        render=notification_json,
        path=request.url.path,
        filters=filters,
        sort=notifications.c.date_created,
        sid=notifications.c.sid,
    )


async def fetch_notification(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    sid = request.path_params["sid"]

    def work(conn: Connection) -> Any:
        return (
            conn.execute(
                select(notifications)
                .where(notifications.c.sid == sid)
                .where(notifications.c.account_sid == ref.sid)
            )
            .mappings()
            .first()
        )

    row = await ctx.db.run(work)
    if row is None:
        raise not_found(request.url.path)
    return JSONResponse(notification_json(row, instance=True))
