"""What Twilio does with the TwiML an app answers to an inbound message, as a plan of actions.

Interpretation is separated from execution: :func:`plan_messaging` decides *what* to send and
where to go next, as plain data, and the caller sends the replies and fetches the redirect. That
keeps this module free of I/O and lets the tests compare plans for equality.

Defaults follow Twilio: a reply goes back to whoever wrote (``to`` defaults to the inbound
``From``, ``from`` to the inbound ``To``), methods default to POST, and relative URLs resolve
against the URL of the document they appear in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from telephonist.twiml.parse import (
    INVALID_URL,
    MAX_TWIML_BYTES,
    SCHEMA_WARNING,
    XML_WHITESPACE,
    Node,
    TwimlWarning,
    attribute,
    capped,
    method_of,
    parse_document,
    resolve_url,
)
from telephonist.twiml.vocabulary import MESSAGING

MAX_MEDIA = 10
"""Twilio's limit of media per message; later ``<Media>`` nouns are dropped with a warning."""


REDIRECT_INVALID_METHOD = 13710
INVALID_BODY = 14103
MESSAGE_INVALID_METHOD = 14104
INVALID_STATUS_CALLBACK = 14105


@dataclass(frozen=True)
class SendReply:
    """Send one message. ``action``/``method`` are its status callback URL and method."""

    to: str
    from_: str
    body: str
    media_urls: tuple[str, ...] = ()
    action: str | None = None
    method: str = "POST"


@dataclass(frozen=True)
class FollowRedirect:
    """Fetch more TwiML from ``url`` and run it; nothing after the ``<Redirect>`` runs."""

    url: str
    method: str = "POST"


Action: TypeAlias = SendReply | FollowRedirect


@dataclass(frozen=True)
class Plan:
    """The actions to take, in document order; a :class:`FollowRedirect`, if any, is last."""

    actions: tuple[Action, ...] = ()
    warnings: tuple[TwimlWarning, ...] = ()

    @property
    def replies(self) -> tuple[SendReply, ...]:
        return tuple(action for action in self.actions if isinstance(action, SendReply))

    @property
    def redirect(self) -> FollowRedirect | None:
        last = self.actions[-1] if self.actions else None
        return last if isinstance(last, FollowRedirect) else None


def plan_messaging(
    body: bytes,
    content_type: str | None,
    *,
    document_url: str,
    inbound_from: str,
    inbound_to: str,
    max_bytes: int = MAX_TWIML_BYTES,
) -> Plan:
    """Interpret a webhook's answer to the inbound message ``inbound_from`` -> ``inbound_to``.

    Raises :class:`~telephonist.twiml.parse.TwimlError` when the answer cannot run at all. Per-
    verb problems (unknown elements, a ``<Message>`` with nothing to send, an invalid method or
    URL) are warnings, and execution goes on, because that is what Twilio does.

    Phone numbers are passed through as written: checking them is the sender's job, exactly as
    for a message created over the REST API.
    """
    document = parse_document(body, content_type, vocabulary=MESSAGING, max_bytes=max_bytes)
    if isinstance(document, str):
        if not document:
            return Plan()
        return Plan((SendReply(to=inbound_from, from_=inbound_to, body=document),))
    warnings = list(document.warnings)
    actions: list[Action] = []
    for verb in document.root.children:
        if verb.tag == "Message":
            reply = _message(verb, document_url, inbound_from, inbound_to, warnings)
            if reply is not None:
                actions.append(reply)
        elif verb.tag == "Redirect":
            # Redirect ends this document whether or not its URL is usable: what follows it is
            # unreachable in Twilio too.
            redirect = _redirect(verb, document_url, warnings)
            if redirect is not None:
                actions.append(redirect)
            break
    return Plan(tuple(actions), capped(warnings))


def messaging_planner(
    inbound_from: str, inbound_to: str
) -> Callable[[bytes, str | None, str], Plan]:
    """:func:`plan_messaging` for the message ``inbound_from`` -> ``inbound_to``, in the shape the
    TwiML fetcher calls (:mod:`telephonist.webhooks.fetcher`): ``(body, content_type, url)``."""

    def planner(body: bytes, content_type: str | None, document_url: str) -> Plan:
        return plan_messaging(
            body,
            content_type,
            document_url=document_url,
            inbound_from=inbound_from,
            inbound_to=inbound_to,
        )

    return planner


def _message(
    node: Node, document_url: str, inbound_from: str, inbound_to: str, warnings: list[TwimlWarning]
) -> SendReply | None:
    method = method_of(node, MESSAGE_INVALID_METHOD, warnings)
    callback = attribute(node, "action") or attribute(node, "statusCallback")
    action = None
    if callback is not None:
        action = resolve_url(callback, document_url)
        if action is None:
            warnings.append(
                (INVALID_STATUS_CALLBACK, f"{callback!r} is not an http(s) URL; ignored")
            )
    body = _body(node, warnings)
    media = _media(node, document_url, warnings)
    if not body and not media:
        warnings.append((INVALID_BODY, "<Message> has neither a body nor media; not sent"))
        return None
    return SendReply(
        to=attribute(node, "to") or inbound_from,
        from_=attribute(node, "from") or inbound_to,
        body=body,
        media_urls=media,
        action=action,
        method=method,
    )


def _body(node: Node, warnings: list[TwimlWarning]) -> str:
    """The message text: the non-empty ``<Body>`` nouns if any, else the ``<Message>``'s text.

    Both forms are common (the SDK's ``message("hi").media(url)`` writes text next to
    ``<Media>``); when a document mixes them the nouns win and the stray text is reported.
    Several ``<Body>`` nouns are concatenated rather than silently losing all but one; an empty
    ``<Body/>`` says nothing, so it does not hide the text.
    """
    bodies = [child.text for child in node.children if child.tag == "Body" and child.text]
    if not bodies:
        return node.text.strip(XML_WHITESPACE)
    if len(bodies) > 1:
        warnings.append((SCHEMA_WARNING, f"<Message> has {len(bodies)} <Body> nouns; concatenated"))
    if node.text:
        warnings.append((SCHEMA_WARNING, "<Message> has both text and <Body>; the text is ignored"))
    return "".join(bodies).strip(XML_WHITESPACE)


def _media(node: Node, document_url: str, warnings: list[TwimlWarning]) -> tuple[str, ...]:
    urls: list[str] = []
    for child in node.children:
        if child.tag != "Media":
            continue
        written = child.text.strip(XML_WHITESPACE)
        url = resolve_url(written, document_url) if written else None
        if url is None:
            warnings.append((SCHEMA_WARNING, f"<Media> {written!r} is not an http(s) URL; ignored"))
        else:
            urls.append(url)
    if len(urls) > MAX_MEDIA:
        warnings.append(
            (
                SCHEMA_WARNING,
                f"<Message> has {len(urls)} <Media>; only the first {MAX_MEDIA} are sent",
            )
        )
    return tuple(urls[:MAX_MEDIA])


def _redirect(node: Node, document_url: str, warnings: list[TwimlWarning]) -> FollowRedirect | None:
    method = method_of(node, REDIRECT_INVALID_METHOD, warnings)
    written = node.text.strip(XML_WHITESPACE)
    url = resolve_url(written, document_url) if written else None
    if url is None:
        warnings.append((INVALID_URL, f"<Redirect> to {written!r} is not an http(s) URL; stopping"))
        return None
    return FollowRedirect(url=url, method=method)
