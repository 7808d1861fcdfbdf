"""ICD-10 catalogue: code normalisation, lookup with and without the dagger/asterisk mark, folded search."""

from __future__ import annotations

import csv
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksk_desktop.catalogs import icd10
from ksk_desktop.errors import InvalidInput, NotFound
from ksk_desktop.resources import resource


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I10", "I10"),
        (" i10 ", "I10"),
        ("E119", "E11.9"),
        ("e11.9", "E11.9"),
        ("E10.5†", "E10.5"),
        ("I79.2*", "I79.2"),
        ("e105+", "E10.5"),
        ("E 11.9", "E11.9"),
        ("n18.3", "N18.3"),
        ("K0531", "K05.31"),
    ],
)
def test_normalize_code(raw: str, expected: str) -> None:
    assert icd10.normalize_code(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "I1", "110", "E11..9", "E11.123", "II10", "tăng huyết áp"])
def test_normalize_rejects_non_codes(raw: str) -> None:
    with pytest.raises(InvalidInput, match="không phải mã ICD-10"):
        icd10.normalize_code(raw)


@given(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    st.integers(0, 99),
    st.one_of(st.none(), st.integers(0, 9)),
    st.sampled_from(["", "†", "*", "+"]),
    st.booleans(),
    st.booleans(),
)
def test_normalize_is_stable_under_spelling(letter, digits, sub, mark, lower, drop_dot) -> None:  # noqa: ANN001
    canonical = f"{letter}{digits:02d}" + (f".{sub}" if sub is not None else "")
    spelled = canonical.replace(".", "") if drop_dot else canonical
    spelled = (spelled.lower() if lower else spelled) + mark
    assert icd10.normalize_code(f"  {spelled} ") == canonical
    assert icd10.normalize_code(canonical) == canonical


def test_bundled_catalogue_is_well_formed() -> None:
    text = resource(*icd10.BUNDLED_FILE).read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert len(rows) >= 300
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)), "duplicate codes"
    for r in rows:
        assert icd10.normalize_code(r["code"]) == r["code"]  # stored canonical, without marks
        assert r["mark"] in ("", "†", "*")
        assert r["name"] == unicodedata.normalize("NFC", r["name"]).strip() and r["name"]
    # the groups a commune station needs are all there
    for code in [
        "I10",
        "I15",
        "E11.9",
        "E78.5",
        "E66",
        "E44",
        "D50.9",
        "E04",
        "H52.1",
        "H25",
        "H40",
        "H10",
        "H66",
        "H90",
        "K02",
        "K05",
        "K29.7",
        "B18.1",
        "K76.0",
        "J45",
        "J44",
        "J20",
        "J40",
        "A15",
        "M54.5",
        "M17",
        "M81",
        "M10",
        "M41",
        "M21.4",
        "N20",
        "N39.0",
        "N40",
        "Z12.3",
        "Z12.4",
        "Z00.0",
        "Z00.1",
        "Z00.3",
        "Z01.0",
        "N18.3",
        "I25",
        "I48",
        "I50",
        "I69",
        "F03",
        "F32",
        "G40",
        "Z72.0",
        "F10",
        "Z34",
        "L20",
    ]:
        assert icd10.lookup(code) is not None, code


def test_lookup_with_and_without_marks() -> None:
    dagger = icd10.lookup("E10.5")
    assert dagger == {
        "code": "E10.5",
        "mark": "†",
        "name": "Bệnh đái tháo đường phụ thuộc insulin, có biến chứng tuần hoàn ngoại biên",
    }
    assert icd10.lookup("e105†") == dagger == icd10.lookup("E10.5+") == icd10.lookup("E10.5*")
    star = icd10.lookup("I79.2")
    assert star is not None and star["mark"] == "*"
    assert icd10.lookup("I79.2*") == star
    plain = icd10.lookup("i10")
    assert plain == {"code": "I10", "name": "Tăng huyết áp vô căn (nguyên phát)", "mark": ""}
    assert icd10.display(dagger).startswith("E10.5† Bệnh đái tháo đường")


def test_lookup_unknown_and_garbage() -> None:
    assert icd10.lookup("X99.9") is None
    assert icd10.lookup("not a code") is None
    with pytest.raises(NotFound, match="Không có mã ICD-10 X99.9"):
        icd10.require("x999")
    with pytest.raises(InvalidInput):
        icd10.require("???")


def _codes(query: str, limit: int = 20) -> list[str]:
    return [r["code"] for r in icd10.search(query, limit)]


def test_search_folded_words() -> None:
    assert _codes("tang huyet ap")[0] == "I10"
    assert _codes("TĂNG HUYẾT ÁP")[0] == "I10"
    assert _codes("huyet ap tang", 50)[:2] == ["R03.0", "I10"]  # any order; contiguous phrase ranks first
    found = _codes("dai thao duong", 80)
    assert "E11" in found and "E11.9" in found and found[0] == "E10"
    assert "E11.9" in _codes("dai thao duong khong phu thuoc bien chung")
    assert {"E10.9", "E11.9"} <= set(_codes("đái tháo đường không biến chứng", 10))
    assert _codes("sau rang")[0] == "K02"
    assert _codes("viem da day", 3)[0] == "K29"


def test_search_word_prefixes_and_synonyms() -> None:
    assert _codes("tan huy a")[0] == "I10"  # prefixes of words are enough
    assert "E11" in _codes("tieu duong type 2")  # the lay word, below the official names
    assert "K76.0" in _codes("gan nhiem mo")
    assert _codes("zzzz") == []
    assert _codes("") == []


def test_search_by_code() -> None:
    assert _codes("E11.9") == ["E11.9"]
    assert _codes("e119") == ["E11.9"]
    e11 = _codes("E11", 50)
    assert e11[0] == "E11" and set(e11) == {"E11"} | {f"E11.{d}" for d in range(10)}
    assert _codes("E10.5†") == ["E10.5"]
    assert _codes("H52", 3) == ["H52", "H52.0", "H52.1"]
    assert len(icd10.search("E", limit=7)) == 7


def test_split_and_join_codes() -> None:
    assert icd10.split_codes("I10; E11.9†, e78.5 và K02 I10") == ["I10", "E11.9", "E78.5", "K02"]
    assert icd10.split_codes("") == [] and icd10.split_codes(None) == []
    assert icd10.join_codes(["i10", "E119"]) == "I10;E11.9"
