"""``Applications``: named sets of voice and messaging URLs an account's numbers can use."""

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
from telephonist.domain import API_VERSION
from telephonist.domain.sids import new_sid
from telephonist.errors import found, not_found
from telephonist.storage.repositories import applications as repo

URL_FIELDS = {
    "VoiceUrl": "voice_url",
    "VoiceFallbackUrl": "voice_fallback_url",
    "StatusCallback": "status_callback",
    "SmsUrl": "sms_url",
    "SmsFallbackUrl": "sms_fallback_url",
    "SmsStatusCallback": "sms_status_callback",
    "MessageStatusCallback": "message_status_callback",
}
METHOD_FIELDS = {
    "VoiceMethod": "voice_method",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallbackMethod": "status_callback_method",
    "SmsMethod": "sms_method",
    "SmsFallbackMethod": "sms_fallback_method",
}
FLAG_FIELDS = {
    "VoiceCallerIdLookup": "voice_caller_id_lookup",
    "PublicApplicationConnectEnabled": "public_application_connect_enabled",
}
DEFAULT_CONFIG: dict[str, Any] = {
    "api_version": API_VERSION,
    "message_status_callback": None,
    "sms_fallback_method": "POST",
    "sms_fallback_url": None,
    "sms_method": "POST",
    "sms_status_callback": None,
    "sms_url": None,
    "status_callback": None,
    "status_callback_method": "POST",
    "voice_caller_id_lookup": False,
    "voice_fallback_method": "POST",
    "voice_fallback_url": None,
    "voice_method": "POST",
    "voice_url": None,
    "public_application_connect_enabled": False,
}


def application_json(row: Any) -> dict[str, Any]:
    config = {**DEFAULT_CONFIG, **json.loads(row["config"])}
    return {
        "account_sid": row["account_sid"],
        "date_created": rfc2822(row["date_created"]),
        "date_updated": rfc2822(row["date_updated"]),
        "friendly_name": row["friendly_name"],
        "sid": row["sid"],
        "uri": account_uri(row["account_sid"], f"/Applications/{row['sid']}.json"),
        **config,
    }


def config_changes(form: Form) -> dict[str, Any]:
    """The configurable fields present in the request, validated; an empty URL clears it."""
    changes: dict[str, Any] = {
        field: value or None for field, value in url_changes(form, URL_FIELDS).items()
    }
    changes.update(method_changes(form, METHOD_FIELDS))
    for param, field in FLAG_FIELDS.items():
        if (flag := form.bool(param)) is not None:
            changes[field] = flag
    changes.update(api_version_change(form))
    return changes


async def create_application(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    form = await read_form(request, ctx.settings.max_body_bytes)
    changes = config_changes(form)
    name = friendly_name(form)
    now = ctx.now_micros()
    row = {
        "sid": new_sid("AP"),
        "account_sid": ref.sid,
        "friendly_name": name,
        "config": json.dumps(changes),
        "date_created": now,
        "date_updated": now,
    }
    await ctx.db.run(repo.insert_application, row)
    return JSONResponse(application_json(row), status_code=201)


async def list_applications(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    query = query_form(request)
    page = PageRequest.from_query(query)
    name = query.get("FriendlyName")
    filters = [("FriendlyName", name)] if name is not None else []
    return await listing_response(
        ctx.db,
        "applications",
        repo.application_listing(ref.sid, friendly_name=name),
        page,
        render=application_json,
        path=request.url.path,
        filters=filters,
    )


async def fetch_application(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    row = await ctx.db.read(repo.get_application, ref.sid, request.path_params["sid"])
    return JSONResponse(application_json(found(row, request.url.path)))


async def update_application(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    sid = request.path_params["sid"]
    form = await read_form(request, ctx.settings.max_body_bytes)
    changes = config_changes(form)
    name = friendly_name(form)
    now = ctx.now_micros()

    def work(conn: Connection) -> Any:
        row = found(repo.get_application(conn, ref.sid, sid), request.url.path)
        values: dict[str, Any] = {"date_updated": now}
        if changes:
            values["config"] = json.dumps({**json.loads(row["config"]), **changes})
        if name is not None:
            values["friendly_name"] = name
        return repo.update_application(conn, ref.sid, sid, values)

    return JSONResponse(application_json(await ctx.db.run(work)))


async def delete_application(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    if not await ctx.db.run(repo.delete_application, ref.sid, request.path_params["sid"]):
        raise not_found(request.url.path)
    return Response(status_code=204)
