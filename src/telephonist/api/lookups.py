"""Lookups v2: ``GET /v2/PhoneNumbers/{PhoneNumber}``.

On Twilio this lives on its own host (``lookups.twilio.com``); here it is on the one host,
under the same path, so pointing the SDK's ``lookups`` domain (or every domain) at the server
is enough. It takes the same credentials as the rest of the API and concerns no account's
resources, so any active or suspended account's credentials may read it.

What a number looks up to is :mod:`telephonist.domain.lookups`; the one thing the edge adds is
the simulated carrier's view of a handset: a number whose scenario (by the rules in force for
the caller's account, exactly as its messages would be handed over) says what kind of line it
is, a ``landline`` for one, has that ``line_type_intelligence`` type.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from telephonist.api.context import Context, principal
from telephonist.api.forms import query_form
from telephonist.api.render import JSONResponse
from telephonist.domain import lookups
from telephonist.domain.accounts import Principal
from telephonist.providers.simulator.carrier import NAME, Simulator

PREFIX = "/v2/PhoneNumbers"


async def fetch_phone_number(request: Request) -> Response:
    ctx, who = await principal(request)
    query = query_form(request)
    fields = lookups.parse_fields(query.text("Fields"))
    raw = request.path_params["phone_number"]
    reading = lookups.read(raw, query.text("CountryCode"))
    line_type = None
    if "line_type_intelligence" in fields:
        line_type = await _handset_line_type(ctx, who, reading)
    url = f"{ctx.settings.base_url}{PREFIX}/{quote(reading.phone_number, safe='+')}"
    return JSONResponse(lookups.resource(reading, fields, url, line_type=line_type))


async def _handset_line_type(
    ctx: Context, who: Principal, reading: lookups.Reading
) -> lookups.LineType | None:
    """The line type the simulated carrier gives the number, if it runs and says one."""
    if reading.e164 is None or NAME not in ctx.providers:
        return None
    simulator = ctx.providers.get(NAME)
    assert isinstance(simulator, Simulator)
    scenario = await simulator.scenario_for(who.account_sid, reading.e164)
    return scenario.line_type
