"""TrustHub v1 (``/v1/CustomerProfiles``, ``/v1/TrustProducts``): the bundles an A2P brand
registration names.

The official SDKs send these requests to trusthub.twilio.com; telephonist serves the same
paths on its one host. Both resources have one shape; a bundle is a ``draft`` until it is
submitted with ``Status=pending-review``, then decided after the review delay
(:mod:`telephonist.domain.a2p`). End users, supporting documents, entity assignments and
evaluations are not modelled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from telephonist.api.context import Context
from telephonist.api.forms import Form, query_form, read_form
from telephonist.api.numbers import url_changes
from telephonist.api.paging import PageRequest, v1_listing_response
from telephonist.api.render import JSONResponse, iso8601
from telephonist.api.services import caller, missing
from telephonist.domain import a2p as rules
from telephonist.domain.sids import is_sid, new_sid
from telephonist.errors import TwilioError, found, invalid_parameter, not_found
from telephonist.storage.repositories import a2p as repo


@dataclass(frozen=True)
class Kind:
    """One of the two bundle resources: its stored kind, path and names."""

    kind: str
    collection: str  # CustomerProfiles, TrustProducts
    link_prefix: str  # customer_profiles, trust_products


CUSTOMER_PROFILES = Kind(repo.CUSTOMER_PROFILE, "CustomerProfiles", "customer_profiles")
TRUST_PRODUCTS = Kind(repo.TRUST_PRODUCT, "TrustProducts", "trust_products")


def review_delay(ctx: Context) -> int:
    """The A2P review delay in microseconds."""
    return int(ctx.settings.a2p_review_seconds * 1_000_000)


async def settle(ctx: Context, account_sid: str) -> None:
    """Store the outcome of every review of the account that came due by now."""
    await ctx.db.run(repo.settle, account_sid, ctx.now_micros(), review_delay(ctx))


def bundle_json(kind: Kind, row: Any, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/v1/{kind.collection}/{row['sid']}"
    return {
        "sid": row["sid"],
        "account_sid": row["account_sid"],
        "policy_sid": row["policy_sid"],
        "friendly_name": row["friendly_name"],
        "status": row["status"],
        "valid_until": iso8601(row["valid_until"]) if row["valid_until"] is not None else None,
        "email": row["email"],
        "status_callback": row["status_callback"],
        "date_created": iso8601(row["date_created"]),
        "date_updated": iso8601(row["date_updated"]),
        "url": url,
        "links": {
            f"{kind.link_prefix}_entity_assignments": f"{url}/EntityAssignments",
            f"{kind.link_prefix}_evaluations": f"{url}/Evaluations",
            f"{kind.link_prefix}_channel_endpoint_assignment": f"{url}/ChannelEndpointAssignments",
        },
        "errors": json.loads(row["errors"]) if row["errors"] is not None else None,
    }


def _property_changes(form: Form) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if (name := form.get("FriendlyName")) is not None:
        if not name:
            raise TwilioError(20002, "FriendlyName must not be empty")
        changes["friendly_name"] = name[:255]
    if (email := form.get("Email")) is not None:
        if "@" not in email:
            raise invalid_parameter(f"Email {email!r} is not an email address")
        changes["email"] = email
    callback = url_changes(form, {"StatusCallback": "status_callback"})
    if "status_callback" in callback:
        changes["status_callback"] = callback["status_callback"] or None
    return changes


def _create(kind: Kind) -> Any:
    async def create(request: Request) -> Response:
        ctx, account_sid = await caller(request)
        form = await read_form(request, ctx.settings.max_body_bytes)
        for param in ("FriendlyName", "Email", "PolicySid"):
            if form.text(param) is None:
                raise missing(param)
        policy_sid = form.text("PolicySid") or ""
        if not is_sid(policy_sid, "RN"):
            raise invalid_parameter(f"PolicySid {policy_sid!r} is not an RN SID")
        changes = _property_changes(form)
        now = ctx.now_micros()
        row = {
            "sid": new_sid("BU"),
            "account_sid": account_sid,
            "kind": kind.kind,
            "friendly_name": changes["friendly_name"],
            "email": changes["email"],
            "policy_sid": policy_sid,
            "status_callback": changes.get("status_callback"),
            "status": "draft",
            "submitted_at": None,
            "valid_until": None,
            "errors": None,
            "date_created": now,
            "date_updated": now,
        }
        await ctx.db.run(repo.insert_bundle, row)
        return JSONResponse(bundle_json(kind, row, ctx.settings.base_url), status_code=201)

    return create


def _list(kind: Kind) -> Any:
    async def list_bundles(request: Request) -> Response:
        ctx, account_sid = await caller(request)
        query = query_form(request)
        status = query.choice("Status", rules.BUNDLE_STATUSES)
        friendly_name = query.get("FriendlyName")
        policy_sid = query.get("PolicySid")
        filters = [
            (name, value)
            for name, value in (
                ("Status", status),
                ("FriendlyName", friendly_name),
                ("PolicySid", policy_sid),
            )
            if value is not None
        ]
        page = PageRequest.from_query(query)
        await settle(ctx, account_sid)
        base_url = ctx.settings.base_url
        return await v1_listing_response(
            ctx.db,
            "results",
            repo.bundle_listing(
                account_sid,
                kind.kind,
                status=status,
                friendly_name=friendly_name,
                policy_sid=policy_sid,
            ),
            page,
            render=lambda row: bundle_json(kind, row, base_url),
            base_url=base_url,
            path=request.url.path,
            filters=filters,
        )

    return list_bundles


def _fetch(kind: Kind) -> Any:
    async def fetch(request: Request) -> Response:
        ctx, account_sid = await caller(request)
        sid = request.path_params["sid"]
        now, delay = ctx.now_micros(), review_delay(ctx)

        def work(conn: Connection) -> Any:
            repo.settle(conn, account_sid, now, delay)
            return found(repo.get_bundle(conn, account_sid, kind.kind, sid), request.url.path)

        return JSONResponse(bundle_json(kind, await ctx.db.run(work), ctx.settings.base_url))

    return fetch


def _update(kind: Kind) -> Any:
    async def update(request: Request) -> Response:
        ctx, account_sid = await caller(request)
        sid = request.path_params["sid"]
        form = await read_form(request, ctx.settings.max_body_bytes)
        status = form.get("Status")
        if status is not None and status not in rules.BUNDLE_STATUSES:
            raise TwilioError(22203, f"Status {status!r} is not a bundle status")
        changes = _property_changes(form)
        if status is not None and changes:
            raise TwilioError(
                22204, "Status and the other properties cannot be updated in the same request"
            )
        now, delay = ctx.now_micros(), review_delay(ctx)

        def work(conn: Connection) -> Any:
            repo.settle(conn, account_sid, now, delay)
            row = found(repo.get_bundle(conn, account_sid, kind.kind, sid), request.url.path)
            values: dict[str, Any] = {"date_updated": now, **changes}
            if status is not None and status != row["status"]:
                if status != "pending-review" or row["status"] not in rules.SUBMITTABLE:
                    raise invalid_parameter(
                        f"A {row['status']} bundle cannot be moved to {status}; only a draft "
                        "or a twilio-rejected one can be submitted (Status=pending-review)"
                    )
                values.update(status="pending-review", submitted_at=now, errors=None)
            return repo.update_bundle(conn, account_sid, kind.kind, sid, values)

        return JSONResponse(bundle_json(kind, await ctx.db.run(work), ctx.settings.base_url))

    return update


def _delete(kind: Kind) -> Any:
    async def delete(request: Request) -> Response:
        ctx, account_sid = await caller(request)
        sid = request.path_params["sid"]

        def work(conn: Connection) -> bool:
            if repo.get_bundle(conn, account_sid, kind.kind, sid) is None:
                return False
            if repo.bundle_in_use(conn, sid):
                raise TwilioError(21647, f"{sid} is in use by a brand registration")
            return repo.delete_bundle(conn, account_sid, kind.kind, sid)

        if not await ctx.db.run(work):
            raise not_found(request.url.path)
        return Response(status_code=204)

    return delete


create_customer_profile = _create(CUSTOMER_PROFILES)
list_customer_profiles = _list(CUSTOMER_PROFILES)
fetch_customer_profile = _fetch(CUSTOMER_PROFILES)
update_customer_profile = _update(CUSTOMER_PROFILES)
delete_customer_profile = _delete(CUSTOMER_PROFILES)
create_trust_product = _create(TRUST_PRODUCTS)
list_trust_products = _list(TRUST_PRODUCTS)
fetch_trust_product = _fetch(TRUST_PRODUCTS)
update_trust_product = _update(TRUST_PRODUCTS)
delete_trust_product = _delete(TRUST_PRODUCTS)
