"""A real ``telephonist serve``, given its token in the environment, never writes it out."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
from twilio.rest import Client

from tests.integration.procs import Processes


def test_serve_prints_neither_the_token_it_was_given_nor_key_secrets(
    tmp_path: Path, database_url: str
) -> None:
    """TELEPHONIST_AUTH_TOKEN exists to keep the token out of shared logs: not in the start
    banner, nor in anything the server logs (at debug level) while keys are made and used and
    credentials are refused."""
    sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    env = {
        "TELEPHONIST_DATA_DIR": str(tmp_path / "data"),
        "TELEPHONIST_ACCOUNT_SID": sid,
        "TELEPHONIST_AUTH_TOKEN": token,
        "TELEPHONIST_LOG_LEVEL": "debug",
    }
    with Processes(tmp_path, env, lease_seconds=60) as procs:
        proc = procs.serve(database_url)
        client = Client(sid, token)
        client.api.base_url = proc.base_url
        key = client.api.v2010.accounts(sid).new_keys.create(friendly_name="ci")
        with_key = Client(key.sid, key.secret, account_sid=sid)
        with_key.api.base_url = proc.base_url
        number = with_key.incoming_phone_numbers.create(area_code="415").phone_number
        with_key.messages.create(to="+14155550192", from_=number, body="logged?")
        for auth in ((sid, "0" * 32), (key.sid, key.secret), (key.sid, token)):
            # a wrong token; a key on Accounts; a token given as a key's secret
            refused = httpx.get(f"{proc.base_url}/2010-04-01/Accounts/{sid}.json", auth=auth)
            assert refused.status_code == 401
        output = proc.tail(lines=10_000)

    assert sid in output and "not printed" in output  # the banner was written
    assert token not in output
    assert key.secret not in output
