"""QĐ 1613 classification, BMI and QĐ 3192 through ``classify()``: every band, its edges, half-up rounding.

The expected bands are typed here from the source text (QĐ 1613 full text, ``shared/domain/vietnam.md`` §2.3–2.4),
independently of ``resources/classification/*.json``, so a wrong number in the data makes these tests fail.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ksk_desktop.clinical import InvalidMeasurement, classify
from ksk_desktop.clinical.rounding import half_up, half_up_int
from ksk_desktop.errors import InvalidInput

# A healthy adult man whose every measured criterion is class I: the base that each case changes one value of.
BASE = {
    "age": 35,
    "sex": "nam",
    "height_cm": 170,
    "weight_kg": 62,
    "chest_cm": 86,
    "systolic": 118,
    "diastolic": 76,
    "pulse": 70,
}


def run(**changes):
    data = dict(BASE)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return classify(data)


def criterion(result, cid):
    found = [c for c in result["qd1613"]["criteria"] if c["id"] == cid]
    assert len(found) == 1, [c["id"] for c in result["qd1613"]["criteria"]]
    return found[0]


def index(result, code):
    return next(i for i in result["qd1613"]["indices"] if i["code"] == code)


# ---------------------------------------------------------------------------------------------------------------
# Rounding: QĐ 1613 Phụ lục 1 §1, with its own examples
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (165.50, 166),
        (159.49, 159),
        (44.5, 45),
        (48.47, 48),
        (77.5, 78),
        (80.48, 80),  # the text's examples
        (0.5, 1),
        (1.5, 2),
        (2.5, 3),
        (159.5, 160),
        (160.4999, 160),
        (-0.5, -1),  # not banker's rounding
    ],
)
def test_half_up_rounding_follows_the_text(value, expected):
    assert half_up_int(value) == expected


def test_half_up_to_one_decimal():
    assert str(half_up(22.95, 1)) == "23.0"
    assert str(half_up(18.449, 1)) == "18.4"
    assert round(2.5) == 2  # what the standard library would have done: banker's rounding


@given(st.integers(min_value=0, max_value=100_000))
def test_half_up_property_every_half_goes_up(n):
    assert half_up_int(n + 0.5) == n + 1
    assert half_up_int(n + 0.49) == n


# ---------------------------------------------------------------------------------------------------------------
# Physique (TLC): the four tables of QĐ 1613 II.1, every band with its edges
# ---------------------------------------------------------------------------------------------------------------

# Copied from the text: class → "chiều cao | cân nặng | vòng ngực". 1603 is the OCR's 160 (vietnam.md §2.3).
TEXT_TABLES = {
    ("hoc_sinh", "nam"): [
        "160 trở lên|48 trở lên|80 trở lên",
        "156-159|46-47|77-79",
        "152-155|42-45|74-76",
        "149-151|39-41|71-73",
        "Dưới 149|Dưới 39|Dưới 71",
    ],
    ("hoc_sinh", "nữ"): [
        "152 trở lên|44 trở lên|75 trở lên",
        "149-151|42-43|73-74",
        "145-148|40-41|71-72",
        "142-144|37-39|69-70",
        "Dưới 142|Dưới 37|Dưới 69",
    ],
    ("lao_dong", "nam"): [
        "160 trở lên|50 trở lên|82 trở lên",
        "158-162|47-49|79-81",
        "154-157|45-46|76-78",
        "150-153|41-44|74-75",
        "Dưới 150|Dưới 40|Dưới 74",
    ],
    ("lao_dong", "nữ"): [
        "155 trở lên|45 trở lên|76 trở lên",
        "151-154|43-44|74-75",
        "147-150|40-42|72-73",
        "143-146|38-39|70-71",
        "Dưới 143|Dưới 38|Dưới 70",
    ],
}
MEASURES = ("chieu_cao", "can_nang", "vong_nguc")
FIELD_OF = {"chieu_cao": "height_cm", "can_nang": "weight_kg", "vong_nguc": "chest_cm"}


def text_class(rows: list[str], col: int, value: int) -> int | None:
    """The class the text gives *value* (a whole number): the best row holding it, None in a gap."""
    for cls, row in enumerate(rows, start=1):
        cell = row.split("|")[col]
        if m := re.fullmatch(r"(\d+) trở lên", cell):
            ok = value >= int(m.group(1))
        elif m := re.fullmatch(r"(\d+)-(\d+)", cell):
            ok = int(m.group(1)) <= value <= int(m.group(2))
        elif m := re.fullmatch(r"Dưới (\d+)", cell):
            ok = value < int(m.group(1))
        else:
            raise AssertionError(cell)
        if ok:
            return cls
    return None


def physique_cases():
    for (table, sex), rows in TEXT_TABLES.items():
        for col, measure in enumerate(MEASURES):
            edges = set()
            for row in rows:
                for n in map(int, re.findall(r"\d+", row.split("|")[col])):
                    edges.update({n - 1, n, n + 1})
            for value in sorted(edges):
                yield pytest.param(
                    table,
                    sex,
                    measure,
                    value,
                    text_class(rows, col, value),
                    id=f"{table}-{sex}-{measure}-{value}",
                )


# Values of the other two measures that are class I in every table.
GOOD = {"chieu_cao": 175, "can_nang": 65, "vong_nguc": 90}


@pytest.mark.parametrize(("table", "sex", "measure", "value", "expected"), list(physique_cases()))
def test_physique_band_edges(table, sex, measure, value, expected):
    fields = {FIELD_OF[k]: v for k, v in GOOD.items()}
    fields[FIELD_OF[measure]] = value
    result = run(sex=sex, physique_table=table, **fields)
    detail = criterion(result, "the_luc")["detail"]
    assert detail[measure]["value"] == value
    assert detail[measure]["class"] == expected


def test_physique_gap_is_left_to_the_doctor():
    # Male workers: class 4 is 41–44 kg and class 5 "dưới 40": 40 kg is in no band of the text.
    result = run(weight_kg=40, height_cm=160)
    c = criterion(result, "the_luc")
    assert c["class"] is None and c["status"] == "gap"
    assert (
        "41–44 → loại 4" in c["detail"]["can_nang"]["gap"]
        and "<40 → loại 5" in c["detail"]["can_nang"]["gap"]
    )
    assert index(result, "TLC")["status"] == "undetermined"
    assert "TLC" in result["qd1613"]["suggested"]["missing_indices"]


@pytest.mark.parametrize(
    ("height", "expected"),
    [
        (159.5, 1),  # → 160: class 1
        (159.49, 2),  # → 159: class 2 (158–162)
        (157.5, 2),  # → 158
        (157.49, 3),  # → 157
    ],
)
def test_physique_rounds_half_up_before_the_bands(height, expected):
    detail = criterion(run(height_cm=height), "the_luc")["detail"]
    assert detail["chieu_cao"]["class"] == expected


@pytest.mark.parametrize(
    ("classes", "expected"),
    [
        ((1, 1, 1), 1),
        ((1, 1, 2), 1),  # only the chest at 2: still I
        ((2, 1, 1), 2),
        ((1, 2, 2), 2),
        ((1, 1, 3), 2),  # only the chest at 3: II
        ((2, 2, 3), 2),
        ((3, 1, 1), 3),
        ((1, 3, 3), 3),
        ((4, 1, 1), 4),
        ((1, 1, 4), 4),
        ((5, 1, 4), 5),
        ((3, 3, 5), 5),
    ],
)
def test_physique_combination_rule_of_appendix_2(classes, expected):
    # Female students: heights, weights and chests that sit in the middle of each class's band.
    mid = {
        "chieu_cao": {1: 160, 2: 150, 3: 146, 4: 143, 5: 130},
        "can_nang": {1: 50, 2: 42, 3: 40, 4: 38, 5: 35},
        "vong_nguc": {1: 80, 2: 73, 3: 71, 4: 69, 5: 65},
    }
    fields = {FIELD_OF[m]: mid[m][c] for m, c in zip(MEASURES, classes, strict=True)}
    c = criterion(run(sex="nữ", physique_table="hoc_sinh", **fields), "the_luc")
    assert [c["detail"][m]["class"] for m in MEASURES] == list(classes)
    assert c["class"] == expected


def test_chest_from_inspiration_and_expiration_or_half_the_height():
    c = criterion(run(chest_cm=None, chest_inspiration_cm=84, chest_expiration_cm=79), "the_luc")
    assert c["detail"]["chest_source"] == "trung_binh_hit_vao_tho_ra"
    assert c["inputs"]["chest_cm"] == 82  # (84 + 79) / 2 = 81.5 → 82, class 1 for male workers
    assert c["detail"]["vong_nguc"]["class"] == 1
    c = criterion(run(chest_cm=None, height_cm=157), "the_luc")
    assert c["detail"]["chest_source"] == "chieu_cao_chia_2"
    assert c["inputs"]["chest_cm"] == 79  # 157 / 2 = 78.5 → 79
    assert any("chia 2" in n for n in c["notes"])
    with pytest.raises(InvalidMeasurement, match="hít vào và thở ra"):
        run(chest_cm=None, chest_inspiration_cm=84)


# ---------------------------------------------------------------------------------------------------------------
# Blood pressure (index 45) and pulse (46.1)
# ---------------------------------------------------------------------------------------------------------------

UNDER_30_SYSTOLIC = [
    (99, 4),
    (100, None),
    (105, None),
    (109, None),
    (110, 1),
    (125, 1),
    (126, 2),
    (135, 2),
    (136, 3),
    (140, 3),
    (141, 4),
    (125.49, 1),
    (125.5, 2),
]
UNDER_30_DIASTOLIC = [
    (59, 4),
    (60, 2),
    (64, 2),
    (65, 1),
    (85, 1),
    (86, 2),
    (89, 2),
    (90, 3),
    (95, 3),
    (96, 4),
    (64.5, 1),
]
FROM_30_SYSTOLIC = [(139, 1), (140, 3), (145, 3), (146, None), (150, None), (151, 4), (139.5, 3)]
FROM_30_DIASTOLIC = [(89, 1), (90, 3), (95, 3), (96, 4), (100, 4), (101, None)]


@pytest.mark.parametrize(("systolic", "expected"), UNDER_30_SYSTOLIC)
def test_blood_pressure_under_30_systolic(systolic, expected):
    c = criterion(run(age=25, systolic=systolic, diastolic=70), "huyet_ap")
    assert c["item"] == "45.1"
    assert c["class"] == expected
    assert c["status"] == ("ok" if expected else "gap")


@pytest.mark.parametrize(("diastolic", "expected"), UNDER_30_DIASTOLIC)
def test_blood_pressure_under_30_diastolic(diastolic, expected):
    assert criterion(run(age=29, systolic=115, diastolic=diastolic), "huyet_ap")["class"] == expected


@pytest.mark.parametrize(("systolic", "expected"), FROM_30_SYSTOLIC)
def test_blood_pressure_30_to_50_systolic(systolic, expected):
    c = criterion(run(age=30, systolic=systolic, diastolic=70), "huyet_ap")
    assert c["item"] == "45.2"
    assert c["class"] == expected


@pytest.mark.parametrize(("diastolic", "expected"), FROM_30_DIASTOLIC)
def test_blood_pressure_30_to_50_diastolic(diastolic, expected):
    assert criterion(run(age=50, systolic=130, diastolic=diastolic), "huyet_ap")["class"] == expected


def test_blood_pressure_class_is_the_worse_reading_and_no_table_above_50():
    assert criterion(run(age=40, systolic=130, diastolic=92), "huyet_ap")["class"] == 3
    assert criterion(run(age=25, systolic=138, diastolic=97), "huyet_ap")["class"] == 4
    c = criterion(run(age=51, systolic=120, diastolic=80), "huyet_ap")
    assert c["class"] is None and c["status"] == "no_table"
    gap = criterion(run(age=25, systolic=105, diastolic=70), "huyet_ap")
    assert (
        "<100 → loại 4" in gap["detail"]["systolic"]["gap"]
        and "110–125 → loại 1" in gap["detail"]["systolic"]["gap"]
    )


@pytest.mark.parametrize(
    ("bpm", "expected"),
    [
        (54, 4),
        (55, 3),
        (59, 3),
        (60, 1),
        (75, 1),
        (76, 2),
        (85, 2),
        (86, 3),
        (95, 3),
        (96, 4),
        (54.5, 3),
        (75.49, 1),
        (75.5, 2),
        (95.5, 4),
    ],
)
def test_pulse_bands(bpm, expected):
    assert criterion(run(pulse=bpm), "mach")["class"] == expected


@pytest.mark.parametrize(
    ("bp", "bp_class", "pulse", "th"),
    [
        ((128, 76), 2, 70, 1),  # 45.1 at II alone leaves Tuần hoàn at I (Phụ lục 2)
        ((138, 76), 3, 70, 2),  # 45.1 at III alone: II
        ((128, 76), 2, 80, 2),  # pulse at II is not an exception
        ((138, 76), 3, 80, 2),
        ((138, 76), 3, 90, 3),
    ],
)
def test_circulation_index_exceptions_for_45_1(bp, bp_class, pulse, th):
    result = run(age=25, systolic=bp[0], diastolic=bp[1], pulse=pulse)
    assert criterion(result, "huyet_ap")["class"] == bp_class
    assert index(result, "TH")["class"] == th


def test_45_2_has_no_exception():
    result = run(age=40, systolic=142, diastolic=80)
    assert criterion(result, "huyet_ap")["class"] == 3
    assert index(result, "TH")["class"] == 3


# ---------------------------------------------------------------------------------------------------------------
# Vision (index 1)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("right", "left", "hand", "expected"),
    [
        (10, 10, "phải", 1),
        (10, 9, "phải", 1),  # total 19/10 with the dominant eye at 10/10
        (9, 10, "phải", 2),  # same total, but the dominant eye is 9/10
        (10, 9, "trái", 2),
        (10, 8, "phải", 2),  # 18
        (10, 6, "phải", 2),  # 16
        (9, 7, "phải", 2),  # 16
        (11, 6, "phải", 2),  # Phụ lục 1 §3: 11/10 counts as 10/10, total 16/10
        (10, 5, "phải", 3),  # 15
        (7, 7, "phải", 3),  # 14
        (8, 6, "phải", 3),
        (6, 6, "phải", 4),  # dominant eye 6/10: not III
        (7, 4, "phải", 4),  # 11
        (6, 5, "phải", 4),
        (10, 0, "phải", 5),  # total 10/10
        (5, 10, "phải", 5),  # dominant eye below 6/10
        ("8/10", "7/10", "phải", 3),
    ],
)
def test_vision_uncorrected(right, left, hand, expected):
    result = run(vision_right_uncorrected=right, vision_left_uncorrected=left, dominant_hand=hand)
    c = criterion(result, "thi_luc")
    assert c["class"] == expected
    assert index(result, "M")["class"] == expected


def test_vision_without_dominant_hand_uses_the_better_eye_and_says_so():
    c = criterion(run(vision_right_uncorrected=9, vision_left_uncorrected=10), "thi_luc")
    assert c["class"] == 1
    assert any("tay thuận" in n for n in c["notes"])


@pytest.mark.parametrize(
    ("right", "left", "expected"), [(10, 10, 2), (9, 9, 3), (10, 5, 4), (7, 4, 5), (3, 3, 5)]
)
def test_vision_with_glasses_drops_one_class(right, left, expected):
    c = criterion(
        run(
            vision_right_corrected=right,
            vision_left_corrected=left,
            vision_right_uncorrected=3,
            vision_left_uncorrected=3,
            dominant_hand="phải",
        ),
        "thi_luc",
    )
    assert c["detail"]["corrected"] is True
    assert c["class"] == expected


def test_vision_fraction_notation_other_than_tenths_is_refused():
    with pytest.raises(InvalidMeasurement, match="phần mười"):
        run(vision_right_uncorrected="20/20", vision_left_uncorrected=10)


# ---------------------------------------------------------------------------------------------------------------
# Hearing (index 16)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("right", "left", "expected"),
    [
        (5, 5, 1),
        (6, 5, 1),
        (5, 4.9, 2),
        (4, 2, 2),
        (2, 4, 2),
        (4, 1.9, 3),
        (3, 1, 3),
        (2.9, 1, 4),
        (2, 0.5, 4),
        (2, 0.4, 5),
        (1, 0.1, 5),
        (0.5, 0, 5),
    ],
)
def test_whispered_voice(right, left, expected):
    result = run(whisper_right_m=right, whisper_left_m=left)
    assert criterion(result, "nghe_noi_tham")["class"] == expected
    assert index(result, "TMH")["class"] == expected


@pytest.mark.parametrize(
    ("right", "left", "expected"),
    [
        (0, 0, 1),
        (14, 14, 1),
        (14.49, 30, 1),
        (14.5, 14.5, 2),
        (15, 15, 2),
        (35, 35, 2),
        (36, 36, 3),
        (45, 50, 3),
        (46, 46, 4),
        (65, 65, 4),
        (66, 66, 5),
        (20, 50, 2),  # "cả 2 tai": the better ear decides
    ],
)
def test_audiometry(right, left, expected):
    assert (
        criterion(run(audiometry_right_db=right, audiometry_left_db=left), "thinh_luc_ke")["class"]
        == expected
    )


def test_normal_voice_is_recorded_but_not_classified():
    result = run(TAI_PHAI_NOI_THUONG=5, TAI_TRAI_NOI_THUONG=4)
    assert result["inputs"]["normal_voice_right_m"] == 5
    assert all("noi_thuong" not in c["id"] for c in result["qd1613"]["criteria"])
    assert any("nói thường" in n for n in result["notes"])


# ---------------------------------------------------------------------------------------------------------------
# BMI: QĐ 1613 index 100 and the adult Asia-Pacific category
# ---------------------------------------------------------------------------------------------------------------


# Height 200 cm makes BMI = weight / 4 exactly.
@pytest.mark.parametrize(
    ("weight", "bmi_int", "expected"),
    [
        (96, 24, 1),
        (97.96, 24, 1),
        (98, 25, 2),
        (100, 25, 2),
        (101.96, 25, 2),
        (102, 26, 3),
        (108, 27, 3),
        (109.96, 27, 3),
        (110, 28, 4),
        (140, 35, 4),
    ],
)
def test_obesity_index_100(weight, bmi_int, expected):
    result = run(height_cm=200, weight_kg=weight, chest_cm=100)
    c = criterion(result, "beo_phe")
    assert c["inputs"]["bmi"] == bmi_int
    assert c["class"] == expected
    assert c["item"] == ("100.1" if expected == 1 else "100.2")


@pytest.mark.parametrize(
    ("weight", "shown", "code", "flag"),
    [
        (73.79, 18.4, "nhe_can", "nhe_can"),
        (73.8, 18.5, "binh_thuong", None),  # 18.45 → 18.5
        (74, 18.5, "binh_thuong", None),
        (91.6, 22.9, "binh_thuong", None),
        (91.8, 23.0, "thua_can", "thua_can"),  # 22.95 → 23.0
        (92, 23.0, "thua_can", "thua_can"),
        (99.6, 24.9, "thua_can", "thua_can"),
        (100, 25.0, "beo_phi_do_1", "beo_phi"),
        (119.6, 29.9, "beo_phi_do_1", "beo_phi"),
        (120, 30.0, "beo_phi_do_2", "beo_phi"),
    ],
)
def test_adult_bmi_asia_pacific(weight, shown, code, flag):
    result = run(height_cm=200, weight_kg=weight, chest_cm=100)
    assert result["bmi"]["value"] == shown
    assert result["bmi"]["category"]["code"] == code
    codes = [f["code"] for f in result["flags"]]
    assert codes == ([flag] if flag else [])
    if flag:
        assert result["flags"][0]["label"] in ("Nhẹ cân", "Thừa cân", "Béo phì")


# ---------------------------------------------------------------------------------------------------------------
# Teeth (indices 23, 24)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("teeth", "expected"), [(0, 1), (1, 2), (3, 2), (4, 3), (5, 3), (6, 4), (12, 4)])
def test_caries(teeth, expected):
    assert criterion(run(caries_teeth=teeth), "rang_sau")["class"] == expected


@pytest.mark.parametrize(
    ("pct", "expected"),
    [(100, 1), (99, 2), (91, 2), (90, 3), (81, 3), (80, 4), (61, 4), (60, 5), (0, 5), (90.5, 2), (80.49, 4)],
)
def test_chewing_capacity(pct, expected):
    assert criterion(run(chewing_capacity_pct=pct), "mat_rang")["class"] == expected


def test_teeth_index_exceptions():
    # 24.2 (1–2 teeth lost) alone leaves RHM at I; 23.3 (4–5 caries) alone leaves it at II.
    assert index(run(chewing_capacity_pct=95), "RHM")["class"] == 1
    assert index(run(caries_teeth=4), "RHM")["class"] == 2
    assert index(run(caries_teeth=2), "RHM")["class"] == 2
    assert index(run(caries_teeth=4, chewing_capacity_pct=85), "RHM")["class"] == 3


# ---------------------------------------------------------------------------------------------------------------
# QĐ 3192 grade and its flags
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sys_", "dia", "code", "flags"),
    [
        (119, 79, "toi_uu", []),
        (120, 79, "binh_thuong", []),
        (119, 80, "binh_thuong", []),
        (129, 84, "binh_thuong", []),
        (130, 84, "tien_tang_huyet_ap", ["tien_tang_huyet_ap"]),
        (129, 85, "tien_tang_huyet_ap", ["tien_tang_huyet_ap"]),
        (139, 89, "tien_tang_huyet_ap", ["tien_tang_huyet_ap"]),
        (140, 89, "tha_do_1", ["tang_huyet_ap", "tha_tam_thu_don_doc"]),
        (139, 90, "tha_do_1", ["tang_huyet_ap"]),
        (159, 99, "tha_do_1", ["tang_huyet_ap"]),
        (160, 99, "tha_do_2", ["tang_huyet_ap"]),
        (179, 109, "tha_do_2", ["tang_huyet_ap"]),
        (180, 109, "tha_do_3", ["tang_huyet_ap"]),
        (179, 110, "tha_do_3", ["tang_huyet_ap"]),
        (185, 80, "tha_do_3", ["tang_huyet_ap", "tha_tam_thu_don_doc"]),
        (139.5, 70, "tha_do_1", ["tang_huyet_ap", "tha_tam_thu_don_doc"]),  # 139.5 → 140
    ],
)
def test_qd3192_grades(sys_, dia, code, flags):
    result = run(systolic=sys_, diastolic=dia, age=60)
    assert result["blood_pressure"]["code"] == code
    assert [f["code"] for f in result["flags"]] == flags


def test_qd3192_is_for_adults_only():
    result = run(age=16, systolic=145, diastolic=95)
    assert result["blood_pressure"]["applicable"] is False
    assert result["flags"] == [] or all(f["code"] != "tang_huyet_ap" for f in result["flags"])


def test_glucose_screening_flag():
    assert [f["code"] for f in run(glucose_fasting_mmol_l=7.0)["flags"]] == ["duong_huyet_cao"]
    assert run(glucose_fasting_mmol_l=6.9)["flags"] == []
    assert [f["code"] for f in run(glucose_2h_mmol_l=11.1)["flags"]] == ["duong_huyet_cao"]
    assert [f["code"] for f in run(hba1c_percent=6.5)["flags"]] == ["duong_huyet_cao"]


# ---------------------------------------------------------------------------------------------------------------
# Overall class, doctor's classes and override
# ---------------------------------------------------------------------------------------------------------------

ALL_INDICES = ["TLC", "M", "TMH", "RHM", "TT_TK", "TH", "HH", "T_HOA", "TN_SD", "HVD", "ND_DL", "NT_CH", "U"]


def test_overall_is_the_worst_index():
    result = run(pulse=90)  # 46.1 at III
    assert index(result, "TH")["class"] == 3
    assert result["qd1613"]["suggested"]["class"] == 3
    assert result["qd1613"]["suggested"]["roman"] == "III"
    assert result["qd1613"]["final"] == {
        "class": 3,
        "roman": "III",
        "class_label": "Trung bình",
        "source": "suggested",
    }
    result = run(pulse=90, index_classes={"M": "IV"})
    assert result["qd1613"]["suggested"]["class"] == 4


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=5), min_size=12, max_size=12))
def test_overall_equals_the_worst_of_all_13_indices(classes):
    doctor = dict(zip(ALL_INDICES[1:], classes, strict=True))
    result = run(index_classes=doctor)
    q = result["qd1613"]
    assert q["suggested"]["class"] == max([1, *classes])  # TLC is computed: class I for BASE
    assert q["suggested"]["complete"] is True
    assert q["suggested"]["missing_indices"] == [] and q["suggested"]["partial_indices"] == []


def test_all_class_one_needs_every_index():
    result = run()
    q = result["qd1613"]
    assert q["suggested"]["class"] == 1 and q["suggested"]["complete"] is False
    assert set(q["suggested"]["missing_indices"]) == set(ALL_INDICES) - {"TLC", "TH", "NT_CH"}
    assert set(q["suggested"]["partial_indices"]) == {"TH", "NT_CH"}


def test_doctor_override_carries_a_reason():
    result = run(pulse=90, override={"class": "II", "reason": "Mạch nhanh do chạy lên tầng, đo lại 72"})
    q = result["qd1613"]
    assert q["suggested"]["class"] == 3
    assert q["final"]["class"] == 2 and q["final"]["source"] == "override"
    assert q["override"]["reason"].startswith("Mạch nhanh")
    assert q["override"]["differs_from_suggested"] is True
    for bad in (
        {"class": "II"},
        {"class": "II", "reason": "   "},
        "II",
        {"class": "VI", "reason": "x"},
        {"class": 2, "reason": "x", "by": "me"},
    ):
        with pytest.raises(InvalidMeasurement):
            run(override=bad)


def test_doctor_index_class_better_than_measured_needs_a_reason():
    with pytest.raises(InvalidMeasurement, match="lý do"):
        run(pulse=90, index_classes={"TH": 1})
    result = run(pulse=90, index_classes={"TH": {"class": 1, "reason": "Mạch đo lại 70 sau nghỉ"}})
    th = index(result, "TH")
    assert th["class"] == 1 and th["status"] == "doctor" and th["computed_class"] == 3
    worse = index(run(index_classes={"TH": 4}), "TH")  # worse than measured: no reason needed
    assert worse["class"] == 4
    with pytest.raises(InvalidMeasurement, match="Mã chỉ số"):
        run(index_classes={"XYZ": 1})


# ---------------------------------------------------------------------------------------------------------------
# Implausible values: warned, left out until confirmed
# ---------------------------------------------------------------------------------------------------------------


def test_height_17_cm_is_warned_and_not_used_until_confirmed():
    result = run(height_cm=17)
    assert result["needs_confirmation"] is True
    assert result["pending_fields"] == ["height_cm"]
    [w] = result["warnings"]
    assert w["field"] == "height_cm" and w["confirmed"] is False and "Chiều cao 17 cm" in w["message"]
    assert criterion(result, "the_luc")["status"] == "pending"
    assert result["bmi"] is None
    confirmed = run(height_cm=17, confirmed=["height_cm"])
    assert confirmed["needs_confirmation"] is False
    assert confirmed["warnings"][0]["confirmed"] is True
    assert criterion(confirmed, "the_luc")["class"] == 5


def test_blood_pressure_300_over_20_is_warned():
    result = run(systolic=300, diastolic=20)
    assert {w["field"] for w in result["warnings"]} == {"systolic", "diastolic"}
    assert result["blood_pressure"] is None
    assert criterion(result, "huyet_ap")["status"] == "pending"
    assert result["qd1613"]["suggested"]["complete"] is False
    confirmed = run(systolic=300, diastolic=20, confirmed=["HUYET_AP"])
    assert confirmed["blood_pressure"]["code"] == "tha_do_3"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("weight_kg", 400),
        ("pulse", 250),
        ("chest_cm", 200),
        ("vision_right_uncorrected", 0.8),
        ("whisper_right_m", 30),
    ],
)
def test_other_implausible_values_are_warned(field, value):
    changes = {field: value}
    if field.startswith("vision"):
        changes["vision_left_uncorrected"] = 10
    if field.startswith("whisper"):
        changes["whisper_left_m"] = 5
    result = run(**changes)
    assert field in result["pending_fields"]
    assert result["needs_confirmation"] is True


# ---------------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"age": None}, "Thiếu tuổi"),
        ({"sex": None}, "Thiếu giới tính"),
        ({"sex": "X"}, "Giới tính"),
        ({"height_cm": "cao"}, "Chiều cao phải là một số"),
        ({"weight_kg": True}, "Cân nặng phải là một số"),
        ({"weight_kg": [60]}, "Cân nặng phải là một số"),
        ({"height_cm": -170}, "không thể có"),
        ({"height_cm": 0}, "không thể có"),
        ({"pulse": float("nan")}, "hữu hạn"),
        ({"systolic": 80, "diastolic": 120}, "tâm thu phải lớn hơn"),
        ({"systolic": None}, "cả tâm thu và tâm trương"),
        ({"weigth_kg": 60}, "không được hỗ trợ: 'weigth_kg'"),
        ({"caries_teeth": 2.5}, "số nguyên"),
        ({"age": None, "birth_date": "2000-05-01"}, "ngày khám"),
        ({"age": None, "birth_date": "2000-05-01", "exam_date": "1999-01-01"}, "trước ngày sinh"),
        ({"age": None, "birth_date": "01.05.2000", "exam_date": "2026-01-01"}, "Ngày sinh phải có dạng"),
        ({"age": 40, "birth_date": "2000-05-01", "exam_date": "2026-06-01"}, "không khớp"),
        ({"physique_table": "quan_doi"}, "Bảng thể lực"),
        ({"confirmed": ["chieu_cao_sai"]}, "confirmed"),
        ({"blood_pressure": "120-80", "systolic": None, "diastolic": None}, "dạng 120/80"),
        ({"blood_pressure": "120/80"}, "hai lần"),
    ],
)
def test_unreadable_input_raises_a_typed_vietnamese_error(changes, message):
    with pytest.raises(InvalidMeasurement, match=message) as info:
        run(**changes)
    assert isinstance(info.value, InvalidInput)
    assert info.value.exit_code == 2


def test_huge_and_long_values_give_a_short_message():
    with pytest.raises(InvalidMeasurement, match="quá lớn"):
        run(height_cm=10**400)
    with pytest.raises(InvalidMeasurement) as info:
        run(height_cm="x" * 10_000)
    assert len(info.value.message) < 120
    with pytest.raises(InvalidMeasurement, match="không được hỗ trợ") as info:
        classify({**BASE, **{f"k{i}": 1 for i in range(50)}})
    assert "và 45 trường khác" in info.value.message


def test_not_an_object():
    for raw in ([], "tuổi 30", 30, None):
        with pytest.raises(InvalidMeasurement, match="đối tượng JSON"):
            classify(raw)


def test_moh_template_codes_and_text_values_are_accepted():
    result = classify(
        {
            "age": "42",
            "GIOI_TINH": "Nữ",
            "CHIEU_CAO": "152,5",
            "CAN_NANG": "47",
            "HUYET_AP": "135/85",
            "MACH": 78,
            "KHONG_KINH_MAT_PHAI": "10/10",
            "KHONG_KINH_MAT_TRAI": "8/10",
            "TAI_PHAI_NOI_THAM": 5,
            "TAI_TRAI_NOI_THAM": 4,
            "birth_date": None,
        }
    )
    assert result["inputs"]["height_cm"] == 152.5 and result["inputs"]["sex"] == "F"
    assert criterion(result, "the_luc")["inputs"]["height_cm"] == 153  # 152.5 → 153
    assert criterion(result, "mach")["class"] == 2
    assert criterion(result, "nghe_noi_tham")["class"] == 2
    assert result["blood_pressure"]["code"] == "tien_tang_huyet_ap"


def test_sex_in_decomposed_unicode_is_read():
    import unicodedata

    assert run(sex=unicodedata.normalize("NFD", "Nữ"))["inputs"]["sex"] == "F"
    assert run(sex="FEMALE")["inputs"]["sex"] == "F"


def test_age_from_dates():
    result = run(age=None, birth_date="1996-06-02", exam_date="2026-06-01")
    assert result["age"]["years"] == 29 and result["age"]["from_dates"] is True
    assert criterion(result, "huyet_ap")["item"] == "45.1"
    result = run(age=None, birth_date="02/06/1996", exam_date="2026-06-02")
    assert result["age"]["years"] == 30
    assert criterion(result, "huyet_ap")["item"] == "45.2"


def test_under_15_has_no_qd1613_class():
    result = run(age=14, height_cm=160, weight_kg=50, chest_cm=None)
    assert result["qd1613"]["applicable"] is False
    with pytest.raises(InvalidMeasurement, match="15 tuổi"):
        run(age=14, override={"class": 1, "reason": "x"})


# A measurement dict built from known fields with arbitrary values: classify either answers or raises
# InvalidMeasurement, never anything else.
_FIELDS = [
    "age",
    "sex",
    "height_cm",
    "weight_kg",
    "chest_cm",
    "systolic",
    "diastolic",
    "pulse",
    "vision_right_uncorrected",
    "vision_left_uncorrected",
    "whisper_right_m",
    "whisper_left_m",
    "audiometry_right_db",
    "audiometry_left_db",
    "caries_teeth",
    "chewing_capacity_pct",
    "birth_date",
    "exam_date",
    "dominant_hand",
    "physique_table",
    "confirmed",
    "override",
    "index_classes",
    "HUYET_AP",
]
_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["nam", "nữ", "10/10", "120/80", "2010-01-01", "III"]),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(_FIELDS), _ANY, max_size=10))
def test_arbitrary_input_answers_or_raises_invalid_measurement(raw):
    try:
        result = classify(raw)
    except InvalidMeasurement as exc:
        assert exc.message and "\n" not in exc.message
    else:
        assert result["schema"] == "ksk.classify/1"


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ("audiometry", "audiometry_right_db"),
        ("pulse", "pulse"),
        ("caries", "caries_teeth"),
        ("chewing", "chewing_capacity_pct"),
        ("obesity_bmi", None),
    ],
)
def test_tables_without_gaps_class_every_whole_value(table, field):
    """qd1613._in_table relies on it: these tables give every whole value a field accepts a class."""
    import math

    from ksk_desktop.clinical import bands, tables
    from ksk_desktop.clinical.measurements import NUMERIC_FIELDS

    if field is None:  # BMI from any accepted height and weight
        lo, hi = 0, 1000
    else:
        spec = NUMERIC_FIELDS[field]
        lo, hi = math.ceil(spec.hard_min), math.floor(spec.hard_max)
    rows = tables.qd1613()[table]["bands"]
    gaps = [v for v in range(lo, hi + 1) if bands.classify(v, rows).cls is None]
    assert gaps == []
