"""The control API is scoped like the REST API: scenario rules are their account's (and its
subaccounts'), a handset texts only the caller's numbers, and an inbox shows only what the
caller's accounts sent. Another account's objects answer as objects nobody has."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from tests.api.conftest import Api

pytestmark = pytest.mark.anyio

V1 = "/telephonist/v1"
CONFIGURED = "+1999555*"  # a black hole for every account, from the settings
Auth = tuple[str, str]


@pytest.fixture(scope="module")
def api_settings() -> dict[str, Any]:
    return {"scenarios": f"{CONFIGURED}=black_hole"}


def fresh_number(area: str = "720") -> str:
    """A number no test has used: a handset nobody owns (accounts here buy 415 numbers)."""
    return f"+1{area}{uuid.uuid4().int % 10_000_000:07d}"


async def subaccount(api: Api, parent: Auth, name: str = "sub") -> Auth:
    async with api.client(parent) as http:
        response = await http.post("/2010-04-01/Accounts.json", data={"FriendlyName": name})
    assert response.status_code == 201, response.text
    return str(response.json()["sid"]), str(response.json()["auth_token"])


async def api_key(api: Api, owner: Auth) -> Auth:
    async with api.client(owner) as http:
        response = await http.post(api.path("Keys.json", owner[0]), data={})
    assert response.status_code == 201, response.text
    return str(response.json()["sid"]), str(response.json()["secret"])


async def family(api: Api) -> tuple[Auth, Auth, Auth]:
    """A fresh top-level account and two subaccounts of it: (parent, child, sibling)."""
    parent = await api.top_level_account()
    return parent, await subaccount(api, parent, "child"), await subaccount(api, parent, "sib")


async def control(api: Api, auth: Auth, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with api.client(auth) as http:
        return await http.request(method, V1 + path, **kwargs)


async def set_rule(api: Api, auth: Auth, pattern: str, scenario: str) -> None:
    response = await control(
        api, auth, "POST", "/Scenarios/Rules", data={"Pattern": pattern, "Scenario": scenario}
    )
    assert response.status_code == 200, response.text


async def send(api: Api, auth: Auth, to: str, body: str = "x") -> str:
    """The account sends ``body`` to ``to`` from a number of its own; the message's SID."""
    sender = await api.buy_number(auth)
    async with api.client(auth) as http:
        response = await http.post(
            api.path("Messages.json", auth[0]), data={"From": sender, "To": to, "Body": body}
        )
    assert response.status_code == 201, response.text
    return str(response.json()["sid"])


async def outcome(api: Api, auth: Auth, sid: str) -> tuple[str, int | None]:
    async with api.client(auth) as http:
        response = await http.get(api.path(f"Messages/{sid}.json", auth[0]))
    assert response.status_code == 200, response.text
    return response.json()["status"], response.json()["error_code"]


async def advance(api: Api, seconds: float = 0) -> None:
    """Move the module's manual clock, running what falls due (every test's own messages)."""
    response = await api.http.post(f"{V1}/Clock", data={"Advance": str(seconds)})
    assert response.status_code == 200, response.text


async def rules(api: Api, auth: Auth) -> list[tuple[str, str, str]]:
    response = await control(api, auth, "GET", "/Scenarios")
    assert response.status_code == 200, response.text
    return [(r["pattern"], r["scenario"], r["source"]) for r in response.json()["rules"]]


def anonymised(response: httpx.Response, **values: str) -> tuple[int, str]:
    """The status and body with each of ``values`` named instead, and SIDs masked."""
    text = response.text
    for name, value in values.items():
        text = text.replace(value, "{" + name + "}")
    return response.status_code, re.sub(r"\b[A-Z]{2}[0-9a-f]{32}\b", "{sid}", text)


# -- scenario rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("setter", ["sibling", "child for its parent", "another account's key"])
async def test_a_rule_shapes_only_its_own_accounts_traffic(api: Api, setter: str) -> None:
    """A rule set by one account fails that account's messages, never another's."""
    parent, child, sibling = await family(api)
    if setter == "sibling":
        account, credentials, victim = child, child, sibling
    elif setter == "child for its parent":
        account, credentials, victim = child, child, parent
    else:
        account, credentials, victim = child, await api_key(api, child), sibling
    handset = fresh_number()
    await set_rule(api, credentials, handset, "reject_on_submit")

    theirs = await send(api, victim, handset)
    mine = await send(api, account, handset)
    await advance(api)
    assert await outcome(api, victim, theirs) == ("delivered", None)
    assert await outcome(api, account, mine) == ("failed", 30008)


async def test_a_subaccount_inherits_its_parents_rules_and_its_own_win_a_tie(api: Api) -> None:
    """The parent's rule applies to the child's messages until the child sets the same pattern
    itself; the child's rule never changes the parent's messages."""
    parent, child, _ = await family(api)
    handset = fresh_number()
    await set_rule(api, parent, handset, "landline")
    inherited = await send(api, child, handset)
    await advance(api)
    assert await outcome(api, child, inherited) == ("undelivered", 30006)

    await set_rule(api, child, handset, "unreachable")
    own = await send(api, child, handset)
    parents = await send(api, parent, handset)
    await advance(api)
    assert await outcome(api, child, own) == ("undelivered", 30003)
    assert await outcome(api, parent, parents) == ("undelivered", 30006)


async def test_the_longest_pattern_wins_whoever_set_it(api: Api) -> None:
    """A parent's exact number beats a child's shorter glob; the glob still covers the rest."""
    parent, child, _ = await family(api)
    exact = fresh_number()
    neighbour = exact[:-1] + str((int(exact[-1]) + 1) % 10)
    await set_rule(api, parent, exact, "landline")
    await set_rule(api, child, exact[:-2] + "*", "unreachable")
    to_exact = await send(api, child, exact)
    to_neighbour = await send(api, child, neighbour)
    await advance(api)
    assert await outcome(api, child, to_exact) == ("undelivered", 30006)
    assert await outcome(api, child, to_neighbour) == ("undelivered", 30003)


async def test_configured_rules_apply_to_every_account(api: Api) -> None:
    """The settings' rules hold for accounts of any family; an account may override one for
    its own traffic, but not remove it."""
    parent, child, _ = await family(api)
    stranger = await api.subaccount("stranger")
    handset = "+1999555" + fresh_number()[-4:]
    await set_rule(api, child, CONFIGURED, "happy")
    sids = {
        "parent": await send(api, parent, handset),
        "stranger": await send(api, stranger, handset),
        "child": await send(api, child, handset),
    }
    await advance(api)
    assert await outcome(api, parent, sids["parent"]) == ("sent", None)
    assert await outcome(api, stranger, sids["stranger"]) == ("sent", None)
    assert await outcome(api, child, sids["child"]) == ("delivered", None)

    removed = await control(
        api, parent, "DELETE", "/Scenarios/Rules", params={"Pattern": CONFIGURED}
    )
    assert removed.status_code == 404
    assert (CONFIGURED, "black_hole", "config") in await rules(api, parent)


async def test_rules_are_listed_and_removed_only_by_their_account(api: Api) -> None:
    """Each account lists the configured rules, its parent's and its own, nobody else's; it
    removes only its own, and another's pattern answers as a pattern nobody set."""
    parent, child, sibling = await family(api)
    ours, mine, theirs, nobodys = (fresh_number()[:-3] + "*" for _ in range(4))
    await set_rule(api, parent, ours, "slow")
    await set_rule(api, child, mine, "landline")
    await set_rule(api, sibling, theirs, "filtered")

    configured = (CONFIGURED, "black_hole", "config")
    assert await rules(api, child) == [
        configured,
        (ours, "slow", "parent"),
        (mine, "landline", "account"),
    ]
    assert await rules(api, parent) == [configured, (ours, "slow", "account")]

    async def remove(auth: Auth, pattern: str) -> httpx.Response:
        return await control(api, auth, "DELETE", "/Scenarios/Rules", params={"Pattern": pattern})

    for someone_elses in (theirs, ours):  # a sibling's, and the parent's
        refused = await remove(child, someone_elses)
        unknown = await remove(child, nobodys)
        assert refused.status_code == 404
        assert anonymised(refused, pattern=someone_elses) == anonymised(unknown, pattern=nobodys)
    assert (await remove(parent, mine)).status_code == 404  # nor a parent its child's
    assert await rules(api, sibling) == [
        configured,
        (ours, "slow", "parent"),
        (theirs, "filtered", "account"),
    ]
    assert await rules(api, parent) == [configured, (ours, "slow", "account")]

    assert (await remove(child, mine)).status_code == 204
    assert await rules(api, child) == [configured, (ours, "slow", "parent")]


async def test_a_handsets_scenario_is_its_accounts(api: Api) -> None:
    """``POST /Handsets/{n}/Scenario`` is a rule of the caller's account like any other."""
    _, child, sibling = await family(api)
    handset = fresh_number()
    response = await control(
        api, child, "POST", f"/Handsets/{handset}/Scenario", data={"Scenario": "blocked"}
    )
    assert response.status_code == 200, response.text
    theirs = await send(api, sibling, handset)
    mine = await send(api, child, handset)
    await advance(api)
    assert await outcome(api, sibling, theirs) == ("delivered", None)
    assert await outcome(api, child, mine) == ("undelivered", 30004)


# -- handsets ---------------------------------------------------------------------------------


async def text(api: Api, auth: Auth, handset: str, to: str, **form: str) -> httpx.Response:
    return await control(
        api, auth, "POST", f"/Handsets/{handset}/Messages", data={"To": to, "Body": "hi", **form}
    )


@pytest.mark.parametrize("owner", ["sibling", "parent", "sibling, through a key"])
async def test_texting_another_accounts_number_answers_as_a_number_nobody_owns(
    api: Api, owner: str
) -> None:
    """The same 404 and 21211, decided before any media is fetched (the MediaUrl here would
    be refused) and before anything is stored for the number's owner."""
    parent, child, sibling = await family(api)
    victim = parent if owner == "parent" else sibling
    caller = await api_key(api, child) if owner.endswith("key") else child
    number = await api.buy_number(victim)
    nobodys = fresh_number("628")
    unreachable = {"MediaUrl": "http://127.0.0.1:9/picture.png"}

    refused = await text(api, caller, fresh_number(), number, **unreachable)
    unowned = await text(api, caller, fresh_number(), nobodys, **unreachable)
    assert refused.json()["code"] == 21211 and refused.status_code == 404
    assert anonymised(refused, to=number) == anonymised(unowned, to=nobodys)
    async with api.client(victim) as http:
        listed = await http.get(api.path("Messages.json", victim[0]))
    assert listed.json()["messages"] == []


async def test_a_parent_texts_its_subaccounts_numbers(api: Api) -> None:
    """The caller's numbers are its own and its subaccounts', as on the REST API."""
    parent, child, _ = await family(api)
    number = await api.buy_number(child)
    response = await text(api, parent, fresh_number(), number)
    assert response.status_code == 201, response.text
    assert response.json()["account_sid"] == child[0]


async def test_another_accounts_number_is_a_handset_like_any_other(api: Api) -> None:
    """As the handset, a sibling's or the parent's number answers as a number nobody owns;
    only the caller's own numbers are refused."""
    parent, child, sibling = await family(api)
    mine = await api.buy_number(child)
    nobodys = fresh_number()
    for number in (await api.buy_number(sibling), await api.buy_number(parent)):
        taken = await text(api, child, number, mine)
        free = await text(api, child, nobodys, mine)
        assert taken.status_code == 201, taken.text
        assert anonymised(taken, handset=number) == anonymised(free, handset=nobodys)
    refused = await text(api, child, mine, mine)
    assert (refused.status_code, refused.json()["code"]) == (400, 20422)


async def test_a_handsets_inbox_shows_only_what_the_callers_accounts_sent(api: Api) -> None:
    """A parent reads what it and its subaccounts sent; a subaccount (or its key) only its own."""
    parent, child, sibling = await family(api)
    handset = fresh_number()
    for who, body in (
        (parent, "from the parent"),
        (child, "from the child"),
        (sibling, "from the sibling"),
    ):
        await send(api, who, handset, body)
    await advance(api)

    async def inbox(auth: Auth) -> list[str]:
        response = await control(api, auth, "GET", f"/Handsets/{handset}/Messages")
        assert response.status_code == 200, response.text
        return [m["body"] for m in response.json()["messages"]]

    everything = ["from the child", "from the parent", "from the sibling"]
    assert sorted(await inbox(parent)) == everything
    assert await inbox(child) == ["from the child"]
    assert await inbox(await api_key(api, child)) == ["from the child"]
    assert await inbox(sibling) == ["from the sibling"]


async def test_a_suspended_account_reads_its_control_state_but_changes_nothing(api: Api) -> None:
    """As on the REST API: a suspended account's credentials list its rules but cannot set
    or remove one, nor text from a handset (20005); once its parent reactivates it, they can."""
    parent = await api.top_level_account()
    child = await subaccount(api, parent)
    mine = await api.buy_number(child)
    await set_rule(api, child, "+1720555*", "landline")

    async def status(value: str) -> None:
        async with api.client(parent) as http:
            response = await http.post(
                f"/2010-04-01/Accounts/{child[0]}.json", data={"Status": value}
            )
        assert response.status_code == 200, response.text

    await status("suspended")
    listed = await control(api, child, "GET", "/Scenarios")
    assert listed.status_code == 200, listed.text
    refused = [
        await control(
            api, child, "POST", "/Scenarios/Rules", data={"Pattern": "+1720*", "Scenario": "slow"}
        ),
        await control(api, child, "DELETE", "/Scenarios/Rules", params={"Pattern": "+1720555*"}),
        await control(
            api, child, "POST", f"/Handsets/{fresh_number()}/Messages", data={"To": mine}
        ),
    ]
    assert [(r.status_code, r.json()["code"]) for r in refused] == [(403, 20005)] * 3
    await status("active")
    await set_rule(api, child, "+1720*", "slow")
