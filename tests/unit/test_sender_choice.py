"""A Messaging Service's choice of alpha sender, as a pure function: a country's destination
alpha sender first, then one for every country, never for North America or media."""

from __future__ import annotations

import pytest

from telephonist.domain.services import PoolNumber, choose_sender, sorted_pool

NUMBER = PoolNumber("+14155550100", "local", "US", cap_sms=True, cap_mms=True)
POOL = sorted_pool(
    [NUMBER], ["Acme"], destination_alphas=[("FR", "Zed FR"), ("FR", "Yves FR"), ("", "Acma")]
)


@pytest.mark.parametrize(
    ("to", "media", "sender", "kind"),
    [
        ("+33612345678", False, "Yves FR", "alphanumeric"),  # France's own, lowest name
        ("+4915112345678", False, "Acma", "alphanumeric"),  # every country's, lowest name
        ("+14155550123", False, NUMBER.phone_number, "local"),  # no alpha sender to +1
        ("+33612345678", True, NUMBER.phone_number, "local"),  # no alpha sender for media
    ],
)
def test_the_alpha_sender_for_a_recipient(to: str, media: bool, sender: str, kind: str) -> None:
    chosen = choose_sender(to, POOL, with_media=media, sticky=None, settings={}, next_free={})
    assert chosen is not None and (chosen.sender, chosen.kind) == (sender, kind)


def test_a_country_without_a_sender_of_its_own_and_no_default_gets_a_number() -> None:
    pool = sorted_pool([NUMBER], [], destination_alphas=[("FR", "Shop FR")])
    assert pool.alpha_sender_for("DE") is None
    chosen = choose_sender(
        "+4915112345678", pool, with_media=False, sticky=None, settings={}, next_free={}
    )
    assert chosen is not None and chosen.sender == NUMBER.phone_number


def test_only_destination_alpha_senders_still_make_a_pool() -> None:
    """A pool of destination alpha senders alone is not empty (21704 is for no sender)."""
    assert not sorted_pool([], [], destination_alphas=[("FR", "Shop FR")]).empty
    assert sorted_pool([], []).empty
