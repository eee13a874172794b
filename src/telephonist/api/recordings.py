"""``Recordings``: an account's recordings and a call's, their metadata and their audio.

Recordings are made by calls (:func:`~telephonist.dispatch.recordings.store_recording`); the API
reads and deletes them. A delete removes the recording outright: Twilio keeps deleted
recordings' metadata for 40 days (``IncludeSoftDeleted``), telephonist keeps nothing, so that
parameter is accepted and finds nothing more.

The audio is served as Twilio serves it, at the resource's URL without ``.json``: a WAV file
there and at ``.wav``, generated from the recording's length as it is sent. Like Twilio's by
default, these URLs take no credentials (the app handed a ``RecordingUrl`` holds none); the
recording must be the path's account's. telephonist produces no MP3: ``.mp3`` answers 404 for
every recording, saying so.

Twilio's two schemas type ``price`` differently: a string on the account's Recording, a
number on a call's (though the spec's own example there is a string). Each is rendered as its
schema says, so the Python SDK's ``Decimal`` of a call recording's price is that of a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from telephonist.api.context import context, scoped
from telephonist.api.forms import query_form
from telephonist.api.paging import PageRequest, day_range, listing_response
from telephonist.api.render import JSONResponse, account_uri, rfc2822
from telephonist.domain import API_VERSION, audio
from telephonist.domain.recordings import media_path
from telephonist.errors import TwilioError, found, not_found
from telephonist.storage.repositories import calls as calls_repo
from telephonist.storage.repositories import recordings as repo


def recording_json(row: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The account's Recording resource; ``media_url`` is absolute, on ``base_url``."""
    sid, account = row["sid"], row["account_sid"]
    base = f"/Recordings/{sid}"
    return {
        **_common(row),
        "media_url": base_url + media_path(account, sid),
        "price": row["price"],
        "subresource_uris": {
            "add_on_results": account_uri(account, f"{base}/AddOnResults.json"),
            "transcriptions": account_uri(account, f"{base}/Transcriptions.json"),
        },
        "uri": account_uri(account, f"{base}.json"),
    }


def call_recording_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """A call's Recording resource (the call's subresource)."""
    price = row["price"]
    return {
        **_common(row),
        "price": None if price is None else float(price),
        "track": row["track"],
        "uri": account_uri(
            row["account_sid"], f"/Calls/{row['call_sid']}/Recordings/{row['sid']}.json"
        ),
    }


def _common(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "account_sid": row["account_sid"],
        "api_version": API_VERSION,
        "call_sid": row["call_sid"],
        "channels": row["channels"],
        "conference_sid": None,
        "date_created": rfc2822(row["date_created"]),
        "date_updated": rfc2822(row["date_updated"]),
        "duration": str(row["duration"]),
        "encryption_details": None,
        "error_code": row["error_code"],
        "price_unit": row["price_unit"],
        "sid": row["sid"],
        "source": row["source"],
        "start_time": rfc2822(row["start_time"]),
        "status": row["status"],
    }


# -- the account's recordings ------------------------------------------------------------------


async def list_recordings(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    query = query_form(request)
    page = PageRequest.from_query(query)
    filters: list[tuple[str, str]] = []
    since, until = day_range(query, "DateCreated", filters)
    named = {p: query.get(p) for p in ("CallSid", "ConferenceSid", "IncludeSoftDeleted")}
    filters += [(p, value) for p, value in named.items() if value is not None]
    query.bool("IncludeSoftDeleted")  # true or false; nothing deleted is kept either way
    listing = repo.recording_listing(
        ref.sid,
        call_sid=named["CallSid"],
        conference_sid=named["ConferenceSid"],
        since=since,
        until=until,
    )
    base_url = ctx.settings.base_url
    return await listing_response(
        ctx.db,
        "recordings",
        listing,
        page,
        render=lambda row: recording_json(row, base_url),
        path=request.url.path,
        filters=filters,
    )


async def fetch_recording(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    query_form(request).bool("IncludeSoftDeleted")
    row = await ctx.db.read(repo.get_recording, ref.sid, request.path_params["sid"])
    return JSONResponse(recording_json(found(row, request.url.path), ctx.settings.base_url))


async def delete_recording(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    if not await ctx.db.run(repo.delete_recording, ref.sid, request.path_params["sid"]):
        raise not_found(request.url.path)
    return Response(status_code=204)


# -- a call's recordings -----------------------------------------------------------------------


async def list_call_recordings(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    call_sid = request.path_params["call_sid"]
    query = query_form(request)
    page = PageRequest.from_query(query)
    filters: list[tuple[str, str]] = []
    since, until = day_range(query, "DateCreated", filters)

    def call_exists(conn: Connection) -> None:
        found(calls_repo.get_call(conn, ref.sid, call_sid), request.url.path)

    return await listing_response(
        ctx.db,
        "recordings",
        repo.recording_listing(ref.sid, call_sid=call_sid, since=since, until=until),
        page,
        render=call_recording_json,
        path=request.url.path,
        filters=filters,
        before=call_exists,
    )


async def fetch_call_recording(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    p = request.path_params
    row = await ctx.db.read(
        lambda conn: repo.get_recording(conn, ref.sid, p["sid"], call_sid=p["call_sid"])
    )
    return JSONResponse(call_recording_json(found(row, request.url.path)))


async def delete_call_recording(request: Request) -> Response:
    ctx, _, ref = await scoped(request)
    p = request.path_params
    deleted = await ctx.db.run(
        lambda conn: repo.delete_recording(conn, ref.sid, p["sid"], call_sid=p["call_sid"])
    )
    if not deleted:
        raise not_found(request.url.path)
    return Response(status_code=204)


# -- the audio ---------------------------------------------------------------------------------


async def recording_audio(request: Request) -> Response:
    """The WAV, at the recording's URL without ``.json`` (the ``RecordingUrl``) or ``.wav``.

    Public, like Twilio's recording media by default: the app fetching it holds no credentials.
    """
    ctx = context(request)
    p = request.path_params
    micros, channels = found(
        await ctx.db.read(repo.audio_of, p["account_sid"], p["sid"]), request.url.path
    )
    return StreamingResponse(
        audio.wav_chunks(micros, channels),
        media_type=audio.CONTENT_TYPE,
        headers={"Content-Length": str(audio.wav_size(micros, channels))},
    )


async def recording_mp3(request: Request) -> Response:
    """``.mp3``: not produced (telephonist encodes no MP3), for any recording or none."""
    context(request)
    raise TwilioError(
        20404,
        f"The requested resource {request.url.path} was not found: telephonist serves "
        "recordings as WAV only (the same URL with .wav, or without an extension)",
    )
