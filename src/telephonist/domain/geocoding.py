"""English place names of number prefixes: libphonenumber's offline geocoder, without its weight.

``phonenumbers.geodata`` maps each of the 287,000 prefixes it knows to the prefix's name in every
locale it has. Importing it costs about 0.4 s and 95 MB of memory, for names of which telephonist
reads only the English one. So the English names ship as a snapshot, ``data/geocode_en.bin``
(about 0.5 MB), made from phonenumbers by :mod:`telephonist.domain.snapshot`: it loads on first
use in about 20 ms into about 7 MB, and answers what the geocoder's table answers for the
phonenumbers version it was made from (``tests/unit/test_snapshot.py`` holds it to the
installed one).

The file is one JSON header line, then a zlib stream of three parts: the prefixes as integers in
ascending order, each stored as its difference from the previous one (unsigned 32-bit,
little-endian); for each prefix, the index of its name in the name table (the header's
``index`` type code); and the name table, UTF-8, one name per line. A prefix is a string of
digits that starts with a calling code, never with 0, so its integer value identifies it. A
prefix the geocoder knows without an English name is kept, with the name "": the geocoder stops
at the longest known prefix, so a shorter one must not answer for it.
"""

from __future__ import annotations

import json
import sys
import zlib
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import accumulate

RESOURCE = "data/geocode_en.bin"
FORMAT = 1


@dataclass(frozen=True, slots=True)
class _Table:
    prefixes: array[int]  # ascending
    name_of: array[int]  # index into names, one per prefix
    names: list[str]
    longest: int  # digits in the longest prefix

    def name(self, prefix: int) -> str | None:
        at = bisect_left(self.prefixes, prefix)
        if at < len(self.prefixes) and self.prefixes[at] == prefix:
            return self.names[self.name_of[at]]
        return None


def encode(entries: dict[str, str], source: str) -> bytes:
    """The snapshot file for ``{prefix: English name or ""}``; ``source`` names its origin."""
    ordered = sorted((int(prefix), name) for prefix, name in entries.items())
    names = sorted({name for _, name in ordered})
    position = {name: i for i, name in enumerate(names)}
    index_type = "H" if len(names) <= 0xFFFF else "I"
    keys = [prefix for prefix, _ in ordered]
    deltas = array("I", (b - a for a, b in zip([0, *keys], keys, strict=False)))
    name_of = array(index_type, (position[name] for _, name in ordered))
    if sys.byteorder == "big":  # pragma: no cover - the file is little-endian everywhere
        deltas.byteswap()
        name_of.byteswap()
    header = {
        "format": FORMAT,
        "source": source,
        "prefixes": len(ordered),
        "longest": max(len(p) for p in entries),
        "index": index_type,
    }
    body = deltas.tobytes() + name_of.tobytes() + "\n".join(names).encode("utf-8")
    return json.dumps(header, sort_keys=True).encode() + b"\n" + zlib.compress(body, 9)


def decode(blob: bytes) -> _Table:
    head, _, packed = blob.partition(b"\n")
    header = json.loads(head)
    if header["format"] != FORMAT:
        raise ValueError(f"unknown geocoder snapshot format {header['format']}")
    body = zlib.decompress(packed)
    count = header["prefixes"]
    deltas = array("I")
    name_of = array(header["index"])
    split = count * deltas.itemsize
    deltas.frombytes(body[:split])
    name_of.frombytes(body[split : split + count * name_of.itemsize])
    if sys.byteorder == "big":  # pragma: no cover
        deltas.byteswap()
        name_of.byteswap()
    names = body[split + count * name_of.itemsize :].decode("utf-8").split("\n")
    return _Table(array("I", accumulate(deltas)), name_of, names, header["longest"])


@cache
def _table() -> _Table:
    return decode(resources.files("telephonist").joinpath(RESOURCE).read_bytes())


def area_name(digits: str) -> str:
    """The English name of the longest known prefix of ``digits`` (calling code first, then the
    national significant number), "" when no prefix is known or the known one has no English
    name. This is the prefix lookup of ``phonenumbers.geocoder``, nothing more."""
    if not digits.isdigit() or digits[0] == "0":
        return ""
    table = _table()
    for size in range(min(len(digits), table.longest), 0, -1):
        found = table.name(int(digits[:size]))
        if found is not None:
            return found
    return ""


def named_prefixes(leading: str) -> list[tuple[str, str]]:
    """(rest, English name) of every known prefix that extends ``leading`` (a calling code and
    perhaps more digits) and has an English name, where ``rest`` is what follows ``leading``;
    in the order of the prefixes as strings (the geocoder's own order). For a calling code, the
    rests are national prefixes."""
    table = _table()
    found: list[tuple[str, str]] = []
    for size in range(len(leading) + 1, table.longest + 1):
        width = size - len(leading)
        low = bisect_left(table.prefixes, int(leading + "0" * width))
        high = bisect_right(table.prefixes, int(leading + "9" * width))
        for at in range(low, high):
            name = table.names[table.name_of[at]]
            if name:
                found.append((str(table.prefixes[at])[len(leading) :], name))
    found.sort()
    return found
