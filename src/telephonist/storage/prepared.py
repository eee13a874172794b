"""Hot-path statements, compiled once per dialect and run on the driver's own cursor.

SQLAlchemy's execution machinery (cache-key lookup, execution context, result wrapping) costs
tens of microseconds per statement, more than SQLite takes to run a small INSERT. The few
statements on the message create and dispatch paths are written in SQLAlchemy Core like
everything else, compiled once for each dialect, and executed directly. They bind only
strings, integers, None and lists of those (``bindparam(..., expanding=True)`` for ``IN``),
which need no type processing.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    order: tuple[str, ...] | None  # parameter names in order, for positional drivers
    defaults: dict[str, Any]  # values SQLAlchemy bound itself (an OFFSET 0, ...)
    expanding: tuple[str, ...]  # list parameters, expanded to one placeholder per item
    qmark: bool
    # The positional arguments from a parameter dict, in ``order`` (``itemgetter`` does it in
    # C: a statement of twenty columns would otherwise run a generator step per column).
    pick: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None


def _picker(order: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    if len(order) == 1:
        (name,) = order
        return lambda values: (values[name],)
    return cast(Callable[[Mapping[str, Any]], tuple[Any, ...]], operator.itemgetter(*order))


class Prepared:
    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _get(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = cast(SQLCompiler, self.statement.compile(dialect=dialect))
            positions = getattr(compiled, "positiontup", None)
            order = tuple(positions) if dialect.positional and positions else None
            defaults = {
                k: v
                for k, v in (compiled.construct_params(_check=False) or {}).items()
                if v is not None
            }
            expanding = tuple(
                name for name, bind in compiled.binds.items() if getattr(bind, "expanding", False)
            )
            found = _Compiled(
                compiled.string,
                order,
                defaults,
                expanding,
                dialect.paramstyle == "qmark",
                _picker(order) if order else None,
            )
            self._compiled[dialect.name] = found
        return found

    @staticmethod
    def _bind(c: _Compiled, params: Mapping[str, Any]) -> tuple[str, Any]:
        values = {**c.defaults, **params} if c.defaults else params
        if not c.expanding:
            if c.pick is None:
                return c.sql, values
            return c.sql, c.pick(values)
        sql = c.sql
        lists: dict[str, list[Any]] = {}
        for name in c.expanding:
            items = lists[name] = list(values[name])
            if not items:
                # ``IN (NULL)`` matches nothing. (Callers never use NOT IN with these.)
                holders = "NULL"
            elif c.qmark:
                holders = ", ".join("?" * len(items))
            else:
                holders = ", ".join(f"%({name}_{i})s" for i in range(len(items)))
            sql = sql.replace(f"__[POSTCOMPILE_{name}]", holders)
        if c.order is not None:
            args: list[Any] = []
            for name in c.order:
                if name in lists:
                    args.extend(lists[name])
                else:
                    args.append(values[name])
            return sql, tuple(args)
        named = {k: v for k, v in values.items() if k not in lists}
        for name, items in lists.items():
            named.update({f"{name}_{i}": item for i, item in enumerate(items)})
        return sql, named

    def _cursor(self, conn: Connection) -> Any:
        return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    @contextlib.contextmanager
    def _executed(self, conn: Connection, params: Mapping[str, Any]) -> Iterator[Any]:
        """The driver cursor, the statement run on it; closed afterwards."""
        sql, args = self._bind(self._get(conn), params)
        cursor = self._cursor(conn)
        try:
            cursor.execute(sql, args)
            yield cursor
        finally:
            cursor.close()

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Run once; answers the first row (for RETURNING and SELECT), or None."""
        with self._executed(conn, params) as cursor:
            return cursor.fetchone() if cursor.description else None

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run once; answers every row."""
        with self._executed(conn, params) as cursor:
            return list(cursor.fetchall()) if cursor.description else []

    def records(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run once; answers every row as a dict keyed by column name."""
        with self._executed(conn, params) as cursor:
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        c = self._get(conn)
        if c.expanding:
            raise ValueError("execute_many does not take list parameters")
        sql = c.sql
        args = [self._bind(c, row)[1] for row in rows]
        cursor = self._cursor(conn)
        try:
            cursor.executemany(sql, args)
        finally:
            cursor.close()
