"""An app written the way most are: it builds its own twilio ``Client`` from the usual
environment variables and knows nothing of telephonist (no base URL, no custom HTTP client).

tests/e2e/test_sdk_shim.py runs it in a shell that evaluated ``telephonist env``, and checks
that what it did happened on the telephonist server. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import sys

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client


def main() -> None:
    to, body = sys.argv[1], sys.argv[2]
    client = Client(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])
    number = client.incoming_phone_numbers.create(area_code="415")
    message = client.messages.create(to=to, from_=number.phone_number, body=body)
    fetched = client.messages(message.sid).fetch()
    # Another product domain (messaging.twilio.com): telephonist has no Messaging Services
    # yet, so its Twilio-shaped 404 proves the request came here and not to Twilio.
    try:
        client.messaging.v1.services("MG" + "0" * 32).fetch()
        other: dict[str, object] = {"status": 200}
    except TwilioRestException as exc:
        other = {"status": exc.status, "code": exc.code}
    print(
        json.dumps(
            {"sid": message.sid, "from": number.phone_number, "fetched": fetched.body, **other}
        )
    )


if __name__ == "__main__":
    main()
