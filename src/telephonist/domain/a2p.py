"""A2P 10DLC review: the rules that decide TrustHub bundles, brands and campaigns.

Nothing here talks to a carrier or to The Campaign Registry. A record submitted for review is
decided once the review delay has passed on the server's clock, by the documented rules below
(docs/a2p.md), so a test can reach each outcome on purpose:

* a TrustHub bundle (customer profile or trust product) is ``twilio-rejected`` when its
  FriendlyName contains ``reject``, otherwise ``twilio-approved``;
* a brand FAILS when its customer profile or its A2P trust product is not approved, or when
  the profile's FriendlyName contains ``mismatch`` (the business identity does not match);
  otherwise it is APPROVED with a brand score fixed by its type and vetting;
* a campaign FAILS when its brand is not APPROVED, when it has fewer than two samples or one
  under 20 characters, a description or message flow under 40 characters, opt-in keywords
  without an opt-in message, or a use case its brand type may not have; otherwise VERIFIED.

The functions are pure: they take the stored facts and answer the outcome.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from telephonist.domain import phone

YEAR_MICROS = 365 * 24 * 3600 * 1_000_000

# -- TrustHub bundles ----------------------------------------------------------------------------

BUNDLE_STATUSES = ("draft", "pending-review", "in-review", "twilio-rejected", "twilio-approved")
SUBMITTABLE = ("draft", "twilio-rejected")
BUNDLE_REJECTED = 22214
"""The code a rejected bundle's ``errors`` carry: "Missing End User". End users and their
documents are not modelled, so a rejection stands for the information they would carry."""


@dataclass(frozen=True)
class BundleOutcome:
    status: str
    errors: list[dict[str, Any]]
    valid_until: int | None


def review_bundle(friendly_name: str, reviewed_at: int) -> BundleOutcome:
    """The decision on a submitted customer profile or trust product."""
    if "reject" in friendly_name.lower():
        error = {
            "code": BUNDLE_REJECTED,
            "message": "The bundle is missing the end user information its policy requires",
            "fields": ["friendly_name"],
        }
        return BundleOutcome("twilio-rejected", [error], None)
    return BundleOutcome("twilio-approved", [], reviewed_at + YEAR_MICROS)


# -- Brands --------------------------------------------------------------------------------------

BRAND_TYPES = ("STANDARD", "SOLE_PROPRIETOR")
BRAND_INVALID = 30894
"""Every brand failure's code: "Campaign vetting rejection - Invalid Brand Information"."""
VETTED_SCORE = 75
"""The brand score after secondary vetting (STANDARD brands without SkipAutomaticSecVet)."""
TCR_SCORE = 42
"""The brand score TCR answers without secondary vetting (STANDARD, SkipAutomaticSecVet)."""


@dataclass(frozen=True)
class BrandOutcome:
    status: str
    identity_status: str
    brand_score: int | None
    tcr_id: str | None
    failure_reason: str | None
    brand_feedback: list[str] | None
    errors: list[dict[str, Any]] = field(default_factory=list)


def tcr_id(sid: str) -> str:
    """The Campaign Registry brand ID: ``B`` and six characters of the brand's SID."""
    return "B" + sid[2:8].upper()


def review_brand(
    sid: str,
    brand_type: str,
    skip_automatic_sec_vet: bool,
    profile_status: str | None,
    profile_name: str,
    trust_product_status: str | None,
) -> BrandOutcome:
    """The decision on a brand, from its bundles as they stand at review time."""
    errors: list[dict[str, Any]] = []
    feedback: list[str] | None = None

    def fail(message: str, fields: list[str]) -> None:
        errors.append({"code": BRAND_INVALID, "message": message, "fields": fields})

    if profile_status != "twilio-approved":
        fail(
            f"The customer profile is {profile_status or 'missing'}, not twilio-approved",
            ["customer_profile_bundle_sid"],
        )
    if trust_product_status != "twilio-approved":
        fail(
            f"The A2P trust product is {trust_product_status or 'missing'}, not twilio-approved",
            ["a2p_profile_bundle_sid"],
        )
    if "mismatch" in profile_name.lower():
        fail(
            "The business name and identifiers do not match the registered business",
            ["friendly_name"],
        )
        feedback = ["TAX_ID"]
    if errors:
        reason = "; ".join(e["message"] for e in errors)
        return BrandOutcome("FAILED", "UNVERIFIED", None, None, reason, feedback, errors)
    if brand_type == "SOLE_PROPRIETOR":
        return BrandOutcome("APPROVED", "VERIFIED", None, tcr_id(sid), None, None)
    if skip_automatic_sec_vet:
        return BrandOutcome("APPROVED", "VERIFIED", TCR_SCORE, tcr_id(sid), None, None)
    return BrandOutcome("APPROVED", "VETTED_VERIFIED", VETTED_SCORE, tcr_id(sid), None, None)


# -- Campaigns -----------------------------------------------------------------------------------


@cache
def _usecases() -> dict[str, Any]:
    text = resources.files("telephonist").joinpath("data/a2p_usecases.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def standard_usecases() -> list[dict[str, Any]]:
    """The use cases a STANDARD brand may register, as the messaging v1 description lists
    them (``code``, ``name``, ``description``, ``post_approval_required``)."""
    return list(_usecases()["us_app_to_person"])


def sole_proprietor_usecase() -> dict[str, Any]:
    """The one use case a SOLE_PROPRIETOR brand may register."""
    return dict(_usecases()["sole_proprietor"])


def service_usecases() -> list[dict[str, Any]]:
    """The Messaging Service use cases (``/v1/Services/Usecases``): the description's example
    has the first two; the rest follow the Service resource's ``Usecase`` values."""
    return list(_usecases()["service"])


def usecase_codes() -> tuple[str, ...]:
    return tuple(u["code"] for u in usecases_for(None))


CAMPAIGN_IN_PROGRESS = "IN_PROGRESS"
MIN_SAMPLES = 2
MIN_SAMPLE = 20
MIN_DESCRIPTION = 40
MIN_FLOW = 40
TOP_TIER = {"att": {"mps": 225, "msg_class": "A"}, "tmobile": {"brand_tier": "TOP"}}
LOW_TIER = {"att": {"mps": 4, "msg_class": "T"}, "tmobile": {"brand_tier": "LOW"}}


def usecases_for(brand_type: str | None) -> list[dict[str, Any]]:
    """The use cases a brand of ``brand_type`` may register (every one for None)."""
    if brand_type == "SOLE_PROPRIETOR":
        return [sole_proprietor_usecase()]
    if brand_type == "STANDARD":
        return standard_usecases()
    return [*standard_usecases(), sole_proprietor_usecase()]


def campaign_id(sid: str) -> str:
    """The Campaign Registry campaign ID: ``C`` and six characters of the campaign's SID."""
    return "C" + sid[2:8].upper()


def rate_limits(brand_score: int | None) -> dict[str, Any]:
    """Carrier throughput of a verified campaign: the top tier from a vetted score up."""
    if brand_score is not None and brand_score >= VETTED_SCORE:
        return TOP_TIER
    return LOW_TIER


@dataclass(frozen=True)
class CampaignOutcome:
    status: str
    campaign_id: str | None
    rate_limits: dict[str, Any]
    errors: list[dict[str, Any]]


def review_campaign(
    sid: str,
    config: dict[str, Any],
    brand_status: str | None,
    brand_type: str | None,
    brand_score: int | None,
) -> CampaignOutcome:
    """The decision on a campaign, from its fields and its brand as it stands at review."""
    errors: list[dict[str, Any]] = []

    def fail(code: int, message: str, fields: list[str]) -> None:
        errors.append({"code": code, "message": message, "fields": fields})

    if brand_status != "APPROVED":
        fail(
            21717,
            f"The brand is {brand_status or 'missing'}, not APPROVED",
            ["brand_registration_sid"],
        )
    samples = config.get("message_samples") or []
    if len(samples) < MIN_SAMPLES or any(len(s) < MIN_SAMPLE for s in samples):
        fail(
            30893,
            f"At least {MIN_SAMPLES} message samples of {MIN_SAMPLE} characters or more are needed",
            ["message_samples"],
        )
    if len(config.get("description") or "") < MIN_DESCRIPTION:
        fail(30886, f"The description needs {MIN_DESCRIPTION} characters or more", ["description"])
    if len(config.get("message_flow") or "") < MIN_FLOW:
        fail(
            30896,
            f"The message flow must say how users opt in, in {MIN_FLOW} characters or more",
            ["message_flow"],
        )
    if config.get("opt_in_keywords") and not config.get("opt_in_message"):
        fail(30896, "Opt-in keywords need an opt-in message", ["opt_in_message"])
    usecase = config.get("us_app_to_person_usecase")
    if brand_type is not None and usecase not in [u["code"] for u in usecases_for(brand_type)]:
        fail(21720, f"A {brand_type} brand cannot register {usecase}", ["us_app_to_person_usecase"])
    if errors:
        return CampaignOutcome("FAILED", None, {}, errors)
    return CampaignOutcome("VERIFIED", campaign_id(sid), rate_limits(brand_score), [])


# -- Enforcement: what US carriers do with 10DLC traffic ----------------------------------------

ENFORCEMENT_MODES = ("off", "warn", "enforce")
"""``off``: no check; ``warn``: a message US carriers would block is delivered and flagged by a
warning alert; ``enforce``: it fails, as on the carriers' networks today."""

UNREGISTERED = 30034  # US A2P 10DLC - Message from an Unregistered Number
BEING_CONFIGURED = 30035  # US A2P 10DLC - Message from a number still being configured

_TOLL_FREE_AREAS = frozenset({"800", "833", "844", "855", "866", "877", "888"})


def is_10dlc_route(sender: str, to: str) -> bool:
    """Whether A2P 10DLC rules cover this message: a US ten-digit long code (not toll-free,
    not a short code or an alphanumeric sender) texting a US number."""
    if not (sender.startswith("+1") and len(sender) == 12 and to.startswith("+1")):
        return False
    if sender[2:5] in _TOLL_FREE_AREAS:
        return False
    return phone.info(sender).country == "US" and phone.info(to).country == "US"


def blocked_code(campaign_status: str | None) -> int | None:
    """The code a 10DLC message earns from a sender whose campaign is ``campaign_status``
    (None: the sender is in no service with a campaign); None when carriers let it through."""
    if campaign_status == "VERIFIED":
        return None
    if campaign_status in (CAMPAIGN_IN_PROGRESS, "PENDING"):
        return BEING_CONFIGURED
    return UNREGISTERED


DAILY_CAP_REACHED = 30023  # US A2P 10DLC - Daily Message Cap Reached
DAILY_LIMIT_HALF = 30025  # 50% T-Mobile Daily Message Limit Consumed (a warning)
DAILY_LIMIT_MOST = 30026  # 70% T-Mobile Daily Message Limit Consumed (a warning)
DAILY_LIMIT_REACHED = 30027  # T-Mobile Daily Message Limit Reached (a warning)
DAY_MICROS = 24 * 3600 * 1_000_000
PACIFIC = ZoneInfo("America/Los_Angeles")
_EPOCH = date(1970, 1, 1)


def daily_cap(brand_type: str | None, brand_score: int | None) -> int:
    """A brand's daily limit to US numbers, as T-Mobile sets it by brand tier, in SMS segments
    and MMS messages: a sole proprietor 1,000; a standard brand by its score, 2,000 below 25,
    10,000 below 50, 40,000 below 75 and 200,000 from 75 (a vetted brand)."""
    if brand_type == "SOLE_PROPRIETOR":
        return 1_000
    score = brand_score or 0
    for below, cap in ((25, 2_000), (50, 10_000), (75, 40_000)):
        if score < below:
            return cap
    return 200_000


def day_of(now: int) -> int:
    """The day (days since 1970-01-01) that ``now`` (microseconds) falls in at Pacific time:
    the daily limit starts over at midnight PT."""
    local = datetime.fromtimestamp(now / 1_000_000, PACIFIC).date()
    return (local - _EPOCH).days


def daily_units(num_segments: int, num_media: int) -> int:
    """What one message uses of the daily limit: its SMS segments, or one for an MMS."""
    return 1 if num_media else max(num_segments, 1)


def limit_warnings(before: int, after: int, cap: int) -> list[int]:
    """The warnings a message earns that takes a brand's day from ``before`` to ``after`` of
    ``cap``: 30025 at half the limit, 30026 at 70 %, 30027 when it is used up (the next
    message is then refused with 30023)."""
    return [
        code
        for code, share in (
            (DAILY_LIMIT_HALF, 0.5),
            (DAILY_LIMIT_MOST, 0.7),
            (DAILY_LIMIT_REACHED, 1),
        )
        if before < cap * share <= after
    ]
