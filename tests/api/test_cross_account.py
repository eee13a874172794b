"""Someone else's object answers exactly as nobody's object, on the REST and control APIs.

For every kind of object served (accounts, keys, incoming numbers, applications, messages,
media, notifications, scenario rules, handsets) and every way of being someone else (a sibling
account, a child reaching for its parent's, another account's API key, a suspended account, a
closed one), each request is made twice: once naming the other account's real object, once
naming a well-formed SID (or number, or pattern) that exists nowhere. The two answers must be
the same status, code and message, with the names swapped; and the other account's object must
be untouched afterwards. Requests that list rather than name (``GET /Scenarios``, the caller's
own lists) are made before and after the other account creates its object, and must not change.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from telephonist.domain.sids import new_sid
from tests.api.conftest import Api

pytestmark = pytest.mark.anyio

Auth = tuple[str, str]
ACCOUNTS = "/2010-04-01/Accounts"
V1 = "/telephonist/v1"
TAKEN = "takenover"  # what a request tries to write into someone else's object
THEIR_WORDS = "the owner's own words"


def fresh_number(area: str) -> str:
    """A number no test has used (accounts here buy 415 numbers, so no account owns it)."""
    return f"+1{area}{uuid.uuid4().int % 10_000_000:07d}"


@dataclass(frozen=True)
class Probe:
    """A request naming an object through placeholders: ``{owner}`` and its objects' names,
    ``{me}`` the caller's account, ``{mine}`` one of the caller's numbers and ``{handset}`` a
    number nobody owns (the same for both requests). ``world`` lists objects the owner creates
    between the two requests of a probe that names none. Every probe is refused unless
    ``answered`` (a listing, or a handset, which any number can be)."""

    method: str
    path: str
    data: dict[str, str] = field(default_factory=dict)
    world: tuple[str, ...] = ()
    answered: bool = False
    inherited: bool = False  # a subaccount sees its parent's (the parent's rules are in force)

    @property
    def id(self) -> str:
        data = ",".join(f"{k}={v}" for k, v in self.data.items())
        return f"{self.method} {self.path}" + (f" {data}" if data else "")


def on_each(method: str, path: str, data: dict[str, str] | None = None) -> list[Probe]:
    """The request through the owner's account path and through the caller's own."""
    return [
        Probe(method, path.format_map(_Keep(account=account)), data or {})
        for account in ("{owner}", "{me}")
    ]


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


A = f"{ACCOUNTS}/{{account}}"
PROBES: list[Probe] = [
    # accounts
    Probe("GET", f"{ACCOUNTS}/{{owner}}.json"),
    Probe("POST", f"{ACCOUNTS}/{{owner}}.json", {"FriendlyName": TAKEN}),
    Probe("POST", f"{ACCOUNTS}/{{owner}}.json", {"Status": "suspended"}),
    Probe("POST", f"{ACCOUNTS}/{{owner}}.json", {"Status": "closed"}),
    # keys
    Probe("GET", f"{ACCOUNTS}/{{owner}}/Keys.json"),
    Probe("POST", f"{ACCOUNTS}/{{owner}}/Keys.json", {"FriendlyName": TAKEN}),
    *on_each("GET", f"{A}/Keys/{{key}}.json"),
    *on_each("POST", f"{A}/Keys/{{key}}.json", {"FriendlyName": TAKEN}),
    *on_each("DELETE", f"{A}/Keys/{{key}}.json"),
    Probe("GET", f"{ACCOUNTS}/{{me}}/Keys.json", world=("key",), answered=True),
    # incoming numbers (and searching on someone's behalf)
    Probe("GET", f"{ACCOUNTS}/{{owner}}/IncomingPhoneNumbers.json"),
    Probe("POST", f"{ACCOUNTS}/{{owner}}/IncomingPhoneNumbers.json", {"AreaCode": "415"}),
    Probe("GET", f"{ACCOUNTS}/{{owner}}/AvailablePhoneNumbers/US/Local.json"),
    *on_each("GET", f"{A}/IncomingPhoneNumbers/{{number}}.json"),
    *on_each("POST", f"{A}/IncomingPhoneNumbers/{{number}}.json", {"SmsUrl": f"http://{TAKEN}/"}),
    *on_each("DELETE", f"{A}/IncomingPhoneNumbers/{{number}}.json"),
    Probe("GET", f"{ACCOUNTS}/{{me}}/IncomingPhoneNumbers.json", world=("number",), answered=True),
    # applications
    Probe("GET", f"{ACCOUNTS}/{{owner}}/Applications.json"),
    Probe("POST", f"{ACCOUNTS}/{{owner}}/Applications.json", {"FriendlyName": TAKEN}),
    *on_each("GET", f"{A}/Applications/{{application}}.json"),
    *on_each("POST", f"{A}/Applications/{{application}}.json", {"FriendlyName": TAKEN}),
    *on_each("DELETE", f"{A}/Applications/{{application}}.json"),
    Probe("GET", f"{ACCOUNTS}/{{me}}/Applications.json", world=("application",), answered=True),
    # messages
    Probe("GET", f"{ACCOUNTS}/{{owner}}/Messages.json"),
    *on_each("POST", f"{A}/Messages.json", {"From": "{phone}", "To": "{handset}", "Body": "x"}),
    *on_each("GET", f"{A}/Messages/{{message}}.json"),
    *on_each("POST", f"{A}/Messages/{{message}}.json", {"Body": ""}),
    *on_each("DELETE", f"{A}/Messages/{{message}}.json"),
    Probe("GET", f"{ACCOUNTS}/{{me}}/Messages.json", world=("message",), answered=True),
    # media
    *on_each("GET", f"{A}/Messages/{{mms}}/Media.json"),
    *on_each("GET", f"{A}/Messages/{{mms}}/Media/{{media}}.json"),
    *on_each("DELETE", f"{A}/Messages/{{mms}}/Media/{{media}}.json"),
    # The bytes are public at the owner's path, as on Twilio; not at anyone else's.
    Probe("GET", f"{ACCOUNTS}/{{me}}/Messages/{{mms}}/Media/{{media}}"),
    # notifications (alerts)
    Probe("GET", f"{ACCOUNTS}/{{owner}}/Notifications.json"),
    *on_each("GET", f"{A}/Notifications/{{alert}}.json"),
    Probe("GET", f"{ACCOUNTS}/{{me}}/Notifications.json", world=("alert",), answered=True),
    # scenario rules
    Probe("DELETE", f"{V1}/Scenarios/Rules?Pattern={{pattern}}"),
    Probe("GET", f"{V1}/Scenarios", world=("pattern",), answered=True, inherited=True),
    # handsets
    Probe("POST", f"{V1}/Handsets/{{handset}}/Messages", {"To": "{phone}", "Body": "x"}),
    Probe(
        "POST", f"{V1}/Handsets/{{phone}}/Messages", {"To": "{mine}", "Body": "x"}, answered=True
    ),
    Probe("GET", f"{V1}/Handsets/{{sent_to}}/Messages", answered=True),
]
CALLERS = ["sibling", "child to parent", "another account's key", "suspended", "closed"]


class Owner:
    """The other account and the objects it makes, each made once, when a probe needs it."""

    def __init__(self, api: Api, auth: Auth) -> None:
        self.api = api
        self.auth = auth
        self.values: dict[str, str] = {"owner": auth[0]}
        self.checks: list[Callable[[], Awaitable[None]]] = [self._account_intact]
        self.makers: dict[str, Callable[[], Awaitable[None]]] = {
            "key": self._key,
            "number": self._number,
            "phone": self._number,
            "message": self._message,
            "sent_to": self._message,
            "mms": self._media,
            "media": self._media,
            "application": self._application,
            "alert": self._alert,
            "pattern": self._pattern,
        }

    async def make(self, names: set[str]) -> None:
        for name in sorted(names):
            if name not in self.values and name in self.makers:
                await self.makers[name]()

    async def intact(self) -> None:
        for check in self.checks:
            await check()

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async with self.api.client(self.auth) as http:
            response = await http.request(method, path, **kwargs)
        assert response.status_code < 300, response.text
        return response

    def _path(self, resource: str) -> str:
        return self.api.path(resource, self.auth[0])

    async def _account_intact(self) -> None:
        response = await self._request("GET", f"{ACCOUNTS}/{self.auth[0]}.json")
        assert response.json()["status"] == "active" and TAKEN not in response.text

    async def _key(self) -> None:
        created = await self._request("POST", self._path("Keys.json"), data={"FriendlyName": "k"})
        path = self._path(f"Keys/{created.json()['sid']}.json")
        self.values["key"] = created.json()["sid"]

        async def check() -> None:
            assert TAKEN not in (await self._request("GET", path)).text

        self.checks.append(check)

    async def _number(self) -> None:
        bought = await self._request(
            "POST", self._path("IncomingPhoneNumbers.json"), data={"AreaCode": "415"}
        )
        self.values["number"] = bought.json()["sid"]
        self.values["phone"] = bought.json()["phone_number"]
        path = self._path(f"IncomingPhoneNumbers/{bought.json()['sid']}.json")

        async def check() -> None:
            assert TAKEN not in (await self._request("GET", path)).text

        self.checks.append(check)

    async def _message(self) -> None:
        await self.make({"phone"})
        handset = fresh_number("720")
        sent = await self._request(
            "POST",
            self._path("Messages.json"),
            data={"From": self.values["phone"], "To": handset, "Body": THEIR_WORDS},
        )
        await self.api.http.post(f"{V1}/Clock", data={"Advance": "0"})  # hand it over
        self.values["message"] = sent.json()["sid"]
        self.values["sent_to"] = handset
        path = self._path(f"Messages/{sent.json()['sid']}.json")
        inbox = f"{V1}/Handsets/{handset}/Messages"

        async def check() -> None:
            assert THEIR_WORDS in (await self._request("GET", path)).text
            assert THEIR_WORDS in (await self._request("GET", inbox)).text

        self.checks.append(check)

    async def _media(self) -> None:
        await self.make({"phone"})
        picture = base64.b64encode(b"GIF89a" + b"\x00" * 16).decode()
        texted = await self._request(
            "POST",
            f"{V1}/Handsets/{fresh_number('720')}/Messages",
            data={
                "To": self.values["phone"],
                "Body": "look",
                "MediaContent": picture,
                "MediaContentType": "image/gif",
            },
        )
        mms = texted.json()["sid"]
        listed = await self._request("GET", self._path(f"Messages/{mms}/Media.json"))
        media = listed.json()["media_list"][0]["sid"]
        self.values.update(mms=mms, media=media)
        path = self._path(f"Messages/{mms}/Media/{media}.json")

        async def check() -> None:
            await self._request("GET", path)

        self.checks.append(check)

    async def _application(self) -> None:
        created = await self._request(
            "POST", self._path("Applications.json"), data={"FriendlyName": "theirs"}
        )
        self.values["application"] = created.json()["sid"]
        path = self._path(f"Applications/{created.json()['sid']}.json")

        async def check() -> None:
            assert TAKEN not in (await self._request("GET", path)).text

        self.checks.append(check)

    async def _alert(self) -> None:
        """An SmsUrl that refuses connections: texting the number records an 11205 alert."""
        bought = await self._request(
            "POST",
            self._path("IncomingPhoneNumbers.json"),
            data={"AreaCode": "415", "SmsUrl": "http://127.0.0.1:9/sms"},
        )
        await self._request(
            "POST",
            f"{V1}/Handsets/{fresh_number('720')}/Messages",
            data={"To": bought.json()["phone_number"], "Body": "hello?"},
        )
        await self.api.http.post(f"{V1}/Clock", data={"Advance": "0"})
        listed = await self._request("GET", self._path("Notifications.json"))
        alerts = listed.json()["notifications"]
        assert [a["error_code"] for a in alerts] == ["11205"], alerts
        self.values["alert"] = alerts[0]["sid"]

    async def _pattern(self) -> None:
        pattern = fresh_number("720")[:-3] + "*"
        await self._request(
            "POST", f"{V1}/Scenarios/Rules", data={"Pattern": pattern, "Scenario": "blocked"}
        )
        self.values["pattern"] = pattern

        async def check() -> None:
            rules = (await self._request("GET", f"{V1}/Scenarios")).json()["rules"]
            assert {"pattern": pattern, "scenario": "blocked", "source": "account"} in rules

        self.checks.append(check)


NOBODYS: dict[str, Callable[[], str]] = {
    "owner": lambda: new_sid("AC"),
    "key": lambda: new_sid("SK"),
    "number": lambda: new_sid("PN"),
    "phone": lambda: fresh_number("628"),
    "message": lambda: new_sid("SM"),
    "sent_to": lambda: fresh_number("720"),
    "mms": lambda: new_sid("MM"),
    "media": lambda: new_sid("ME"),
    "application": lambda: new_sid("AP"),
    "alert": lambda: new_sid("NO"),
    "pattern": lambda: fresh_number("720")[:-3] + "*",
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


async def subaccount(api: Api, parent: Auth) -> Auth:
    async with api.client(parent) as http:
        response = await http.post("/2010-04-01/Accounts.json", data={"FriendlyName": "sub"})
    assert response.status_code == 201, response.text
    return response.json()["sid"], response.json()["auth_token"]


async def caller_and_owner(api: Api, caller: str) -> tuple[str, Auth, Owner, str]:
    """(the caller's account, its credentials, the other account, one of the caller's numbers)
    for one way of being someone else, all new."""
    parent = await api.top_level_account()
    me = await subaccount(api, parent)
    mine = await api.buy_number(me)
    if caller == "child to parent":
        return me[0], me, Owner(api, parent), mine
    owner = Owner(api, await subaccount(api, parent))
    credentials = me
    if caller == "another account's key":
        async with api.client(me) as http:
            key = (await http.post(api.path("Keys.json", me[0]), data={})).json()
        credentials = (key["sid"], key["secret"])
    elif caller in ("suspended", "closed"):
        async with api.client(parent) as http:
            changed = await http.post(f"{ACCOUNTS}/{me[0]}.json", data={"Status": caller})
        assert changed.status_code == 200, changed.text
    return me[0], credentials, owner, mine


def fill(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def anonymised(response: httpx.Response, values: dict[str, str]) -> tuple[int, str]:
    """The status and body with the probe's names put back, and fresh SIDs masked."""
    text = response.text
    for name, value in sorted(values.items(), key=lambda item: -len(item[1])):
        text = text.replace(value, "{" + name + "}")
    return response.status_code, re.sub(r"\b[A-Z]{2}[0-9a-f]{32}\b", "{sid}", text)


CASES = [
    pytest.param(caller, probe, id=f"{caller}: {probe.id}")
    for probe in PROBES
    for caller in CALLERS
    if not (probe.inherited and caller == "child to parent")
]


@pytest.mark.parametrize(("caller", "probe"), CASES)
async def test_someone_elses_object_answers_as_nobodys(api: Api, caller: str, probe: Probe) -> None:
    me, credentials, owner, mine = await caller_and_owner(api, caller)
    common = {"me": me, "mine": mine, "handset": fresh_number("720")}
    named = set(PLACEHOLDER.findall(probe.path + "".join(probe.data.values()))) - set(common)

    path, _, query = probe.path.partition("?")

    async def ask(values: dict[str, str]) -> tuple[int, str]:
        async with api.client(credentials) as http:
            response = await http.request(
                probe.method,
                fill(path, values),
                params={k: fill(v, values) for k, v in parse_qsl(query)},
                data={k: fill(v, values) for k, v in probe.data.items()} or None,
            )
        return anonymised(response, {k: v for k, v in values.items() if k not in common})

    nobodys = await ask({**common, **{name: NOBODYS[name]() for name in named}})
    await owner.make(named | set(probe.world))
    someones = await ask({**common, **owner.values})
    assert someones == nobodys
    assert someones[0] >= 400 or probe.answered, someones
    await owner.intact()
