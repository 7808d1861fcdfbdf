"""Deterministic synthetic population of one Hải Phòng commune, for demos, tests and benchmarks.

Every person is invented: names are composed from ``resources/catalogs/vi-names.json`` in
Vietnamese order (family + middle + given, NFC, no honorifics), and numbers are structurally valid
but random. Output depends only on the arguments; all randomness comes from private
``random.Random`` instances, never the global generator.

Target groups (``target_group``), assigned in this order of precedence:

=====  ==================================================================  ======
group  who                                                                 share
=====  ==================================================================  ======
a      elderly (60+), plus adults 18–59 with a priority flag: merit, poor,  ≈ 27 %
       near-poor, disabled, chronic disease, remote/island area             (20.7 + ~6)
b      children under 18, and pupils/students aged 18–22 in education       ≈ 25 %
c      workers: employees aged 18–59                                        ≈ 24 %
d      officials, armed forces, other employed people covered elsewhere     ≈ 5 %
đ      other residents (self-employed, farmers, homemakers, unemployed)     ≈ 19 %
=====  ==================================================================  ======

Children keep group ``b`` even with a priority flag: ``b`` is already their own programme.
On an island (``Commune.is_island``) every adult is ``remote_area`` and hence ``a``.

Flags: everyone aged 60+ gets ``"elderly"``; ``merit``, ``poor``/``near_poor`` (exclusive),
``disabled`` and ``chronic`` are drawn per person with age-dependent rates (chronic disease is
far more common in the elderly); ``remote_area`` is set for everyone in an island commune.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from typing import Any

from ksk_desktop.catalogs.communes import KIND_COMMUNE, KIND_WARD, Commune, commune_by_code, load_communes
from ksk_desktop.dates import age_on
from ksk_desktop.resources import read_text

TARGET_GROUPS: tuple[str, ...] = ("a", "b", "c", "d", "đ")
FLAGS: tuple[str, ...] = ("elderly", "merit", "poor", "near_poor", "disabled", "chronic", "remote_area")
#: Flags that put an adult aged 18–59 into group ``a``.
PRIORITY_FLAGS = frozenset(FLAGS) - {"elderly"}
ELDERLY_AGE = 60

#: Serials are 6 digits, so one permutation of this space keeps IDs unique; see generate_people.
ID_SERIAL_SPACE = 1_000_000

#: Current 3-digit mobile prefixes (after the 2018 renumbering) in the 03/05/07/08/09 ranges.
MOBILE_PREFIXES: tuple[str, ...] = (
    *(f"03{d}" for d in "23456789"),
    *(f"05{d}" for d in "689"),
    *(f"07{d}" for d in "06789"),
    *(f"08{d}" for d in "123456789"),
    *(f"09{d}" for d in "01346789"),
)

# Age bands (inclusive) and percentages, shaped like a Hải Phòng commune: 20.7 % aged 60+.
_AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (0, 2, 3.6),
    (3, 5, 4.0),
    (6, 17, 15.0),
    (18, 22, 6.0),
    (23, 59, 50.7),
    (60, 69, 11.5),
    (70, 79, 6.2),
    (80, 99, 3.0),
)

# Birth-registration province codes (PPP) of residents. 030 is former Hải Dương, merged in 2025.
_ID_PROVINCES: tuple[tuple[str, float], ...] = (
    ("031", 75.0),
    ("030", 15.0),
    ("001", 2.0),  # Hà Nội
    ("022", 1.5),  # Quảng Ninh
    ("033", 1.0),  # Hưng Yên
    ("034", 1.5),  # Thái Bình
    ("036", 1.0),  # Nam Định
    ("038", 1.0),  # Thanh Hóa
    ("079", 0.8),  # Hồ Chí Minh
    ("024", 0.4),  # Bắc Giang
    ("027", 0.4),  # Bắc Ninh
    ("040", 0.4),  # Nghệ An
)
# Assumption (vietnam.md §1.5 [U]): registrations after the 1 July 2025 merger use the surviving 031.
_MERGER_DATE = dt.date(2025, 7, 1)
# Old 9-digit CMND area prefixes: 03 Hải Phòng, 14 Hải Dương (Hải Hưng); others are arbitrary.
_OLD_ID_PREFIX = {"031": "03", "030": "14"}

# Fixed (not seed-dependent) keys so that two calls with different seeds but disjoint id_offset
# ranges still never produce the same serial.
_ID_KEYS = (0x2C5, 0x1F3, 0x3A9, 0x0D7, 0x16B, 0x33E)
_BHXH_KEYS = (0x0A1, 0x3C4, 0x17F, 0x2E2, 0x155, 0x08B)
_OLD_ID_KEYS = (0x1D9, 0x2A6, 0x0F1, 0x36C, 0x0B5, 0x21E)


@dataclass(frozen=True)
class VietNames:
    """Parsed ``vi-names.json``: names with cumulative weights ready for ``bisect``."""

    family: tuple[str, ...]
    family_cum: tuple[float, ...]
    middle: dict[str, tuple[str, ...]]
    middle_cum: dict[str, tuple[float, ...]]
    middle_cum_modern: dict[str, tuple[float, ...]]
    given: dict[str, tuple[str, ...]]
    hamlet_names: tuple[str, ...]
    streets: tuple[str, ...]


# Văn/Thị dominate older generations; parents born from ~1990 pick them far less often.
_TRADITIONAL_MIDDLE = frozenset({"Văn", "Thị"})
_MODERN_FROM_YEAR = 1990
_MODERN_SCALE = 0.3


@cache
def load_vi_names() -> VietNames:
    """Load and index the bundled Vietnamese name catalogue (cached)."""
    raw = json.loads(read_text("catalogs", "vi-names.json"))

    def cum(weights: Sequence[float]) -> tuple[float, ...]:
        return tuple(accumulate(weights))

    middle: dict[str, tuple[str, ...]] = {}
    middle_cum: dict[str, tuple[float, ...]] = {}
    middle_cum_modern: dict[str, tuple[float, ...]] = {}
    for sex, entries in raw["middle"].items():
        middle[sex] = tuple(e["name"] for e in entries)
        middle_cum[sex] = cum([e["weight"] for e in entries])
        middle_cum_modern[sex] = cum(
            [e["weight"] * (_MODERN_SCALE if e["name"] in _TRADITIONAL_MIDDLE else 1.0) for e in entries]
        )
    return VietNames(
        family=tuple(e["name"] for e in raw["family"]),
        family_cum=cum([e["weight"] for e in raw["family"]]),
        middle=middle,
        middle_cum=middle_cum,
        middle_cum_modern=middle_cum_modern,
        given={sex: tuple(names) for sex, names in raw["given"].items()},
        hamlet_names=tuple(raw["hamlet_names"]),
        streets=tuple(raw["streets"]),
    )


def century_sex_digit(birth_year: int, sex: str) -> int:
    """The G digit of a personal ID: 0/1 for 1900s male/female, 2/3 for 2000s, and so on."""
    if birth_year < 1900:
        raise ValueError(f"no century digit for birth year {birth_year}")
    return 2 * (birth_year // 100 - 19) + (1 if sex == "F" else 0)


def _feistel_permute(index: int, keys: Sequence[int]) -> int:
    """A bijection of ``range(ID_SERIAL_SPACE)``: a 20-bit Feistel network with cycle walking.

    Feistel rounds are invertible whatever the round function, so the map on 2**20 is a
    permutation; re-applying it until the value falls below 10**6 restricts it to a permutation
    of [0, 10**6). Serials therefore look random yet distinct indexes never share one.
    """
    x = index
    while True:
        left, right = x >> 10, x & 0x3FF
        for key in keys:
            mixed = (((right ^ key) * 0x2F5) + (right >> 3)) & 0x3FF
            left, right = right, left ^ mixed
        x = (left << 10) | right
        if x < ID_SERIAL_SPACE:
            return x


@dataclass(frozen=True)
class _Layout:
    """Per-commune geography that must not vary between batches: hamlets and streets."""

    hamlets: tuple[str, ...]
    hamlet_cum: tuple[float, ...]
    streets: tuple[str, ...]


def _hamlet_label(kind: str, number: int) -> str:
    if kind == KIND_WARD:
        return f"Tổ dân phố {number}"
    if kind == KIND_COMMUNE:
        return f"Thôn {number}"
    return f"Khu {number}"


def _layout(commune: Commune, seed: int) -> _Layout:
    # Seeded by (seed, commune) only, so every id_offset batch of a commune shares its hamlets.
    rng = random.Random(f"layout:{seed}:{commune.code}")
    names = load_vi_names()
    count = rng.randint(8, 25)
    if commune.kind == KIND_COMMUNE and rng.random() < 0.5 and count <= len(names.hamlet_names):
        hamlets = tuple(f"Thôn {n}" for n in rng.sample(names.hamlet_names, count))
    else:
        hamlets = tuple(_hamlet_label(commune.kind, k) for k in range(1, count + 1))
    # Unequal hamlet sizes, as in real communes.
    sizes = [rng.uniform(0.4, 1.6) for _ in hamlets]
    streets = tuple(rng.sample(names.streets, rng.randint(3, 8)))
    return _Layout(hamlets=hamlets, hamlet_cum=tuple(accumulate(sizes)), streets=streets)


def _pick(rng: random.Random, items: Sequence[str], cum: Sequence[float]) -> str:
    # bisect on precomputed cumulative weights is several times faster than rng.choices per call.
    return items[bisect(cum, rng.random() * cum[-1])]


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year - years, day=28)


def _street_address(rng: random.Random, streets: Sequence[str], rural: bool) -> str:
    """The part before the hamlet, e.g. "Số 12 ngõ 5 đường Lạch Tray"; empty for many village homes."""
    if rural and rng.random() < 0.5:
        return ""
    house = rng.randint(1, 250)
    street = streets[int(rng.random() * len(streets))]
    if rng.random() < 0.5:
        return f"Số {house} ngõ {rng.randint(1, 150)} đường {street}"
    return f"Số {house} đường {street}"


def _address(street_part: str, hamlet: str, commune_name: str) -> str:
    parts = [p for p in (street_part, hamlet, commune_name, "Thành phố Hải Phòng") if p]
    return ", ".join(parts)


def _insurance_prefix(age: int, group: str, flags: Sequence[str], student: bool, rng: random.Random) -> str:
    """BHYT object code and benefit level, e.g. ``"TE1"`` for a child under 6."""
    if "merit" in flags:
        return "CC1"
    if age < 6:
        return "TE1"
    if "poor" in flags:
        return "HN2"
    if "near_poor" in flags:
        return "CN3"
    if age >= 80 or "disabled" in flags:
        return "BT2"
    if age >= ELDERLY_AGE:
        return "HT3" if rng.random() < 0.4 else "GD4"
    if age < 18:
        return "HS4"
    if student:
        return "SV4"
    return {"c": "DN4", "d": "HC4"}.get(group, "GD4")


def generate_people(
    n: int,
    *,
    seed: int,
    commune_code: str,
    reference_date: dt.date,
    id_offset: int = 0,
) -> Iterator[dict[str, Any]]:
    """Yield *n* synthetic residents of *commune_code*, ages measured on *reference_date*.

    Each dict has the keys ``personal_id, old_id, full_name, birth_date, birth_year, sex,
    permanent_address, current_address, commune_code, hamlet, phone, insurance_no, target_group,
    flags``. Identical arguments give identical output, and the first *k* people do not depend
    on *n*.

    Personal ID serials come from a fixed bijective permutation of ``id_offset + index``, so IDs
    are unique within a call and across calls whose ``[id_offset, id_offset + n)`` ranges are
    disjoint (whatever their seeds or communes). That needs ``id_offset + n <= 1_000_000``.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if id_offset < 0 or id_offset + n > ID_SERIAL_SPACE:
        raise ValueError(f"id_offset + n must lie within 0..{ID_SERIAL_SPACE} to keep IDs unique")
    if reference_date.year < 2000:
        # Ages go up to 99 and the century digit is only defined from 1900.
        raise ValueError("reference_date must be in the year 2000 or later")
    commune = commune_by_code(commune_code)
    if commune is None:
        raise ValueError(f"unknown commune code {commune_code!r}")
    return _generate(n, seed, commune, reference_date, id_offset)


def _generate(n: int, seed: int, commune: Commune, ref: dt.date, id_offset: int) -> Iterator[dict[str, Any]]:
    names = load_vi_names()
    layout = _layout(commune, seed)
    others = [c for c in load_communes() if c.code != commune.code]
    rng = random.Random(f"people:{seed}:{commune.code}:{ref.isoformat()}:{id_offset}")

    band_cum = tuple(accumulate(w for _, _, w in _AGE_BANDS))
    prov_codes = tuple(p for p, _ in _ID_PROVINCES)
    prov_cum = tuple(accumulate(w for _, w in _ID_PROVINCES))
    rural = commune.kind == KIND_COMMUNE
    island = commune.is_island
    rnd = rng.random

    for i in range(n):
        global_index = id_offset + i
        sex = "M" if rnd() < 0.49 else "F"

        lo, hi, _ = _AGE_BANDS[bisect(band_cum, rnd() * band_cum[-1])]
        sampled_age = lo + int(rnd() * (hi - lo + 1))
        # Uniform birthday among the days that give exactly this age on the reference date.
        latest = _years_before(ref, sampled_age).toordinal()
        earliest = _years_before(ref, sampled_age + 1).toordinal() + 1
        born = dt.date.fromordinal(earliest + int(rnd() * (latest - earliest + 1)))
        birth_year = born.year
        # Only the year is on record for ~1 % of people, nearly all of them old.
        year_only = rnd() < (0.065 if birth_year < 1960 else 0.001)
        birth_date: dt.date | None = None if year_only else born
        age = age_on(ref, birth_date, birth_year)
        assert age is not None  # the birth year is always drawn

        # --- flags -------------------------------------------------------------------------
        flags: list[str] = []
        if age >= ELDERLY_AGE:
            flags.append("elderly")
            merit_p, disabled_p, chronic_p = 0.05, 0.06, 0.35
        elif age >= 18:
            merit_p, disabled_p, chronic_p = 0.01, 0.02, 0.04
        else:
            merit_p, disabled_p, chronic_p = 0.005, 0.01, 0.01
        if rnd() < merit_p:
            flags.append("merit")
        poverty = rnd()
        if poverty < 0.02:
            flags.append("poor")
        elif poverty < 0.045:
            flags.append("near_poor")
        if rnd() < disabled_p:
            flags.append("disabled")
        if rnd() < chronic_p:
            flags.append("chronic")
        if island:
            flags.append("remote_area")

        # --- target group --------------------------------------------------------------------
        student = 18 <= age <= 22 and rnd() < 0.4
        if age >= ELDERLY_AGE:
            group = "a"
        elif age < 18:
            group = "b"
        elif any(f in PRIORITY_FLAGS for f in flags):
            group = "a"
        elif student:
            group = "b"
        else:
            r = rnd()
            group = "c" if r < 0.497 else "d" if r < 0.6 else "đ"

        # --- name ----------------------------------------------------------------------------
        family = _pick(rng, names.family, names.family_cum)
        middle_cum = (names.middle_cum_modern if birth_year >= _MODERN_FROM_YEAR else names.middle_cum)[sex]
        given_pool = names.given[sex]
        given = given_pool[int(rnd() * len(given_pool))]
        shape = rnd()
        if shape < 0.015:
            middles: list[str] = []  # a few people have no middle name at all
        else:
            middles = [_pick(rng, names.middle[sex], middle_cum)]
            if shape > 0.93:  # ~7 % carry two middle names, e.g. "Nguyễn Thị Thu Hà"
                middles.append(_pick(rng, names.middle[sex], middle_cum))
        # Repeated words ("Ngọc Ngọc") do not occur in real names; drop them.
        clean: list[str] = []
        for m in middles:
            if m != given and m not in clean:
                clean.append(m)
        full_name = " ".join([family, *clean, given])

        # --- identity numbers ----------------------------------------------------------------
        personal_id: str | None
        if age < 6 and rnd() < 0.02:
            personal_id = None  # birth registered but no personal ID issued yet
            province = "031"
        else:
            if birth_date is not None and birth_date >= _MERGER_DATE:
                province = "031"
            else:
                province = _pick(rng, prov_codes, prov_cum)
            serial = _feistel_permute(global_index, _ID_KEYS)
            personal_id = f"{province}{century_sex_digit(birth_year, sex)}{birth_year % 100:02d}{serial:06d}"
        old_id: str | None = None
        if birth_year < 1999 and rnd() < 0.4:
            area = _OLD_ID_PREFIX.get(province, f"{int(rnd() * 40) + 10:02d}")
            old_id = f"{area}{_feistel_permute(global_index, _OLD_ID_KEYS):06d}{int(rnd() * 10)}"

        phone: str | None = None
        if age >= 15 and rnd() >= 0.10:
            prefix = MOBILE_PREFIXES[int(rnd() * len(MOBILE_PREFIXES))]
            phone = f"{prefix}{int(rnd() * 10_000_000):07d}"

        insurance_no: str | None = None
        if rnd() >= 0.10:
            code = _insurance_prefix(age, group, flags, student, rng)
            # The 10-digit social-insurance number: province 31 + a per-person unique 8 digits.
            bhxh = f"31{_feistel_permute(global_index, _BHXH_KEYS):06d}{int(rnd() * 100):02d}"
            insurance_no = f"{code}31{bhxh}"

        # --- addresses -----------------------------------------------------------------------
        hamlet = _pick(rng, layout.hamlets, layout.hamlet_cum)
        current_address = _address(_street_address(rng, layout.streets, rural), hamlet, commune.name)
        if rnd() < 0.92:
            permanent_address = current_address
        else:
            # Registered elsewhere in the city but living here (tạm trú).
            home = others[int(rnd() * len(others))]
            home_hamlet = _hamlet_label(home.kind, rng.randint(1, 15))
            permanent_address = _address(
                _street_address(rng, names.streets, home.kind == KIND_COMMUNE), home_hamlet, home.name
            )

        yield {
            "personal_id": personal_id,
            "old_id": old_id,
            "full_name": full_name,
            "birth_date": birth_date,
            "birth_year": birth_year,
            "sex": sex,
            "permanent_address": permanent_address,
            "current_address": current_address,
            "commune_code": commune.code,
            "hamlet": hamlet,
            "phone": phone,
            "insurance_no": insurance_no,
            "target_group": group,
            "flags": flags,
        }
