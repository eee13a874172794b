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

Twilio's ``SmartEncoded`` option first swaps Unicode look-alikes (curly quotes, long dashes,
exotic spaces...) for GSM-7 characters, because one stray smart quote pasted from a word
processor otherwise turns a 1-segment message into a 3-segment UCS-2 one.

Everything here is a pure function of its input; ``segment`` runs on every API request, so the
hot paths lean on C-level string operations and per-character loops only run when they must.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

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
# Each entry replaces a character that is *not* GSM-7 with GSM-7 text that reads the same.
# The table follows the one Twilio publishes in its message segment calculator, with these
# deliberate differences, each because the calculator's entry changes what the text says:
#
# * Combining marks (U+0302 COMBINING CIRCUMFLEX -> "^", U+0303 COMBINING TILDE -> "~", ...) are
#   left alone: they belong to the letter before them, so mapping them turns a decomposed "ñ"
#   into "n~". Instead, decomposed letters that GSM-7 has precomposed (e + U+0301 -> é) are
#   composed; see ``_DECOMPOSED_GSM7``.
# * ZERO WIDTH JOINER / NON-JOINER and bidi marks are left alone: they glue emoji sequences and
#   shape Arabic, Persian and Indic text, none of which GSM-7 can carry anyway.
# * Spacing characters become one space (the calculator writes two for NO-BREAK SPACE and seven
#   for TAB); LINE/PARAGRAPH SEPARATOR and NEXT LINE become a line feed, as they break lines.
# * ‚ (SINGLE LOW-9 QUOTATION MARK) is a quote, so it becomes ' rather than ","; ‹ › become '
#   (as « » become ") rather than the calculator's reversed "> <"; ‗ (DOUBLE LOW LINE) is "_";
#   vertical-form commas (U+FE10, U+FE11) are ",".
# * Invisible control characters (C0 other than TAB, LF, FF and CR; DEL; C1 other than NEXT
#   LINE) are removed; the calculator maps a handful of them to spaces and keeps the rest.
# * Fullwidth forms cover all of U+FF01-U+FF5E (the calculator has no fullwidth lowercase).
_SMART_ENCODING_ENTRIES: dict[str, str] = {
    # Double quotation marks and their look-alikes.
    "\u00ab": '"',  # « LEFT-POINTING DOUBLE ANGLE QUOTATION MARK
    "\u00bb": '"',  # » RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK
    "\u201c": '"',  # “ LEFT DOUBLE QUOTATION MARK
    "\u201d": '"',  # ” RIGHT DOUBLE QUOTATION MARK
    "\u201e": '"',  # „ DOUBLE LOW-9 QUOTATION MARK
    "\u201f": '"',  # ‟ DOUBLE HIGH-REVERSED-9 QUOTATION MARK
    "\u2033": '"',  # ″ DOUBLE PRIME
    "\u2036": '"',  # ‶ REVERSED DOUBLE PRIME
    "\u02ba": '"',  # ʺ MODIFIER LETTER DOUBLE PRIME
    "\u02ee": '"',  # ˮ MODIFIER LETTER DOUBLE APOSTROPHE
    "\u275d": '"',  # ❝ HEAVY DOUBLE TURNED COMMA QUOTATION MARK ORNAMENT
    "\u275e": '"',  # ❞ HEAVY DOUBLE COMMA QUOTATION MARK ORNAMENT
    "\u301d": '"',  # 〝 REVERSED DOUBLE PRIME QUOTATION MARK
    "\u301e": '"',  # 〞 DOUBLE PRIME QUOTATION MARK
    "\u301f": '"',  # 〟 LOW DOUBLE PRIME QUOTATION MARK
    # Single quotation marks, apostrophes, primes and accents used as apostrophes.
    "\u2018": "'",  # ‘ LEFT SINGLE QUOTATION MARK
    "\u2019": "'",  # ’ RIGHT SINGLE QUOTATION MARK
    "\u201a": "'",  # ‚ SINGLE LOW-9 QUOTATION MARK
    "\u201b": "'",  # ‛ SINGLE HIGH-REVERSED-9 QUOTATION MARK
    "\u2039": "'",  # ‹ SINGLE LEFT-POINTING ANGLE QUOTATION MARK
    "\u203a": "'",  # › SINGLE RIGHT-POINTING ANGLE QUOTATION MARK
    "\u2032": "'",  # ′ PRIME
    "\u2035": "'",  # ‵ REVERSED PRIME
    "\u02b9": "'",  # ʹ MODIFIER LETTER PRIME
    "\u02bb": "'",  # ʻ MODIFIER LETTER TURNED COMMA
    "\u02bc": "'",  # ʼ MODIFIER LETTER APOSTROPHE
    "\u02bd": "'",  # ʽ MODIFIER LETTER REVERSED COMMA
    "\u02c8": "'",  # ˈ MODIFIER LETTER VERTICAL LINE
    "\u02ca": "'",  # ˊ MODIFIER LETTER ACUTE ACCENT
    "\u02cb": "'",  # ˋ MODIFIER LETTER GRAVE ACCENT
    "\u00b4": "'",  # ´ ACUTE ACCENT
    "`": "'",  # GRAVE ACCENT: ASCII, but not in GSM-7
    "\u275b": "'",  # ❛ HEAVY SINGLE TURNED COMMA QUOTATION MARK ORNAMENT
    "\u275c": "'",  # ❜ HEAVY SINGLE COMMA QUOTATION MARK ORNAMENT
    # Dashes, hyphens, minus signs and bullets.
    "\u2010": "-",  # ‐ HYPHEN
    "\u2011": "-",  # ‑ NON-BREAKING HYPHEN
    "\u2012": "-",  # ‒ FIGURE DASH
    "\u2013": "-",  # – EN DASH
    "\u2014": "-",  # — EM DASH
    "\u2015": "-",  # ― HORIZONTAL BAR
    "\u2e3a": "-",  # ⸺ TWO-EM DASH
    "\u2e3b": "-",  # ⸻ THREE-EM DASH
    "\u2212": "-",  # − MINUS SIGN
    "\ufe58": "-",  # ﹘ SMALL EM DASH
    "\ufe63": "-",  # ﹣ SMALL HYPHEN-MINUS
    "\u23bc": "-",  # ⎼ HORIZONTAL SCAN LINE-7
    "\u23bd": "-",  # ⎽ HORIZONTAL SCAN LINE-9
    "\u2022": "-",  # • BULLET
    "\u2023": "-",  # ‣ TRIANGULAR BULLET
    "\u2043": "-",  # ⁃ HYPHEN BULLET
    "\u2219": "-",  # ∙ BULLET OPERATOR
    "\u25e6": "-",  # ◦ WHITE BULLET
    # Spaces: every visible-width space becomes SPACE; line breakers become LINE FEED.
    "\t": " ",  # CHARACTER TABULATION: not in GSM-7
    "\u00a0": " ",  # NO-BREAK SPACE
    "\u1680": " ",  # OGHAM SPACE MARK
    "\u2000": " ",  # EN QUAD
    "\u2001": " ",  # EM QUAD
    "\u2002": " ",  # EN SPACE
    "\u2003": " ",  # EM SPACE
    "\u2004": " ",  # THREE-PER-EM SPACE
    "\u2005": " ",  # FOUR-PER-EM SPACE
    "\u2006": " ",  # SIX-PER-EM SPACE
    "\u2007": " ",  # FIGURE SPACE
    "\u2008": " ",  # PUNCTUATION SPACE
    "\u2009": " ",  # THIN SPACE
    "\u200a": " ",  # HAIR SPACE
    "\u202f": " ",  # NARROW NO-BREAK SPACE
    "\u205f": " ",  # MEDIUM MATHEMATICAL SPACE
    "\u3000": " ",  # IDEOGRAPHIC SPACE
    "\u0085": "\n",  # NEXT LINE (NEL)
    "\u2028": "\n",  # LINE SEPARATOR
    "\u2029": "\n",  # PARAGRAPH SEPARATOR
    # Invisible characters with no meaning in a text message: removed.
    "\u00ad": "",  # SOFT HYPHEN
    "\u180e": "",  # MONGOLIAN VOWEL SEPARATOR
    "\u200b": "",  # ZERO WIDTH SPACE
    "\u2060": "",  # WORD JOINER
    "\ufeff": "",  # ZERO WIDTH NO-BREAK SPACE (byte order mark)
    # Dots.
    "\u2026": "...",  # … HORIZONTAL ELLIPSIS
    "\u2024": ".",  # ․ ONE DOT LEADER
    "\u2025": "..",  # ‥ TWO DOT LEADER
    "\u3002": ".",  # 。 IDEOGRAPHIC FULL STOP
    "\ufe52": ".",  # ﹒ SMALL FULL STOP
    "\uff61": ".",  # ｡ HALFWIDTH IDEOGRAPHIC FULL STOP
    # Other punctuation.
    "\u203c": "!!",  # ‼ DOUBLE EXCLAMATION MARK
    "\u2047": "??",  # ⁇ DOUBLE QUESTION MARK
    "\u2048": "?!",  # ⁈ QUESTION EXCLAMATION MARK
    "\u2049": "!?",  # ⁉ EXCLAMATION QUESTION MARK
    "\u01c3": "!",  # ǃ LATIN LETTER RETROFLEX CLICK
    "\ufe15": "!",  # ︕ PRESENTATION FORM FOR VERTICAL EXCLAMATION MARK
    "\ufe57": "!",  # ﹗ SMALL EXCLAMATION MARK
    "\ufe16": "?",  # ︖ PRESENTATION FORM FOR VERTICAL QUESTION MARK
    "\ufe56": "?",  # ﹖ SMALL QUESTION MARK
    "\ufe10": ",",  # ︐ PRESENTATION FORM FOR VERTICAL COMMA
    "\ufe11": ",",  # ︑ PRESENTATION FORM FOR VERTICAL IDEOGRAPHIC COMMA
    "\ufe50": ",",  # ﹐ SMALL COMMA
    "\ufe51": ",",  # ﹑ SMALL IDEOGRAPHIC COMMA
    "\u3001": ",",  # 、 IDEOGRAPHIC COMMA
    "\uff64": ",",  # ､ HALFWIDTH IDEOGRAPHIC COMMA
    "\u02d0": ":",  # ː MODIFIER LETTER TRIANGULAR COLON
    "\u02f8": ":",  # ˸ MODIFIER LETTER RAISED COLON
    "\u2982": ":",  # ⦂ Z NOTATION TYPE COLON
    "\ua789": ":",  # ꞉ MODIFIER LETTER COLON
    "\ufe13": ":",  # ︓ PRESENTATION FORM FOR VERTICAL COLON
    "\ufe55": ":",  # ﹕ SMALL COLON
    "\u204f": ";",  # ⁏ REVERSED SEMICOLON
    "\ufe14": ";",  # ︔ PRESENTATION FORM FOR VERTICAL SEMICOLON
    "\ufe54": ";",  # ﹔ SMALL SEMICOLON
    "\u2768": "(",  # ❨ MEDIUM LEFT PARENTHESIS ORNAMENT
    "\u276a": "(",  # ❪ MEDIUM FLATTENED LEFT PARENTHESIS ORNAMENT
    "\u27ee": "(",  # ⟮ MATHEMATICAL LEFT FLATTENED PARENTHESIS
    "\u2985": "(",  # ⦅ LEFT WHITE PARENTHESIS
    "\ufe59": "(",  # ﹙ SMALL LEFT PARENTHESIS
    "\u2769": ")",  # ❩ MEDIUM RIGHT PARENTHESIS ORNAMENT
    "\u276b": ")",  # ❫ MEDIUM FLATTENED RIGHT PARENTHESIS ORNAMENT
    "\u27ef": ")",  # ⟯ MATHEMATICAL RIGHT FLATTENED PARENTHESIS
    "\u2986": ")",  # ⦆ RIGHT WHITE PARENTHESIS
    "\ufe5a": ")",  # ﹚ SMALL RIGHT PARENTHESIS
    "\u2774": "{",  # ❴ MEDIUM LEFT CURLY BRACKET ORNAMENT
    "\ufe5b": "{",  # ﹛ SMALL LEFT CURLY BRACKET
    "\u2775": "}",  # ❵ MEDIUM RIGHT CURLY BRACKET ORNAMENT
    "\ufe5c": "}",  # ﹜ SMALL RIGHT CURLY BRACKET
    "\u204e": "*",  # ⁎ LOW ASTERISK
    "\u2217": "*",  # ∗ ASTERISK OPERATOR
    "\u229b": "*",  # ⊛ CIRCLED ASTERISK OPERATOR
    "\u2722": "*",  # ✢ FOUR TEARDROP-SPOKED ASTERISK
    "\u2723": "*",  # ✣ FOUR BALLOON-SPOKED ASTERISK
    "\u2724": "*",  # ✤ HEAVY FOUR BALLOON-SPOKED ASTERISK
    "\u2725": "*",  # ✥ FOUR CLUB-SPOKED ASTERISK
    "\u2731": "*",  # ✱ HEAVY ASTERISK
    "\u2732": "*",  # ✲ OPEN CENTRE ASTERISK
    "\u2733": "*",  # ✳ EIGHT SPOKED ASTERISK
    "\u273a": "*",  # ✺ SIXTEEN POINTED ASTERISK
    "\u273b": "*",  # ✻ TEARDROP-SPOKED ASTERISK
    "\u273c": "*",  # ✼ OPEN CENTRE TEARDROP-SPOKED ASTERISK
    "\u273d": "*",  # ✽ HEAVY TEARDROP-SPOKED ASTERISK
    "\u2743": "*",  # ❃ HEAVY TEARDROP-SPOKED PINWHEEL ASTERISK
    "\u2749": "*",  # ❉ BALLOON-SPOKED ASTERISK
    "\u274a": "*",  # ❊ EIGHT TEARDROP-SPOKED PROPELLER ASTERISK
    "\u274b": "*",  # ❋ HEAVY EIGHT TEARDROP-SPOKED PROPELLER ASTERISK
    "\u29c6": "*",  # ⧆ SQUARED ASTERISK
    "\ufe61": "*",  # ﹡ SMALL ASTERISK
    "\u02d6": "+",  # ˖ MODIFIER LETTER PLUS SIGN
    "\ufe62": "+",  # ﹢ SMALL PLUS SIGN
    "\ufe64": "<",  # ﹤ SMALL LESS-THAN SIGN
    "\ufe65": ">",  # ﹥ SMALL GREATER-THAN SIGN
    "\ua78a": "=",  # ꞊ MODIFIER LETTER SHORT EQUALS SIGN
    "\ufe66": "=",  # ﹦ SMALL EQUALS SIGN
    "\ufe5f": "#",  # ﹟ SMALL NUMBER SIGN
    "\ufe60": "&",  # ﹠ SMALL AMPERSAND
    "\ufe69": "$",  # ﹩ SMALL DOLLAR SIGN
    "\ufe6a": "%",  # ﹪ SMALL PERCENT SIGN
    "\ufe6b": "@",  # ﹫ SMALL COMMERCIAL AT
    "\u00f7": "/",  # ÷ DIVISION SIGN
    "\u2044": "/",  # ⁄ FRACTION SLASH
    "\u2215": "/",  # ∕ DIVISION SLASH
    "\u29f8": "/",  # ⧸ BIG SOLIDUS
    "\u29f5": "\\",  # ⧵ REVERSE SOLIDUS OPERATOR
    "\u29f9": "\\",  # ⧹ BIG REVERSE SOLIDUS
    "\ufe68": "\\",  # ﹨ SMALL REVERSE SOLIDUS
    "\u2017": "_",  # ‗ DOUBLE LOW LINE
    "\u02c6": "^",  # ˆ MODIFIER LETTER CIRCUMFLEX ACCENT
    "\u02dc": "~",  # ˜ SMALL TILDE
    "\u02f7": "~",  # ˷ MODIFIER LETTER LOW TILDE
    "\u223c": "~",  # ∼ TILDE OPERATOR
    "\u2223": "|",  # ∣ DIVIDES
    "\u239c": "|",  # ⎜ LEFT PARENTHESIS EXTENSION
    "\u239f": "|",  # ⎟ RIGHT PARENTHESIS EXTENSION
    "\u23b8": "|",  # ⎸ LEFT VERTICAL BOX LINE
    "\u23b9": "|",  # ⎹ RIGHT VERTICAL BOX LINE
    "\u23d0": "|",  # ⏐ VERTICAL LINE EXTENSION
    # Vulgar fractions.
    "\u00bc": "1/4",  # ¼ VULGAR FRACTION ONE QUARTER
    "\u00bd": "1/2",  # ½ VULGAR FRACTION ONE HALF
    "\u00be": "3/4",  # ¾ VULGAR FRACTION THREE QUARTERS
    # Small capitals read as capitals.
    "\u1d00": "A",  # ᴀ
    "\u0299": "B",  # ʙ
    "\u1d04": "C",  # ᴄ
    "\u1d05": "D",  # ᴅ
    "\u1d07": "E",  # ᴇ
    "\ua730": "F",  # ꜰ
    "\u0262": "G",  # ɢ
    "\u029c": "H",  # ʜ
    "\u026a": "I",  # ɪ
    "\u1d0a": "J",  # ᴊ
    "\u1d0b": "K",  # ᴋ
    "\u029f": "L",  # ʟ
    "\u1d0d": "M",  # ᴍ
    "\u0274": "N",  # ɴ
    "\u1d0f": "O",  # ᴏ
    "\u1d18": "P",  # ᴘ
    "\u0280": "R",  # ʀ
    "\ua731": "S",  # ꜱ
    "\u1d1b": "T",  # ᴛ
    "\u1d1c": "U",  # ᴜ
    "\u1d20": "V",  # ᴠ
    "\u1d21": "W",  # ᴡ
    "\u028f": "Y",  # ʏ
    "\u1d22": "Z",  # ᴢ
}

# Fullwidth forms U+FF01-U+FF5E are ASCII U+0021-U+007E shifted by 0xFEE0; all of them land on
# GSM-7 except the grave accent, which goes through the table like its ASCII twin.
_SMART_ENCODING_ENTRIES.update(
    {
        chr(code + 0xFEE0): _SMART_ENCODING_ENTRIES.get(chr(code), chr(code))
        for code in range(0x21, 0x7F)
    }
)
# Control characters nobody can see: C0 (but TAB, which became a space above, and LF, FF and
# CR, which GSM-7 carries), DEL, and C1 (but NEXT LINE, a line break above).
_SMART_ENCODING_ENTRIES.update(
    {
        chr(code): ""
        for code in [*range(0x20), *range(0x7F, 0xA0)]
        if chr(code) not in _GSM7_ALL and chr(code) not in _SMART_ENCODING_ENTRIES
    }
)

SMART_ENCODING_TABLE: Mapping[str, str] = MappingProxyType(_SMART_ENCODING_ENTRIES)
"""Every character smart encoding rewrites, and the GSM-7 text it becomes ("" = removed)."""

_SMART_KEYS_SEARCH = re.compile(f"[{re.escape(''.join(_SMART_ENCODING_ENTRIES))}]").search
_SMART_TRANSLATION: dict[int, str] = {
    ord(char): text for char, text in _SMART_ENCODING_ENTRIES.items()
}

# Decomposed spellings (base letter + combining mark, as macOS and some keyboards produce) of
# the accented letters GSM-7 has precomposed: "e" + U+0301 reads as "é" but costs UCS-2.
_DECOMPOSED_GSM7: dict[str, str] = {
    decomposed: char
    for char in sorted(_GSM7_BASIC)
    if len(decomposed := unicodedata.normalize("NFD", char)) == 2
}
_COMBINING_MARKS_SEARCH = re.compile(
    f"[{re.escape(''.join(sorted({pair[1] for pair in _DECOMPOSED_GSM7})))}]"
).search


def smart_encode(text: str) -> str:
    """Rewrite Unicode look-alikes as GSM-7, as Twilio's ``SmartEncoded=true`` does.

    Each character in :data:`SMART_ENCODING_TABLE` becomes its replacement, and a decomposed
    accented letter that GSM-7 has precomposed is composed. Characters with no GSM-7 stand-in
    (emoji, other scripts) are kept, so such a message still goes as UCS-2, only with its
    look-alikes tidied. Every rewrite reads the same as the original; none changes a word.

    Composition runs after the table so that a removed invisible character between a letter
    and its accent cannot leave a composable pair behind; that makes the function idempotent.
    """
    if _GSM7_ALL.issuperset(text):
        return text  # the common case: no table key and no combining mark is GSM-7
    # translate() looks every character up in a dict, and a set test materialises every
    # character as an object; one C-level regex scan of the buffer is much cheaper than either
    # on the long Cyrillic, CJK or emoji bodies that have nothing to rewrite.
    if _SMART_KEYS_SEARCH(text):
        text = text.translate(_SMART_TRANSLATION)
    if _COMBINING_MARKS_SEARCH(text):
        for decomposed, composed in _DECOMPOSED_GSM7.items():
            text = text.replace(decomposed, composed)
    return text


# --- Segmentation -----------------------------------------------------------------------------


def segment(body: str, *, smart_encoded: bool = False) -> Segmentation:
    """Split ``body`` into the parts a carrier sends, choosing GSM-7 or UCS-2 as Twilio does.

    A body that fits a single message (160 septets / 70 units) is one part. Otherwise parts are
    filled greedily to 153 septets / 67 units, but an extension character (ESC + septet) and a
    surrogate pair are atomic, so a part may end one unit short rather than split them. An
    empty body has no parts and is reported as GSM-7, which is what Twilio reports for it.
    """
    if smart_encoded:
        body = smart_encode(body)
    if not body:
        return Segmentation("GSM-7", (), 0)
    if _GSM7_ALL.issuperset(body):
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
    if _SURROGATE_SEARCH(body):
        return Segmentation("UCS-2", _split_ucs2_code_points(body), units)
    if units == len(body):
        return Segmentation("UCS-2", _slices(body, _UCS2_PART), units)
    return Segmentation("UCS-2", _split_utf16(body), units)


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


def _split_ucs2_code_points(body: str) -> tuple[str, ...]:
    """Greedy UCS-2 parts for a str holding surrogate code points, which Python allows.

    A high and a low surrogate held as two code points are one character on the wire, so they
    are kept together; a lone surrogate is one unit. The parts must be slices of the str
    itself (not a UTF-16 round trip, which would fuse such a pair into one code point) so
    that they join back into exactly the body given.
    """
    parts: list[str] = []
    start = used = index = 0
    length = len(body)
    while index < length:
        char = body[index]
        step = 1
        if char > "\uffff":
            width = 2
        elif _is_high(char) and index + 1 < length and _is_low(body[index + 1]):
            width = step = 2
        else:
            width = 1
        if used + width > _UCS2_PART:
            parts.append(body[start:index])
            start, used = index, 0
        used += width
        index += step
    parts.append(body[start:])
    return tuple(parts)


def _is_high(char: str) -> bool:
    return "\ud800" <= char <= "\udbff"


def _is_low(char: str) -> bool:
    return "\udc00" <= char <= "\udfff"
