"""The HTTP half of ``telephonist bulk`` against httpx's MockTransport: pacing, the bound on
requests in flight, retries under one key, and the answers that stop a run."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl

import httpx
import pytest

from telephonist.bulk import plan
from telephonist.bulk.plan import Sender
from telephonist.bulk.results import Result
from telephonist.bulk.send import Aborted, Api, send_rows

API = Api("http://api.invalid", "AC" + "0" * 32, "token")
SENDER = Sender(from_="+15005550006")


def make_rows(count: int) -> list[plan.Row]:
    return [plan.Row(n, f"+1415555{n:04d}", f"body {n}", f"key-{n}") for n in range(1, count + 1)]


def created(request: httpx.Request) -> httpx.Response:
    form = dict(parse_qsl(request.content.decode()))
    sid = "SM" + request.headers["Idempotency-Key"].replace("-", "").ljust(32, "0")
    return httpx.Response(201, json={"sid": sid, "status": "queued", "to": form["To"]})


def run(rows: list[plan.Row], transport: httpx.AsyncBaseTransport, **kw: object) -> list[Result]:
    got: list[Result] = []
    waits: list[float] = kw.pop("waits", [])  # type: ignore[assignment]

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    options = {"rate": 1000.0, "concurrency": 4, **kw}
    asyncio.run(
        send_rows(
            API,
            rows,
            SENDER,
            on_result=got.append,
            transport=transport,
            sleep=sleep,
            clock=lambda: 0.0,
            **options,  # type: ignore[arg-type]
        )
    )
    return sorted(got, key=lambda r: r.row)


def test_creates_are_paced_at_the_rate() -> None:
    """With the clock standing still, each row waits one more interval than the last."""
    waits: list[float] = []
    got = run(make_rows(4), httpx.MockTransport(created), rate=2.0, waits=waits)
    assert sorted(waits) == [0.5, 1.0, 1.5]
    assert [r.status for r in got] == ["queued"] * 4


def test_requests_in_flight_are_bounded() -> None:
    """No more than --concurrency creates are outstanding at once, and that many are used."""
    state = {"now": 0, "most": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        state["now"] += 1
        state["most"] = max(state["most"], state["now"])
        for _ in range(3):  # yield to the other workers: a slow server, without a clock
            await asyncio.sleep(0)
        state["now"] -= 1
        return created(request)

    got = run(make_rows(9), httpx.MockTransport(handler), concurrency=3)
    assert len(got) == 9 and state["most"] == 3


def test_transient_failures_are_retried_under_the_same_key() -> None:
    """A 503 then a 201: one result with the SID, and both attempts carried the row's key."""
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        if len(keys) == 1:
            return httpx.Response(503, json={"code": 20503, "message": "busy"})
        return created(request)

    [result] = run(make_rows(1), httpx.MockTransport(handler))
    assert keys == ["key-1", "key-1"] and result.sid.startswith("SM")


def test_a_create_that_never_gets_an_answer_is_an_unsettled_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    [result] = run(make_rows(1), httpx.MockTransport(handler))
    assert result.status == "error" and "refused" in result.error_message
    assert not result.settled


def test_a_refusal_is_the_rows_result() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"code": 21211, "message": "The 'To' number is not valid", "status": 400}
        return httpx.Response(400, content=json.dumps(body))

    [result] = run(make_rows(1), httpx.MockTransport(handler))
    assert (result.status, result.error_code, result.sid) == ("rejected", "21211", "")


@pytest.mark.parametrize(
    ("status", "code"), [(401, 20003), (400, 21212), (404, 21701), (400, 21659)]
)
def test_answers_every_row_would_get_stop_the_run(status: int, code: int) -> None:
    """Bad credentials or an unusable sender: stop at once instead of refusing every row."""
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(status, json={"code": code, "message": "no"})

    with pytest.raises(Aborted, match=f"error {code}"):
        run(make_rows(20), httpx.MockTransport(handler), concurrency=1)
    assert len(calls) == 1
