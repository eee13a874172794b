"""SMS encoding and segmentation (``telephonist.domain.encoding``).

The GSM-7 reference below is written independently of the module, straight from the
3GPP TS 23.038 (GSM 03.38) code-point table, so the two can check each other.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telephonist.domain.encoding import (
    SMART_ENCODING_TABLE,
    Segmentation,
    gsm7_length,
    is_gsm7,
    segment,
    smart_encode,
)

# --- Reference GSM 03.38 tables, by Unicode code point ----------------------------------------

# Default alphabet positions whose character is not the ASCII character of the same value.
_NON_ASCII_POSITIONS = {
    0x00: 0x0040,
    0x01: 0x00A3,
    0x02: 0x0024,
    0x03: 0x00A5,
    0x04: 0x00E8,
    0x05: 0x00E9,
    0x06: 0x00F9,
    0x07: 0x00EC,
    0x08: 0x00F2,
    0x09: 0x00C7,
    0x0A: 0x000A,
    0x0B: 0x00D8,
    0x0C: 0x00F8,
    0x0D: 0x000D,
    0x0E: 0x00C5,
    0x0F: 0x00E5,
    0x10: 0x0394,
    0x11: 0x005F,
    0x12: 0x03A6,
    0x13: 0x0393,
    0x14: 0x039B,
    0x15: 0x03A9,
    0x16: 0x03A0,
    0x17: 0x03A8,
    0x18: 0x03A3,
    0x19: 0x0398,
    0x1A: 0x039E,
    0x1C: 0x00C6,
    0x1D: 0x00E6,
    0x1E: 0x00DF,
    0x1F: 0x00C9,
    0x24: 0x00A4,
    0x40: 0x00A1,
    0x5B: 0x00C4,
    0x5C: 0x00D6,
    0x5D: 0x00D1,
    0x5E: 0x00DC,
    0x5F: 0x00A7,
    0x60: 0x00BF,
    0x7B: 0x00E4,
    0x7C: 0x00F6,
    0x7D: 0x00F1,
    0x7E: 0x00FC,
    0x7F: 0x00E0,
}  # 0x1B is ESC, the escape to the extension table: no character of its own
REF_BASIC = frozenset(
    chr(_NON_ASCII_POSITIONS.get(septet, septet)) for septet in range(0x80) if septet != 0x1B
)
REF_EXTENSION = frozenset(
    chr(c) for c in (0x0C, 0x5E, 0x7B, 0x7D, 0x5C, 0x5B, 0x7E, 0x5D, 0x7C, 0x20AC)
)
REF_ALL = REF_BASIC | REF_EXTENSION
GSM_SORTED = sorted(REF_ALL)


def ref_is_gsm7(text: str) -> bool:
    return all(char in REF_ALL for char in text)


def ref_units(text: str, encoding: str) -> int:
    if encoding == "GSM-7":
        return sum(2 if char in REF_EXTENSION else 1 for char in text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def is_surrogate_pair(two: str) -> bool:
    """A high then a low surrogate held as two code points: one character on the wire."""
    return len(two) == 2 and "\ud800" <= two[0] <= "\udbff" and "\udc00" <= two[1] <= "\udfff"


def ref_segments(atoms: list[str]) -> tuple[str, ...]:
    """The plainest possible greedy segmenter over atoms the caller knows are indivisible.

    The atoms are built by the tests (characters, surrogate pairs, grapheme clusters), not
    found by the splitter under test, so this checks the module's fast and slow paths alike.
    """
    body = "".join(atoms)
    if not body:
        return ()
    encoding = "GSM-7" if ref_is_gsm7(body) else "UCS-2"
    single, part = (160, 153) if encoding == "GSM-7" else (70, 67)
    if ref_units(body, encoding) <= single:
        return (body,)
    parts: list[str] = []
    current = ""
    for atom in atoms:
        if ref_units(current + atom, encoding) > part:
            parts.append(current)
            current = ""
        current += atom
    parts.append(current)
    return tuple(parts)


def code_point_atoms(body: str) -> list[str]:
    """A body's characters as atoms, a surrogate pair held as two code points being one."""
    atoms: list[str] = []
    index = 0
    while index < len(body):
        size = 2 if is_surrogate_pair(body[index : index + 2]) else 1
        atoms.append(body[index : index + size])
        index += size
    return atoms


def limits(seg: Segmentation) -> tuple[int, int]:
    return (160, 153) if seg.encoding == "GSM-7" else (70, 67)


# --- The alphabet -----------------------------------------------------------------------------


def test_reference_tables_have_the_standard_sizes() -> None:
    assert len(REF_BASIC) == 127 and len(REF_EXTENSION) == 10


def test_gsm7_alphabet_matches_the_standard_for_every_code_point() -> None:
    accepted = {cp for cp in range(0x110000) if is_gsm7(chr(cp))}
    assert accepted == {ord(char) for char in REF_ALL}


def test_esc_and_lookalikes_are_not_gsm7() -> None:
    for char in ("\x1b", "ç", "\t", "`", "’", "—", "😀", "\u00a0"):
        assert not is_gsm7(char), repr(char)
        assert segment("abc" + char).encoding == "UCS-2"


def test_gsm7_length_counts_extension_characters_twice() -> None:
    assert gsm7_length("") == 0
    assert gsm7_length("abc") == 3
    assert gsm7_length("€") == 2
    assert gsm7_length("\f^{}\\[~]|€") == 20
    assert gsm7_length("Ça coute 5€") == 12


def test_gsm7_length_rejects_non_gsm7_text() -> None:
    with pytest.raises(ValueError, match="GSM-7"):
        gsm7_length("привет")


# --- GSM-7 boundaries -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "expected_parts"),
    [(1, 1), (153, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_segment_counts_at_the_boundaries(length: int, expected_parts: int) -> None:
    seg = segment("a" * length)
    assert seg.encoding == "GSM-7"
    assert seg.units == length
    assert seg.num_segments == expected_parts
    if expected_parts > 1:
        assert [len(part) for part in seg.segments[:-1]] == [153] * (expected_parts - 1)


def test_an_extension_character_costs_two_septets_toward_the_single_limit() -> None:
    assert segment("a" * 158 + "€").num_segments == 1  # 160 septets
    seg = segment("a" * 159 + "€")  # 161 septets
    assert seg.units == 161
    assert seg.num_segments == 2


def test_an_escape_pair_at_a_boundary_moves_to_the_next_segment() -> None:
    seg = segment("a" * 152 + "€" + "b" * 10)
    assert seg.encoding == "GSM-7"
    assert seg.units == 164
    assert seg.segments == ("a" * 152, "€" + "b" * 10)
    assert gsm7_length(seg.segments[0]) == 152


def test_an_escape_pair_that_fits_exactly_stays() -> None:
    seg = segment("a" * 151 + "€" + "b" * 10)
    assert seg.segments == ("a" * 151 + "€", "b" * 10)
    assert gsm7_length(seg.segments[0]) == 153


# --- UCS-2 boundaries -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "expected_parts"),
    [(1, 1), (67, 1), (70, 1), (71, 2), (134, 2), (135, 3)],
)
def test_ucs2_segment_counts_at_the_boundaries(length: int, expected_parts: int) -> None:
    seg = segment("ж" * length)
    assert seg.encoding == "UCS-2"
    assert seg.units == length
    assert seg.num_segments == expected_parts


@pytest.mark.parametrize("position", [0, 50, 100])
def test_one_non_gsm_character_anywhere_makes_the_whole_message_ucs2(position: int) -> None:
    body = "a" * position + "ж" + "a" * (100 - position)
    seg = segment(body)
    assert seg.encoding == "UCS-2"
    assert seg.units == 101
    assert seg.num_segments == 2


def test_an_emoji_counts_two_units() -> None:
    assert segment("😀" * 35).segments == ("😀" * 35,)  # 70 units: a single message
    seg = segment("😀" * 36)  # 72 units
    assert seg.units == 72
    assert seg.segments == ("😀" * 33, "😀" * 3)


def test_an_emoji_at_a_boundary_is_not_split() -> None:
    seg = segment("ж" * 66 + "😀" + "ж" * 10)
    assert seg.units == 78
    assert seg.segments == ("ж" * 66, "😀" + "ж" * 10)


def test_a_surrogate_pair_held_as_two_code_points_is_not_split() -> None:
    pair = "\ud83d\ude00"  # 😀 as two code points, as surrogateescape-style input can hold it
    seg = segment("ж" * 66 + pair + "ж" * 10)
    assert seg.units == 78
    assert seg.segments == ("ж" * 66, pair + "ж" * 10)


def test_an_empty_body_has_no_segments() -> None:
    for smart in (False, True):
        seg = segment("", smart_encoded=smart)
        assert seg == Segmentation("GSM-7", (), 0)
        assert seg.num_segments == 0
    assert segment("\u200b", smart_encoded=True).num_segments == 0  # nothing left to send


def test_segmentation_is_immutable() -> None:
    seg = segment("hi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        seg.units = 3  # type: ignore[misc]


# --- Smart encoding ---------------------------------------------------------------------------


def test_smart_encoding_turns_typographic_text_into_gsm7() -> None:
    body = "“Hello” — world…"
    assert segment(body).encoding == "UCS-2"
    assert smart_encode(body) == '"Hello" - world...'
    seg = segment(body, smart_encoded=True)
    assert seg.encoding == "GSM-7"
    assert "".join(seg.segments) == '"Hello" - world...'
    assert seg.units == 18


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("‘single’ ‚low‛", "'single' ,low'"),
        ("„German“ «French» ‟x”", '"German" "French" "x"'),
        ("a–b—c‐e―f", "a-b-c-e-f"),
        ("a\u00a0b\u2009c\u3000d\te", "a  b  c  d       e"),
        ("zero\u200bwidth\ufeff\u2060", "zerowidth"),
        ("• item", "- item"),
        ("½ ÷ 2", "1/2 / 2"),
        ("ＦＵＬＬ　ＷＩＤＴＨ！", "FULL  WIDTH!"),
        ("nin\u0303o", "nin~o"),
        ("line\u2028break", "line break"),
        ("it`s", "it's"),
        ("nul\x00 dle\x10", "nul dle"),
    ],
)
def test_smart_encoding_table_examples(text: str, expected: str) -> None:
    assert smart_encode(text) == expected
    assert is_gsm7(expected)


def test_smart_encoding_keeps_what_has_no_gsm7_stand_in() -> None:
    family = "👨\u200d👩\u200d👧"  # ZWJ sequence: the joiners must survive
    assert smart_encode(f"{family} “hi”") == f'{family} "hi"'
    assert segment(f"{family} “hi”", smart_encoded=True).encoding == "UCS-2"
    assert smart_encode("não") == "não"  # precomposed ã: no GSM-7 stand-in, left for UCS-2


def test_smart_encoding_is_off_by_default() -> None:
    seg = segment("“Hello”")
    assert seg.encoding == "UCS-2"
    assert seg.segments == ("“Hello”",)


def test_every_smart_replacement_is_gsm7_and_no_gsm7_character_is_replaced() -> None:
    for char, replacement in SMART_ENCODING_TABLE.items():
        assert len(char) == 1
        assert char not in REF_ALL, repr(char)
        assert ref_is_gsm7(replacement), (char, replacement)


# --- Properties -------------------------------------------------------------------------------

gsm_chars = st.sampled_from(GSM_SORTED)
extension_heavy = st.sampled_from(sorted(REF_EXTENSION))
emoji = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
lookalikes = st.sampled_from(sorted(SMART_ENCODING_TABLE))
bodies = st.one_of(
    st.text(alphabet=st.one_of(gsm_chars, extension_heavy), max_size=700),
    st.text(alphabet=st.one_of(gsm_chars, lookalikes), max_size=500),
    st.text(alphabet=st.one_of(gsm_chars, st.characters(), emoji), max_size=400),
    st.text(max_size=300),  # any code point, lone surrogates included
)


# Surrogate pairs held as two separate code points (which a Python str allows), mixed with
# one-unit characters so that pairs land on every offset relative to the 67-unit boundary.
split_pair_atoms = st.sampled_from(["\ud83d\ude00", "\ud800\udc00", "\udbff\udfff", "ж", "a"])


@settings(max_examples=300)
@given(body=bodies, smart=st.booleans())
def test_segments_rejoin_to_the_sent_body(body: str, smart: bool) -> None:
    seg = segment(body, smart_encoded=smart)
    assert "".join(seg.segments) == (smart_encode(body) if smart else body)


@settings(max_examples=300)
@given(body=bodies, smart=st.booleans())
def test_segments_respect_their_limits_and_units_add_up(body: str, smart: bool) -> None:
    seg = segment(body, smart_encoded=smart)
    sent = "".join(seg.segments)
    single, part = limits(seg)
    assert seg.units == ref_units(sent, seg.encoding)
    assert seg.units == sum(ref_units(s, seg.encoding) for s in seg.segments)
    limit = single if seg.num_segments == 1 else part
    for s in seg.segments:
        assert 0 < ref_units(s, seg.encoding) <= limit


# Grapheme clusters built by hand, each known to be one cluster and none merging with the next
# (none starts with a mark, a joiner or a modifier): the oracle for the splitting tests.
def _marked(base: str, marks: list[str]) -> str:
    return base + "".join(marks)


combining_marks = st.characters(min_codepoint=0x0300, max_codepoint=0x036F)
cluster_atoms = st.one_of(
    st.sampled_from(["a", "ж", "あ", "€", "\r", "\n", "😀"]),
    st.builds(
        _marked,
        st.sampled_from(["e", "a", "ж", "n"]),
        st.lists(combining_marks, min_size=1, max_size=6),
    ),
    st.sampled_from(
        [
            "👍🏽",  # skin-tone modifier
            "🇫🇷",  # flag
            "🇯🇵",
            "1\ufe0f\u20e3",  # keycap
            "#\ufe0f\u20e3",
            "👩\u200d💻",  # ZWJ sequences
            "👨\u200d👩\u200d👧\u200d👦",
            "🏳\ufe0f\u200d🌈",
            "👩🏽\u200d🚀",
            "❤\ufe0f",
            "\u1100\u1161\u11a8",  # Hangul L V T jamo: one syllable
        ]
    ),
    split_pair_atoms,
)
gsm_atoms = st.one_of(gsm_chars, extension_heavy)
atom_lists = st.one_of(
    st.lists(cluster_atoms, max_size=250),
    st.lists(gsm_atoms, max_size=500),
    st.lists(split_pair_atoms, max_size=200),
)


@settings(max_examples=300)
@given(atoms=atom_lists)
def test_segments_match_a_plain_greedy_reference(atoms: list[str]) -> None:
    assert segment("".join(atoms)).segments == ref_segments(atoms)


@settings(max_examples=300)
@given(atoms=atom_lists)
def test_no_grapheme_cluster_is_split(atoms: list[str]) -> None:
    """Every cut falls between two of the hand-built clusters, never inside one."""
    seg = segment("".join(atoms))
    cuts = set(itertools.accumulate(len(part) for part in seg.segments))
    edges = set(itertools.accumulate(len(atom) for atom in atoms))
    assert cuts <= edges | {0}


@settings(max_examples=300)
@given(atoms=atom_lists)
def test_segments_are_filled_greedily(atoms: list[str]) -> None:
    """A part ends early only because the next atom (ESC pair, cluster) won't fit."""
    seg = segment("".join(atoms))
    _, part = limits(seg)
    starts = list(itertools.accumulate(len(atom) for atom in atoms))
    first_atom = {0: atoms[0]} if atoms else {}
    first_atom.update({end: atoms[k + 1] for k, end in enumerate(starts[:-1])})
    offset = 0
    for current in seg.segments[:-1]:
        offset += len(current)
        first = first_atom[offset]
        assert ref_units(current, seg.encoding) + ref_units(first, seg.encoding) > part


def test_a_cluster_longer_than_a_part_is_cut_between_code_points() -> None:
    zalgo = "a" + "\u0301" * 99  # one cluster of 100 units: no part can carry it whole
    for body in ("ж" + zalgo + "ж", "ж" + zalgo + "ж\ud800"):  # without and with a surrogate
        seg = segment(body)
        assert seg.encoding == "UCS-2"
        assert "".join(seg.segments) == body
        # It starts a part of its own, as in the calculator (which counts 3 parts here too,
        # but sends the cluster whole in an over-full second part).
        assert [ref_units(part, "UCS-2") for part in seg.segments][:2] == [1, 67]
        assert seg.num_segments == 3


# One-code-point clusters only, no surrogate code points: the bodies the fast paths take.
code_point_atoms_strategy = st.sampled_from(["a", "ж", "あ", "😀", "🎉", "€", "\r"])


@settings(max_examples=200)
@given(body=st.lists(code_point_atoms_strategy, max_size=200).map("".join))
def test_code_point_bodies_match_the_reference(body: str) -> None:
    assert segment(body).segments == ref_segments(code_point_atoms(body))


@settings(max_examples=300)
@given(body=bodies)
def test_one_segment_exactly_when_the_body_fits_a_single_message(body: str) -> None:
    seg = segment(body)
    single, _ = limits(seg)
    if not body:
        assert seg.num_segments == 0 and seg.encoding == "GSM-7"
    else:
        assert (seg.num_segments == 1) == (seg.units <= single)


@settings(max_examples=500)
@given(
    text=st.one_of(
        st.text(alphabet=gsm_chars), st.text(alphabet=st.one_of(gsm_chars, st.characters()))
    )
)
def test_gsm7_detection_agrees_with_the_reference(text: str) -> None:
    assert is_gsm7(text) == ref_is_gsm7(text)
    assert (segment(text).encoding == "GSM-7") == ref_is_gsm7(text)
    if ref_is_gsm7(text):
        assert gsm7_length(text) == ref_units(text, "GSM-7")
    else:
        with pytest.raises(ValueError):
            gsm7_length(text)


# Text as it arrives over HTTP: valid Unicode, so no lone surrogate code points.
valid_unicode = st.characters(codec="utf-8")


@settings(max_examples=300)
@given(body=st.text(alphabet=st.one_of(valid_unicode, emoji), min_size=60, max_size=400))
def test_no_segment_ends_with_a_lone_high_surrogate(body: str) -> None:
    for part in segment(body).segments:
        encoded = part.encode("utf-16-le")  # strict: a split pair would not even encode
        last_unit = int.from_bytes(encoded[-2:], "little")
        assert not 0xD800 <= last_unit <= 0xDBFF


@settings(max_examples=200)
@given(atoms=st.lists(split_pair_atoms, min_size=40, max_size=200))
def test_a_surrogate_pair_in_code_points_is_never_split(atoms: list[str]) -> None:
    seg = segment("".join(atoms))
    for part in seg.segments:
        units = part.encode("utf-16-le", "surrogatepass")
        assert not 0xD800 <= int.from_bytes(units[-2:], "little") <= 0xDBFF
        assert not 0xDC00 <= int.from_bytes(units[:2], "little") <= 0xDFFF


@settings(max_examples=300)
@given(text=st.text(alphabet=st.one_of(gsm_chars, lookalikes, st.characters()), max_size=200))
def test_smart_encoding_is_idempotent(text: str) -> None:
    once = smart_encode(text)
    assert smart_encode(once) == once


@given(text=st.text(alphabet=gsm_chars))
def test_smart_encoding_leaves_gsm7_text_alone(text: str) -> None:
    assert smart_encode(text) == text


@given(text=st.text(alphabet=st.one_of(gsm_chars, lookalikes)))
def test_smart_encoding_makes_lookalike_text_gsm7(text: str) -> None:
    assert ref_is_gsm7(smart_encode(text))
