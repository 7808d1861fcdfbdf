"""Synthetic population generator and commune catalogue (no Qt, no database)."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections import Counter
from typing import Any

import pytest

from ksk_desktop.catalogs.communes import Commune, commune_by_code, load_communes
from ksk_desktop.dates import age_on
from ksk_desktop.demo.synthetic import (
    _ID_KEYS,
    FLAGS,
    ID_SERIAL_SPACE,
    MOBILE_PREFIXES,
    TARGET_GROUPS,
    _feistel_permute,
    generate_people,
    load_vi_names,
)
from ksk_desktop.resources import read_text

REF = dt.date(2025, 11, 1)
WARD = "10507"  # Phường Thành Đông
RURAL = "10606"  # Xã Nam Sách
ISLAND = "11948"  # Đặc khu Bạch Long Vĩ
N = 20_000

KEYS = {
    "personal_id",
    "old_id",
    "full_name",
    "birth_date",
    "birth_year",
    "sex",
    "permanent_address",
    "current_address",
    "commune_code",
    "hamlet",
    "phone",
    "insurance_no",
    "target_group",
    "flags",
}
HONORIFICS = {"Ông", "Bà", "Cô", "Chú", "Bác", "Chị", "Em", "Cụ", "Mr", "Mrs", "Ms", "Dr"}


@pytest.fixture(scope="module")
def people() -> list[dict[str, Any]]:
    return list(generate_people(N, seed=2025, commune_code=WARD, reference_date=REF))


def _age(p: dict[str, Any]) -> int:
    return age_on(REF, p["birth_date"], p["birth_year"])


def _share(people: list[dict[str, Any]], pred: Any) -> float:
    return sum(1 for p in people if pred(p)) / len(people)


# --- communes -------------------------------------------------------------------------------


def test_commune_catalogue_counts() -> None:
    communes = load_communes()
    assert len(communes) == 114
    kinds = Counter(c.kind for c in communes)
    assert kinds == {"phường": 45, "xã": 67, "đặc khu": 2}
    assert len({c.code for c in communes}) == 114
    assert all(re.fullmatch(r"\d{5}", c.code) for c in communes)
    assert all(c.province_code == "31" for c in communes)
    assert all(unicodedata.is_normalized("NFC", c.name) for c in communes)


def test_commune_by_code() -> None:
    blv = commune_by_code("11948")
    assert blv == Commune("11948", "Đặc khu Bạch Long Vĩ", "đặc khu", "31")
    assert blv.is_island
    assert commune_by_code(11948) == blv
    assert commune_by_code("99999") is None
    assert not commune_by_code(WARD).is_island  # type: ignore[union-attr]
    # A fresh list each time: callers cannot corrupt the cache.
    load_communes().clear()
    assert len(load_communes()) == 114


# --- name catalogue ---------------------------------------------------------------------------


def test_name_catalogue() -> None:
    text = read_text("catalogs", "vi-names.json")
    assert unicodedata.is_normalized("NFC", text)
    raw = json.loads(text)
    names = load_vi_names()
    assert 35 <= len(names.family) <= 60
    weights = {e["name"]: e["weight"] for e in raw["family"]}
    assert 0.35 <= weights["Nguyễn"] / sum(weights.values()) <= 0.41
    assert {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Đỗ", "Khúc", "Mạc"} <= set(names.family)
    for sex in ("M", "F"):
        given = names.given[sex]
        assert len(given) >= 80 and len(set(given)) == len(given)
        assert any(g.startswith("Đ") for g in given)
    every = " ".join(names.given["M"] + names.given["F"])
    assert all(ch in every for ch in "ễộướ")
    assert "Văn" in names.middle["M"] and "Thị" in names.middle["F"]
    assert "Thị" not in names.middle["M"]
    assert len(names.streets) >= 10


# --- generator: shape and determinism -------------------------------------------------------------


def test_deterministic() -> None:
    a = list(generate_people(300, seed=5, commune_code=RURAL, reference_date=REF, id_offset=40))
    b = list(generate_people(300, seed=5, commune_code=RURAL, reference_date=REF, id_offset=40))
    c = list(generate_people(300, seed=6, commune_code=RURAL, reference_date=REF, id_offset=40))
    assert a == b
    assert a != c
    # The first k people do not depend on n.
    assert list(generate_people(50, seed=5, commune_code=RURAL, reference_date=REF, id_offset=40)) == a[:50]


@pytest.mark.parametrize("n", [0, 1, 137])
def test_count_and_keys(n: int) -> None:
    out = list(generate_people(n, seed=1, commune_code=WARD, reference_date=REF))
    assert len(out) == n
    assert all(set(p) == KEYS for p in out)
    assert all(p["commune_code"] == WARD for p in out)


def test_invalid_arguments_fail_eagerly() -> None:
    with pytest.raises(ValueError):
        generate_people(1, seed=1, commune_code="00000", reference_date=REF)
    with pytest.raises(ValueError):
        generate_people(-1, seed=1, commune_code=WARD, reference_date=REF)
    with pytest.raises(ValueError):
        generate_people(2, seed=1, commune_code=WARD, reference_date=REF, id_offset=ID_SERIAL_SPACE - 1)


# --- names ------------------------------------------------------------------------------------


def test_names(people: list[dict[str, Any]]) -> None:
    names = load_vi_names()
    family = set(names.family)
    three_plus = 0
    for p in people:
        name = p["full_name"]
        assert unicodedata.is_normalized("NFC", name)
        words = name.split(" ")
        assert all(words) and name == name.strip()
        assert len(words) >= 2
        three_plus += len(words) >= 3
        assert words[0] in family, name
        assert words[-1] in names.given[p["sex"]], name
        assert not HONORIFICS & set(words), name
        assert all(w[0].isupper() for w in words), name
        assert len(set(words[1:])) == len(words) - 1, name  # no "Ngọc Ngọc"
    assert three_plus / len(people) >= 0.95
    nguyen = _share(people, lambda p: p["full_name"].startswith("Nguyễn "))
    assert 0.35 <= nguyen <= 0.41
    # Female names carry Thị often, male names never.
    assert _share([p for p in people if p["sex"] == "F"], lambda p: " Thị " in p["full_name"]) > 0.2
    assert not any(" Thị " in p["full_name"] for p in people if p["sex"] == "M")


# --- identity numbers -------------------------------------------------------------------------------


def test_personal_ids(people: list[dict[str, Any]]) -> None:
    ids = [p["personal_id"] for p in people if p["personal_id"] is not None]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 0.99 * len(people)
    for p in people:
        pid = p["personal_id"]
        if pid is None:
            assert _age(p) < 6
            continue
        assert re.fullmatch(r"\d{12}", pid)
        century = p["birth_year"] // 100
        expected_g = {(19, "M"): 0, (19, "F"): 1, (20, "M"): 2, (20, "F"): 3}[(century, p["sex"])]
        assert int(pid[3]) == expected_g, (pid, p["birth_year"], p["sex"])
        assert pid[4:6] == f"{p['birth_year'] % 100:02d}"
    provinces = Counter(pid[:3] for pid in ids)
    assert 0.72 <= provinces["031"] / len(ids) <= 0.78
    assert 0.12 <= provinces["030"] / len(ids) <= 0.18
    assert len(provinces) >= 6


def test_ids_unique_across_calls_with_disjoint_offsets() -> None:
    # Different seeds and communes on purpose: uniqueness must come from the offsets alone.
    first = generate_people(8000, seed=1, commune_code=WARD, reference_date=REF, id_offset=0)
    second = generate_people(8000, seed=99, commune_code=ISLAND, reference_date=REF, id_offset=8000)
    ids = [p["personal_id"] for p in (*first, *second) if p["personal_id"]]
    assert len(ids) == len(set(ids))
    # Same offsets and same birth prefix would collide, showing the test can fail.
    a = next(generate_people(1, seed=1, commune_code=WARD, reference_date=REF))
    b = next(generate_people(1, seed=2, commune_code=WARD, reference_date=REF))
    assert a["personal_id"][6:] == b["personal_id"][6:]


def test_serial_permutation_is_bijective() -> None:
    serials = {_feistel_permute(i, _ID_KEYS) for i in range(ID_SERIAL_SPACE)}
    assert len(serials) == ID_SERIAL_SPACE
    assert max(serials) == ID_SERIAL_SPACE - 1
    # Scrambled, not the identity.
    assert sum(_feistel_permute(i, _ID_KEYS) == i for i in range(1000)) < 5


def test_old_ids(people: list[dict[str, Any]]) -> None:
    with_old = [p for p in people if p["old_id"] is not None]
    assert all(re.fullmatch(r"\d{9}", p["old_id"]) for p in with_old)
    assert all(p["birth_year"] < 1999 for p in with_old)
    eligible = [p for p in people if p["birth_year"] < 1999]
    assert 0.36 <= len(with_old) / len(eligible) <= 0.44


def test_birth_dates_and_sex(people: list[dict[str, Any]]) -> None:
    for p in people:
        assert isinstance(p["birth_year"], int)
        if p["birth_date"] is not None:
            assert p["birth_date"].year == p["birth_year"]
            assert p["birth_date"] <= REF
        assert 0 <= _age(p) <= 100
    assert 0.004 <= _share(people, lambda p: p["birth_date"] is None) <= 0.02
    assert 0.47 <= _share(people, lambda p: p["sex"] == "M") <= 0.51
    assert {p["sex"] for p in people} == {"M", "F"}


def test_phones(people: list[dict[str, Any]]) -> None:
    for p in people:
        phone = p["phone"]
        if _age(p) < 15:
            assert phone is None
        if phone is not None:
            assert re.fullmatch(r"0[35789]\d{8}", phone), phone
            assert phone[:3] in MOBILE_PREFIXES
    adults = [p for p in people if _age(p) >= 15]
    assert 0.07 <= _share(adults, lambda p: p["phone"] is None) <= 0.13


def test_insurance_numbers(people: list[dict[str, Any]]) -> None:
    cards = [p["insurance_no"] for p in people if p["insurance_no"] is not None]
    assert all(re.fullmatch(r"[A-Z]{2}[1-5]31\d{10}", c) for c in cards)
    assert len({c[5:] for c in cards}) == len(cards)  # social-insurance numbers are per person
    assert 0.08 <= 1 - len(cards) / len(people) <= 0.12
    kids = [p for p in people if p["insurance_no"] and _age(p) < 6 and "merit" not in p["flags"]]
    assert kids and all(p["insurance_no"].startswith("TE1") for p in kids)


# --- demography, groups and flags -------------------------------------------------------------------


def test_age_distribution(people: list[dict[str, Any]]) -> None:
    assert abs(_share(people, lambda p: _age(p) >= 60) - 0.207) <= 0.02
    assert 0.22 <= _share(people, lambda p: 3 <= _age(p) <= 22) <= 0.28
    assert _share(people, lambda p: _age(p) < 3) > 0.02
    assert _share(people, lambda p: _age(p) >= 80) > 0.01


def test_target_groups(people: list[dict[str, Any]]) -> None:
    assert {p["target_group"] for p in people} == set(TARGET_GROUPS)
    shares = Counter(p["target_group"] for p in people)
    frac = {g: shares[g] / len(people) for g in TARGET_GROUPS}
    assert 0.22 <= frac["a"] <= 0.32
    assert 0.22 <= frac["b"] <= 0.28
    assert 0.21 <= frac["c"] <= 0.27
    assert 0.03 <= frac["d"] <= 0.07
    for p in people:
        age = _age(p)
        if age >= 60:
            assert p["target_group"] == "a"
        elif age < 18:
            assert p["target_group"] == "b"
        elif set(p["flags"]) & {"merit", "poor", "near_poor", "disabled", "chronic", "remote_area"}:
            assert p["target_group"] == "a"
        else:
            assert p["target_group"] != "a"
        if p["target_group"] in ("c", "d"):
            assert 18 <= age < 60
        if p["target_group"] == "b" and age >= 18:
            assert age <= 22


def test_flags(people: list[dict[str, Any]]) -> None:
    for p in people:
        flags = p["flags"]
        assert set(flags) <= set(FLAGS)
        assert len(flags) == len(set(flags))
        assert ("elderly" in flags) == (_age(p) >= 60)
        assert not {"poor", "near_poor"} <= set(flags)
        assert "remote_area" not in flags  # a mainland ward
    counts = Counter(f for p in people for f in p["flags"])
    for flag in ("merit", "poor", "near_poor", "disabled"):
        assert 0.005 <= counts[flag] / len(people) <= 0.05, flag
    elderly = [p for p in people if _age(p) >= 60]
    young = [p for p in people if _age(p) < 60]
    assert _share(elderly, lambda p: "chronic" in p["flags"]) > 3 * _share(
        young, lambda p: "chronic" in p["flags"]
    )


def test_island_commune_is_remote() -> None:
    out = list(generate_people(2000, seed=3, commune_code=ISLAND, reference_date=REF))
    assert all("remote_area" in p["flags"] for p in out)
    assert all(p["target_group"] == "a" for p in out if _age(p) >= 18)
    assert all(re.fullmatch(r"Khu \d+", p["hamlet"]) for p in out)
    assert all("Đặc khu Bạch Long Vĩ" in p["current_address"] for p in out)


# --- hamlets and addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "pattern"),
    [(WARD, r"Tổ dân phố \d+"), (RURAL, r"Thôn .+"), ("11914", r"Khu \d+")],
)
def test_hamlets_by_kind(code: str, pattern: str) -> None:
    out = list(generate_people(4000, seed=11, commune_code=code, reference_date=REF))
    hamlets = {p["hamlet"] for p in out}
    assert 8 <= len(hamlets) <= 25
    assert all(re.fullmatch(pattern, h) for h in hamlets)
    # Another batch of the same commune (other offset) lives in the same hamlets.
    later = generate_people(4000, seed=11, commune_code=code, reference_date=REF, id_offset=4000)
    assert {p["hamlet"] for p in later} == hamlets


def test_hamlet_count_varies_with_seed() -> None:
    counts = {
        len({p["hamlet"] for p in generate_people(3000, seed=s, commune_code=WARD, reference_date=REF)})
        for s in range(8)
    }
    assert len(counts) > 1


def test_addresses(people: list[dict[str, Any]]) -> None:
    commune = commune_by_code(WARD)
    assert commune is not None
    for p in people:
        cur = p["current_address"]
        assert unicodedata.is_normalized("NFC", cur)
        assert cur.endswith(f", {p['hamlet']}, {commune.name}, Thành phố Hải Phòng")
        assert p["permanent_address"].endswith(", Thành phố Hải Phòng")
    assert 0.85 <= _share(people, lambda p: p["permanent_address"] == p["current_address"]) <= 0.97
    assert any(re.match(r"Số \d+ ngõ \d+ đường ", p["current_address"]) for p in people)
