"""The error tree: one root, importable by the pure core, so every layer raises into one family.

Our exception hierarchy::

    * TelephonistError            everything telephonist raises on purpose
      + TwilioError               a failure a client sees: code, HTTP status, message, detail
      + Rejected                  the core refused a request with a Twilio code (no status)
      |  + MessageRejected        (domain.messages) a message create failed validation
      |  + CallRejected           (domain.calls) a call create failed validation
      + InvalidSearch             (domain.inventory) a number search Twilio would refuse; code
      + InvalidScript             (domain.scripts) a caller script that cannot run; step, reason
      + InvalidBehavior           (domain.calls) a handset behaviour that cannot be set
      + TwimlError                (twiml.parse) a document that cannot run at all; code
      + NumberTaken               (storage.repositories.numbers) the number has an owner already
      + BadCredentialsSetting     (storage.seed) the configured default credentials are malformed

Only :class:`TwilioError` is rendered to clients, once, at the HTTP edge, as
``{code, message, more_info, status}`` (plus ``detail`` where Twilio sends one). The other
classes belong to the layer that raises them and carry what that layer knows -- usually a Twilio
code and a message, never an HTTP status. The layer that catches one translates it once, at its
seam: the API turns the coded ones into a :class:`TwilioError` in one function
(``telephonist.api.errors.twilio_error``), the dispatcher turns them into alerts, the CLI into
an exit status.

A code's HTTP status is looked up in the catalogue (:func:`~telephonist.domain.error_codes.
http_status`), so call sites name the code and, where Twilio interpolates the offending value,
the message -- and pass a status only where this one answer deliberately differs from the code's
usual one.
"""

from __future__ import annotations

from typing import Any, overload

from telephonist.domain.error_codes import catalog_message, http_status, more_info


class TelephonistError(Exception):
    """Root of everything telephonist raises on purpose: any other exception is a bug."""


class TwilioError(TelephonistError):
    """A failure with a Twilio error code, as a client will see it.

    ``message`` defaults to the title in Twilio's published error dictionary; pass a specific
    message where Twilio's live API interpolates the offending value. ``status`` defaults to
    the code's HTTP status in the catalogue.

    Both ``TwilioError(code, message, status=...)`` and the older positional form
    ``TwilioError(code, status, message)`` are accepted: an ``int`` in the second place is
    a status, a ``str`` a message.
    """

    code: int
    status: int
    message: str
    detail: str | None

    @overload
    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        status: int | None = None,
        detail: str | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        code: int,
        status: int,
        message: str | None = None,
        /,
        *,
        detail: str | None = None,
    ) -> None: ...

    def __init__(
        self,
        code: int,
        message: str | int | None = None,
        legacy_message: str | None = None,
        *,
        status: int | None = None,
        detail: str | None = None,
    ) -> None:
        if isinstance(message, int):
            if status is not None:
                raise TypeError("TwilioError got the status twice")
            status, message = message, legacy_message
        elif legacy_message is not None:
            raise TypeError("TwilioError takes (code, message) or (code, status, message)")
        self.code = code
        self.status = http_status(code) if status is None else status
        self.message = message or catalog_message(code)
        self.detail = detail
        super().__init__(f"{code}: {self.message}")

    def body(self) -> dict[str, Any]:
        """The JSON both official SDKs parse; ``detail`` only when there is one (as on 401s)."""
        out: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "more_info": more_info(self.code),
            "status": self.status,
        }
        if self.detail is not None:
            out["detail"] = self.detail
        return out


class Rejected(TelephonistError):
    """The core refused a request with Twilio's ``code``, and the message Twilio words for it
    (None: the catalogue's title). No HTTP status: the edge that reports it decides -- the API
    through the catalogue, the dispatcher as an alert, the CLI as an exit status."""

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message or catalog_message(code)}")


__all__ = ["Rejected", "TelephonistError", "TwilioError"]
