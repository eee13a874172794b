"""Parsing and interpreting messaging TwiML (``telephonist.twiml``).

The official SDK's ``MessagingResponse`` is the oracle: whatever a Twilio app builds with it must
come out of :func:`plan_messaging` as the replies and redirect the app meant.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.twiml.messaging_response import MessagingResponse

from telephonist.domain.error_codes import catalog_message
from telephonist.twiml import parse
from telephonist.twiml.messaging import FollowRedirect, Plan, SendReply, plan_messaging
from telephonist.twiml.parse import (
    MAX_WARNINGS,
    Node,
    Parsed,
    TwimlError,
    TwimlWarning,
    parse_document,
)
from telephonist.twiml.vocabulary import MESSAGING, Verb, vocabulary

DOC_URL = "https://app.example/sms/incoming?step=1"
SENDER = "+14155550100"  # the inbound From: who wrote to us
NUMBER = "+14155550199"  # the inbound To: the app's number


def plan(body: bytes | str, content_type: str | None = "text/xml") -> Plan:
    raw = body.encode() if isinstance(body, str) else body
    return plan_messaging(
        raw, content_type, document_url=DOC_URL, inbound_from=SENDER, inbound_to=NUMBER
    )


def reply(
    body: str = "",
    *media: str,
    to: str = SENDER,
    from_: str = NUMBER,
    action: str | None = None,
    method: str = "POST",
) -> SendReply:
    return SendReply(to, from_, body, media, action, method)


def codes(warnings: tuple[TwimlWarning, ...]) -> list[int]:
    return [code for code, _ in warnings]


# -- The SDK as oracle -------------------------------------------------------------------------


def _simple(r: MessagingResponse) -> None:
    r.message("hi")


def _attributes(r: MessagingResponse) -> None:
    r.message(
        "hi", to="+15005550006", from_="+15005550001", action="https://cb.example/s", method="GET"
    )


def _nouns(r: MessagingResponse) -> None:
    m = r.message()
    m.body("x")
    m.media("https://media.example/owl.png")


def _text_and_media(r: MessagingResponse) -> None:
    # The pattern in Twilio's own SDK docs: text next to <Media>, no <Body>.
    r.message("The Robots are coming!").media("https://media.example/robot.png")


def _status_callback_alias(r: MessagingResponse) -> None:
    r.message("hi", status_callback="/status")


def _several(r: MessagingResponse) -> None:
    r.message("one")
    r.message("two", to="+15005550006")
    r.message("three")


def _redirect(r: MessagingResponse) -> None:
    r.redirect("/next", method="GET")


def _message_then_redirect(r: MessagingResponse) -> None:
    r.message("first")
    r.redirect("https://other.example/more")


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (_simple, [reply("hi")]),
        (
            _attributes,
            [
                reply(
                    "hi",
                    to="+15005550006",
                    from_="+15005550001",
                    action="https://cb.example/s",
                    method="GET",
                )
            ],
        ),
        (_nouns, [reply("x", "https://media.example/owl.png")]),
        (_text_and_media, [reply("The Robots are coming!", "https://media.example/robot.png")]),
        (_status_callback_alias, [reply("hi", action="https://app.example/status")]),
        (_several, [reply("one"), reply("two", to="+15005550006"), reply("three")]),
        (_redirect, [FollowRedirect("https://app.example/next", "GET")]),
        (
            _message_then_redirect,
            [reply("first"), FollowRedirect("https://other.example/more", "POST")],
        ),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_sdk_documents(
    build: Callable[[MessagingResponse], None], expected: list[SendReply | FollowRedirect]
) -> None:
    response = MessagingResponse()
    build(response)
    assert plan(str(response)) == Plan(tuple(expected))


PATH = st.from_regex(r"[a-z0-9_-]{1,12}", fullmatch=True)
URLS = st.one_of(
    PATH.map(lambda p: f"https://media.example/{p}.png"),
    PATH.map(lambda p: f"http://media.example/{p}?size=large&x=1"),
    PATH.map(lambda p: f"//cdn.example/{p}"),
    PATH.map(lambda p: f"/{p}"),
    PATH.map(lambda p: p),
    PATH.map(lambda p: f"../{p}"),
    PATH.map(lambda p: f"?page={p}"),
)
PHONES = st.from_regex(r"\+1[2-9][0-9]{9}", fullmatch=True)
METHODS = st.none() | st.sampled_from(["GET", "POST"])
# Anything XML 1.0 can carry: no surrogates, no controls but tab and newline (a CR would be
# normalised to LF by any XML parser), no noncharacters such as U+FFFE.
XML_CHARS = st.characters(exclude_categories=("Cs", "Cc", "Cn"), include_characters="\t\n")
BODIES = st.text(st.sampled_from("<&>\"' \n\t;]") | XML_CHARS, max_size=40)


@st.composite
def sdk_documents(draw: st.DrawFn) -> tuple[str, tuple[SendReply | FollowRedirect, ...], int]:
    """A random MessagingResponse, the actions it means and how many messages are empty."""
    response = MessagingResponse()
    expected: list[SendReply | FollowRedirect] = []
    empty = 0
    for _ in range(draw(st.integers(1, 5))):
        text = draw(BODIES)
        media = draw(st.lists(URLS, max_size=3))
        to, from_, action, method = draw(PHONES | st.none()), draw(PHONES | st.none()), None, None
        if draw(st.booleans()):
            action, method = draw(URLS), draw(METHODS)
        if draw(st.booleans()):
            message = response.message(to=to, from_=from_, action=action, method=method)
            message.body(text)
        else:
            message = response.message(text, to=to, from_=from_, action=action, method=method)
        for url in media:
            message.media(url)
        body = text.strip(" \t\n")
        if not body and not media:
            empty += 1
            continue
        expected.append(
            SendReply(
                to=to or SENDER,
                from_=from_ or NUMBER,
                body=body,
                media_urls=tuple(urljoin(DOC_URL, url) for url in media),
                action=urljoin(DOC_URL, action) if action else None,
                method=method or "POST",
            )
        )
    if draw(st.booleans()):
        url, method = draw(URLS), draw(METHODS)
        response.redirect(url, method=method)
        expected.append(FollowRedirect(urljoin(DOC_URL, url), method or "POST"))
    return str(response), tuple(expected), empty


@given(sdk_documents())
def test_sdk_round_trip(case: tuple[str, tuple[SendReply | FollowRedirect, ...], int]) -> None:
    xml, expected, empty = case
    result = plan(xml)
    assert result.actions == expected
    assert codes(result.warnings) == [14103] * empty


# -- Defaults and URLs -------------------------------------------------------------------------


def test_to_and_from_default_to_the_inbound_message_reversed() -> None:
    result = plan("<Response><Message>hi</Message></Response>")
    assert result.actions == (SendReply(to=SENDER, from_=NUMBER, body="hi"),)


def test_blank_attributes_mean_the_default() -> None:
    result = plan('<Response><Message to=" " from="" method="">hi</Message></Response>')
    assert result == Plan((reply("hi"),))


@pytest.mark.parametrize(
    ("written", "resolved"),
    [
        ("https://elsewhere.example/a.png", "https://elsewhere.example/a.png"),
        ("http://elsewhere.example/a.png", "http://elsewhere.example/a.png"),
        ("/media/a.png", "https://app.example/media/a.png"),
        ("a.png", "https://app.example/sms/a.png"),
        ("../a.png", "https://app.example/a.png"),
        ("//cdn.example/a.png", "https://cdn.example/a.png"),
        ("?step=2", "https://app.example/sms/incoming?step=2"),
        ("  next  ", "https://app.example/sms/next"),
    ],
)
def test_relative_urls_resolve_against_the_document(written: str, resolved: str) -> None:
    assert urljoin(DOC_URL, written.strip()) == resolved  # the oracle agrees
    doc = (
        f'<Response><Message action="{written}"><Body>b</Body><Media>{written}</Media>'
        f"</Message><Redirect>{written}</Redirect></Response>"
    )
    assert plan(doc).actions == (
        reply("b", resolved, action=resolved),
        FollowRedirect(resolved, "POST"),
    )


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "javascript:alert(1)", "data:text/plain,hi", "http://[::1"]
)
def test_urls_the_caller_must_not_fetch_are_refused(url: str) -> None:
    result = plan(f'<Response><Message action="{url}"><Media>{url}</Media>hi</Message></Response>')
    assert result.actions == (reply("hi"),)
    assert codes(result.warnings) == [14105, 12200]
    redirect = plan(f"<Response><Redirect>{url}</Redirect><Message>x</Message></Response>")
    assert redirect.actions == ()
    assert codes(redirect.warnings) == [11100]


def test_methods_are_case_insensitive_and_invalid_ones_fall_back_to_post() -> None:
    doc = (
        '<Response><Message method="get" action="/s">a</Message>'
        '<Message method="PUT" action="/s">b</Message><Redirect method="DELETE">/n</Redirect>'
        "</Response>"
    )
    result = plan(doc)
    assert result.actions == (
        reply("a", action="https://app.example/s", method="GET"),
        reply("b", action="https://app.example/s", method="POST"),
        FollowRedirect("https://app.example/n", "POST"),
    )
    assert codes(result.warnings) == [14104, 13710]


def test_action_wins_over_the_deprecated_status_callback() -> None:
    doc = '<Response><Message action="/a" statusCallback="/b">hi</Message></Response>'
    assert plan(doc).actions == (reply("hi", action="https://app.example/a"),)


# -- Control flow ------------------------------------------------------------------------------


def test_redirect_stops_execution() -> None:
    doc = (
        "<Response><Message>before</Message><Redirect>/next</Redirect>"
        "<Message>after</Message><Redirect>/never</Redirect></Response>"
    )
    result = plan(doc)
    assert result.actions == (reply("before"), FollowRedirect("https://app.example/next"))
    assert result.redirect == FollowRedirect("https://app.example/next")
    assert result.replies == (reply("before"),)


def test_an_unusable_redirect_still_ends_the_document() -> None:
    result = plan("<Response><Redirect>  </Redirect><Message>after</Message></Response>")
    assert result.actions == ()
    assert result.redirect is None
    assert codes(result.warnings) == [11100]


@pytest.mark.parametrize(
    "doc",
    [
        "<Response/>",
        "<Response></Response>",
        "<Response>\n  \t\n</Response>",
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response />\n',
        "<Response><!-- nothing to say --></Response>",
        str(MessagingResponse()),
    ],
)
def test_empty_response_sends_nothing(doc: str) -> None:
    assert plan(doc) == Plan()


def test_pretty_printed_documents_lose_only_their_indentation() -> None:
    doc = """
    <Response>
        <Message>
            Hello,
            world
        </Message>
        <Message>
            <Body>\u00a0spaced\u3000</Body>
            <Media>
                https://media.example/owl.png
            </Media>
        </Message>
    </Response>
    """
    assert plan(doc).actions == (
        reply("Hello,\n            world"),
        reply("\u00a0spaced\u3000", "https://media.example/owl.png"),
    )


def test_message_with_nothing_to_send_is_skipped_with_a_warning() -> None:
    result = plan("<Response><Message/><Message>  </Message><Message>ok</Message></Response>")
    assert result.actions == (reply("ok"),)
    assert codes(result.warnings) == [14103, 14103]


def test_media_only_message_is_sent() -> None:
    doc = "<Response><Message><Media>https://m.example/a.jpg</Media></Message></Response>"
    assert plan(doc).actions == (reply("", "https://m.example/a.jpg"),)


def test_at_most_ten_media_per_message() -> None:
    media = "".join(f"<Media>/m/{n}.png</Media>" for n in range(12))
    result = plan(f"<Response><Message>{media}</Message></Response>")
    sent = tuple(f"https://app.example/m/{n}.png" for n in range(10))
    assert result.actions == (reply("", *sent),)
    assert codes(result.warnings) == [12200]


def test_several_bodies_are_concatenated_and_stray_text_is_reported() -> None:
    doc = "<Response><Message>stray<Body>one </Body><Body>two</Body></Message></Response>"
    result = plan(doc)
    assert result.actions == (reply("one two"),)
    assert codes(result.warnings) == [12200, 12200]


def test_xml_specials_and_character_references_are_decoded() -> None:
    doc = "<Response><Message>&lt;b&gt; &amp; &quot;q&quot; &#x1F600; &#233;</Message></Response>"
    assert plan(doc).actions == (reply('<b> & "q" 😀 é'),)


@pytest.mark.parametrize(
    ("raw", "body"),
    [
        ('<?xml version="1.0" encoding="ISO-8859-1"?><Response><Message>caf\xe9</Message>'
         "</Response>".encode("latin-1"), "café"),
        ("<Response><Message>café</Message></Response>".encode("utf-16"), "café"),
        ("\ufeff<Response><Message>café</Message></Response>".encode(), "café"),
    ],
)  # fmt: skip
def test_declared_encodings_are_honoured(raw: bytes, body: str) -> None:
    assert plan(raw).actions == (reply(body),)


# -- Content types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/xml", "application/xml", "text/html", "Text/XML; charset=UTF-8", 'text/xml;charset="x"'],
)
def test_xml_content_types_are_parsed(content_type: str) -> None:
    doc = "<Response><Message>hi</Message></Response>"
    assert plan(doc, content_type).actions == (reply("hi"),)


def test_html_that_is_not_xml_fails_to_parse() -> None:
    with pytest.raises(TwimlError) as caught:
        plan("<html><body><p>Thanks!<br></body></html>", "text/html; charset=utf-8")
    assert caught.value.code == 12100


@pytest.mark.parametrize(
    ("raw", "content_type", "body"),
    [
        (b"  Thanks for writing!\n", "text/plain", "Thanks for writing!"),
        (b"<Response>as text</Response>", "text/plain", "<Response>as text</Response>"),
        ("caf\xe9".encode("latin-1"), "text/plain; charset=ISO-8859-1", "café"),
        ("café".encode(), "text/plain; charset=no-such-charset", "café"),
        ("café".encode(), "text/plain; charset=hex", "café"),
        (b"caf\xff", "TEXT/PLAIN", "caf\ufffd"),
    ],
)
def test_plain_text_is_one_reply(raw: bytes, content_type: str, body: str) -> None:
    assert plan(raw, content_type) == Plan((reply(body),))
    assert parse_document(raw, content_type, vocabulary=MESSAGING) == body


@pytest.mark.parametrize("raw", [b"", b" \r\n\t "])
def test_empty_plain_text_sends_nothing(raw: bytes) -> None:
    assert plan(raw, "text/plain") == Plan()


@pytest.mark.parametrize(
    "content_type", [None, "", "application/json", "text/csv", "application/octet-stream", "xml"]
)
def test_other_content_types_are_refused(content_type: str | None) -> None:
    with pytest.raises(TwimlError) as caught:
        plan("<Response><Message>hi</Message></Response>", content_type)
    assert caught.value.code == 12300
    assert caught.value.message == "Invalid Content-Type"


# -- Hostile and broken documents --------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE Response [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'
        for n in range(1, 10)
    )
    + "]>\n<Response><Message>&lol9;</Message></Response>"
)

DTD_DOCUMENTS = {
    "billion laughs": BILLION_LAUGHS,
    "quadratic blowup": (
        f'<!DOCTYPE Response [<!ENTITY a "{"x" * 5000}">]>'
        f"<Response><Message>{'&a;' * 1000}</Message></Response>"
    ),
    "external dtd": '<!DOCTYPE Response SYSTEM "http://evil.example/x.dtd"><Response/>',
    "parameter entity": (
        '<!DOCTYPE Response [<!ENTITY % p SYSTEM "http://evil.example/p">%p;]><Response/>'
    ),
    "bare doctype": "<!DOCTYPE Response><Response><Message>hi</Message></Response>",
}


@pytest.mark.parametrize("doc", DTD_DOCUMENTS.values(), ids=DTD_DOCUMENTS.keys())
def test_dtds_are_refused(doc: str) -> None:
    with pytest.raises(TwimlError) as caught:
        plan(doc)
    assert caught.value.code == 12100
    assert caught.value.message == "Document parse failure"


def test_external_entities_read_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a")
    doc = (
        f'<!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        "<Response><Message>&x;</Message></Response>"
    )
    with pytest.raises(TwimlError) as caught:
        plan(doc)
    assert caught.value.code == 12100
    assert "TOP-SECRET" not in str(caught.value)
    assert "TOP-SECRET" not in repr(caught.value.__cause__)


@pytest.mark.parametrize(
    "doc",
    [
        b"",
        b"   ",
        b"<Response>",
        b"<Response><Message>hi</Response>",
        b"<Response/><Response/>",
        b"<Response><Message>&undefined;</Message></Response>",
        b"<Response>\x00</Response>",
        b"\xff\xfe\xfd",
        b"Thanks for writing!",
        b'{"message": "hi"}',
        b'<?xml version="1.0" encoding="bogus"?><Response/>',
        b'<?xml version="1.0" encoding="hex"?><Response/>',
        b'<?xml version="1.0" encoding="shift_jis"?><Response/>',
        b'<?xml version="1.0" encoding="utf-7"?><Response/>',
        b'<?xml version="1.0" encoding="idna"?><Response>\x80</Response>',
    ],
)
def test_malformed_xml_is_a_parse_failure(doc: bytes) -> None:
    with pytest.raises(TwimlError) as caught:
        plan(doc)
    assert caught.value.code == 12100


@pytest.mark.parametrize(
    "doc",
    [
        "<Message>hi</Message>",
        "<response><Message>hi</Message></response>",
        "<html><body>hi</body></html>",
        '<Response xmlns="urn:elsewhere"><Message>hi</Message></Response>',
    ],
)
def test_root_must_be_response(doc: str) -> None:
    with pytest.raises(TwimlError) as caught:
        plan(doc)
    assert caught.value.code == 12100
    assert "root element" in caught.value.detail


def test_size_limit_is_checked_before_parsing() -> None:
    filler = "<Response>" + " " * (parse.MAX_TWIML_BYTES - len("<Response></Response>"))
    assert plan(filler + "</Response>") == Plan()  # exactly at the limit
    with pytest.raises(TwimlError) as caught:
        plan(filler + " </Response>")
    assert caught.value.code == 11750
    with pytest.raises(TwimlError) as caught:  # not even well-formed: size comes first
        plan(b"<" * (parse.MAX_TWIML_BYTES + 1), "application/json")
    assert caught.value.code == 11750


def test_size_limit_is_a_parameter() -> None:
    doc = b"<Response><Message>hi</Message></Response>"
    assert parse_document(doc, "text/xml", vocabulary=MESSAGING, max_bytes=len(doc))
    with pytest.raises(TwimlError) as caught:
        parse_document(doc, "text/xml", vocabulary=MESSAGING, max_bytes=len(doc) - 1)
    assert caught.value.code == 11750
    with pytest.raises(TwimlError):
        plan_messaging(
            doc,
            "text/plain",
            document_url=DOC_URL,
            inbound_from=SENDER,
            inbound_to=NUMBER,
            max_bytes=10,
        )


def test_deep_nesting_of_unknown_elements_is_not_descended() -> None:
    depth = 5000
    doc = "<Response><Message>hi</Message>" + "<x>" * depth + "</x>" * depth + "</Response>"
    result = plan(doc)
    assert result.actions == (reply("hi"),)
    assert codes(result.warnings) == [12200]


TOKENS = st.sampled_from(
    [
        "<Response>",
        "</Response>",
        "<Response/>",
        "<Message>",
        "</Message>",
        '<Message to="+1" method="GET">',
        "<Body>",
        "</Body>",
        "<Media>",
        "</Media>",
        "<Redirect>",
        "</Redirect>",
        "<Say>",
        "</Say>",
        "<!DOCTYPE Response>",
        '<!ENTITY a "b">',
        "&amp;",
        "&a;",
        "&#0;",
        "<![CDATA[x]]>",
        "<!-- c -->",
        '<?xml version="1.0" encoding="latin-1"?>',
        '<?xml version="1.0" encoding="bogus"?>',
        "hi",
        " ",
        "/next",
        "https://m.example/a.png",
        "\x00",
        "\ud7ff",
    ]
)


@given(
    st.one_of(
        st.binary(max_size=200),
        st.lists(TOKENS, max_size=30).map(lambda tokens: "".join(tokens).encode()),
    ),
    st.sampled_from(["text/xml", "text/html", "text/plain"]),
)
def test_any_input_plans_or_fails_with_a_twiml_error(raw: bytes, content_type: str) -> None:
    try:
        result = plan(raw, content_type)
    except TwimlError as error:
        assert error.code == 12100
    else:
        assert all(isinstance(a, SendReply | FollowRedirect) for a in result.actions)
        assert all(isinstance(a, SendReply) for a in result.actions[:-1])


# -- The vocabulary and its warnings -----------------------------------------------------------


def test_voice_verbs_are_warned_about_and_the_rest_still_runs() -> None:
    doc = (
        "<Response><Say>Hello</Say><Message>hi</Message>"
        '<Play loop="2">https://a.example/x.mp3</Play><Redirect>/next</Redirect></Response>'
    )
    result = plan(doc)
    assert result.actions == (reply("hi"), FollowRedirect("https://app.example/next"))
    assert codes(result.warnings) == [12200, 12200]
    assert "<Say>" in result.warnings[0][1]
    assert "<Play>" in result.warnings[1][1]


@pytest.mark.parametrize(
    ("doc", "mentions"),
    [
        ('<Response><Message colour="red">hi</Message></Response>', "colour"),
        ('<Response lang="en"><Message>hi</Message></Response>', "lang"),
        ("<Response><Body>loose</Body><Message>hi</Message></Response>", "<Body>"),
        ("<Response><Message>hi<Message>nested</Message></Message></Response>", "<Message>"),
        ("<Response><message>lower</message><Message>hi</Message></Response>", "<message>"),
        ("<Response>stray text<Message>hi</Message></Response>", "<Response>"),
        ("<Response><Message>hi<Body/><Say>x</Say></Message></Response>", "<Say>"),
    ],
)
def test_schema_warnings(doc: str, mentions: str) -> None:
    result = plan(doc)
    assert result.actions == (reply("hi"),)
    assert codes(result.warnings) == [12200]
    assert mentions in result.warnings[0][1]


def test_parse_keeps_only_what_the_vocabulary_defines() -> None:
    doc = (
        b'<Response><Message to="+1" bogus="1"> hi <Media>u</Media> there <Say>no</Say>'
        b"</Message></Response>"
    )
    parsed = parse_document(doc, "application/xml", vocabulary=MESSAGING)
    assert isinstance(parsed, Parsed)
    message = Node("Message", {"to": "+1"}, " hi  there ", (Node("Media", {}, "u"),))
    assert parsed.root == Node("Response", {}, "", (message,))
    assert codes(parsed.warnings) == [12200, 12200]


def test_warnings_are_capped() -> None:
    doc = "<Response>" + "<Say>x</Say>" * 500 + "<Message/>" * 500 + "</Response>"
    result = plan(doc)
    assert len(result.warnings) == MAX_WARNINGS + 1
    code, detail = result.warnings[-1]
    assert code == 12200
    assert detail.endswith("more warnings")


def test_warning_and_error_titles_are_twilios() -> None:
    for code, title in parse.TITLES.items():
        assert catalog_message(code) == title


def test_twiml_errors_carry_code_title_and_detail() -> None:
    error = TwimlError(12300, "cannot execute 'application/json' as TwiML")
    assert (error.code, error.message) == (12300, "Invalid Content-Type")
    assert str(error) == "12300 Invalid Content-Type: cannot execute 'application/json' as TwiML"


def test_messaging_vocabulary() -> None:
    assert set(MESSAGING) == {"Response", "Message", "Body", "Media", "Redirect"}
    assert MESSAGING["Message"].attributes == {"to", "from", "action", "method", "statusCallback"}
    assert MESSAGING["Response"].children == {"Message", "Redirect"}
    with pytest.raises(TypeError):
        MESSAGING["Say"] = Verb("Say", text=True)  # type: ignore[index]


@pytest.mark.parametrize(
    "verbs",
    [
        (Verb("Message"),),
        (Verb("Response", children=frozenset({"Nope"})),),
        (Verb("Response"), Verb("Response")),
    ],
)
def test_vocabularies_must_be_closed(verbs: tuple[Verb, ...]) -> None:
    with pytest.raises(ValueError):
        vocabulary(*verbs)
