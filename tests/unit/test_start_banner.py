"""What ``telephonist serve`` prints when it starts: a token it was given is never shown."""

from __future__ import annotations

from telephonist.cli import start_banner, start_snippet
from telephonist.domain.sids import new_auth_token, new_sid
from telephonist.settings import Settings
from telephonist.storage.seed import DefaultAccount


def test_a_token_given_as_a_setting_is_not_printed() -> None:
    sid, token = new_sid("AC"), new_auth_token()
    settings = Settings(account_sid=sid, auth_token=token)
    text = start_banner(settings, DefaultAccount(sid, token))
    snippet = start_snippet(settings, DefaultAccount(sid, token))
    assert token not in text and token not in snippet
    assert sid in text and "not printed" in text
    assert 'os.environ["TELEPHONIST_AUTH_TOKEN"]' in snippet


def test_a_generated_token_is_printed_with_where_it_is_kept() -> None:
    """With no token set, the banner is the one place to learn it."""
    sid, token = new_sid("AC"), new_auth_token()
    settings = Settings()
    text = start_banner(settings, DefaultAccount(sid, token))
    assert token in text and "kept in the database" in text
    assert f'Client("{sid}", "{token}")' in start_snippet(settings, DefaultAccount(sid, token))
