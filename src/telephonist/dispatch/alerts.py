"""Alerts: what went wrong talking to an app, stored as Twilio's v2010 Notifications."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection, bindparam, insert

from telephonist.domain.error_codes import log_level, more_info
from telephonist.domain.sids import new_sid
from telephonist.storage.prepared import Prepared
from telephonist.storage.schema import notifications
from telephonist.webhooks.delivery import Attempt


def record_alert(
    conn: Connection,
    *,
    account_sid: str,
    code: int,
    now: int,
    resource_sid: str | None,
    attempt: Attempt | None = None,
    params: list[tuple[str, str]] | None = None,
    text: str = "",
    request: tuple[str | None, str] | None = None,
    level: str | None = None,
) -> str:
    """Store one alert (see :func:`alert_row`); answers its SID."""
    row = alert_row(
        account_sid=account_sid,
        code=code,
        now=now,
        resource_sid=resource_sid,
        attempt=attempt,
        params=params,
        text=text,
        request=request,
        level=level,
    )
    record_alerts(conn, [row])
    return str(row["sid"])


_INSERT = Prepared(
    insert(notifications).values({c.name: bindparam(c.name) for c in notifications.columns})
)


def record_alerts(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Store alerts built by :func:`alert_row`, in one statement however many."""
    if rows:
        _INSERT.execute_many(conn, rows)


def alert_row(
    *,
    account_sid: str,
    code: int,
    now: int,
    resource_sid: str | None,
    attempt: Attempt | None = None,
    params: list[tuple[str, str]] | None = None,
    text: str = "",
    request: tuple[str | None, str] | None = None,
    level: str | None = None,
) -> dict[str, Any]:
    """One alert as stored; its text is form-encoded like Twilio's ``alert_text``.

    ``request`` (URL, method) names the request an alert is about when no ``attempt`` of
    this moment is at hand (a verb of a document fetched earlier). ``level`` overrides the
    code's log level in the catalogue (an error flagged only as a warning)."""
    level = level or log_level(code)
    message = urlencode(
        [
            ("sourceComponent", "14100"),
            ("ErrorCode", str(code)),
            ("LogLevel", level),
            ("Msg", text or (attempt.error_text if attempt else "")),
            *(
                [("url", attempt.url), ("httpResponse", str(attempt.status or ""))]
                if attempt
                else []
            ),
        ]
    )
    return {
        "sid": new_sid("NO"),
        "account_sid": account_sid,
        "error_code": str(code),
        "log": "1" if level == "WARNING" else "0",
        "message_text": message,
        "more_info": more_info(code),
        "request_method": attempt.method if attempt else (request[1] if request else None),
        "request_url": attempt.url if attempt else (request[0] if request else None),
        "request_variables": urlencode(params) if params else None,
        "response_body": attempt.body[:4096].decode("utf-8", "replace") if attempt else None,
        "response_headers": json.dumps(attempt.headers) if attempt else None,
        "resource_sid": resource_sid,
        "date_created": now,
    }
