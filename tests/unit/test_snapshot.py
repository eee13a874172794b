"""The data files derived from phonenumbers agree with the installed phonenumbers.

When one of these fails after a phonenumbers upgrade (or a change to how the inventory
searches), regenerate the files with ``python -m telephonist.domain.snapshot`` and commit them.
"""

from __future__ import annotations

import json
from importlib import resources

import phonenumbers
import pytest
from phonenumbers.geodata import GEOCODE_DATA

from telephonist.domain import countries, geocoding, snapshot

REGENERATE = "stale snapshot: run `python -m telephonist.domain.snapshot` and commit data/"


def shipped_table() -> geocoding._Table:
    return geocoding.decode(
        resources.files("telephonist").joinpath(geocoding.RESOURCE).read_bytes()
    )


def test_geocode_snapshot_holds_every_prefix_with_its_english_name() -> None:
    table = shipped_table()
    assert len(table.prefixes) == len(GEOCODE_DATA), REGENERATE
    wrong = [
        prefix
        for prefix, names in GEOCODE_DATA.items()
        if table.name(int(prefix)) != names.get("en", "")
    ]
    assert wrong == [], REGENERATE


@pytest.mark.parametrize("country_code", ["1", "44", "61", "86", "358"])
def test_named_prefixes_are_the_geocoders_in_its_order(country_code: str) -> None:
    expected = [
        (key[len(country_code) :], names["en"])
        for key, names in GEOCODE_DATA.items()
        if key.startswith(country_code) and len(key) > len(country_code) and "en" in names
    ]
    assert geocoding.named_prefixes(country_code) == expected


def longest_prefix_name(digits: str) -> str:
    """The geocoder's prefix lookup, straight from phonenumbers' table."""
    for size in range(min(len(digits), 9), 0, -1):
        names = GEOCODE_DATA.get(digits[:size])
        if names is not None:
            return str(names.get("en", ""))
    return ""


@pytest.mark.parametrize(
    "digits",
    [
        "14155550100",  # San Francisco, CA
        "16135550123",  # a province only
        "442083612345",
        "3589123456",  # the prefix is known in Swedish only: no English name, and no fallback
        "35881234567",
        "8620123456789",
        "999",
        "",
        "0123",
        "1x3",
    ],
)
def test_area_name_is_the_longest_known_prefix(digits: str) -> None:
    expected = longest_prefix_name(digits) if digits.isdigit() and digits[0] != "0" else ""
    assert geocoding.area_name(digits) == expected


def test_a_prefix_without_an_english_name_stops_the_lookup() -> None:
    assert "en" not in GEOCODE_DATA["35891"] and GEOCODE_DATA["3589"]["en"] == "Helsinki"
    assert geocoding.area_name("35891234567") == ""
    assert geocoding.area_name("35890234567") == longest_prefix_name("35890234567")


def test_encoding_round_trips() -> None:
    entries = {"1415": "San Francisco, CA", "1": "", "44": "United Kingdom", "1416": "Toronto"}
    table = geocoding.decode(geocoding.encode(entries, "test"))
    assert [table.name(int(p)) for p in entries] == list(entries.values())
    assert table.name(1417) is None and table.longest == 4


def test_regions_snapshot_records_names_and_kinds() -> None:
    shipped = json.loads(
        resources.files("telephonist").joinpath(countries.RESOURCE).read_text("utf-8")
    )
    assert shipped["regions"] == snapshot.regions(), REGENERATE
    assert set(shipped["regions"]) == phonenumbers.SUPPORTED_REGIONS
