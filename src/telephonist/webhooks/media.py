"""Fetching media from URLs we were given: bounded in size, type, time and redirects.

Twilio's limits: 10 items per message; 5 MB for JPEG, PNG and GIF; 500 KB for other accepted
types. Anything else is refused with the code Twilio would record. A destination the outbound
policy refuses (see :mod:`telephonist.webhooks.media_connector`) fails as an unreachable one
does, with 11205, and is never connected to.
"""

from __future__ import annotations

from dataclasses import dataclass

from telephonist.errors import TelephonistError
from telephonist.webhooks.delivery import WebhookClient
from telephonist.webhooks.resolver import DestinationRefused

IMAGE_LIMIT = 5 * 1024 * 1024
OTHER_LIMIT = 500 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/gif"})
ACCEPTED_PREFIXES = ("image/", "audio/", "video/")
# Twilio's accepted non-media types; text/html and the like are refused (12300).
ACCEPTED_TYPES = frozenset(
    {
        "text/vcard",
        "text/x-vcard",
        "text/csv",
        "text/rtf",
        "text/richtext",
        "text/calendar",
        "text/directory",
        "application/pdf",
        "application/vcard",
        "application/rtf",
    }
)


class MediaError(TelephonistError):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Fetched:
    content_type: str
    content: bytes


def accepted(content_type: str) -> bool:
    return content_type.startswith(ACCEPTED_PREFIXES) or content_type in ACCEPTED_TYPES


async def fetch_media(client: WebhookClient, url: str, *, timeout: float | None = None) -> Fetched:
    """GET ``url`` and return its bytes, or raise :class:`MediaError` with Twilio's code.

    ``timeout`` bounds connecting and each read (default: the client's, i.e. the configured
    webhook timeout); the whole download gets five seconds more, so a slow drip cannot hold
    a send for ever.
    """
    import aiohttp  # not at start: see WebhookClient.session

    seconds = client.timeout if timeout is None else timeout
    limits = aiohttp.ClientTimeout(total=seconds + 5, connect=seconds, sock_read=seconds)
    try:
        async with client.session.get(url, timeout=limits, max_redirects=10) as resp:
            if not 200 <= resp.status < 300:
                raise MediaError(11200, f"Fetching {url} answered HTTP {resp.status}")
            content_type = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if not content_type or not accepted(content_type):
                raise MediaError(
                    12300, f"{url} has unsupported Content-Type {content_type or '(none)'}"
                )
            limit = IMAGE_LIMIT if content_type in IMAGE_TYPES else OTHER_LIMIT
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise MediaError(11751, f"{url} is larger than {limit} bytes")
                chunks.append(chunk)
    except aiohttp.TooManyRedirects:
        raise MediaError(11215, f"Too many redirects fetching {url}") from None
    except TimeoutError:
        raise MediaError(11200, f"Timed out fetching {url}") from None
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, DestinationRefused):
            raise MediaError(11205, f"Could not fetch {url}: {exc.os_error}") from None
        raise MediaError(11205, f"Could not fetch {url}: {exc.__class__.__name__}") from None
    except (aiohttp.ClientError, ValueError) as exc:
        raise MediaError(11205, f"Could not fetch {url}: {exc.__class__.__name__}") from None
    return Fetched(content_type, b"".join(chunks))
