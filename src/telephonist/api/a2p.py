"""A2P 10DLC in messaging v1: brand registrations (``/v1/a2p/BrandRegistrations``), campaigns
(``/v1/Services/{sid}/Compliance/Usa2p``) and the use cases (``.../Usa2p/Usecases``,
``/v1/Services/Usecases``).

A brand is PENDING and a campaign IN_PROGRESS until the review delay has passed on the
server's clock; the first request after that stores the decision (:mod:`telephonist.domain.a2p`
has the rules). Nothing is enforced on sending yet.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from telephonist.api.forms import Form, query_form, read_form
from telephonist.api.paging import PageRequest, v1_listing_response
from telephonist.api.render import JSONResponse, iso8601
from telephonist.api.services import caller, missing
from telephonist.api.trusthub import review_delay, settle
from telephonist.domain import a2p as rules
from telephonist.domain.sids import is_sid, new_sid
from telephonist.errors import TwilioError, found, invalid_parameter, not_found
from telephonist.storage.repositories import a2p as repo
from telephonist.storage.repositories import messaging_services as services_repo

BRANDS = "/v1/a2p/BrandRegistrations"

# -- Brand registrations -------------------------------------------------------------------------


def brand_json(row: Any, base_url: str) -> dict[str, Any]:
    url = f"{base_url}{BRANDS}/{row['sid']}"
    feedback = row["brand_feedback"]
    return {
        "sid": row["sid"],
        "account_sid": row["account_sid"],
        "customer_profile_bundle_sid": row["customer_profile_bundle_sid"],
        "a2p_profile_bundle_sid": row["a2p_profile_bundle_sid"],
        "date_created": iso8601(row["date_created"]),
        "date_updated": iso8601(row["date_updated"]),
        "brand_type": row["brand_type"],
        "status": row["status"],
        "tcr_id": row["tcr_id"],
        "failure_reason": row["failure_reason"],
        "errors": json.loads(row["errors"]),
        "url": url,
        "brand_score": row["brand_score"],
        "brand_feedback": json.loads(feedback) if feedback is not None else None,
        "identity_status": row["identity_status"],
        # Public-company, government and non-profit data come from TCR: not modelled.
        "russell_3000": False,
        "government_entity": False,
        "tax_exempt_status": None,
        "skip_automatic_sec_vet": row["skip_automatic_sec_vet"],
        "mock": row["mock"],
        "links": {
            "brand_vettings": f"{url}/Vettings",
            "brand_registration_otps": f"{url}/SmsOtp",
        },
    }


def _bundle_sid(form: Form, param: str) -> str:
    sid = form.text(param)
    if sid is None:
        raise missing(param)
    if not is_sid(sid, "BU"):
        raise invalid_parameter(f"{param} {sid!r} is not a BU SID")
    return sid


async def create_brand(request: Request) -> Response:
    ctx, account_sid = await caller(request)
    form = await read_form(request, ctx.settings.max_body_bytes)
    profile_sid = _bundle_sid(form, "CustomerProfileBundleSid")
    product_sid = _bundle_sid(form, "A2PProfileBundleSid")
    brand_type = form.get("BrandType") or "STANDARD"
    if brand_type not in rules.BRAND_TYPES:
        raise invalid_parameter(
            f"BrandType must be one of {', '.join(rules.BRAND_TYPES)}; got {brand_type!r}"
        )
    mock = form.bool("Mock") or False
    skip = form.bool("SkipAutomaticSecVet") or False
    now = ctx.now_micros()
    row = {
        "sid": new_sid("BN"),
        "account_sid": account_sid,
        "customer_profile_bundle_sid": profile_sid,
        "a2p_profile_bundle_sid": product_sid,
        "brand_type": brand_type,
        "mock": mock,
        "skip_automatic_sec_vet": skip,
        "status": "PENDING",
        "submitted_at": now,
        "identity_status": "UNVERIFIED",
        "brand_score": None,
        "tcr_id": None,
        "failure_reason": None,
        "brand_feedback": None,
        "errors": "[]",
        "date_created": now,
        "date_updated": now,
    }

    def work(conn: Connection) -> None:
        # The account's own bundles only: another account's is as missing as none.
        found(
            repo.get_bundle(conn, account_sid, repo.CUSTOMER_PROFILE, profile_sid),
            f"/v1/CustomerProfiles/{profile_sid}",
        )
        found(
            repo.get_bundle(conn, account_sid, repo.TRUST_PRODUCT, product_sid),
            f"/v1/TrustProducts/{product_sid}",
        )
        repo.insert_brand(conn, row)

    await ctx.db.run(work)
    return JSONResponse(brand_json(row, ctx.settings.base_url), status_code=201)


async def list_brands(request: Request) -> Response:
    ctx, account_sid = await caller(request)
    page = PageRequest.from_query(query_form(request))
    await settle(ctx, account_sid)
    base_url = ctx.settings.base_url
    return await v1_listing_response(
        ctx.db,
        "data",
        repo.brand_listing(account_sid),
        page,
        render=lambda row: brand_json(row, base_url),
        base_url=base_url,
        path=request.url.path,
    )


async def fetch_brand(request: Request) -> Response:
    ctx, account_sid = await caller(request)
    sid = request.path_params["sid"]
    now, delay = ctx.now_micros(), review_delay(ctx)

    def work(conn: Connection) -> Any:
        repo.settle(conn, account_sid, now, delay)
        return found(repo.get_brand(conn, account_sid, sid), request.url.path)

    return JSONResponse(brand_json(await ctx.db.run(work), ctx.settings.base_url))


async def update_brand(request: Request) -> Response:
    """Resubmit a FAILED brand for review (Twilio's update takes no parameters): 202."""
    ctx, account_sid = await caller(request)
    sid = request.path_params["sid"]
    await read_form(request, ctx.settings.max_body_bytes)
    now, delay = ctx.now_micros(), review_delay(ctx)

    def work(conn: Connection) -> Any:
        repo.settle(conn, account_sid, now, delay)
        row = found(repo.get_brand(conn, account_sid, sid), request.url.path)
        if row["status"] != "FAILED":
            raise TwilioError(21725, f"The brand is {row['status']}; only a FAILED one is updated")
        values = {
            "status": "PENDING",
            "submitted_at": now,
            "identity_status": "UNVERIFIED",
            "failure_reason": None,
            "brand_feedback": None,
            "errors": "[]",
            "date_updated": now,
        }
        return repo.update_brand(conn, account_sid, sid, values)

    return JSONResponse(brand_json(await ctx.db.run(work), ctx.settings.base_url), 202)


# -- Campaigns (Usa2p) ---------------------------------------------------------------------------

REQUIRED = (
    "BrandRegistrationSid",
    "Description",
    "MessageFlow",
    "MessageSamples",
    "UsAppToPersonUsecase",
    "HasEmbeddedLinks",
    "HasEmbeddedPhone",
)
UPDATE_REQUIRED = (
    "HasEmbeddedLinks",
    "HasEmbeddedPhone",
    "MessageSamples",
    "MessageFlow",
    "Description",
    "AgeGated",
    "DirectLending",
)
MAX_LENGTHS = {
    "description": 4096,
    "message_flow": 2048,
    "opt_in_message": 320,
    "opt_out_message": 320,
    "help_message": 320,
}
MAX_SAMPLES = 5
MAX_SAMPLE = 1024
TEXT_FIELDS = {
    "Description": "description",
    "MessageFlow": "message_flow",
    "OptInMessage": "opt_in_message",
    "OptOutMessage": "opt_out_message",
    "HelpMessage": "help_message",
    "PrivacyPolicyUrl": "privacy_policy_url",
    "TermsAndConditionsUrl": "terms_and_conditions_url",
}
FLAG_FIELDS = {
    "HasEmbeddedLinks": "has_embedded_links",
    "HasEmbeddedPhone": "has_embedded_phone",
    "SubscriberOptIn": "subscriber_opt_in",
    "AgeGated": "age_gated",
    "DirectLending": "direct_lending",
}
LIST_FIELDS = {
    "MessageSamples": "message_samples",
    "OptInKeywords": "opt_in_keywords",
    "OptOutKeywords": "opt_out_keywords",
    "HelpKeywords": "help_keywords",
}
DEFAULT_CONFIG: dict[str, Any] = {
    "subscriber_opt_in": False,
    "age_gated": False,
    "direct_lending": False,
    "opt_in_message": None,
    "opt_out_message": (
        "You have successfully been unsubscribed. You will not receive any more messages from "
        "this number. Reply START to resubscribe."
    ),
    "help_message": "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
    "opt_in_keywords": None,
    "opt_out_keywords": ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"],
    "help_keywords": ["HELP", "INFO"],
    "privacy_policy_url": None,
    "terms_and_conditions_url": None,
}


def campaign_url(base_url: str, service_sid: str, sid: str) -> str:
    return f"{base_url}/v1/Services/{service_sid}/Compliance/Usa2p/{sid}"


def campaign_json(row: Any, base_url: str) -> dict[str, Any]:
    config = {**DEFAULT_CONFIG, **json.loads(row["config"])}
    return {
        "sid": row["sid"],
        "account_sid": row["account_sid"],
        "brand_registration_sid": row["brand_registration_sid"],
        "messaging_service_sid": row["messaging_service_sid"],
        "description": config["description"],
        "message_samples": config["message_samples"],
        "us_app_to_person_usecase": config["us_app_to_person_usecase"],
        "has_embedded_links": config["has_embedded_links"],
        "has_embedded_phone": config["has_embedded_phone"],
        "subscriber_opt_in": config["subscriber_opt_in"],
        "age_gated": config["age_gated"],
        "direct_lending": config["direct_lending"],
        "campaign_status": row["campaign_status"],
        "campaign_id": row["campaign_id"],
        "is_externally_registered": False,
        "rate_limits": json.loads(row["rate_limits"]),
        "message_flow": config["message_flow"],
        "opt_in_message": config["opt_in_message"],
        "opt_out_message": config["opt_out_message"],
        "help_message": config["help_message"],
        "opt_in_keywords": config["opt_in_keywords"],
        "opt_out_keywords": config["opt_out_keywords"],
        "help_keywords": config["help_keywords"],
        "privacy_policy_url": config["privacy_policy_url"],
        "terms_and_conditions_url": config["terms_and_conditions_url"],
        "date_created": iso8601(row["date_created"]),
        "date_updated": iso8601(row["date_updated"]),
        "url": campaign_url(base_url, row["messaging_service_sid"], row["sid"]),
        "mock": bool(config.get("mock", False)),
        "errors": json.loads(row["errors"]),
    }


def campaign_fields(form: Form, required: tuple[str, ...]) -> dict[str, Any]:
    """The campaign fields in the request: 21727 names the required ones absent, 21728 the
    values over Twilio's maximum lengths. Minimum lengths are the review's business."""
    absent = [p for p in required if not (form.getlist(p) if p in LIST_FIELDS else form.text(p))]
    if absent:
        raise TwilioError(21727, f"Missing required parameter(s): {', '.join(absent)}")
    fields: dict[str, Any] = {}
    for param, name in TEXT_FIELDS.items():
        if (value := form.get(param)) is not None:
            fields[name] = value
    for param, name in FLAG_FIELDS.items():
        if (flag := form.bool(param)) is not None:
            fields[name] = flag
    for param, name in LIST_FIELDS.items():
        if values := form.getlist(param):
            fields[name] = values
    too_long = [name for name, limit in MAX_LENGTHS.items() if len(fields.get(name) or "") > limit]
    samples = fields.get("message_samples", [])
    if len(samples) > MAX_SAMPLES or any(len(s) > MAX_SAMPLE for s in samples):
        too_long.append("message_samples")
    if too_long:
        raise TwilioError(21728, f"Over the maximum length: {', '.join(too_long)}")
    return fields


def _service_path(service_sid: str) -> str:
    return f"/v1/Services/{service_sid}"


async def create_campaign(request: Request) -> Response:
    ctx, account_sid = await caller(request)
    service_sid = request.path_params["service_sid"]
    form = await read_form(request, ctx.settings.max_body_bytes)
    fields = campaign_fields(form, REQUIRED)
    brand_sid = form.text("BrandRegistrationSid") or ""
    usecase = form.text("UsAppToPersonUsecase") or ""
    if usecase not in rules.usecase_codes():
        raise TwilioError(21720, f"UsAppToPersonUsecase {usecase!r} is not an A2P use case")
    fields["us_app_to_person_usecase"] = usecase
    now, delay = ctx.now_micros(), review_delay(ctx)
    sid = new_sid("QE")

    def work(conn: Connection) -> Any:
        repo.settle(conn, account_sid, now, delay)
        found(services_repo.get_service(conn, account_sid, service_sid), _service_path(service_sid))
        brand = repo.get_brand(conn, account_sid, brand_sid) if is_sid(brand_sid, "BN") else None
        if brand is None:
            raise TwilioError(
                21717, f"Brand Registration {brand_sid!r} is not registered or not valid"
            )
        row = {
            "sid": sid,
            "account_sid": account_sid,
            "messaging_service_sid": service_sid,
            "brand_registration_sid": brand_sid,
            "config": json.dumps({**fields, "mock": brand["mock"]}),
            "campaign_status": rules.CAMPAIGN_IN_PROGRESS,
            "submitted_at": now,
            "campaign_id": None,
            "rate_limits": "{}",
            "errors": "[]",
            "date_created": now,
            "date_updated": now,
        }
        try:
            repo.insert_campaign(conn, row)
        except repo.ServiceHasCampaign:
            raise TwilioError(
                20409, f"The Messaging Service {service_sid} has an A2P campaign already"
            ) from None
        return row

    return JSONResponse(campaign_json(await ctx.db.run(work), ctx.settings.base_url), 201)


async def list_campaigns(request: Request) -> Response:
    ctx, account_sid = await caller(request)
    service_sid = request.path_params["service_sid"]
    page = PageRequest.from_query(query_form(request))
    await settle(ctx, account_sid)
    base_url = ctx.settings.base_url

    def service_exists(conn: Connection) -> None:
        found(services_repo.get_service(conn, account_sid, service_sid), _service_path(service_sid))

    return await v1_listing_response(
        ctx.db,
        "compliance",
        repo.campaign_listing(service_sid),
        page,
        render=lambda row: campaign_json(row, base_url),
        base_url=base_url,
        path=request.url.path,
        before=service_exists,
    )


async def fetch_campaign(request: Request) -> Response:
    ctx, account_sid = await caller(request)
    service_sid, sid = request.path_params["service_sid"], request.path_params["sid"]
    now, delay = ctx.now_micros(), review_delay(ctx)

    def work(conn: Connection) -> Any:
        repo.settle(conn, account_sid, now, delay)
        found(services_repo.get_service(conn, account_sid, service_sid), _service_path(service_sid))
        return found(repo.get_campaign(conn, service_sid, sid), request.url.path)

    return JSONResponse(campaign_json(await ctx.db.run(work), ctx.settings.base_url))


async def update_campaign(request: Request) -> Response:
    """Change a campaign's fields; a FAILED one goes back to review (IN_PROGRESS)."""
    ctx, account_sid = await caller(request)
    service_sid, sid = request.path_params["service_sid"], request.path_params["sid"]
    form = await read_form(request, ctx.settings.max_body_bytes)
    fields = campaign_fields(form, UPDATE_REQUIRED)
    now, delay = ctx.now_micros(), review_delay(ctx)

    def work(conn: Connection) -> Any:
        repo.settle(conn, account_sid, now, delay)
        found(services_repo.get_service(conn, account_sid, service_sid), _service_path(service_sid))
        row = found(repo.get_campaign(conn, service_sid, sid), request.url.path)
        values: dict[str, Any] = {
            "config": json.dumps({**json.loads(row["config"]), **fields}),
            "date_updated": now,
        }
        if row["campaign_status"] == "FAILED":
            values.update(campaign_status=rules.CAMPAIGN_IN_PROGRESS, submitted_at=now, errors="[]")
        return repo.update_campaign(conn, service_sid, sid, values)

    return JSONResponse(campaign_json(await ctx.db.run(work), ctx.settings.base_url))


async def delete_campaign(request: Request) -> Response:
    ctx, account_sid = await caller(request)
    service_sid, sid = request.path_params["service_sid"], request.path_params["sid"]

    def work(conn: Connection) -> bool:
        found(services_repo.get_service(conn, account_sid, service_sid), _service_path(service_sid))
        return repo.delete_campaign(conn, service_sid, sid)

    if not await ctx.db.run(work):
        raise not_found(request.url.path)
    return Response(status_code=204)


# -- Use cases -----------------------------------------------------------------------------------


async def campaign_usecases(request: Request) -> Response:
    """The A2P use cases a brand may register (every one without ``BrandRegistrationSid``)."""
    ctx, account_sid = await caller(request)
    service_sid = request.path_params["service_sid"]
    brand_sid = query_form(request).get("BrandRegistrationSid")

    def work(conn: Connection) -> str | None:
        found(services_repo.get_service(conn, account_sid, service_sid), _service_path(service_sid))
        if brand_sid is None:
            return None
        brand = repo.get_brand(conn, account_sid, brand_sid)
        if brand is None:
            raise TwilioError(
                21717, f"Brand Registration {brand_sid!r} is not registered or not valid"
            )
        return str(brand["brand_type"])

    brand_type = await ctx.db.read(work)
    usecases = rules.usecases_for(brand_type) if brand_type else rules.standard_usecases()
    return JSONResponse({"us_app_to_person_usecases": usecases})


async def service_usecases(request: Request) -> Response:
    """The Messaging Service use cases (the Service resource's ``Usecase`` values)."""
    await caller(request)
    return JSONResponse({"usecases": rules.service_usecases()})
