"""Messages create validation: Twilio's codes, in Twilio's order."""

from __future__ import annotations

from typing import Any

import pytest

from telephonist.domain.messages import MessageRejected, validate_create


def validate(**overrides: Any) -> Any:
    params: dict[str, Any] = {
        "to": "+14155550100",
        "from_": "+14155550199",
        "messaging_service_sid": None,
        "body": "hello",
        "media_urls": [],
        "status_callback": None,
        "validity_period": None,
        "smart_encoded": False,
        "options": {},
    }
    params.update(overrides)
    return validate_create(**params)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"to": None, "from_": None, "body": None}, 21604),  # To is checked first
        ({"from_": None, "body": None}, 21603),
        ({"body": None}, 21602),
        ({"to": "12345", "from_": "+1"}, 21211),  # To before From
        ({"from_": "+1"}, 21212),
        ({"body": "x" * 1601}, 21617),
        ({"media_urls": ["https://e.com/x.png"] * 11}, 21623),
        ({"media_urls": ["not a url"]}, 21620),
        ({"status_callback": "ftp://x"}, 21609),
        ({"validity_period": 36001}, 21624),
        ({"to": "+15005550004"}, 21610),
    ],
)
def test_rejections(overrides: dict[str, Any], code: int) -> None:
    with pytest.raises(MessageRejected) as info:
        validate(**overrides)
    assert info.value.code == code


def test_accepts_and_computes() -> None:
    req = validate(body="€" * 10, media_urls=["https://e.com/a.jpg"])
    assert req.to == "+14155550100" and req.encoding == "GSM-7" and req.num_segments == 1
    assert req.validity_period == 36000


def test_media_only_is_one_segment() -> None:
    assert validate(body="", media_urls=["https://e.com/a.jpg"]).num_segments == 1


def test_curl_plus_as_space_is_restored() -> None:
    assert validate(to=" 14155550100").to == "+14155550100"


def test_alphanumeric_and_short_code_senders_parse() -> None:
    assert validate(from_="MyBrand").from_ == "MyBrand"
    assert validate(from_="12345").from_ == "12345"


def test_smart_encoding_rewrites_body() -> None:
    req = validate(body="“quoted” — yes", smart_encoded=True)
    assert req.encoding == "GSM-7"
    assert req.body != "“quoted” — yes"
