"""A list endpoint's rows: a filtered query, its keyset order, and how one page of it is read.

Pages are read by keyset (the sort value and SID of the last row already seen), so walking a
list that grows while it is read neither skips nor repeats rows; an offset is used only for
clients that jump to a page number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, RowMapping, Select, and_, or_

Cursor = tuple[int, str]
"""(sort value, SID) of a row: where a page ends and the next begins."""


@dataclass(frozen=True, slots=True)
class Listing:
    """The rows a list endpoint serves, filtered but not yet paged.

    ``sort`` must hold integers (microsecond timestamps) and ``sid`` break its ties, so that
    (sort, sid) orders the rows completely.
    """

    query: Select[Any]
    sort: Column[Any]
    sid: Column[Any]
    descending: bool = True


def during(
    query: Select[Any], column: Column[Any], since: int | None, until: int | None
) -> Select[Any]:
    """``query`` narrowed to rows with ``since <= column < until``; ``None`` leaves a side open."""
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


def read_page(
    conn: Connection, listing: Listing, *, after: Cursor | None, offset: int, limit: int
) -> tuple[list[RowMapping], Cursor | None]:
    """At most ``limit`` rows after ``after`` (or, without one, after ``offset`` rows), and the
    cursor of the last one when more follow."""
    query, sort, sid = listing.query, listing.sort, listing.sid
    if after is not None:
        micros, last_sid = after
        if listing.descending:
            query = query.where(or_(sort < micros, and_(sort == micros, sid < last_sid)))
        else:
            query = query.where(or_(sort > micros, and_(sort == micros, sid > last_sid)))
    elif offset:
        query = query.offset(offset)
    if listing.descending:
        query = query.order_by(sort.desc(), sid.desc())
    else:
        query = query.order_by(sort.asc(), sid.asc())
    rows = list(conn.execute(query.limit(limit + 1)).mappings())
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = (rows[-1][sort.name], rows[-1][sid.name]) if more and rows else None
    return rows, cursor
