"""Vietnamese text normalisation: NFC storage form and the folded search key."""

from __future__ import annotations

import unicodedata

_D_MAP = str.maketrans({"đ": "d", "Đ": "d"})


def nfc(text: str) -> str:
    """Return *text* in NFC with surrounding whitespace removed and inner runs of spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def fold(text: str) -> str:
    """Fold for search: NFC, lower case, ``đ``→``d``, tone and vowel marks removed, spaces collapsed.

    ``fold("ĐẶNG Thị Lưu") == "dang thi luu"``.
    """
    lowered = unicodedata.normalize("NFC", text).lower().translate(_D_MAP)
    stripped = "".join(
        ch for ch in unicodedata.normalize("NFD", lowered) if unicodedata.category(ch) != "Mn"
    )
    return " ".join(stripped.split())


def given_name(full_name: str) -> str:
    """The given name is the last word of a Vietnamese full name (family – middle – given)."""
    parts = nfc(full_name).split(" ")
    return parts[-1] if parts else ""


def sort_key(full_name: str) -> str:
    """A stored sort key for SQL ordering: folded given name first, then the whole folded name."""
    folded = fold(full_name)
    words = folded.split(" ")
    return f"{words[-1]} {folded}" if folded else ""
