"""The results file: one line per row, appended as each answer arrives, tidied at the end.

Appending (and flushing) each result as it comes means a run that is killed keeps everything
it learnt; the next run reads the file back and skips what is settled. A row may appear more
than once while a run is going (a retried row, a status refresh); the last line wins, and
:func:`rewrite` leaves one line per row in row order.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from telephonist.bulk.plan import BulkError, Row

FIELDS = ("row", "to", "sid", "status", "error_code", "error_message")
REJECTED = "rejected"
"""The status of a row that has no message: the API refused it, or it was never sent."""
ERROR = "error"
"""The status of a row whose create never got an answer (the network, a 5xx): retried on rerun."""


@dataclass(frozen=True, slots=True)
class Result:
    row: int
    to: str
    sid: str = ""
    status: str = ""
    error_code: str = ""
    error_message: str = ""

    @property
    def settled(self) -> bool:
        """Whether a rerun leaves this row alone: it has a message, or a definite refusal.

        Only an unanswered create (status ``error``) is tried again; its Idempotency-Key
        makes that safe even if the first attempt did reach the server.
        """
        return bool(self.sid) or self.status != ERROR

    def as_record(self) -> dict[str, str]:
        return {
            "row": str(self.row),
            "to": self.to,
            "sid": self.sid,
            "status": self.status,
            "error_code": self.error_code,
            "error_message": self.error_message,
        }

    def with_message(self, message: Mapping[str, object]) -> Result:
        """This row updated from a message resource as the API answers it."""
        code = message.get("error_code")
        return replace(
            self,
            sid=str(message.get("sid") or self.sid),
            status=str(message.get("status") or ""),
            error_code="" if code in (None, "", 0) else str(code),
            error_message=str(message.get("error_message") or ""),
        )


def refused(row: Row, code: str, message: str) -> Result:
    return Result(row.number, row.to, status=REJECTED, error_code=code, error_message=message)


def default_path(input_path: Path) -> Path:
    """``recipients.csv`` → ``recipients.results.csv`` beside it."""
    return input_path.with_name(input_path.stem + ".results.csv")


def read_results(path: Path) -> dict[int, Result]:
    """The results in ``path`` by row (the last line for a row wins); none if it is absent."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise BulkError(f"{path}: not a results file (not UTF-8)") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None:
        return {}
    if tuple(reader.fieldnames) != FIELDS:
        raise BulkError(f"{path}: not a results file (its columns are not {', '.join(FIELDS)})")
    found: dict[int, Result] = {}
    for record in reader:
        try:
            number = int(record["row"])
        except (TypeError, ValueError):
            raise BulkError(f"{path}: line {reader.line_num}: row is not a number") from None
        found[number] = Result(number, *(record[f] or "" for f in FIELDS[1:]))
    return found


def check_matches(path: Path, results: Mapping[int, Result], rows: Iterable[Row]) -> None:
    """Refuse a results file written for another input: its rows would be skipped wrongly."""
    by_number = {r.number: r for r in rows}
    for number, result in results.items():
        row = by_number.get(number)
        if row is None or row.to != result.to:
            raise BulkError(
                f"{path}: row {number} is for {result.to!r}, not this file's "
                f"{row.to if row else 'nothing'!r}; give another --results file"
            )


class Appender:
    """Appends results to the file, one flushed line each, writing the header if it is new."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle
        self._writer = csv.DictWriter(handle, FIELDS, lineterminator="\n")
        if handle.tell() == 0:
            self._writer.writeheader()
            handle.flush()

    def add(self, result: Result) -> None:
        self._writer.writerow(result.as_record())
        self._handle.flush()


@contextlib.contextmanager
def appending(path: Path) -> Iterator[Appender]:
    with path.open("a", encoding="utf-8", newline="") as handle:
        yield Appender(handle)


def rewrite(path: Path, results: Iterable[Result]) -> None:
    """Replace the file with one line per row, in row order; atomically, so an interruption
    leaves either the old file or the new one."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS, lineterminator="\n")
        writer.writeheader()
        for result in sorted(results, key=lambda r: r.row):
            writer.writerow(result.as_record())
    os.replace(temporary, path)
