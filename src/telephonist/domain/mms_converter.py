"""MMS Converter: an MMS for a handset that cannot receive one goes as an SMS with links.

Twilio's words: when an MMS is sent "to a recipient on a carrier that does not support MMS,
Twilio will convert the message to an SMS with a short URL linking to your media". The
converter is on by default, for the account and for each Messaging Service (its
``MmsConverter``); with it off, such an MMS is refused, and the dictionary's code for "the
destination handset either doesn't support MMS, or MMS is not currently enabled on the
device" is 30011.

The carrier decides, at hand-over, whether the handset takes MMS: the dispatcher tells it
whether to convert and where the media is kept (public links, so a link never carries the
credentials a MediaUrl may hold).
"""

from __future__ import annotations

from collections.abc import Sequence

MMS_NOT_SUPPORTED = 30011
"""The code of an MMS refused because the handset cannot receive it (converter off)."""


def as_sms(body: str, links: Sequence[str]) -> str:
    """The text of the converted message: the body, then each media link on its own line."""
    return "\n".join([body, *links] if body else links)
