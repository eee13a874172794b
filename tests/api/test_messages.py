"""Messages.json handlers in process: create-time validation codes and the paging envelope."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.conftest import Api
from tests.api.test_error_shape import assert_twilio_error

pytestmark = pytest.mark.anyio

OWN = "the account's own number"  # replaced by a number the subaccount bought
FOREIGN = "another account's number"  # replaced by a number a second subaccount bought

CREATE_ERRORS = [
    ({"Body": "x"}, 21604),
    ({"To": "", "Body": "x"}, 21604),
    ({"To": "not a number", "Body": "x"}, 21211),
    ({"To": "+1415555", "Body": "x"}, 21211),
    ({"To": "+14155550100"}, 21602),
    ({"To": "+14155550100", "Body": ""}, 21602),
    ({"To": "+14155550100", "Body": "x" * 1601}, 21617),
    ({"To": "+14155550100", "Body": "€" * 1601}, 21617),
    ({"To": "+14155550100", "Body": "x", "From": None}, 21603),
    ({"To": "+14155550100", "Body": "x", "From": "+1"}, 21212),
    ({"To": "+14155550100", "Body": "x", "From": "+14155550199"}, 21659),
    ({"To": "+14155550100", "Body": "x", "From": FOREIGN}, 21659),
    ({"To": "+14155550100", "Body": "x", "From": "98765"}, 21606),
    ({"To": "+14155550100", "Body": "x", "From": "+15005550007"}, 21606),
]


@pytest.mark.parametrize(("form", "code"), CREATE_ERRORS)
async def test_create_validation_codes(api: Api, form: dict[str, str | None], code: int) -> None:
    """Each fault answers 400 with Twilio's code, and nothing is stored."""
    sub = await api.subaccount("validation")
    own = await api.buy_number(sub)
    foreign = await api.buy_number(await api.subaccount("neighbour"))
    data = {"From": own, **form}
    data = {k: {OWN: own, FOREIGN: foreign}.get(v, v) for k, v in data.items() if v is not None}
    async with api.client(sub) as http:
        response = await http.post(api.path("Messages.json", sub[0]), data=data)
        assert_twilio_error(response, 400, code)
        listed = await http.get(api.path("Messages.json", sub[0]))
    assert listed.status_code == 200 and listed.json()["messages"] == []


async def test_a_valid_create_is_stored(api: Api) -> None:
    """The counterpart of the codes above: the same form with the faults taken out succeeds."""
    sub = await api.subaccount("valid")
    own = await api.buy_number(sub)
    async with api.client(sub) as http:
        response = await http.post(
            api.path("Messages.json", sub[0]),
            data={"From": own, "To": "+14155550100", "Body": "x" * 1600},
        )
        assert response.status_code == 201, response.text
        assert response.json()["num_segments"] == "11"
        listed = await http.get(api.path("Messages.json", sub[0]))
    assert [m["sid"] for m in listed.json()["messages"]] == [response.json()["sid"]]


async def test_paging_envelope(api: Api) -> None:
    """Page through five messages two at a time: indexes, page numbers, relative URIs that
    carry the filters, no previous page on the first and no next page on the last."""
    sub = await api.subaccount("paging")
    own = await api.buy_number(sub)
    path = api.path("Messages.json", sub[0])
    async with api.client(sub) as http:
        sids = []
        for i in range(5):
            created = await http.post(
                path, data={"From": own, "To": "+14155550101", "Body": f"m{i}"}
            )
            assert created.status_code == 201, created.text
            sids.append(created.json()["sid"])
        # Another recipient, filtered out below.
        other = await http.post(path, data={"From": own, "To": "+14155550102", "Body": "no"})
        assert other.status_code == 201, other.text

        pages = []
        response = await http.get(path, params={"To": "+14155550101", "PageSize": "2"})
        while True:
            assert response.status_code == 200, response.text
            pages.append(response.json())
            next_uri = pages[-1]["next_page_uri"]
            if next_uri is None:
                break
            assert next_uri.startswith(path + "?")
            response = await http.get(next_uri)

        empty = await http.get(path, params={"To": "+14155550109"})

    assert [p["page"] for p in pages] == [0, 1, 2]
    assert [(p["start"], p["end"]) for p in pages] == [(0, 1), (2, 3), (4, 4)]
    assert [len(p["messages"]) for p in pages] == [2, 2, 1]
    assert all(p["page_size"] == 2 for p in pages)
    walked = [m["sid"] for p in pages for m in p["messages"]]
    # Newest first; on the stopped clock all five were created at one instant, and the SID
    # breaks the tie, so the walk is fully determined: nothing skipped, nothing repeated.
    assert walked == sorted(sids, reverse=True)
    for p in pages:
        for key in ("uri", "first_page_uri", "next_page_uri", "previous_page_uri"):
            uri = p[key]
            if uri is None:
                continue
            parts = urlsplit(uri)
            assert parts.path == path and not parts.netloc, uri
            query = parse_qs(parts.query)
            assert query["To"] == ["+14155550101"] and query["PageSize"] == ["2"], uri
        assert parse_qs(urlsplit(p["first_page_uri"]).query)["Page"] == ["0"]
    assert pages[0]["previous_page_uri"] is None
    assert parse_qs(urlsplit(pages[2]["previous_page_uri"]).query)["Page"] == ["1"]
    assert parse_qs(urlsplit(pages[1]["next_page_uri"]).query)["Page"] == ["2"]

    assert empty.status_code == 200
    nothing = empty.json()
    assert (nothing["messages"], nothing["start"], nothing["end"]) == ([], 0, 0)
    assert nothing["next_page_uri"] is None and nothing["previous_page_uri"] is None
