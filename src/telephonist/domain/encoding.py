"""Placeholder; replaced by the full encoding module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]
_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXT = set("^{}\\[~]|€\f")


@dataclass(frozen=True, slots=True)
class Segmentation:
    encoding: Encoding
    segments: tuple[str, ...]
    units: int

    @property
    def num_segments(self) -> int:
        return len(self.segments)


def segment(body: str, *, smart_encoded: bool = False) -> Segmentation:
    if not body:
        return Segmentation("GSM-7", (), 0)
    if all(c in _BASIC or c in _EXT for c in body):
        costs = [2 if c in _EXT else 1 for c in body]
        enc: Encoding = "GSM-7"
        single, multi = 160, 153
    else:
        costs = [2 if ord(c) > 0xFFFF else 1 for c in body]
        enc = "UCS-2"
        single, multi = 70, 67
    total = sum(costs)
    if total <= single:
        return Segmentation(enc, (body,), total)
    parts: list[str] = []
    start = used = 0
    for i, cost in enumerate(costs):
        if used + cost > multi:
            parts.append(body[start:i])
            start, used = i, 0
        used += cost
    parts.append(body[start:])
    return Segmentation(enc, tuple(parts), total)
