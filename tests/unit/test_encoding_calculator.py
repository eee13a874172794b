"""Cases from Twilio's message segment calculator, which ``encoding`` must agree with.

The bodies and expectations come from the calculator's own test suite (``tests/index.test.js``
and ``tests/segments.test.js`` in its repository), plus boundary cases checked against its
1.3.0 release. Its ``messageSize`` (bits without the headers) is given here as ``units``: bits
/ 7 for GSM-7 and / 16 for UCS-2. ``parts`` are the units in each segment, where the
calculator's tests pin them.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from telephonist.domain.encoding import SMART_ENCODING_TABLE, segment, smart_encode

DIGITS = "1234567890" * 31

ZWJ = "\u200d"
RAINBOW_FLAG = "\U0001f3f3\ufe0f" + ZWJ + "\U0001f308"  # 4 code points, 5 UTF-16 units
FLAG_IT = "\U0001f1ee\U0001f1f9"  # two regional indicators
TRIPLE_ACCENT = "e\u0301\u0301\u0301"  # one grapheme of four code points

# (description, body, encoding, segments, units)
CALCULATOR_SUITE = [
    ("GSM-7 in one segment", DIGITS[:160], "GSM-7", 1, 160),
    ("GSM-7 in two segments", DIGITS[:161], "GSM-7", 2, 161),
    ("GSM-7 in three segments", DIGITS[:307], "GSM-7", 3, 307),
    ("UCS-2 in one segment", "😜" + DIGITS[1:69], "UCS-2", 1, 70),
    ("UCS-2 in two segments", "😜" + DIGITS[1:70], "UCS-2", 2, 71),
    ("UCS-2 in three segments", "😜" + DIGITS[1:134], "UCS-2", 3, 135),
    ("flag, one segment boundary", FLAG_IT + DIGITS[1:67], "UCS-2", 1, 70),
    ("flag, two segments boundary", FLAG_IT + DIGITS[1:68], "UCS-2", 2, 71),
    ("ZWJ flag, one segment boundary", RAINBOW_FLAG + DIGITS[1:65], "UCS-2", 1, 70),
    ("ZWJ flag, two segments boundary", RAINBOW_FLAG + DIGITS[1:66], "UCS-2", 2, 71),
    ("UCS-2 with GSM-7 extension characters, one", "😀" + "]" * 68, "UCS-2", 1, 70),
    ("UCS-2 with GSM-7 extension characters, two", "😀" + "]" * 69, "UCS-2", 2, 71),
    ("CRLF counts two characters", "\rabcde\r\n123", "GSM-7", 1, 11),
    ("LF line breaks", "\nabcde\n\n123\n", "GSM-7", 1, 12),
    ("triple accent, one segment", TRIPLE_ACCENT + "a" * 66, "UCS-2", 1, 70),
    ("triple accent, two segments", TRIPLE_ACCENT + "a" * 67, "UCS-2", 2, 71),
    *[
        (f"escape {char} one segment", char + DIGITS[:158], "GSM-7", 1, 160)
        for char in "|^€{}[]~\\"
    ],
    *[
        (f"escape {char} two segments", char + DIGITS[:159], "GSM-7", 2, 161)
        for char in "|^€{}[]~\\"
    ],
    *[(f"70 x {char}", char * 70, "UCS-2", 1, 70) for char in "ÁÚúçíÍóÓ"],
    *[(f"71 x {char}", char * 71, "UCS-2", 2, 71) for char in "ÁÚúçíÍóÓ"],
]


def _units(part: str, encoding: str) -> int:
    if encoding == "GSM-7":
        return len(part) + sum(part.count(c) for c in "\f^{}\\[~]|€")
    return len(part.encode("utf-16-le", "surrogatepass")) // 2


@pytest.mark.parametrize(
    ("body", "encoding", "segments", "units"),
    [case[1:] for case in CALCULATOR_SUITE],
    ids=[case[0] for case in CALCULATOR_SUITE],
)
def test_the_calculator_suite(body: str, encoding: str, segments: int, units: int) -> None:
    for smart in (False, True):  # none of these bodies holds a smart-encoding key
        seg = segment(body, smart_encoded=smart)
        assert (seg.encoding, seg.num_segments, seg.units) == (encoding, segments, units)


def test_the_calculator_suite_last_segments_hold_one_character() -> None:
    # segments.test.js: 307 GSM-7 digits and 😜 + 133 digits end in a part of one character.
    assert segment(DIGITS[:307]).segments[-1] == "7"
    assert segment("😜" + DIGITS[1:134]).segments[-1] == "4"


# A cluster straddling the 67-unit boundary moves whole to the next part, as in the calculator
# (units per part, as its 1.3.0 release reports them).
JJ = "ж"
BOUNDARY_CASES = [
    ("ZWJ sequence", JJ * 65 + "👩" + ZWJ + "💻" + JJ * 10, [65, 15]),
    ("flag", JJ * 66 + "🇫🇷" + JJ, [66, 5]),
    ("skin tone", JJ * 66 + "👍🏽" + JJ, [66, 5]),
    ("keycap", JJ * 65 + "1\ufe0f\u20e3" + JJ * 5, [65, 8]),
    ("combining accent", JJ * 66 + "e\u0301" + JJ * 5, [66, 7]),
    ("CRLF is two characters, not one cluster", JJ * 66 + "\r\n" + JJ * 5, [67, 6]),
]


@pytest.mark.parametrize(
    ("body", "parts"), [c[1:] for c in BOUNDARY_CASES], ids=[c[0] for c in BOUNDARY_CASES]
)
def test_a_cluster_at_the_boundary_moves_whole(body: str, parts: list[int]) -> None:
    seg = segment(body)
    assert seg.encoding == "UCS-2"
    assert [_units(part, "UCS-2") for part in seg.segments] == parts
    assert "".join(seg.segments) == body


# --- Smart encoding ---------------------------------------------------------------------------

# The calculator's SmartEncodingMap (release 1.3.0): 271 entries. The digest pins every entry,
# so an edit to any one of them fails here; the spot checks below say what the odd ones are.
CALCULATOR_MAP_SIZE = 271
CALCULATOR_MAP_SHA256 = "b15c54098cdfe1fd81732ed89d65c3a9dd1acd3e6aa54cd4df3a963c109c602d"


def test_the_table_is_the_calculators() -> None:
    assert len(SMART_ENCODING_TABLE) == CALCULATOR_MAP_SIZE
    digest = json.dumps(sorted(SMART_ENCODING_TABLE.items()), ensure_ascii=True).encode()
    assert hashlib.sha256(digest).hexdigest() == CALCULATOR_MAP_SHA256


@pytest.mark.parametrize(
    ("char", "replacement"),
    [
        ("\u00a0", "  "),  # NO-BREAK SPACE: two spaces
        ("\u2003", "  "),  # EM SPACE
        ("\u3000", "  "),  # IDEOGRAPHIC SPACE
        ("\u2001", " "),  # EM QUAD: one
        ("\u2028", " "),  # LINE SEPARATOR: a space, not a line feed
        ("\t", " " * 7),  # TAB: seven spaces
        ("\x80", "  "),  # a C1 control
        ("\x00", ""),
        ("\x10", ""),
        ("\u2026", "..."),
        ("\u200b", ""),  # ZERO WIDTH SPACE
        ("\u200c", ""),  # ZERO WIDTH NON-JOINER (but ZWJ is kept)
        ("\u2060", ""),  # WORD JOINER
        ("\ufeff", ""),  # BOM
        ("\u201a", ","),  # SINGLE LOW-9 QUOTATION MARK
        ("\u2039", "<"),
        ("\u203a", ">"),
        ("\u2017", "_"),  # DOUBLE LOW LINE
        ("\ufe10", "'"),
        ("\u0303", "~"),  # COMBINING TILDE: mapped on its own, whatever precedes it
        ("\u0302", "^"),
        ("`", "'"),
    ],
)
def test_calculator_map_entries(char: str, replacement: str) -> None:
    assert SMART_ENCODING_TABLE[char] == replacement
    assert smart_encode(f"a{char}b") == f"a{replacement}b"


@pytest.mark.parametrize(
    "char",
    [
        "\x1b",  # ESC
        "\x07",  # BEL: only some C0 controls are in the map
        ZWJ,
        "\u0300",  # COMBINING GRAVE: not in the map
        "\u0301",
        "\u00ad",  # SOFT HYPHEN
        "\u2212",  # MINUS SIGN
        "\u2011",  # NON-BREAKING HYPHEN
        "\u0085",  # NEXT LINE
        "ａ",  # fullwidth lowercase: the map has only the capitals
    ],
)
def test_what_the_calculator_map_leaves_alone(char: str) -> None:
    assert char not in SMART_ENCODING_TABLE
    assert smart_encode(f"a{char}b") == f"a{char}b"
    assert segment(f"a{char}b", smart_encoded=True).encoding == "UCS-2"


def test_no_normalisation_a_decomposed_letter_stays_ucs2() -> None:
    body = "cafe\u0301"
    assert smart_encode(body) == body
    seg = segment(body, smart_encoded=True)
    assert (seg.encoding, seg.units) == ("UCS-2", 5)


def test_smart_encoding_spaces_change_the_count() -> None:
    # 80 NO-BREAK SPACEs become 160 spaces: GSM-7, one segment; TAB x 23 = 161: two.
    assert segment("\u00a0" * 80, smart_encoded=True).num_segments == 1
    seg = segment("\t" * 23, smart_encoded=True)
    assert (seg.encoding, seg.units, seg.num_segments) == ("GSM-7", 161, 2)
