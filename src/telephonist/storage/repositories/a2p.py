"""A2P 10DLC records: TrustHub bundles, brand registrations and campaigns, each account's own.

Review is lazy: a record waits in review (``pending-review``, ``PENDING``, ``IN_PROGRESS``)
until :func:`settle` finds it past the review delay on the server's clock, decides it by the
rules of :mod:`telephonist.domain.a2p` and stores the outcome, once. Handlers call
:func:`settle` before they read, so what a client sees is what the clock says.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from telephonist.domain import a2p
from telephonist.domain.errors import TelephonistError
from telephonist.storage.repositories.listing import Listing
from telephonist.storage.schema import (
    a2p_campaigns,
    a2p_daily_counts,
    brand_registrations,
    incoming_numbers,
    messaging_service_numbers,
    trust_bundles,
)

bundles = trust_bundles
brands = brand_registrations
daily = a2p_daily_counts
campaigns = a2p_campaigns

CUSTOMER_PROFILE = "customer_profile"
TRUST_PRODUCT = "trust_product"


class ServiceHasCampaign(TelephonistError):
    """The Messaging Service has a campaign already (a service has one at most)."""


# -- Review --------------------------------------------------------------------------------------


def settle(conn: Connection, account_sid: str, now: int, delay: int) -> None:
    """Decide every record of the account whose review came due by ``now`` (``delay``
    microseconds after it was submitted) and store the outcomes: bundles first, since brands
    are decided on their bundles, then brands, then campaigns on their brands."""
    due = now - delay
    for row in conn.execute(
        select(bundles)
        .where(bundles.c.account_sid == account_sid)
        .where(bundles.c.status == "pending-review")
        .where(bundles.c.submitted_at <= due)
    ).mappings():
        reviewed_at = row["submitted_at"] + delay
        bundle = a2p.review_bundle(row["friendly_name"], reviewed_at)
        conn.execute(
            update(bundles)
            .where(bundles.c.sid == row["sid"])
            .values(
                status=bundle.status,
                errors=json.dumps(bundle.errors),
                valid_until=bundle.valid_until,
                date_updated=reviewed_at,
            )
        )
    for row in conn.execute(
        select(brands)
        .where(brands.c.account_sid == account_sid)
        .where(brands.c.status == "PENDING")
        .where(brands.c.submitted_at <= due)
    ).mappings():
        profile = get_bundle(
            conn, account_sid, CUSTOMER_PROFILE, row["customer_profile_bundle_sid"]
        )
        product = get_bundle(conn, account_sid, TRUST_PRODUCT, row["a2p_profile_bundle_sid"])
        brand = a2p.review_brand(
            row["sid"],
            row["brand_type"],
            row["skip_automatic_sec_vet"],
            profile["status"] if profile else None,
            profile["friendly_name"] if profile else "",
            product["status"] if product else None,
        )
        conn.execute(
            update(brands)
            .where(brands.c.sid == row["sid"])
            .values(
                status=brand.status,
                identity_status=brand.identity_status,
                brand_score=brand.brand_score,
                tcr_id=brand.tcr_id,
                failure_reason=brand.failure_reason,
                brand_feedback=(
                    json.dumps(brand.brand_feedback) if brand.brand_feedback is not None else None
                ),
                errors=json.dumps(brand.errors),
                date_updated=row["submitted_at"] + delay,
            )
        )
    for row in conn.execute(
        select(campaigns)
        .where(campaigns.c.account_sid == account_sid)
        .where(campaigns.c.campaign_status == a2p.CAMPAIGN_IN_PROGRESS)
        .where(campaigns.c.submitted_at <= due)
    ).mappings():
        brand_row = get_brand(conn, account_sid, row["brand_registration_sid"])
        campaign = a2p.review_campaign(
            row["sid"],
            json.loads(row["config"]),
            brand_row["status"] if brand_row else None,
            brand_row["brand_type"] if brand_row else None,
            brand_row["brand_score"] if brand_row else None,
        )
        conn.execute(
            update(campaigns)
            .where(campaigns.c.sid == row["sid"])
            .values(
                campaign_status=campaign.status,
                campaign_id=campaign.campaign_id,
                rate_limits=json.dumps(campaign.rate_limits),
                errors=json.dumps(campaign.errors),
                date_updated=row["submitted_at"] + delay,
            )
        )


# -- TrustHub bundles (customer profiles, trust products) ----------------------------------------


def insert_bundle(conn: Connection, row: Mapping[str, Any]) -> None:
    conn.execute(insert(bundles).values(dict(row)))


def get_bundle(conn: Connection, account_sid: str, kind: str, sid: str) -> RowMapping | None:
    """The account's bundle ``sid`` of ``kind``; None when missing, another account's or the
    other kind (a trust product is no customer profile)."""
    return (
        conn.execute(
            select(bundles)
            .where(bundles.c.sid == sid)
            .where(bundles.c.account_sid == account_sid)
            .where(bundles.c.kind == kind)
        )
        .mappings()
        .first()
    )


def update_bundle(
    conn: Connection, account_sid: str, kind: str, sid: str, values: Mapping[str, Any]
) -> RowMapping | None:
    conn.execute(
        update(bundles)
        .where(bundles.c.sid == sid)
        .where(bundles.c.account_sid == account_sid)
        .where(bundles.c.kind == kind)
        .values(dict(values))
    )
    return get_bundle(conn, account_sid, kind, sid)


def bundle_in_use(conn: Connection, sid: str) -> bool:
    """True when a brand registration names bundle ``sid``."""
    used = conn.execute(
        select(brands.c.sid)
        .where(
            (brands.c.customer_profile_bundle_sid == sid) | (brands.c.a2p_profile_bundle_sid == sid)
        )
        .limit(1)
    ).first()
    return used is not None


def delete_bundle(conn: Connection, account_sid: str, kind: str, sid: str) -> bool:
    result = conn.execute(
        delete(bundles)
        .where(bundles.c.sid == sid)
        .where(bundles.c.account_sid == account_sid)
        .where(bundles.c.kind == kind)
    )
    return bool(result.rowcount)


def bundle_listing(
    account_sid: str,
    kind: str,
    *,
    status: str | None = None,
    friendly_name: str | None = None,
    policy_sid: str | None = None,
) -> Listing:
    """The account's bundles of ``kind``, newest first, narrowed by the list filters."""
    query = (
        select(bundles).where(bundles.c.account_sid == account_sid).where(bundles.c.kind == kind)
    )
    if status is not None:
        query = query.where(bundles.c.status == status)
    if friendly_name is not None:
        query = query.where(bundles.c.friendly_name == friendly_name)
    if policy_sid is not None:
        query = query.where(bundles.c.policy_sid == policy_sid)
    return Listing(query, bundles.c.date_created, bundles.c.sid)


# -- Brand registrations -------------------------------------------------------------------------


def insert_brand(conn: Connection, row: Mapping[str, Any]) -> None:
    conn.execute(insert(brands).values(dict(row)))


def get_brand(conn: Connection, account_sid: str, sid: str) -> RowMapping | None:
    return (
        conn.execute(
            select(brands).where(brands.c.sid == sid).where(brands.c.account_sid == account_sid)
        )
        .mappings()
        .first()
    )


def update_brand(
    conn: Connection, account_sid: str, sid: str, values: Mapping[str, Any]
) -> RowMapping | None:
    conn.execute(
        update(brands)
        .where(brands.c.sid == sid)
        .where(brands.c.account_sid == account_sid)
        .values(dict(values))
    )
    return get_brand(conn, account_sid, sid)


def brand_listing(account_sid: str) -> Listing:
    """The account's brands, newest first."""
    query = select(brands).where(brands.c.account_sid == account_sid)
    return Listing(query, brands.c.date_created, brands.c.sid)


# -- Campaigns -----------------------------------------------------------------------------------


def insert_campaign(conn: Connection, row: Mapping[str, Any]) -> None:
    """Store a campaign; :class:`ServiceHasCampaign` when its service has one already.

    The unique key on the service decides, so two campaigns racing for one service cannot
    both be stored. The failed insert leaves the transaction to be rolled back.
    """
    if campaign_of_service(conn, row["messaging_service_sid"]) is not None:
        raise ServiceHasCampaign(row["messaging_service_sid"])
    try:
        conn.execute(insert(campaigns).values(dict(row)))
    except IntegrityError as exc:
        raise ServiceHasCampaign(row["messaging_service_sid"]) from exc


def campaign_of_service(conn: Connection, service_sid: str) -> RowMapping | None:
    return (
        conn.execute(select(campaigns).where(campaigns.c.messaging_service_sid == service_sid))
        .mappings()
        .first()
    )


def get_campaign(conn: Connection, service_sid: str, sid: str) -> RowMapping | None:
    return (
        conn.execute(
            select(campaigns)
            .where(campaigns.c.messaging_service_sid == service_sid)
            .where(campaigns.c.sid == sid)
        )
        .mappings()
        .first()
    )


def update_campaign(
    conn: Connection, service_sid: str, sid: str, values: Mapping[str, Any]
) -> RowMapping | None:
    conn.execute(
        update(campaigns)
        .where(campaigns.c.messaging_service_sid == service_sid)
        .where(campaigns.c.sid == sid)
        .values(dict(values))
    )
    return get_campaign(conn, service_sid, sid)


def delete_campaign(conn: Connection, service_sid: str, sid: str) -> bool:
    result = conn.execute(
        delete(campaigns)
        .where(campaigns.c.messaging_service_sid == service_sid)
        .where(campaigns.c.sid == sid)
    )
    return bool(result.rowcount)


def campaign_listing(service_sid: str) -> Listing:
    query = select(campaigns).where(campaigns.c.messaging_service_sid == service_sid)
    return Listing(query, campaigns.c.date_created, campaigns.c.sid)


def registered_services(conn: Connection, account_sid: str) -> set[str]:
    """The SIDs of the account's services whose campaign is VERIFIED (as stored)."""
    return set(
        conn.execute(
            select(campaigns.c.messaging_service_sid)
            .where(campaigns.c.account_sid == account_sid)
            .where(campaigns.c.campaign_status == "VERIFIED")
        ).scalars()
    )


# A number, the Messaging Service pool that holds it, and that service's campaign: what
# registers a sender.
_SENDER_CAMPAIGNS = incoming_numbers.join(
    messaging_service_numbers,
    messaging_service_numbers.c.phone_number_sid == incoming_numbers.c.sid,
).join(
    campaigns,
    campaigns.c.messaging_service_sid == messaging_service_numbers.c.service_sid,
)


def is_registered_sender(conn: Connection, account_sid: str, from_number: str) -> bool:
    """True when the account's number ``from_number`` (E.164) is in a Messaging Service whose
    campaign is VERIFIED: a sender US carriers accept A2P 10DLC traffic from.

    It reads the stored outcomes; call :func:`settle` first so reviews that came due count.
    """
    row = conn.execute(
        select(campaigns.c.sid)
        .select_from(_SENDER_CAMPAIGNS)
        .where(incoming_numbers.c.account_sid == account_sid)
        .where(incoming_numbers.c.phone_number == from_number)
        .where(campaigns.c.campaign_status == "VERIFIED")
        .limit(1)
    ).first()
    return row is not None


@dataclass(frozen=True, slots=True)
class Registration:
    """What registers a sender: its service's campaign and that campaign's brand."""

    campaign_status: str
    brand_sid: str
    brand_type: str | None
    brand_score: int | None


def registrations(
    conn: Connection, senders: set[tuple[str, str]], now: int, delay: int
) -> dict[tuple[str, str], Registration | None]:
    """For each ``(account SID, number)``, the campaign of the service whose pool holds the
    number and its brand (None: no campaign covers it), after settling the reviews that came
    due. Accounts with no campaign at all cost one query together."""
    if not senders:
        return {}
    accounts = sorted({account for account, _ in senders})
    with_campaigns = set(
        conn.execute(
            select(campaigns.c.account_sid).where(campaigns.c.account_sid.in_(accounts)).distinct()
        ).scalars()
    )
    found: dict[tuple[str, str], Registration | None] = dict.fromkeys(senders)
    for account in with_campaigns:
        settle(conn, account, now, delay)
        numbers = [number for acct, number in senders if acct == account]
        rows = conn.execute(
            select(
                incoming_numbers.c.phone_number,
                campaigns.c.campaign_status,
                brands.c.sid,
                brands.c.brand_type,
                brands.c.brand_score,
            )
            .select_from(
                _SENDER_CAMPAIGNS.join(brands, brands.c.sid == campaigns.c.brand_registration_sid)
            )
            .where(incoming_numbers.c.account_sid == account)
            .where(incoming_numbers.c.phone_number.in_(numbers))
        )
        for number, status, brand_sid, brand_type, score in rows:
            found[(account, number)] = Registration(status, brand_sid, brand_type, score)
    return found


def sent_today(conn: Connection, brand_sids: list[str], day: int) -> dict[str, int]:
    """What each brand's campaigns have used of their daily limit on ``day`` (SMS segments and
    MMS messages, :func:`~telephonist.domain.a2p.daily_units`)."""
    if not brand_sids:
        return {}
    rows = conn.execute(
        select(daily.c.brand_sid, daily.c.sent)
        .where(daily.c.brand_sid.in_(brand_sids))
        .where(daily.c.day == day)
    )
    return {str(brand): int(sent) for brand, sent in rows}


def count_sent(conn: Connection, brand_sid: str, day: int, sent: int) -> None:
    """``sent`` more of the brand's daily limit used on ``day``."""
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(
        upsert(daily)
        .values(brand_sid=brand_sid, day=day, sent=sent)
        .on_conflict_do_update(
            index_elements=[daily.c.brand_sid, daily.c.day],
            set_={"sent": daily.c.sent + sent},
        )
    )


def campaign_rate(
    conn: Connection, account_sid: str, sender: str, now: int, delay: int
) -> tuple[str, float] | None:
    """The verified campaign that registers the account's number ``sender`` and its carrier
    throughput (the AT&T messages per second of its ``rate_limits``), after settling the
    reviews that came due; None when none does."""
    settle(conn, account_sid, now, delay)
    row = conn.execute(
        select(campaigns.c.sid, campaigns.c.rate_limits)
        .select_from(_SENDER_CAMPAIGNS)
        .where(incoming_numbers.c.account_sid == account_sid)
        .where(incoming_numbers.c.phone_number == sender)
        .where(campaigns.c.campaign_status == "VERIFIED")
        .limit(1)
    ).first()
    if row is None:
        return None
    mps = json.loads(row.rate_limits or "{}").get("att", {}).get("mps")
    return (str(row.sid), float(mps)) if mps else None
