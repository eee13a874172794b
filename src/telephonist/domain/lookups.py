"""What Lookups v2 says about a phone number, from the number plans ``phonenumbers`` ships.

Twilio's basic lookup (no ``Fields``) formats and validates; its validation errors are
libphonenumber's own outcomes (``TOO_SHORT``, ``TOO_LONG``, ``INVALID_LENGTH``,
``INVALID_COUNTRY_CODE``, ``NOT_A_NUMBER``, plus ``INVALID_BUT_POSSIBLE`` for a number of the
right length outside the plan), so they are computed here the same way. Lookups v1 answered
404 for an invalid number; v2 answers 200 with ``valid: false``, and even input that is no
number at all is one of its validation errors (``NOT_A_NUMBER``), so nothing here is a 404.

Only ``line_type_intelligence`` is a data package with an answer here: the line type comes
from the number plan (or from the simulated carrier, which the caller passes in as
``line_type``), and the carrier name from ``phonenumbers``' carrier data (the network a
mobile range was first allocated to; there is no portability data offline, and no mobile
country or network codes). Every other package the spec lists is accepted and answered null:
telephonist has no caller-name, SIM-swap or identity data to give.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneNumberFormat,
    PhoneNumberType,
    ValidationResult,
    carrier,
)

from telephonist.domain.errors import Rejected

LineType = Literal[
    "landline",
    "mobile",
    "fixedVoip",
    "nonFixedVoip",
    "personal",
    "tollFree",
    "premium",
    "sharedCost",
    "uan",
    "voicemail",
    "pager",
    "unknown",
]

PACKAGES = (
    "caller_name",
    "sim_swap",
    "call_forwarding",
    "line_status",
    "line_type_intelligence",
    "identity_match",
    "reassigned_number",
    "sms_pumping_risk",
    "phone_number_quality_score",
    "pre_fill",
)
"""The data packages, in the order the resource lists them; each is a key of the resource."""

FIELDS = frozenset({"validation", *PACKAGES})
"""What ``Fields`` may name (the spec's list). ``validation`` is the basic lookup itself:
``valid`` and ``validation_errors`` are in every answer, so naming it changes nothing."""

DEFAULT_COUNTRY = "US"
"""The spec: national-format input without ``CountryCode`` is read as North American."""

MALFORMED_PARAMETER = 60618
"""Twilio's "Lookup Malformed Request Parameter": an invalid value for a query parameter."""

_TYPES: dict[int, LineType] = {
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile",
    PhoneNumberType.TOLL_FREE: "tollFree",
    PhoneNumberType.PREMIUM_RATE: "premium",
    PhoneNumberType.SHARED_COST: "sharedCost",
    PhoneNumberType.VOIP: "nonFixedVoip",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}
# Twilio's docs: no carrier data for these types (carrier_name and the codes are null).
_NO_CARRIER = frozenset(
    {"personal", "tollFree", "premium", "sharedCost", "uan", "voicemail", "pager", "unknown"}
)
_POSSIBILITY = {
    ValidationResult.TOO_SHORT: "TOO_SHORT",
    ValidationResult.TOO_LONG: "TOO_LONG",
    ValidationResult.INVALID_LENGTH: "INVALID_LENGTH",
    ValidationResult.INVALID_COUNTRY_CODE: "INVALID_COUNTRY_CODE",
}
_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "INVALID_COUNTRY_CODE",
    NumberParseException.NOT_A_NUMBER: "NOT_A_NUMBER",
    NumberParseException.TOO_SHORT_AFTER_IDD: "TOO_SHORT",
    NumberParseException.TOO_SHORT_NSN: "TOO_SHORT",
    NumberParseException.TOO_LONG: "TOO_LONG",
}


def line_type(number_type: int) -> LineType:
    """Twilio's Line Type Intelligence ``type`` for a ``phonenumbers`` type.

    Most names map one to one. Two have no counterpart, and are chosen:

    - FIXED_LINE_OR_MOBILE (every North American number, and countries whose plans do not
      tell the two apart) is ``mobile``. Twilio asks the carrier; offline, the carrier is the
      simulated one, whose handsets take texts unless a scenario says otherwise (a
      ``landline`` scenario makes the number ``landline``, see the ``line_type`` argument of
      :func:`resource`).
    - VOIP is ``nonFixedVoip``: the plan does not say whether a VoIP range is tied to an
      address, and ``nonFixedVoip`` is what Twilio answers for its own numbers.
    """
    return _TYPES.get(number_type, "unknown")


@dataclass(frozen=True, slots=True)
class Reading:
    """A number as the basic lookup reads it.

    ``e164`` is set whenever the input parses to some number, valid or not (a scenario rule
    can match it); ``phone_number`` is what the resource shows: the E.164 form when it
    parses, else the input as given.
    """

    phone_number: str
    e164: str | None
    calling_country_code: str | None
    country_code: str | None
    national_format: str | None
    valid: bool
    validation_errors: tuple[str, ...]
    line_type: LineType | None
    carrier_name: str | None


def read(raw: str, country: str | None = None) -> Reading:
    """What the basic lookup says about ``raw`` (E.164, or national with ``country``).

    An invalid number answers as Twilio's example for one does: its E.164 form, a reason, and
    null calling code, country and national format.
    """
    region = (country or DEFAULT_COUNTRY).strip().upper()
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as exc:
        error = _PARSE_ERRORS.get(exc.error_type, "NOT_A_NUMBER")
        return Reading(raw, None, None, None, None, False, (error,), None, None)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    kind = line_type(phonenumbers.number_type(number))
    name = None if kind in _NO_CARRIER else carrier.name_for_number(number, "en") or None
    possibility = phonenumbers.is_possible_number_with_reason(number)
    if possibility in _POSSIBILITY:
        errors: tuple[str, ...] = (_POSSIBILITY[possibility],)
    elif not phonenumbers.is_valid_number(number):
        errors = ("INVALID_BUT_POSSIBLE",)
    else:
        return Reading(
            phone_number=e164,
            e164=e164,
            calling_country_code=str(number.country_code),
            country_code=phonenumbers.region_code_for_number(number),
            national_format=phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
            valid=True,
            validation_errors=(),
            line_type=kind,
            carrier_name=name,
        )
    return Reading(e164, e164, None, None, None, False, errors, kind, name)


def parse_fields(text: str | None) -> frozenset[str]:
    """The packages ``Fields`` names (comma-separated; blanks between commas ignored).

    A name the spec does not list is refused with 60618 (400), as a malformed query
    parameter, rather than silently answered with nothing.
    """
    names = frozenset(part.strip() for part in (text or "").split(",") if part.strip())
    unknown = sorted(names - FIELDS)
    if unknown:
        raise Rejected(
            MALFORMED_PARAMETER,
            f"Invalid Fields value {unknown[0]!r}: use a comma-separated list of "
            + ", ".join(sorted(FIELDS)),
        )
    return names


def line_type_intelligence(
    reading: Reading, line_type: LineType | None = None
) -> dict[str, Any] | None:
    """The package for a number that parses (null for input that is no number): its type
    (``line_type`` when the carrier says otherwise than the plan) and carrier name."""
    kind = line_type or reading.line_type
    if kind is None:
        return None
    return {
        "mobile_country_code": None,
        "mobile_network_code": None,
        "carrier_name": None if kind in _NO_CARRIER else reading.carrier_name,
        "type": kind,
        "error_code": None,
    }


def resource(
    reading: Reading, fields: Iterable[str], url: str, *, line_type: LineType | None = None
) -> dict[str, Any]:
    """The PhoneNumber resource: the basic lookup, and each package asked for (the others,
    and those without data here, null). ``url`` is the resource's absolute URL."""
    asked = frozenset(fields)
    packages: dict[str, Any] = dict.fromkeys(PACKAGES)
    if "line_type_intelligence" in asked:
        packages["line_type_intelligence"] = line_type_intelligence(reading, line_type)
    return {
        "calling_country_code": reading.calling_country_code,
        "country_code": reading.country_code,
        "phone_number": reading.phone_number,
        "national_format": reading.national_format,
        "valid": reading.valid,
        "validation_errors": list(reading.validation_errors),
        **packages,
        "url": url,
    }


__all__ = [
    "DEFAULT_COUNTRY",
    "FIELDS",
    "PACKAGES",
    "LineType",
    "Reading",
    "line_type",
    "line_type_intelligence",
    "parse_fields",
    "read",
    "resource",
]
