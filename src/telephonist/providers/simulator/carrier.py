"""The simulated carrier as a :class:`~telephonist.providers.base.Provider`.

It decides each message's fate from the scenario attached to the destination handset and
records what the handset received in ``carrier_log``, inside the transaction that marks the
message sent; the log's unique ``message_sid`` makes a second hand-over impossible.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, insert

from telephonist.providers.base import Accepted, Outbound, Outcome, Rejected
from telephonist.providers.simulator.scenarios import resolve
from telephonist.storage.prepared import Prepared
from telephonist.storage.schema import carrier_log

_LOG = Prepared(
    insert(carrier_log).values(
        {c.name: bindparam(c.name) for c in carrier_log.columns if c.name != "id"}
    )
)


class Simulator:
    name = "simulator"

    def __init__(self, rules: list[tuple[str, str]] | None = None) -> None:
        self.rules: list[tuple[str, str]] = list(rules or [])

    async def submit(self, message: Outbound) -> Outcome:
        scenario = resolve(message.to, self.rules)
        if message.attempt < scenario.transient_failures:
            return Rejected(
                30017 if scenario.name == "congested" else 30008,
                transient=True,
                scenario=scenario.name,
            )
        if scenario.submit_error is not None:
            return Rejected(scenario.submit_error, transient=False, scenario=scenario.name)
        return Accepted(
            scenario=scenario.name,
            receipt_status=scenario.receipt,
            receipt_after=scenario.receipt_after,
            receipt_error=scenario.receipt_error,
        )

    def record(
        self, conn: Connection, results: Sequence[tuple[Outbound, Outcome]], now: int
    ) -> None:
        rows = [
            {
                "message_sid": m.sid,
                "direction": "mt",
                "handset": m.to,
                "peer": m.from_,
                "body": m.body,
                "num_media": m.num_media,
                "scenario": outcome.scenario,
                "created_at": now,
            }
            for m, outcome in results
            if isinstance(outcome, Accepted)
        ]
        _LOG.execute_many(conn, rows)
