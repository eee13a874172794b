"""``Accounts.json`` (subaccounts) and ``Keys.json`` (API keys)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from telephonist.api.auth import require_account_management, require_active
from telephonist.api.context import principal, scoped
from telephonist.api.forms import Form, query_form, read_form
from telephonist.api.paging import PageRequest, listing_response
from telephonist.api.render import PREFIX, JSONResponse, account_uri, rfc2822
from telephonist.domain.accounts import (
    STATUSES,
    Principal,
    hash_secret,
    sees_auth_token,
    status_change_refusal,
)
from telephonist.domain.sids import is_sid, new_auth_token, new_sid
from telephonist.errors import TwilioError, found, not_found
from telephonist.storage.repositories import accounts as repo

SUBRESOURCES = (
    ("available_phone_numbers", "AvailablePhoneNumbers"),
    ("calls", "Calls"),
    ("conferences", "Conferences"),
    ("incoming_phone_numbers", "IncomingPhoneNumbers"),
    ("notifications", "Notifications"),
    ("outgoing_caller_ids", "OutgoingCallerIds"),
    ("recordings", "Recordings"),
    ("transcriptions", "Transcriptions"),
    ("addresses", "Addresses"),
    ("signing_keys", "SigningKeys"),
    ("connect_apps", "ConnectApps"),
    ("sip", "SIP"),
    ("authorized_connect_apps", "AuthorizedConnectApps"),
    ("usage", "Usage"),
    ("keys", "Keys"),
    ("applications", "Applications"),
    ("short_codes", "SMS/ShortCodes"),
    ("queues", "Queues"),
    ("messages", "Messages"),
    ("balance", "Balance"),
)


def account_json(row: Any, viewer: Principal) -> dict[str, Any]:
    """The Account resource as ``viewer`` may see it: ``auth_token`` is null for a caller that
    must not hold it (the spec makes the field nullable)."""
    sid = row["sid"]
    return {
        "auth_token": row["auth_token"] if sees_auth_token(viewer) else None,
        "date_created": rfc2822(row["date_created"]),
        "date_updated": rfc2822(row["date_updated"]),
        "friendly_name": row["friendly_name"],
        "owner_account_sid": row["owner_account_sid"] or sid,
        "sid": sid,
        "status": row["status"],
        "subresource_uris": {k: account_uri(sid, f"/{v}.json") for k, v in SUBRESOURCES},
        "type": row["type"],
        "uri": account_uri(sid, ".json"),
    }


def key_json(row: Any, secret: str | None = None) -> dict[str, Any]:
    out = {
        "sid": row["sid"],
        "friendly_name": row["friendly_name"],
        "date_created": rfc2822(row["date_created"]),
        "date_updated": rfc2822(row["date_updated"]),
    }
    if secret is not None:
        out["secret"] = secret
    return out


async def list_accounts(request: Request) -> Response:
    ctx, who = await principal(request)
    require_account_management(who)
    query = query_form(request)
    page = PageRequest.from_query(query)
    filters: list[tuple[str, str]] = []
    if (name := query.get("FriendlyName")) is not None:
        filters.append(("FriendlyName", name))
    if (status := query.choice("Status", tuple(sorted(STATUSES)))) is not None:
        filters.append(("Status", status))

    return await listing_response(
        ctx.db,
        "accounts",
        repo.account_listing(who.account_sid, friendly_name=name, status=status),
        page,
        render=lambda row: account_json(row, who),
        path=f"{PREFIX}/Accounts.json",
        filters=filters,
    )


async def create_account(request: Request) -> Response:
    ctx, who = await principal(request)
    require_account_management(who)
    require_active(who)
    if who.owner_account_sid is not None:
        raise TwilioError(21101)
    form = await read_form(request, ctx.settings.max_body_bytes)
    now = ctx.now_micros()
    name = _friendly_name(form) or f"SubAccount Created at {rfc2822(now)}"
    row = {
        "sid": new_sid("AC"),
        "owner_account_sid": who.account_sid,
        "friendly_name": name,
        "status": "active",
        "type": "Full",
        "auth_token": new_auth_token(),
        "is_default": False,
        "date_created": now,
        "date_updated": now,
    }
    await ctx.db.run(repo.insert_account, row)
    ctx.auth.invalidate()
    return JSONResponse(account_json(row, who), status_code=201)


async def fetch_account(request: Request) -> Response:
    ctx, who = await principal(request)
    require_account_management(who)
    sid = request.path_params["sid"]
    row = found(await ctx.db.read(_load_reachable, sid, who.account_sid), request.url.path)
    return JSONResponse(account_json(row, who))


async def update_account(request: Request) -> Response:
    """Rename an account, or (its parent only) change a subaccount's status.

    A suspended account's own credentials change nothing here either (20005), so a suspended
    subaccount cannot reactivate itself; a status is refused as
    :func:`~telephonist.domain.accounts.status_change_refusal` says.
    """
    ctx, who = await principal(request)
    require_account_management(who)
    require_active(who)
    sid = request.path_params["sid"]
    form = await read_form(request, ctx.settings.max_body_bytes)
    name = _friendly_name(form)
    status = form.choice("Status", tuple(sorted(STATUSES)))
    now = ctx.now_micros()

    def work(conn: Connection) -> Any:
        row = found(_load_reachable(conn, sid, who.account_sid), request.url.path)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["friendly_name"] = name
        if status is not None:
            refusal = status_change_refusal(who, row["owner_account_sid"], row["status"], status)
            if refusal == 20006:
                raise TwilioError(20006, "Only the parent account can change a subaccount's Status")
            if refusal is not None:
                raise TwilioError(refusal)
            if status != row["status"]:
                changes["status"] = status
        if changes:
            changes["date_updated"] = now
            repo.update_account(conn, sid, changes)
        return _load_reachable(conn, sid, who.account_sid)

    row = await ctx.db.run(work)
    ctx.auth.invalidate()
    return JSONResponse(account_json(row, who))


def _load_reachable(conn: Connection, sid: str, caller: str) -> Any:
    if not is_sid(sid, "AC"):
        return None
    row = repo.get_account(conn, sid)
    if row is None or (row["sid"] != caller and row["owner_account_sid"] != caller):
        return None
    return row


def _friendly_name(form: Form) -> str | None:
    name = form.get("FriendlyName")
    if name is not None and len(name) > 64:
        raise TwilioError(20002, "FriendlyName must be at most 64 characters")
    return name


# -- Keys ---------------------------------------------------------------------------------------


async def list_keys(request: Request) -> Response:
    ctx, who, ref = await scoped(request)
    require_account_management(who)
    page = PageRequest.from_query(query_form(request))

    return await listing_response(
        ctx.db,
        "keys",
        repo.key_listing(ref.sid),
        page,
        render=key_json,
        path=account_uri(ref.sid, "/Keys.json"),
        filters=[],
    )


async def create_key(request: Request) -> Response:
    ctx, who, ref = await scoped(request)
    require_account_management(who)
    form = await read_form(request, ctx.settings.max_body_bytes)
    now = ctx.now_micros()
    secret = new_auth_token()
    row = {
        "sid": new_sid("SK"),
        "account_sid": ref.sid,
        "friendly_name": _friendly_name(form) or "",
        "secret_sha256": hash_secret(secret),
        "date_created": now,
        "date_updated": now,
    }
    await ctx.db.run(repo.insert_key, row)
    return JSONResponse(key_json(row, secret), status_code=201)


async def fetch_key(request: Request) -> Response:
    ctx, who, ref = await scoped(request)
    require_account_management(who)
    row = await ctx.db.read(repo.get_key, ref.sid, request.path_params["sid"])
    return JSONResponse(key_json(found(row, request.url.path)))


async def update_key(request: Request) -> Response:
    ctx, who, ref = await scoped(request)
    require_account_management(who)
    form = await read_form(request, ctx.settings.max_body_bytes)
    name = _friendly_name(form)
    sid = request.path_params["sid"]
    now = ctx.now_micros()

    def work(conn: Connection) -> Any:
        found(repo.get_key(conn, ref.sid, sid), request.url.path)
        if name is not None:
            repo.rename_key(conn, sid, name, now)
        return repo.get_key(conn, ref.sid, sid)

    return JSONResponse(key_json(await ctx.db.run(work)))


async def delete_key(request: Request) -> Response:
    ctx, who, ref = await scoped(request)
    require_account_management(who)
    if not await ctx.db.run(repo.delete_key, ref.sid, request.path_params["sid"]):
        raise not_found(request.url.path)
    ctx.auth.invalidate()
    return Response(status_code=204)
