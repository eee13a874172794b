"""The error tree: one root, one JSON shape, and each code's HTTP status decided in one place."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import telephonist
from telephonist.api.errors import render, twilio_error
from telephonist.domain.calls import CallRejected
from telephonist.domain.error_codes import HTTP_STATUS, catalog_message, http_status
from telephonist.domain.errors import Rejected, TelephonistError, TwilioError
from telephonist.domain.inventory import InvalidSearch
from telephonist.domain.messages import MessageRejected
from telephonist.storage.repositories.numbers import NumberTaken
from telephonist.storage.seed import BadCredentialsSetting
from telephonist.twiml.parse import TwimlError

PACKAGE = Path(telephonist.__file__).parent

# Call sites that answer a code with another status than its usual one, on purpose.
DELIBERATE_STATUSES = {
    # The simulator's handset API: a number no account owns (or none of the caller's) cannot
    # be texted (404), and a clock that only moves forward refuses to go back (409).
    ("dispatch/inbound.py", 21211, 404),
    ("api/simulator.py", 21211, 404),
    ("api/handset_calls.py", 21211, 404),
    ("api/simulator.py", 20422, 409),
    # What the HTTP layer refuses before the app sees it: the status names the limit.
    ("server.py", 20413, 414),
    ("server.py", 20413, 431),
    ("server.py", 20422, 408),
}
# Codes newer than the shipped copy of Twilio's error dictionary.
NEWER_THAN_CATALOGUE = {21659}
# Classes constructed as ``Class(code, ...)`` whose code reaches a client.
CODED = {"TwilioError", "MessageRejected", "InvalidSearch", "CallRejected"}


def test_error_json_shape_is_pinned() -> None:
    """The body is exactly Twilio's four keys in Twilio's order, rendered compactly as UTF-8."""
    response = render(TwilioError(21211, "The 'To' number 5551234567 is not a valid phone number."))
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "www-authenticate" not in response.headers
    assert response.body == (
        b'{"code":21211,"message":"The \'To\' number 5551234567 is not a valid phone number.",'
        b'"more_info":"https://www.twilio.com/docs/errors/21211","status":400}'
    )


def test_401_carries_detail_and_a_challenge() -> None:
    """The 401 adds ``detail`` after the four keys, and asks for Basic credentials."""
    response = render(TwilioError(20003, "Authenticate", detail="Your AccountSid was incorrect."))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="Twilio API"'
    assert response.body == (
        b'{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/'
        b'20003","status":401,"detail":"Your AccountSid was incorrect."}'
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (20003, 401),
        (20004, 405),
        (20005, 403),
        (20006, 403),
        (20009, 409),
        (20404, 404),
        (20409, 409),
        (20413, 413),
        (20500, 500),
        (21701, 404),
        (20002, 400),
        (20422, 400),
        (21211, 400),
        (21452, 400),
        (99999, 400),
    ],
)
def test_status_defaults_from_the_catalogue(code: int, status: int) -> None:
    """Call sites name the code; the status clients get for it comes from the catalogue."""
    error = TwilioError(code)
    assert (error.status, error.body()["status"]) == (status, status)


def test_both_constructor_forms() -> None:
    """``(code, message, status=)`` and the older positional ``(code, status, message)`` agree."""
    assert TwilioError(21211, "bad To").body() == TwilioError(21211, 400, "bad To").body()
    assert TwilioError(21211, 404, "gone").body() == TwilioError(21211, "gone", status=404).body()
    assert TwilioError(21452, 400).message == catalog_message(21452) == TwilioError(21452).message
    assert TwilioError(99999).message == "Error 99999"
    with pytest.raises(TypeError):
        TwilioError(21211, 400, "m", status=404)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        TwilioError(21211, "m", "again")  # type: ignore[call-overload]


def test_every_error_raised_on_purpose_is_in_the_tree() -> None:
    """One ``except TelephonistError`` catches what the layers raise; old bases still hold."""
    for cls in (TwilioError, MessageRejected, InvalidSearch, TwimlError, NumberTaken):
        assert issubclass(cls, TelephonistError), cls
    assert issubclass(BadCredentialsSetting, TelephonistError)
    assert issubclass(BadCredentialsSetting, ValueError)
    assert issubclass(InvalidSearch, ValueError)
    for cls in (MessageRejected, CallRejected):
        assert issubclass(cls, Rejected), cls


def test_foreign_errors_are_translated_once() -> None:
    """The API's one translation gives domain refusals their code and the catalogue's status,
    and turns an error no client should see into a 500 without its text."""
    rejected = twilio_error(MessageRejected(21617))
    assert rejected.body() == TwilioError(21617).body()
    worded = twilio_error(MessageRejected(21211, "The 'To' number x is not valid."))
    assert (worded.code, worded.status, worded.message) == (
        21211,
        400,
        "The 'To' number x is not valid.",
    )
    call = twilio_error(CallRejected(21210))
    assert call.body() == TwilioError(21210).body()
    assert str(CallRejected(21210)) == f"21210: {catalog_message(21210)}"
    search = twilio_error(InvalidSearch(20001, "Contains is too short"))
    assert (search.code, search.status, search.message) == (20001, 400, "Contains is too short")
    setting = twilio_error(BadCredentialsSetting("TELEPHONIST_AUTH_TOKEN must be 32 characters"))
    assert (setting.code, setting.status, setting.message) == (20500, 500, "Internal Server Error")
    already = TwilioError(20404)
    assert twilio_error(already) is already


def _coded_calls() -> list[tuple[str, int, str, int | None]]:
    """(module, line, class, status or None) for every ``Class(<int literal>, ...)`` in src,
    with module-level integer constants resolved (``InvalidSearch(ERROR_INVALID_AREA_CODE, …)``)."""
    calls: list[tuple[str, int, str, int | None]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name) and type(node.value.value) is int
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in CODED:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and type(first.value) is int:
                code = first.value
            elif isinstance(first, ast.Name) and first.id in constants:
                code = constants[first.id]
            else:
                continue  # a code decided at run time (exc.code, a conditional)
            status = _literal_status(node) if name == "TwilioError" else None
            calls.append((path.relative_to(PACKAGE).as_posix(), code, name, status))
    return calls


def _literal_status(call: ast.Call) -> int | None:
    candidates = [call.args[1]] if len(call.args) > 1 else []
    candidates += [k.value for k in call.keywords if k.arg == "status"]
    for node in candidates:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
    return None


def test_every_code_raised_in_src_gets_its_status_from_the_catalogue() -> None:
    """Every code the source raises is one Twilio defines, and any status still written at a
    call site is the catalogue's -- unless the call site is a listed, deliberate exception."""
    calls = _coded_calls()
    codes = {code for _, code, _, _ in calls}
    assert {20003, 20404, 20422, 21211, 21617, 20001} <= codes  # the walk finds them
    unknown = {code for code in codes if catalog_message(code) == f"Error {code}"}
    assert unknown <= NEWER_THAN_CATALOGUE
    drift = {
        (module, code, status)
        for module, code, _, status in calls
        if status is not None and status != http_status(code)
    }
    assert drift <= DELIBERATE_STATUSES, "give the code its status in HTTP_STATUS instead"


def test_catalogue_statuses_are_http_error_statuses() -> None:
    assert all(400 <= status < 600 for status in HTTP_STATUS.values())
