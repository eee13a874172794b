"""The data files derived from ``phonenumbers``, and the command that regenerates them.

``data/geocode_en.bin`` (see :mod:`telephonist.domain.geocoding`) and ``data/regions.json``
(see :mod:`telephonist.domain.countries`) are what the server would otherwise compute at start,
at a cost of seconds and of a hundred megabytes. After upgrading phonenumbers, or changing how
the inventory searches, regenerate them and commit the result::

    python -m telephonist.domain.snapshot

``tests/unit/test_snapshot.py`` fails while the shipped files disagree with what the functions
here compute from the installed phonenumbers.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import phonenumbers

from telephonist.domain import countries, geocoding, inventory


def source() -> str:
    return f"phonenumbers {phonenumbers.__version__}"


def geocode_names() -> dict[str, str]:
    """Every prefix the geocoder knows, with its English name ("" when it has none)."""
    from phonenumbers.geodata import GEOCODE_DATA  # ~95 MB: only when regenerating

    return {prefix: names.get("en", "") for prefix, names in GEOCODE_DATA.items()}


def country_name(region: str) -> str:
    """The geocoder's English name for ``region``, the code itself when it has none."""
    from phonenumbers import geocoder  # imports GEOCODE_DATA too

    example = phonenumbers.example_number(region)
    if example is None:
        return region
    name: str = geocoder.country_name_for_number(example, "en")
    return name or region


def regions() -> dict[str, dict[str, object]]:
    """For every region phonenumbers supports: its English name and the kinds it stocks."""
    return {
        region: {"name": country_name(region), "kinds": list(inventory.probe_kinds(region))}
        for region in sorted(phonenumbers.SUPPORTED_REGIONS)
    }


def regions_json() -> str:
    """``data/regions.json``: one region a line, so that a regeneration diffs readably."""
    lines = [
        f"  {json.dumps(region)}: {json.dumps(facts, sort_keys=True, ensure_ascii=False)}"
        for region, facts in regions().items()
    ]
    return (
        f'{{\n"source": {json.dumps(source())},\n"regions": {{\n' + ",\n".join(lines) + "\n}\n}\n"
    )


def main() -> None:
    data = Path(str(resources.files("telephonist").joinpath("data")))
    (data / Path(geocoding.RESOURCE).name).write_bytes(geocoding.encode(geocode_names(), source()))
    (data / Path(countries.RESOURCE).name).write_text(regions_json(), "utf-8")
    print(f"wrote {data}/ from {source()}")


if __name__ == "__main__":
    main()
