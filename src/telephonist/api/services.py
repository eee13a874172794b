"""Messaging Services (messaging v1, ``/v1/Services``): named sender pools with messaging
settings.

The official SDKs send these requests to messaging.twilio.com; telephonist serves the same
paths on its one host. There is no account in a v1 path: the service belongs to the account
whose credentials ask. Dates are ISO 8601 and ``url``/``links`` absolute, as in every v1 API.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table
from starlette.requests import Request
from starlette.responses import Response

from telephonist.api.auth import require_active
from telephonist.api.context import Context, principal
from telephonist.api.forms import Form, query_form, read_form
from telephonist.api.numbers import friendly_name, method_changes, url_changes
from telephonist.api.paging import PageRequest, v1_listing_response
from telephonist.api.render import JSONResponse, iso8601
from telephonist.domain import countries
from telephonist.domain.services import DEFAULT_CONFIG, POOL_LIMIT
from telephonist.domain.sids import is_sid, new_sid
from telephonist.errors import TwilioError, found, invalid_parameter, not_found
from telephonist.storage.repositories import a2p as a2p_repo
from telephonist.storage.repositories import messaging_services as repo
from telephonist.storage.repositories import numbers as numbers_repo
from telephonist.storage.repositories import short_codes as short_codes_repo
from telephonist.storage.repositories.listing import Listing

URL_FIELDS = {
    "InboundRequestUrl": "inbound_request_url",
    "FallbackUrl": "fallback_url",
    "StatusCallback": "status_callback",
}
METHOD_FIELDS = {"InboundMethod": "inbound_method", "FallbackMethod": "fallback_method"}
FLAG_FIELDS = {
    "StickySender": "sticky_sender",
    "MmsConverter": "mms_converter",
    "SmartEncoding": "smart_encoding",
    "FallbackToLongCode": "fallback_to_long_code",
    "AreaCodeGeomatch": "area_code_geomatch",
    "SynchronousValidation": "synchronous_validation",
    "UseInboundWebhookOnNumber": "use_inbound_webhook_on_number",
}
SCAN_CHOICES = ("inherit", "enable", "disable")
USECASES = ("notifications", "marketing", "verification", "discussion", "poll", "undeclared")
VALIDITY_RANGE = (1, 36000)
LINKS = {
    "phone_numbers": "PhoneNumbers",
    "short_codes": "ShortCodes",
    "alpha_senders": "AlphaSenders",
    "messages": "Messages",
    "us_app_to_person": "Compliance/Usa2p",
    "us_app_to_person_usecases": "Compliance/Usa2p/Usecases",
    "channel_senders": "ChannelSenders",
    "destination_alpha_senders": "DestinationAlphaSenders",
}
ALPHA_SENDER = re.compile(r"^[A-Za-z0-9 +\-_&]{1,11}$")


def missing(param: str) -> TwilioError:
    """Twilio's answer to a required parameter that is absent (or empty)."""
    return TwilioError(20001, f"Missing required parameter {param} in the post body")


def service_url(base_url: str, sid: str, rest: str = "") -> str:
    return f"{base_url}/v1/Services/{sid}{rest}"


def service_json(row: Any, base_url: str, registered: bool = False) -> dict[str, Any]:
    config = {**DEFAULT_CONFIG, **json.loads(row["config"])}
    sid = row["sid"]
    return {
        "sid": sid,
        "account_sid": row["account_sid"],
        "friendly_name": row["friendly_name"],
        "date_created": iso8601(row["date_created"]),
        "date_updated": iso8601(row["date_updated"]),
        **config,
        "url": service_url(base_url, sid),
        "links": {name: service_url(base_url, sid, f"/{rest}") for name, rest in LINKS.items()},
        # True once the service's A2P 10DLC campaign is VERIFIED.
        "us_app_to_person_registered": registered,
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
    if (scan := form.choice("ScanMessageContent", SCAN_CHOICES)) is not None:
        changes["scan_message_content"] = scan
    if (period := form.int("ValidityPeriod")) is not None:
        low, high = VALIDITY_RANGE
        if not low <= period <= high:
            raise TwilioError(21624, f"ValidityPeriod must be from {low} to {high}, not {period}")
        changes["validity_period"] = period
    if (usecase := form.get("Usecase")) is not None:
        if usecase not in USECASES:
            raise TwilioError(
                21713, f"Usecase must be one of {', '.join(USECASES)}; got {usecase!r}"
            )
        changes["usecase"] = usecase
    return changes


async def caller(request: Request) -> tuple[Context, str]:
    """The context and the account the credentials act for; writes need an active one."""
    ctx, who = await principal(request)
    if request.method not in ("GET", "HEAD"):
        require_active(who)
    return ctx, who.account_sid


async def create_service(request: Request) -> Response:
    ctx, account_sid = await caller(request)
    form = await read_form(request, ctx.settings.max_body_bytes)
    name = friendly_name(form)
    if not name:
        raise missing("FriendlyName")
    changes = config_changes(form)
    now = ctx.now_micros()
    row = {
        "sid": new_sid("MG"),
        "account_sid": account_sid,
        "friendly_name": name,
        "config": json.dumps(changes),
        "date_created": now,
        "date_updated": now,
    }
    await ctx.db.run(repo.insert_service, row)
    return JSONResponse(service_json(row, ctx.settings.base_url), status_code=201)


def _registered(conn: Connection, account_sid: str, now: int, delay: int) -> set[str]:
    """The account's services with a VERIFIED campaign, once due reviews are stored."""
    a2p_repo.settle(conn, account_sid, now, delay)
    return a2p_repo.registered_services(conn, account_sid)


def _review_delay(ctx: Context) -> int:
    return int(ctx.settings.a2p_review_seconds * 1_000_000)


async def list_services(request: Request) -> Response:
    ctx, account_sid = await caller(request)
    base_url = ctx.settings.base_url
    page = PageRequest.from_query(query_form(request))
    registered = await ctx.db.run(_registered, account_sid, ctx.now_micros(), _review_delay(ctx))
    return await v1_listing_response(
        ctx.db,
        "services",
        repo.service_listing(account_sid),
        page,
        render=lambda row: service_json(row, base_url, row["sid"] in registered),
        base_url=base_url,
        path=request.url.path,
    )


async def fetch_service(request: Request) -> Response:
    ctx, account_sid = await caller(request)
    sid = request.path_params["sid"]
    now, delay = ctx.now_micros(), _review_delay(ctx)

    def work(conn: Connection) -> tuple[Any, bool]:
        registered = _registered(conn, account_sid, now, delay)
        return found(repo.get_service(conn, account_sid, sid), request.url.path), sid in registered

    row, registered = await ctx.db.run(work)
    return JSONResponse(service_json(row, ctx.settings.base_url, registered))


async def update_service(request: Request) -> Response:
    ctx, account_sid = await caller(request)
    sid = request.path_params["sid"]
    form = await read_form(request, ctx.settings.max_body_bytes)
    name = friendly_name(form)
    if name == "":
        raise TwilioError(20002, "FriendlyName must not be empty")
    changes = config_changes(form)
    now = ctx.now_micros()

    def work(conn: Connection) -> Any:
        row = found(repo.get_service(conn, account_sid, sid), request.url.path)
        values: dict[str, Any] = {"date_updated": now}
        if changes:
            values["config"] = json.dumps({**json.loads(row["config"]), **changes})
        if name is not None:
            values["friendly_name"] = name
        return (
            repo.update_service(conn, account_sid, sid, values),
            sid in _registered(conn, account_sid, now, _review_delay(ctx)),
        )

    row, registered = await ctx.db.run(work)
    return JSONResponse(service_json(row, ctx.settings.base_url, registered))


async def delete_service(request: Request) -> Response:
    ctx, account_sid = await caller(request)
    if not await ctx.db.run(repo.delete_service, account_sid, request.path_params["sid"]):
        raise not_found(request.url.path)
    return Response(status_code=204)


# -- The sender pool: PhoneNumbers ---------------------------------------------------------------


def pool_number_json(row: Any, base_url: str) -> dict[str, Any]:
    sid = row["phone_number_sid"]
    capabilities = [
        name
        for name, column in (("MMS", "cap_mms"), ("SMS", "cap_sms"), ("Voice", "cap_voice"))
        if row[column]
    ]
    return {
        "sid": sid,
        "account_sid": row["account_sid"],
        "service_sid": row["service_sid"],
        "date_created": iso8601(row["date_created"]),
        "date_updated": iso8601(row["date_updated"]),
        "phone_number": row["phone_number"],
        "country_code": row["iso_country"],
        "capabilities": capabilities,
        "url": service_url(base_url, row["service_sid"], f"/PhoneNumbers/{sid}"),
    }


def _service_path(request: Request) -> str:
    return f"/v1/Services/{request.path_params['service_sid']}"


async def add_number(request: Request) -> Response:
    return await _add_member(request, NUMBERS)


async def list_numbers(request: Request) -> Response:
    return await _list_members(request, "phone_numbers", repo.pool_listing, pool_number_json)


async def fetch_number(request: Request) -> Response:
    return await _fetch_member(request, repo.get_pool_number, pool_number_json)


async def remove_number(request: Request) -> Response:
    return await _remove_member(request, repo.remove_number)


# -- The sender pool: ShortCodes -----------------------------------------------------------------


def pool_short_code_json(row: Any, base_url: str) -> dict[str, Any]:
    sid = row["short_code_sid"]
    return {
        "sid": sid,
        "account_sid": row["account_sid"],
        "service_sid": row["service_sid"],
        "date_created": iso8601(row["date_created"]),
        "date_updated": iso8601(row["date_updated"]),
        "short_code": row["short_code"],
        "country_code": row["iso_country"],
        "capabilities": ["MMS", "SMS"] if row["cap_mms"] else ["SMS"],
        "url": service_url(base_url, row["service_sid"], f"/ShortCodes/{sid}"),
    }


async def add_short_code(request: Request) -> Response:
    return await _add_member(request, SHORT_CODES)


async def list_short_codes(request: Request) -> Response:
    return await _list_members(
        request, "short_codes", repo.short_code_listing, pool_short_code_json
    )


async def fetch_short_code(request: Request) -> Response:
    return await _fetch_member(request, repo.get_pool_short_code, pool_short_code_json)


async def remove_short_code(request: Request) -> Response:
    return await _remove_member(request, repo.remove_short_code)


# -- The sender pool: AlphaSenders ---------------------------------------------------------------


def alpha_sender_json(row: Any, base_url: str) -> dict[str, Any]:
    sid, service_sid = row["sid"], row["service_sid"]
    return {
        "sid": sid,
        "account_sid": row["account_sid"],
        "service_sid": service_sid,
        "date_created": iso8601(row["date_created"]),
        "date_updated": iso8601(row["date_updated"]),
        "alpha_sender": row["alpha_sender"],
        "capabilities": ["SMS"],
        "url": service_url(base_url, service_sid, f"/AlphaSenders/{sid}"),
    }


def valid_alpha_sender(value: str) -> bool:
    """Up to 11 of A-Z, a-z, 0-9, space, ``-``, ``+``, ``_`` and ``&``; not only digits."""
    return bool(ALPHA_SENDER.match(value)) and not value.isdigit()


async def add_alpha_sender(request: Request) -> Response:
    return await _add_alpha_sender(request, repo.alphas, alpha_sender_json)


async def list_alpha_senders(request: Request) -> Response:
    return await _list_members(
        request, "alpha_senders", repo.alpha_sender_listing, alpha_sender_json
    )


async def fetch_alpha_sender(request: Request) -> Response:
    return await _fetch_member(request, repo.get_alpha_sender, alpha_sender_json)


async def remove_alpha_sender(request: Request) -> Response:
    return await _remove_member(request, repo.remove_alpha_sender)


# -- The sender pool: DestinationAlphaSenders (an alpha sender for one country, or for all) -----


def destination_alpha_sender_json(row: Any, base_url: str) -> dict[str, Any]:
    """As an AlphaSender, with its ``iso_country_code`` ("" for every country, as Twilio
    shows a default alpha sender) and its own URL."""
    sid = row["sid"]
    return {
        **alpha_sender_json(row, base_url),
        "iso_country_code": row["iso_country"],
        "url": service_url(base_url, row["service_sid"], f"/DestinationAlphaSenders/{sid}"),
    }


def iso_country_code(form: Form) -> str:
    """The ``IsoCountryCode`` sent, upper-cased ("" when absent: every country); 20422 for a
    value that is not a country's ISO 3166 alpha-2 code."""
    code = (form.text("IsoCountryCode") or "").upper()
    if code and not (len(code) == 2 and countries.is_country(code)):
        raise invalid_parameter(f"IsoCountryCode {code!r} is not a two-letter ISO country code")
    return code


async def add_destination_alpha_sender(request: Request) -> Response:
    return await _add_alpha_sender(
        request, repo.destination_alphas, destination_alpha_sender_json, with_country=True
    )


async def list_destination_alpha_senders(request: Request) -> Response:
    # The spec's list key for this resource is ``alpha_senders`` too. ``IsoCountryCode``
    # filters; its value is kept in the page URLs.
    query = query_form(request)
    country = query.text("IsoCountryCode")
    code = None if country is None else country.upper()
    return await _list_members(
        request,
        "alpha_senders",
        lambda service_sid: repo.alpha_sender_listing(service_sid, repo.destination_alphas, code),
        destination_alpha_sender_json,
        filters=[] if country is None else [("IsoCountryCode", country)],
    )


async def fetch_destination_alpha_sender(request: Request) -> Response:
    return await _fetch_member(
        request,
        functools.partial(repo.get_alpha_sender, table=repo.destination_alphas),
        destination_alpha_sender_json,
    )


async def remove_destination_alpha_sender(request: Request) -> Response:
    return await _remove_member(
        request, functools.partial(repo.remove_alpha_sender, table=repo.destination_alphas)
    )


async def _add_alpha_sender(
    request: Request,
    table: Table,
    render: Callable[[Any, str], dict[str, Any]],
    *,
    with_country: bool = False,
) -> Response:
    """POST of an AlphaSender or a DestinationAlphaSender: one validation, one check that the
    service has no such sender yet (for that country), one insert."""
    ctx, account_sid = await caller(request)
    service_sid = request.path_params["service_sid"]
    form = await read_form(request, ctx.settings.max_body_bytes)
    name = form.text("AlphaSender")
    if name is None:
        raise missing("AlphaSender")
    if not valid_alpha_sender(name):
        raise TwilioError(21709, f"AlphaSender {name!r} is not a valid alphanumeric sender ID")
    country = iso_country_code(form) if with_country else ""
    now = ctx.now_micros()
    row = {
        "sid": new_sid("AI"),
        "service_sid": service_sid,
        "account_sid": account_sid,
        "alpha_sender": name,
        "date_created": now,
        "date_updated": now,
    }
    if with_country:
        row["iso_country"] = country

    def work(conn: Connection) -> None:
        _require_service(conn, request, account_sid)
        if repo.alpha_sender_named(conn, service_sid, name, table, country) is not None:
            where = f" for {country}" if country else ""
            raise TwilioError(20409, f"AlphaSender {name!r} is already in this service{where}")
        repo.add_alpha_sender(conn, row, table)

    await ctx.db.run(work)
    return JSONResponse(render(row, ctx.settings.base_url), status_code=201)


# -- The pool's members (numbers, short codes, alpha senders): one way for each kind ------------


@dataclass(frozen=True, slots=True)
class Held:
    """A kind of pool member that is one of the account's own resources, added by its SID:
    a phone number (``PhoneNumberSid``) or a short code (``ShortCodeSid``)."""

    param: str
    prefix: str
    segment: str  # the pool's path segment: PhoneNumbers, ShortCodes
    column: str  # the pool row's column that holds the member's SID
    owned: Callable[[Connection, str, str], Any]  # (account, SID): the account's resource
    add: Callable[..., None]  # (conn, row, limit=...): PoolFull, NumberInService
    get: Callable[[Connection, str, str], Any]  # (service, SID): the pool entry
    render: Callable[[Any, str], dict[str, Any]]


NUMBERS = Held(
    "PhoneNumberSid",
    "PN",
    "PhoneNumbers",
    "phone_number_sid",
    numbers_repo.get_number,
    repo.add_number,
    repo.get_pool_number,
    pool_number_json,
)
SHORT_CODES = Held(
    "ShortCodeSid",
    "SC",
    "ShortCodes",
    "short_code_sid",
    short_codes_repo.get_short_code,
    repo.add_short_code,
    repo.get_pool_short_code,
    pool_short_code_json,
)


async def _add_member(request: Request, kind: Held) -> Response:
    """Add one of the account's numbers or short codes to the path's service: 20404 for one
    the account does not hold (another account's included), 21710 when this service has it
    already, 21712 when another of the account's services has it, 21714 when the pool holds
    :data:`POOL_LIMIT` numbers and short codes already."""
    ctx, account_sid = await caller(request)
    service_sid = request.path_params["service_sid"]
    form = await read_form(request, ctx.settings.max_body_bytes)
    sid = form.text(kind.param)
    if sid is None:
        raise missing(kind.param)
    if not is_sid(sid, kind.prefix):
        raise invalid_parameter(f"{kind.param} {sid!r} is not a {kind.prefix} SID")
    now = ctx.now_micros()

    def work(conn: Connection) -> Any:
        _require_service(conn, request, account_sid)
        # The account's own only: another account's is as missing as none.
        found(kind.owned(conn, account_sid, sid), f"{_service_path(request)}/{kind.segment}/{sid}")
        row = {
            kind.column: sid,
            "service_sid": service_sid,
            "account_sid": account_sid,
            "date_created": now,
            "date_updated": now,
        }
        try:
            kind.add(conn, row, limit=POOL_LIMIT)
        except repo.PoolFull:
            # Twilio's own words: "Messaging Service Number Pool size limit reached".
            raise TwilioError(21714) from None
        except repo.NumberInService as exc:
            if exc.args[0] == service_sid:
                raise TwilioError(21710, f"{sid} is already in this Messaging Service") from None
            raise TwilioError(
                21712, f"{sid} is associated with another Messaging Service"
            ) from None
        return kind.get(conn, service_sid, sid)

    return JSONResponse(kind.render(await ctx.db.run(work), ctx.settings.base_url), 201)


def _require_service(conn: Connection, request: Request, account_sid: str) -> None:
    """The 404 of the service's own path unless the account has the path's service."""
    service_sid = request.path_params["service_sid"]
    found(repo.get_service(conn, account_sid, service_sid), _service_path(request))


async def _list_members(
    request: Request,
    key: str,
    listing: Callable[[str], Listing],
    render: Callable[[Any, str], dict[str, Any]],
    *,
    filters: Sequence[tuple[str, str]] = (),
) -> Response:
    ctx, account_sid = await caller(request)
    base_url = ctx.settings.base_url
    return await v1_listing_response(
        ctx.db,
        key,
        listing(request.path_params["service_sid"]),
        PageRequest.from_query(query_form(request)),
        render=lambda row: render(row, base_url),
        base_url=base_url,
        path=request.url.path,
        filters=filters,
        before=lambda conn: _require_service(conn, request, account_sid),
    )


async def _fetch_member(
    request: Request,
    get: Callable[[Connection, str, str], Any],
    render: Callable[[Any, str], dict[str, Any]],
) -> Response:
    ctx, account_sid = await caller(request)
    service_sid, sid = request.path_params["service_sid"], request.path_params["sid"]

    def work(conn: Connection) -> Any:
        _require_service(conn, request, account_sid)
        return found(get(conn, service_sid, sid), request.url.path)

    return JSONResponse(render(await ctx.db.read(work), ctx.settings.base_url))


async def _remove_member(
    request: Request, remove: Callable[[Connection, str, str], bool]
) -> Response:
    ctx, account_sid = await caller(request)
    service_sid, sid = request.path_params["service_sid"], request.path_params["sid"]

    def work(conn: Connection) -> bool:
        _require_service(conn, request, account_sid)
        return remove(conn, service_sid, sid)

    if not await ctx.db.run(work):
        raise not_found(request.url.path)
    return Response(status_code=204)
