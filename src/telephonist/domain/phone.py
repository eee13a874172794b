"""Phone numbers as Twilio sees them: parsing To/From, describing a number, sender ID shapes.

Everything here is a pure function of its input and of the metadata that ``phonenumbers``
ships (number plans, and the offline geocoder's English names through
:mod:`telephonist.domain.geocoding`), so answers are reproducible and need no network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from telephonist.domain import geocoding

LineType = Literal["local", "mobile", "toll_free", "other"]

# Punctuation people (and SDKs) put inside numbers; Twilio ignores it.
_FORMATTING = re.compile(r"[\s\-().]")
_E164_DIGITS = re.compile(r"\+[0-9]{2,15}")  # E.164: at most 15 digits, calling code included
_SHORT_CODE = re.compile(r"[0-9]{5,6}")
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9 ]{1,11}")

# US states, DC, US territories and Canadian provinces/territories, keyed by the names the
# geocoder uses when it only knows the state (including its spelling quirks).
STATE_CODES: dict[str, str] = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "District of Columbia": "DC",
    "Washington D.C.": "DC",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington": "WA",
    "Washington State": "WA",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
    "Puerto Rico": "PR",
    "Guam": "GU",
    "U.S. Virgin Islands": "VI",
    "American Samoa": "AS",
    "Northern Mariana Islands": "MP",
    "Alberta": "AB",
    "British Columbia": "BC",
    "British Colombia": "BC",
    "Manitoba": "MB",
    "New Brunswick": "NB",
    "Newfoundland and Labrador": "NL",
    "Nova Scotia": "NS",
    "Northwest Territories": "NT",
    "Nunavut": "NU",
    "Ontario": "ON",
    "Prince Edward Island": "PE",
    "Quebec": "QC",
    "Saskatchewan": "SK",
    "Yukon": "YT",
}
# Lower-cased full name or code -> code, for filters such as ``InRegion=california``.
STATE_LOOKUP: dict[str, str] = {
    **{name.casefold(): code for name, code in STATE_CODES.items()},
    **{code.casefold(): code for code in STATE_CODES.values()},
}


@dataclass(frozen=True, slots=True)
class Place:
    """What the geocoder does not know about a city: one representative postal code and its
    coordinates. Approximate by design (a big city has many ZIP codes); enough for
    ``postal_code``/``latitude``/``longitude`` to look like Twilio's and for ``InPostalCode``.
    Canadian entries carry the forward sortation area (the first three characters) only."""

    postal_code: str
    latitude: str
    longitude: str


# Major US and Canadian cities, keyed by (city, state) exactly as the geocoder spells them.
PLACES: dict[tuple[str, str], Place] = {
    ("New York", "NY"): Place("10001", "40.7128", "-74.0060"),
    ("Brooklyn", "NY"): Place("11201", "40.6782", "-73.9442"),
    ("Los Angeles", "CA"): Place("90012", "34.0522", "-118.2437"),
    ("San Francisco", "CA"): Place("94103", "37.7749", "-122.4194"),
    ("San Jose", "CA"): Place("95113", "37.3382", "-121.8863"),
    ("San Diego", "CA"): Place("92101", "32.7157", "-117.1611"),
    ("Oakland", "CA"): Place("94612", "37.8044", "-122.2712"),
    ("Sacramento", "CA"): Place("95814", "38.5816", "-121.4944"),
    ("Chicago", "IL"): Place("60601", "41.8781", "-87.6298"),
    ("Houston", "TX"): Place("77002", "29.7604", "-95.3698"),
    ("Dallas", "TX"): Place("75201", "32.7767", "-96.7970"),
    ("Austin", "TX"): Place("78701", "30.2672", "-97.7431"),
    ("San Antonio", "TX"): Place("78205", "29.4241", "-98.4936"),
    ("Fort Worth", "TX"): Place("76102", "32.7555", "-97.3308"),
    ("Phoenix", "AZ"): Place("85004", "33.4484", "-112.0740"),
    ("Philadelphia", "PA"): Place("19107", "39.9526", "-75.1652"),
    ("Pittsburgh", "PA"): Place("15222", "40.4406", "-79.9959"),
    ("Jacksonville", "FL"): Place("32202", "30.3322", "-81.6557"),
    ("Miami", "FL"): Place("33130", "25.7617", "-80.1918"),
    ("Tampa", "FL"): Place("33602", "27.9506", "-82.4572"),
    ("Orlando", "FL"): Place("32801", "28.5383", "-81.3792"),
    ("Columbus", "OH"): Place("43215", "39.9612", "-82.9988"),
    ("Cleveland", "OH"): Place("44113", "41.4993", "-81.6944"),
    ("Charlotte", "NC"): Place("28202", "35.2271", "-80.8431"),
    ("Raleigh", "NC"): Place("27601", "35.7796", "-78.6382"),
    ("Indianapolis", "IN"): Place("46204", "39.7684", "-86.1581"),
    ("Seattle", "WA"): Place("98101", "47.6062", "-122.3321"),
    ("Portland", "OR"): Place("97204", "45.5152", "-122.6784"),
    ("Denver", "CO"): Place("80202", "39.7392", "-104.9903"),
    ("Washington", "DC"): Place("20001", "38.9072", "-77.0369"),
    ("Boston", "MA"): Place("02108", "42.3601", "-71.0589"),
    ("Nashville", "TN"): Place("37203", "36.1627", "-86.7816"),
    ("Memphis", "TN"): Place("38103", "35.1495", "-90.0490"),
    ("Detroit", "MI"): Place("48226", "42.3314", "-83.0458"),
    ("Las Vegas", "NV"): Place("89101", "36.1699", "-115.1398"),
    ("Louisville", "KY"): Place("40202", "38.2527", "-85.7585"),
    ("Baltimore", "MD"): Place("21202", "39.2904", "-76.6122"),
    ("Milwaukee", "WI"): Place("53202", "43.0389", "-87.9065"),
    ("Albuquerque", "NM"): Place("87102", "35.0844", "-106.6504"),
    ("Atlanta", "GA"): Place("30303", "33.7490", "-84.3880"),
    ("Minneapolis", "MN"): Place("55401", "44.9778", "-93.2650"),
    ("New Orleans", "LA"): Place("70112", "29.9511", "-90.0715"),
    ("Salt Lake City", "UT"): Place("84101", "40.7608", "-111.8910"),
    ("St. Louis", "MO"): Place("63101", "38.6270", "-90.1994"),
    ("Kansas City", "MO"): Place("64105", "39.0997", "-94.5786"),
    ("Honolulu", "HI"): Place("96813", "21.3069", "-157.8583"),
    ("Anchorage", "AK"): Place("99501", "61.2181", "-149.9003"),
    ("Toronto", "ON"): Place("M5H", "43.6532", "-79.3832"),
    ("Ottawa", "ON"): Place("K1P", "45.4215", "-75.6972"),
    ("Montreal", "QC"): Place("H2Y", "45.5017", "-73.5673"),
    ("Quebec City", "QC"): Place("G1R", "46.8139", "-71.2080"),
    ("Vancouver", "BC"): Place("V6B", "49.2827", "-123.1207"),
    ("Calgary", "AB"): Place("T2P", "51.0447", "-114.0719"),
    ("Edmonton", "AB"): Place("T5J", "53.5461", "-113.4938"),
    ("Winnipeg", "MB"): Place("R3C", "49.8951", "-97.1384"),
    ("Halifax", "NS"): Place("B3J", "44.6488", "-63.5752"),
}


@dataclass(frozen=True, slots=True)
class NumberInfo:
    """What webhooks and resources say about a number (``FromCity``, ``ToState``...)."""

    e164: str
    country: str | None
    number_type: LineType
    city: str
    state: str
    zip: str
    friendly_name: str


@lru_cache(maxsize=65_536)
def parse_e164(value: str) -> str | None:
    """Canonical E.164 for a To/From value, or None when it is not one.

    Validation is deliberately loose, like Twilio's: a number only has to be *possible* for its
    country (right length), not allocated, so Twilio's test numbers (+15005550006) and fictional
    555 numbers work. A leading ``+`` is required: without a country code a number is ambiguous,
    and guessing (say, US for 10 digits) would silently message the wrong country.
    """
    text = value.strip()
    if text[:4].lower() == "tel:":
        text = text[4:]
    text = _FORMATTING.sub("", text)
    if not _E164_DIGITS.fullmatch(text):
        return None
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if number.extension or not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def is_valid_number(e164: str) -> bool:
    """Whether the number is allocated in its country's plan (stricter than :func:`parse_e164`)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def line_type(number_type: int) -> LineType:
    """Twilio's number kinds for a ``phonenumbers`` type.

    FIXED_LINE_OR_MOBILE (every NANP number, and countries whose plans do not separate the two)
    counts as ``local``: the number is geographic, and that is what Twilio sells it as.
    """
    if number_type in (PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return "local"
    if number_type == PhoneNumberType.MOBILE:
        return "mobile"
    if number_type == PhoneNumberType.TOLL_FREE:
        return "toll_free"
    return "other"


def is_nanp(country: str | None) -> bool:
    """Whether ``country`` dials with +1 (US, CA and the Caribbean): they share formatting."""
    return country is not None and phonenumbers.country_code_for_region(country) == 1


def split_place(description: str, country: str | None) -> tuple[str, str]:
    """(city, state) from a geocoder description, "" for the parts it does not give.

    The geocoder says "San Francisco, CA" when it knows the exchange and just "California" when
    it only knows the area code; webhooks want the city and the state code separately. Outside
    North America the part after a comma is a region name ("Guntur, Andhra Pradesh"), and
    Brazil writes "Londrina - PR".
    """
    if description in STATE_CODES:
        code = STATE_CODES[description]
        return ("Washington", code) if code == "DC" else ("", code)
    if ", " in description:
        city, state = description.rsplit(", ", 1)
        return city, state
    if is_nanp(country):
        return description, ""
    head, sep, tail = description.rpartition(" - ")
    if sep and len(tail) == 2 and tail.isupper():
        return head, tail
    return description, ""


def _area_description(number: phonenumbers.PhoneNumber, code: int, number_type: int) -> str:
    """The geocoder's English name for the area of a geographic number, "" when it has none.

    This is what ``geocoder.description_for_number`` finds, minus its fallback to the country
    name: that fallback validates the number against every region sharing the calling code (25
    for +1), which would make :func:`info` ten times slower, and callers want "" there anyway.
    """
    if not phonenumbers.is_number_type_geographical(number_type, code):
        return ""
    national = phonenumbers.national_significant_number(number)
    token = phonenumbers.country_mobile_token(code)
    if token and national.startswith(token):
        national = national[len(token) :]
    return geocoding.area_name(f"{code}{national}")


@lru_cache(maxsize=4096)
def info(e164: str) -> NumberInfo:
    """Country, kind, place and display name of a number; cached as every webhook asks for it.

    Numbers outside the plan still get a country from their calling code (the main country for
    shared codes, e.g. US for +1 555...), because Twilio reports FromCountry for them too; their
    ``number_type`` is "other", so that a number whose type is anything else is a valid number
    of ``country``.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return NumberInfo(e164, None, "other", "", "", "", e164)
    code = number.country_code or 0  # always set by parse(); None only in the type stubs
    region = phonenumbers.region_code_for_number(number)
    if region is None:
        main = phonenumbers.region_code_for_country_code(code)
        region = None if main == phonenumbers.UNKNOWN_REGION else main
    number_type = phonenumbers.number_type(number)
    description = _area_description(number, code, number_type)
    city, state = split_place(description, region) if description else ("", "")
    nanp = code == 1
    place = PLACES.get((city, state)) if nanp else None
    style = PhoneNumberFormat.NATIONAL if nanp else PhoneNumberFormat.INTERNATIONAL
    national = phonenumbers.national_significant_number(number)
    return NumberInfo(
        e164=f"+{code}{national}",
        country=region,
        number_type=line_type(number_type),
        city=city,
        state=state,
        zip=place.postal_code if place else "",
        friendly_name=phonenumbers.format_number(number, style),
    )


def is_short_code(value: str) -> bool:
    """Short codes are 5 or 6 digits (US/CA); longer digit strings are phone numbers."""
    return _SHORT_CODE.fullmatch(value) is not None


def is_alphanumeric_sender(value: str) -> bool:
    """Alphanumeric sender IDs: up to 11 letters, digits or spaces with at least one letter,
    so that digit-only strings are never mistaken for one."""
    return _ALPHANUMERIC.fullmatch(value) is not None and any(c.isalpha() for c in value)
