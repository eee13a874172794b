"""The HTTP side of a bulk send: paced, bounded-concurrency creates, and status refreshes.

It speaks only the public REST API (``Messages.json`` with an ``Idempotency-Key`` header, the
messaging v1 ``PhoneNumbers`` and ``ShortCodes`` lists), so it works against any
Twilio-compatible server; a server without the header still gets each row once per run, just
without the replay on a rerun.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from telephonist.bulk import plan, results
from telephonist.bulk.plan import BulkError, Row, Sender
from telephonist.bulk.results import ERROR, Result

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})
# Answers that would be the same for every row (bad credentials, a sender the account cannot
# use, a service that does not exist): stop at the first rather than refuse the whole file.
FATAL_CODES = frozenset({20003, 20005, 21212, 21606, 21659, 21701, 21603})
RETRIES = 2

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Api:
    base_url: str
    account_sid: str
    auth_token: str

    def client(self, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            auth=(self.account_sid, self.auth_token),
            timeout=30,
            transport=transport,
        )

    @property
    def messages(self) -> str:
        return f"/2010-04-01/Accounts/{quote(self.account_sid, safe='')}/Messages"


class Aborted(BulkError):
    """An answer that every other row would get too; the run stops, results so far are kept."""


@dataclass
class Summary:
    total: int = 0
    skipped: int = 0  # settled by an earlier run
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, result: Result) -> None:
        self.counts[result.status] = self.counts.get(result.status, 0) + 1


def _error(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
        return str(body.get("code") or response.status_code), str(body.get("message") or "")
    except ValueError:
        return str(response.status_code), f"HTTP {response.status_code}"


async def create(
    http: httpx.AsyncClient, api: Api, row: Row, sender: Sender, sleep: Sleep = asyncio.sleep
) -> Result:
    """Create ``row``'s message under its key; retry what may be transient (it is safe: the
    key makes a repeat a replay). A refusal is the row's result; a fatal one raises."""
    data = [("To", row.to), *sender.params, ("Body", row.body)]
    headers = {**FORM, "Idempotency-Key": row.key}
    unanswered = Result(row.number, row.to, status=ERROR)
    for attempt in range(RETRIES + 1):
        if attempt:
            await sleep(0.5 * 2**attempt)
        try:
            response = await http.post(
                api.messages + ".json", content=urlencode(data), headers=headers
            )
        except httpx.TransportError as exc:
            unanswered = Result(
                row.number, row.to, status=ERROR, error_message=str(exc) or type(exc).__name__
            )
            continue
        if response.status_code == 201:
            return Result(row.number, row.to).with_message(response.json())
        code, message = _error(response)
        if response.status_code in RETRIED_STATUS:
            unanswered = Result(row.number, row.to, "", ERROR, code, message)
            continue
        if response.status_code == 401 or (code.isdigit() and int(code) in FATAL_CODES):
            raise Aborted(f"error {code}: {message}")
        return results.refused(row, code, message)
    return unanswered


async def send_rows(
    api: Api,
    rows: Sequence[Row],
    sender: Sender,
    *,
    rate: float,
    concurrency: int,
    on_result: Callable[[Result], None],
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Send ``rows``, at most ``concurrency`` at a time and no faster than ``rate`` per second.

    ``on_result`` sees each result as it arrives; if it raises (or a fatal answer comes), the
    requests still in flight are cancelled. Their rows have no result, so a rerun sends them
    again under the same keys and gets the messages they made, if they made any.
    """
    if concurrency < 1:
        raise BulkError("--concurrency must be at least 1")
    pacer = plan.Pacer(rate)
    todo = iter(rows)

    async def worker(http: httpx.AsyncClient) -> None:
        for row in todo:
            wait = pacer.delay(clock())
            if wait > 0:
                await sleep(wait)
            on_result(await create(http, api, row, sender, sleep))

    async with api.client(transport) as http:
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(concurrency, len(rows))):
                    group.create_task(worker(http))
        except BaseExceptionGroup as group_error:
            raise group_error.exceptions[0] from None


def send_file(
    api: Api,
    input_path: Path,
    results_path: Path,
    sender: Sender,
    *,
    body: str | None = None,
    body_column: str | None = None,
    to_column: str = plan.DEFAULT_TO_COLUMN,
    rate: float | None = None,
    concurrency: int = 4,
    limit: int | None = None,
    on_start: Callable[[int, float], None] = lambda total, rate: None,
    on_result: Callable[[Result], None] = lambda result: None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Summary:
    """Everything ``telephonist bulk send`` does, the terminal aside.

    The whole file is read and checked first (nothing is sent for a file with a bad row);
    rows settled by an earlier run into ``results_path`` are skipped without a request; each
    new result is appended as it arrives, and the file is rewritten in row order at the end.
    """
    data = _read(input_path)
    table = plan.read_table(data, input_path.name)
    template = plan.parse_template(body) if body is not None else None
    rows = plan.plan_rows(
        table,
        plan.content_hash(data),
        sender,
        template=template,
        body_column=body_column,
        to_column=to_column,
        source=input_path.name,
    )
    known = results.read_results(results_path)
    results.check_matches(results_path, known, rows)
    settled = {n for n, r in known.items() if r.settled}
    refused = [r for r in rows if r.problem is not None and r.number not in settled]
    todo = plan.pending(rows, settled)
    if limit is not None:
        todo = todo[: max(limit, 0)]
    if rate is None:
        rate = default_rate(api, sender)
    summary = Summary(total=len(rows), skipped=len(settled))
    on_start(len(refused) + len(todo), rate)
    try:
        with results.appending(results_path) as out:

            def record(result: Result) -> None:
                known[result.row] = result
                out.add(result)
                summary.add(result)
                on_result(result)

            for row in refused:
                assert row.problem is not None
                record(results.refused(row, *row.problem))
            asyncio.run(
                send_rows(
                    api,
                    todo,
                    sender,
                    rate=rate,
                    concurrency=concurrency,
                    on_result=record,
                    transport=transport,
                )
            )
    finally:
        results.rewrite(results_path, known.values())
    return summary


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BulkError(f"{path}: {exc.strerror or exc}") from None


def default_rate(api: Api, sender: Sender) -> float:
    """The sender's documented rate: by the kind of the ``--from`` number, or for a service
    the sum over its pool (read from the messaging v1 API; one long code's if unreadable)."""
    if sender.from_ is not None:
        return plan.sender_rate(sender.from_)
    assert sender.service is not None
    return plan.pool_rate(pool_senders(api, sender.service))


POOL_LISTS = (
    ("PhoneNumbers", "phone_numbers", "phone_number"),
    ("ShortCodes", "short_codes", "short_code"),
)
"""The pool lists with senders that have a rate: (path segment, list key, field)."""


def pool_senders(api: Api, service: str) -> list[str]:
    """The phone numbers and short codes in a service's sender pool, every page of each;
    what cannot be read is left out."""
    senders: list[str] = []
    with httpx.Client(
        base_url=api.base_url, auth=(api.account_sid, api.auth_token), timeout=30
    ) as http:
        for segment, key, name in POOL_LISTS:
            url: str | None = f"/v1/Services/{quote(service, safe='')}/{segment}?PageSize=1000"
            while url:
                try:
                    response = http.get(url)
                except httpx.TransportError:
                    break
                if response.status_code != 200:
                    break
                page: dict[str, Any] = response.json()
                senders += [str(n[name]) for n in page.get(key, [])]
                url = (page.get("meta") or {}).get("next_page_url")
    return senders


async def refresh(
    api: Api,
    known: Iterable[Result],
    *,
    concurrency: int = 8,
    on_result: Callable[[Result], None] = lambda result: None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Result]:
    """Every result with a SID fetched again (status, error code and message as they are now);
    the others as they were. A message the API no longer has keeps its last status and gets
    the API's error (20404)."""
    rows = list(known)
    limit = asyncio.Semaphore(concurrency)

    async def fetch(http: httpx.AsyncClient, result: Result) -> Result:
        if not result.sid:
            return result
        async with limit:
            response = await http.get(f"{api.messages}/{quote(result.sid, safe='')}.json")
        if response.status_code == 200:
            fresh = result.with_message(response.json())
        elif response.status_code == 401:
            raise Aborted("error {}: {}".format(*_error(response)))
        else:
            code, message = _error(response)
            fresh = Result(result.row, result.to, result.sid, result.status, code, message)
        on_result(fresh)
        return fresh

    async with api.client(transport) as http:
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(fetch(http, r)) for r in rows]
        except BaseExceptionGroup as group_error:
            raise group_error.exceptions[0] from None
    return [t.result() for t in tasks]


def refresh_file(
    api: Api,
    results_path: Path,
    *,
    on_start: Callable[[int], None] = lambda total: None,
    on_result: Callable[[Result], None] = lambda result: None,
) -> list[Result]:
    """``telephonist bulk status``: refresh every row of the file and rewrite it."""
    if not results_path.exists():
        raise BulkError(f"{results_path}: no such results file")
    known = results.read_results(results_path)
    on_start(sum(1 for r in known.values() if r.sid))
    fresh = asyncio.run(refresh(api, known.values(), on_result=on_result))
    results.rewrite(results_path, fresh)
    return fresh
