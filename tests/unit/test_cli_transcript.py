"""`telephonist sim transcript` prints a call's transcript as a table a person can read."""

from __future__ import annotations

from telephonist.cli import transcript_lines

SID = "CA" + "1" * 32


def test_each_event_is_a_row_led_by_its_main_field() -> None:
    """Seconds with three decimals, the kind in one column, then the kind's main field bare
    (spoken text quoted) and the other fields as name=value, in the order the server gave."""
    lines = transcript_lines(
        {
            "call_sid": SID,
            "status": "completed",
            "events": [
                {"at": 0.0, "kind": "gather-start"},
                {"at": 0, "kind": "say", "text": 'Press "1"', "voice": "alice"},
                {"at": 1.5, "kind": "digits", "digits": "1"},
                {"at": 1.5, "kind": "gather-end", "Digits": "1", "FinishedOnKey": ""},
                {"at": 2.25, "kind": "dial", "to": "+14155550100", "call_sid": "CA2"},
                {"at": 12.000001, "kind": "dial-end", "status": "completed", "duration": "10"},
                {"at": 130.4, "kind": "hangup", "by": "twiml", "reason": "end of document"},
            ],
        }
    )
    assert lines == [
        f"{SID}  completed",
        "       at  kind          detail",
        "    0.000  gather-start",
        '    0.000  say           "Press \\"1\\""  voice=alice',
        "    1.500  digits        1",
        "    1.500  gather-end    Digits=1  FinishedOnKey=",
        "    2.250  dial          +14155550100  call_sid=CA2",
        "   12.000  dial-end      status=completed  duration=10",
        "  130.400  hangup        by=twiml  reason=end of document",
    ]


def test_a_call_with_nothing_heard_yet_says_so() -> None:
    assert transcript_lines({"call_sid": SID, "status": "ringing", "events": []}) == [
        f"{SID}  ringing",
        "  (nothing yet)",
    ]
