"""The simulated number inventory behind ``AvailablePhoneNumbers``.

Nothing is stored: a search *synthesizes* numbers that are valid in the country's numbering plan
(per ``phonenumbers``) and of the requested kind, so that SDK code which validates or formats
them behaves exactly as with Twilio's inventory.

How numbers are made: each kind's national-number pattern from the ``phonenumbers`` metadata is
expanded into *skeletons*, one sequence of allowed-digit classes per path through the pattern's
alternations (``415[2-9]\\d{6}`` becomes ``4 1 5 [2-9] \\d \\d ...``). A candidate is a skeleton
with its classes filled in at random, after pinning the positions that the query fixes (area
code, nearby number, a place from the geocoder, the ``Contains`` pattern). Every candidate is
then checked with ``phonenumbers`` itself, so the skeletons only need to make hits likely.

Determinism: the random source is ``random.Random`` seeded from the query (not its ``limit``),
so the same search always offers the same numbers and a smaller page is a prefix of a larger one.

Approximations, on purpose:

* Capabilities and address requirements are rules of thumb per country and kind (see
  :func:`capabilities_for` and :func:`address_requirements_for`), not Twilio's live catalogue.
* Locality and region come from the offline geocoder; postal codes and coordinates are known
  only for the major US/CA cities in :data:`telephonist.domain.phone.PLACES`, so
  ``InPostalCode`` finds numbers only in those cities, and nothing elsewhere. ``lata`` is unknown.
* ``NearNumber`` means "same country and same leading area digits", not a distance.
* Kinds follow libphonenumber's types: NANP plans do not tell mobiles from landlines (both are
  FIXED_LINE_OR_MOBILE, sold as ``local``), so US/CA stock no ``mobile``; and numbers of a
  shared calling code that no region owns outright belong to its main country (+1 8XX is US),
  so CA stocks no ``toll_free``. :func:`kinds_for` says what each country stocks.
* A search makes a bounded number of attempts (at most a few tens of milliseconds), so a
  restrictive query may return fewer than ``limit`` numbers, or none: an empty list is a normal
  answer. One-off costs per process: the first search in a country compiles its patterns (a few
  tens of milliseconds), and the first place-filtered search in a calling code indexes the
  geocoder's prefixes for it (~0.15 s for +1, ~0.35 s for +86).

Which countries stock which kinds is recorded in :mod:`telephonist.domain.countries` rather than
found at run time: finding it (:func:`probe_kinds` for every country) takes about a second.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Literal, NamedTuple

import phonenumbers
from phonenumbers import PhoneMetadata

from telephonist.domain import countries, geocoding, phone
from telephonist.domain.errors import TelephonistError

NumberKind = Literal["local", "toll_free", "mobile"]
AddressRequirement = Literal["none", "any", "local", "foreign"]
KINDS: tuple[NumberKind, ...] = ("local", "mobile", "toll_free")

MAX_LIMIT = 1000
# Attempts per search: a base plus a few per number asked for, capped so that one search costs
# a few tens of milliseconds at most, whatever the query.
_BASE_ATTEMPTS = 40
_ATTEMPTS_PER_RESULT = 3
_MAX_ATTEMPTS = 300
# Patterns whose alternations expand to more skeletons than this are not stocked (none today).
_MAX_SKELETONS = 5000

ERROR_INVALID_AREA_CODE = 21451
ERROR_INVALID_PARAMETER = 20001
CONTAINS_HELP = "Contains must be 2-16 characters of digits, letters, *, %, + and $"

# Countries whose regulators want an in-country address for a geographic number; elsewhere
# outside North America any address will do. A rule of thumb, not Twilio's regulatory table.
_LOCAL_ADDRESS_COUNTRIES = frozenset(
    {"AT", "BE", "BR", "CH", "DE", "DK", "ES", "FR", "GR", "IT", "JP", "PT", "ZA"}
)
_KEYPAD = {
    letter: digit
    for digit, letters in {
        "2": "ABC",
        "3": "DEF",
        "4": "GHI",
        "5": "JKL",
        "6": "MNO",
        "7": "PQRS",
        "8": "TUV",
        "9": "WXYZ",
    }.items()
    for letter in letters
}
_CONTAINS_SYNTAX = re.compile(r"\+?[0-9A-Za-z*%]*\$?")
_DIGITS = "0123456789"
_E164_MAX_DIGITS = 15

Skeleton = tuple[str, ...]


class InvalidSearch(TelephonistError, ValueError):
    """A search Twilio would refuse with a 400; ``code`` is Twilio's error code.

    Finding nothing is not an error: that is an empty list.
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Capabilities:
    voice: bool
    sms: bool
    mms: bool
    fax: bool


@dataclass(frozen=True, slots=True)
class AvailableNumber:
    """One offered number, field for field what Twilio's AvailablePhoneNumber resource shows."""

    phone_number: str
    friendly_name: str
    iso_country: str
    kind: NumberKind
    locality: str | None
    region: str | None
    postal_code: str | None
    rate_center: str | None
    lata: str | None
    latitude: str | None
    longitude: str | None
    address_requirements: AddressRequirement
    beta: bool
    capabilities: Capabilities


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """The search parameters Twilio's AvailablePhoneNumbers list accepts, already parsed."""

    country: str
    kind: NumberKind
    area_code: str | None = None
    contains: str | None = None
    in_region: str | None = None
    in_postal_code: str | None = None
    in_locality: str | None = None
    near_number: str | None = None
    sms_enabled: bool | None = None
    mms_enabled: bool | None = None
    voice_enabled: bool | None = None
    fax_enabled: bool | None = None
    exclude_all_address_required: bool = False
    exclude_local_address_required: bool = False
    exclude_foreign_address_required: bool = False
    limit: int = 50


def _nothing_taken(_: str) -> bool:
    return False


# -- Countries and kinds -------------------------------------------------------------------------


def supported_countries() -> list[str]:
    """Every region for which the inventory can produce at least one kind of number, sorted."""
    return list(_supported())


@cache
def _supported() -> tuple[str, ...]:
    return tuple(sorted(r for r in phonenumbers.SUPPORTED_REGIONS if _kinds(r)))


@cache
def _kinds(country: str) -> tuple[NumberKind, ...]:
    recorded = countries.stocked_kinds(country)
    return tuple(k for k in KINDS if k in recorded)


def probe_kinds(country: str) -> tuple[NumberKind, ...]:
    """The kinds a plain search finds numbers of in ``country``: what :func:`kinds_for` answers,
    found the slow way (a few milliseconds per country), for the recorded table."""
    # A kind is stocked when a plain search for it finds a number. That is the very search the
    # API runs for an unfiltered listing, so "listed as available" and "finds numbers" agree.
    return tuple(k for k in KINDS if _generate(SearchQuery(country, k, limit=1), _nothing_taken))


def kinds_for(country: str) -> list[NumberKind]:
    """The kinds (local, mobile, toll_free) this country's inventory stocks."""
    if country not in phonenumbers.SUPPORTED_REGIONS:
        return []
    return list(_kinds(country))


def capabilities_for(country: str, kind: NumberKind) -> Capabilities:
    """What numbers of this kind can do, by rule of thumb.

    North American numbers of every kind take voice, SMS and MMS (US local numbers fax too).
    Elsewhere, mobile numbers take voice and SMS, while geographic and freephone numbers are
    voice only, as GB/DE/FR landlines are.
    """
    nanp = phone.is_nanp(country)
    if kind == "local" and nanp:
        return Capabilities(voice=True, sms=True, mms=True, fax=country == "US")
    if kind == "mobile" or nanp:
        return Capabilities(voice=True, sms=True, mms=nanp, fax=False)
    return Capabilities(voice=True, sms=False, mms=False, fax=False)


def address_requirements_for(country: str, kind: NumberKind) -> AddressRequirement:
    """Whether buying needs an address: none in North America, an in-country ("local") one for
    geographic numbers where regulators insist (:data:`_LOCAL_ADDRESS_COUNTRIES`), else "any".
    "foreign" is never produced."""
    if phone.is_nanp(country):
        return "none"
    if kind == "local" and country in _LOCAL_ADDRESS_COUNTRIES:
        return "local"
    return "any"


# -- Single numbers ------------------------------------------------------------------------------


def number_kind(e164: str) -> NumberKind | None:
    """The inventory kind of a valid number, None for invalid numbers and other kinds."""
    kind = phone.info(e164).number_type  # "other" for invalid numbers too
    return None if kind == "other" else kind


def is_purchasable(e164: str) -> bool:
    """Whether a number could come out of a search: valid, in a stocked country and kind."""
    if phone.parse_e164(e164) != e164:
        return False
    kind = number_kind(e164)
    country = phone.info(e164).country
    return kind is not None and country is not None and kind in kinds_for(country)


def describe(e164: str, kind: NumberKind) -> AvailableNumber:
    """The record a search would show for ``e164``; also what a bought number is created from."""
    about = phone.info(e164)
    country = about.country or ""
    locality = about.city or None
    place = phone.PLACES.get((about.city, about.state)) if phone.is_nanp(country) else None
    return AvailableNumber(
        phone_number=about.e164,
        friendly_name=about.friendly_name,
        iso_country=country,
        kind=kind,
        locality=locality,
        region=about.state or None,
        postal_code=about.zip or None,
        rate_center=locality.upper() if locality and country in ("US", "CA") else None,
        lata=None,
        latitude=place.latitude if place else None,
        longitude=place.longitude if place else None,
        address_requirements=address_requirements_for(country, kind),
        beta=False,
        capabilities=capabilities_for(country, kind),
    )


# -- Contains ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Contains:
    """A parsed ``Contains``: what the regex says, plus the pieces needed to *build* matches."""

    regex: re.Pattern[str]
    plus: bool  # anchored at the "+" of the E.164 number; else matched in the national number
    head_fixed: bool  # the first segment starts exactly at the anchor
    tail_fixed: bool  # the last segment ends exactly at the end
    segments: tuple[Skeleton, ...]  # runs of digit classes, separated by "%" in the pattern

    def matches(self, country_code: str, national: str) -> bool:
        target = f"+{country_code}{national}" if self.plus else national
        return self.regex.search(target) is not None


def _check_contains(contains: str) -> None:
    if not (
        2 <= len(contains) <= 16
        and _CONTAINS_SYNTAX.fullmatch(contains)
        and any(c.isalnum() or c == "*" for c in contains)
    ):
        raise InvalidSearch(ERROR_INVALID_PARAMETER, CONTAINS_HELP)


def _digit_class(char: str) -> str:
    if char == "*":
        return _DIGITS
    return char if char.isdigit() else _KEYPAD[char.upper()]


def contains_regex(contains: str) -> re.Pattern[str]:
    """Twilio's ``Contains`` as a regex, to be used with ``search``.

    Letters stand for their keypad digits (``STORM`` is 78676), ``*`` is any one digit, ``%``
    any run of digits. With a leading ``+`` the pattern is anchored at the start of the E.164
    number (``+1415%``) and should be searched in it; otherwise search the national
    (significant) number, where it may occur anywhere. A trailing ``$`` anchors at the end.
    Raises :class:`InvalidSearch` for a malformed pattern.
    """
    _check_contains(contains)
    body = contains.removeprefix("+").removesuffix("$")
    parts = ["[0-9]*" if c == "%" else ("[0-9]" if c == "*" else _digit_class(c)) for c in body]
    head = r"^\+" if contains.startswith("+") else ""
    tail = "$" if contains.endswith("$") else ""
    return re.compile(head + "".join(parts) + tail)


def _parse_contains(contains: str) -> _Contains:
    regex = contains_regex(contains)
    body = contains.removeprefix("+").removesuffix("$")
    raw = body.split("%")
    segments = tuple(tuple(_digit_class(c) for c in part) for part in raw if part)
    return _Contains(
        regex=regex,
        plus=contains.startswith("+"),
        head_fixed=contains.startswith("+") and bool(raw[0]),
        tail_fixed=contains.endswith("$") and bool(raw[-1]),
        segments=segments,
    )


def _fits(full: Skeleton, at: int, segment: Skeleton) -> bool:
    return all(any(d in full[at + i] for d in cls) for i, cls in enumerate(segment))


def _positions(full: Skeleton, pat: _Contains, index: int, start: int) -> Iterable[int]:
    """Where segment ``index`` may begin, at or after ``start``, ignoring later segments."""
    segment = pat.segments[index]
    low, high = start, len(full) - len(segment)
    if index == 0 and pat.head_fixed:
        high = min(high, 0)
    if index == len(pat.segments) - 1 and pat.tail_fixed:
        low = max(low, high)
    return (p for p in range(low, high + 1) if _fits(full, p, segment))


def _rest_fits(full: Skeleton, pat: _Contains, index: int, start: int) -> bool:
    # Placing each remaining segment as early as possible is optimal for feasibility.
    for i in range(index, len(pat.segments)):
        first = next(iter(_positions(full, pat, i, start)), None)
        if first is None:
            return False
        start = first + len(pat.segments[i])
    return True


def _place(full: Skeleton, pat: _Contains, start: int, rng: random.Random) -> Skeleton | None:
    """``full`` with the pattern's segments pinned at random feasible positions, or None."""
    classes = list(full)
    for i, segment in enumerate(pat.segments):
        options = [
            p
            for p in _positions(full, pat, i, start)
            if _rest_fits(full, pat, i + 1, p + len(segment))
        ]
        if not options:
            return None
        at = rng.choice(options)
        for offset, cls in enumerate(segment):
            classes[at + offset] = "".join(d for d in classes[at + offset] if d in cls)
        start = at + len(segment)
    return tuple(classes)


# -- Skeletons -----------------------------------------------------------------------------------


class _TooComplex(ValueError):
    pass


class _PatternExpander:
    """Expands libphonenumber's regex dialect (literals, ``[...]``, ``\\d``, ``(?:...)``, ``|``,
    ``?``, ``{n}``, ``{n,m}``) into every skeleton it can match."""

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.pos = 0

    def expand(self) -> list[Skeleton]:
        result = self._alternation()
        if self.pos != len(self.text):
            raise ValueError(f"unexpected {self.text[self.pos :]!r} in pattern")
        return list(dict.fromkeys(result))

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _alternation(self) -> list[Skeleton]:
        options = self._sequence()
        while self._peek() == "|":
            self.pos += 1
            options += self._sequence()
        return options

    def _sequence(self) -> list[Skeleton]:
        result: list[Skeleton] = [()]
        while self._peek() not in ("", "|", ")"):
            atom = self._atom()
            low, high = self._quantifier()
            repeated: list[Skeleton] = []
            for count in range(low, high + 1):
                power: list[Skeleton] = [()]
                for _ in range(count):
                    power = [a + b for a in power for b in atom]
                repeated += power
            result = [a + b for a in result for b in repeated]
            if len(result) > _MAX_SKELETONS:
                raise _TooComplex(self.text)
        return result

    def _quantifier(self) -> tuple[int, int]:
        if self._peek() == "?":
            self.pos += 1
            return 0, 1
        if self._peek() == "{":
            end = self.text.index("}", self.pos)
            low, _, high = self.text[self.pos + 1 : end].partition(",")
            self.pos = end + 1
            return int(low), int(high) if high else int(low)
        return 1, 1

    def _atom(self) -> list[Skeleton]:
        char = self._peek()
        if self.text.startswith("(?:", self.pos):
            self.pos += 3
            inner = self._alternation()
            if self._peek() != ")":
                raise ValueError(f"unbalanced group in {self.text!r}")
            self.pos += 1
            return inner
        if char == "[":
            end = self.text.index("]", self.pos)
            body = self.text[self.pos + 1 : end]
            self.pos = end + 1
            allowed = set(re.sub(r"(\d)-(\d)", lambda m: _span(m[1], m[2]), body))
            return [("".join(sorted(allowed)),)]
        if self.text.startswith(r"\d", self.pos):
            self.pos += 2
            return [(_DIGITS,)]
        if char.isdigit():
            self.pos += 1
            return [(char,)]
        raise ValueError(f"unsupported {char!r} in {self.text!r}")


def _span(low: str, high: str) -> str:
    return _DIGITS[int(low) : int(high) + 1]


def _pattern_desc(region: str, kind: NumberKind) -> phonenumbers.PhoneNumberDesc | None:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    if kind == "local":
        return metadata.fixed_line
    return metadata.mobile if kind == "mobile" else metadata.toll_free


@cache
def _skeletons(region: str, kind: NumberKind) -> tuple[Skeleton, ...]:
    desc = _pattern_desc(region, kind)
    if desc is None or not desc.national_number_pattern:
        return ()
    try:
        found = _PatternExpander(desc.national_number_pattern).expand()
    except _TooComplex:
        return ()
    lengths = {n for n in desc.possible_length if n > 0}
    # E.164 caps numbers at 15 digits, calling code included, even where a plan allows more.
    longest = _E164_MAX_DIGITS - len(str(phonenumbers.country_code_for_region(region)))
    return tuple(s for s in found if s and len(s) <= longest and (not lengths or len(s) in lengths))


@cache
def _usual_lengths(region: str, kind: NumberKind) -> frozenset[int]:
    """Lengths near the example number's. Plans with open-ended lengths (DE allows 5 to 15
    digits) would otherwise offer numbers no carrier hands out, like +49 3634 4084083737."""
    desc = _pattern_desc(region, kind)
    example = desc.example_number if desc else None
    if not example:
        return frozenset()
    return frozenset(range(len(example), len(example) + 4))


@lru_cache(maxsize=16384)
def _compatible(region: str, kind: NumberKind, prefix: str) -> tuple[Skeleton, ...]:
    """The kind's skeletons that allow national numbers starting with ``prefix``, with those
    positions pinned. Built one digit at a time so each step filters a short, cached list."""
    if not prefix:
        return _skeletons(region, kind)
    digit, at = prefix[-1], len(prefix) - 1
    return tuple(
        (*s[:at], digit, *s[at + 1 :])
        for s in _compatible(region, kind, prefix[:-1])
        if len(s) > at and digit in s[at]
    )


@cache
def _area_codes(region: str, kind: NumberKind) -> tuple[str, ...]:
    """NANP area codes (first three national digits) that the kind's pattern allows."""
    codes = {
        a + b + c
        for s in _skeletons(region, kind)
        if len(s) >= 3
        for a in s[0]
        for b in s[1]
        for c in s[2]
    }
    return tuple(sorted(codes))


# -- Places from the geocoder --------------------------------------------------------------------


class _GeoPlace(NamedTuple):  # a tuple: a calling code has up to 130,000 of them, made at once
    prefix: str  # national-number prefix the geocoder describes
    city: str
    state: str


@cache
def _places(country_code: str) -> tuple[_GeoPlace, ...]:
    """Every prefix the English geocoder names within a calling code (in the data's order)."""
    region = "US" if country_code == "1" else None
    # Names repeat (the 130,000 prefixes of +86 share 405 names): split each once, share it.
    split: dict[str, tuple[str, str]] = {}
    places = []
    for prefix, name in geocoding.named_prefixes(country_code):
        parts = split.get(name)
        if parts is None:
            parts = split[name] = phone.split_place(name, region)
        places.append(_GeoPlace(prefix, *parts))
    return tuple(places)


@lru_cache(maxsize=4096)
def _cities_in_area(country_code: str, area: str) -> tuple[str, ...]:
    """National prefixes longer than ``area`` (a NANP area code) under it that the geocoder
    names a city for, in the data's order. Looked up per area code, so that the first search
    in +1 reads a few dozen prefixes rather than indexing all 32,000 of them."""
    region = "US" if country_code == "1" else None
    return tuple(
        area + rest
        for rest, name in geocoding.named_prefixes(country_code + area)
        if phone.split_place(name, region)[0]
    )


@cache
def _place_index(country_code: str) -> dict[str, tuple[_GeoPlace, ...]]:
    """Places by case-folded region and by each case-folded locality name, so that place
    filters look up their candidates instead of scanning the whole calling code."""
    index: dict[str, list[_GeoPlace]] = {}
    keys_of: dict[tuple[str, str], set[str]] = {}  # places share few (city, state) pairs
    for place in _places(country_code):
        keys = keys_of.get((place.city, place.state))
        if keys is None:
            keys = keys_of[place.city, place.state] = _index_keys(place.city, place.state)
        for key in keys:
            index.setdefault(key, []).append(place)
    return {key: tuple(places) for key, places in index.items()}


def _index_keys(city: str, state: str) -> set[str]:
    keys = {f"region:{state.casefold()}"} if state else set()
    if city:
        keys.add(f"city:{city.casefold()}")
        keys.update(f"city:{part.strip().casefold()}" for part in city.split("/"))
    return keys


def _same_text(value: str, wanted: str) -> bool:
    return value.casefold() == wanted.strip().casefold()


def _region_matches(region: str, wanted: str) -> bool:
    code = phone.STATE_LOOKUP.get(wanted.strip().casefold())
    return _same_text(region, wanted) or (code is not None and region == code)


def _locality_matches(locality: str, wanted: str) -> bool:
    # The geocoder lists some exchanges as "Forster/Comboyne/...": any of them is a match.
    return _same_text(locality, wanted) or any(
        _same_text(part.strip(), wanted) for part in locality.split("/")
    )


def _has_geo_filter(query: SearchQuery) -> bool:
    return any(f is not None for f in (query.in_region, query.in_locality, query.in_postal_code))


def _cities_with_postal_code(postal_code: str) -> list[tuple[str, str]]:
    return [key for key, place in phone.PLACES.items() if place.postal_code == postal_code]


def _geo_matches(
    in_region: str | None,
    in_locality: str | None,
    in_postal_code: str | None,
    city: str,
    state: str,
    postal_code: str,
) -> bool:
    return (
        (in_region is None or _region_matches(state, in_region))
        and (in_locality is None or _locality_matches(city, in_locality))
        and (in_postal_code is None or postal_code == in_postal_code.strip())
    )


def _place_postal_code(country: str, place: _GeoPlace) -> str:
    known = phone.PLACES.get((place.city, place.state)) if phone.is_nanp(country) else None
    return known.postal_code if known else ""


@lru_cache(maxsize=256)
def _place_pool(
    country: str,
    kind: NumberKind,
    base: str,
    in_region: str | None,
    in_locality: str | None,
    in_postal_code: str | None,
) -> tuple[str, ...]:
    """National prefixes of the places matching the filters where the kind has numbers
    (within ``base``), in the geocoder's order."""
    code = str(phonenumbers.country_code_for_region(country))
    index = _place_index(code)
    if in_postal_code is not None:
        cities = _cities_with_postal_code(in_postal_code.strip())
        candidates = [p for city, _ in cities for p in index.get(f"city:{city.casefold()}", ())]
    elif in_locality is not None:
        candidates = list(index.get(f"city:{in_locality.strip().casefold()}", ()))
    else:
        wanted = (in_region or "").strip().casefold()
        state = phone.STATE_LOOKUP.get(wanted, wanted).casefold()
        candidates = list(index.get(f"region:{state}", ()))
        if state != wanted:
            candidates += index.get(f"region:{wanted}", ())
    pool: dict[str, None] = {}
    for place in candidates:
        postal_code = _place_postal_code(country, place)
        if not _geo_matches(
            in_region, in_locality, in_postal_code, place.city, place.state, postal_code
        ):
            continue
        merged = _merge_prefixes(place.prefix, base)
        if merged is not None and _compatible(country, kind, merged):
            pool[merged] = None
    return tuple(pool)


# -- Search --------------------------------------------------------------------------------------


def _valid_area_code(country: str, code: str) -> bool:
    if phone.is_nanp(country):
        regions: tuple[str, ...] = phonenumbers.region_codes_for_country_code(1)
        return re.fullmatch(r"[0-9]{3}", code) is not None and any(
            _compatible(r, k, code) for r in regions for k in KINDS
        )
    return re.fullmatch(r"[0-9]{1,6}", code) is not None and any(
        _compatible(country, k, code) for k in KINDS
    )


def _national_area(country: str, code: str) -> str:
    """Outside NANP people write area codes with the trunk prefix ("020" for London)."""
    metadata = PhoneMetadata.metadata_for_region(country)
    trunk = metadata.national_prefix if metadata and not phone.is_nanp(country) else None
    if trunk and code.startswith(trunk) and not _valid_area_code(country, code):
        return code[len(trunk) :]
    return code


def _near_prefix(e164: str) -> tuple[str, str] | None:
    """(calling code, leading area digits) of a number, None when it does not parse."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    national: str = phonenumbers.national_significant_number(number)
    if number.country_code == 1:
        size = 3
    else:
        size = phonenumbers.length_of_geographical_area_code(number)
        size = size or phonenumbers.length_of_national_destination_code(number) or 3
    return str(number.country_code), national[:size]


def _merge_prefixes(a: str, b: str) -> str | None:
    """The longer prefix when one extends the other, None when they disagree."""
    if a.startswith(b):
        return a
    return b if b.startswith(a) else None


def _base_prefix(query: SearchQuery, country_code: str) -> str | None:
    """The national prefix that AreaCode and NearNumber impose ("" for none); None when no
    number can satisfy both. Raises :class:`InvalidSearch` for a malformed area code."""
    prefix: str | None = ""
    if query.area_code is not None:
        code = _national_area(query.country, query.area_code.strip())
        if not _valid_area_code(query.country, code):
            raise InvalidSearch(ERROR_INVALID_AREA_CODE, f"AreaCode {query.area_code} is not valid")
        prefix = code
    if query.near_number is not None and prefix is not None:
        near = _near_prefix(query.near_number)
        if near is None or near[0] != country_code:
            return None
        prefix = _merge_prefixes(prefix, near[1])
    return prefix


def _profile_matches(query: SearchQuery) -> bool:
    """Capability and address filters depend only on country and kind: check them once."""
    caps = capabilities_for(query.country, query.kind)
    wanted = (
        (query.voice_enabled, caps.voice),
        (query.sms_enabled, caps.sms),
        (query.mms_enabled, caps.mms),
        (query.fax_enabled, caps.fax),
    )
    if any(want is not None and want != has for want, has in wanted):
        return False
    needs = address_requirements_for(query.country, query.kind)
    return not (
        (query.exclude_all_address_required and needs == "any")
        or (query.exclude_local_address_required and needs == "local")
        or (query.exclude_foreign_address_required and needs == "foreign")
    )


class _Generator:
    """One search's candidate stream: chooses a prefix, a skeleton, then digits."""

    def __init__(self, query: SearchQuery, base: str, pattern: _Contains | None) -> None:
        self.query = query
        self.country = query.country
        self.kind = query.kind
        self.code = str(phonenumbers.country_code_for_region(query.country))
        self.base = base
        self.pattern = pattern
        self.rng = random.Random(repr(("telephonist-inventory", replace(query, limit=0))))
        self.viable: dict[str, tuple[Skeleton, ...]] = {}
        self.pool: list[str] | None = None  # places to draw from, when a place filter is set
        self.areas: tuple[str, ...] = ()
        if _has_geo_filter(query):
            self.pool = list(
                _place_pool(
                    self.country,
                    self.kind,
                    base,
                    query.in_region,
                    query.in_locality,
                    query.in_postal_code,
                )
            )
        elif self.code == "1" and pattern is None:
            # Spread North American numbers over the area codes rather than over the pattern's
            # branches (which would favour area codes with intricate exchange rules).
            self.areas = (base,) if base else _area_codes(self.country, self.kind)

    def viable_under(self, prefix: str) -> bool:
        return bool(self._viable(prefix))

    def _viable(self, prefix: str) -> tuple[Skeleton, ...]:
        """Skeletons for numbers under ``prefix`` that can hold the Contains pattern, of the
        country's usual lengths when there are any."""
        found = self.viable.get(prefix)
        if found is None:
            found = _compatible(self.country, self.kind, prefix)
            if self.pattern is not None:
                pattern, head = self.pattern, tuple(self.code)
                start = 0 if pattern.plus else len(head)
                found = tuple(s for s in found if _rest_fits(head + s, pattern, 0, start))
            usual = _usual_lengths(self.country, self.kind)
            found = tuple(s for s in found if len(s) in usual) or found
            self.viable[prefix] = found
        return found

    def _prefix(self) -> str | None:
        rng = self.rng
        if self.pool is not None:
            if not self.pool:
                return None
            index = rng.randrange(len(self.pool))
            chosen = self.pool[index]
            if self._viable(chosen):
                return chosen
            # Contains cannot fit under this place: never draw it again.
            self.pool[index] = self.pool[-1]
            self.pool.pop()
            return None
        if self.areas:
            area = rng.choice(self.areas)
            places = _cities_in_area(self.code, area[:3])
            if places:
                chosen = rng.choice(places)
                if chosen.startswith(area) and self._viable(chosen):
                    return chosen
            return area if self._viable(area) else None
        return self.base

    def candidate(self) -> str | None:
        """One E.164 number shaped like the kind and the query, or None for a wasted try."""
        prefix = self._prefix()
        if prefix is None:
            return None
        skeletons = self._viable(prefix)
        if not skeletons:
            return None
        skeleton = self.rng.choice(skeletons)
        head = tuple(self.code)
        if self.pattern is not None:
            start = 0 if self.pattern.plus else len(head)
            placed = _place(head + skeleton, self.pattern, start, self.rng)
            if placed is None:
                return None
            skeleton = placed[len(head) :]
        if not all(skeleton):
            return None
        return "+" + self.code + "".join(self.rng.choice(cls) for cls in skeleton)

    def exhausted(self) -> bool:
        return self.pool is not None and not self.pool


def _classify(e164: str, country: str) -> NumberKind | None:
    # info() types numbers outside the plan as "other", so any other type means "valid".
    about = phone.info(e164)
    kind = about.number_type
    return None if kind == "other" or about.country != country else kind


def _generate(query: SearchQuery, is_taken: Callable[[str], bool]) -> list[AvailableNumber]:
    pattern = _parse_contains(query.contains) if query.contains is not None else None
    code = str(phonenumbers.country_code_for_region(query.country))
    base = _base_prefix(query, code)
    limit = min(query.limit, MAX_LIMIT)
    if base is None or limit <= 0 or not _profile_matches(query):
        return []
    generator = _Generator(query, base, pattern)
    if not generator.viable_under(base):
        return []  # e.g. AreaCode 415 in a toll-free search, or Contains "+44" in the US
    results: list[AvailableNumber] = []
    seen: set[str] = set()
    attempts = min(_MAX_ATTEMPTS, _BASE_ATTEMPTS + _ATTEMPTS_PER_RESULT * limit)
    for _ in range(attempts):
        if len(results) >= limit or generator.exhausted():
            break
        e164 = generator.candidate()
        if e164 is None or e164 in seen:
            continue
        seen.add(e164)
        if _classify(e164, query.country) != query.kind:
            continue
        record = describe(e164, query.kind)
        national = e164[1 + len(code) :]
        if pattern is not None and not pattern.matches(code, national):
            continue
        if not _geo_matches(
            query.in_region,
            query.in_locality,
            query.in_postal_code,
            record.locality or "",
            record.region or "",
            record.postal_code or "",
        ):
            continue
        if is_taken(e164):
            continue
        results.append(record)
    return results


def search(
    query: SearchQuery, *, is_taken: Callable[[str], bool] = _nothing_taken
) -> list[AvailableNumber]:
    """Numbers on offer for ``query``: at most ``limit`` (capped at 1000), possibly fewer.

    Raises :class:`InvalidSearch` for a malformed ``Contains`` (20001) or an area code that no
    number in the plan has (21451). A valid area code of a neighbouring NANP country (416 in a
    US search) finds nothing rather than failing, so callers can retry in that country.
    ``is_taken`` hides numbers some account already owns.
    """
    if query.contains is not None:
        _check_contains(query.contains)
    if query.kind not in kinds_for(query.country):
        if query.area_code is not None and query.country in phonenumbers.SUPPORTED_REGIONS:
            _base_prefix(query, str(phonenumbers.country_code_for_region(query.country)))
        return []
    return _generate(query, is_taken)
