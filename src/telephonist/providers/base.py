"""The provider seam: what the dispatcher needs from a carrier, and what a carrier hands back.

Outbound, one method: :meth:`Provider.submit` takes a batch of messages and answers, for each,
:class:`Accepted` (with the carrier's own reference for it) or :class:`Rejected` (transient:
try again later; permanent: the message fails with that code). It knows nothing of our
database or our transactions, like httpx's ``BaseTransport.handle_request``.

Inbound, the other direction: a carrier reports delivery receipts (by its own reference) and
mobile-originated messages through a :class:`CarrierInbox`, which the dispatcher gives every
provider when it starts (:meth:`Provider.start`). A real carrier's webhook endpoint calls the
same inbox that the simulator calls from its timers.

**Exactly one hand-over.** Each :class:`Outbound` carries an ``idempotency_key`` (the message
SID). The worker marks a message ``sending`` in the transaction that leases its send task,
before it calls ``submit``; if that worker dies mid-hand-over, the task falls due again when
its lease runs out and the message is submitted again *with the same key*. A provider must
answer a key it has seen with its first answer and not send again: the simulator keeps the key
in ``carrier_log`` (unique per message); an upstream adapter passes it to the carrier's own
idempotency mechanism, or keeps a submit record of its own.

**Call legs.** A call step asks the provider how the far end of each party it may ring will
answer (:meth:`Provider.plan_calls`): a :class:`~telephonist.domain.calls.Behavior` -- ring for
so long, then answer as a person or a machine and follow a script; or be busy, not answer,
fail. The step asks before it needs the answer (for the callee when the call is placed, for a
document's ``<Dial>`` targets as soon as the document is fetched) and keeps what the plan said
in the call's state once the leg rings, so a call runs on the call clock with no round trips
and a restarted step follows the plan already made. The simulator always knows the plan (its
handset behaviours). A real carrier only learns it as the call progresses; its adapter will
need the other half of this seam, not built yet: a hand-over when the leg is actually placed
(recorded before it, as messages are) and progress (ringing, the answer, digits, the hang-up)
reported through the inbox and read by the step as input on the call clock, the way it reads
a handset's live input today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from telephonist.dispatch.tasks import TaskHandler
    from telephonist.domain.calls import Behavior

ReceiptStatus = Literal["delivered", "undelivered", "failed", "read"]


@dataclass(frozen=True, slots=True)
class MediaItem:
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to hand to the carrier.

    For a handset that cannot receive MMS, ``mms_converter`` says what to do with the media
    (Twilio's MMS Converter): send the message as an SMS with ``media_links`` (public URLs of
    the kept media, in ``media``'s order) after the body, or, when False, refuse it with 30011
    (:mod:`telephonist.domain.mms_converter`).
    """

    sid: str
    account_sid: str
    from_: str
    to: str
    body: str
    num_segments: int
    num_media: int
    attempt: int
    media: tuple[MediaItem, ...] = ()
    media_links: tuple[str, ...] = ()
    mms_converter: bool = True

    @property
    def idempotency_key(self) -> str:
        return self.sid


@dataclass(frozen=True, slots=True)
class Accepted:
    """The carrier took the message; ``provider_sid`` is its reference for receipts."""

    provider_sid: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """The carrier refused the message: ``transient`` ones are retried, others fail it."""

    code: int
    transient: bool
    detail: str = ""


Outcome = Accepted | Rejected


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery receipt: the message the carrier knows as ``provider_sid`` reached ``status``."""

    provider: str
    provider_sid: str
    status: ReceiptStatus
    error_code: int | None = None


@dataclass(frozen=True, slots=True)
class InboundMedia:
    content_type: str
    content: bytes
    source_url: str | None = None


@dataclass(frozen=True, slots=True)
class MobileOriginated:
    """A message a phone sent to one of our numbers."""

    provider: str
    from_: str
    to: str
    body: str
    media: tuple[InboundMedia, ...] = field(default=())
    provider_sid: str | None = None


@dataclass(frozen=True, slots=True)
class CallLeg:
    """One party to ring: a call placed for ``account_sid`` from ``from_`` to ``to``."""

    account_sid: str
    from_: str
    to: str


class CarrierInbox(Protocol):
    """Where providers hand over what the carrier reports."""

    async def receipts(self, receipts: Sequence[Receipt]) -> int:
        """Apply delivery receipts; answers how many matched a message."""
        ...

    async def mobile_originated(self, message: MobileOriginated) -> dict[str, object]:
        """Store an inbound message and owe the app its webhook; answers the stored row."""
        ...


class Provider(Protocol):
    """A carrier adapter. ``name`` is recorded on every message it carries."""

    name: str

    async def start(self, inbox: CarrierInbox) -> None:
        """Called once before the first submit: keep the inbox for inbound traffic."""
        ...

    async def submit(self, batch: Sequence[Outbound]) -> list[Outcome]:
        """Hand each message to the carrier; one outcome per message, in order."""
        ...

    def task_handlers(self) -> Sequence[TaskHandler]:
        """Handlers for the provider's own timers (its kinds of task), if it has any."""
        ...

    async def plan_calls(self, legs: Sequence[CallLeg]) -> list[Behavior]:
        """How the far end of each leg will answer, in order (asked before it rings)."""
        ...

    async def close(self) -> None:
        """Release connections and timers."""
        ...
