"""SMS character encoding and segmentation, computed the way Twilio computes them.

A message's price, its ``num_segments`` and the parts a handset reassembles all follow from two
facts about the SMS transport: a single message carries 140 octets of user data, and a
concatenated message spends 6 of those octets on a User Data Header that says "part i of n".

* **GSM-7** (3GPP TS 23.038, formerly GSM 03.38) packs each character into a 7-bit septet, so
  a single message holds 160 septets and each part of a concatenated one holds 153. Characters
  of the *extension table* are sent as ESC followed by a second septet, so they cost 2; the two
  halves must travel in the same part, or the receiving handset would show the wrong glyph.
* **UCS-2** is what carriers fall back to as soon as one character is not GSM-7: 16 bits per
  unit, so 70 units in a single message and 67 per part. Modern handsets decode it as UTF-16,
  so a character outside the Basic Multilingual Plane (most emoji) is a surrogate pair costing
  2 units, and splitting the pair would leave both parts with an undecodable half.

Handsets show *grapheme clusters*, not code points: a letter with its combining accents, an
emoji with its skin-tone modifier, a flag (two regional indicators), a keycap, a ZWJ family.
Twilio's own segment calculator never cuts one across parts, and neither does ``segment``.

Twilio's ``SmartEncoded`` option first swaps Unicode look-alikes (curly quotes, long dashes,
exotic spaces...) for GSM-7 characters, because one stray smart quote pasted from a word
processor otherwise turns a 1-segment message into a 3-segment UCS-2 one. The table and the
way it is applied are the calculator's; see ``_SMART_ENCODING_ENTRIES``.

The one dependency beyond the standard library is ``regex``, for its ``\\X`` (extended grapheme
cluster, UAX #29): ``re`` lacks it and ``unicodedata`` lacks the properties its rules need, so
the alternative would be shipping Unicode property tables here and keeping them current.
``regex`` is widely used, kept in step with each Unicode release, and runs the split in C. It
is only consulted for a UCS-2 body too long for one message; GSM-7 bodies (which hold no
multi-character cluster) never reach it.

Everything here is a pure function of its input; ``segment`` runs on every API request, so the
hot paths lean on C-level string operations and per-character loops only run when they must.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import regex

__all__ = [
    "SMART_ENCODING_TABLE",
    "Encoding",
    "Segmentation",
    "gsm7_length",
    "is_gsm7",
    "segment",
    "smart_encode",
]

Encoding = Literal["GSM-7", "UCS-2"]

# Limits in septets (GSM-7) and UTF-16 code units (UCS-2). The concatenated limits are what is
# left of 140 octets after the 6-octet User Data Header: 134 octets = 153 septets (rounded
# down) = 67 UCS-2 units.
_GSM7_SINGLE = 160
_GSM7_PART = 153
_UCS2_SINGLE = 70
_UCS2_PART = 67

# The GSM 03.38 default alphabet, indexed by septet value (0x00-0x7F), so each character can be
# checked against the standard's table by its position. 0x1B is ESC, the escape to the
# extension table: it is not a character a user can send, so a placeholder holds its place and
# is dropped below. Note 0x09 is the capital Ç (the standard's Unicode mapping), not ç.
_GSM7_DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅå"  # 0x00-0x0F
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"  # 0x10-0x1F (0x1B = ESC)
    " !\"#¤%&'()*+,-./"  # 0x20-0x2F
    "0123456789:;<=>?"  # 0x30-0x3F
    "¡ABCDEFGHIJKLMNO"  # 0x40-0x4F
    "PQRSTUVWXYZÄÖÑÜ§"  # 0x50-0x5F
    "¿abcdefghijklmno"  # 0x60-0x6F
    "pqrstuvwxyzäöñüà"  # 0x70-0x7F
)
assert len(_GSM7_DEFAULT_ALPHABET) == 128

_ESC = "\x1b"
_GSM7_BASIC: frozenset[str] = frozenset(_GSM7_DEFAULT_ALPHABET) - {_ESC}

# The default extension table: each is sent as ESC + one septet, so each costs 2 septets.
# (Form feed is ESC 0x0A; it is here because a body may contain it, however rarely.)
_GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

_GSM7_ALL: frozenset[str] = _GSM7_BASIC | _GSM7_EXTENSION

# Surrogate code points can sit in a Python str (e.g. from "surrogateescape" decoding) but
# never in valid text, so finding one routes segmentation to the careful, slower path.
_SURROGATE_SEARCH = re.compile("[\ud800-\udfff]").search


@dataclass(frozen=True, slots=True)
class Segmentation:
    """How a body travels: its encoding, the parts a carrier sends, and its size in units.

    ``segments`` joined back together is exactly the body that is sent (after smart encoding,
    when it was asked for), so callers that store the sent body can take it from here.
    """

    encoding: Encoding
    segments: tuple[str, ...]
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2, for the whole body

    @property
    def num_segments(self) -> int:
        """The number of parts; 0 for an empty body (a media-only MMS decides its own count)."""
        return len(self.segments)


def is_gsm7(text: str) -> bool:
    """Whether every character is in the GSM-7 default alphabet or its extension table.

    One character outside it is enough to send the *whole* message as UCS-2, which is why the
    check is all-or-nothing rather than per character.
    """
    return _GSM7_ALL.issuperset(text)


def gsm7_length(text: str) -> int:
    """The number of septets ``text`` takes in GSM-7: 1 per basic character, 2 per extension.

    Raises ``ValueError`` for text that GSM-7 cannot carry, rather than answering a number
    that would silently under-count what the carrier will bill as UCS-2.
    """
    if not is_gsm7(text):
        raise ValueError("text contains characters outside the GSM-7 alphabet")
    return len(text) + _count_extension(text)


def _count_extension(text: str) -> int:
    # Ten C-level scans beat one Python-level loop over a body of up to 1600 characters.
    return sum(text.count(char) for char in _GSM7_EXTENSION)


# --- Smart encoding ---------------------------------------------------------------------------
#
# The table is the one in Twilio's message segment calculator (its ``SmartEncodingMap``, as
# published in release 1.3.0), entry for entry, and is applied the way the calculator applies
# it: one code point at a time, each key replaced by its value, with no Unicode normalisation
# before or after. That has consequences that look odd but are what the calculator counts:
#
# * a decomposed letter stays decomposed: "e" + U+0301 is left alone (so the message goes as
#   UCS-2), while the few combining marks the table lists become their spacing look-alike
#   ("n" + U+0303 COMBINING TILDE becomes "n~");
# * NO-BREAK SPACE and most other fixed-width spaces become *two* spaces, EM QUAD, LINE
#   SEPARATOR and PARAGRAPH SEPARATOR one, and TAB seven; five C1 controls become two spaces;
# * a handful of C0 controls (NUL, ETX, EOT, DLE, DC1-DC4, ETB, EM) are removed, as are ZERO
#   WIDTH SPACE, ZERO WIDTH NON-JOINER, WORD JOINER and ZERO WIDTH NO-BREAK SPACE (BOM);
#   every other control, ESC included, is kept (and, not being GSM-7, makes the message
#   UCS-2), and so is ZERO WIDTH JOINER, which holds emoji sequences together;
# * characters the table does not list are kept, however GSM-7-like they look (U+2212 MINUS
#   SIGN, U+2011 NON-BREAKING HYPHEN, fullwidth lowercase letters...).
#
# Every value is GSM-7 and no key is, so applying the table twice changes nothing.
_SMART_ENCODING_ENTRIES: dict[str, str] = {
    "\u0000": "",  # NULL
    "\u0003": "",  # END OF TEXT
    "\u0004": "",  # END OF TRANSMISSION
    "\u0009": "       ",  # CHARACTER TABULATION
    "\u0010": "",  # DATA LINK ESCAPE
    "\u0011": "",  # DEVICE CONTROL ONE
    "\u0012": "",  # DEVICE CONTROL TWO
    "\u0013": "",  # DEVICE CONTROL THREE
    "\u0014": "",  # DEVICE CONTROL FOUR
    "\u0017": "",  # END OF TRANSMISSION BLOCK
    "\u0019": "",  # END OF MEDIUM
    "\u0060": "'",  # GRAVE ACCENT
    "\u0080": "  ",  # PADDING CHARACTER (C1)
    "\u008d": "  ",  # REVERSE LINE FEED (C1)
    "\u0090": "  ",  # DEVICE CONTROL STRING (C1)
    "\u009b": "  ",  # CONTROL SEQUENCE INTRODUCER (C1)
    "\u009f": "  ",  # APPLICATION PROGRAM COMMAND (C1)
    "\u00a0": "  ",  # NO-BREAK SPACE
    "\u00ab": '"',  # LEFT-POINTING DOUBLE ANGLE QUOTATION MARK
    "\u00b4": "'",  # ACUTE ACCENT
    "\u00bb": '"',  # RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK
    "\u00bc": "1/4",  # VULGAR FRACTION ONE QUARTER
    "\u00bd": "1/2",  # VULGAR FRACTION ONE HALF
    "\u00be": "3/4",  # VULGAR FRACTION THREE QUARTERS
    "\u00f7": "/",  # DIVISION SIGN
    "\u01c3": "!",  # LATIN LETTER RETROFLEX CLICK
    "\u0262": "G",  # LATIN LETTER SMALL CAPITAL G
    "\u026a": "I",  # LATIN LETTER SMALL CAPITAL I
    "\u0274": "N",  # LATIN LETTER SMALL CAPITAL N
    "\u0280": "R",  # LATIN LETTER SMALL CAPITAL R
    "\u028f": "Y",  # LATIN LETTER SMALL CAPITAL Y
    "\u0299": "B",  # LATIN LETTER SMALL CAPITAL B
    "\u029c": "H",  # LATIN LETTER SMALL CAPITAL H
    "\u029f": "L",  # LATIN LETTER SMALL CAPITAL L
    "\u02b9": "'",  # MODIFIER LETTER PRIME
    "\u02ba": '"',  # MODIFIER LETTER DOUBLE PRIME
    "\u02bb": "'",  # MODIFIER LETTER TURNED COMMA
    "\u02bc": "'",  # MODIFIER LETTER APOSTROPHE
    "\u02bd": "'",  # MODIFIER LETTER REVERSED COMMA
    "\u02c6": "^",  # MODIFIER LETTER CIRCUMFLEX ACCENT
    "\u02c8": "'",  # MODIFIER LETTER VERTICAL LINE
    "\u02ca": "'",  # MODIFIER LETTER ACUTE ACCENT
    "\u02cb": "'",  # MODIFIER LETTER GRAVE ACCENT
    "\u02d0": ":",  # MODIFIER LETTER TRIANGULAR COLON
    "\u02d6": "+",  # MODIFIER LETTER PLUS SIGN
    "\u02dc": "~",  # SMALL TILDE
    "\u02ee": '"',  # MODIFIER LETTER DOUBLE APOSTROPHE
    "\u02f7": "~",  # MODIFIER LETTER LOW TILDE
    "\u02f8": ":",  # MODIFIER LETTER RAISED COLON
    "\u0302": "^",  # COMBINING CIRCUMFLEX ACCENT
    "\u0303": "~",  # COMBINING TILDE
    "\u0313": "'",  # COMBINING COMMA ABOVE
    "\u0314": "'",  # COMBINING REVERSED COMMA ABOVE
    "\u0326": ",",  # COMBINING COMMA BELOW
    "\u0330": "~",  # COMBINING TILDE BELOW
    "\u0332": "_",  # COMBINING LOW LINE
    "\u0334": "~",  # COMBINING TILDE OVERLAY
    "\u0337": "/",  # COMBINING SHORT SOLIDUS OVERLAY
    "\u0338": "/",  # COMBINING LONG SOLIDUS OVERLAY
    "\u0347": "=",  # COMBINING EQUALS SIGN BELOW
    "\u1d00": "A",  # LATIN LETTER SMALL CAPITAL A
    "\u1d04": "C",  # LATIN LETTER SMALL CAPITAL C
    "\u1d05": "D",  # LATIN LETTER SMALL CAPITAL D
    "\u1d07": "E",  # LATIN LETTER SMALL CAPITAL E
    "\u1d0a": "J",  # LATIN LETTER SMALL CAPITAL J
    "\u1d0b": "K",  # LATIN LETTER SMALL CAPITAL K
    "\u1d0d": "M",  # LATIN LETTER SMALL CAPITAL M
    "\u1d0f": "O",  # LATIN LETTER SMALL CAPITAL O
    "\u1d18": "P",  # LATIN LETTER SMALL CAPITAL P
    "\u1d1b": "T",  # LATIN LETTER SMALL CAPITAL T
    "\u1d1c": "U",  # LATIN LETTER SMALL CAPITAL U
    "\u1d20": "V",  # LATIN LETTER SMALL CAPITAL V
    "\u1d21": "W",  # LATIN LETTER SMALL CAPITAL W
    "\u1d22": "Z",  # LATIN LETTER SMALL CAPITAL Z
    "\u1dcd": "^",  # COMBINING DOUBLE CIRCUMFLEX ABOVE
    "\u2000": "  ",  # EN QUAD
    "\u2001": " ",  # EM QUAD
    "\u2002": "  ",  # EN SPACE
    "\u2003": "  ",  # EM SPACE
    "\u2004": "  ",  # THREE-PER-EM SPACE
    "\u2005": "  ",  # FOUR-PER-EM SPACE
    "\u2006": "  ",  # SIX-PER-EM SPACE
    "\u2007": "  ",  # FIGURE SPACE
    "\u2008": "  ",  # PUNCTUATION SPACE
    "\u2009": "  ",  # THIN SPACE
    "\u200a": "  ",  # HAIR SPACE
    "\u200b": "",  # ZERO WIDTH SPACE
    "\u200c": "",  # ZERO WIDTH NON-JOINER
    "\u2010": "-",  # HYPHEN
    "\u2013": "-",  # EN DASH
    "\u2014": "-",  # EM DASH
    "\u2015": "-",  # HORIZONTAL BAR
    "\u2017": "_",  # DOUBLE LOW LINE
    "\u2018": "'",  # LEFT SINGLE QUOTATION MARK
    "\u2019": "'",  # RIGHT SINGLE QUOTATION MARK
    "\u201a": ",",  # SINGLE LOW-9 QUOTATION MARK
    "\u201b": "'",  # SINGLE HIGH-REVERSED-9 QUOTATION MARK
    "\u201c": '"',  # LEFT DOUBLE QUOTATION MARK
    "\u201d": '"',  # RIGHT DOUBLE QUOTATION MARK
    "\u201e": '"',  # DOUBLE LOW-9 QUOTATION MARK
    "\u201f": '"',  # DOUBLE HIGH-REVERSED-9 QUOTATION MARK
    "\u2022": "-",  # BULLET
    "\u2026": "...",  # HORIZONTAL ELLIPSIS
    "\u2028": " ",  # LINE SEPARATOR
    "\u2029": " ",  # PARAGRAPH SEPARATOR
    "\u202f": "  ",  # NARROW NO-BREAK SPACE
    "\u2039": "<",  # SINGLE LEFT-POINTING ANGLE QUOTATION MARK
    "\u203a": ">",  # SINGLE RIGHT-POINTING ANGLE QUOTATION MARK
    "\u203c": "!!",  # DOUBLE EXCLAMATION MARK
    "\u2043": "-",  # HYPHEN BULLET
    "\u2044": "/",  # FRACTION SLASH
    "\u204e": "*",  # LOW ASTERISK
    "\u204f": ";",  # REVERSED SEMICOLON
    "\u205f": "  ",  # MEDIUM MATHEMATICAL SPACE
    "\u2060": "",  # WORD JOINER
    "\u20d2": "|",  # COMBINING LONG VERTICAL LINE OVERLAY
    "\u20d3": "|",  # COMBINING SHORT VERTICAL LINE OVERLAY
    "\u20e5": "\\",  # COMBINING REVERSE SOLIDUS OVERLAY
    "\u2215": "/",  # DIVISION SLASH
    "\u2217": "*",  # ASTERISK OPERATOR
    "\u2223": "|",  # DIVIDES
    "\u223c": "~",  # TILDE OPERATOR
    "\u229b": "*",  # CIRCLED ASTERISK OPERATOR
    "\u239c": "|",  # LEFT PARENTHESIS EXTENSION
    "\u239f": "|",  # RIGHT PARENTHESIS EXTENSION
    "\u23b8": "|",  # LEFT VERTICAL BOX LINE
    "\u23b9": "|",  # RIGHT VERTICAL BOX LINE
    "\u23bc": "-",  # HORIZONTAL SCAN LINE-7
    "\u23bd": "-",  # HORIZONTAL SCAN LINE-9
    "\u23d0": "|",  # VERTICAL LINE EXTENSION
    "\u2722": "*",  # FOUR TEARDROP-SPOKED ASTERISK
    "\u2723": "*",  # FOUR BALLOON-SPOKED ASTERISK
    "\u2724": "*",  # HEAVY FOUR BALLOON-SPOKED ASTERISK
    "\u2725": "*",  # FOUR CLUB-SPOKED ASTERISK
    "\u2731": "*",  # HEAVY ASTERISK
    "\u2732": "*",  # OPEN CENTRE ASTERISK
    "\u2733": "*",  # EIGHT SPOKED ASTERISK
    "\u273a": "*",  # SIXTEEN POINTED ASTERISK
    "\u273b": "*",  # TEARDROP-SPOKED ASTERISK
    "\u273c": "*",  # OPEN CENTRE TEARDROP-SPOKED ASTERISK
    "\u273d": "*",  # HEAVY TEARDROP-SPOKED ASTERISK
    "\u2743": "*",  # HEAVY TEARDROP-SPOKED PINWHEEL ASTERISK
    "\u2749": "*",  # BALLOON-SPOKED ASTERISK
    "\u274a": "*",  # EIGHT TEARDROP-SPOKED PROPELLER ASTERISK
    "\u274b": "*",  # HEAVY EIGHT TEARDROP-SPOKED PROPELLER ASTERISK
    "\u275b": "'",  # HEAVY SINGLE TURNED COMMA QUOTATION MARK ORNAMENT
    "\u275c": "'",  # HEAVY SINGLE COMMA QUOTATION MARK ORNAMENT
    "\u275d": '"',  # HEAVY DOUBLE TURNED COMMA QUOTATION MARK ORNAMENT
    "\u275e": '"',  # HEAVY DOUBLE COMMA QUOTATION MARK ORNAMENT
    "\u2768": "(",  # MEDIUM LEFT PARENTHESIS ORNAMENT
    "\u2769": ")",  # MEDIUM RIGHT PARENTHESIS ORNAMENT
    "\u276a": "(",  # MEDIUM FLATTENED LEFT PARENTHESIS ORNAMENT
    "\u276b": ")",  # MEDIUM FLATTENED RIGHT PARENTHESIS ORNAMENT
    "\u2774": "{",  # MEDIUM LEFT CURLY BRACKET ORNAMENT
    "\u2775": "}",  # MEDIUM RIGHT CURLY BRACKET ORNAMENT
    "\u27ee": "(",  # MATHEMATICAL LEFT FLATTENED PARENTHESIS
    "\u27ef": ")",  # MATHEMATICAL RIGHT FLATTENED PARENTHESIS
    "\u2982": ":",  # Z NOTATION TYPE COLON
    "\u2985": "(",  # LEFT WHITE PARENTHESIS
    "\u2986": ")",  # RIGHT WHITE PARENTHESIS
    "\u29c6": "*",  # SQUARED ASTERISK
    "\u29f5": "\\",  # REVERSE SOLIDUS OPERATOR
    "\u29f8": "/",  # BIG SOLIDUS
    "\u29f9": "\\",  # BIG REVERSE SOLIDUS
    "\u3000": "  ",  # IDEOGRAPHIC SPACE
    "\u3001": ",",  # IDEOGRAPHIC COMMA
    "\u3002": ".",  # IDEOGRAPHIC FULL STOP
    "\u301d": '"',  # REVERSED DOUBLE PRIME QUOTATION MARK
    "\u301e": '"',  # DOUBLE PRIME QUOTATION MARK
    "\ua730": "F",  # LATIN LETTER SMALL CAPITAL F
    "\ua731": "S",  # LATIN LETTER SMALL CAPITAL S
    "\ua789": ":",  # MODIFIER LETTER COLON
    "\ua78a": "=",  # MODIFIER LETTER SHORT EQUALS SIGN
    "\ufe10": "'",  # PRESENTATION FORM FOR VERTICAL COMMA
    "\ufe11": "'",  # PRESENTATION FORM FOR VERTICAL IDEOGRAPHIC COMMA
    "\ufe13": ":",  # PRESENTATION FORM FOR VERTICAL COLON
    "\ufe14": ";",  # PRESENTATION FORM FOR VERTICAL SEMICOLON
    "\ufe15": "!",  # PRESENTATION FORM FOR VERTICAL EXCLAMATION MARK
    "\ufe16": "?",  # PRESENTATION FORM FOR VERTICAL QUESTION MARK
    "\ufe50": ",",  # SMALL COMMA
    "\ufe51": ",",  # SMALL IDEOGRAPHIC COMMA
    "\ufe52": ".",  # SMALL FULL STOP
    "\ufe54": ";",  # SMALL SEMICOLON
    "\ufe56": "?",  # SMALL QUESTION MARK
    "\ufe57": "!",  # SMALL EXCLAMATION MARK
    "\ufe59": "(",  # SMALL LEFT PARENTHESIS
    "\ufe5a": ")",  # SMALL RIGHT PARENTHESIS
    "\ufe5b": "{",  # SMALL LEFT CURLY BRACKET
    "\ufe5c": "}",  # SMALL RIGHT CURLY BRACKET
    "\ufe5f": "#",  # SMALL NUMBER SIGN
    "\ufe60": "&",  # SMALL AMPERSAND
    "\ufe61": "*",  # SMALL ASTERISK
    "\ufe62": "+",  # SMALL PLUS SIGN
    "\ufe63": "-",  # SMALL HYPHEN-MINUS
    "\ufe64": "<",  # SMALL LESS-THAN SIGN
    "\ufe65": ">",  # SMALL GREATER-THAN SIGN
    "\ufe66": "=",  # SMALL EQUALS SIGN
    "\ufe68": "\\",  # SMALL REVERSE SOLIDUS
    "\ufe69": "$",  # SMALL DOLLAR SIGN
    "\ufe6a": "%",  # SMALL PERCENT SIGN
    "\ufe6b": "@",  # SMALL COMMERCIAL AT
    "\ufeff": "",  # ZERO WIDTH NO-BREAK SPACE
    "\uff01": "!",  # FULLWIDTH EXCLAMATION MARK
    "\uff02": '"',  # FULLWIDTH QUOTATION MARK
    "\uff03": "#",  # FULLWIDTH NUMBER SIGN
    "\uff04": "$",  # FULLWIDTH DOLLAR SIGN
    "\uff05": "%",  # FULLWIDTH PERCENT SIGN
    "\uff06": "&",  # FULLWIDTH AMPERSAND
    "\uff07": "'",  # FULLWIDTH APOSTROPHE
    "\uff08": "(",  # FULLWIDTH LEFT PARENTHESIS
    "\uff09": ")",  # FULLWIDTH RIGHT PARENTHESIS
    "\uff0a": "*",  # FULLWIDTH ASTERISK
    "\uff0b": "+",  # FULLWIDTH PLUS SIGN
    "\uff0c": ",",  # FULLWIDTH COMMA
    "\uff0d": "-",  # FULLWIDTH HYPHEN-MINUS
    "\uff0e": ".",  # FULLWIDTH FULL STOP
    "\uff0f": "/",  # FULLWIDTH SOLIDUS
    "\uff10": "0",  # FULLWIDTH DIGIT ZERO
    "\uff11": "1",  # FULLWIDTH DIGIT ONE
    "\uff12": "2",  # FULLWIDTH DIGIT TWO
    "\uff13": "3",  # FULLWIDTH DIGIT THREE
    "\uff14": "4",  # FULLWIDTH DIGIT FOUR
    "\uff15": "5",  # FULLWIDTH DIGIT FIVE
    "\uff16": "6",  # FULLWIDTH DIGIT SIX
    "\uff17": "7",  # FULLWIDTH DIGIT SEVEN
    "\uff18": "8",  # FULLWIDTH DIGIT EIGHT
    "\uff19": "9",  # FULLWIDTH DIGIT NINE
    "\uff1a": ":",  # FULLWIDTH COLON
    "\uff1b": ";",  # FULLWIDTH SEMICOLON
    "\uff1c": "<",  # FULLWIDTH LESS-THAN SIGN
    "\uff1d": "=",  # FULLWIDTH EQUALS SIGN
    "\uff1e": ">",  # FULLWIDTH GREATER-THAN SIGN
    "\uff1f": "?",  # FULLWIDTH QUESTION MARK
    "\uff20": "@",  # FULLWIDTH COMMERCIAL AT
    "\uff21": "A",  # FULLWIDTH LATIN CAPITAL LETTER A
    "\uff22": "B",  # FULLWIDTH LATIN CAPITAL LETTER B
    "\uff23": "C",  # FULLWIDTH LATIN CAPITAL LETTER C
    "\uff24": "D",  # FULLWIDTH LATIN CAPITAL LETTER D
    "\uff25": "E",  # FULLWIDTH LATIN CAPITAL LETTER E
    "\uff26": "F",  # FULLWIDTH LATIN CAPITAL LETTER F
    "\uff27": "G",  # FULLWIDTH LATIN CAPITAL LETTER G
    "\uff28": "H",  # FULLWIDTH LATIN CAPITAL LETTER H
    "\uff29": "I",  # FULLWIDTH LATIN CAPITAL LETTER I
    "\uff2a": "J",  # FULLWIDTH LATIN CAPITAL LETTER J
    "\uff2b": "K",  # FULLWIDTH LATIN CAPITAL LETTER K
    "\uff2c": "L",  # FULLWIDTH LATIN CAPITAL LETTER L
    "\uff2d": "M",  # FULLWIDTH LATIN CAPITAL LETTER M
    "\uff2e": "N",  # FULLWIDTH LATIN CAPITAL LETTER N
    "\uff2f": "O",  # FULLWIDTH LATIN CAPITAL LETTER O
    "\uff30": "P",  # FULLWIDTH LATIN CAPITAL LETTER P
    "\uff31": "Q",  # FULLWIDTH LATIN CAPITAL LETTER Q
    "\uff32": "R",  # FULLWIDTH LATIN CAPITAL LETTER R
    "\uff33": "S",  # FULLWIDTH LATIN CAPITAL LETTER S
    "\uff34": "T",  # FULLWIDTH LATIN CAPITAL LETTER T
    "\uff35": "U",  # FULLWIDTH LATIN CAPITAL LETTER U
    "\uff36": "V",  # FULLWIDTH LATIN CAPITAL LETTER V
    "\uff37": "W",  # FULLWIDTH LATIN CAPITAL LETTER W
    "\uff38": "X",  # FULLWIDTH LATIN CAPITAL LETTER X
    "\uff39": "Y",  # FULLWIDTH LATIN CAPITAL LETTER Y
    "\uff3a": "Z",  # FULLWIDTH LATIN CAPITAL LETTER Z
    "\uff3b": "[",  # FULLWIDTH LEFT SQUARE BRACKET
    "\uff3c": "\\",  # FULLWIDTH REVERSE SOLIDUS
    "\uff3d": "]",  # FULLWIDTH RIGHT SQUARE BRACKET
    "\uff3e": "^",  # FULLWIDTH CIRCUMFLEX ACCENT
    "\uff3f": "_",  # FULLWIDTH LOW LINE
    "\uff5b": "{",  # FULLWIDTH LEFT CURLY BRACKET
    "\uff5c": "|",  # FULLWIDTH VERTICAL LINE
    "\uff5d": "}",  # FULLWIDTH RIGHT CURLY BRACKET
    "\uff5e": "~",  # FULLWIDTH TILDE
    "\uff61": ".",  # HALFWIDTH IDEOGRAPHIC FULL STOP
    "\uff64": ",",  # HALFWIDTH IDEOGRAPHIC COMMA
}

SMART_ENCODING_TABLE: Mapping[str, str] = MappingProxyType(_SMART_ENCODING_ENTRIES)
"""Every character smart encoding rewrites, and the GSM-7 text it becomes ("" = removed)."""

_SMART_KEYS_SEARCH = re.compile(f"[{re.escape(''.join(_SMART_ENCODING_ENTRIES))}]").search
_SMART_TRANSLATION: dict[int, str] = {
    ord(char): text for char, text in _SMART_ENCODING_ENTRIES.items()
}


def smart_encode(text: str) -> str:
    """Rewrite Unicode look-alikes as GSM-7, as Twilio's ``SmartEncoded=true`` does.

    Each code point in :data:`SMART_ENCODING_TABLE` becomes its replacement; everything else
    is kept as it is, so a message with emoji or another script still goes as UCS-2, only with
    its look-alikes tidied. The function is idempotent: every replacement is GSM-7 text, and
    no GSM-7 character is a key.
    """
    if _GSM7_ALL.issuperset(text):
        return text  # the common case: no table key is GSM-7
    # translate() looks every character up in a dict, and a set test materialises every
    # character as an object; one C-level regex scan of the buffer is much cheaper than either
    # on the long Cyrillic, CJK or emoji bodies that have nothing to rewrite.
    if _SMART_KEYS_SEARCH(text):
        text = text.translate(_SMART_TRANSLATION)
    return text


# --- Segmentation -----------------------------------------------------------------------------


def segment(body: str, *, smart_encoded: bool = False) -> Segmentation:
    """Split ``body`` into the parts a carrier sends, choosing GSM-7 or UCS-2 as Twilio does.

    A body that fits a single message (160 septets / 70 units) is one part. Otherwise parts are
    filled greedily to 153 septets / 67 units with atoms that are never split: in GSM-7 an
    extension character (ESC + septet); in UCS-2 an extended grapheme cluster (a letter and its
    combining marks, an emoji with its modifiers, a flag, a keycap, a ZWJ sequence), so a part
    may end short rather than cut one. As in Twilio's calculator, CR LF counts as two
    characters, not one cluster. A cluster longer than a whole part (dozens of stacked marks)
    cannot travel whole: it starts a part, as in the calculator, and is cut between code
    points. An empty body has no parts and is reported as GSM-7, which is what Twilio reports
    for it.
    """
    if smart_encoded:
        body = smart_encode(body)
    if not body:
        return Segmentation("GSM-7", (), 0)
    if _GSM7_ALL.issuperset(body):
        # No GSM-7 character extends a grapheme cluster, and CR LF is two characters here: in
        # GSM-7 the atoms are the characters, with the extension ones costing two septets.
        extension = _count_extension(body)
        units = len(body) + extension
        if units <= _GSM7_SINGLE:
            return Segmentation("GSM-7", (body,), units)
        if extension == 0:
            return Segmentation("GSM-7", _slices(body, _GSM7_PART), units)
        return Segmentation("GSM-7", _split_gsm7(body), units)
    # "surrogatepass" counts a lone surrogate in the str as the one unit it would occupy.
    units = len(body.encode("utf-16-le", "surrogatepass")) // 2
    if units <= _UCS2_SINGLE:
        return Segmentation("UCS-2", (body,), units)
    clusters = _GRAPHEMES(body)
    # Every cluster one code point, and no surrogate code point that could pair with the next.
    if len(clusters) == len(body) and not _SURROGATE_SEARCH(body):
        if units == len(body):
            return Segmentation("UCS-2", _slices(body, _UCS2_PART), units)
        return Segmentation("UCS-2", _split_utf16(body), units)
    if _SURROGATE_SEARCH(body):
        return Segmentation("UCS-2", _split_clusters(clusters), units)
    return Segmentation("UCS-2", _split_utf16_clusters(body, clusters), units)


# Extended grapheme clusters (UAX #29) come from the ``regex`` module's ``\X``, which follows
# the Unicode version it was built for: the standard library's ``re`` has no ``\X``, and
# ``unicodedata`` has no Grapheme_Cluster_Break or Extended_Pictographic property to build the
# rules from. findall() runs the whole split in C, so it costs little next to the encoding.
_GRAPHEMES = regex.compile(r"\X").findall


def _slices(body: str, size: int) -> tuple[str, ...]:
    """Equal parts, for bodies whose every character costs exactly one unit."""
    return tuple(body[i : i + size] for i in range(0, len(body), size))


def _split_gsm7(body: str) -> tuple[str, ...]:
    """Greedy GSM-7 parts where an extension character never straddles a boundary.

    Rather than walk the body in Python, spell it out septet by septet the way it goes on the
    wire (ESC before each extension character; ESC cannot occur otherwise, as it is not a
    user character), cut every 153 septets, and step a cut back when it would fall just after
    an ESC. Each part then drops its ESCs again.
    """
    septets = body
    for char in _GSM7_EXTENSION:
        if char in septets:
            septets = septets.replace(char, _ESC + char)
    parts: list[str] = []
    start, length = 0, len(septets)
    while length - start > _GSM7_PART:
        end = start + _GSM7_PART
        if septets[end - 1] == _ESC:
            end -= 1
        parts.append(septets[start:end].replace(_ESC, ""))
        start = end
    parts.append(septets[start:].replace(_ESC, ""))
    return tuple(parts)


def _split_utf16(body: str) -> tuple[str, ...]:
    """Greedy UCS-2 parts where a surrogate pair never straddles a boundary.

    Works on the UTF-16 the handset will decode: cut every 67 units, and step a cut back when
    the unit before it is a high surrogate (in little-endian, its second byte is 0xD8-0xDB).
    """
    data = body.encode("utf-16-le")
    parts: list[str] = []
    start, length = 0, len(data) // 2
    while length - start > _UCS2_PART:
        end = start + _UCS2_PART
        if 0xD8 <= data[2 * end - 1] <= 0xDB:
            end -= 1
        parts.append(data[2 * start : 2 * end].decode("utf-16-le"))
        start = end
    parts.append(data[2 * start :].decode("utf-16-le"))
    return tuple(parts)


def _split_utf16_clusters(body: str, clusters: list[str]) -> tuple[str, ...]:
    """Greedy UCS-2 parts of whole grapheme clusters, for valid text (no surrogate code points).

    Measuring every cluster in Python would cost more than all the rest of a create request;
    instead each part is cut as ``_split_utf16`` cuts it, at 67 units without splitting a
    surrogate pair, and the cut then steps back to the last cluster boundary before it. The
    boundaries are running sums of the cluster lengths, computed in C; the CR LF in the middle
    of a ``"\\r\\n"`` cluster is one too, as the calculator counts CR and LF apart.
    """
    ends = list(itertools.accumulate(map(len, clusters)))
    if "\r\n" in body:
        ends = sorted({*ends, *(m.start() + 1 for m in _CRLF_FINDITER(body))})
    data = body.encode("utf-16-le")
    parts: list[str] = []
    start = unit = 0  # the part's start, in code points and in UTF-16 units
    length = len(data) // 2
    while length - unit > _UCS2_PART:
        end_unit = unit + _UCS2_PART
        if 0xD8 <= data[2 * end_unit - 1] <= 0xDB:
            end_unit -= 1
        end = start + len(data[2 * unit : 2 * end_unit].decode("utf-16-le"))
        boundary = ends[bisect.bisect_right(ends, end) - 1]
        if boundary > start:  # else one cluster is longer than a part: cut it where it is
            end = boundary
        part = body[start:end]
        parts.append(part)
        start, unit = end, unit + len(part.encode("utf-16-le")) // 2
    parts.append(body[start:])
    return tuple(parts)


_CRLF_FINDITER = re.compile("\r\n").finditer


def _split_clusters(clusters: list[str]) -> tuple[str, ...]:
    """Greedy UCS-2 parts made of whole grapheme clusters.

    The clusters are slices of the body, in order, so the parts join back into it exactly. Two
    adjustments come first: CR LF is counted as two characters, as Twilio's calculator counts
    it; and a high and a low surrogate held as two code points (which a Python str allows, and
    which ``\\X`` sees as two clusters) are one character on the wire, so they are rejoined.
    """
    parts: list[str] = []
    current: list[str] = []
    used = 0
    pending = ""  # a high surrogate waiting for its low half
    for cluster in clusters:
        if pending:
            if _is_low(cluster[0]):
                cluster = pending + cluster
            else:
                used = _add(parts, current, used, pending, 1)
            pending = ""
        if cluster == "\r\n":
            used = _add(parts, current, used, "\r", 1)
            used = _add(parts, current, used, "\n", 1)
            continue
        if len(cluster) == 1 and _is_high(cluster):
            pending = cluster
            continue
        width = _utf16_units(cluster)
        if width <= _UCS2_PART:
            used = _add(parts, current, used, cluster, width)
        else:  # too long for any part: it starts a part of its own, and is cut where it must be
            if current:
                parts.append("".join(current))
                current.clear()
                used = 0
            for char in _code_point_atoms(cluster):
                used = _add(parts, current, used, char, _utf16_units(char))
    if pending:
        used = _add(parts, current, used, pending, 1)
    parts.append("".join(current))
    return tuple(parts)


def _add(parts: list[str], current: list[str], used: int, atom: str, width: int) -> int:
    """Append ``atom`` to the part being filled, first closing that part if it has no room."""
    if used + width > _UCS2_PART:
        parts.append("".join(current))
        current.clear()
        used = 0
    current.append(atom)
    return used + width


def _code_point_atoms(text: str) -> list[str]:
    """Code points, with a surrogate pair held as two code points kept as one atom."""
    atoms: list[str] = []
    index, length = 0, len(text)
    while index < length:
        step = 2 if _is_high(text[index]) and index + 1 < length and _is_low(text[index + 1]) else 1
        atoms.append(text[index : index + step])
        index += step
    return atoms


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _is_high(char: str) -> bool:
    return "\ud800" <= char <= "\udbff"


def _is_low(char: str) -> bool:
    return "\udc00" <= char <= "\udfff"
