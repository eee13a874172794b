"""Turn a webhook's answer into a checked element tree, or refuse it the way Twilio does.

The document comes from a URL the account holder configured, so it is untrusted input: it is
parsed with ``defusedxml`` and DTDs forbidden outright (no billion laughs, no external entities,
nothing fetched or read), its size is checked before the parser sees a byte, and every way the
parser can fail becomes Twilio's 12100 rather than an unexpected exception.

What comes out is a :class:`Node` tree that holds only what the vocabulary defines; everything
else was dropped with a 12200 warning, so interpreters need no defensive checks of their own.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias
from urllib.parse import urljoin, urlsplit

import defusedxml.ElementTree as DefusedET  # type: ignore[import-untyped, unused-ignore]
from defusedxml import DefusedXmlException  # type: ignore[import-untyped, unused-ignore]

from telephonist.errors import TelephonistError
from telephonist.twiml.vocabulary import ROOT, Verb

MAX_TWIML_BYTES = 64 * 1024
"""Twilio's limit on a TwiML response body; larger answers fail with 11750."""

MAX_WARNINGS = 20
"""Warnings kept per document: a 64 kB document of unknown elements must not become 10,000
alerts."""

XML_WHITESPACE = " \t\r\n"
"""What XML calls whitespace. Stripping only this (not ``str.strip()``'s Unicode whitespace)
removes pretty-printing indentation without eating a deliberate no-break or ideographic space."""

INVALID_URL = 11100
DOCUMENT_TOO_LARGE = 11750
PARSE_FAILURE = 12100
SCHEMA_WARNING = 12200
INVALID_CONTENT_TYPE = 12300

TITLES: Mapping[int, str] = {
    DOCUMENT_TOO_LARGE: "TwiML response body too large",
    INVALID_URL: "Invalid URL format",
    PARSE_FAILURE: "Document parse failure",
    SCHEMA_WARNING: "Schema validation warning",
    INVALID_CONTENT_TYPE: "Invalid Content-Type",
    13710: "Redirect: Invalid method value",
    14103: "Invalid Body",
    14104: "Invalid Method attribute",
    14105: "Invalid statusCallback attribute",
}
"""Twilio's titles for the codes this package reports, kept here (not read from the error
catalogue) so that parsing stays free of I/O; a test checks they match the catalogue."""

XML_TYPES = frozenset({"text/xml", "application/xml", "text/html"})
"""Media types parsed as TwiML. Twilio accepts text/html too, as long as it is well-formed XML."""

PLAIN_TEXT = "text/plain"

METHODS = frozenset({"GET", "POST"})
"""The methods a verb's ``method`` attribute may name."""


class TwimlError(TelephonistError):
    """The document cannot be executed at all (12100, 11750 or 12300).

    ``message`` is Twilio's title for ``code``; ``detail`` says what was wrong with this
    document, for the debugger alert the caller raises.
    """

    def __init__(self, code: int, detail: str) -> None:
        self.code = code
        self.message = TITLES[code]
        self.detail = detail
        super().__init__(f"{code} {self.message}: {detail}")


TwimlWarning: TypeAlias = tuple[int, str]
"""``(code, detail)``: Twilio's code (one of :data:`TITLES`) and what it was about in this
document. Carried as data so that whoever records the alert needs no parsing to find the code."""


def capped(warnings: list[TwimlWarning]) -> tuple[TwimlWarning, ...]:
    """The first :data:`MAX_WARNINGS` warnings, and a count of the rest (as one more 12200)."""
    if len(warnings) <= MAX_WARNINGS:
        return tuple(warnings)
    rest = len(warnings) - MAX_WARNINGS
    return (*warnings[:MAX_WARNINGS], (SCHEMA_WARNING, f"... and {rest} more warnings"))


@dataclass(frozen=True)
class Node:
    """One element the vocabulary accepted.

    ``attrs`` holds only the verb's known attributes, raw (unstripped). ``text`` is the element's
    own character data (text and the tails of its children, i.e. mixed content joined); it is
    ``""`` when that was only whitespace or the verb takes no text.
    """

    tag: str
    attrs: Mapping[str, str]
    text: str
    children: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Parsed:
    """A TwiML document that can run, with the 12200 warnings it drew along the way."""

    root: Node
    warnings: tuple[TwimlWarning, ...] = ()


def parse_document(
    body: bytes,
    content_type: str | None,
    *,
    vocabulary: Mapping[str, Verb],
    max_bytes: int = MAX_TWIML_BYTES,
) -> Parsed | str:
    """Parse a webhook's answer as Twilio would.

    Returns a :class:`Parsed` tree for XML media types, or the stripped text for ``text/plain``
    (which Twilio sends back as one reply; ``""`` means "send nothing"). Raises
    :class:`TwimlError` with 11750 when ``body`` is over ``max_bytes`` (checked first, so an
    oversized answer is never decoded or parsed), 12300 for a missing or unsupported
    Content-Type and 12100 when the document is not well-formed, declares a DTD or has a root
    other than ``<Response>``.
    """
    if len(body) > max_bytes:
        raise TwimlError(
            DOCUMENT_TOO_LARGE, f"the response is {len(body)} bytes; the limit is {max_bytes}"
        )
    media_type, params = _split_content_type(content_type)
    if media_type == PLAIN_TEXT:
        return _decode(body, params.get("charset")).strip(XML_WHITESPACE)
    if media_type not in XML_TYPES:
        shown = content_type if content_type else "no Content-Type"
        raise TwimlError(INVALID_CONTENT_TYPE, f"cannot execute {shown!r} as TwiML")
    root = _parse_xml(body)
    if root.tag != ROOT:
        raise TwimlError(PARSE_FAILURE, f"the root element must be <{ROOT}>, not <{root.tag}>")
    warnings: list[TwimlWarning] = []
    tree = _build(root, vocabulary[ROOT], vocabulary, warnings)
    return Parsed(tree, capped(warnings))


def _split_content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """``text/xml; charset="UTF-8"`` -> ``("text/xml", {"charset": "UTF-8"})``."""
    if not value:
        return "", {}
    media_type, *rest = value.split(";")
    params: dict[str, str] = {}
    for part in rest:
        name, _, param = part.partition("=")
        params[name.strip().lower()] = param.strip().strip('"')
    return media_type.strip().lower(), params


def _decode(body: bytes, charset: str | None) -> str:
    """Decode a text/plain answer, never failing: an unknown or non-text charset means UTF-8.

    A reply with a few replacement characters is more useful to the developer than none.
    """
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except (LookupError, ValueError):
            pass
    return body.decode("utf-8", errors="replace")


def _parse_xml(body: bytes) -> ET.Element:
    """Parse with DTDs forbidden; every failure, whatever its type, is 12100.

    Besides ``ParseError`` and defusedxml's refusals (``ValueError`` subclasses), the XML
    declaration's ``encoding`` can make the parser raise ``LookupError`` (``"bogus"``, ``"hex"``)
    or ``ValueError``/``UnicodeError`` (multi-byte codecs such as ``shift_jis``).
    """
    try:
        root: ET.Element = DefusedET.fromstring(
            body, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise TwimlError(
            PARSE_FAILURE, "DOCTYPE and entity declarations are not allowed in TwiML"
        ) from exc
    except ET.ParseError as exc:
        raise TwimlError(PARSE_FAILURE, f"not well-formed XML: {exc}") from exc
    except (LookupError, ValueError) as exc:
        raise TwimlError(PARSE_FAILURE, f"cannot decode the document: {exc}") from exc
    return root


def _build(
    element: ET.Element,
    verb: Verb,
    vocabulary: Mapping[str, Verb],
    warnings: list[TwimlWarning],
) -> Node:
    """Keep what ``verb`` defines, warn about the rest.

    Only accepted children are descended into, so recursion depth is bounded by the vocabulary,
    not by how deeply an attacker nests unknown elements.
    """
    attrs: dict[str, str] = {}
    for name, value in element.attrib.items():
        if name in verb.attributes:
            attrs[name] = value
        else:
            warnings.append((SCHEMA_WARNING, f"<{verb.name}> has no attribute {name!r}; ignored"))
    pieces = [element.text or ""]
    children: list[Node] = []
    for child in element:
        pieces.append(child.tail or "")
        child_verb = vocabulary.get(child.tag)
        if child_verb is None:
            warnings.append((SCHEMA_WARNING, f"<{child.tag}> is not a known element; ignored"))
        elif child.tag not in verb.children:
            warnings.append(
                (
                    SCHEMA_WARNING,
                    f"<{child.tag}> is not allowed inside <{verb.name}>; ignored",
                )
            )
        else:
            children.append(_build(child, child_verb, vocabulary, warnings))
    text = "".join(pieces)
    if not text.strip(XML_WHITESPACE):
        text = ""
    elif not verb.text:
        warnings.append((SCHEMA_WARNING, f"<{verb.name}> takes no text; ignored"))
        text = ""
    return Node(verb.name, attrs, text, tuple(children))


# -- attribute values, the same for every vocabulary ----------------------------------------


def attribute(node: Node, name: str) -> str | None:
    """An attribute's value, stripped; absent and blank are the same (use the default)."""
    value = node.attrs.get(name, "").strip(XML_WHITESPACE)
    return value or None


def method_of(node: Node, code: int, warnings: list[TwimlWarning]) -> str:
    """The verb's ``method``: GET or POST (any case); anything else warns ``code``, POST."""
    written = attribute(node, "method")
    if written is None:
        return "POST"
    method = written.upper()
    if method not in METHODS:
        warnings.append((code, f"<{node.tag}> method {written!r}; using POST"))
        return "POST"
    return method


def resolve_url(url: str, document_url: str) -> str | None:
    """``url`` made absolute against the document's URL, or None unless it is http(s).

    The caller will fetch these URLs (redirects, actions, media, callbacks); refusing ``file:``,
    ``data:`` and host-less URLs here means no TwiML can point it at anything but the web.
    """
    try:
        resolved = urljoin(document_url, url)
        parts = urlsplit(resolved)
    except ValueError:  # e.g. an unbalanced "[" in an IPv6 host
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    return resolved
