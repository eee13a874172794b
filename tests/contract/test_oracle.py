"""The oracle itself: it accepts Twilio's own examples and catches what it should."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.contract.oracle import LOOKUPS, ContractViolation, Spec

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


# -- Lookups v2, read with every property nullable ----------------------------------------------

LOOKUP = "/v2/PhoneNumbers/+14159929960"
LOOKUP_TEMPLATE = "/v2/PhoneNumbers/{PhoneNumber}"


def lookup_examples() -> dict[str, Any]:
    operation = Spec.load(LOOKUPS).document["paths"][LOOKUP_TEMPLATE]["get"]
    examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    return {name: example["value"] for name, example in examples.items()}


@pytest.mark.parametrize("name", sorted(lookup_examples()))
def test_lookups_examples_validate(name: str) -> None:
    """Each of Twilio's own Lookups examples (nulls included) passes the oracle."""
    Spec.load(LOOKUPS).validate("GET", LOOKUP, 200, copy.deepcopy(lookup_examples()[name]))


def test_lookups_still_checks_types_and_keys() -> None:
    """Nullable is all the reading relaxes: wrong types, enums and keys still fail."""
    spec = Spec.load(LOOKUPS)
    good = copy.deepcopy(lookup_examples()["fetchLineTypeIntelligence"])
    package = good["line_type_intelligence"]
    bad = [
        {**good, "valid": "true"},
        {**good, "validation_errors": ["TOO_WEIRD"]},
        {**good, "carrier": None},
        {k: v for k, v in good.items() if k != "pre_fill"},
        {**good, "line_type_intelligence": {**package, "type": 1}},
        {**good, "line_type_intelligence": {**package, "mobile_country": "310"}},
    ]
    for body in bad:
        with pytest.raises(ContractViolation):
            spec.validate("GET", LOOKUP, 200, body)


def test_v2010_is_not_relaxed(spec: Spec, message: dict[str, Any]) -> None:
    """The v2010 description is read as published: a non-nullable field stays so."""
    with pytest.raises(ContractViolation):
        spec.validate("POST", MESSAGES, 201, {**message, "sid": None})


def _campaign_example() -> dict[str, Any]:
    spec = Spec.load("twilio_messaging_v1.json")
    operation = spec.document["paths"]["/v1/Services/{MessagingServiceSid}/Compliance/Usa2p"]
    content = operation["post"]["responses"]["201"]["content"]["application/json"]
    return copy.deepcopy(content["examples"]["create"]["value"])


def test_one_of_takes_exactly_one_shape_by_its_keys() -> None:
    """A campaign is one of two shapes: the smaller one's keys, or those and the two URLs;
    a body between them, or beyond both, is refused."""
    spec = Spec.load("twilio_messaging_v1.json")
    path = "/v1/Services/MG" + "a" * 32 + "/Compliance/Usa2p"
    smaller = _campaign_example()
    spec.validate("POST", path, 201, smaller)
    larger = {**smaller, "privacy_policy_url": None, "terms_and_conditions_url": None}
    spec.validate("POST", path, 201, larger)
    for body in ({**smaller, "privacy_policy_url": None}, {**larger, "extra": 1}):
        with pytest.raises(ContractViolation, match="shapes"):
            spec.validate("POST", path, 201, body)
    with pytest.raises(ContractViolation):
        spec.validate("POST", path, 201, {**larger, "has_embedded_links": "yes"})


def test_trusthub_examples_validate() -> None:
    spec = Spec.load("twilio_trusthub_v1.json")
    for path in ("/v1/CustomerProfiles", "/v1/TrustProducts"):
        content = spec.document["paths"][path]["post"]["responses"]["201"]["content"]
        spec.validate("POST", path, 201, content["application/json"]["examples"]["create"]["value"])
