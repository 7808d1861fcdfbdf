"""The ICD-10 catalogue with Vietnamese names: normalised codes, lookup, and search without diacritics.

The bundled list (``resources/catalogs/icd10/icd10-vi.csv``) holds the few hundred codes a commune station
uses in periodic exams and screening. A station can import the Ministry of Health's full list (the
``dmicdme`` sheet of the KSK template) with ``ksk icd import``; it is stored in the station folder
(``catalogs/icd10.csv``) and read on top of the bundled list, its wording winning for codes in both.

Codes are stored without the dagger/asterisk mark (``E10.5``); the mark is a separate field, and input is
accepted with or without it (``E10.5†``, ``E10.5+``, ``e105``).
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ksk_desktop.errors import InvalidInput, NotFound, Remedy
from ksk_desktop.resources import read_text
from ksk_desktop.text import fold, nfc, nfkc

BUNDLED_FILE = ("catalogs", "icd10", "icd10-vi.csv")
STATION_FILE = Path("catalogs") / "icd10.csv"  # inside the station's data folder
COLUMNS = ["code", "mark", "name", "aliases"]

DAGGER = "†"
ASTERISK = "*"
# "+" is how plain-ASCII lists write the dagger; "‡" turns up in some copies of the MoH list.
_MARKS = {"†": DAGGER, "+": DAGGER, "‡": DAGGER, "*": ASTERISK, "✱": ASTERISK}
# ASCII digits, matched in full (\d takes any script's digits, $ a final newline), on NFKC text (split_mark).
_CODE_RE = re.compile(r"([A-Z])([0-9]{2})(?:\.?([0-9]{1,2}))?")
_CODE_PREFIX_RE = re.compile(r"[A-Z][0-9]{0,2}(?:\.?[0-9]{0,2})?")
# The portal's own extraction pattern (vietnam.md §2.2): a code anywhere in a free-text field.
_CODE_IN_TEXT_RE = re.compile(r"[A-Za-z][0-9]{2}(?:\.[0-9]{1,4}|[0-9]{1,2})?[†*+]?")


@dataclass(frozen=True, slots=True)
class Icd10Code:
    """One catalogue entry: ``code`` without mark (``E10.5``), ``mark`` ``""``/``"†"``/``"*"``."""

    code: str
    name: str
    mark: str = ""
    aliases: str = ""

    def to_json(self) -> dict:
        return {"code": self.code, "name": self.name, "mark": self.mark}


def split_mark(text: str) -> tuple[str, str]:
    """(code text without spaces and marks, upper case; the mark found or "")."""
    cleaned = nfkc(nfc(str(text))).upper().replace(" ", "")
    mark = ""
    while cleaned and cleaned[-1] in _MARKS:
        mark = _MARKS[cleaned[-1]]
        cleaned = cleaned[:-1]
    return cleaned, mark


def normalize_code(text: str) -> str:
    """``" i10 "`` → ``"I10"``, ``"E119"`` → ``"E11.9"``, ``"E10.5†"`` → ``"E10.5"``; InvalidInput if not a code."""
    cleaned, _ = split_mark(text)
    match = _CODE_RE.fullmatch(cleaned)
    if not match:
        raise InvalidInput(f"“{nfc(str(text))}” không phải mã ICD-10 (ví dụ: I10, E11.9, E10.5†).")
    letter, digits, sub = match.groups()
    return f"{letter}{digits}.{sub}" if sub else f"{letter}{digits}"


def split_codes(text: str | None) -> list[str]:
    """The ICD codes in a field the way the portal reads it (``"I10; E11.9†, e78.5"`` → ``["I10", "E11.9", "E78.5"]``).

    Order kept, repeats dropped; anything that is not a code is ignored, as the portal does.
    """
    codes: list[str] = []
    for found in _CODE_IN_TEXT_RE.findall(nfkc(text or "")):
        code = normalize_code(found)
        if code not in codes:
            codes.append(code)
    return codes


def join_codes(codes: Iterable[str]) -> str:
    """Codes as the MoH template wants them in a disease column: separated by ``;`` (never ``,``)."""
    return ";".join(normalize_code(c) for c in codes)


def _key(code: str) -> str:
    return code.replace(".", "")


@dataclass
class Catalogue:
    """Entries by code plus the indexes search needs (sorted code keys; sorted folded words → entries)."""

    entries: dict[str, Icd10Code]
    _keys: list[str] = field(init=False, repr=False)
    _words: list[str] = field(init=False, repr=False)
    _postings: dict[str, set[str]] = field(init=False, repr=False)
    _alias_postings: dict[str, set[str]] = field(init=False, repr=False)
    _alias_words: list[str] = field(init=False, repr=False)
    _folded: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._keys = sorted(_key(c) for c in self.entries)
        self._postings, self._alias_postings, self._folded = {}, {}, {}
        for code, entry in self.entries.items():
            folded = fold(entry.name)
            self._folded[code] = folded
            for word in _words(folded):
                self._postings.setdefault(word, set()).add(code)
            for word in _words(fold(entry.aliases)):
                self._alias_postings.setdefault(word, set()).add(code)
        self._words = sorted(self._postings)
        self._alias_words = sorted(self._alias_postings)

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, code: str) -> Icd10Code | None:
        try:
            return self.entries.get(normalize_code(code))
        except InvalidInput:
            return None

    def search(self, query: str, limit: int = 20) -> list[Icd10Code]:
        """Exact code first, then codes starting with the query, then names whose words start with every
        query word (any order; names starting with the query phrase first), then common synonyms."""
        query = nfc(query)
        if not query or limit <= 0:
            return []
        ranked: dict[str, tuple] = {}
        cleaned, _ = split_mark(query)
        if _CODE_PREFIX_RE.fullmatch(cleaned):
            prefix = _key(cleaned)
            start = bisect.bisect_left(self._keys, prefix)
            for key in self._keys[start:]:
                if not key.startswith(prefix):
                    break
                code = _with_dot(key)
                ranked[code] = (0 if key == prefix else 1, len(key), key)
        tokens = _words(fold(query))
        if tokens:
            phrase = " ".join(tokens)
            for code in _matching(tokens, self._words, self._postings):
                folded = self._folded[code].removeprefix(
                    "benh "
                )  # "Bệnh đái tháo đường…" starts with the disease
                place = 0 if folded.startswith(phrase) else 1 if phrase in folded else 2
                ranked.setdefault(code, (2, place, _key(code)))
            for code in _matching(tokens, self._alias_words, self._alias_postings):
                ranked.setdefault(code, (3, 0, _key(code)))
        best = sorted(ranked, key=ranked.__getitem__)[:limit]
        return [self.entries[c] for c in best]


def _words(folded: str) -> list[str]:
    return [w for w in re.split(r"[^0-9a-z]+", folded) if w]


def _with_dot(key: str) -> str:
    return f"{key[:3]}.{key[3:]}" if len(key) > 3 else key


def _matching(tokens: list[str], words: list[str], postings: dict[str, set[str]]) -> set[str]:
    """Codes whose words include, for every token, a word starting with that token."""
    result: set[str] | None = None
    for token in tokens:
        hits: set[str] = set()
        start = bisect.bisect_left(words, token)
        for word in words[start:]:
            if not word.startswith(token):
                break
            hits |= postings[word]
        result = hits if result is None else result & hits
        if not result:
            return set()
    return result or set()


# -- reading catalogue files -----------------------------------------------------------------------------


def _parse_rows(text: str, source: str) -> dict[str, Icd10Code]:
    entries: dict[str, Icd10Code] = {}
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or not {"code", "name"} <= set(reader.fieldnames):
        raise ValueError(f"{source}: expected columns code,mark,name")
    for row in reader:
        code_text, found_mark = split_mark(row["code"])
        code = normalize_code(code_text)
        mark = _MARKS.get((row.get("mark") or "").strip(), "") or found_mark
        entries[code] = Icd10Code(code, nfc(row["name"]), mark, nfc(row.get("aliases") or ""))
    return entries


@cache
def _bundled_entries() -> dict[str, Icd10Code]:
    return _parse_rows(read_text(*BUNDLED_FILE), "/".join(BUNDLED_FILE))


@cache
def _bundled() -> Catalogue:
    return Catalogue(dict(_bundled_entries()))


def station_file(data_dir: Path) -> Path:
    """Where ``ksk icd import`` keeps a station's imported list."""
    return Path(data_dir) / STATION_FILE


@cache
def _with_station(path: Path, mtime_ns: int, size: int) -> Catalogue:
    # Keyed by the file's mtime and size, so a new import is picked up without a restart.
    extra = _parse_rows(path.read_text(encoding="utf-8"), str(path))
    merged = dict(_bundled_entries())
    for code, entry in extra.items():
        # The official wording wins; our search synonyms stay.
        known = merged.get(code)
        merged[code] = Icd10Code(code, entry.name, entry.mark, known.aliases if known else entry.aliases)
    return Catalogue(merged)


def catalogue(data_dir: Path | None = None) -> Catalogue:
    """The bundled catalogue, with the station's imported list on top when *data_dir* has one."""
    if data_dir is not None:
        path = station_file(data_dir)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return _bundled()
        return _with_station(path, stat.st_mtime_ns, stat.st_size)
    return _bundled()


def lookup(code: str, data_dir: Path | None = None) -> dict | None:
    """``{"code", "name", "mark"}`` for *code* (with or without its mark), or ``None`` if unknown or not a code."""
    entry = catalogue(data_dir).lookup(code)
    return entry.to_json() if entry else None


def require(code: str, data_dir: Path | None = None) -> dict:
    """Like :func:`lookup` but raises a Vietnamese error for a malformed or unknown code."""
    normal = normalize_code(code)
    found = lookup(normal, data_dir)
    if found is None:
        raise NotFound(
            f"Không có mã ICD-10 {normal} trong danh mục. "
            "Hãy kiểm tra lại mã, hoặc nhập danh mục đầy đủ của Bộ Y tế.",
            remedy=Remedy.IMPORT_ICD10,
        )
    return found


def search(query: str, limit: int = 20, data_dir: Path | None = None) -> list[dict]:
    """Entries matching *query* by code prefix or by name words without diacritics, best first."""
    return [e.to_json() for e in catalogue(data_dir).search(query, limit)]


def display(entry: dict) -> str:
    """``"E10.5† Bệnh đái tháo đường…"`` — the code with its mark, then the name."""
    return f"{entry['code']}{entry['mark']} {entry['name']}"
