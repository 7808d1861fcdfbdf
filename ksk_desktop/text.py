"""Vietnamese text normalisation: NFC storage form and the folded search key."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_D_MAP = str.maketrans({"đ": "d", "Đ": "d"})


def nfkc(text: str) -> str:
    r"""*text* in NFKC: full-width and other compatibility forms become plain ones (``０３１`` → ``031``, ``Ｅ`` → ``E``).
    For identifiers, numbers and dates only, before they are checked against ASCII patterns (Python's ``\d``
    and ``str.isdigit`` accept any script's digits). A digit of another script stays as it is and fails."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def is_ascii_digits(text: str) -> bool:
    """Only 0–9, at least one (``str.isdigit`` alone would also take ``٣`` or ``²``)."""
    return text.isascii() and text.isdigit()


def nfc(text: str) -> str:
    """Return *text* in NFC with surrounding whitespace removed and inner runs of spaces collapsed."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    # Fast path (most cells of a 100,000-row import): nothing to strip or collapse. Tabs, newlines and
    # Unicode spaces such as U+00A0 are not printable, so they take the slow path.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


@lru_cache(maxsize=131072)  # the words of Vietnamese names and places repeat endlessly
def _fold_word(word: str) -> str:
    lowered = unicodedata.normalize("NFC", word).lower().translate(_D_MAP)
    return "".join(ch for ch in unicodedata.normalize("NFD", lowered) if unicodedata.category(ch) != "Mn")


def fold(text: str) -> str:
    """Fold for search: NFC, lower case, ``đ``→``d``, tone and vowel marks removed, spaces collapsed.

    ``fold("ĐẶNG Thị Lưu") == "dang thi luu"``.
    """
    # Folding works letter by letter, so folding word by word (cached) gives the same result.
    words = list(map(_fold_word, text.split()))
    if "" in words:  # a "word" of marks only folds to nothing
        words = [w for w in words if w]
    return " ".join(words)


def given_name(full_name: str) -> str:
    """The given name is the last word of a Vietnamese full name (family – middle – given)."""
    parts = nfc(full_name).split(" ")
    return parts[-1] if parts else ""


# Vietnamese alphabetical order: letters with breve, circumflex or horn and đ are letters of their own.
_ALPHABET = "a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z".split()
_LETTER_RANK = {letter: i for i, letter in enumerate(_ALPHABET)}
_MODIFIERS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn: part of the letter
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng


@lru_cache(maxsize=65536)  # names repeat a few thousand words over and over
def _collation_parts(word: str) -> tuple[str, str]:
    """Primary (letters) and secondary (tones) keys of one lower-case word, as sortable ASCII strings."""
    primary, tones = [], []
    for ch in word:
        decomposed = unicodedata.normalize("NFD", ch)
        base = "".join(c for c in decomposed if c not in _TONES)
        letter = unicodedata.normalize("NFC", base)
        tone = next((_TONES[c] for c in decomposed if c in _TONES), 0)
        rank = _LETTER_RANK.get(letter)
        if rank is not None:
            primary.append(chr(0x41 + rank))  # one ASCII character per letter, in alphabet order
        elif letter.isdigit():
            primary.append(letter)  # digits sort before letters
        else:
            continue  # punctuation does not take part in the order
        tones.append(str(tone))
    return "".join(primary), "".join(tones)


@lru_cache(maxsize=65536)  # given names and family + middle names repeat: "Nguyễn Văn", "Anh"
def collation_key(text: str) -> str:
    """A key that sorts Vietnamese like a person would: An < Anh < Ánh < Ân < Bình < Dũng < Đạt."""
    words = nfc(text).lower().split(" ")
    parts = [_collation_parts(w) for w in words if w]
    # Letters of every word first, tones only to break ties (so "Anh" < "Ánh" < "Ân"). The separators are
    # below every letter, so a shorter word sorts first ("An" < "Anh").
    return " ".join(p for p, _ in parts) + "\x1f" + " ".join(t for _, t in parts)


def sort_key(full_name: str) -> str:
    """The stored list order: by given name (the last word), then family and middle names, in Vietnamese order."""
    name = nfc(full_name)
    if not name:
        return ""
    words = name.split(" ")
    return collation_key(words[-1]) + "\x1e" + collation_key(" ".join(words[:-1]))
