"""``Idempotency-Key`` on Messages and Calls creates (a telephonist extension), in process.

A key makes a create happen once per account within a day of the server's clock: a retry is
answered the first resource, the same key with other parameters is 409 (20409), and a create
that was refused leaves no key behind. Each test has subaccounts of its own; the module's clock
moves only in the expiry tests, and nothing else here depends on where it stands.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest

from tests.api.conftest import Api
from tests.api.test_error_shape import assert_twilio_error

pytestmark = pytest.mark.anyio

Auth = tuple[str, str]
V1 = "/telephonist/v1"
DAY = 24 * 3600
HANGUP = "<Response><Hangup/></Response>"
_handsets = itertools.count(1)
_keys = itertools.count(1)


def handset() -> str:
    """A handset number no other test here uses (accounts buy 415 numbers, never 628)."""
    return f"+1628300{next(_handsets):04d}"


def new_key() -> str:
    return f"retry-{next(_keys)}"


@dataclass(frozen=True)
class Resource:
    """A create endpoint, and how to make a valid form for it from the account's number."""

    path: str  # "Messages.json", "Calls.json"
    listed: str  # the list key of its listing
    form: Callable[[str, str], dict[str, str]]  # (From, To) -> a valid form


MESSAGES = Resource(
    "Messages.json", "messages", lambda own, to: {"From": own, "To": to, "Body": "hi"}
)
CALLS = Resource("Calls.json", "calls", lambda own, to: {"From": own, "To": to, "Twiml": HANGUP})
RESOURCES = [pytest.param(MESSAGES, id="messages"), pytest.param(CALLS, id="calls")]


@dataclass
class Account:
    api: Api
    auth: Auth
    http: httpx.AsyncClient
    number: str

    @property
    def sid(self) -> str:
        return self.auth[0]

    async def create(self, resource: Resource, form: dict[str, str], key: str) -> httpx.Response:
        return await self.http.post(
            self.api.path(resource.path, self.sid), data=form, headers={"Idempotency-Key": key}
        )

    async def listed(self, resource: Resource) -> list[str]:
        response = await self.http.get(self.api.path(resource.path, self.sid))
        assert response.status_code == 200, response.text
        return [item["sid"] for item in response.json()[resource.listed]]

    async def inbox(self, number: str) -> list[str]:
        """The SIDs of what ``number``'s handset received from this account."""
        response = await self.http.get(f"{V1}/Handsets/{number}/Messages")
        assert response.status_code == 200, response.text
        return [m["message_sid"] for m in response.json()["messages"]]


@pytest.fixture
async def account(api: Api) -> AsyncIterator[Account]:
    """A subaccount of this test's own, with a number."""
    auth = await api.subaccount("idempotency")
    number = await api.buy_number(auth)
    async with api.client(auth) as http:
        yield Account(api, auth, http, number)


async def advance(api: Api, seconds: float) -> None:
    response = await api.http.post(f"{V1}/Clock", data={"Advance": str(seconds)})
    assert response.status_code == 200, response.text


def created(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    return str(response.json()["sid"])


@pytest.mark.parametrize("resource", RESOURCES)
async def test_a_retry_answers_the_first_resource(account: Account, resource: Resource) -> None:
    """The same key twice: one resource, the same SID, the retry marked as replayed."""
    form = resource.form(account.number, handset())
    key = new_key()
    first = await account.create(resource, form, key)
    again = await account.create(resource, form, key)
    assert created(again) == created(first)
    assert again.json() == first.json()  # nothing has happened to it meanwhile
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert await account.listed(resource) == [first.json()["sid"]]


async def test_a_retried_message_is_sent_once(api: Api, account: Account) -> None:
    """The carrier gets one message for two creates with one key, and a retry after the send
    answers the message as it is now."""
    to = handset()
    form = MESSAGES.form(account.number, to)
    key = new_key()
    sid = created(await account.create(MESSAGES, form, key))
    await advance(api, 0)  # the send falls due and is handed over
    again = await account.create(MESSAGES, form, key)
    await advance(api, 0)
    assert created(again) == sid
    assert again.json()["status"] != "queued"
    assert await account.inbox(to) == [sid]


async def test_concurrent_retries_make_one_message(account: Account) -> None:
    """Requests racing with one key (group-committed on SQLite, in parallel transactions on
    PostgreSQL) all answer the one message that was made; none fails."""
    form = MESSAGES.form(account.number, handset())
    key = new_key()
    responses = await asyncio.gather(*(account.create(MESSAGES, form, key) for _ in range(8)))
    sids = {created(r) for r in responses}
    assert len(sids) == 1
    assert await account.listed(MESSAGES) == list(sids)


@pytest.mark.parametrize("resource", RESOURCES)
async def test_the_same_key_with_other_parameters_is_409(
    account: Account, resource: Resource
) -> None:
    form = resource.form(account.number, handset())
    key = new_key()
    sid = created(await account.create(resource, form, key))
    response = await account.create(resource, {**form, "To": handset()}, key)
    assert_twilio_error(response, 409, 20409)
    assert "Idempotency-Key" in response.json()["message"]
    assert await account.listed(resource) == [sid]


async def test_a_key_names_one_kind_of_resource(account: Account) -> None:
    """A key a message was sent with cannot place a call (nor the other way round)."""
    to = handset()
    key = new_key()
    created(await account.create(MESSAGES, MESSAGES.form(account.number, to), key))
    response = await account.create(CALLS, CALLS.form(account.number, to), key)
    assert_twilio_error(response, 409, 20409)
    assert await account.listed(CALLS) == []


async def test_parameters_compare_by_name_and_repeats_by_order(api: Api, account: Account) -> None:
    """The order of different names does not matter; the order of one name's values does
    (``MediaUrl`` is a list, and its order is the media's)."""
    path = api.path("Messages.json", account.sid)
    media = [("MediaUrl", "https://example.com/a.png"), ("MediaUrl", "https://example.com/b.png")]
    base = [("From", account.number), ("To", handset()), ("Body", "hi")]
    key = {"Idempotency-Key": new_key()}

    async def post(pairs: list[tuple[str, str]]) -> httpx.Response:
        body = httpx.QueryParams(pairs)
        return await account.http.post(
            path,
            content=str(body),
            headers={**key, "Content-Type": "application/x-www-form-urlencoded"},
        )

    sid = created(await post(base + media))
    assert created(await post(media[:1] + base[::-1] + media[1:])) == sid
    assert_twilio_error(await post(base + media[::-1]), 409, 20409)


@pytest.mark.parametrize("resource", RESOURCES)
async def test_keys_are_per_account(api: Api, account: Account, resource: Resource) -> None:
    """Another account's key of the same name is another key: both creates happen."""
    other_auth = await api.subaccount("idempotency neighbour")
    async with api.client(other_auth) as http:
        other = Account(api, other_auth, http, await api.buy_number(other_auth))
        key = new_key()
        mine = created(
            await account.create(resource, resource.form(account.number, handset()), key)
        )
        theirs = created(await other.create(resource, resource.form(other.number, handset()), key))
        assert mine != theirs
        assert await other.listed(resource) == [theirs]
    assert await account.listed(resource) == [mine]


@pytest.mark.parametrize("resource", RESOURCES)
async def test_a_key_holds_for_a_day(api: Api, account: Account, resource: Resource) -> None:
    """Up to a day after the create the key answers it; from then on it is a new key."""
    form = resource.form(account.number, handset())
    key = new_key()
    first = created(await account.create(resource, form, key))
    await advance(api, DAY - 1)
    assert created(await account.create(resource, form, key)) == first
    await advance(api, 1)
    response = await account.create(resource, form, key)
    second = created(response)
    assert second != first and "idempotent-replayed" not in response.headers
    assert sorted(await account.listed(resource)) == sorted([first, second])
    # The key now names the new resource, for a day from its create.
    assert created(await account.create(resource, form, key)) == second


@pytest.mark.parametrize(
    ("resource", "fault", "code"),
    [
        # Refused before the create's transaction opens ...
        pytest.param(MESSAGES, {"To": "not a number"}, 21211, id="messages-21211"),
        pytest.param(CALLS, {"To": "not a number"}, 21211, id="calls-21211"),
        # ... and inside it, after the key was claimed: the claim is rolled back with it.
        pytest.param(MESSAGES, {"From": "+14155550199"}, 21659, id="messages-21659"),
        pytest.param(CALLS, {"From": "+14155550199"}, 21210, id="calls-21210"),
    ],
)
async def test_a_refused_create_stores_no_key(
    account: Account, resource: Resource, fault: dict[str, str], code: int
) -> None:
    """A retry with the parameters put right is a new attempt, not a conflict."""
    form = resource.form(account.number, handset())
    key = new_key()
    assert_twilio_error(await account.create(resource, {**form, **fault}, key), 400, code)
    sid = created(await account.create(resource, form, key))
    assert await account.listed(resource) == [sid]


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("k" * 256, id="too-long"),
        pytest.param("tab\tinside", id="not-printable"),
    ],
)
@pytest.mark.parametrize("resource", RESOURCES)
async def test_an_unusable_key_is_400(account: Account, resource: Resource, key: str) -> None:
    response = await account.create(resource, resource.form(account.number, handset()), key)
    assert_twilio_error(response, 400, 20422)
    assert await account.listed(resource) == []


async def test_the_longest_key_is_usable(account: Account) -> None:
    form = MESSAGES.form(account.number, handset())
    key = "k" * 255
    assert created(await account.create(MESSAGES, form, key)) == created(
        await account.create(MESSAGES, form, key)
    )


async def test_a_key_of_a_deleted_message_is_404(api: Api, account: Account) -> None:
    """The key still stands for the message it sent: a retry does not send it again."""
    form = MESSAGES.form(account.number, handset())
    key = new_key()
    sid = created(await account.create(MESSAGES, form, key))
    await advance(api, 5)  # sent and delivered: it may be deleted
    deleted = await account.http.delete(api.path(f"Messages/{sid}.json", account.sid))
    assert deleted.status_code == 204, deleted.text
    response = await account.create(MESSAGES, form, key)
    assert_twilio_error(response, 404, 20404)
    assert sid in response.json()["message"]
    assert await account.listed(MESSAGES) == []


async def test_creates_without_a_key_are_not_deduplicated(account: Account) -> None:
    form = MESSAGES.form(account.number, handset())
    path = account.api.path("Messages.json", account.sid)
    first = created(await account.http.post(path, data=form))
    second = created(await account.http.post(path, data=form))
    assert first != second
