"""TEMPORARY STUB (replaced by the real oracle)."""
from __future__ import annotations
from functools import cache
from typing import Any


class Spec:
    @classmethod
    @cache
    def load(cls, name: str = "twilio_api_v2010.json") -> "Spec":
        return cls()

    def validate(self, method: str, path: str, status: int, body: Any) -> None:
        return None
