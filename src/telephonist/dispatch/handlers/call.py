"""``call`` tasks: one step of a call -- everything due on its clock, with the TwiML it needs.

A call waits in one ``call`` task at a time, due when its next thing happens (the answer, the
end of a prompt, a Gather's timeout, a scripted key press). The step loads the row, its waiting
input and how the handsets answer; plays everything due (:class:`~telephonist.dispatch.
call_session.Session`), fetching TwiML as the call asks for it through the shared fetcher
(fallback URL, alerts, cookies as data); and records the step in one transaction, guarded by
the call's version: the transcript, the status change and the callbacks it owes, child legs,
alerts, and the task for the next step.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from telephonist.clock import Clock
from telephonist.dispatch import queue
from telephonist.dispatch.alerts import record_alert
from telephonist.dispatch.call_session import APP, Child, Fetch, Recording, RecordingNote, Session
from telephonist.dispatch.calls import (
    PRICE_PER_MINUTE,
    callback_task,
    leg_callback_tasks,
    poke,
    price,
    receive_dialed,
    timestamp,
)
from telephonist.dispatch.handlers.webhook import Attempts, load_tokens, record_attempts
from telephonist.dispatch.pipeline import Outbox
from telephonist.dispatch.recordings import store_recording
from telephonist.dispatch.tasks import Done, Handler
from telephonist.domain import recordings as recording_rules
from telephonist.domain.call_params import voice_params
from telephonist.domain.calls import FINAL_STATUSES, Behavior
from telephonist.providers.base import CallLeg, Provider
from telephonist.storage.database import Database
from telephonist.storage.repositories import calls as repo
from telephonist.storage.repositories import numbers as numbers_repo
from telephonist.twiml.parse import INVALID_CONTENT_TYPE, Parsed, TwimlError, parse_document
from telephonist.twiml.vocabulary import VOICE
from telephonist.twiml.voice import DialVerb, Program, compile_voice
from telephonist.webhooks.cookies import NO_COOKIES, CookieJar
from telephonist.webhooks.delivery import WebhookClient
from telephonist.webhooks.fetcher import fetch_twiml

log = logging.getLogger("telephonist.calls")

EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


@functools.lru_cache(maxsize=1024)
def compiled(twiml: str, url: str | None) -> Program:
    """A stored document as a program (the same menu runs for many calls: parse it once)."""
    document = parse_document(
        twiml.encode("utf-8", "surrogateescape"), "text/xml", vocabulary=VOICE
    )
    assert isinstance(document, Parsed)
    program = compile_voice(document.root, url)
    return Program(program.instructions, (*document.warnings, *program.warnings))


@dataclass(frozen=True, slots=True)
class _Document:
    twiml: str
    url: str


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the fetcher wants of a planner: the document, no redirect (voice redirects are
    instructions, run on the call clock), warnings left for the step to record once."""

    actions: tuple[_Document, ...]
    redirect: None = None
    warnings: tuple[()] = ()


def voice_planner(body: bytes, content_type: str | None, url: str) -> _Plan:
    """Check that an answer can run as voice TwiML (raising the fetcher's TwimlError codes)
    and keep its text; the step compiles it (cached)."""
    document = parse_document(body, content_type, vocabulary=VOICE)
    if isinstance(document, str):  # text/plain is a messaging answer, never voice
        raise TwimlError(INVALID_CONTENT_TYPE, "cannot execute 'text/plain' as voice TwiML")
    return _Plan((_Document(body.decode("utf-8", "surrogateescape"), url),))


def dialed(program: Program) -> set[str]:
    """The numbers a program's ``<Dial>``s may ring (known as soon as it is compiled)."""
    return {
        target.address
        for ins in program.instructions
        if isinstance(ins, DialVerb)
        for target in ins.targets
        if target.kind == "number"
    }


def numbers_to_plan(
    call: Mapping[str, Any], inputs: Sequence[tuple[int, int, str, str]]
) -> set[str]:
    """The parties a step of ``call`` may ring before it fetches anything: the callee of a
    call not yet placed, and the Dial targets of the TwiML it already holds."""
    config = json.loads(call["config"])
    state = json.loads(call["state"])
    numbers: set[str] = set()
    if state.get("phase") == "queued":
        numbers.add(call["to"])
    documents = [config.get("twiml")]
    if state.get("doc"):
        documents.append(state["doc"][0])
    documents += [
        json.loads(value).get("twiml") for _, _, kind, value in inputs if kind == "redirect"
    ]
    for twiml in documents:
        if twiml:
            # A document that cannot run rings nobody; the step itself reports it.
            with contextlib.suppress(TwimlError):
                numbers |= dialed(compiled(twiml, None))
    return numbers


def _planned(plans: dict[str, Behavior]) -> Callable[[str], Behavior]:
    """How a party answers, as the carrier planned it (one that was never handed over, the
    default: one ring, then silence)."""
    return lambda number: plans.get(number, Behavior())


@dataclass
class CallState:
    calls: dict[str, Mapping[str, Any]]
    inputs: dict[str, list[tuple[int, int, str, str]]]
    tokens: dict[str, str]
    now: int


@dataclass
class Step:
    session: Session
    attempts: Attempts


class CallHandler(Handler):
    kind = queue.CALL
    lane = queue.WEBHOOK_LANE

    def __init__(
        self,
        webhooks: WebhookClient,
        clock: Clock,
        provider: Callable[[], Provider],
        db: Database,
        base_url: Callable[[], str] = lambda: "",
        prices: Mapping[str, float] = PRICE_PER_MINUTE,
    ) -> None:
        self.prices = prices
        self.webhooks = webhooks
        self.clock = clock
        self.provider = provider
        self.db = db
        self.base_url = base_url

    def load(self, conn: Connection, tasks: Sequence[queue.Task], now: int) -> CallState:
        refs = [t.ref for t in tasks]
        return CallState(
            repo.calls_by_sid(conn, refs),
            repo.pending_inputs(conn, refs),
            load_tokens(conn, tasks),
            now,
        )

    async def _plan(
        self, call: Mapping[str, Any], numbers: set[str], plans: dict[str, Behavior]
    ) -> None:
        """Hand the legs this call may ring to the carrier, once each, for how they answer."""
        new = sorted(numbers - plans.keys())
        if not new:
            return
        # The server's own numbers answer with their app, not through the carrier.
        ours = await self.db.read(numbers_repo.owned_among, new)
        plans.update(dict.fromkeys(ours, Behavior(APP)))
        new = [number for number in new if number not in ours]
        if not new:
            return
        legs = [CallLeg(call["account_sid"], call["from_"], number) for number in new]
        plans.update(zip(new, await self.provider().plan_calls(legs), strict=True))

    async def work(self, tasks: Sequence[queue.Task], state: CallState) -> list[Done]:
        results = []
        for task in tasks:
            call = state.calls.get(task.ref)
            if call is None:
                results.append(Done(task))
                continue
            inputs = state.inputs.get(task.ref, [])
            try:
                step = await self._step(call, inputs, state)
            except Exception:
                # A bug, not the app's fault: a step that raised would raise on every run and
                # hold the call forever. It ends as an application error instead, once.
                log.exception("call %s: its step failed; the call ends", call["sid"])
                session = Session(call, _planned({}), compiled, inputs, state.now)
                session.abort(state.now)
                step = Step(session, [])
            results.append(Done(task, value=step))
        return results

    async def _step(
        self,
        call: Mapping[str, Any],
        inputs: list[tuple[int, int, str, str]],
        state: CallState,
    ) -> Step:
        plans: dict[str, Behavior] = {}
        await self._plan(call, numbers_to_plan(call, inputs), plans)
        session = Session(
            call, _planned(plans), compiled, inputs, state.now, base_url=self.base_url()
        )
        attempts: Attempts = []
        token = state.tokens.get(call["account_sid"])
        fetch = session.run()
        count = 0
        while fetch is not None:
            document = None
            if token is not None:
                document = await self._fetch(session, fetch, token, count, attempts)
            if document is not None:
                await self._plan(call, dialed(compiled(*document)), plans)
            count += 1
            session.fetched(fetch, document)
            fetch = session.run()
        return Step(session, attempts)

    async def _fetch(
        self, session: Session, fetch: Fetch, token: str, count: int, attempts: Attempts
    ) -> tuple[str, str | None] | None:
        sid = session.call["sid"]
        jar = CookieJar.from_json(session.cookies) if session.cookies else NO_COOKIES
        result = await fetch_twiml(
            self.webhooks,
            voice_planner,
            url=fetch.url,
            method=fetch.method,
            params=[*voice_params(session.facts()), *fetch.params],
            auth_token=token,
            event=f"{sid}:{session.call['version']}:{count}",
            now=fetch.at,
            fallback_url=fetch.fallback_url,
            fallback_method=fetch.fallback_method,
            cookies=jar,
        )
        if result.cookies != jar:
            session.cookies = result.cookies.to_json() if result.cookies else None
        attempts.extend(result.attempts)
        if result.code is not None:
            return None
        if not result.actions:  # an empty answer: nothing more to do, the call ends
            return (EMPTY, fetch.url)
        document = result.actions[-1]
        try:
            compiled(document.twiml, document.url)
        except TwimlError:  # pragma: no cover - the planner parsed the same bytes
            return None
        return (document.twiml, document.url)

    def apply(self, conn: Connection, results: Sequence[Done], state: Any, outbox: Outbox) -> None:
        """Record a batch of steps: one statement per kind of write for the whole batch (the
        steps, their transcripts, their waiting input; their callbacks and next tasks through
        the outbox), and per call only what is rare (alerts, Dial legs)."""
        now = outbox.now
        steps = [done for done in results if done.value is not None]
        sids = [done.value.session.call["sid"] for done in steps]
        current = repo.versions(conn, sids)
        saved: list[Done] = []
        rows: list[dict[str, Any]] = []
        for done in steps:
            session, call = done.value.session, done.value.session.call
            if current.get(call["sid"]) != call["version"]:
                continue  # another run of this step (or a cancel) got there first
            values = {name: call[name] for name in repo.STEP_COLUMNS}
            values.update(session.changes, state=session.state_json())
            if session.ended:
                values["price"] = price(call["direction"], values["duration"] or 0, self.prices)
            rows.append(
                {
                    **values,
                    "b_sid": call["sid"],
                    "b_version": call["version"],
                    "b_next": call["version"] + 1,
                }
            )
            saved.append(done)
        repo.save_steps(conn, rows)
        repo.add_events(
            conn, [row for done in saved for row in done.value.session.transcript_rows()]
        )
        pending = repo.pending_inputs(conn, [done.value.session.call["sid"] for done in saved])
        dropped: list[int] = []
        for done in saved:
            step: Step = done.value
            session, call = step.session, step.session.call
            sid = call["sid"]
            if step.attempts or session.alerts:
                self._alerts(conn, done, now)
            if session.children:
                self._children(conn, call, session.children.values(), now)
            for inbound, from_, to, at in session.rung:
                receive_dialed(conn, inbound, from_, to, parent=sid, leg=sid, now=at)
            for note in session.recording_notes:
                if note.status == "in-progress":
                    self._note(call, note, outbox)
            for recording in session.recordings:
                self._store(conn, call, recording, outbox)
            for note in session.recording_notes:
                if note.status != "in-progress":
                    self._note(call, note, outbox)
            payload = callback_task(call, session)
            if payload is not None:
                outbox.enqueue(queue.WEBHOOK, sid, now, payload)
            for leg, leg_payload in leg_callback_tasks(call, session):
                outbox.enqueue(queue.WEBHOOK, leg, now, leg_payload)
            self._notify(conn, session.notices, now)
            waiting = pending.get(sid, [])
            used = set(session.used_inputs)
            if session.ended:
                dropped += [i[0] for i in waiting]
                continue
            dropped += sorted(used)
            wake = session.wake_at()
            unread = [at for ident, at, _, _ in waiting if ident not in used]
            if unread:  # input that came while this step ran, or is due later (a ``w``)
                first = max(min(unread), now)
                wake = first if wake is None else min(wake, first)
            if wake is not None:
                outbox.enqueue(
                    queue.CALL, sid, max(wake, now), {"account_sid": call["account_sid"]}
                )
        repo.drop_inputs(conn, dropped)

    def _store(
        self, conn: Connection, call: Mapping[str, Any], recording: Recording, outbox: Outbox
    ) -> None:
        """Keep a recording, and owe its ``completed`` RecordingStatusCallback if asked."""
        row = store_recording(
            conn,
            account_sid=call["account_sid"],
            call_sid=call["sid"],
            micros=recording.micros,
            now=recording.ended_at,
            source=recording.source,
            sid=recording.sid,
            channels=recording.channels,
            track=recording.track,
        )
        if recording.status_callback and "completed" in recording.events:
            params = [
                ("AccountSid", call["account_sid"]),
                ("CallSid", call["sid"]),
                ("RecordingSid", recording.sid),
                ("RecordingUrl", recording.url),
                ("RecordingStatus", "completed"),
                ("RecordingDuration", row["RecordingDuration"]),
                ("RecordingChannels", str(recording.channels)),
                ("RecordingStartTime", timestamp(row["start_time"])),
                ("RecordingSource", recording.source),
                ("RecordingTrack", row["track"]),
                ("ErrorCode", "0"),
            ]
            self._recording_callback(
                call,
                recording.sid,
                "completed",
                recording.status_callback,
                recording.status_callback_method,
                params,
                outbox,
            )

    def _note(self, call: Mapping[str, Any], note: RecordingNote, outbox: Outbox) -> None:
        """An ``in-progress`` or ``absent`` RecordingStatusCallback (nothing is stored)."""
        params = [
            ("AccountSid", call["account_sid"]),
            ("CallSid", call["sid"]),
            ("RecordingSid", note.sid),
            ("RecordingUrl", note.url),
            ("RecordingStatus", note.status),
            ("RecordingDuration", "0"),
            ("RecordingChannels", str(note.channels)),
            ("RecordingStartTime", timestamp(note.at)),
            ("RecordingSource", note.source),
            ("RecordingTrack", recording_rules.track_of(note.source, note.track)),
            ("ErrorCode", "0"),
        ]
        self._recording_callback(
            call, note.sid, note.status, note.callback, note.method, params, outbox
        )

    def _recording_callback(
        self,
        call: Mapping[str, Any],
        sid: str,
        status: str,
        url: str,
        method: str,
        params: list[tuple[str, str]],
        outbox: Outbox,
    ) -> None:
        outbox.enqueue(
            queue.WEBHOOK,
            sid,
            outbox.now,
            {
                "purpose": "recording_status_callback",
                "account_sid": call["account_sid"],
                "url": url,
                "method": method,
                "calls": [{"event": f"{sid}:{status}", "params": params}],
            },
        )

    def _alerts(self, conn: Connection, done: Done, now: int) -> None:
        step: Step = done.value
        session, call = step.session, step.session.call
        record_attempts(conn, done.task, step.attempts, now)
        # Alerts about the TwiML name the request that fetched it.
        answer = step.attempts[-1][0] if step.attempts else None
        for code, detail in session.alerts:
            record_alert(
                conn,
                account_sid=call["account_sid"],
                code=code,
                now=now,
                resource_sid=call["sid"],
                attempt=answer,
                text=detail,
                request=session.document_request(),
            )

    def _notify(
        self, conn: Connection, notices: Sequence[tuple[str, int, str, str]], now: int
    ) -> None:
        """Hand the other end of a bridged ``<Dial>`` what this step did (answered, ended)."""
        if not notices:
            return
        targets = repo.calls_by_sid(conn, [sid for sid, *_ in notices])
        for sid, at, kind, value in notices:
            target = targets.get(sid)
            if target is None or target["status"] in FINAL_STATUSES:
                continue
            repo.add_input(conn, sid, at, kind, value)
            poke(conn, target, now)

    def _children(
        self, conn: Connection, parent: Mapping[str, Any], children: Any, now: int
    ) -> None:
        existing = repo.calls_by_sid(conn, [c.sid for c in children])
        for child in children:
            assert isinstance(child, Child)
            ended = child.end_time is not None
            values: dict[str, Any] = {
                "status": child.status,
                "date_updated": max(now, child.end_time or child.created_at),
                "answered_at": child.answered_at,
                "end_time": child.end_time,
                "duration": child.duration if ended else None,
                "price": (
                    price("outbound-dial", child.duration or 0, self.prices) if ended else None
                ),
            }
            if child.sid in existing:
                repo.update_call(conn, child.sid, values)
                continue
            if child.inbound_sid is not None:
                receive_dialed(
                    conn,
                    child.inbound_sid,
                    child.from_,
                    child.to,
                    parent=parent["sid"],
                    leg=child.sid,
                    now=child.created_at,
                )
            repo.insert_call(
                conn,
                {
                    "sid": child.sid,
                    "account_sid": parent["account_sid"],
                    "parent_call_sid": parent["sid"],
                    "direction": "outbound-dial",
                    "from_": child.from_,
                    "to": child.to,
                    "phone_number_sid": None,
                    "answered_by": None,
                    "caller_name": None,
                    "forwarded_from": None,
                    "date_created": child.created_at,
                    "start_time": child.created_at,
                    "price_unit": "USD",
                    "config": "{}",
                    "state": '{"phase":"ended","seq":0}' if ended else '{"phase":"leg","seq":0}',
                    "version": 0,
                    **values,
                },
            )
