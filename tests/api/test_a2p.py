"""A2P 10DLC in process: TrustHub bundles, brand registrations, campaigns and use cases; their
validation codes, isolation between accounts, and the review on the manual clock.

Every response is validated against the TrustHub or messaging v1 description by the ``api``
client. Each test works in a fresh subaccount, and review is measured from each record's own
submission, so advancing the shared clock decides only what a test means to decide.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from telephonist.api.context import Context
from telephonist.domain.sids import new_sid
from telephonist.storage.repositories import a2p as a2p_repo
from tests.api.conftest import BASE_URL, Api
from tests.api.test_error_shape import assert_twilio_error

pytestmark = pytest.mark.anyio

CP = "/v1/CustomerProfiles"
TP = "/v1/TrustProducts"
BRANDS = "/v1/a2p/BrandRegistrations"
POLICY = "RN806dd6cd175f314e1f96a9727ee271f4"
REVIEW = 60  # the default a2p_review_seconds
FLOW = "Customers opt in on the checkout page by ticking a box that asks for text updates."
SAMPLES = ["Your order 1234 has shipped and arrives Tuesday.", "Your order 1234 was delivered."]
CAMPAIGN = {
    "Description": "Order and delivery notifications for customers of the shop.",
    "MessageFlow": FLOW,
    "MessageSamples": SAMPLES,
    "UsAppToPersonUsecase": "DELIVERY_NOTIFICATION",
    "HasEmbeddedLinks": "false",
    "HasEmbeddedPhone": "false",
}


UPDATE = {
    **{k: v for k, v in CAMPAIGN.items() if k != "UsAppToPersonUsecase"},
    "AgeGated": "false",
    "DirectLending": "false",
}


async def advance(api: Api, seconds: float) -> None:
    response = await api.http.post("/telephonist/v1/Clock", data={"Advance": str(seconds)})
    assert response.status_code == 200, response.text


async def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def bundle(
    http: httpx.AsyncClient, root: str = CP, name: str = "Acme Inc", submit: bool = True
) -> str:
    body = await created(
        await http.post(
            root, data={"FriendlyName": name, "Email": "ops@acme.test", "PolicySid": POLICY}
        )
    )
    if submit:
        response = await http.post(f"{root}/{body['sid']}", data={"Status": "pending-review"})
        assert response.json()["status"] == "pending-review", response.text
    return str(body["sid"])


async def brand(
    api: Api,
    http: httpx.AsyncClient,
    profile_name: str = "Acme Inc",
    product_name: str = "Acme A2P",
    submit: bool = True,
    **params: str,
) -> str:
    """A brand on a fresh profile and trust product, submitted (and, after the review, decided
    on) unless ``submit`` is false; nothing is reviewed until the clock moves."""
    profile = await bundle(http, CP, profile_name, submit)
    product = await bundle(http, TP, product_name, submit)
    await advance(api, REVIEW)
    body = await created(
        await http.post(
            BRANDS,
            data={"CustomerProfileBundleSid": profile, "A2PProfileBundleSid": product, **params},
        )
    )
    assert body["status"] == "PENDING"
    return str(body["sid"])


async def service(http: httpx.AsyncClient, name: str = "svc") -> str:
    return str((await created(await http.post("/v1/Services", data={"FriendlyName": name})))["sid"])


def usa2p(service_sid: str) -> str:
    return f"/v1/Services/{service_sid}/Compliance/Usa2p"


async def approved_brand(api: Api, http: httpx.AsyncClient, **params: str) -> str:
    sid = await brand(api, http, **params)
    await advance(api, REVIEW)
    assert (await http.get(f"{BRANDS}/{sid}")).json()["status"] == "APPROVED"
    return sid


# -- TrustHub ------------------------------------------------------------------------------------


async def test_customer_profile_lifecycle(api: Api) -> None:
    """create (a draft), fetch, list with filters, update, delete: the spec's fields."""
    sid, token = await api.subaccount()
    async with api.client((sid, token)) as http:
        body = await created(
            await http.post(
                CP,
                data={
                    "FriendlyName": "Acme Inc",
                    "Email": "ops@acme.test",
                    "PolicySid": POLICY,
                    "StatusCallback": "https://example.com/cp",
                },
            )
        )
        bu = body["sid"]
        assert bu.startswith("BU") and body["account_sid"] == sid
        assert body["status"] == "draft" and body["errors"] is None
        assert body["valid_until"] is None and body["policy_sid"] == POLICY
        assert body["status_callback"] == "https://example.com/cp"
        assert body["url"] == f"{BASE_URL}{CP}/{bu}"
        assert body["links"]["customer_profiles_evaluations"] == f"{BASE_URL}{CP}/{bu}/Evaluations"
        assert (await http.get(f"{CP}/{bu}")).json() == body
        other = await bundle(http, CP, "Other", submit=False)
        listed = (await http.get(CP)).json()
        assert listed["meta"]["key"] == "results"
        assert sorted(r["sid"] for r in listed["results"]) == sorted([bu, other])
        only = (await http.get(CP, params={"FriendlyName": "Other"})).json()["results"]
        assert [r["sid"] for r in only] == [other]
        assert (await http.get(CP, params={"Status": "twilio-approved"})).json()["results"] == []
        updated = (await http.post(f"{CP}/{bu}", data={"FriendlyName": "Acme Corp"})).json()
        assert updated["friendly_name"] == "Acme Corp" and updated["status"] == "draft"
        assert (await http.delete(f"{CP}/{bu}")).status_code == 204
        assert_twilio_error(await http.get(f"{CP}/{bu}"), 404, 20404)
        assert_twilio_error(await http.delete(f"{CP}/{bu}"), 404, 20404)


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"Email": "a@b.test", "PolicySid": POLICY}, 20001),
        ({"FriendlyName": "x", "PolicySid": POLICY}, 20001),
        ({"FriendlyName": "x", "Email": "a@b.test"}, 20001),
        ({"FriendlyName": "x", "Email": "a@b.test", "PolicySid": "RN123"}, 20422),
        ({"FriendlyName": "x", "Email": "not an email", "PolicySid": POLICY}, 20422),
        (
            {"FriendlyName": "x", "Email": "a@b.test", "PolicySid": POLICY, "StatusCallback": "x"},
            21205,
        ),
    ],
)
@pytest.mark.parametrize("root", [CP, TP])
async def test_bundle_create_refuses(api: Api, root: str, form: dict[str, str], code: int) -> None:
    assert_twilio_error(await api.http.post(root, data=form), 400, code)


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"Status": "approved-please"}, 22203),
        ({"Status": "pending-review", "FriendlyName": "both"}, 22204),
        ({"Status": "twilio-approved"}, 20422),
        ({"FriendlyName": ""}, 20002),
    ],
)
async def test_bundle_update_refuses(api: Api, form: dict[str, str], code: int) -> None:
    sid = await bundle(api.http, CP, "update-refused", submit=False)
    assert_twilio_error(await api.http.post(f"{CP}/{sid}", data=form), 400, code)
    assert (await api.http.get(f"{CP}/{sid}")).json()["status"] == "draft"


@pytest.mark.parametrize("root", [CP, TP])
async def test_bundle_review_approves_after_the_delay(api: Api, root: str) -> None:
    """pending-review until the delay has passed on the clock, then twilio-approved."""
    async with api.client(await api.subaccount()) as http:
        sid = await bundle(http, root, "Acme Inc")
        await advance(api, REVIEW - 1)
        assert (await http.get(f"{root}/{sid}")).json()["status"] == "pending-review"
        await advance(api, 1)
        body = (await http.get(f"{root}/{sid}")).json()
        assert body["status"] == "twilio-approved" and body["errors"] == []
        assert body["valid_until"] is not None
        listed = (await http.get(root, params={"Status": "twilio-approved"})).json()["results"]
        assert [r["sid"] for r in listed] == [sid]


async def test_bundle_review_rejects_and_can_be_resubmitted(api: Api) -> None:
    async with api.client(await api.subaccount()) as http:
        sid = await bundle(http, CP, "Please reject me")
        await advance(api, REVIEW)
        body = (await http.get(f"{CP}/{sid}")).json()
        assert body["status"] == "twilio-rejected" and body["valid_until"] is None
        assert [e["code"] for e in body["errors"]] == [22214]
        # A rejected bundle is fixed, then submitted again.
        await http.post(f"{CP}/{sid}", data={"FriendlyName": "Acme Inc"})
        again = (await http.post(f"{CP}/{sid}", data={"Status": "pending-review"})).json()
        assert again["status"] == "pending-review" and again["errors"] is None
        await advance(api, REVIEW)
        assert (await http.get(f"{CP}/{sid}")).json()["status"] == "twilio-approved"


async def test_a_trust_product_is_not_a_customer_profile(api: Api) -> None:
    sid = await bundle(api.http, TP, "product", submit=False)
    assert (await api.http.get(f"{TP}/{sid}")).json()["links"]["trust_products_evaluations"]
    assert_twilio_error(await api.http.get(f"{CP}/{sid}"), 404, 20404)
    assert sid not in [r["sid"] for r in (await api.http.get(CP)).json()["results"]]


# -- Brand registrations -------------------------------------------------------------------------


async def test_brand_create_fetch_list(api: Api) -> None:
    sid, token = await api.subaccount()
    async with api.client((sid, token)) as http:
        bn = await brand(api, http, Mock="true")
        body = (await http.get(f"{BRANDS}/{bn}")).json()
        assert bn.startswith("BN") and body["account_sid"] == sid
        assert body["brand_type"] == "STANDARD" and body["mock"] is True
        assert body["skip_automatic_sec_vet"] is False
        assert body["identity_status"] == "UNVERIFIED" and body["brand_score"] is None
        assert body["tcr_id"] is None and body["errors"] == [] and body["failure_reason"] is None
        assert body["url"] == f"{BASE_URL}{BRANDS}/{bn}"
        assert body["links"]["brand_vettings"] == f"{BASE_URL}{BRANDS}/{bn}/Vettings"
        listed = (await http.get(BRANDS)).json()
        assert listed["meta"]["key"] == "data" and [b["sid"] for b in listed["data"]] == [bn]


async def test_brand_create_refuses(api: Api) -> None:
    profile = await bundle(api.http, CP, "brand-refusals", submit=False)
    product = await bundle(api.http, TP, "brand-refusals", submit=False)
    good = {"CustomerProfileBundleSid": profile, "A2PProfileBundleSid": product}
    for form, status, code in [
        ({"A2PProfileBundleSid": product}, 400, 20001),
        ({"CustomerProfileBundleSid": profile}, 400, 20001),
        ({**good, "CustomerProfileBundleSid": "BU1"}, 400, 20422),
        ({**good, "BrandType": "STARTER"}, 400, 20422),
        ({**good, "Mock": "perhaps"}, 400, 20422),
        ({**good, "CustomerProfileBundleSid": new_sid("BU")}, 404, 20404),
        # Each SID must name its own kind of bundle.
        ({"CustomerProfileBundleSid": product, "A2PProfileBundleSid": profile}, 404, 20404),
    ]:
        assert_twilio_error(await api.http.post(BRANDS, data=form), status, code)


@pytest.mark.parametrize(
    ("params", "identity", "score"),
    [
        ({}, "VETTED_VERIFIED", 75),
        ({"SkipAutomaticSecVet": "true"}, "VERIFIED", 42),
        ({"BrandType": "SOLE_PROPRIETOR"}, "VERIFIED", None),
    ],
)
async def test_brand_approved_after_review(
    api: Api, params: dict[str, str], identity: str, score: int | None
) -> None:
    async with api.client(await api.subaccount()) as http:
        bn = await brand(api, http, **params)
        await advance(api, REVIEW - 1)
        assert (await http.get(f"{BRANDS}/{bn}")).json()["status"] == "PENDING"
        await advance(api, 1)
        body = (await http.get(f"{BRANDS}/{bn}")).json()
        assert body["status"] == "APPROVED" and body["identity_status"] == identity
        assert body["brand_score"] == score and body["errors"] == []
        assert body["tcr_id"] == "B" + bn[2:8].upper()


@pytest.mark.parametrize(
    ("kwargs", "field", "feedback"),
    [
        ({"submit": False}, "customer_profile_bundle_sid", None),
        ({"product_name": "reject this product"}, "a2p_profile_bundle_sid", None),
        ({"profile_name": "Acme mismatch LLC"}, "friendly_name", ["TAX_ID"]),
    ],
)
async def test_brand_fails_by_rule(
    api: Api, kwargs: dict[str, Any], field: str, feedback: list[str] | None
) -> None:
    async with api.client(await api.subaccount()) as http:
        bn = await brand(api, http, **kwargs)
        await advance(api, REVIEW)
        body = (await http.get(f"{BRANDS}/{bn}")).json()
        assert body["status"] == "FAILED" and body["identity_status"] == "UNVERIFIED"
        assert field in [f for e in body["errors"] for f in e["fields"]]
        assert {e["code"] for e in body["errors"]} == {30894}
        assert body["failure_reason"] and body["brand_score"] is None and body["tcr_id"] is None
        assert body["brand_feedback"] == feedback


async def test_a_failed_brand_is_resubmitted(api: Api) -> None:
    """Update is a resubmission (202), refused (21725) unless the brand FAILED."""
    async with api.client(await api.subaccount()) as http:
        bn = await brand(api, http, submit=False)
        assert_twilio_error(await http.post(f"{BRANDS}/{bn}"), 400, 21725)
        await advance(api, REVIEW)
        assert (await http.get(f"{BRANDS}/{bn}")).json()["status"] == "FAILED"
        body = (await http.get(f"{BRANDS}/{bn}")).json()
        for root, sid in (
            (CP, body["customer_profile_bundle_sid"]),
            (TP, body["a2p_profile_bundle_sid"]),
        ):
            await http.post(f"{root}/{sid}", data={"Status": "pending-review"})
        await advance(api, REVIEW)
        response = await http.post(f"{BRANDS}/{bn}")
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "PENDING" and response.json()["errors"] == []
        await advance(api, REVIEW)
        assert (await http.get(f"{BRANDS}/{bn}")).json()["status"] == "APPROVED"


async def test_a_bundle_a_brand_names_is_not_deleted(api: Api) -> None:
    async with api.client(await api.subaccount()) as http:
        bn = await brand(api, http)
        profile = (await http.get(f"{BRANDS}/{bn}")).json()["customer_profile_bundle_sid"]
        assert_twilio_error(await http.delete(f"{CP}/{profile}"), 400, 21647)
        assert (await http.get(f"{CP}/{profile}")).status_code == 200


# -- Campaigns -----------------------------------------------------------------------------------


async def test_campaign_create_fetch_list_delete(api: Api) -> None:
    sid, token = await api.subaccount()
    async with api.client((sid, token)) as http:
        bn = await approved_brand(api, http)
        mg = await service(http)
        body = await created(
            await http.post(usa2p(mg), data={**CAMPAIGN, "BrandRegistrationSid": bn})
        )
        qe = body["sid"]
        assert qe.startswith("QE") and body["account_sid"] == sid
        assert body["messaging_service_sid"] == mg and body["brand_registration_sid"] == bn
        assert body["campaign_status"] == "IN_PROGRESS" and body["campaign_id"] is None
        assert body["message_samples"] == SAMPLES and body["message_flow"] == FLOW
        assert body["us_app_to_person_usecase"] == "DELIVERY_NOTIFICATION"
        assert body["has_embedded_links"] is False and body["errors"] == []
        assert body["opt_out_keywords"] == [
            "STOP",
            "STOPALL",
            "UNSUBSCRIBE",
            "CANCEL",
            "END",
            "QUIT",
        ]
        assert body["help_keywords"] == ["HELP", "INFO"] and body["opt_in_keywords"] is None
        assert body["url"] == f"{BASE_URL}{usa2p(mg)}/{qe}"
        assert (await http.get(f"{usa2p(mg)}/{qe}")).json() == body
        listed = (await http.get(usa2p(mg))).json()
        assert listed["meta"]["key"] == "compliance" and [
            c["sid"] for c in listed["compliance"]
        ] == [qe]
        assert (await http.delete(f"{usa2p(mg)}/{qe}")).status_code == 204
        assert_twilio_error(await http.get(f"{usa2p(mg)}/{qe}"), 404, 20404)
        assert_twilio_error(await http.delete(f"{usa2p(mg)}/{qe}"), 404, 20404)
        assert (await http.get(usa2p(mg))).json()["compliance"] == []


async def test_campaign_create_refuses(api: Api) -> None:
    async with api.client(await api.subaccount()) as http:
        bn = await brand(api, http)
        mg = await service(http)
        good = {**CAMPAIGN, "BrandRegistrationSid": bn}
        for form, status, code in [
            ({k: v for k, v in good.items() if k != "MessageSamples"}, 400, 21727),
            ({k: v for k, v in good.items() if k != "BrandRegistrationSid"}, 400, 21727),
            ({k: v for k, v in good.items() if k != "HasEmbeddedPhone"}, 400, 21727),
            ({**good, "Description": "x" * 4097}, 400, 21728),
            ({**good, "MessageSamples": ["a sample that is long enough"] * 6}, 400, 21728),
            ({**good, "OptOutMessage": "x" * 321}, 400, 21728),
            ({**good, "UsAppToPersonUsecase": "SPAM"}, 400, 21720),
            ({**good, "HasEmbeddedLinks": "sometimes"}, 400, 20422),
            ({**good, "BrandRegistrationSid": new_sid("BN")}, 400, 21717),
            ({**good, "BrandRegistrationSid": "BN-not-a-sid"}, 400, 21717),
        ]:
            assert_twilio_error(await http.post(usa2p(mg), data=form), status, code)
        assert_twilio_error(await http.post(usa2p(new_sid("MG")), data=good), 404, 20404)
        assert (await http.get(usa2p(mg))).json()["compliance"] == []


async def test_one_campaign_per_service(api: Api) -> None:
    async with api.client(await api.subaccount()) as http:
        bn = await brand(api, http)
        mg = await service(http)
        first = await created(
            await http.post(usa2p(mg), data={**CAMPAIGN, "BrandRegistrationSid": bn})
        )
        again = await http.post(usa2p(mg), data={**CAMPAIGN, "BrandRegistrationSid": bn})
        assert_twilio_error(again, 409, 20409)
        other = await service(http, "other")
        await created(await http.post(usa2p(other), data={**CAMPAIGN, "BrandRegistrationSid": bn}))
        # Deleting the campaign frees the service for a new one.
        await http.delete(f"{usa2p(mg)}/{first['sid']}")
        await created(await http.post(usa2p(mg), data={**CAMPAIGN, "BrandRegistrationSid": bn}))


@pytest.mark.parametrize(
    ("brand_params", "changes", "code", "field"),
    [
        ({}, {"MessageSamples": ["Only one sample here, long enough."]}, 30893, "message_samples"),
        ({}, {"MessageSamples": ["short", SAMPLES[0]]}, 30893, "message_samples"),
        ({}, {"Description": "Too short a description."}, 30886, "description"),
        ({}, {"MessageFlow": "Users opt in."}, 30896, "message_flow"),
        ({}, {"OptInKeywords": "START"}, 30896, "opt_in_message"),
        ({"BrandType": "SOLE_PROPRIETOR"}, {}, 21720, "us_app_to_person_usecase"),
        ({}, {"UsAppToPersonUsecase": "SOLE_PROPRIETOR"}, 21720, "us_app_to_person_usecase"),
        ({"profile_name": "mismatch"}, {}, 21717, "brand_registration_sid"),
    ],
)
async def test_campaign_fails_by_rule(
    api: Api, brand_params: dict[str, str], changes: dict[str, Any], code: int, field: str
) -> None:
    async with api.client(await api.subaccount()) as http:
        bn = await brand(api, http, **brand_params)
        mg = await service(http)
        body = await created(
            await http.post(usa2p(mg), data={**CAMPAIGN, "BrandRegistrationSid": bn, **changes})
        )
        await advance(api, REVIEW)
        campaign = (await http.get(f"{usa2p(mg)}/{body['sid']}")).json()
        assert campaign["campaign_status"] == "FAILED" and campaign["campaign_id"] is None
        assert [(e["code"], e["fields"]) for e in campaign["errors"]] == [(code, [field])]
        assert (await http.get(f"/v1/Services/{mg}")).json()["us_app_to_person_registered"] is False


@pytest.mark.parametrize(
    ("brand_params", "usecase", "tier"),
    [
        ({}, "DELIVERY_NOTIFICATION", "TOP"),
        ({"SkipAutomaticSecVet": "true"}, "MARKETING", "LOW"),
        ({"BrandType": "SOLE_PROPRIETOR"}, "SOLE_PROPRIETOR", "LOW"),
    ],
)
async def test_campaign_verified_registers_the_service(
    api: Api, brand_params: dict[str, str], usecase: str, tier: str
) -> None:
    """VERIFIED after the delay: a TCR campaign ID, rate limits from the brand score, and the
    service reports us_app_to_person_registered; its pool numbers are registered senders."""
    sid, token = await api.subaccount()
    async with api.client((sid, token)) as http:
        number = await http.post(
            api.path("IncomingPhoneNumbers.json", sid), data={"AreaCode": "415"}
        )
        phone, pn = number.json()["phone_number"], number.json()["sid"]
        mg = await service(http)
        await created(
            await http.post(f"/v1/Services/{mg}/PhoneNumbers", data={"PhoneNumberSid": pn})
        )
        bn = await brand(api, http, **brand_params)
        form = {**CAMPAIGN, "BrandRegistrationSid": bn, "UsAppToPersonUsecase": usecase}
        body = await created(await http.post(usa2p(mg), data=form))
        ctx: Context = api.transport.app.state.ctx  # type: ignore[attr-defined]
        await advance(api, REVIEW - 1)
        assert (await http.get(f"{usa2p(mg)}/{body['sid']}")).json()[
            "campaign_status"
        ] == "IN_PROGRESS"
        assert (await http.get(f"/v1/Services/{mg}")).json()["us_app_to_person_registered"] is False
        assert not await ctx.db.read(a2p_repo.is_registered_sender, sid, phone)
        await advance(api, 1)
        services = (await http.get("/v1/Services")).json()["services"]
        assert [s["us_app_to_person_registered"] for s in services] == [True]
        campaign = (await http.get(f"{usa2p(mg)}/{body['sid']}")).json()
        assert campaign["campaign_status"] == "VERIFIED" and campaign["errors"] == []
        assert campaign["campaign_id"] == "C" + body["sid"][2:8].upper()
        assert campaign["rate_limits"]["tmobile"]["brand_tier"] == tier
        assert (await http.get(f"/v1/Services/{mg}")).json()["us_app_to_person_registered"] is True
        assert await ctx.db.read(a2p_repo.is_registered_sender, sid, phone)
        # Only the account's own number, only in that service.
        assert not await ctx.db.read(a2p_repo.is_registered_sender, api.account_sid, phone)
        assert not await ctx.db.read(a2p_repo.is_registered_sender, sid, "+15005550006")
        await http.delete(f"{usa2p(mg)}/{body['sid']}")
        assert (await http.get(f"/v1/Services/{mg}")).json()["us_app_to_person_registered"] is False
        assert not await ctx.db.read(a2p_repo.is_registered_sender, sid, phone)


async def test_a_failed_campaign_is_updated_back_into_review(api: Api) -> None:
    async with api.client(await api.subaccount()) as http:
        bn = await brand(api, http)
        mg = await service(http)
        form = {**CAMPAIGN, "BrandRegistrationSid": bn, "Description": "Too short."}
        qe = (await created(await http.post(usa2p(mg), data=form)))["sid"]
        await advance(api, REVIEW)
        assert (await http.get(f"{usa2p(mg)}/{qe}")).json()["campaign_status"] == "FAILED"
        missing = {k: v for k, v in UPDATE.items() if k != "AgeGated"}
        assert_twilio_error(await http.post(f"{usa2p(mg)}/{qe}", data=missing), 400, 21727)
        body = (await http.post(f"{usa2p(mg)}/{qe}", data=UPDATE)).json()
        assert body["campaign_status"] == "IN_PROGRESS" and body["errors"] == []
        assert body["description"] == CAMPAIGN["Description"]
        await advance(api, REVIEW)
        assert (await http.get(f"{usa2p(mg)}/{qe}")).json()["campaign_status"] == "VERIFIED"


async def test_deleting_a_service_deletes_its_campaign(api: Api) -> None:
    async with api.client(await api.subaccount()) as http:
        bn = await brand(api, http)
        mg = await service(http)
        await created(await http.post(usa2p(mg), data={**CAMPAIGN, "BrandRegistrationSid": bn}))
        assert (await http.delete(f"/v1/Services/{mg}")).status_code == 204
        assert_twilio_error(await http.get(usa2p(mg)), 404, 20404)


# -- Use cases -----------------------------------------------------------------------------------


async def test_usecases(api: Api) -> None:
    async with api.client(await api.subaccount()) as http:
        mg = await service(http)
        standard = await brand(api, http)
        sole = await brand(api, http, BrandType="SOLE_PROPRIETOR")
        path = f"{usa2p(mg)}/Usecases"
        every = (await http.get(path)).json()["us_app_to_person_usecases"]
        assert len(every) == 20 and every[0]["code"] == "2FA"
        assert {"code", "name", "description", "post_approval_required"} == set(every[0])
        with_brand = (await http.get(path, params={"BrandRegistrationSid": standard})).json()
        assert with_brand["us_app_to_person_usecases"] == every
        sole_cases = (await http.get(path, params={"BrandRegistrationSid": sole})).json()
        assert [u["code"] for u in sole_cases["us_app_to_person_usecases"]] == ["SOLE_PROPRIETOR"]
        response = await http.get(path, params={"BrandRegistrationSid": new_sid("BN")})
        assert_twilio_error(response, 400, 21717)
        assert_twilio_error(await http.get(f"{usa2p(new_sid('MG'))}/Usecases"), 404, 20404)
        service_cases = (await http.get("/v1/Services/Usecases")).json()["usecases"]
        assert [u["usecase"] for u in service_cases] == [
            "notifications",
            "marketing",
            "verification",
            "discussion",
            "poll",
            "undeclared",
        ]


# -- Isolation -----------------------------------------------------------------------------------


async def test_another_accounts_records_are_404(api: Api) -> None:
    """Bundles, brands and campaigns of one account are missing to another, in every verb."""
    async with api.client(await api.subaccount("owner")) as owner:
        profile = await bundle(owner, CP, "mine", submit=False)
        product = await bundle(owner, TP, "mine", submit=False)
        bn = await brand(api, owner)
        mg = await service(owner)
        qe = (
            await created(
                await owner.post(usa2p(mg), data={**CAMPAIGN, "BrandRegistrationSid": bn})
            )
        )["sid"]
    async with api.client(await api.subaccount("stranger")) as stranger:
        for path in (f"{CP}/{profile}", f"{TP}/{product}", f"{BRANDS}/{bn}", f"{usa2p(mg)}/{qe}"):
            assert_twilio_error(await stranger.get(path), 404, 20404)
            # A valid campaign update (other resources ignore its parameters).
            assert_twilio_error(await stranger.post(path, data=UPDATE), 404, 20404)
        for path in (f"{CP}/{profile}", f"{TP}/{product}", f"{usa2p(mg)}/{qe}"):
            assert_twilio_error(await stranger.delete(path), 404, 20404)
        assert (await stranger.get(CP)).json()["results"] == []
        assert (await stranger.get(TP)).json()["results"] == []
        assert (await stranger.get(BRANDS)).json()["data"] == []
        assert_twilio_error(await stranger.get(usa2p(mg)), 404, 20404)
        refused = await stranger.post(
            BRANDS, data={"CustomerProfileBundleSid": profile, "A2PProfileBundleSid": product}
        )
        assert_twilio_error(refused, 404, 20404)
        own = await service(stranger)
        form = {**CAMPAIGN, "BrandRegistrationSid": bn}
        assert_twilio_error(await stranger.post(usa2p(own), data=form), 400, 21717)
    # Not even the parent account: a v1 path names no account, the credentials' account acts.
    assert_twilio_error(await api.http.get(f"{CP}/{profile}"), 404, 20404)
