"""The simulated AvailablePhoneNumbers inventory (``telephonist.domain.inventory``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telephonist.domain import inventory, phone
from telephonist.domain.inventory import InvalidSearch, NumberKind, SearchQuery

MAJOR = ("US", "CA", "GB", "AU", "DE", "FR")


def kind_of(e164: str) -> tuple[str | None, str]:
    """(region, kind) per phonenumbers itself, independently of the module under test."""
    number = phonenumbers.parse(e164, None)
    if not phonenumbers.is_valid_number(number):
        return None, "invalid"
    return phonenumbers.region_code_for_number(number), phone.line_type(
        phonenumbers.number_type(number)
    )


def national(e164: str) -> str:
    return phonenumbers.national_significant_number(phonenumbers.parse(e164, None))


# -- Countries and kinds -------------------------------------------------------------------------


def test_supported_countries() -> None:
    countries = inventory.supported_countries()
    assert countries == sorted(countries)
    assert set(MAJOR) <= set(countries)
    assert set(countries) <= phonenumbers.SUPPORTED_REGIONS
    assert len(countries) > 200
    countries.clear()  # callers get a copy
    assert inventory.supported_countries()


@pytest.mark.parametrize(
    ("country", "kinds"),
    [
        ("US", ["local", "toll_free"]),  # NANP plans do not tell mobile from fixed lines
        ("CA", ["local"]),  # +1 8XX belongs to the US in libphonenumber
        ("GB", ["local", "mobile", "toll_free"]),
        ("AU", ["local", "mobile", "toll_free"]),
        ("DE", ["local", "mobile", "toll_free"]),
        ("FR", ["local", "mobile", "toll_free"]),
        ("ZZ", []),
        ("us", []),
    ],
)
def test_kinds_for(country: str, kinds: list[str]) -> None:
    assert inventory.kinds_for(country) == kinds


def test_every_country_and_kind_offers_valid_numbers() -> None:
    """The listing promises each (country, kind); each must find numbers of that type."""
    failures = []
    for country in inventory.supported_countries():
        for kind in inventory.kinds_for(country):
            found = inventory.search(SearchQuery(country, kind, limit=2))
            if not found:
                failures.append((country, kind, "nothing found"))
            for number in found:
                if kind_of(number.phone_number) != (country, kind):
                    failures.append((country, kind, number.phone_number))
    assert failures == []


# -- Search basics -------------------------------------------------------------------------------


@pytest.mark.parametrize("country", MAJOR)
def test_search_offers_valid_numbers_of_the_kind(country: str) -> None:
    for kind in inventory.kinds_for(country):
        found = inventory.search(SearchQuery(country, kind, limit=20))
        assert len(found) == 20
        assert len({n.phone_number for n in found}) == 20
        for number in found:
            assert kind_of(number.phone_number) == (country, kind)
            assert number.iso_country == country and number.kind == kind
            assert number.beta is False


def test_search_is_deterministic() -> None:
    query = SearchQuery("US", "local", limit=30)
    assert inventory.search(query) == inventory.search(query)
    # The limit is not part of the seed: a smaller page is a prefix of a larger one.
    assert inventory.search(replace(query, limit=5)) == inventory.search(query)[:5]
    # Another query draws other numbers.
    other = inventory.search(replace(query, contains="77"))
    assert {n.phone_number for n in other} != {n.phone_number for n in inventory.search(query)}


@pytest.mark.parametrize(("limit", "expected"), [(0, 0), (1, 1), (3, 3), (50, 50)])
def test_limit(limit: int, expected: int) -> None:
    assert len(inventory.search(SearchQuery("GB", "mobile", limit=limit))) == expected


def test_large_limit_is_bounded_but_generous() -> None:
    found = inventory.search(SearchQuery("US", "local", limit=5000))
    assert 100 <= len(found) <= inventory.MAX_LIMIT


def test_us_numbers_spread_over_area_codes() -> None:
    found = inventory.search(SearchQuery("US", "local", limit=100))
    assert len({n.phone_number[2:5] for n in found}) > 50
    assert sum(n.locality is not None for n in found) > 60
    assert all(n.region in phone.STATE_CODES.values() for n in found)


def test_is_taken_hides_owned_numbers() -> None:
    query = SearchQuery("US", "local", area_code="512", limit=10)
    first = inventory.search(query)[0].phone_number
    again = inventory.search(query, is_taken=lambda n: n == first)
    assert len(again) == 10 and first not in {n.phone_number for n in again}


def test_is_taken_can_exhaust_a_search() -> None:
    query = SearchQuery("US", "local", contains="4155550123", limit=5)
    assert [n.phone_number for n in inventory.search(query)] == ["+14155550123"]
    assert inventory.search(query, is_taken=lambda n: n == "+14155550123") == []


# -- Area codes and nearby numbers ---------------------------------------------------------------


@pytest.mark.parametrize(("country", "area_code"), [("US", "415"), ("US", "212"), ("CA", "416")])
def test_area_code(country: str, area_code: str) -> None:
    found = inventory.search(SearchQuery(country, "local", area_code=area_code, limit=20))
    assert len(found) == 20
    assert all(n.phone_number.startswith(f"+1{area_code}") for n in found)
    assert all(kind_of(n.phone_number) == (country, "local") for n in found)


def test_us_toll_free_area_code() -> None:
    found = inventory.search(SearchQuery("US", "toll_free", area_code="888", limit=5))
    assert found and all(n.phone_number.startswith("+1888") for n in found)


@pytest.mark.parametrize(
    ("country", "area_code"),
    [("US", "12"), ("US", "1234"), ("US", "abc"), ("US", ""), ("US", "123"), ("US", "099"),
     ("CA", "41"), ("GB", "999"), ("GB", "x")],
)  # fmt: skip
def test_invalid_area_code(country: str, area_code: str) -> None:
    with pytest.raises(InvalidSearch) as info:
        inventory.search(SearchQuery(country, "local", area_code=area_code))
    assert info.value.code == 21451


def test_area_code_of_a_neighbour_finds_nothing() -> None:
    """416 is Toronto: valid in the NANP, so a US search is empty rather than an error."""
    assert inventory.search(SearchQuery("US", "local", area_code="416")) == []
    assert inventory.search(SearchQuery("US", "toll_free", area_code="415")) == []


def test_area_code_outside_nanp_accepts_the_trunk_prefix() -> None:
    for code in ("20", "020"):
        found = inventory.search(SearchQuery("GB", "local", area_code=code, limit=5))
        assert found and all(n.phone_number.startswith("+4420") for n in found)
        assert all(n.locality == "London" for n in found)


@pytest.mark.parametrize(
    ("country", "kind", "near", "prefix"),
    [
        ("US", "local", "+14155550100", "+1415"),
        ("GB", "local", "+442083612345", "+4420"),
        ("GB", "mobile", "+447400123456", "+447400"),
    ],
)
def test_near_number(country: str, kind: NumberKind, near: str, prefix: str) -> None:
    found = inventory.search(SearchQuery(country, kind, near_number=near, limit=10))
    assert found and all(n.phone_number.startswith(prefix) for n in found)


def test_near_number_elsewhere_finds_nothing() -> None:
    assert inventory.search(SearchQuery("GB", "local", near_number="+14155550100")) == []
    conflicting = SearchQuery("US", "local", area_code="212", near_number="+14155550100")
    assert inventory.search(conflicting) == []


# -- Contains ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contains", "digits"),
    [("STORM", "78676"), ("abc", "222"), ("DEF", "333"), ("GHI", "444"), ("JKL", "555"),
     ("MNO", "666"), ("PQRS", "7777"), ("TUV", "888"), ("WXYZ", "9999"), ("1a2B", "1222")],
)  # fmt: skip
def test_contains_keypad(contains: str, digits: str) -> None:
    regex = inventory.contains_regex(contains)
    assert regex.search(f"41{digits}9")
    assert regex.fullmatch(digits)


@pytest.mark.parametrize(
    ("contains", "target", "matches"),
    [
        ("5*5", "4155050100", True),
        ("5*5", "4155550100", True),
        ("5*5", "4156650100", False),
        ("41%00", "4155550100", True),
        ("41%00", "4155550101", False),
        ("0100$", "4155550100", True),
        ("0100$", "4150100555", False),
        ("+1415", "+14155550100", True),
        ("+1415", "+16504155550", False),
        ("+1%0100$", "+14155550100", True),
        ("+1212%$", "+14155550100", False),
        ("**", "12", True),
    ],
)
def test_contains_semantics(contains: str, target: str, matches: bool) -> None:
    assert bool(inventory.contains_regex(contains).search(target)) is matches


@pytest.mark.parametrize(
    "contains",
    ["1", "", "12345678901234567", "12-34", "+", "+$", "%%", "1+2", "$12", "12$3", "55 5", "é5"],
)
def test_contains_rejects_malformed_patterns(contains: str) -> None:
    with pytest.raises(InvalidSearch) as info:
        inventory.contains_regex(contains)
    assert info.value.code == 20001
    with pytest.raises(InvalidSearch):
        inventory.search(SearchQuery("US", "local", contains=contains))


@pytest.mark.parametrize(
    ("country", "kind", "contains"),
    [
        ("US", "local", "555"),
        ("US", "local", "STORM"),
        ("US", "local", "+1415%"),
        ("US", "local", "0100$"),
        ("US", "local", "+1212%$"),
        ("US", "local", "4*4*4"),
        ("US", "local", "%77$"),
        ("US", "toll_free", "FLOWERS"),
        ("GB", "mobile", "+447%123$"),
        ("DE", "local", "+4930%"),
        ("FR", "mobile", "2024"),
        ("AU", "local", "*7*7*7$"),
    ],
)
def test_contains_builds_matching_numbers(country: str, kind: NumberKind, contains: str) -> None:
    found = inventory.search(SearchQuery(country, kind, contains=contains, limit=10))
    assert len(found) == 10
    regex = inventory.contains_regex(contains)
    for number in found:
        target = number.phone_number if contains.startswith("+") else national(number.phone_number)
        assert regex.search(target), (number.phone_number, contains)
        assert kind_of(number.phone_number) == (country, kind)


def test_contains_matches_the_national_number_only() -> None:
    found = inventory.search(SearchQuery("US", "local", contains="555", limit=20))
    assert all("555" in n.phone_number[2:] for n in found)
    assert inventory.search(SearchQuery("US", "local", contains="+44")) == []


@settings(max_examples=40, deadline=None)
@given(
    country=st.sampled_from(MAJOR),
    kind=st.sampled_from(["local", "mobile", "toll_free"]),
    contains=st.one_of(
        st.none(),
        st.from_regex(r"\A\+?[0-9*]{2,4}%?[0-9A-Z]{0,3}\$?\Z"),
    ),
    limit=st.integers(min_value=1, max_value=25),
)
def test_search_results_are_valid_and_match(
    country: str, kind: NumberKind, contains: str | None, limit: int
) -> None:
    try:
        found = inventory.search(SearchQuery(country, kind, contains=contains, limit=limit))
    except InvalidSearch as exc:
        assert contains is not None and exc.code == 20001
        return
    assert len(found) <= limit
    assert len({n.phone_number for n in found}) == len(found)
    if kind not in inventory.kinds_for(country):
        assert found == []
    for number in found:
        assert kind_of(number.phone_number) == (country, kind)
        assert inventory.describe(number.phone_number, kind) == number
        if contains is not None:
            target = (
                number.phone_number if contains.startswith("+") else national(number.phone_number)
            )
            assert inventory.contains_regex(contains).search(target)


# -- Place filters -------------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["CA", "ca", "California", "CALIFORNIA"])
def test_in_region(region: str) -> None:
    found = inventory.search(SearchQuery("US", "local", in_region=region, limit=20))
    assert len(found) == 20 and all(n.region == "CA" for n in found)


def test_in_region_for_canada_and_elsewhere() -> None:
    found = inventory.search(SearchQuery("CA", "local", in_region="Ontario", limit=10))
    assert found and all(n.region == "ON" for n in found)
    assert inventory.search(SearchQuery("US", "local", in_region="Narnia")) == []


@pytest.mark.parametrize(
    ("country", "kind", "locality"),
    [("US", "local", "San Francisco"), ("US", "local", "austin"), ("GB", "local", "Leeds"),
     ("DE", "local", "Berlin"), ("CA", "local", "Toronto")],
)  # fmt: skip
def test_in_locality(country: str, kind: NumberKind, locality: str) -> None:
    found = inventory.search(SearchQuery(country, kind, in_locality=locality, limit=10))
    assert len(found) == 10
    assert all((n.locality or "").casefold() == locality.casefold() for n in found)


def test_in_locality_without_geography_finds_nothing() -> None:
    assert inventory.search(SearchQuery("GB", "mobile", in_locality="Leeds")) == []
    assert inventory.search(SearchQuery("US", "toll_free", in_region="CA")) == []


def test_in_postal_code() -> None:
    found = inventory.search(SearchQuery("US", "local", in_postal_code="94103", limit=10))
    assert len(found) == 10
    assert all(n.postal_code == "94103" and n.locality == "San Francisco" for n in found)
    # Postal codes are known only for the major cities in phone.PLACES.
    assert inventory.search(SearchQuery("US", "local", in_postal_code="59001")) == []


def test_place_filters_combine() -> None:
    query = SearchQuery("US", "local", area_code="650", in_region="CA", contains="7$", limit=5)
    found = inventory.search(query)
    assert found
    assert all(n.phone_number.startswith("+1650") and n.phone_number.endswith("7") for n in found)
    assert all(n.region == "CA" for n in found)


# -- Capabilities and address requirements -------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "kind", "caps"),
    [
        ("US", "local", (True, True, True, True)),
        ("US", "toll_free", (True, True, True, False)),
        ("CA", "local", (True, True, True, False)),
        ("GB", "local", (True, False, False, False)),
        ("DE", "local", (True, False, False, False)),
        ("FR", "local", (True, False, False, False)),
        ("GB", "mobile", (True, True, False, False)),
        ("GB", "toll_free", (True, False, False, False)),
    ],
)
def test_capabilities(country: str, kind: NumberKind, caps: tuple[bool, ...]) -> None:
    expected = inventory.Capabilities(*caps)
    assert inventory.capabilities_for(country, kind) == expected
    assert all(
        n.capabilities == expected for n in inventory.search(SearchQuery(country, kind, limit=3))
    )


@pytest.mark.parametrize(
    ("country", "kind", "flags", "finds"),
    [
        ("GB", "local", {"sms_enabled": True}, False),
        ("GB", "local", {"voice_enabled": True}, True),
        ("GB", "local", {"sms_enabled": False}, True),
        ("GB", "mobile", {"sms_enabled": True}, True),
        ("GB", "mobile", {"mms_enabled": True}, False),
        ("US", "local", {"sms_enabled": True, "mms_enabled": True}, True),
        ("US", "local", {"fax_enabled": True}, True),
        ("US", "toll_free", {"fax_enabled": True}, False),
        ("US", "local", {"voice_enabled": False}, False),
    ],
)
def test_capability_filters(
    country: str, kind: NumberKind, flags: dict[str, Any], finds: bool
) -> None:
    query = replace(SearchQuery(country, kind, limit=3), **flags)
    assert bool(inventory.search(query)) is finds


@pytest.mark.parametrize(
    ("country", "kind", "needs"),
    [("US", "local", "none"), ("CA", "local", "none"), ("US", "toll_free", "none"),
     ("GB", "local", "any"), ("GB", "mobile", "any"), ("AU", "local", "any"),
     ("DE", "local", "local"), ("FR", "local", "local"), ("DE", "mobile", "any")],
)  # fmt: skip
def test_address_requirements(country: str, kind: NumberKind, needs: str) -> None:
    assert inventory.address_requirements_for(country, kind) == needs
    found = inventory.search(SearchQuery(country, kind, limit=3))
    assert found and all(n.address_requirements == needs for n in found)


@pytest.mark.parametrize(
    ("country", "kind", "flag", "finds"),
    [
        ("DE", "local", "exclude_local_address_required", False),
        ("DE", "local", "exclude_all_address_required", True),
        ("GB", "local", "exclude_all_address_required", False),
        ("GB", "local", "exclude_foreign_address_required", True),
        ("US", "local", "exclude_all_address_required", True),
    ],
)
def test_address_filters(country: str, kind: NumberKind, flag: str, finds: bool) -> None:
    flags: dict[str, Any] = {flag: True}
    query = replace(SearchQuery(country, kind, limit=3), **flags)
    assert bool(inventory.search(query)) is finds


# -- Country sanity ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "kind", "prefixes"),
    [
        ("GB", "mobile", ("+447",)),
        ("AU", "mobile", ("+614",)),
        ("FR", "mobile", ("+336", "+337")),
        ("DE", "mobile", ("+491",)),
        ("US", "toll_free", ("+1800", "+1833", "+1844", "+1855", "+1866", "+1877", "+1888")),
        ("CA", "local", ("+1",)),
    ],
)
def test_country_prefixes(country: str, kind: NumberKind, prefixes: tuple[str, ...]) -> None:
    found = inventory.search(SearchQuery(country, kind, limit=20))
    assert len(found) == 20 and all(n.phone_number.startswith(prefixes) for n in found)


def test_canadian_numbers_are_in_provinces() -> None:
    provinces = {"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"}
    found = inventory.search(SearchQuery("CA", "local", limit=20))
    assert all(n.region in provinces for n in found)
    assert all(n.rate_center == n.locality.upper() for n in found if n.locality)


def test_friendly_names() -> None:
    us = inventory.search(SearchQuery("US", "local", limit=5))
    assert all(n.friendly_name == f"({n.phone_number[2:5]}) {n.phone_number[5:8]}-"
               f"{n.phone_number[8:]}" for n in us)  # fmt: skip
    gb = inventory.search(SearchQuery("GB", "local", limit=5))
    assert all(n.friendly_name.startswith("+44 ") for n in gb)


# -- Single numbers ------------------------------------------------------------------------------


def test_describe() -> None:
    record = inventory.describe("+14155550100", "local")
    assert record == inventory.AvailableNumber(
        phone_number="+14155550100",
        friendly_name="(415) 555-0100",
        iso_country="US",
        kind="local",
        locality="San Francisco",
        region="CA",
        postal_code="94103",
        rate_center="SAN FRANCISCO",
        lata=None,
        latitude="37.7749",
        longitude="-122.4194",
        address_requirements="none",
        beta=False,
        capabilities=inventory.Capabilities(voice=True, sms=True, mms=True, fax=True),
    )
    gb = inventory.describe("+447400123456", "mobile")
    assert (gb.iso_country, gb.locality, gb.region, gb.rate_center) == ("GB", None, None, None)


@pytest.mark.parametrize(
    ("e164", "kind"),
    [("+14155550100", "local"), ("+18005551212", "toll_free"), ("+447400123456", "mobile"),
     ("+442083612345", "local"), ("+15005550006", None), ("+15558675310", None),
     ("garbage", None)],
)  # fmt: skip
def test_number_kind(e164: str, kind: str | None) -> None:
    assert inventory.number_kind(e164) == kind


@pytest.mark.parametrize(
    ("e164", "purchasable"),
    [("+14155550100", True), ("+18005551212", True), ("+447400123456", True),
     ("+16135550123", True), ("+15005550006", False), ("+15558675310", False),
     ("+1 415 555 0100", False), ("garbage", False)],
)  # fmt: skip
def test_is_purchasable(e164: str, purchasable: bool) -> None:
    assert inventory.is_purchasable(e164) is purchasable


def test_search_results_are_purchasable() -> None:
    for country in MAJOR:
        for kind in inventory.kinds_for(country):
            for number in inventory.search(SearchQuery(country, kind, limit=5)):
                assert inventory.is_purchasable(number.phone_number)
                assert inventory.number_kind(number.phone_number) == kind
