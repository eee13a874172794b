"""A2P 10DLC through the official Python SDK, on a real manual-clock server over loopback: the
usual flow of ``client.trusthub.v1`` (customer profile, trust product) then
``client.messaging.v1`` (brand registration, campaign), with the review decided by advancing
the clock. Every response is validated against the TrustHub or messaging v1 description."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.conftest import sdk_client
from tests.contract.oracle import Spec
from tests.e2e.conftest import Sim

POLICY = "RN806dd6cd175f314e1f96a9727ee271f4"
REVIEW = 60
FLOW = "Customers opt in on the checkout page by ticking a box that asks for text updates."
SAMPLES = ["Your order 1234 has shipped and arrives Tuesday.", "Your order 1234 was delivered."]


def subaccount(sim: Sim, spec: Spec, name: str) -> Client:
    sub = sim.client.api.accounts.create(friendly_name=name)
    return sdk_client(sim.server, spec, sub.sid, sub.auth_token)


def approved_bundles(sim: Sim, client: Client, name: str = "Acme Inc") -> tuple[str, str]:
    """A customer profile and an A2P trust product, submitted and approved."""
    trusthub = client.trusthub.v1
    profile = trusthub.customer_profiles.create(
        friendly_name=name, email="ops@acme.test", policy_sid=POLICY
    )
    assert profile.sid.startswith("BU") and profile.status == "draft"
    submitted = trusthub.customer_profiles(profile.sid).update(status="pending-review")
    assert submitted.status == "pending-review"
    product = trusthub.trust_products.create(
        friendly_name=f"{name} A2P", email="ops@acme.test", policy_sid=POLICY
    )
    trusthub.trust_products(product.sid).update(status="pending-review")
    sim.advance(REVIEW)
    assert trusthub.customer_profiles(profile.sid).fetch().status == "twilio-approved"
    assert trusthub.trust_products(product.sid).fetch().status == "twilio-approved"
    assert [p.sid for p in trusthub.customer_profiles.list()] == [profile.sid]
    return profile.sid, product.sid


def test_the_usual_a2p_flow(sim: Sim, spec: Spec) -> None:
    """profile and trust product → brand → service with a number → campaign → VERIFIED."""
    client = subaccount(sim, spec, "a2p")
    profile, product = approved_bundles(sim, client)
    messaging = client.messaging.v1

    brand = messaging.brand_registrations.create(
        customer_profile_bundle_sid=profile, a2p_profile_bundle_sid=product
    )
    assert brand.sid.startswith("BN") and brand.status == "PENDING"
    assert brand.customer_profile_bundle_sid == profile and brand.brand_score is None
    assert brand.date_created is not None and brand.date_created.year >= 2024

    service = messaging.services.create(friendly_name="shop")
    number = client.incoming_phone_numbers.create(area_code="415")
    messaging.services(service.sid).phone_numbers.create(phone_number_sid=number.sid)
    usecases = messaging.services(service.sid).us_app_to_person_usecases.fetch(
        brand_registration_sid=brand.sid
    )
    assert "DELIVERY_NOTIFICATION" in [u["code"] for u in usecases.us_app_to_person_usecases]
    assert "marketing" in [u["usecase"] for u in messaging.usecases.fetch().usecases]

    campaign = messaging.services(service.sid).us_app_to_person.create(
        brand_registration_sid=brand.sid,
        description="Order and delivery notifications for customers of the shop.",
        message_flow=FLOW,
        message_samples=SAMPLES,
        us_app_to_person_usecase="DELIVERY_NOTIFICATION",
        has_embedded_links=False,
        has_embedded_phone=False,
    )
    assert campaign.sid.startswith("QE") and campaign.campaign_status == "IN_PROGRESS"
    assert campaign.message_samples == SAMPLES
    assert messaging.services(service.sid).fetch().us_app_to_person_registered is False

    sim.advance(REVIEW)
    approved = messaging.brand_registrations(brand.sid).fetch()
    assert approved.status == "APPROVED" and approved.brand_score == 75
    assert approved.identity_status == "VETTED_VERIFIED" and approved.tcr_id
    assert [b.sid for b in messaging.brand_registrations.list()] == [brand.sid]
    verified = messaging.services(service.sid).us_app_to_person(campaign.sid).fetch()
    assert verified.campaign_status == "VERIFIED" and verified.campaign_id
    assert verified.rate_limits["att"]["msg_class"] == "A"
    listed = messaging.services(service.sid).us_app_to_person.list()
    assert [c.sid for c in listed] == [campaign.sid]
    assert messaging.services(service.sid).fetch().us_app_to_person_registered is True

    assert messaging.services(service.sid).us_app_to_person(campaign.sid).delete() is True
    assert messaging.services(service.sid).fetch().us_app_to_person_registered is False


def test_failures_reach_the_sdk(sim: Sim, spec: Spec) -> None:
    """A brand on a mismatched profile FAILS, is resubmitted with update() (202); a campaign
    for a missing brand is 21717; a second campaign on a service is 20409."""
    client = subaccount(sim, spec, "a2p-failures")
    profile, product = approved_bundles(sim, client, "Acme mismatch")
    messaging = client.messaging.v1
    brand = messaging.brand_registrations.create(
        customer_profile_bundle_sid=profile, a2p_profile_bundle_sid=product
    )
    sim.advance(REVIEW)
    failed = messaging.brand_registrations(brand.sid).fetch()
    assert failed.status == "FAILED" and failed.failure_reason
    assert failed.errors and failed.errors[0]["code"] == 30894
    resubmitted = messaging.brand_registrations(brand.sid).update()
    assert resubmitted.status == "PENDING"

    service = messaging.services.create(friendly_name="failures")
    campaigns = messaging.services(service.sid).us_app_to_person
    params = {
        "description": "Order and delivery notifications for customers of the shop.",
        "message_flow": FLOW,
        "message_samples": SAMPLES,
        "us_app_to_person_usecase": "DELIVERY_NOTIFICATION",
        "has_embedded_links": False,
        "has_embedded_phone": False,
    }
    with pytest.raises(TwilioRestException) as caught:
        campaigns.create(brand_registration_sid="BN" + "0" * 32, **params)
    assert caught.value.status == 400 and caught.value.code == 21717
    campaigns.create(brand_registration_sid=brand.sid, **params)
    with pytest.raises(TwilioRestException) as caught:
        campaigns.create(brand_registration_sid=brand.sid, **params)
    assert caught.value.status == 409 and caught.value.code == 20409
