"""The contract oracle: validate a response against Twilio's published OpenAPI description.

Twilio's schemas do not say ``additionalProperties: false``, so on top of JSON-schema
validation the oracle demands *exactly* the declared keys on every object that declares
properties (a missing or an extra field both break someone's client), and it checks that
``date-time-rfc-2822`` strings look like Twilio's (``Thu, 24 Aug 2023 05:01:45 +0000``) and
``date-time`` ones like the v1 APIs' (``2015-07-30T20:12:31Z``).
Error responses, which the spec leaves undescribed, must have Twilio's error shape.

A ``oneOf`` (the messaging v1 campaign is one of two shapes that differ only in two keys) would
refuse every body, since without ``additionalProperties: false`` a body with the larger shape's
keys matches both branches. The oracle reads it as "exactly one branch by its exact keys": the
body must have the declared keys of one branch, and is then checked against that branch.

The Lookups v2 description declares nothing nullable below its top-level strings, yet its own
examples answer null for every package not asked for, for ``validation_errors`` and for each
``error_code``, and Twilio's docs say a line type without carrier data has a null
``carrier_name`` and network codes (earlier editions of the same description declared these
properties nullable). So that description is read with every property nullable: types, enums
and exact keys are still checked; ``test_oracle`` shows all of its examples validate.
"""

from __future__ import annotations

import json
import re
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator

SPECS = Path(__file__).parent / "specs"
ISO8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
RFC2822 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$")
ERROR_KEYS = {"code", "message", "more_info", "status"}
V2010 = "twilio_api_v2010.json"
LOOKUPS = "twilio_lookups_v2.json"
NULLABLE_THROUGHOUT = {LOOKUPS}


class ContractViolation(AssertionError):
    pass


def _nullable_properties(schemas: dict[str, Any]) -> None:
    """Mark every schema in ``schemas``, and every property below them, nullable."""
    stack = list(schemas.values())
    while stack:
        schema = stack.pop()
        if not isinstance(schema, dict):
            continue
        if "$ref" not in schema:
            schema["nullable"] = True
        stack.extend(schema.get("properties", {}).values())


class Spec:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components = document["components"]
        self._templates = sorted(
            ((self._compile(path), path) for path in document["paths"]),
            key=lambda item: (item[1].count("{"), -len(item[1])),
        )
        self._validators: dict[tuple[str, str, int], tuple[Any, Any] | None] = {}

    @classmethod
    @cache
    def load(cls, name: str = V2010) -> Spec:
        document = json.loads((SPECS / name).read_text("utf-8"))
        if name in NULLABLE_THROUGHOUT:
            _nullable_properties(document["components"]["schemas"])
        for schema in document["components"]["schemas"].values():
            if "oneOf" in schema:
                # JSON Schema accepts a body if any branch does; _walk demands exactly one.
                schema["anyOf"] = schema.pop("oneOf")
        return cls(document)

    @staticmethod
    def _compile(template: str) -> re.Pattern[str]:
        parts = re.split(r"(\{[^}]+\})", template)
        body = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        return re.compile(f"^{body}$")

    def templates(self) -> list[str]:
        return [t for _, t in self._templates]

    def template_for(self, path: str) -> str | None:
        path = path.split("?", 1)[0]
        for pattern, template in self._templates:
            if pattern.match(path):
                return template
        return None

    def validate(
        self, method: str, path: str, status: int, body: object, *, strict_keys: bool = True
    ) -> None:
        template = self.template_for(path)
        if status >= 400:
            self._validate_error(template or path, status, body)
            return
        if template is None:
            raise ContractViolation(f"{method} {path}: no path in the spec matches")
        operation = self.document["paths"][template].get(method.lower())
        if operation is None:
            raise ContractViolation(f"{method} {template}: the spec has no such operation")
        responses = operation["responses"]
        response = responses.get(str(status)) or responses.get("default")
        if response is None:
            raise ContractViolation(
                f"{method} {template}: status {status} is not in the spec "
                f"(declared: {sorted(responses)})"
            )
        content = response.get("content", {}).get("application/json")
        if content is None:
            if body not in (None, "", b""):
                raise ContractViolation(f"{method} {template} {status}: expected no body")
            return
        schema = content["schema"]
        validator = OAS30Validator({**schema, "components": self.components})
        problems = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(body)
        ]
        self._walk(schema, body, "", problems, strict_keys)
        if problems:
            raise ContractViolation(f"{method} {template} {status}:\n  " + "\n  ".join(problems))

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.components["schemas"][name]
        return schema

    def _walk(
        self, schema: dict[str, Any], value: Any, pointer: str, problems: list[str], strict: bool
    ) -> None:
        schema = self._resolve(schema)
        if value is None:
            return
        if "anyOf" in schema and isinstance(value, dict):
            branches = [self._resolve(b) for b in schema["anyOf"]]
            exact = [b for b in branches if set(b.get("properties", {})) == set(value)]
            if len(exact) != 1:
                problems.append(
                    f"{pointer or '/'}: keys match {len(exact)} of the {len(branches)} shapes"
                )
                return
            schema = exact[0]
        if schema.get("format") == "date-time-rfc-2822" and isinstance(value, str):
            if not RFC2822.match(value):
                problems.append(f"{pointer or '/'}: {value!r} is not an RFC 2822 date in +0000")
            else:
                parsedate_to_datetime(value)
        date_time = schema.get("format") == "date-time" and isinstance(value, str)
        if date_time and not ISO8601.match(value):
            problems.append(f"{pointer or '/'}: {value!r} is not an ISO 8601 UTC date")
        props = schema.get("properties")
        if isinstance(value, dict) and props:
            if strict and "additionalProperties" not in schema:
                missing = sorted(set(props) - set(value))
                extra = sorted(set(value) - set(props))
                if missing:
                    problems.append(f"{pointer or '/'}: missing keys {missing}")
                if extra:
                    problems.append(f"{pointer or '/'}: keys not in the spec {extra}")
            for key, sub in props.items():
                if key in value:
                    self._walk(sub, value[key], f"{pointer}/{key}", problems, strict)
        if isinstance(value, list) and "items" in schema:
            for index, item in enumerate(value):
                self._walk(schema["items"], item, f"{pointer}/{index}", problems, strict)

    def _validate_error(self, template: str, status: int, body: object) -> None:
        if not isinstance(body, dict):
            raise ContractViolation(f"{template} {status}: error body is not a JSON object")
        keys = set(body)
        allowed = ERROR_KEYS | ({"detail"} if status == 401 else set())
        problems = []
        if not keys >= ERROR_KEYS or not keys <= allowed:
            problems.append(f"keys {sorted(keys)}; expected {sorted(ERROR_KEYS)}")
        if not isinstance(body.get("code"), int) or not isinstance(body.get("message"), str):
            problems.append("code must be an integer and message a string")
        if body.get("status") != status:
            problems.append(f"status field {body.get('status')!r} != HTTP status {status}")
        if body.get("more_info") != f"https://www.twilio.com/docs/errors/{body.get('code')}":
            problems.append(f"more_info {body.get('more_info')!r}")
        if problems:
            raise ContractViolation(f"{template} {status} error: " + "; ".join(problems))
