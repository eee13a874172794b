"""Paging in the v2010 envelope (and, at the end, the v1 one).

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

from sqlalchemy import Column, Connection, Select
from starlette.responses import Response

from telephonist.api.forms import Form
from telephonist.api.render import JSONResponse
from telephonist.domain.sids import is_sid
from telephonist.errors import TwilioError, invalid_parameter
from telephonist.storage.database import Database
from telephonist.storage.repositories.listing import Listing, during, read_page

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_OFFSET = 2**63 - 1
"""The largest row offset and sort value either database can take (a signed 64-bit integer):
a ``Page`` or ``PageToken`` beyond it names no page that can exist, so it is refused before it
reaches SQL."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = timedelta(days=1) // timedelta(microseconds=1)


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
            raise TwilioError(20007)
        if size < 1:
            raise invalid_parameter("PageSize must be at least 1")
        page = query.int("Page") or 0
        if page < 0:
            raise invalid_parameter("Page must not be negative")
        if page * size > MAX_OFFSET:
            # Twilio's answer to a Page it will not serve (one without its PageToken).
            raise TwilioError(20001, f"Page {page} is out of range for PageSize {size}")
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
        text, sid = raw.split(":", 1)
        micros = int(text)
        # A token is ours only if it holds what encode_token wrote: a sort value SQL can
        # compare and a SID (not, say, a NUL byte PostgreSQL refuses to bind).
        if not -MAX_OFFSET - 1 <= micros <= MAX_OFFSET or not is_sid(sid):
            raise ValueError
        return micros, sid
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
    return _read(conn, Listing(query, sort, sid, descending), page)


def _read(
    conn: Connection, listing: Listing, page: PageRequest
) -> tuple[list[Any], tuple[int, str] | None]:
    return read_page(
        conn,
        listing,
        after=page.after,
        offset=page.page * page.page_size,
        limit=page.page_size,
    )


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
    """``stmt`` narrowed by :func:`day_range` on ``column``."""
    return during(stmt, column, *day_range(query, name, filters))


def day_range(
    query: Form, name: str, filters: list[tuple[str, str]]
) -> tuple[int | None, int | None]:
    """Twilio's date filters as ``(since, until)`` microseconds, ``until`` excluded: ``Name``
    (that UTC day), ``Name<`` (on or before) and ``Name>`` (on or after), the inequality carried
    in the parameter's name; ``None`` where no filter bounds that side. Applied filters are
    appended to ``filters`` so the paging URIs repeat them."""
    since: int | None = None
    until: int | None = None
    for param in (name, f"{name}<", f"{name}>"):
        if (value := query.get(param)) is None:
            continue
        start, end = day_bounds(param, value)
        if not param.endswith("<"):
            since = start if since is None else max(since, start)
        if not param.endswith(">"):
            until = end if until is None else min(until, end)
        filters.append((param, value))
    return since, until


def day_bounds(name: str, value: str) -> tuple[int, int]:
    """The UTC day ``value`` falls on, in microseconds; SDKs send a date or a full timestamp.

    Counted in integers, so the last day ``datetime`` can hold (9999-12-31) has an end too.
    """
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise invalid_parameter(f"{name} must be a date like 2024-01-31, not {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    day = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    start = (day - _EPOCH) // timedelta(microseconds=1)
    return start, start + _DAY


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
    """One page of ``stmt`` as a v2010 list response: :func:`listing_response` for a query
    built by hand."""
    return await listing_response(
        db,
        key,
        Listing(stmt, sort, sid, descending),
        page,
        render=render,
        path=path,
        filters=filters,
        before=before,
    )


async def listing_response(
    db: Database,
    key: str,
    listing: Listing,
    page: PageRequest,
    *,
    render: Callable[[Any], dict[str, Any]],
    path: str,
    filters: Sequence[tuple[str, str]],
    before: Callable[[Connection], None] | None = None,
) -> Response:
    """One page of a repository's ``listing`` as a v2010 list response: the shape every list
    endpoint shares.

    ``before`` runs in the same (read-only) transaction first, for checks such as "the parent
    exists".
    """

    def work(conn: Connection) -> tuple[list[Any], tuple[int, str] | None]:
        if before is not None:
            before(conn)
        return _read(conn, listing, page)

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


# -- The v1 envelope (messaging.twilio.com and the other v1 domains) -----------------------------


def v1_envelope(
    key: str,
    items: Sequence[dict[str, Any]],
    *,
    base_url: str,
    path: str,
    filters: Sequence[tuple[str, str]],
    page: PageRequest,
    next_cursor: tuple[int, str] | None,
) -> dict[str, Any]:
    """The v1 list body: the records under ``key`` and a ``meta`` object whose URLs are
    absolute, since the SDKs follow ``meta.next_page_url`` as it is, so they name this server
    (``base_url``). Paging works as in v2010: ``PageSize``, ``Page`` and a keyset
    ``PageToken``."""

    def url(page_no: int, token: str | None = None) -> str:
        params = [*filters, ("PageSize", str(page.page_size)), ("Page", str(page_no))]
        if token:
            params.append(("PageToken", token))
        return f"{base_url}{path}?{urlencode(params)}"

    this_token = encode_token(*page.after) if page.after else None
    return {
        key: list(items),
        "meta": {
            "page": page.page,
            "page_size": page.page_size,
            "first_page_url": url(0),
            "previous_page_url": url(page.page - 1) if page.page > 0 else None,
            "url": url(page.page, this_token),
            "next_page_url": (
                url(page.page + 1, encode_token(*next_cursor)) if next_cursor else None
            ),
            "key": key,
        },
    }


async def v1_listing_response(
    db: Database,
    key: str,
    listing: Listing,
    page: PageRequest,
    *,
    render: Callable[[Any], dict[str, Any]],
    base_url: str,
    path: str,
    filters: Sequence[tuple[str, str]] = (),
    before: Callable[[Connection], None] | None = None,
) -> Response:
    """One page of a repository's ``listing`` as a v1 list response (see
    :func:`listing_response` for ``before``)."""

    def work(conn: Connection) -> tuple[list[Any], tuple[int, str] | None]:
        if before is not None:
            before(conn)
        return _read(conn, listing, page)

    rows, cursor = await db.read(work)
    return JSONResponse(
        v1_envelope(
            key,
            [render(r) for r in rows],
            base_url=base_url,
            path=path,
            filters=filters,
            page=page,
            next_cursor=cursor,
        )
    )
