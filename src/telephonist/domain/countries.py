"""Country names for ISO codes, from the data ``phonenumbers`` already ships."""

from __future__ import annotations

from functools import cache

import phonenumbers
from phonenumbers import geocoder


@cache
def country_name(region: str) -> str:
    """English name of ``region`` (ISO 3166 alpha-2); the code itself when unknown."""
    example = phonenumbers.example_number(region)
    if example is None:
        return region
    name: str = geocoder.country_name_for_number(example, "en")
    return name or region
