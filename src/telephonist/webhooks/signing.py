"""X-Twilio-Signature: signing the webhooks we send and checking the ones we receive.

Users validate our webhooks with Twilio's own helpers (``RequestValidator`` and its ports), so
the string we sign must be the one those helpers rebuild, character for character:

1. the URL exactly as configured (scheme, host, optional port, path, query) without the
   fragment, which never leaves the client and carries Twilio's connection overrides;
2. for an ``application/x-www-form-urlencoded`` POST, every parameter name in code-point order,
   each followed by its decoded values, sorted and de-duplicated as the SDKs do
   (``sorted(set(values))``), with no separators; a GET has no step 2 because its parameters
   are already in the query string;
3. the signature is ``base64(HMAC-SHA1(auth_token, string))``.

A JSON body is not signed as parameters: its lowercase hex SHA-256 is appended to the query as
``bodySHA256`` and only the URL is signed, which the SDK validators check when they are given
the raw body as a string.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl

__all__ = [
    "BODY_HASH_PARAM",
    "Params",
    "body_sha256",
    "idempotency_token",
    "sign",
    "sign_json",
    "signing_url",
    "string_to_sign",
    "verify",
    "verify_json",
]

Params = Sequence[tuple[str, str]] | Mapping[str, str | Sequence[str]]
"""Form parameters: ordered pairs (repeated names allowed) or a name -> value(s) mapping."""

BODY_HASH_PARAM = "bodySHA256"
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def signing_url(url: str) -> str:
    """The URL as it is signed: everything up to the fragment, byte for byte.

    No parsing and re-assembling: ``urlunsplit`` would drop an empty ``?``, lower-case the
    scheme and so on, and the receiver signs the URL it configured, not a normalised one.
    """
    return url.split("#", 1)[0]


def _grouped(params: Params) -> dict[str, set[str]]:
    """Collect every value of every name, whichever shape the parameters came in."""
    grouped: dict[str, set[str]] = {}
    items = params.items() if isinstance(params, Mapping) else params
    for name, value in items:
        # A str is itself a Sequence[str]: test for it first or "abc" becomes a, b, c.
        values = (value,) if isinstance(value, str) else tuple(value)
        grouped.setdefault(name, set()).update(values)
    return grouped


def string_to_sign(url: str, params: Params | None) -> str:
    """The exact string that is HMAC-ed; exposed so a failing signature can be debugged."""
    parts = [signing_url(url)]
    if params and isinstance(params, list | tuple) and all(type(pair[1]) is str for pair in params):
        # Plain pairs (what the worker sends): sorting the de-duplicated pairs orders them by
        # name, then value, which is exactly sorted(names) with sorted(set(values)) under each.
        parts.extend(name + value for name, value in sorted(set(params)))
    elif params:
        grouped = _grouped(params)
        for name in sorted(grouped):
            # Values are de-duplicated like the SDKs' sorted(set(values)): a name sent twice
            # with the same value contributes it once.
            parts.extend(name + value for value in sorted(grouped[name]))
    return "".join(parts)


def _hmac_sha1_b64(auth_token: str, message: str) -> str:
    digest = hmac.new(auth_token.encode("utf-8"), message.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def sign(auth_token: str, url: str, params: Params | None = None) -> str:
    """X-Twilio-Signature for a form POST (``params``) or a GET (``params=None``).

    For a GET the parameters must already be in ``url``'s query string, as sent.
    """
    return _hmac_sha1_b64(auth_token, string_to_sign(url, params))


def body_sha256(body: bytes) -> str:
    """Lowercase hex SHA-256 of the raw body, the form the SDK validators compare against."""
    return hashlib.sha256(body).hexdigest()


def sign_json(auth_token: str, url: str, body: bytes) -> tuple[str, str]:
    """Sign a request whose body is not form-encoded (JSON): returns (url to request, signature).

    The body is bound to the signature through its hash in the query string, so the returned
    URL, not ``url``, is the one that must be requested. The fragment is dropped first since it
    is never sent.
    """
    base = signing_url(url)
    if "?" not in base:
        separator = "?"
    elif base.endswith(("?", "&")):
        separator = ""
    else:
        separator = "&"
    signed_url = f"{base}{separator}{BODY_HASH_PARAM}={body_sha256(body)}"
    return signed_url, sign(auth_token, signed_url)


def _port_variants(url: str) -> list[str]:
    """``url`` as given, plus the same URL with its port removed or the default port added.

    Proxies and load balancers add or drop the port, so the SDK validators accept either form
    and so do we. The authority is split by hand rather than with urllib so the rest of the URL
    stays byte for byte, and user-info or IPv6 hosts are not mangled.
    """
    variants = [url]
    scheme, sep, rest = url.partition("://")
    if not sep:
        return variants
    end = len(rest)
    for delimiter in "/?":
        index = rest.find(delimiter)
        if index != -1:
            end = min(end, index)
    authority, tail = rest[:end], rest[end:]
    userinfo, at, hostport = authority.rpartition("@")
    prefix = f"{scheme}://{userinfo}{at}"
    host, colon, port = hostport.rpartition(":")
    # In "[::1]" the last colon is inside the brackets: that is no port.
    if colon and "]" not in port:
        if port.isdigit():
            variants.append(f"{prefix}{host}{tail}")
    else:
        default = _DEFAULT_PORTS.get(scheme.lower())
        if default is not None:
            variants.append(f"{prefix}{hostport}:{default}{tail}")
    return variants


def verify(auth_token: str, url: str, params: Params | None, signature: str) -> bool:
    """Check an X-Twilio-Signature the way the SDK validators do, in constant time.

    The URL is tried as given, without its port and with the scheme's default port (443 for
    https, 80 for http), because a proxy in front of the receiver may have changed the port the
    sender signed. A signature that is not even ASCII is simply wrong, not an error.
    """
    expected = signature.encode("utf-8")
    return any(
        hmac.compare_digest(sign(auth_token, candidate, params).encode("ascii"), expected)
        for candidate in _port_variants(signing_url(url))
    )


def verify_json(auth_token: str, url: str, body: bytes, signature: str) -> bool:
    """Check a JSON-bodied request: the URL's ``bodySHA256`` must match the body, and the URL
    (hash included) must carry a valid signature.

    Without the hash check a valid URL could be replayed with any body; a URL without a
    ``bodySHA256`` is refused outright for the same reason.
    """
    query = signing_url(url).partition("?")[2]
    hashes = [
        value for name, value in parse_qsl(query, keep_blank_values=True) if name == BODY_HASH_PARAM
    ]
    if not hashes:
        return False
    # The first occurrence, as the SDKs' parse_qs(...)[name][0] reads it.
    body_ok = hmac.compare_digest(hashes[0].encode("utf-8"), body_sha256(body).encode("ascii"))
    return verify(auth_token, url, None, signature) and body_ok


def idempotency_token(event_id: str, url: str) -> str:
    """I-Twilio-Idempotency-Token for delivering ``event_id`` to ``url``: opaque and stable.

    A pure function of (event, target) rather than a random value, so a retry computes the same
    token without storing it and the receiver can drop duplicates. The fragment is ignored since
    it only tunes the connection. To have a fallback request recognised as the same event, pass
    the primary URL the event was addressed to. The first 40 hex digits of SHA-256 over
    ``event_id + "\\n" + url`` (the newline keeps ("ab", "c") and ("a", "bc") apart).
    """
    material = f"{event_id}\n{signing_url(url)}".encode()
    return hashlib.sha256(material).hexdigest()[:40]
