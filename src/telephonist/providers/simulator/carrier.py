"""The simulated carrier, a :class:`~telephonist.providers.base.Provider` like any other.

Each message's fate comes from the scenario attached to its destination handset by the rules
in force for the message's account: the configured ones (every account's), its parent's and
its own (see :func:`~telephonist.providers.simulator.scenarios.resolve`). The carrier
keeps its own state: what each handset received goes to ``carrier_log`` in the simulator's
own transaction, at hand-over, keyed by the message's idempotency key (unique), so a repeated
hand-over (a worker died between submitting and recording) is answered as the first one was
and never delivered twice. Delivery receipts are timers of its own (``sim_receipt`` tasks in the
shared durable queue, so they survive restarts and follow the manual clock); when one falls due
the simulator hands the receipt to the :class:`~telephonist.providers.base.CarrierInbox`, the
same path an upstream carrier's receipt webhook takes.

A handset that takes no MMS (the ``sms_only`` scenario) gets an MMS as an SMS with links to
its media when the message's MMS Converter is on (:attr:`Outbound.mms_converter`), and the
carrier refuses the MMS with 30011 when it is off.

A receipt due at once (most scenarios) needs no timer: it is *settled* with its hand-over, in
the transaction that records it, through the same inbound path. Until then it is held in
memory; if that recording never happens (the worker died), the task falls due again, and the
repeated hand-over, found in ``carrier_log`` with its scenario, owes the receipt again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from telephonist.clock import Clock, to_micros
from telephonist.dispatch import queue
from telephonist.domain.calls import Behavior
from telephonist.domain.mms_converter import MMS_NOT_SUPPORTED, as_sms
from telephonist.providers.base import (
    Accepted,
    CallLeg,
    CarrierInbox,
    MobileOriginated,
    Outbound,
    Outcome,
    Receipt,
    Rejected,
)
from telephonist.providers.registry import ProviderContext
from telephonist.providers.simulator import store
from telephonist.providers.simulator.scenarios import SCENARIOS, Scenario, parse_rules, resolve
from telephonist.storage.database import Database

if TYPE_CHECKING:
    from telephonist.dispatch.tasks import TaskHandler

NAME = "simulator"
RECEIPT_TASK = "sim_receipt"
# A receipt due this soon after its hand-over is settled with it, in the transaction that
# records the hand-over, instead of by a timer.
SETTLE_MICROS = 1_000_000
# Receipts held for a hand-over that is never recorded here (its lease was lost to another
# worker, which owes the receipt itself) are dropped after this long.
_SETTLING_SECONDS = 600.0


def provider_sid(message_sid: str) -> str:
    """The simulated carrier's reference for a message (derived, so a repeat finds it)."""
    return "SIM" + message_sid[2:]


class Simulator:
    name = NAME

    def __init__(
        self, db: Database, clock: Clock, *, config_rules: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.db = db
        self.clock = clock
        self.config_rules: list[tuple[str, str]] = list(config_rules)
        self.inbox: CarrierInbox | None = None
        # Receipts due at once, by message SID, until the hand-over is recorded.
        self._settling: dict[str, tuple[float, Receipt]] = {}

    @classmethod
    def from_context(cls, context: ProviderContext) -> Simulator:
        return cls(context.db, context.clock, config_rules=parse_rules(context.settings.scenarios))

    async def start(self, inbox: CarrierInbox) -> None:
        self.inbox = inbox

    async def close(self) -> None:
        self.inbox = None

    def task_handlers(self) -> Sequence[TaskHandler]:
        from telephonist.providers.simulator.timers import ReceiptTimer

        # ``receipt`` tasks were queued by earlier versions, before receipts were timers.
        return [ReceiptTimer(RECEIPT_TASK, self), ReceiptTimer("receipt")]

    def settle(self, sids: Sequence[str]) -> list[Receipt]:
        """The receipts due at once for these messages, whose hand-over is being recorded."""
        held = self._settling
        return [held.pop(sid)[1] for sid in sids if sid in held]

    def scenario_of(self, number: str, rules: store.AccountRules) -> Scenario:
        """The scenario of a handset for an account with these rules in force: the configured
        ones, then the account's parent's and its own (see :func:`resolve`)."""
        return resolve(number, self.config_rules, rules.inherited, rules.own)

    async def scenario_for(self, account_sid: str, number: str) -> Scenario:
        """The scenario a message from ``account_sid`` to ``number`` would be handed over
        under now (what Lookups reports about the handset, for one)."""
        accounts = await self.db.read(store.rules_for, {account_sid})
        return self.scenario_of(number, accounts.get(account_sid, _NO_RULES))

    # -- calls ---------------------------------------------------------------------------------

    async def plan_calls(self, legs: Sequence[CallLeg]) -> list[Behavior]:
        """How each handset answers: the behaviour its account (or the account's parent) set
        for the number or a pattern matching it, else one ring and silence."""
        if not legs:
            return []
        behaviors = await self.db.read(store.call_behaviors, {leg.account_sid for leg in legs})
        return [behaviors.get(leg.account_sid, store.CallBehaviors()).of(leg.to) for leg in legs]

    # -- outbound ------------------------------------------------------------------------------

    async def submit(self, batch: Sequence[Outbound]) -> list[Outcome]:
        return await self.db.run(self._hand_over, list(batch), to_micros(self.clock.now()))

    def _hand_over(self, conn: Connection, batch: list[Outbound], now: int) -> list[Outcome]:
        # Each message's scenario comes from the rules of its own account (and its parent's),
        # read for the whole batch at once.
        accounts = store.rules_for(conn, {m.account_sid for m in batch})
        repeated = store.handed_over(conn, [m.sid for m in batch])
        outcomes: list[Outcome] = []
        log: list[dict[str, Any]] = []
        timers: list[dict[str, Any]] = []
        settling: dict[str, Receipt] = {}
        for message in batch:
            ref = provider_sid(message.sid)
            if message.sid in repeated:
                outcomes.append(Accepted(ref))
                scenario = SCENARIOS.get(repeated[message.sid])
                if scenario is not None and _at_once(scenario):
                    settling[message.sid] = _receipt(ref, scenario)
                continue
            scenario = self.scenario_of(message.to, accounts.get(message.account_sid, _NO_RULES))
            if message.attempt < scenario.transient_failures:
                code = 30017 if scenario.name == "congested" else 30008
                outcomes.append(Rejected(code, transient=True, detail=scenario.name))
                continue
            if scenario.submit_error is not None:
                outcomes.append(Rejected(scenario.submit_error, False, detail=scenario.name))
                continue
            body, num_media = message.body, message.num_media
            if num_media and not scenario.receives_mms:
                if not message.mms_converter:
                    outcomes.append(Rejected(MMS_NOT_SUPPORTED, False, detail=scenario.name))
                    continue
                # MMS Converter: the handset gets an SMS with links to the media.
                body, num_media = as_sms(body, message.media_links), 0
            outcomes.append(Accepted(ref))
            log.append(
                {
                    "message_sid": message.sid,
                    "direction": "mt",
                    "handset": message.to,
                    "peer": message.from_,
                    "body": body,
                    "num_media": num_media,
                    "scenario": scenario.name,
                    "created_at": now,
                }
            )
            if _at_once(scenario):
                settling[message.sid] = _receipt(ref, scenario)
            elif scenario.receipt is not None:
                timers.append(
                    {
                        "kind": RECEIPT_TASK,
                        "ref": message.sid,
                        "due_at": now + int(scenario.receipt_after * 1e6),
                        "payload": {
                            "provider_sid": ref,
                            "status": scenario.receipt,
                            "error_code": scenario.receipt_error,
                        },
                        "created_at": now,
                        "lane": queue.SEND_LANE,
                        "partition_key": message.account_sid,
                    }
                )
        store.log(conn, log)
        if timers:
            queue.enqueue_many(conn, timers)
        self._hold(settling)
        return outcomes

    def _hold(self, receipts: dict[str, Receipt]) -> None:
        held = self._settling
        clock = time.monotonic()
        if held:
            oldest = next(iter(held.values()))[0]
            if clock - oldest > _SETTLING_SECONDS:
                for sid in [s for s, (t, _) in held.items() if clock - t > _SETTLING_SECONDS]:
                    del held[sid]
        for sid, receipt in receipts.items():
            held.pop(sid, None)  # kept in the order they were held, oldest first
            held[sid] = (clock, receipt)

    # -- inbound -------------------------------------------------------------------------------

    async def send_from_handset(self, message: MobileOriginated) -> dict[str, object]:
        """A handset (``message.from_``) texts one of our numbers: the carrier hands it to
        the inbox."""
        assert self.inbox is not None, "the simulator was not started"
        row = await self.inbox.mobile_originated(message)
        now = to_micros(self.clock.now())
        entry = {
            "message_sid": row["sid"],
            "direction": "mo",
            "handset": message.from_,
            "peer": message.to,
            "body": message.body,
            "num_media": len(message.media),
            "scenario": "",
            "created_at": now,
        }
        await self.db.run(store.log, [entry])
        return row


_NO_RULES = store.AccountRules()


def _at_once(scenario: Scenario) -> bool:
    return scenario.receipt is not None and scenario.receipt_after * 1e6 <= SETTLE_MICROS


def _receipt(ref: str, scenario: Scenario) -> Receipt:
    assert scenario.receipt is not None
    return Receipt(NAME, ref, scenario.receipt, scenario.receipt_error)


def receipt_of(payload: dict[str, Any]) -> Receipt:
    """The receipt a ``sim_receipt`` timer carries."""
    return Receipt(NAME, payload["provider_sid"], payload["status"], payload.get("error_code"))
