"""Short codes: the v2010 ``SMS/ShortCodes`` resource, and provisioning them.

Twilio's API lists, fetches and configures an account's short codes but cannot buy one: a
short code is leased from the carriers after weeks of review. So provisioning is a telephonist
extension in the control API (``POST /telephonist/v1/ShortCodes``), scoped like the rest of it:
the short code is the caller's account's. A short code has one holder on the server; asking
for one another account holds answers exactly as one that is merely taken (21422), so nothing
tells the caller who holds it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from telephonist.api.context import scoped
from telephonist.api.forms import Form, query_form, read_form
from telephonist.api.numbers import api_version_change, friendly_name, method_changes, url_changes
from telephonist.api.paging import PageRequest, listing_response
from telephonist.api.render import JSONResponse, account_uri, rfc2822
from telephonist.api.services import missing
from telephonist.api.simulator import caller
from telephonist.domain import phone, short_codes
from telephonist.domain.sids import new_sid
from telephonist.errors import TwilioError, found, invalid_parameter
from telephonist.storage.repositories import short_codes as repo

URL_FIELDS = {"SmsUrl": "sms_url", "SmsFallbackUrl": "sms_fallback_url"}
METHOD_FIELDS = {"SmsMethod": "sms_method", "SmsFallbackMethod": "sms_fallback_method"}


def short_code_json(row: Any) -> dict[str, Any]:
    config = short_codes.settings_of(json.loads(row["config"]))
    return {
        "account_sid": row["account_sid"],
        "api_version": config["api_version"],
        "date_created": rfc2822(row["date_created"]),
        "date_updated": rfc2822(row["date_updated"]),
        "friendly_name": row["friendly_name"],
        "short_code": row["short_code"],
        "sid": row["sid"],
        "sms_fallback_method": config["sms_fallback_method"],
        "sms_fallback_url": config["sms_fallback_url"],
        "sms_method": config["sms_method"],
        "sms_url": config["sms_url"],
        "uri": account_uri(row["account_sid"], f"/SMS/ShortCodes/{row['sid']}.json"),
    }


def config_changes(form: Form) -> dict[str, Any]:
    """The configurable fields present in the request, validated; an empty URL clears it."""
    changes: dict[str, Any] = {
        field: value or None for field, value in url_changes(form, URL_FIELDS).items()
    }
    changes.update(method_changes(form, METHOD_FIELDS))
    changes.update(api_version_change(form))
    return changes


# -- v2010: list, fetch, update ------------------------------------------------------------------


async def list_short_codes(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    query = query_form(request)
    page = PageRequest.from_query(query)
    name, pattern = query.get("FriendlyName"), query.get("ShortCode")
    filters = [(p, v) for p, v in (("FriendlyName", name), ("ShortCode", pattern)) if v is not None]
    return await listing_response(
        ctx.db,
        "short_codes",
        repo.short_code_listing(ref.sid, friendly_name=name, short_code=pattern),
        page,
        render=short_code_json,
        path=request.url.path,
        filters=filters,
    )


async def fetch_short_code(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    row = await ctx.db.read(repo.get_short_code, ref.sid, request.path_params["sid"])
    return JSONResponse(short_code_json(found(row, request.url.path)))


async def update_short_code(request: Request) -> Response:
    """Change only the parameters sent; an empty FriendlyName goes back to the short code."""
    ctx, _, ref = await scoped(request)
    sid = request.path_params["sid"]
    form = await read_form(request, ctx.settings.max_body_bytes)
    changes = config_changes(form)
    name = friendly_name(form)
    now = ctx.now_micros()

    def work(conn: Connection) -> Any:
        row = found(repo.get_short_code(conn, ref.sid, sid), request.url.path)
        values: dict[str, Any] = {"date_updated": now}
        if changes:
            values["config"] = json.dumps({**json.loads(row["config"]), **changes})
        if name is not None:
            values["friendly_name"] = name or row["short_code"]
        return repo.update_short_code(conn, ref.sid, sid, values)

    return JSONResponse(short_code_json(await ctx.db.run(work)))


# -- The control API: provisioning ---------------------------------------------------------------


async def provision_short_code(request: Request) -> Response:
    """Give the caller's account a short code: ``ShortCode`` (5 or 6 digits, required),
    ``IsoCountryCode`` (default US), ``FriendlyName`` (default the short code),
    ``MmsEnabled`` (default false), and the resource's ``Sms*`` and ``ApiVersion`` fields."""
    ctx, who = await caller(request)
    form = await read_form(request, ctx.settings.max_body_bytes)
    code = form.text("ShortCode")
    if code is None:
        raise missing("ShortCode")
    if not phone.is_short_code(code):
        raise TwilioError(21421, f"ShortCode {code!r} is not a short code of 5 or 6 digits")
    country = form.text("IsoCountryCode") or short_codes.DEFAULT_COUNTRY
    if not short_codes.is_country(country):
        raise invalid_parameter(f"IsoCountryCode {country!r} is not an ISO 3166 country code")
    changes = config_changes(form)
    name = friendly_name(form) or code
    mms = form.bool("MmsEnabled")
    now = ctx.now_micros()
    row = {
        "sid": new_sid("SC"),
        "account_sid": who.account_sid,
        "short_code": code,
        "friendly_name": name,
        "iso_country": country,
        "cap_mms": bool(mms),
        "config": json.dumps(changes),
        "date_created": now,
        "date_updated": now,
    }
    try:
        # Held by another account or by the caller: one answer, decided by the unique column.
        await ctx.db.run(repo.insert_short_code, row)
    except repo.ShortCodeTaken:
        raise TwilioError(21422, f"ShortCode {code} is not available.") from None
    return JSONResponse(short_code_json(row), status_code=201)
