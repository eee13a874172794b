"""Short codes: the 5- and 6-digit senders carriers lease to one business in one country.

Twilio's API cannot buy them (a short code takes weeks of carrier review), so telephonist
provisions them through its control API; from then on they are v2010 ``SMS/ShortCodes``
resources that send and receive like an account's numbers, with three differences that
follow from what carriers do with them:

* a short code reaches handsets of its own country only, and only they can text it: a
  carrier does not route a short code across a border;
* it sends at a short code's throughput (100 segments per second by default), not a long
  code's;
* A2P 10DLC does not cover it (carriers vet short codes on their own), so no campaign is
  asked of it.
"""

from __future__ import annotations

from typing import Any

import phonenumbers

from telephonist.domain import API_VERSION, phone

DEFAULT_CONFIG: dict[str, Any] = {
    "api_version": API_VERSION,
    "sms_url": None,
    "sms_method": "POST",
    "sms_fallback_url": None,
    "sms_fallback_method": "POST",
}
"""Every configurable field of the ShortCode resource, as Twilio names it, with its default
(the description's examples answer null URLs)."""

DEFAULT_COUNTRY = "US"
KIND = "short_code"
"""A short code's kind, as the dispatcher's throughput table names it."""


def is_country(region: str) -> bool:
    """Whether ``region`` is an ISO 3166 alpha-2 code of a country with a numbering plan."""
    return region in phonenumbers.SUPPORTED_REGIONS


def settings_of(config: dict[str, Any]) -> dict[str, Any]:
    """A short code's stored configuration with the defaults of what it never set."""
    return {**DEFAULT_CONFIG, **config}


def reaches(iso_country: str, number: str) -> bool:
    """Whether a short code of ``iso_country`` can text ``number`` (or be texted by it): the
    handset must be of the short code's country."""
    return phone.info(number).country == iso_country
