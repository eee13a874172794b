"""Form bodies and query strings, read the way Twilio reads them.

Twilio's clients send ``application/x-www-form-urlencoded`` with PascalCase names; arrays are
repeated keys (``MediaUrl=a&MediaUrl=b``); booleans are ``true``/``false``; spaces arrive as
``+`` (Python SDK) or ``%20`` (Node SDK). Names are case-sensitive. Unknown names are ignored.

No parameter may hold a NUL character: PostgreSQL cannot store one in text and Twilio refuses
it, so a :class:`Form` is never built with one (20422, on either database).

Older SDKs (twilio-node 3.x, still pinned by many apps) send ``multipart/form-data`` instead,
which Twilio accepts too: its fields read exactly like the urlencoded ones, under the same size
limit. File parts carry nothing the API takes (media travel as ``MediaUrl``), so a body with one
is refused rather than half-read.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from telephonist.errors import TwilioError, invalid_parameter

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
NUL = "\x00"


class Form:
    """A read-only multi-dict of request parameters, none holding a NUL character."""

    __slots__ = ("_items",)

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        items: dict[str, list[str]] = {}
        for key, value in pairs:
            if NUL in value or NUL in key:
                raise TwilioError(20422, f"Parameter {key!r} must not contain a NUL character")
            items.setdefault(key, []).append(value)
        self._items = items

    @classmethod
    def parse(cls, raw: str) -> Form:
        return cls(parse_qsl(raw, keep_blank_values=True))

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._items.get(name)
        return values[0] if values else default

    def text(self, name: str) -> str | None:
        """The value, with the empty string treated as absent (Twilio does for required fields)."""
        value = self.get(name)
        return value if value else None

    def getlist(self, name: str) -> list[str]:
        return list(self._items.get(name, ()))

    def pairs(self) -> list[tuple[str, str]]:
        """Every (name, value), a name's values in the order they came."""
        return [(name, value) for name, values in self._items.items() for value in values]

    def bool(self, name: str) -> bool | None:
        value = self.get(name)
        if value is None or value == "":
            return None
        lowered = value.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise invalid_parameter(f"{name} must be true or false, not {value!r}")

    def int(self, name: str, *, code: int = 20422) -> int | None:
        value = self.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise TwilioError(code, 400, f"{name} must be an integer, not {value!r}") from None

    def choice(self, name: str, choices: tuple[str, ...]) -> str | None:
        value = self.get(name)
        if value is None or value == "":
            return None
        if value not in choices:
            raise invalid_parameter(f"{name} must be one of {', '.join(choices)}; got {value!r}")
        return value

    def method(self, name: str) -> str | None:
        """An HTTP method parameter (SmsMethod, VoiceMethod ...): GET or POST, any case."""
        value = self.get(name)
        if value is None or value == "":
            return None
        upper = value.upper()
        if upper not in ("GET", "POST"):
            raise invalid_parameter(f"{name} must be GET or POST; got {value!r}")
        return upper


async def read_form(request: Request, max_bytes: int) -> Form:
    """The request body as a :class:`Form`, refusing bodies over ``max_bytes`` with 20413."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        return Form([])
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type == MULTIPART:
        return await _multipart(request.headers, raw)
    if media_type and media_type != URLENCODED:
        raise TwilioError(20422, 400, f"Request bodies must be {URLENCODED} or {MULTIPART}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TwilioError(20422, 400, "Request body is not valid UTF-8") from None
    return Form.parse(text)


async def _multipart(headers: Headers, raw: bytes) -> Form:
    """A ``multipart/form-data`` body (already read, within the limit) as a :class:`Form`."""

    async def stream() -> AsyncGenerator[bytes, None]:
        yield raw

    # The body is already within the limit; no part or field count may refuse it on top.
    # (Starlette decodes a field that is not valid in its charset as Latin-1, never failing.)
    parser = MultiPartParser(headers, stream(), max_fields=len(raw), max_part_size=len(raw))
    try:
        data = await parser.parse()
    except MultiPartException as exc:
        raise TwilioError(20422, 400, f"Malformed {MULTIPART} body: {exc.message}") from None
    pairs: list[tuple[str, str]] = []
    files: list[UploadFile] = []
    for name, value in data.multi_items():
        if isinstance(value, str):
            pairs.append((name, value))
        else:
            files.append(value)
    if files:
        for upload in files:
            await upload.close()
        names = ", ".join(sorted({upload.filename or "?" for upload in files}))
        raise TwilioError(
            20422, 400, f"File parts ({names}) are not accepted; send media as MediaUrl"
        )
    return Form(pairs)


def query_form(request: Request) -> Form:
    return Form(parse_qsl(request.url.query, keep_blank_values=True))


def _too_large(max_bytes: int) -> TwilioError:
    return TwilioError(20413, 413, f"Request entity is larger than {max_bytes} bytes")
