"""What a bulk send will do, decided before anything is sent.

Everything here is pure: bytes and strings in, rows out. A file that cannot be read as a whole
(not UTF-8, a row with the wrong number of fields, a template naming a column the file does not
have) raises :class:`BulkError` naming the place, so a run either starts with every row
understood or sends nothing at all. Problems that belong to one recipient (an empty ``to``, a
number given twice) do not stop the run; they become that row's result.
"""

from __future__ import annotations

import csv
import hashlib
import io
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from telephonist.domain import inventory, phone

DEFAULT_TO_COLUMN = "to"
DUPLICATE = "duplicate"
MISSING_TO = "missing-to"

# Messages per second a sender of each kind may send, Twilio's documented defaults (the same
# figures as the dispatcher's DEFAULT_MPS, which meters segments; one segment per message here).
SENDER_RATE: dict[str, float] = {
    "local": 1.0,
    "mobile": 1.0,
    "toll_free": 3.0,
    "short_code": 100.0,
    "alphanumeric": 10.0,
}


class BulkError(Exception):
    """A problem with the input or the options that stops the run before anything is sent."""


@dataclass(frozen=True, slots=True)
class Table:
    """A CSV file's header and data rows, numbered from 1 in file order (blank lines skipped).

    ``lines[i]`` is the file line that row ``i + 1`` starts on, for error messages.
    """

    columns: tuple[str, ...]
    records: tuple[Mapping[str, str], ...]
    lines: tuple[int, ...]


def read_table(data: bytes, source: str = "input") -> Table:
    """Parse ``data`` as a UTF-8 CSV file with a header row (a byte-order mark is allowed)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise BulkError(
            f"{source}: not UTF-8 (line {line}: byte 0x{bad}); save it as UTF-8"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[Mapping[str, str]] = []
    lines: list[int] = []
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise BulkError(f"{source}: empty file; the first line must name the columns")
        columns = tuple(h.strip() for h in header)
        seen: set[str] = set()
        for name in columns:
            if not name:
                raise BulkError(f"{source}: line 1: a column has no name")
            if name in seen:
                raise BulkError(f"{source}: line 1: column {name!r} appears twice")
            seen.add(name)
        start = reader.line_num + 1
        for fields in reader:
            if not fields:  # a blank line
                start = reader.line_num + 1
                continue
            if len(fields) != len(columns):
                raise BulkError(
                    f"{source}: row {len(records) + 1} (line {start}) has {len(fields)} "
                    f"field{'s' * (len(fields) != 1)}, the header has {len(columns)}"
                )
            records.append(dict(zip(columns, fields, strict=True)))
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise BulkError(
            f"{source}: row {len(records) + 1} (line {reader.line_num}): {exc}"
        ) from None
    return Table(columns, tuple(records), tuple(lines))


@dataclass(frozen=True, slots=True)
class Template:
    """A message body with ``{column}`` fields; ``{{`` and ``}}`` are literal braces.

    Only plain field names are allowed: no ``{0}``, ``{name!r}`` or ``{name:>10}``, since a
    body is text for a person, not a format string, and a column name is looked up as written
    (``{first name}`` and ``{a.b}`` are columns called that).
    """

    text: str
    parts: tuple[tuple[str, str | None], ...]  # (literal, field or None)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for _, f in self.parts if f is not None))

    def render(self, values: Mapping[str, str]) -> str:
        return "".join(lit + (values[f] if f is not None else "") for lit, f in self.parts)


def parse_template(text: str) -> Template:
    """A :class:`Template`, or :class:`BulkError` for braces that do not pair up."""
    parts: list[tuple[str, str | None]] = []
    try:
        for literal, field, spec, conversion in string.Formatter().parse(text):
            if field is not None and (spec or conversion or field == ""):
                shown = "{" + field + ("!" + conversion if conversion else "")
                raise BulkError(
                    f"--body: {shown + (':' + spec if spec else '')}}} is not a column "
                    "field; write {column}, and {{ or }} for a literal brace"
                )
            parts.append((literal, field))
    except ValueError as exc:
        raise BulkError(f"--body: {exc}; write {{{{ or }}}} for a literal brace") from None
    return Template(text, tuple(parts))


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sends: one number (``From``) or a Messaging Service (``MessagingServiceSid``)."""

    from_: str | None = None
    service: str | None = None

    def __post_init__(self) -> None:
        if (self.from_ is None) == (self.service is None):
            raise BulkError("give exactly one of --from and --service")

    @property
    def params(self) -> tuple[tuple[str, str], ...]:
        if self.service is not None:
            return (("MessagingServiceSid", self.service),)
        assert self.from_ is not None
        return (("From", self.from_),)

    @property
    def identity(self) -> str:
        return f"service:{self.service}" if self.service is not None else f"from:{self.from_}"


@dataclass(frozen=True, slots=True)
class Row:
    """One recipient: what to send, under which Idempotency-Key, or why it is not sent."""

    number: int
    to: str
    body: str
    key: str
    problem: tuple[str, str] | None = None  # (error_code, error_message): not sent


def content_hash(data: bytes) -> str:
    """The input file's SHA-256: part of every key, so an edited file is a new run."""
    return hashlib.sha256(data).hexdigest()


def row_key(file_hash: str, sender: Sender, body_spec: str, number: int) -> str:
    """The Idempotency-Key for row ``number``: the same for the same file, sender, body
    template (or body column) and row on every run, so a rerun replays rather than resends.

    The key is under the server's 255-character limit and printable ASCII whatever the inputs.
    """
    material = "\n".join(["telephonist-bulk-1", file_hash, sender.identity, body_spec])
    digest = hashlib.sha256(material.encode("utf-8")).hexdigest()[:40]
    return f"bulk-{digest}-{number}"


def plan_rows(
    table: Table,
    data_hash: str,
    sender: Sender,
    *,
    template: Template | None = None,
    body_column: str | None = None,
    to_column: str = DEFAULT_TO_COLUMN,
    source: str = "input",
) -> list[Row]:
    """Every row with its body and key; the columns the options name are checked first.

    A ``to`` that appeared on an earlier row (compared in E.164 when it parses, so
    ``+1 415 555 0100`` and ``+14155550100`` are the same person) is marked ``duplicate``
    and is not sent: one recipient gets one copy of a campaign.
    """
    if (template is None) == (body_column is None):
        raise BulkError("give exactly one of --body and --body-column")
    needed = [to_column, *(template.fields if template else [body_column or ""])]
    missing = [c for c in dict.fromkeys(needed) if c not in table.columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise BulkError(
            f"{source}: no column {names} (the columns are: "
            f"{', '.join(repr(c) for c in table.columns)})"
        )
    body_spec = f"template:{template.text}" if template else f"column:{body_column}"
    first: dict[str, int] = {}
    rows = []
    for number, record in enumerate(table.records, start=1):
        to = record[to_column].strip()
        body = template.render(record) if template else record[body_column or ""]
        problem: tuple[str, str] | None = None
        if not to:
            problem = (MISSING_TO, f"the {to_column!r} column is empty")
        else:
            who = phone.parse_e164(to) or to
            if who in first:
                problem = (DUPLICATE, f"{to} is also on row {first[who]}; sent once")
            else:
                first[who] = number
        rows.append(Row(number, to, body, row_key(data_hash, sender, body_spec, number), problem))
    return rows


def sender_kind(number: str) -> str:
    """``local``, ``mobile``, ``toll_free``, ``short_code`` or ``alphanumeric``; a number
    whose kind is unknown counts as a long code, the slowest, so pacing errs on the safe side."""
    if phone.is_short_code(number):
        return "short_code"
    if phone.is_alphanumeric_sender(number):
        return "alphanumeric"
    e164 = phone.parse_e164(number)
    kind = inventory.number_kind(e164) if e164 else None
    return kind or "local"


def sender_rate(number: str) -> float:
    """The messages per second one sender may send by default."""
    return SENDER_RATE[sender_kind(number)]


def pool_rate(numbers: Iterable[str]) -> float:
    """A Messaging Service sends from every number in its pool at once: the sum of their
    rates, and one long code's rate for an empty (or unreadable) pool."""
    return sum(sender_rate(n) for n in numbers) or SENDER_RATE["local"]


class Pacer:
    """Hands out send times ``1 / rate`` seconds apart, never earlier than asked.

    ``delay(now)`` reserves the next slot and says how long to wait for it. A pause (a slow
    answer) does not build up credit for a burst afterwards beyond the one slot that is due.
    """

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise BulkError("--rate must be more than 0")
        self.interval = 1.0 / rate
        self._next: float | None = None

    def delay(self, now: float) -> float:
        due = now if self._next is None or self._next < now else self._next
        self._next = due + self.interval
        return due - now


def pending(rows: Sequence[Row], done: Iterable[int]) -> list[Row]:
    """The rows still to send: not already settled in the results file, and not refused
    locally (those are written as results without a request)."""
    settled = set(done)
    return [r for r in rows if r.number not in settled and r.problem is None]
