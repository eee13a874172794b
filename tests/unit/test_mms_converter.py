"""The text an MMS becomes for a handset that takes no MMS: the body, then a link a line."""

from __future__ import annotations

import pytest

from telephonist.domain.mms_converter import as_sms


@pytest.mark.parametrize(
    ("body", "links", "text"),
    [
        ("Look", ["https://a/1", "https://a/2"], "Look\nhttps://a/1\nhttps://a/2"),
        ("", ["https://a/1"], "https://a/1"),
        ("Two\nlines", ["https://a/1"], "Two\nlines\nhttps://a/1"),
        ("No media", [], "No media"),
    ],
)
def test_the_converted_text(body: str, links: list[str], text: str) -> None:
    assert as_sms(body, links) == text
