"""Facts about countries that ship as data: English names, and the kinds of number stocked.

Both are derived from ``phonenumbers`` but expensive to derive at run time: names come from its
geocoder, whose import costs about 0.4 s and 95 MB (see :mod:`telephonist.domain.geocoding`),
and which kinds of number a country stocks is found by searching every country's every kind
(about a second of compiling its patterns). So ``data/regions.json`` records them, made by
:mod:`telephonist.domain.snapshot` and held to the installed phonenumbers by a test.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

RESOURCE = "data/regions.json"


@cache
def _regions() -> dict[str, dict[str, Any]]:
    text = resources.files("telephonist").joinpath(RESOURCE).read_text("utf-8")
    regions: dict[str, dict[str, Any]] = json.loads(text)["regions"]
    return regions


def country_name(region: str) -> str:
    """English name of ``region`` (ISO 3166 alpha-2); the code itself when unknown."""
    name: str = _regions().get(region, {}).get("name") or region
    return name


def is_country(code: str) -> bool:
    """Whether ``code`` is the ISO 3166 alpha-2 code of a country with a numbering plan."""
    return code in _regions()


def stocked_kinds(region: str) -> tuple[str, ...]:
    """The kinds of number (``local``, ``mobile``, ``toll_free``) the inventory offers in
    ``region``, as recorded; empty for a region it does not stock or does not know."""
    return tuple(_regions().get(region, {}).get("kinds", ()))
