"""``AvailablePhoneNumbers`` (search the simulated inventory) and ``IncomingPhoneNumbers``."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from telephonist.api.context import Context, scoped
from telephonist.api.errors import twilio_error
from telephonist.api.forms import Form, query_form, read_form
from telephonist.api.paging import PageRequest, envelope, listing_response
from telephonist.api.render import JSONResponse, account_uri, rfc2822
from telephonist.domain import API_VERSION, inventory
from telephonist.domain.accounts import can_reach
from telephonist.domain.countries import country_name
from telephonist.domain.phone import parse_e164
from telephonist.domain.sids import is_sid, new_sid
from telephonist.errors import TwilioError, found, invalid_parameter, not_found
from telephonist.storage.repositories import applications as applications_repo
from telephonist.storage.repositories import numbers as repo

KIND_PATHS: dict[str, inventory.NumberKind] = {
    "Local": "local",
    "TollFree": "toll_free",
    "Mobile": "mobile",
}
KIND_JSON = {"local": "local", "toll_free": "tollfree", "mobile": "mobile"}
SUBRESOURCE_KEYS = {"local": "local", "toll_free": "toll_free", "mobile": "mobile"}
# Search kinds Twilio lists but the simulated inventory does not stock: they answer empty lists.
EMPTY_KINDS = ("National", "Voip", "SharedCost", "MachineToMachine")

# Configurable fields: request parameter -> resource field, with defaults.
URL_FIELDS = {
    "SmsUrl": "sms_url",
    "SmsFallbackUrl": "sms_fallback_url",
    "VoiceUrl": "voice_url",
    "VoiceFallbackUrl": "voice_fallback_url",
    "StatusCallback": "status_callback",
}
METHOD_FIELDS = {
    "SmsMethod": "sms_method",
    "SmsFallbackMethod": "sms_fallback_method",
    "VoiceMethod": "voice_method",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallbackMethod": "status_callback_method",
}
SID_FIELDS: dict[str, tuple[str, str, int]] = {
    # parameter: (resource field, SID prefix, the code Twilio refuses another value with)
    "SmsApplicationSid": ("sms_application_sid", "AP", 21420),  # ApplicationSid not accessible
    "VoiceApplicationSid": ("voice_application_sid", "AP", 21420),
    "TrunkSid": ("trunk_sid", "TK", 20423),  # Invalid SID: no code of their own for these three
    "IdentitySid": ("identity_sid", "RI", 20423),
    "BundleSid": ("bundle_sid", "BU", 20423),
    "AddressSid": ("address_sid", "AD", 22109),  # Invalid Address SID
    "EmergencyAddressSid": ("emergency_address_sid", "AD", 22109),
}
"""The SID parameters, each held to the spec's ``^XX[0-9a-fA-F]{32}$``: the value comes back in
every fetch of the number, whose schema demands that pattern. An application SID must also name
one of the owning account's applications (21420, see :func:`refuse_unknown_applications`); the
other resources are not modelled here yet, so a well-formed SID is taken on trust. An empty
value clears the field."""
APPLICATION_FIELDS = {
    "SmsApplicationSid": "sms_application_sid",
    "VoiceApplicationSid": "voice_application_sid",
}
DEFAULT_CONFIG: dict[str, Any] = {
    "api_version": API_VERSION,
    "sms_url": "",
    "sms_method": "POST",
    "sms_fallback_url": "",
    "sms_fallback_method": "POST",
    "sms_application_sid": None,
    "voice_url": None,
    "voice_method": "POST",
    "voice_fallback_url": None,
    "voice_fallback_method": "POST",
    "voice_application_sid": None,
    "voice_caller_id_lookup": False,
    "voice_receive_mode": "voice",
    "status_callback": "",
    "status_callback_method": "POST",
    "trunk_sid": None,
    "identity_sid": None,
    "address_sid": None,
    "bundle_sid": None,
    "emergency_status": "Inactive",
    "emergency_address_sid": None,
    "emergency_address_status": "unregistered",
}
MAGIC_UNAVAILABLE = "+15005550000"
MAGIC_INVALID = "+15005550001"
MAGIC_OK = "+15005550006"


# -- AvailablePhoneNumbers -----------------------------------------------------------------------


def _country_json(account_sid: str, code: str) -> dict[str, Any]:
    base = f"/AvailablePhoneNumbers/{code}"
    kinds = inventory.kinds_for(code)
    paths = {v: k for k, v in KIND_PATHS.items()}
    return {
        "beta": False,
        "country": country_name(code),
        "country_code": code,
        "subresource_uris": {
            SUBRESOURCE_KEYS[k]: account_uri(account_sid, f"{base}/{paths[k]}.json") for k in kinds
        },
        "uri": account_uri(account_sid, f"{base}.json"),
    }


async def list_countries(request: Request) -> Response:
    _, _, ref = await scoped(request)
    countries = [_country_json(ref.sid, c) for c in inventory.supported_countries()]
    return JSONResponse(
        {"countries": countries, "uri": account_uri(ref.sid, "/AvailablePhoneNumbers.json")}
    )


async def fetch_country(request: Request) -> Response:
    _, _, ref = await scoped(request)
    code = request.path_params["country"]
    if code not in inventory.supported_countries():
        raise not_found(request.url.path)
    return JSONResponse(_country_json(ref.sid, code))


def _float(value: str | None) -> float | None:
    """The spec types coordinates as numbers (its examples show strings; the schema wins)."""
    return float(value) if value else None


def _available_json(number: inventory.AvailableNumber) -> dict[str, Any]:
    caps = number.capabilities
    return {
        "address_requirements": number.address_requirements,
        "beta": number.beta,
        "capabilities": {"mms": caps.mms, "sms": caps.sms, "voice": caps.voice, "fax": caps.fax},
        "friendly_name": number.friendly_name,
        "iso_country": number.iso_country,
        "lata": number.lata,
        "latitude": _float(number.latitude),
        "locality": number.locality,
        "longitude": _float(number.longitude),
        "phone_number": number.phone_number,
        "postal_code": number.postal_code,
        "rate_center": number.rate_center,
        "region": number.region,
    }


SEARCH_FILTERS = (
    "AreaCode",
    "Contains",
    "SmsEnabled",
    "MmsEnabled",
    "VoiceEnabled",
    "FaxEnabled",
    "ExcludeAllAddressRequired",
    "ExcludeLocalAddressRequired",
    "ExcludeForeignAddressRequired",
    "Beta",
    "NearNumber",
    "NearLatLong",
    "Distance",
    "InPostalCode",
    "InRegion",
    "InRateCenter",
    "InLata",
    "InLocality",
)


async def search_numbers(request: Request) -> Response:
    ctx, _, _ref = await scoped(request)
    code = request.path_params["country"]
    kind_path = request.path_params["kind"]
    path = request.url.path
    if code not in inventory.supported_countries():
        raise not_found(path)
    query = query_form(request)
    page = PageRequest.from_query(query)
    filters = [(name, v) for name in SEARCH_FILTERS if (v := query.get(name)) is not None]
    if kind_path in EMPTY_KINDS:
        results: list[inventory.AvailableNumber] = []
    elif kind_path in KIND_PATHS and KIND_PATHS[kind_path] in inventory.kinds_for(code):
        area = query.get("AreaCode")
        if area is not None and not re.fullmatch(r"\d{3}", area):
            raise TwilioError(21451, f"AreaCode {area} is not valid")
        search = inventory.SearchQuery(
            country=code,
            kind=KIND_PATHS[kind_path],
            area_code=area,
            contains=query.get("Contains") or None,
            in_region=query.get("InRegion") or None,
            in_postal_code=query.get("InPostalCode") or None,
            in_locality=query.get("InLocality") or None,
            near_number=parse_e164(query.get("NearNumber") or "") or None,
            sms_enabled=query.bool("SmsEnabled"),
            mms_enabled=query.bool("MmsEnabled"),
            voice_enabled=query.bool("VoiceEnabled"),
            fax_enabled=query.bool("FaxEnabled"),
            exclude_all_address_required=bool(query.bool("ExcludeAllAddressRequired")),
            exclude_local_address_required=bool(query.bool("ExcludeLocalAddressRequired")),
            exclude_foreign_address_required=bool(query.bool("ExcludeForeignAddressRequired")),
            limit=page.page_size,
        )
        candidates = _search(search)
        owned = await ctx.db.read(repo.owned_among, [n.phone_number for n in candidates])
        results = [n for n in candidates if n.phone_number not in owned]
    elif kind_path in KIND_PATHS:
        results = []
    else:
        raise not_found(path)
    body = envelope(
        "available_phone_numbers",
        [_available_json(n) for n in results],
        path=path,
        filters=filters,
        page=page,
        next_cursor=None,
    )
    return JSONResponse(body)


def _search(
    query: inventory.SearchQuery, is_taken: Callable[[str], bool] | None = None
) -> list[inventory.AvailableNumber]:
    """The inventory's offer; the searches it refuses become the client's error here, once."""
    try:
        if is_taken is None:
            return inventory.search(query)
        return inventory.search(query, is_taken=is_taken)
    except inventory.InvalidSearch as exc:
        raise twilio_error(exc) from None


# -- IncomingPhoneNumbers ------------------------------------------------------------------------


def number_json(row: Any, *, typed: bool = False) -> dict[str, Any]:
    """The IncomingPhoneNumber resource. The typed lists (Local, Mobile, TollFree) describe
    the same resource without ``type``, since their path already says it."""
    config = {**DEFAULT_CONFIG, **json.loads(row["config"])}
    sid = row["sid"]
    out = {
        "account_sid": row["account_sid"],
        "address_requirements": row["address_requirements"],
        "address_sid": config["address_sid"],
        "api_version": config["api_version"],
        "beta": False,
        "bundle_sid": config["bundle_sid"],
        "capabilities": {
            "voice": row["cap_voice"],
            "sms": row["cap_sms"],
            "mms": row["cap_mms"],
            "fax": row["cap_fax"],
        },
        "date_created": rfc2822(row["date_created"]),
        "date_updated": rfc2822(row["date_updated"]),
        "emergency_address_sid": config["emergency_address_sid"],
        "emergency_address_status": config["emergency_address_status"],
        "emergency_status": config["emergency_status"],
        "friendly_name": row["friendly_name"],
        "identity_sid": config["identity_sid"],
        "origin": row["origin"],
        "phone_number": row["phone_number"],
        "sid": sid,
        "sms_application_sid": config["sms_application_sid"],
        "sms_fallback_method": config["sms_fallback_method"],
        "sms_fallback_url": config["sms_fallback_url"],
        "sms_method": config["sms_method"],
        "sms_url": config["sms_url"],
        "status": "in-use",
        "status_callback": config["status_callback"],
        "status_callback_method": config["status_callback_method"],
        "trunk_sid": config["trunk_sid"],
        "type": KIND_JSON.get(row["kind"], row["kind"]),
        "uri": account_uri(row["account_sid"], f"/IncomingPhoneNumbers/{sid}.json"),
        "voice_application_sid": config["voice_application_sid"],
        "voice_caller_id_lookup": config["voice_caller_id_lookup"],
        "voice_fallback_method": config["voice_fallback_method"],
        "voice_fallback_url": config["voice_fallback_url"],
        "voice_method": config["voice_method"],
        "voice_receive_mode": config["voice_receive_mode"],
        "voice_url": config["voice_url"],
    }
    if typed:
        del out["type"]
    return out


def url_code(param: str) -> int:
    """The code Twilio refuses a bad URL parameter with: 21502 (invalid callback URL) for the
    messaging ones, 21205 (invalid URL) for the rest."""
    return 21502 if param.startswith(("Sms", "Message")) else 21205


def url_changes(form: Form, fields: dict[str, str]) -> dict[str, str]:
    """The URL parameters of ``fields`` (parameter -> resource field) present in the request,
    each an http(s) URL or empty (which clears it)."""
    changes: dict[str, str] = {}
    for param, field in fields.items():
        if (value := form.get(param)) is not None:
            if value and not re.match(r"^https?://[^\s/]+", value):
                raise TwilioError(url_code(param), f"{param} {value!r} is not a valid URL")
            changes[field] = value
    return changes


def method_changes(form: Form, fields: dict[str, str]) -> dict[str, str]:
    """The HTTP method parameters of ``fields`` present in the request: GET or POST."""
    return {field: method for param, field in fields.items() if (method := form.method(param))}


def api_version_change(form: Form) -> dict[str, str]:
    if (api_version := form.choice("ApiVersion", ("2010-04-01", "2008-08-01"))) is not None:
        return {"api_version": api_version}
    return {}


def friendly_name(form: Form) -> str | None:
    """FriendlyName, at most 64 characters (20002 beyond)."""
    name = form.get("FriendlyName")
    if name is not None and len(name) > 64:
        raise TwilioError(20002, "FriendlyName must be at most 64 characters")
    return name


def config_changes(form: Form) -> dict[str, Any]:
    """The configurable fields present in the request, validated."""
    changes: dict[str, Any] = {**url_changes(form, URL_FIELDS)}
    changes.update(method_changes(form, METHOD_FIELDS))
    for param, (field, prefix, code) in SID_FIELDS.items():
        if (value := form.get(param)) is not None:
            if value and not is_sid(value, prefix):
                raise TwilioError(code, f"{param} {value!r} is not a valid {prefix} SID")
            changes[field] = value or None
    if (flag := form.bool("VoiceCallerIdLookup")) is not None:
        changes["voice_caller_id_lookup"] = flag
    if (mode := form.choice("VoiceReceiveMode", ("voice", "fax"))) is not None:
        changes["voice_receive_mode"] = mode
    if (status := form.choice("EmergencyStatus", ("Active", "Inactive"))) is not None:
        changes["emergency_status"] = status
    changes.update(api_version_change(form))
    return changes


def refuse_unknown_applications(
    conn: Connection, account_sid: str, changes: dict[str, Any]
) -> None:
    """21420 for an application SID that names no application of ``account_sid``: one that
    does not exist and another account's are the same answer."""
    named = {p: sid for p, f in APPLICATION_FIELDS.items() if (sid := changes.get(f))}
    owned = applications_repo.owned_among(conn, account_sid, list(named.values()))
    for param, sid in named.items():
        if sid not in owned:
            raise TwilioError(21420, f"{param} {sid} is not an application of this account")


async def buy_number(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    if ref.status != "active":
        raise TwilioError(20005)
    kind_path = request.path_params.get("kind")
    if kind_path is not None and kind_path not in KIND_PATHS:
        raise not_found(request.url.path)
    want_kind = KIND_PATHS[kind_path] if kind_path else None
    form = await read_form(request, ctx.settings.max_body_bytes)
    changes = config_changes(form)
    friendly = friendly_name(form)
    requested = form.text("PhoneNumber")
    area_code = form.text("AreaCode")
    if requested is None and area_code is None:
        raise invalid_parameter("A PhoneNumber or AreaCode is required")
    if any(changes.get(field) for field in APPLICATION_FIELDS.values()):
        await ctx.db.read(refuse_unknown_applications, ref.sid, changes)
    now = ctx.now_micros()

    if requested is not None:
        e164 = parse_e164(requested)
        if e164 is None or e164 == MAGIC_INVALID:
            raise TwilioError(21421, f"PhoneNumber {requested} is not valid.")
        if e164 == MAGIC_UNAVAILABLE:
            raise _unavailable(requested)
        # A number someone owns and a number the inventory never had are one answer, reached
        # the same way: one read, no write. Letting the insert find the owner instead took
        # a failed write, more than twice as long, which told a prober which numbers are in
        # use. The unique column still decides a race between two buyers (below).
        owned = await ctx.db.read(repo.owned_among, [e164])
        record = _describe(e164)
        if record is None or e164 in owned:
            raise _unavailable(requested)
        candidates = [record]
    else:
        assert area_code is not None
        candidates = await _by_area_code(ctx, area_code, want_kind)
    if want_kind is not None and candidates[0].kind != want_kind:
        raise _unavailable(requested or area_code or "")

    for record in candidates:
        row = _new_number_row(ref.sid, record, friendly, changes, now)
        try:
            await ctx.db.run(repo.insert_number, row)
        except repo.NumberTaken:
            continue  # someone owns it already; for an AreaCode buy, try the next one
        return JSONResponse(number_json(row, typed=kind_path is not None), status_code=201)
    if requested is not None:
        raise _unavailable(requested)
    raise TwilioError(21452)


def _unavailable(number: str) -> TwilioError:
    return TwilioError(21422, f"PhoneNumber {number} is not available.")


def _describe(e164: str) -> inventory.AvailableNumber | None:
    if e164 == MAGIC_OK or e164.startswith("+1500555"):
        return _magic_record(e164)
    if not inventory.is_purchasable(e164):
        return None
    kind = inventory.number_kind(e164)
    return inventory.describe(e164, kind) if kind else None


def _magic_record(e164: str) -> inventory.AvailableNumber:
    """Twilio's test numbers (+1 500 555 xxxx) are buyable here, as with test credentials."""
    return inventory.AvailableNumber(
        phone_number=e164,
        friendly_name=f"(500) 555-{e164[-4:]}",
        iso_country="US",
        kind="local",
        locality=None,
        region=None,
        postal_code=None,
        rate_center=None,
        lata=None,
        latitude=None,
        longitude=None,
        address_requirements="none",
        beta=False,
        capabilities=inventory.Capabilities(voice=True, sms=True, mms=True, fax=False),
    )


async def _by_area_code(
    ctx: Context, area_code: str, kind: inventory.NumberKind | None
) -> list[inventory.AvailableNumber]:
    if area_code == "533":
        raise TwilioError(21452)
    if area_code == "500":
        rng = random.Random()
        return [_magic_record(f"+1500555{rng.randrange(10000):04d}") for _ in range(20)]
    if not re.fullmatch(r"\d{3}", area_code):
        raise TwilioError(21451, f"AreaCode {area_code} is not valid")
    owned = await ctx.db.read(repo.owned_with_prefix, "+1" + area_code)
    offer: list[inventory.AvailableNumber] = []
    for country in ("US", "CA"):
        offer = _search(
            inventory.SearchQuery(
                country=country, kind=kind or "local", area_code=area_code, limit=20
            ),
            is_taken=owned.__contains__,
        )
        if offer:
            break
    if len(offer) < 5:
        # The sampled inventory is deterministic per query; once it is bought up, draw more.
        offer += _random_in_area(area_code, kind, owned)
    if not offer:
        raise TwilioError(21452)
    return offer


def _random_in_area(
    area_code: str, kind: inventory.NumberKind | None, owned: set[str]
) -> list[inventory.AvailableNumber]:
    rng = random.Random()
    out: list[inventory.AvailableNumber] = []
    for _ in range(200):
        candidate = f"+1{area_code}{rng.randrange(200, 1000)}{rng.randrange(10000):04d}"
        if candidate in owned or not inventory.is_purchasable(candidate):
            continue
        found_kind = inventory.number_kind(candidate)
        if found_kind is None or (kind is not None and found_kind != kind):
            continue
        out.append(inventory.describe(candidate, found_kind))
        if len(out) >= 10:
            break
    return out


def _new_number_row(
    account_sid: str,
    record: inventory.AvailableNumber,
    friendly: str | None,
    changes: dict[str, Any],
    now: int,
) -> dict[str, Any]:
    caps = record.capabilities
    return {
        "sid": new_sid("PN"),
        "account_sid": account_sid,
        "phone_number": record.phone_number,
        "friendly_name": friendly or record.friendly_name,
        "kind": record.kind,
        "iso_country": record.iso_country,
        "cap_voice": caps.voice,
        "cap_sms": caps.sms,
        "cap_mms": caps.mms,
        "cap_fax": caps.fax,
        "address_requirements": record.address_requirements,
        "origin": "twilio",
        "config": json.dumps(changes),
        "date_created": now,
        "date_updated": now,
    }


async def list_numbers(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    kind_path = request.path_params.get("kind")
    if kind_path is not None and kind_path not in KIND_PATHS:
        raise not_found(request.url.path)
    query = query_form(request)
    page = PageRequest.from_query(query)
    filters: list[tuple[str, str]] = []
    name, pattern, origin = (query.get(p) for p in ("FriendlyName", "PhoneNumber", "Origin"))
    for param, value in (
        ("FriendlyName", name),
        ("PhoneNumber", pattern),
        ("Origin", origin),
        ("Beta", query.get("Beta")),  # repeated in the paging URIs, not applied
    ):
        if value is not None:
            filters.append((param, value))
    listing = repo.number_listing(
        ref.sid,
        kind=KIND_PATHS[kind_path] if kind_path is not None else None,
        friendly_name=name,
        phone_number=pattern,
        origin=origin,
    )

    typed = kind_path is not None
    return await listing_response(
        ctx.db,
        "incoming_phone_numbers",
        listing,
        page,
        render=lambda row: number_json(row, typed=typed),
        path=request.url.path,
        filters=filters,
    )


async def fetch_number(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    row = await ctx.db.read(repo.get_number, ref.sid, request.path_params["sid"])
    return JSONResponse(number_json(found(row, request.url.path)))


async def update_number(request: Request) -> Response:
    ctx, who, ref = await scoped(request)
    sid = request.path_params["sid"]
    form = await read_form(request, ctx.settings.max_body_bytes)
    changes = config_changes(form)
    friendly = friendly_name(form)
    target = form.text("AccountSid")
    if target is not None and target != ref.sid:
        target_ref = await ctx.auth.lookup(target)
        if target_ref is None or not (can_reach(who, target_ref.sid, target_ref.owner_account_sid)):
            raise invalid_parameter(
                f"AccountSid {target} is not an account you can move numbers to"
            )
    now = ctx.now_micros()

    def work(conn: Connection) -> Any:
        row = found(repo.get_number(conn, ref.sid, sid), request.url.path)
        # The applications of the account that will own the number.
        refuse_unknown_applications(conn, target or ref.sid, changes)
        values: dict[str, Any] = {"date_updated": now}
        if changes:
            values["config"] = json.dumps({**json.loads(row["config"]), **changes})
        if friendly is not None:
            values["friendly_name"] = friendly or row["friendly_name"]
        if target is not None:
            values["account_sid"] = target
        return repo.update_number(conn, sid, values)

    return JSONResponse(number_json(await ctx.db.run(work)))


async def release_number(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    if not await ctx.db.run(repo.delete_number, ref.sid, request.path_params["sid"]):
        raise not_found(request.url.path)
    return Response(status_code=204)


def _route_ref(request: Request) -> bool:
    """Rename the ``{ref}`` path parameter to ``kind`` or ``sid``; True for a kind."""
    params = request.scope["path_params"]
    ref = params.pop("ref")
    is_kind = ref in KIND_PATHS
    params["kind" if is_kind else "sid"] = ref
    return is_kind


async def get_by_ref(request: Request) -> Response:
    return await (list_numbers if _route_ref(request) else fetch_number)(request)


async def post_by_ref(request: Request) -> Response:
    return await (buy_number if _route_ref(request) else update_number)(request)


async def delete_by_ref(request: Request) -> Response:
    if _route_ref(request):
        raise TwilioError(20004, "Method not allowed")
    return await release_number(request)
