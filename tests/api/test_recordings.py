"""Recordings in process: what storing one returns, the account's and a call's lists, fetch,
delete, the WAV at the recording's URL (without credentials), MP3 refused, and another
account's recordings answering exactly as missing ones.

Recordings are stored the way a call's step stores them, through ``store_recording`` on the
app's own database; every JSON answer is validated against the spec by the client.
"""

from __future__ import annotations

import io
import re
import wave
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from telephonist.api.context import Context
from telephonist.dispatch.recordings import store_recording
from telephonist.domain.sids import new_sid
from tests.api.conftest import BASE_URL, Api
from tests.api.test_error_shape import assert_twilio_error
from tests.conftest import check_response

pytestmark = pytest.mark.anyio

Auth = tuple[str, str]


def micros_at(year: int, month: int, day: int, hour: int = 12) -> int:
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp() * 1_000_000)


def ctx_of(api: Api) -> Context:
    ctx: Context = api.transport.app.state.ctx  # type: ignore[attr-defined]
    return ctx


async def place_call(api: Api, auth: Auth) -> str:
    """A call of ``auth``'s account, placed through the API (queued: the clock is manual)."""
    number = await api.buy_number(auth)
    async with api.client(auth) as http:
        response = await http.post(
            api.path("Calls.json", auth[0]),
            data={"To": "+14155550199", "From": number, "Twiml": "<Response><Record/></Response>"},
        )
    assert response.status_code == 201, response.text
    return str(response.json()["sid"])


async def record(
    api: Api, account_sid: str, call_sid: str, micros: int, *, now: int | None = None
) -> dict[str, Any]:
    ctx = ctx_of(api)
    at = ctx.now_micros() if now is None else now
    return await ctx.db.run(
        lambda conn: store_recording(
            conn,
            account_sid=account_sid,
            call_sid=call_sid,
            micros=micros,
            now=at,
            source="RecordVerb",
        )
    )


def raw(api: Api) -> httpx.AsyncClient:
    """No credentials and no JSON validation: for the audio, which is not JSON."""
    return httpx.AsyncClient(transport=api.transport, base_url=BASE_URL)


async def test_storing_returns_what_the_record_action_carries(api: Api) -> None:
    """store_recording answers the RecordingSid, the recording's path as RecordingUrl and the
    duration in whole seconds, a started second counting; the resource says the same."""
    me = await api.subaccount("stored")
    call = await place_call(api, me)
    ended = micros_at(2031, 5, 2, 9)
    stored = await record(api, me[0], call, 4_200_000, now=ended)

    sid = stored["RecordingSid"]
    assert re.fullmatch(r"RE[0-9a-f]{32}", sid)
    assert stored["RecordingUrl"] == f"/2010-04-01/Accounts/{me[0]}/Recordings/{sid}"
    assert stored["RecordingDuration"] == "5"
    assert stored["sid"] == sid and stored["audio_micros"] == 4_200_000

    async with api.client(me) as http:
        body = (await http.get(api.path(f"Recordings/{sid}.json", me[0]))).json()
    assert body["sid"] == sid and body["call_sid"] == call and body["account_sid"] == me[0]
    assert body["status"] == "completed" and body["source"] == "RecordVerb"
    assert body["duration"] == "5" and body["channels"] == 1
    assert body["date_created"] == "Fri, 02 May 2031 09:00:00 +0000"
    assert body["start_time"] == "Fri, 02 May 2031 08:59:55 +0000"  # 4.2 s before the end
    assert body["price"] == "-0.00250" and body["price_unit"] == "USD"
    assert body["media_url"] == BASE_URL + stored["RecordingUrl"]
    assert body["uri"] == stored["RecordingUrl"] + ".json"


async def test_an_empty_recording_or_an_unknown_source_is_not_stored(api: Api) -> None:
    """Nothing is stored for no audio (``<Record>`` falls through) or a made-up source."""
    me = await api.subaccount("refused")
    call = await place_call(api, me)
    with pytest.raises(ValueError, match="holds audio"):
        await record(api, me[0], call, 0)
    ctx = ctx_of(api)
    with pytest.raises(ValueError, match="source"):
        await ctx.db.run(
            lambda conn: store_recording(
                conn, account_sid=me[0], call_sid=call, micros=1, now=1, source="Karaoke"
            )
        )
    async with api.client(me) as http:
        listed = (await http.get(api.path("Recordings.json", me[0]))).json()
    assert listed["recordings"] == []


async def test_list_filters_by_day_and_call_and_pages(api: Api) -> None:
    """Newest first; DateCreated is a UTC day, DateCreated< and > include their day; CallSid
    keeps one call's; PageSize pages through every one, the filters kept in the page URIs."""
    me = await api.subaccount("listed")
    first, second = await place_call(api, me), await place_call(api, me)
    days = [micros_at(2031, 5, day) for day in (1, 2, 3)]
    made = [
        (await record(api, me[0], call, 1_000_000, now=at))["sid"]
        for call, at in zip((first, second, first), days, strict=True)
    ]

    async def sids(**params: str) -> list[str]:
        async with api.client(me) as http:
            response = await http.get(api.path("Recordings.json", me[0]), params=params)
        assert response.status_code == 200, response.text
        return [r["sid"] for r in response.json()["recordings"]]

    assert await sids() == made[::-1]
    assert await sids(DateCreated="2031-05-02") == [made[1]]
    assert await sids(**{"DateCreated<": "2031-05-02"}) == [made[1], made[0]]
    assert await sids(**{"DateCreated>": "2031-05-02"}) == [made[2], made[1]]
    assert await sids(CallSid=first) == [made[2], made[0]]
    assert await sids(CallSid=first, **{"DateCreated<": "2031-05-02"}) == [made[0]]
    assert await sids(ConferenceSid=new_sid("CF")) == []
    assert await sids(IncludeSoftDeleted="true") == made[::-1]

    walked: list[str] = []
    uri: str | None = api.path("Recordings.json", me[0]) + f"?CallSid={first}&PageSize=1"
    async with api.client(me) as http:
        while uri:
            page = (await http.get(uri)).json()
            walked += [r["sid"] for r in page["recordings"]]
            uri = page["next_page_uri"]
            if uri:
                assert parse_qs(urlsplit(uri).query)["CallSid"] == [first]
    assert walked == [made[2], made[0]]


async def test_bad_list_parameters_are_refused(api: Api) -> None:
    me = await api.subaccount("bad params")
    async with api.client(me) as http:
        path = api.path("Recordings.json", me[0])
        assert_twilio_error(await http.get(path, params={"DateCreated": "May"}), 400, 20422)
        refused = await http.get(path, params={"IncludeSoftDeleted": "maybe"})
        assert_twilio_error(refused, 400, 20422)
        assert_twilio_error(await http.get(path, params={"PageSize": "1001"}), 400, 20007)


async def test_fetch_then_delete(api: Api) -> None:
    """A deleted recording is gone: its resource, a second delete and its audio are 404s."""
    me = await api.subaccount("deleted")
    call = await place_call(api, me)
    kept = (await record(api, me[0], call, 1_000_000))["RecordingSid"]
    gone = (await record(api, me[0], call, 1_000_000))["RecordingSid"]
    async with api.client(me) as http:
        path = api.path(f"Recordings/{gone}.json", me[0])
        assert (await http.get(path)).status_code == 200
        deleted = await http.delete(path)
        assert deleted.status_code == 204 and deleted.content == b""
        assert_twilio_error(await http.get(path), 404, 20404)
        assert_twilio_error(await http.delete(path), 404, 20404)
        listed = (await http.get(api.path("Recordings.json", me[0]))).json()["recordings"]
    assert [r["sid"] for r in listed] == [kept]
    async with raw(api) as anyone:
        audio = await anyone.get(api.path(f"Recordings/{gone}.wav", me[0]))
    assert_twilio_error(audio, 404, 20404)


async def test_a_calls_recordings(api: Api) -> None:
    """Calls/{CA}/Recordings lists, fetches and deletes that call's recordings only, in the
    call recording's shape (a numeric price, the track, a URI under the call)."""
    me = await api.subaccount("per call")
    call, other = await place_call(api, me), await place_call(api, me)
    at = micros_at(2031, 6, 1)
    mine = [
        (await record(api, me[0], call, 61_000_000, now=at + n))["RecordingSid"] for n in (1, 2)
    ]
    elsewhere = (await record(api, me[0], other, 1_000_000, now=at))["RecordingSid"]

    async with api.client(me) as http:
        listed = (await http.get(api.path(f"Calls/{call}/Recordings.json", me[0]))).json()
        assert [r["sid"] for r in listed["recordings"]] == mine[::-1]
        one = listed["recordings"][0]
        assert one["price"] == -0.005 and one["duration"] == "61"  # two started minutes
        assert one["track"] == "inbound" and one["call_sid"] == call
        assert one["uri"] == api.path(f"Calls/{call}/Recordings/{mine[1]}.json", me[0])

        fetched = await http.get(api.path(f"Calls/{call}/Recordings/{mine[0]}.json", me[0]))
        assert fetched.status_code == 200 and fetched.json()["sid"] == mine[0]
        through_other = api.path(f"Calls/{other}/Recordings/{mine[0]}.json", me[0])
        assert_twilio_error(await http.get(through_other), 404, 20404)
        assert_twilio_error(await http.delete(through_other), 404, 20404)

        path = api.path(f"Calls/{call}/Recordings/{mine[0]}.json", me[0])
        assert (await http.delete(path)).status_code == 204
        assert_twilio_error(await http.get(path), 404, 20404)
        left = (await http.get(api.path(f"Calls/{call}/Recordings.json", me[0]))).json()
        assert [r["sid"] for r in left["recordings"]] == [mine[1]]
        others = (await http.get(api.path(f"Calls/{other}/Recordings.json", me[0]))).json()
        assert [r["sid"] for r in others["recordings"]] == [elsewhere]

        no_call = api.path(f"Calls/{new_sid('CA')}/Recordings.json", me[0])
        assert_twilio_error(await http.get(no_call), 404, 20404)


async def test_the_audio_is_a_wav_of_the_recordings_length(api: Api) -> None:
    """The recording's URL, bare and with .wav, serves without credentials an 8 kHz 16-bit
    mono WAV whose length is the recording's."""
    me = await api.subaccount("audio")
    call = await place_call(api, me)
    stored = await record(api, me[0], call, 2_750_000)
    async with raw(api) as anyone:
        bare = await anyone.get(stored["RecordingUrl"])
        dot_wav = await anyone.get(stored["RecordingUrl"] + ".wav")
    assert bare.status_code == 200 and bare.headers["content-type"] == "audio/x-wav"
    assert bare.content == dot_wav.content
    assert int(bare.headers["content-length"]) == len(bare.content)
    with wave.open(io.BytesIO(bare.content)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 8000)
        assert audio.getnframes() / audio.getframerate() == 2.75
        assert len(audio.readframes(audio.getnframes())) == 22_000 * 2


async def test_mp3_is_not_produced(api: Api) -> None:
    """.mp3 is a Twilio-shaped 404 saying WAV is what there is, for a recording or none."""
    me = await api.subaccount("mp3")
    call = await place_call(api, me)
    real = (await record(api, me[0], call, 1_000_000))["RecordingUrl"]
    nobodys = api.path(f"Recordings/{new_sid('RE')}", me[0])
    async with raw(api) as anyone:
        answers = [await anyone.get(url + ".mp3") for url in (real, nobodys)]
    for answer in answers:
        assert_twilio_error(answer, 404, 20404)
        assert "WAV only" in answer.json()["message"]
        check_response(api.spec, "GET", str(answer.url), answer.status_code, answer.text)
    assert answers[0].json()["message"].replace(real, "") == answers[1].json()["message"].replace(
        nobodys, ""
    )


def _anonymised(response: httpx.Response, names: dict[str, str]) -> tuple[int, str]:
    text = response.text
    for name, value in names.items():
        text = text.replace(value, "{" + name + "}")
    return response.status_code, text


ACCOUNT_PROBES = [
    ("GET", "Recordings/{re}.json"),
    ("DELETE", "Recordings/{re}.json"),
    ("GET", "Calls/{ca}/Recordings.json"),
    ("GET", "Calls/{ca}/Recordings/{re}.json"),
    ("DELETE", "Calls/{ca}/Recordings/{re}.json"),
]


@pytest.mark.parametrize("through", ["their account", "my account"])
@pytest.mark.parametrize(("method", "resource"), ACCOUNT_PROBES)
async def test_someone_elses_recording_answers_as_nobodys(
    api: Api, method: str, resource: str, through: str
) -> None:
    """A sibling account's recording (and call) answer what SIDs that exist nowhere answer,
    through its account's path or the caller's own; the recording is untouched."""
    parent = await api.top_level_account()
    async with api.client(parent) as http:
        accounts = [
            (await http.post("/2010-04-01/Accounts.json", data={"FriendlyName": n})).json()
            for n in ("me", "them")
        ]
    me, them = ((a["sid"], a["auth_token"]) for a in accounts)
    their_call = await place_call(api, them)
    theirs = (await record(api, them[0], their_call, 1_000_000))["RecordingSid"]
    account = them[0] if through == "their account" else me[0]

    async def ask(ca: str, re_: str) -> tuple[int, str]:
        path = api.path(resource.format(ca=ca, re=re_), account)
        async with api.client(me) as http:
            response = await http.request(method, path)
        return _anonymised(response, {"ca": ca, "re": re_})

    assert await ask(their_call, theirs) == await ask(new_sid("CA"), new_sid("RE"))
    assert (await ask(their_call, theirs))[0] == 404
    async with api.client(them) as http:
        kept = await http.get(api.path(f"Recordings/{theirs}.json", them[0]))
    assert kept.status_code == 200
    async with api.client(me) as http:
        mine = await http.get(api.path("Recordings.json", me[0]), params={"CallSid": their_call})
    assert mine.json()["recordings"] == []


async def test_the_audio_is_only_at_its_own_accounts_path(api: Api) -> None:
    """Without credentials, a recording's audio under another account's path is the 404 of
    a recording that does not exist."""
    owner, other = await api.subaccount("owner"), await api.subaccount("other")
    call = await place_call(api, owner)
    theirs = (await record(api, owner[0], call, 1_000_000))["RecordingSid"]
    nobodys = new_sid("RE")
    for suffix in ("", ".wav"):
        async with raw(api) as anyone:
            answers = [
                await anyone.get(api.path(f"Recordings/{sid}{suffix}", other[0]))
                for sid in (theirs, nobodys)
            ]
        for answer in answers:
            assert_twilio_error(answer, 404, 20404)
            check_response(api.spec, "GET", str(answer.url), answer.status_code, answer.text)
        assert _anonymised(answers[0], {"re": theirs}) == _anonymised(answers[1], {"re": nobodys})
