"""Starting a server stays cheap: what `prepare` and the first requests load, and leave alone.

Each check runs in a new interpreter, since what a module imports can only be seen from a
process that has not imported it yet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import telephonist

PROGRAM = """
import gc, json, sys
from telephonist.app import prepare
from telephonist.domain import inventory, phone
from telephonist.domain.countries import country_name
from telephonist.settings import Settings

settings = Settings.from_env(data_dir=sys.argv[1])
for _ in range(2):  # a new database, then one already at the newest revision
    db, _account = prepare(settings)
    db.close()
found = inventory.search(inventory.SearchQuery("US", "local", area_code="415", limit=3))
print(json.dumps({
    "found": len(found),
    "city": phone.info("+14155550100").city,
    "countries": len(inventory.supported_countries()),
    "name": country_name("GB"),
    "frozen": gc.get_freeze_count(),
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("alembic", "aiohttp")
                     or m.startswith(("phonenumbers.geodata", "phonenumbers.geocoder"))),
}))
"""


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp_path = tmp_path_factory.mktemp("startup")
    env = {**os.environ, "PYTHONPATH": str(Path(telephonist.__file__).parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_start_and_first_search_load_neither_alembic_nor_the_full_geocoder(
    started: dict[str, object],
) -> None:
    """A new database is created and stamped without Alembic, one at the head is only read;
    place and country names come from the shipped snapshots; aiohttp waits for a media URL."""
    result = started
    assert result["loaded"] == []
    assert (result["found"], result["city"], result["name"]) == (
        3,
        "San Francisco",
        "United Kingdom",
    )
    assert isinstance(result["countries"], int) and result["countries"] > 200


def test_prepare_leaves_the_garbage_collector_alone(started: dict[str, object]) -> None:
    """A library must not freeze its caller's objects (every test server would)."""
    assert started["frozen"] == 0
