"""What a number looks up to: formatting, validation errors, line types, the resource's shape."""

from __future__ import annotations

import pytest
from phonenumbers import PhoneNumberType

from telephonist.domain import lookups
from telephonist.domain.errors import Rejected
from telephonist.domain.lookups import line_type, parse_fields, read, resource


def test_valid_e164_number() -> None:
    """A valid number has its calling code, country, national format and no errors."""
    reading = read("+14159929960")
    assert reading.phone_number == reading.e164 == "+14159929960"
    assert reading.calling_country_code == "1" and reading.country_code == "US"
    assert reading.national_format == "(415) 992-9960"
    assert reading.valid is True and reading.validation_errors == ()


def test_national_format_with_country_code() -> None:
    """National input is read in ``CountryCode``'s plan (in any case)."""
    reading = read("07772 000001", "gb")
    assert reading.phone_number == "+447772000001" and reading.country_code == "GB"
    assert reading.national_format == "07772 000001" and reading.valid


def test_national_format_defaults_to_north_america() -> None:
    """Without ``CountryCode`` national input is North American, as the spec says."""
    assert read("(415) 555-0100").phone_number == "+14155550100"
    assert read("(415) 555-0100", "US") == read("+14155550100")


def test_invalid_number_answers_as_twilio_example() -> None:
    """The spec's invalid example: the E.164 input, TOO_LONG, and null country data."""
    reading = read("+141599299600")
    assert reading.phone_number == "+141599299600" and reading.valid is False
    assert reading.validation_errors == ("TOO_LONG",)
    assert reading.calling_country_code is reading.country_code is reading.national_format is None


@pytest.mark.parametrize(
    ("raw", "country", "error"),
    [
        ("+1415", None, "TOO_SHORT"),
        ("+141599299600", None, "TOO_LONG"),
        ("+15555550100", None, "INVALID_BUT_POSSIBLE"),  # no area code 555
        ("+999123456", None, "INVALID_COUNTRY_CODE"),
        ("4155550100", "ZZ", "INVALID_COUNTRY_CODE"),
        ("not a number", None, "NOT_A_NUMBER"),
        ("+" + "1" * 300, None, "TOO_LONG"),
    ],
)
def test_validation_errors(raw: str, country: str | None, error: str) -> None:
    """Each of libphonenumber's failures is the validation error Twilio names after it."""
    reading = read(raw, country)
    assert reading.valid is False and reading.validation_errors == (error,)


def test_garbage_is_not_a_number_not_an_error() -> None:
    """Input that is no number at all is echoed back, with nothing to match a rule against."""
    reading = read("abc")
    assert reading.phone_number == "abc" and reading.e164 is None
    assert reading.validation_errors == ("NOT_A_NUMBER",) and reading.line_type is None


@pytest.mark.parametrize(
    ("number_type", "expected"),
    [
        (PhoneNumberType.FIXED_LINE, "landline"),
        (PhoneNumberType.MOBILE, "mobile"),
        (PhoneNumberType.FIXED_LINE_OR_MOBILE, "mobile"),
        (PhoneNumberType.TOLL_FREE, "tollFree"),
        (PhoneNumberType.PREMIUM_RATE, "premium"),
        (PhoneNumberType.SHARED_COST, "sharedCost"),
        (PhoneNumberType.VOIP, "nonFixedVoip"),
        (PhoneNumberType.PERSONAL_NUMBER, "personal"),
        (PhoneNumberType.PAGER, "pager"),
        (PhoneNumberType.UAN, "uan"),
        (PhoneNumberType.VOICEMAIL, "voicemail"),
        (PhoneNumberType.UNKNOWN, "unknown"),
    ],
)
def test_line_types(number_type: int, expected: str) -> None:
    """Every ``phonenumbers`` type has one of Twilio's Line Type Intelligence names."""
    assert line_type(number_type) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("+14155550100", "mobile"),  # FIXED_LINE_OR_MOBILE
        ("+442071838750", "landline"),
        ("+447772000001", "mobile"),
        ("+18005550100", "tollFree"),
        ("+15555550100", "unknown"),  # outside the plan
    ],
)
def test_reading_line_type(number: str, expected: str) -> None:
    """A number's type comes from its place in the plan, valid or not."""
    assert read(number).line_type == expected


def test_carrier_name_from_allocation() -> None:
    """A mobile range's carrier is the network it was allocated to; a toll-free number has
    none (Twilio's docs: no carrier data for that type)."""
    package = lookups.line_type_intelligence(read("+447772000001"))
    assert package == {
        "mobile_country_code": None,
        "mobile_network_code": None,
        "carrier_name": "Orange",
        "type": "mobile",
        "error_code": None,
    }
    toll_free = lookups.line_type_intelligence(read("+18005550100"))
    assert toll_free is not None and toll_free["carrier_name"] is None


def test_carrier_line_type_wins() -> None:
    """A line type the carrier gives (the simulated one's scenario) replaces the plan's."""
    package = lookups.line_type_intelligence(read("+14155550100"), "landline")
    assert package is not None and package["type"] == "landline"
    garbage = lookups.line_type_intelligence(read("abc"), "landline")
    assert garbage is not None and garbage["type"] == "landline"
    assert lookups.line_type_intelligence(read("abc")) is None


def test_resource_has_every_key_and_only_asked_packages() -> None:
    """Every package is a key, null unless asked for; ``validation`` adds nothing."""
    reading = read("+14159929960")
    basic = resource(reading, set(), "https://x/v2/PhoneNumbers/+14159929960")
    assert list(basic) == [
        "calling_country_code",
        "country_code",
        "phone_number",
        "national_format",
        "valid",
        "validation_errors",
        *lookups.PACKAGES,
        "url",
    ]
    assert all(basic[name] is None for name in lookups.PACKAGES)
    assert basic["validation_errors"] == [] and basic["url"].endswith("/+14159929960")
    assert resource(reading, {"validation"}, basic["url"]) == basic
    asked = resource(reading, {"line_type_intelligence", "caller_name"}, basic["url"])
    assert asked["line_type_intelligence"]["type"] == "mobile"
    assert asked["caller_name"] is None


def test_resource_passes_carrier_line_type() -> None:
    """The carrier's line type reaches the package only when it is asked for."""
    reading = read("+14155550100")
    asked = resource(reading, {"line_type_intelligence"}, "u", line_type="landline")
    assert asked["line_type_intelligence"]["type"] == "landline"
    assert resource(reading, set(), "u", line_type="landline")["line_type_intelligence"] is None


def test_parse_fields() -> None:
    """Comma-separated, spaces and empty items ignored; every name the spec lists works."""
    assert parse_fields(None) == parse_fields("") == frozenset()
    assert parse_fields(" line_type_intelligence, ,validation ") == {
        "line_type_intelligence",
        "validation",
    }
    assert parse_fields(",".join(lookups.FIELDS)) == lookups.FIELDS


@pytest.mark.parametrize("text", ["carrier", "line_type_intelligence,LINE_STATUS", "x" * 300])
def test_unknown_field_is_refused(text: str) -> None:
    """A name the spec does not list is Twilio's malformed-parameter error, 60618."""
    with pytest.raises(Rejected) as refused:
        parse_fields(text)
    assert refused.value.code == 60618
