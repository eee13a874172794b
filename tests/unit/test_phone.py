"""Parsing and describing phone numbers (``telephonist.domain.phone``)."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers.geodata import GEOCODE_DATA

from telephonist.domain import phone

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+15005550006", "+15005550006"),  # Twilio's magic test number: possible, not valid
        ("+15558675310", "+15558675310"),  # fictional 555 number
        ("+14155550100", "+14155550100"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("+1.415.555.0100", "+14155550100"),
        ("  +1 415 555 0100 ", "+14155550100"),
        ("tel:+14155550100", "+14155550100"),
        ("TEL:+1-415-555-0100", "+14155550100"),
        ("+44 20 8361 2345", "+442083612345"),
        ("+447400123456", "+447400123456"),
        ("+61 2 9123 4567", "+61291234567"),
    ],
)
def test_parse_e164_accepts(value: str, expected: str) -> None:
    assert phone.parse_e164(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "+",
        "+1",
        "abc",
        "5551234",
        "4155550100",  # no +: not E.164, even if it looks like a US number
        "14155550100",
        "+1415555010",  # too short for NANP
        "+141555501000",  # too long
        "+1 800 FLOWERS",  # vanity letters are not E.164
        "+14155550100 ext. 12",
        "+14155550100x12",
        "+999123456789",  # no such calling code
        "++14155550100",
        "+1 415 555 0100 +1",
    ],
)
def test_parse_e164_rejects(value: str) -> None:
    assert phone.parse_e164(value) is None


@given(st.text(max_size=30))
def test_parse_e164_never_raises_and_is_idempotent(value: str) -> None:
    parsed = phone.parse_e164(value)
    if parsed is not None:
        assert parsed.startswith("+") and parsed[1:].isdigit()
        assert phone.parse_e164(parsed) == parsed


@settings(max_examples=60)
@given(st.sampled_from(REGIONS))
def test_parse_e164_reads_international_format(region: str) -> None:
    example = phonenumbers.example_number(region)
    if example is None:
        return
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    pretty = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    assert phone.parse_e164(pretty) == e164


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("+14155550100", True),
        ("+442083612345", True),
        ("+15558675310", False),
        ("+15005550006", True),  # allocated as a personal-number range
        ("garbage", False),
    ],
)
def test_is_valid_number(value: str, valid: bool) -> None:
    assert phone.is_valid_number(value) is valid


def test_info_us_number() -> None:
    about = phone.info("+14155550100")
    assert about == phone.NumberInfo(
        e164="+14155550100",
        country="US",
        number_type="local",
        city="San Francisco",
        state="CA",
        zip="94103",
        friendly_name="(415) 555-0100",
    )


@pytest.mark.parametrize(
    ("e164", "country", "number_type", "city", "state", "friendly"),
    [
        ("+16135550123", "CA", "local", "", "ON", "(613) 555-0123"),
        ("+12025550143", "US", "local", "Washington", "DC", "(202) 555-0143"),
        ("+18005551212", "US", "toll_free", "", "", "(800) 555-1212"),
        ("+442083612345", "GB", "local", "London", "", "+44 20 8361 2345"),
        ("+447400123456", "GB", "mobile", "", "", "+44 7400 123456"),
        ("+61291234567", "AU", "local", "Sydney", "", "+61 2 9123 4567"),
        ("+4930123456", "DE", "local", "Berlin", "", "+49 30 123456"),
        ("+15005550006", "US", "other", "", "", "(500) 555-0006"),
        # Outside the plan: the calling code's main country, type "other".
        ("+15558675310", "US", "other", "", "", "(555) 867-5310"),
    ],
)
def test_info(
    e164: str, country: str, number_type: str, city: str, state: str, friendly: str
) -> None:
    about = phone.info(e164)
    assert (about.e164, about.country, about.number_type) == (e164, country, number_type)
    assert (about.city, about.state, about.friendly_name) == (city, state, friendly)


def test_info_of_garbage_is_empty() -> None:
    assert phone.info("not a number") == phone.NumberInfo(
        "not a number", None, "other", "", "", "", "not a number"
    )


def test_info_is_cached() -> None:
    assert phone.info("+14155550100") is phone.info("+14155550100")


@pytest.mark.parametrize(
    ("description", "country", "expected"),
    [
        ("San Francisco, CA", "US", ("San Francisco", "CA")),
        ("California", "US", ("", "CA")),
        ("Washington State", "US", ("", "WA")),
        ("Washington D.C.", "US", ("Washington", "DC")),
        ("Ontario", "CA", ("", "ON")),
        ("Toronto, ON", "CA", ("Toronto", "ON")),
        ("New Providence", "BS", ("New Providence", "")),
        ("Leeds", "GB", ("Leeds", "")),
        ("Guntur, Andhra Pradesh", "IN", ("Guntur", "Andhra Pradesh")),
        ("Londrina - PR", "BR", ("Londrina", "PR")),
    ],
)
def test_split_place(description: str, country: str, expected: tuple[str, str]) -> None:
    assert phone.split_place(description, country) == expected


def test_places_are_spelled_as_the_geocoder_spells_them() -> None:
    """A typo in the city table would silently drop postal codes and coordinates."""
    known = {names["en"] for key, names in GEOCODE_DATA.items() if key[0] == "1" and "en" in names}
    for city, state in phone.PLACES:
        assert state in phone.STATE_CODES.values()
        spelled = "Washington D.C." if (city, state) == ("Washington", "DC") else f"{city}, {state}"
        assert spelled in known


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12345", True), ("123456", True), ("1234", False), ("1234567", False), ("12a45", False),
     ("", False), ("+12345", False), ("１２３４５", False)],
)  # fmt: skip
def test_is_short_code(value: str, expected: bool) -> None:
    assert phone.is_short_code(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Telephonist", True), ("ACME 2", True), ("a", True), ("123456", False),
     ("TwelveChars1", False), ("", False), ("Hi!", False), ("Café", False)],
)  # fmt: skip
def test_is_alphanumeric_sender(value: str, expected: bool) -> None:
    assert phone.is_alphanumeric_sender(value) is expected
