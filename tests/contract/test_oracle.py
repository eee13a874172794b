"""The oracle itself: it accepts Twilio's own examples and catches what it should."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.contract.oracle import ContractViolation, Spec

MESSAGES = "/2010-04-01/Accounts/AC" + "a" * 32 + "/Messages.json"
MESSAGE = "/2010-04-01/Accounts/AC" + "a" * 32 + "/Messages/SM" + "b" * 32 + ".json"


def example(spec: Spec, template: str, method: str, status: str) -> Any:
    content = spec.document["paths"][template][method]["responses"][status]["content"]
    return copy.deepcopy(next(iter(content["application/json"]["examples"].values()))["value"])


@pytest.fixture(scope="module")
def message(spec: Spec) -> dict[str, Any]:
    return dict(example(spec, "/2010-04-01/Accounts/{AccountSid}/Messages.json", "post", "201"))


def test_twilio_example_validates(spec: Spec, message: dict[str, Any]) -> None:
    spec.validate("POST", MESSAGES, 201, message)


def test_extra_key_fails(spec: Spec, message: dict[str, Any]) -> None:
    with pytest.raises(ContractViolation, match="not in the spec"):
        spec.validate("POST", MESSAGES, 201, {**message, "type": "x"})


def test_missing_key_fails(spec: Spec, message: dict[str, Any]) -> None:
    del message["uri"]
    with pytest.raises(ContractViolation, match="missing keys"):
        spec.validate("POST", MESSAGES, 201, message)


def test_iso_date_fails(spec: Spec, message: dict[str, Any]) -> None:
    with pytest.raises(ContractViolation, match="RFC 2822"):
        spec.validate("POST", MESSAGES, 201, {**message, "date_created": "2023-08-24T05:01:45Z"})


def test_wrong_type_fails(spec: Spec, message: dict[str, Any]) -> None:
    with pytest.raises(ContractViolation):
        spec.validate("POST", MESSAGES, 201, {**message, "num_segments": 1})


def test_literal_template_wins(spec: Spec) -> None:
    path = "/2010-04-01/Accounts/AC" + "a" * 32 + "/IncomingPhoneNumbers/Local.json"
    assert spec.template_for(path).endswith("/IncomingPhoneNumbers/Local.json")
    assert spec.template_for(MESSAGE).endswith("/Messages/{Sid}.json")


def test_error_shapes(spec: Spec) -> None:
    good = {
        "code": 20404,
        "message": "x",
        "status": 404,
        "more_info": "https://www.twilio.com/docs/errors/20404",
    }
    spec.validate("GET", MESSAGE, 404, good)
    with pytest.raises(ContractViolation):
        spec.validate("GET", MESSAGE, 404, {**good, "type": "about:blank"})
    with pytest.raises(ContractViolation):
        spec.validate("GET", MESSAGE, 404, {**good, "status": 400})
    spec.validate(
        "GET",
        MESSAGE,
        401,
        {
            **good,
            "code": 20003,
            "status": 401,
            "detail": "d",
            "more_info": "https://www.twilio.com/docs/errors/20003",
        },
    )


def test_delete_has_no_body(spec: Spec) -> None:
    spec.validate("DELETE", MESSAGE, 204, None)
    with pytest.raises(ContractViolation):
        spec.validate("DELETE", MESSAGE, 204, {"x": 1})
