"""The error tree.

Every failure a client can see is a :class:`TwilioError`: a Twilio error code, the HTTP status
that goes with it, and a message. It is rendered once, at the HTTP edge, as
``{code, message, more_info, status}`` -- the shape both official SDKs parse.
"""

from __future__ import annotations

from typing import Any

from telephonist.domain.error_codes import catalog_message, more_info


class TelephonistError(Exception):
    """Root of everything telephonist raises on purpose."""


class TwilioError(TelephonistError):
    """A failure with a Twilio error code.

    ``message`` defaults to the title in Twilio's published error dictionary; pass a specific
    message where Twilio's live API interpolates the offending value.
    """

    def __init__(
        self, code: int, status: int = 400, message: str | None = None, *, detail: str | None = None
    ) -> None:
        self.code = code
        self.status = status
        self.message = message or catalog_message(code)
        self.detail = detail
        super().__init__(f"{code}: {self.message}")

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "more_info": more_info(self.code),
            "status": self.status,
        }
        if self.detail is not None:
            out["detail"] = self.detail
        return out


def not_found(path: str) -> TwilioError:
    """Twilio's 404: the same answer whether the resource is missing or belongs to someone else."""
    return TwilioError(20404, 404, f"The requested resource {path} was not found")


def authentication_failed() -> TwilioError:
    return TwilioError(
        20003, 401, "Authenticate", detail="Your AccountSid or AuthToken was incorrect."
    )


def invalid_parameter(message: str) -> TwilioError:
    return TwilioError(20422, 400, message)
