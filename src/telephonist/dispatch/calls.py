"""How calls are placed, received, changed from outside, and what their status callbacks owe.

The one create path for calls: the REST API (``Calls.json``) and a handset dialing one of the
server's numbers both store the row here and queue its first ``call`` task in the same
transaction, so an accepted call is a stored call. Input from outside a call's own steps
(digits, speech, a hang-up from the handset's side; a redirect or hang-up through the API) is
stored as pending input and the call's step is made due at once (:func:`poke`); the step
reads it in order with everything else on the call clock.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from email.utils import format_datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select, update

from telephonist.clock import from_micros
from telephonist.dispatch import queue
from telephonist.dispatch.call_session import Callback, Session, initial_state
from telephonist.domain.call_params import CallFacts, billed_minutes, status_params
from telephonist.domain.calls import (
    FINAL_STATUSES,
    MAGIC_FROM_OK,
    Behavior,
    CallRejected,
    CallRequest,
    CallUpdate,
    event_of,
)
from telephonist.domain.sids import new_sid
from telephonist.errors import TwilioError
from telephonist.storage.prepared import Prepared
from telephonist.storage.repositories import applications as applications_repo
from telephonist.storage.repositories import calls as repo
from telephonist.storage.repositories import numbers as numbers_repo
from telephonist.storage.schema import incoming_numbers, tasks
from telephonist.twiml.voice import Program

CALL = queue.CALL
INVALID_CALL_STATE = 21220


def place_call(
    conn: Connection, account_sid: str, request: CallRequest, *, now: int
) -> dict[str, Any]:
    """Store an outbound-api call and queue its first step; raises :class:`CallRejected`.

    ``From`` must be one of the account's own numbers -- not a subaccount's, as for messages
    (Twilio also takes a verified caller ID; telephonist has none, so anything else is 21210);
    the call carries that number's SID. An ``ApplicationSid`` stands in for the Url, Method and
    fallback, which Twilio then ignores.
    """
    caller_id: str | None = None
    if not request.from_.startswith("client:") and request.from_ != MAGIC_FROM_OK:
        number = _CALLER_ID.execute(conn, {"a": account_sid, "n": request.from_})
        if number is None:
            raise CallRejected(
                21210,
                f"The source phone number provided, {request.from_}, is not yet verified for "
                "your account. You may only make calls from phone numbers that you've verified "
                "or purchased from Twilio.",
            )
        caller_id = number[0]
    config: dict[str, Any] = {
        "url": request.url,
        "method": request.method,
        "fallback_url": request.fallback_url,
        "fallback_method": request.fallback_method,
        "twiml": request.twiml if request.url is None else None,
        "status_callback": request.status_callback,
        "status_callback_method": request.status_callback_method,
        "events": sorted(request.events),
        "timeout": request.timeout,
        "time_limit": request.time_limit,
        "send_digits": request.send_digits,
        "machine_detection": request.machine_detection,
        "record": request.record,
        "recording_status_callback": request.recording_status_callback,
        "recording_status_callback_method": request.recording_status_callback_method,
        "recording_events": sorted(request.recording_events),
        "recording_channels": request.recording_channels,
        "recording_track": request.recording_track,
        "trim": request.trim,
    }
    if request.application_sid is not None:
        app = applications_repo.get_application(conn, account_sid, request.application_sid)
        if app is None:
            raise CallRejected(21218)
        voice = json.loads(app["config"])
        config.update(
            url=voice.get("voice_url"),
            method=voice.get("voice_method") or "POST",
            fallback_url=voice.get("voice_fallback_url"),
            fallback_method=voice.get("voice_fallback_method") or "POST",
            twiml=None,
            application_sid=request.application_sid,
        )
    row = _row(
        account_sid,
        direction="outbound-api",
        from_=request.from_,
        to=request.to,
        status="queued",
        config=config,
        phase="queued",
        now=now,
    )
    row["phone_number_sid"] = caller_id
    repo.insert_call(conn, row)
    queue.enqueue(conn, CALL, row["sid"], now, {"account_sid": account_sid}, now)
    return row


_CALLER_ID = Prepared(
    select(incoming_numbers.c.sid)
    .where(incoming_numbers.c.account_sid == bindparam("a"))
    .where(incoming_numbers.c.phone_number == bindparam("n"))
)
_NUMBER = Prepared(
    select(incoming_numbers).where(incoming_numbers.c.phone_number == bindparam("n"))
)

WELCOME = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Thanks for the call. Configure your '
    'number\'s voice U R L to change this message.</Say><Pause length="1"/><Say>Let us know '
    "if we can help you in any way during your development, or email support at twilio dot "
    "com. Thank you, and have a nice day!</Say></Response>"
)
"""What a number with no VoiceUrl answers: Twilio's demo greeting, run without a fetch."""


def receive_call(
    conn: Connection, account_sid: str, handset: str, to: str, *, now: int, script: str | None
) -> dict[str, Any] | None:
    """A handset dials ``to``: store the inbound call (ringing) and queue its first step. None
    when ``to`` is not one of ``account_sid``'s numbers (or its subaccounts')."""
    if to not in numbers_repo.owned_within(conn, [to], account_sid):
        return None
    return _inbound(conn, handset, to, now=now, extra={"caller_script": script})


def receive_dialed(
    conn: Connection, sid: str, from_: str, to: str, *, parent: str, leg: str, now: int
) -> dict[str, Any] | None:
    """A ``<Dial>`` rings one of the server's numbers: the inbound call there (``sid``), which
    runs that number's VoiceUrl and tells the dialing call (``parent``, its leg ``leg``) when
    it answers and ends. None if nobody owns ``to`` any more."""
    return _inbound(
        conn, from_, to, now=now, sid=sid, extra={"bridge": {"parent": parent, "leg": leg}}
    )


def _inbound(
    conn: Connection,
    from_: str,
    to: str,
    *,
    now: int,
    extra: Mapping[str, Any],
    sid: str | None = None,
) -> dict[str, Any] | None:
    found = _NUMBER.records(conn, {"n": to})
    if not found:
        return None
    number = found[0]
    settings = json.loads(number["config"])
    if settings.get("voice_application_sid"):
        app = applications_repo.get_application(
            conn, number["account_sid"], settings["voice_application_sid"]
        )
        if app is not None:
            settings = {**settings, **json.loads(app["config"])}
    config: dict[str, Any] = {
        "url": settings.get("voice_url") or None,
        "method": settings.get("voice_method") or "POST",
        "fallback_url": settings.get("voice_fallback_url") or None,
        "fallback_method": settings.get("voice_fallback_method") or "POST",
        "twiml": None if settings.get("voice_url") else WELCOME,
        "status_callback": settings.get("status_callback") or None,
        "status_callback_method": settings.get("status_callback_method") or "POST",
        "events": ["completed"],
        **extra,
    }
    row = _row(
        number["account_sid"],
        direction="inbound",
        from_=from_,
        to=to,
        status="ringing",
        config=config,
        phase="inbound",
        now=now,
    )
    if sid is not None:
        row["sid"] = sid
    row["phone_number_sid"] = number["sid"]
    row["start_time"] = now
    repo.insert_call(conn, row)
    queue.enqueue(conn, CALL, row["sid"], now, {"account_sid": row["account_sid"]}, now)
    return row


def _row(
    account_sid: str,
    *,
    direction: str,
    from_: str,
    to: str,
    status: str,
    config: Mapping[str, Any],
    phase: str,
    now: int,
) -> dict[str, Any]:
    return {
        "sid": new_sid("CA"),
        "account_sid": account_sid,
        "parent_call_sid": None,
        "direction": direction,
        "from_": from_,
        "to": to,
        "phone_number_sid": None,
        "status": status,
        "answered_by": None,
        "caller_name": None,
        "forwarded_from": None,
        "date_created": now,
        "date_updated": now,
        "start_time": None,
        "answered_at": None,
        "end_time": None,
        "duration": None,
        "price": None,
        "price_unit": "USD",
        "config": json.dumps(config, separators=(",", ":")),
        "state": json.dumps(initial_state(phase), separators=(",", ":")),
        "version": 0,
    }


# -- from outside the call ------------------------------------------------------------------

_POKE = Prepared(
    update(tasks)
    .where(and_(tasks.c.kind == CALL, tasks.c.ref == bindparam("ref")))
    .where(tasks.c.lease_owner.is_(None))
    .where(tasks.c.due_at > bindparam("now"))
    .values(due_at=bindparam("now"))
)
_HAS_TASK = Prepared(
    select(tasks.c.id).where(tasks.c.kind == CALL).where(tasks.c.ref == bindparam("ref")).limit(1)
)


_IDLE_TASK = Prepared(
    select(tasks.c.id)
    .where(tasks.c.kind == CALL)
    .where(tasks.c.ref == bindparam("ref"))
    .where(tasks.c.lease_owner.is_(None))
    .limit(1)
)


def poke(conn: Connection, call: Mapping[str, Any], now: int) -> None:
    """Make the call's next step due now (a call waits in one task at a time)."""
    _POKE.execute(conn, {"ref": call["sid"], "now": now})
    if not _HAS_TASK.rows(conn, {"ref": call["sid"]}):
        queue.enqueue(conn, CALL, call["sid"], now, {"account_sid": call["account_sid"]}, now)


def send_input(conn: Connection, call: Mapping[str, Any], kind: str, value: str, now: int) -> None:
    """Digits, speech or a hang-up for a live call; 21220 for a call that is not live.

    A hang-up before the answer ends the call at once, canceled, as an API cancel does: a step
    that has not answered reads no input, so queued for it the hang-up would wait for an answer
    (and wake the call again and again meanwhile)."""
    if call["status"] in FINAL_STATUSES:
        raise TwilioError(INVALID_CALL_STATE, f"Call is not in-progress. Cannot send {kind}.")
    refuse_dialed_leg(call)
    if call["status"] != "in-progress":
        if kind != "hangup":
            raise TwilioError(INVALID_CALL_STATE, f"Call is {call['status']}: not answered yet")
        _end(conn, call, "completed", now, by=value)
        return
    if kind == "digits":  # each ``w`` waits half a second before the keys after it
        at = now
        for n, keys in enumerate(value.split("w")):
            at += 500_000 if n else 0
            if keys:
                repo.add_input(conn, call["sid"], at, kind, keys)
    else:
        repo.add_input(conn, call["sid"], now, kind, value)
    poke(conn, call, now)


def redirect(
    conn: Connection, call: Mapping[str, Any], target: Mapping[str, str], now: int
) -> None:
    """Run new TwiML (``url`` + ``method``, or ``twiml``) on a live call from now on.

    On a call not answered yet, the new TwiML is what runs when it is answered. That write
    moves the call's version, so a step already at work on the call (answering it with the
    TwiML it read before) is discarded when it is recorded, and the call steps again, on a
    task of its own, with the new TwiML.
    """
    for _ in range(5):
        if call["status"] in FINAL_STATUSES:
            raise TwilioError(INVALID_CALL_STATE, "Call is not in-progress. Cannot redirect.")
        if call["status"] == "in-progress":
            repo.add_input(conn, call["sid"], now, "redirect", json.dumps(dict(target)))
            poke(conn, call, now)
            return
        config = json.loads(call["config"])
        config.update(
            url=target.get("url"), method=target.get("method", "POST"), twiml=target.get("twiml")
        )
        values = {"config": json.dumps(config, separators=(",", ":"))}
        if repo.save_step(conn, call["sid"], call["version"], values):
            if not _IDLE_TASK.rows(conn, {"ref": call["sid"]}):
                queue.enqueue(
                    conn, CALL, call["sid"], now, {"account_sid": call["account_sid"]}, now
                )
            return
        fresh = repo.get_call(conn, call["account_sid"], call["sid"])
        if fresh is None:
            return
        call = fresh  # a step moved the call meanwhile: decide again on what it wrote


def cancel(conn: Connection, call: Mapping[str, Any], now: int) -> bool:
    """End a call that is queued or ringing as ``canceled`` (False: it had moved on)."""
    if call["status"] not in ("queued", "ringing"):
        return False
    session = Session(call, _no_handsets, _no_twiml, [], now)
    session.cancel(now)
    values = {**session.changes, "state": session.state_json()}
    if not repo.save_step(conn, call["sid"], call["version"], values):
        return False
    enqueue_callbacks(conn, call, session, now)
    return True


def _no_handsets(number: str) -> Behavior:
    raise AssertionError("a cancel rings no handset")


def _no_twiml(twiml: str, url: str | None) -> Program:
    raise AssertionError("a cancel runs no TwiML")


PRICE_PER_MINUTE = {"inbound": 0.0085, "outbound-api": 0.0140, "outbound-dial": 0.0140}
"""US list prices per started minute, by direction (the settings' defaults)."""


def price(
    direction: str, duration_seconds: int, rates: Mapping[str, float] = PRICE_PER_MINUTE
) -> str | None:
    """What a call costs, negative as Twilio reports it: per started minute at ``rates``; a
    call that never connected costs nothing."""
    minutes = billed_minutes(duration_seconds)
    if not minutes:
        return None
    return f"-{rates.get(direction, PRICE_PER_MINUTE['outbound-api']) * minutes:.5f}"


# -- status callbacks ---------------------------------------------------------------------------


def timestamp(micros: int) -> str:
    """RFC 2822, to the second, as callbacks' ``Timestamp`` (callbacks cluster on seconds)."""
    return _timestamp_second(micros // 1_000_000)


@functools.lru_cache(maxsize=1024)
def _timestamp_second(seconds: int) -> str:
    return format_datetime(from_micros(seconds * 1_000_000))


def callback_task(call: Mapping[str, Any], session: Session) -> dict[str, Any] | None:
    """The status callbacks a step owes, in order, as one webhook task's payload (so they are
    posted one after another, the final one last); None when it owes none."""
    if not session.callbacks:
        return None
    config = session.config
    return {
        "purpose": "status_callback",
        "account_sid": call["account_sid"],
        "url": config["status_callback"],
        "method": config.get("status_callback_method", "POST"),
        "calls": [_callback(session, c) for c in session.callbacks],
    }


def leg_callback_tasks(
    call: Mapping[str, Any], session: Session
) -> list[tuple[str, dict[str, Any]]]:
    """The ``<Number statusCallback>`` callbacks a step owes: ``(leg SID, payload)`` for one
    webhook task per leg and URL, its events in order."""
    tasks: dict[tuple[str, str, str], dict[str, Any]] = {}
    for cb in session.leg_callbacks:
        key = (cb.facts.sid, cb.url, cb.method)
        task = tasks.get(key)
        if task is None:
            task = tasks[key] = {
                "purpose": "status_callback",
                "account_sid": call["account_sid"],
                "url": cb.url,
                "method": cb.method,
                "calls": [],
            }
        task["calls"].append(_event(cb.facts, cb.sequence, cb.at, cb.duration))
    return [(sid, task) for (sid, _, _), task in tasks.items()]


def enqueue_callbacks(
    conn: Connection, call: Mapping[str, Any], session: Session, now: int
) -> None:
    """Queue :func:`callback_task` now."""
    payload = callback_task(call, session)
    if payload is not None:
        queue.enqueue(conn, queue.WEBHOOK, call["sid"], now, payload, now)


def _callback(session: Session, callback: Callback) -> dict[str, Any]:
    facts: CallFacts = session.facts(callback.status)
    return _event(facts, callback.sequence, callback.at, callback.duration, callback.extra)


def _event(
    facts: CallFacts,
    sequence: int,
    at: int,
    duration: int | None,
    extra: tuple[tuple[str, str], ...] = (),
) -> dict[str, Any]:
    """One status callback of a call (or of a ``<Dial>`` leg): its event key, one per status
    and sequence number, and the form Twilio posts."""
    return {
        "event": f"{facts.sid}:{event_of(facts.status)}:{sequence}",
        "params": status_params(
            facts, sequence=sequence, timestamp=timestamp(at), duration_seconds=duration
        )
        + list(extra),
    }


def transcript_json(call: Mapping[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """The transcript as the control API answers it: times in seconds from the answer."""
    zero = call["answered_at"] if call["answered_at"] is not None else call["date_created"]
    out = []
    for event in events:
        at = event.pop("at")
        out.append({"at": round((at - zero) / 1_000_000, 6), **event})
    return {"call_sid": call["sid"], "status": call["status"], "events": out}


def refuse_dialed_leg(call: Mapping[str, Any]) -> None:
    """A ``<Dial>``'s leg has no steps of its own (its parent's steps run it): 21220 for input
    or changes sent to it, which nothing would ever read."""
    if call["direction"] == "outbound-dial":
        raise TwilioError(
            INVALID_CALL_STATE,
            f"Call {call['sid']} is a leg dialed by call {call['parent_call_sid']}, which runs "
            "it: change or hang up the parent call instead",
        )


def change_call(conn: Connection, call: Mapping[str, Any], change: CallUpdate, now: int) -> None:
    """Apply an API update to a live call: its settings first (so a status callback given with
    ``Status`` reports that very change), then the cancel, hang-up or redirect."""
    refuse_dialed_leg(call)
    configured = _configure(conn, call, change, now)
    if configured:
        fresh = repo.get_call(conn, call["account_sid"], call["sid"])
        assert fresh is not None
        call = fresh
    if change.status is not None:
        _end(conn, call, change.status, now)
    elif change.target is not None:
        redirect(conn, call, change.target, now)
    elif change.time_limit is not None and call["status"] == "in-progress":
        poke(conn, call, now)  # the next step is due sooner if the new limit comes first


def _configure(conn: Connection, call: Mapping[str, Any], change: CallUpdate, now: int) -> bool:
    """Store the settings an update changes (callbacks, fallback, time limit); False if none."""
    config = json.loads(call["config"])
    before = dict(config)
    if change.status_callback is not None:
        config["status_callback"] = change.status_callback
        if not config.get("events"):
            config["events"] = ["completed"]
    if change.status_callback_method is not None:
        config["status_callback_method"] = change.status_callback_method
    if change.fallback_url is not None:
        config["fallback_url"] = change.fallback_url
    if change.fallback_method is not None:
        config["fallback_method"] = change.fallback_method
    if change.time_limit is not None:
        limit = change.time_limit
        if call["answered_at"] is not None:
            # A limit the call has already passed ends it now, not at a moment gone by.
            elapsed = -(-(now - call["answered_at"]) // 1_000_000)
            limit = max(limit, elapsed)
        config["time_limit"] = limit
    if config == before:
        return False
    repo.update_call(conn, call["sid"], {"config": json.dumps(config, separators=(",", ":"))})
    return True


def _end(
    conn: Connection, call: Mapping[str, Any], status: str, now: int, *, by: str = "api"
) -> None:
    """``Status=canceled`` or ``completed``: a call not answered yet is canceled; an answered
    one is hung up on ``completed`` and left alone on ``canceled``, as on Twilio. When a step
    moved the call while this was deciding, decide again on what the step wrote."""
    for _ in range(5):
        if call["status"] in ("queued", "ringing"):
            if cancel(conn, call, now):
                return
            fresh = repo.get_call(conn, call["account_sid"], call["sid"])
            if fresh is None or fresh["version"] == call["version"]:
                return
            call = fresh
            continue
        if status == "completed" and call["status"] == "in-progress":
            send_input(conn, call, "hangup", by, now)
        return
