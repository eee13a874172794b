"""Paging in the v2010 envelope.

Clients get ``Page``/``PageSize`` URIs and an opaque ``PageToken`` that marks where the previous
page ended (keyset paging), so walking a list that grows while it is read neither skips nor
repeats items. ``Page`` without a token falls back to an offset, for clients that jump.

The envelope has exactly the keys Twilio sends: the Python SDK finds the records as the one
key that is not paging metadata, so adding a key would break it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Column, Connection, Select, and_, or_
from starlette.responses import Response

from telephonist.api.forms import Form
from telephonist.api.render import JSONResponse
from telephonist.clock import to_micros
from telephonist.errors import TwilioError, invalid_parameter
from telephonist.storage.database import Database

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int
    page_size: int
    after: tuple[int, str] | None  # (sort micros, sid) of the last item already seen

    @classmethod
    def from_query(cls, query: Form) -> PageRequest:
        size = query.int("PageSize")
        if size is None:
            size = DEFAULT_PAGE_SIZE
        if size > MAX_PAGE_SIZE:
            raise TwilioError(20007, 400)
        if size < 1:
            raise invalid_parameter("PageSize must be at least 1")
        page = query.int("Page") or 0
        if page < 0:
            raise invalid_parameter("Page must not be negative")
        token = query.get("PageToken")
        return cls(page=page, page_size=size, after=decode_token(token) if token else None)


def encode_token(micros: int, sid: str) -> str:
    raw = f"{micros}:{sid}".encode()
    return "PA" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> tuple[int, str]:
    try:
        if not token.startswith("PA"):
            raise ValueError
        payload = token[2:]
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        micros, sid = raw.split(":", 1)
        return int(micros), sid
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid_parameter(f"PageToken {token!r} is not valid") from None


def fetch_page(
    conn: Connection,
    query: Select[Any],
    page: PageRequest,
    *,
    sort: Column[Any],
    sid: Column[Any],
    descending: bool = True,
) -> tuple[list[Any], tuple[int, str] | None]:
    """One page of rows and, when more follow, the keyset position after its last row."""
    if page.after is not None:
        micros, last_sid = page.after
        if descending:
            query = query.where(or_(sort < micros, and_(sort == micros, sid < last_sid)))
        else:
            query = query.where(or_(sort > micros, and_(sort == micros, sid > last_sid)))
    elif page.page:
        query = query.offset(page.page * page.page_size)
    if descending:
        query = query.order_by(sort.desc(), sid.desc())
    else:
        query = query.order_by(sort.asc(), sid.asc())
    rows = list(conn.execute(query.limit(page.page_size + 1)).mappings())
    more = len(rows) > page.page_size
    rows = rows[: page.page_size]
    cursor = (rows[-1][sort.name], rows[-1][sid.name]) if more and rows else None
    return rows, cursor


def envelope(
    key: str,
    items: Sequence[dict[str, Any]],
    *,
    path: str,
    filters: Sequence[tuple[str, str]],
    page: PageRequest,
    next_cursor: tuple[int, str] | None,
) -> dict[str, Any]:
    """The v2010 list body. URIs are relative, so SDKs keep following an overridden base URL."""

    def uri(page_no: int, token: str | None = None) -> str:
        params = [*filters, ("PageSize", str(page.page_size)), ("Page", str(page_no))]
        if token:
            params.append(("PageToken", token))
        return f"{path}?{urlencode(params)}"

    this_token = encode_token(*page.after) if page.after else None
    start = page.page * page.page_size
    return {
        key: list(items),
        "end": start + max(len(items) - 1, 0),
        "first_page_uri": uri(0),
        "next_page_uri": uri(page.page + 1, encode_token(*next_cursor)) if next_cursor else None,
        "page": page.page,
        "page_size": page.page_size,
        "previous_page_uri": uri(page.page - 1) if page.page > 0 else None,
        "start": start,
        "uri": uri(page.page, this_token),
    }


def day_filters(
    stmt: Select[Any],
    query: Form,
    name: str,
    column: Column[Any],
    filters: list[tuple[str, str]],
) -> Select[Any]:
    """Twilio's date filters: ``Name`` (that UTC day), ``Name<`` (on or before) and ``Name>``
    (on or after), the inequality carried in the parameter's name. Applied filters are appended
    to ``filters`` so the paging URIs repeat them."""
    for param in (name, f"{name}<", f"{name}>"):
        if (value := query.get(param)) is None:
            continue
        start, end = day_bounds(param, value)
        if param == name:
            stmt = stmt.where(column >= start).where(column < end)
        elif param.endswith("<"):
            stmt = stmt.where(column < end)
        else:
            stmt = stmt.where(column >= start)
        filters.append((param, value))
    return stmt


def day_bounds(name: str, value: str) -> tuple[int, int]:
    """The UTC day ``value`` falls on, in microseconds; SDKs send a date or a full timestamp."""
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise invalid_parameter(f"{name} must be a date like 2024-01-31, not {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    day = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return to_micros(day), to_micros(day + timedelta(days=1))


async def list_response(
    db: Database,
    key: str,
    stmt: Select[Any],
    page: PageRequest,
    *,
    render: Callable[[Any], dict[str, Any]],
    path: str,
    filters: Sequence[tuple[str, str]],
    sort: Column[Any],
    sid: Column[Any],
    descending: bool = True,
    before: Callable[[Connection], None] | None = None,
) -> Response:
    """One page of ``stmt`` as a v2010 list response: the shape every list endpoint shares.

    ``before`` runs in the same transaction first, for checks such as "the parent exists".
    """

    def work(conn: Connection) -> tuple[list[Any], tuple[int, str] | None]:
        if before is not None:
            before(conn)
        return fetch_page(conn, stmt, page, sort=sort, sid=sid, descending=descending)

    rows, cursor = await db.read(work)
    return JSONResponse(
        envelope(
            key,
            [render(r) for r in rows],
            path=path,
            filters=filters,
            page=page,
            next_cursor=cursor,
        )
    )
