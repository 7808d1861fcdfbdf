"""Scanner and decoder artefacts in CCCD text: mojibake repair, stray characters, input-method leftovers.

Pure functions on ``str``; nothing here knows the payload's field layout (that is ``payload.py``).
"""

from __future__ import annotations

import re
import unicodedata

from ksk_desktop.text import fold

# --- The characters a CCCD payload can legitimately contain ---------------------------------------------

_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_VOWELS = {unicodedata.normalize("NFC", b + t) for b in "aăâeêioôơuưy" for t in _TONES}
_LOWER = _VOWELS | set("bcdđghklmnpqrstvx") | set("fjwz")
VIETNAMESE_LETTERS = frozenset(_LOWER | {c.upper() for c in _LOWER})
# Combining marks of Vietnamese, so NFD input is not mistaken for mojibake before normalisation.
_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b")
_PUNCT = frozenset("\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u00b7")
_PLAUSIBLE = (
    frozenset(chr(c) for c in range(0x20, 0x7F)) | frozenset("\t\r\n") | VIETNAMESE_LETTERS | _MARKS | _PUNCT
)

# cp1252 puts printable characters at 0x80–0x9F; Windows decoders emit them instead of C1 controls.
_CP1252_TO_BYTE = {}
for _b in range(0x80, 0xA0):
    _ch = bytes([_b]).decode("cp1252", errors="ignore")
    if _ch:
        _CP1252_TO_BYTE[ord(_ch)] = chr(_b)
del _b, _ch

# Decoders that QR libraries fall back to when they guess the encoding wrong (zbar: ISO-8859-1, SJIS, Big5…).
_CJK_CODECS = ("cp932", "shift_jis", "big5", "gbk", "gb18030", "euc_kr")

# What remains of UTF-8 Vietnamese read as Latin-1/cp1252 when the repair was impossible (bytes were lost).
# ("á»"/"áº" start every precomposed Vietnamese letter U+1E00–U+1EFF.)
_LATIN_SIGNATURE = re.compile(
    "[\u00c2\u00c3\u00c4\u00c5\u00c6][\u0080-\u00bf"
    + "".join(map(chr, _CP1252_TO_BYTE))
    + "]|\u00e1[\u00ba\u00bb]"
)
_CJK = re.compile(
    "[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff01-\uff0e\uff1a-\uff5b\uff5d-\uffef]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
# Controls and invisible format characters (C0 except TAB/CR/LF, DEL, C1, zero-width, BOM, bidi marks).
_STRAY = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ufff9-\ufffb]"
)

# Fullwidth digits and slash come from an input method left in full-width mode; they mean the same thing.
_FULLWIDTH = str.maketrans({0xFF10 + i: str(i) for i in range(10)} | {0xFF0F: "/"})


def implausible_count(text: str) -> int:
    """How many characters of *text* cannot occur in a Vietnamese CCCD payload."""
    return sum(1 for ch in text if ch not in _PLAUSIBLE)


def _damage(text: str) -> int:
    # "Ã" and "‘" are each plausible alone; the pair "Ã\xa0" / "Ä‘" is still mojibake, so count it too.
    return implausible_count(text) + 2 * len(_LATIN_SIGNATURE.findall(text))


def has_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def _latin_bytes(text: str) -> bytes:
    """The bytes a Latin-1 or cp1252 decoder would have turned into *text*."""
    return text.translate(_CP1252_TO_BYTE).encode("latin-1")


def _candidates(text: str) -> list[str]:
    out: list[str] = []
    try:
        out.append(_latin_bytes(text).decode("utf-8"))
    except UnicodeError:
        pass
    if _CJK.search(text):
        for codec in _CJK_CODECS:
            try:
                out.append(text.encode(codec).decode("utf-8"))
            except UnicodeError:
                continue
    return out


def repair_mojibake(text: str) -> tuple[str, bool]:
    """Undo UTF-8 bytes that a decoder read as Latin-1/cp1252 or Shift-JIS/Big5/GBK.

    A candidate is kept only when it decodes as strict UTF-8 *and* has fewer implausible characters, so
    genuine Vietnamese text (which never re-encodes to valid UTF-8 that way) is left alone. Repeated up to
    three times for text that went through two wrong decoders. Returns (text, repaired?).
    """
    repaired = False
    for _ in range(3):
        score = _damage(text)
        if score == 0:
            break
        best = min(_candidates(text), key=_damage, default=None)
        if best is None or _damage(best) >= score:
            break
        text, repaired = best, True
    return text, repaired


def is_lossy(text: str) -> bool:
    """True when the text still carries decoder damage that cannot be undone (a re-scan is needed)."""
    return "\ufffd" in text or _CJK.search(text) is not None or _LATIN_SIGNATURE.search(text) is not None


def remove_stray(text: str) -> str:
    """Drop control and invisible characters; TAB becomes a space. CR/LF are kept for the line logic."""
    return _STRAY.sub("", text).replace("\t", " ").translate(_FULLWIDTH)


# --- Input-method (Telex/VNI) leftovers ---------------------------------------------------------------

_TELEX_DOUBLES = re.compile(r"(?i)aa|ee|dd")
_U_HORN = frozenset(unicodedata.normalize("NFC", "ư" + t) for t in _TONES)


def _base(ch: str) -> str:
    return fold(ch)


def _is_compose_step(prev: str, cur: str) -> bool:
    """Two adjacent letters that are successive compose steps of one letter (``D``→``Đ``, ``a``→``ă``→``ặ``)."""
    if not (prev.isalpha() and cur.isalpha()) or prev.lower() == cur.lower():
        return False
    b = _base(prev)
    if b != _base(cur) or len(b) != 1:
        return False
    # "ưu" is ordinary Vietnamese (Lưu, cứu, hưu): a horned u followed by a plain u is not an artefact.
    return not (prev.lower() in _U_HORN and cur.lower() == "u")


def ime_artefacts(text: str, *, telex: bool = True) -> list[str]:
    """Fragments of *text* that look like input-method leftovers: ``DĐ``, ``aă``, ``ôỗ``, Telex ``dd``/``aa``.

    *telex* also reports doubled ``aa``/``ee``/``dd``, never Vietnamese in a name but possible in an address
    ("Green Bay").
    """
    found: list[str] = []
    for prev, cur in zip(text, text[1:], strict=False):
        if _is_compose_step(prev, cur):
            found.append(prev + cur)
    if telex:
        found.extend(m.group(0) for m in _TELEX_DOUBLES.finditer(text))
    return list(dict.fromkeys(found))


def collapse_ime_artefacts(text: str) -> str:
    """Keep only the last compose step of each letter: ``DĐaăặng Hoôồng`` → ``Đặng Hồng``.

    A suggestion for the person to confirm, never applied silently to stored data.
    """
    out: list[str] = []
    for ch in text:
        if out and _is_compose_step(out[-1], ch):
            prev = out.pop()
            ch = ch.upper() if prev.isupper() else ch.lower()
        out.append(ch)
    return "".join(out)


def caps_lock_inverted(text: str) -> bool:
    """True when every word longer than one letter starts lower case and goes on in upper case."""
    words = [w for w in text.split() if len(w) > 1 and w.isalpha()]
    return bool(words) and all(w[0].islower() and w[1:].isupper() for w in words)
