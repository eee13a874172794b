"""Hot-path statements, compiled once per dialect and run on the driver's own cursor.

SQLAlchemy's execution machinery (cache-key lookup, execution context, result wrapping) costs
tens of microseconds per statement, more than SQLite takes to run a small INSERT. The few
statements on the message create path are written in SQLAlchemy Core like everything else,
compiled once for each dialect, and executed directly. They bind only strings, integers and
None, which need no type processing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql import ClauseElement


class Prepared:
    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def _sql(self, conn: Connection) -> tuple[str, tuple[str, ...] | None]:
        dialect = conn.dialect
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            positions = getattr(compiled, "positiontup", None)
            order = tuple(positions) if dialect.positional and positions else None
            found = (compiled.string, order)
            self._compiled[dialect.name] = found
        return found

    def _args(self, order: tuple[str, ...] | None, params: Mapping[str, Any]) -> Any:
        return tuple(params[name] for name in order) if order is not None else params

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Run once; answers the first row (for RETURNING and SELECT), or None."""
        sql, order = self._sql(conn)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, self._args(order, params))
            return cursor.fetchone() if cursor.description else None
        finally:
            cursor.close()

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        sql, order = self._sql(conn)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, [self._args(order, row) for row in rows])
        finally:
            cursor.close()
