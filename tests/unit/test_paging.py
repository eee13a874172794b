"""Page tokens and the v2010 envelope."""

from __future__ import annotations

import pytest

from telephonist.api.forms import Form
from telephonist.api.paging import PageRequest, decode_token, encode_token, envelope
from telephonist.errors import TwilioError

META = {
    "end",
    "first_page_uri",
    "next_page_uri",
    "page",
    "page_size",
    "previous_page_uri",
    "start",
    "uri",
}


def test_token_roundtrip() -> None:
    token = encode_token(1_700_000_000_123_456, "SM" + "a" * 32)
    assert token.startswith("PA")
    assert decode_token(token) == (1_700_000_000_123_456, "SM" + "a" * 32)


@pytest.mark.parametrize("bad", ["", "PA", "PA!!!", "XX" + "a" * 10, "PAbm9jb2xvbg"])
def test_bad_tokens(bad: str) -> None:
    with pytest.raises(TwilioError):
        decode_token(bad)


def test_page_request_defaults_and_limits() -> None:
    assert PageRequest.from_query(Form([])) == PageRequest(0, 50, None)
    with pytest.raises(TwilioError) as info:
        PageRequest.from_query(Form([("PageSize", "1001")]))
    assert info.value.code == 20007


def test_envelope_has_exactly_twilios_keys() -> None:
    page = PageRequest(page=1, page_size=2, after=(5, "SMx"))
    body = envelope(
        "messages",
        [{"a": 1}, {"a": 2}],
        path="/p.json",
        filters=[("To", "+1")],
        page=page,
        next_cursor=(3, "SMy"),
    )
    assert set(body) == META | {"messages"}
    assert body["start"] == 2 and body["end"] == 3
    assert body["next_page_uri"].startswith("/p.json?To=%2B1&PageSize=2&Page=2&PageToken=PA")
    assert body["previous_page_uri"] == "/p.json?To=%2B1&PageSize=2&Page=0"


def test_form_parsing() -> None:
    form = Form.parse("To=%2B1&MediaUrl=a&MediaUrl=b&Body=hello+world&B=true&N=3&E=")
    assert form.get("To") == "+1" and form.getlist("MediaUrl") == ["a", "b"]
    assert form.get("Body") == "hello world" and form.bool("B") is True and form.int("N") == 3
    assert form.text("E") is None and form.get("E") == ""
    with pytest.raises(TwilioError):
        Form.parse("B=maybe").bool("B")
