"""The voice interpreter: SDK-built TwiML run on a clock the test owns."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from telephonist.twiml import voice
from telephonist.twiml.parse import Parsed, parse_document
from telephonist.twiml.vocabulary import VOICE
from telephonist.twiml.voice import (
    Alert,
    Digits,
    End,
    Heard,
    Outcome,
    Position,
    Program,
    Request,
    Speech,
    Start,
    Tick,
)

S = 1_000_000
URL = "https://app.example/voice"


def program(response: VoiceResponse, url: str | None = URL) -> Program:
    parsed = parse_document(str(response).encode(), "text/xml", vocabulary=VOICE)
    assert isinstance(parsed, Parsed) and parsed.warnings == ()
    return voice.compile_voice(parsed.root, url)


def kinds(outcome: Outcome) -> list[tuple[int, str]]:
    return [(e.at, e.kind) for e in outcome.effects if isinstance(e, Heard)]


def requests(outcome: Outcome) -> list[Request]:
    return [e for e in outcome.effects if isinstance(e, Request)]


def test_say_pause_then_the_document_ends_and_hangs_up() -> None:
    r = VoiceResponse()
    r.say("hello there", voice="alice")
    r.pause(length=2)
    p = program(r)
    started = voice.advance(p, Position(), Start(0))
    assert kinds(started) == [(0, "say")]
    assert started.effects[0] == Heard(0, "say", {"text": "hello there", "voice": "alice"})
    assert started.wake_at == 800_000  # two words
    ended = voice.advance(p, started.position, Tick(started.wake_at))
    assert kinds(ended) == [(800_000, "pause")]
    final = voice.advance(p, ended.position, Tick(ended.wake_at or 0))
    assert kinds(final) == [(2_800_000, "hangup")]
    assert End("hangup") in final.effects and final.position.done and final.wake_at is None


def test_one_late_tick_runs_everything_due_in_order() -> None:
    r = VoiceResponse()
    r.say("one", loop=3)
    r.play("https://cdn.example/a.mp3", loop=2)
    r.hangup()
    p = program(r)
    out = voice.advance(p, voice.advance(p, Position(), Start(0)).position, Tick(3600 * S))
    assert kinds(out) == [(1_200_000, "play"), (3_200_000, "hangup")]


def test_gather_digits_with_finish_on_key_post_to_the_action() -> None:
    r = VoiceResponse()
    g = r.gather(action="/menu", num_digits=3)
    g.say("press one for sales")
    r.say("we did not get that")
    p = program(r)
    out = voice.advance(p, Position(), Start(0))
    assert kinds(out) == [(0, "gather-start"), (0, "say")]
    # A key during the prompt cuts it short; '#' ends the input before numDigits.
    out = voice.advance(p, out.position, Digits(S, "1"))
    assert out.wake_at == 6 * S  # now waiting: 5 s from the last key
    out = voice.advance(p, out.position, Digits(2 * S, "#"))
    assert requests(out) == [
        Request("https://app.example/menu", "POST", {"Digits": "1", "FinishedOnKey": "#"})
    ]
    assert out.position.done


def test_num_digits_submits_at_once() -> None:
    r = VoiceResponse()
    r.gather(num_digits=2, method="GET")
    p = program(r)
    out = voice.advance(p, voice.advance(p, Position(), Start(0)).position, Digits(S, "42"))
    assert requests(out) == [
        Request(URL, "GET", {"Digits": "42", "FinishedOnKey": ""})
    ]  # no action: this document


def test_gather_without_input_falls_through_after_timeout() -> None:
    r = VoiceResponse()
    r.gather(timeout=3)
    r.say("goodbye")
    p = program(r)
    out = voice.advance(p, voice.advance(p, Position(), Start(0)).position, Tick(3 * S))
    assert kinds(out) == [(3 * S, "gather-end"), (3 * S, "say")]
    assert requests(out) == []


def test_action_on_empty_result_posts_anyway() -> None:
    r = VoiceResponse()
    r.gather(timeout=1, action_on_empty_result=True, action="/empty")
    p = program(r)
    out = voice.advance(p, voice.advance(p, Position(), Start(0)).position, Tick(S))
    assert requests(out) == [Request("https://app.example/empty", "POST", {})]


def test_partial_digits_are_sent_when_the_wait_times_out() -> None:
    r = VoiceResponse()
    r.gather(timeout=2)
    p = program(r)
    out = voice.advance(p, voice.advance(p, Position(), Start(0)).position, Digits(S, "12"))
    out = voice.advance(p, out.position, Tick(3 * S))
    assert requests(out) == [Request(URL, "POST", {"Digits": "12", "FinishedOnKey": ""})]


def test_speech_input() -> None:
    r = VoiceResponse()
    r.gather(input="speech", action="/heard").say("how can we help")
    p = program(r)
    start = voice.advance(p, Position(), Start(0))
    ignored = voice.advance(p, start.position, Digits(S // 10, "5"))  # dtmf is not listened to
    assert requests(ignored) == [] and kinds(ignored) == [(S // 10, "digits")]
    out = voice.advance(p, ignored.position, Speech(S // 5, "billing please"))
    assert requests(out) == [
        Request(
            "https://app.example/heard",
            "POST",
            {"SpeechResult": "billing please", "Confidence": "0.9"},
        )
    ]


def test_digits_outside_a_gather_are_only_heard() -> None:
    r = VoiceResponse()
    r.pause(length=5)
    p = program(r)
    out = voice.advance(p, voice.advance(p, Position(), Start(0)).position, Digits(S, "9"))
    assert kinds(out) == [(S, "digits")] and out.wake_at == 5 * S


def test_redirect_reject_and_unsupported_verbs() -> None:
    r = VoiceResponse()
    r.enqueue("support")
    r.redirect("next", method="GET")
    p = program(r)
    out = voice.advance(p, Position(), Start(0))
    assert isinstance(out.effects[0], Alert) and out.effects[0].code == 13750
    assert requests(out) == [Request("https://app.example/next", "GET", {})]

    rejected = VoiceResponse()
    rejected.reject(reason="busy")
    out = voice.advance(program(rejected), Position(), Start(0))
    assert End("busy") in out.effects


def test_bad_attribute_values_warn_and_take_defaults() -> None:
    doc = (
        b'<Response><Gather timeout="soon" numDigits="x" input="fax" finishOnKey="ab" '
        b'method="PUT"/><Say loop="-1">hi</Say><Pause length="1.5"/>'
        b'<Pause length="\xc2\xb2"/></Response>'  # a superscript two: a digit to str.isdigit
    )
    parsed = parse_document(doc, "text/xml", vocabulary=VOICE)
    assert isinstance(parsed, Parsed)
    p = voice.compile_voice(parsed.root, URL)
    assert sorted(code for code, _ in p.warnings) == [
        13310, 13312, 13313, 13314, 13326, 13510, 13910, 13910
    ]  # fmt: skip
    wait = p.instructions[1]
    assert isinstance(wait, voice.GatherWait)
    assert (wait.timeout, wait.num_digits, wait.dtmf, wait.finish_on_key, wait.method) == (
        5 * S, None, True, "#", "POST"
    )  # fmt: skip


def test_recording_status_callback_events_are_read_and_unknown_ones_warn() -> None:
    """Space- or comma-separated events are kept; an unknown name warns 13621 and is
    dropped; nothing left means Twilio's default, completed."""
    doc = (
        b'<Response><Record recordingStatusCallback="/rec" '
        b'recordingStatusCallbackEvent="in-progress,absent"/>'
        b'<Dial record="record-from-answer" recordingStatusCallbackEvent="begun">'
        b"+14155550100</Dial></Response>"
    )
    parsed = parse_document(doc, "text/xml", vocabulary=VOICE)
    assert isinstance(parsed, Parsed)
    p = voice.compile_voice(parsed.root, URL)
    assert [code for code, _ in p.warnings] == [13621]
    record, dial = p.instructions[0], p.instructions[1]
    assert isinstance(record, voice.RecordVerb) and isinstance(dial, voice.DialVerb)
    assert record.status_callback_events == {"in-progress", "absent"}
    assert record.status_callback == "https://app.example/rec"
    assert (dial.record, dial.recording.events) == ("record-from-answer", {"completed"})


def test_a_finished_program_ignores_later_events() -> None:
    r = VoiceResponse()
    r.hangup()
    p = program(r)
    done = voice.advance(p, Position(), Start(0)).position
    assert voice.advance(p, done, Digits(S, "1")) == Outcome(done, (), None)


def test_hours_of_pauses_cost_nothing() -> None:
    r = VoiceResponse()
    for _ in range(500):
        r.pause(length=600)
    p = program(r)
    out = voice.advance(p, voice.advance(p, Position(), Start(0)).position, Tick(500 * 600 * S))
    assert out.position.done and kinds(out)[-1] == (500 * 600 * S, "hangup")


def test_dial_waits_for_the_leg_then_posts_its_status_to_the_action() -> None:
    r = VoiceResponse()
    dial = r.dial(action="/after-dial", timeout=20, caller_id="+14155550100")
    dial.number("+14155550123", send_digits="1")
    r.say("not reached")
    p = program(r)
    out = voice.advance(p, Position(), Start(0))
    (placed,) = [e for e in out.effects if isinstance(e, voice.PlaceDial)]
    assert placed.dial.targets == (voice.Target("number", "+14155550123", None, "1"),)
    assert (placed.dial.timeout, placed.dial.caller_id) == (20 * S, "+14155550100")
    assert out.wake_at is None  # nothing happens until the leg reports
    ended = voice.advance(p, out.position, voice.DialEnded(25 * S, "busy"))
    assert requests(ended) == [
        Request(
            "https://app.example/after-dial",
            "POST",
            {"DialCallStatus": "busy", "DialBridged": "false"},
        )
    ]


def test_dial_without_action_falls_through_and_star_hangs_up_the_leg() -> None:
    r = VoiceResponse()
    r.dial("+14155550123", hangup_on_star=True)
    r.say("back with you")
    p = program(r)
    out = voice.advance(p, Position(), Start(0))
    star = voice.advance(p, out.position, Digits(3 * S, "*"))
    assert voice.EndDial() in star.effects
    back = voice.advance(p, star.position, voice.DialEnded(3 * S, "completed", "CA" + "9" * 32, 3))
    assert kinds(back) == [(3 * S, "dial-end"), (3 * S, "say")]
    late = voice.advance(p, back.position, voice.DialEnded(4 * S, "completed"))
    assert late.effects == ()  # a repeated report changes nothing


def test_dial_conference_is_not_supported() -> None:
    r = VoiceResponse()
    r.dial().conference("room")
    out = voice.advance(program(r), Position(), Start(0))
    assert any(isinstance(e, Alert) and e.code == 13750 for e in out.effects)


def test_record_ends_on_silence_after_speech_and_posts_to_the_action() -> None:
    r = VoiceResponse()
    r.record(action="/recorded", timeout=3, max_length=60)
    p = program(r)
    out = voice.advance(p, Position(), Start(0))
    assert voice.StartRecording(True) in out.effects
    out = voice.advance(p, out.position, Speech(S, "leave a message"))  # 3 words: 1.2 s
    assert out.wake_at == 2_200_000 + 3 * S
    done = voice.advance(p, out.position, Tick(out.wake_at or 0))
    (recorded,) = [e for e in done.effects if isinstance(e, voice.Recorded)]
    assert recorded.micros == 2_200_000  # trimmed to the end of the speech
    assert requests(done) == [Request("https://app.example/recorded", "POST", {})]


def test_record_finish_key_and_empty_recordings() -> None:
    r = VoiceResponse()
    r.record(finish_on_key="#", timeout=0, trim="do-not-trim")
    r.say("nothing recorded")
    p = program(r)
    out = voice.advance(p, Position(), Start(0))
    said = voice.advance(p, out.position, Speech(S, "hello"))
    keyed = voice.advance(p, said.position, Digits(4 * S, "5#"))
    (recorded,) = [e for e in keyed.effects if isinstance(e, voice.Recorded)]
    assert (recorded.micros, recorded.digits) == (4 * S, "#")
    # No action: the current document again. A silent recording falls through instead.
    assert requests(keyed) == [Request(URL, "POST", {"Digits": "#"})]
    silent = voice.advance(p, out.position, Digits(2 * S, "#"))
    assert requests(silent) == [] and kinds(silent)[-1] == (2 * S, "say")


def test_urls_that_are_not_http_warn_and_are_never_requested() -> None:
    doc = (
        b'<Response><Gather action="ftp://app.example/x" timeout="1"/>'
        b"<Redirect>file:///etc/passwd</Redirect><Say>unreachable</Say></Response>"
    )
    parsed = parse_document(doc, "text/xml", vocabulary=VOICE)
    assert isinstance(parsed, Parsed)
    p = voice.compile_voice(parsed.root, URL)
    assert [code for code, _ in p.warnings] == [11100, 11100]
    out = voice.advance(p, voice.advance(p, Position(), Start(0)).position, Digits(0, "7#"))
    assert requests(out) == [Request(URL, "POST", {"Digits": "7", "FinishedOnKey": "#"})]
    # Without the Gather's input, the bad Redirect ends the document: nothing is fetched.
    ended = voice.advance(p, voice.advance(p, Position(), Start(0)).position, Tick(S))
    assert requests(ended) == [] and End("hangup") in ended.effects
    broken = parse_document(
        b"<Response><Redirect>http://[::1</Redirect></Response>", "text/xml", vocabulary=VOICE
    )
    assert isinstance(broken, Parsed)
    assert voice.compile_voice(broken.root, URL).instructions == ()
