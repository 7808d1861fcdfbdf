"""WHO z-scores (LMS method) for children: published reference points, the tables' integrity, the categories."""

from __future__ import annotations

import hashlib
import math
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ksk_desktop.clinical import classify
from ksk_desktop.clinical import growth as g
from ksk_desktop.clinical.measurements import DAYS_PER_MONTH
from ksk_desktop.resources import resource

# The WHO LMS files never change: any edit shows up here.
WHO_SHA256 = {
    "weianthro": "6c139f44d50b23c0290f7f21878ae561d6ee3eecf978a3b6549029f9cba9a318",
    "lenanthro": "8ff0d70c7000697f4fe4138dfb81e2818655f9d2bd4fbcdeb37e2bf0ca56cb52",
    "bmianthro": "f7cf8d0db5d969453bd7bd83ff7db69c9a5e4addf89b8ee1582b6b9b1a360058",
    "wfawho2007": "83f2dc9939860f6827f8e6a45f2fbbea2f8e0d414b07ed36b880e71998924dcb",
    "hfawho2007": "797c2d92af234e31b56343b118dc8d0512cc65236fc4f76620c9de0fd9d9643f",
    "bfawho2007": "7c71c5115c0cc042a017eb2693efb7a122d1082911bbbd99a63d96e1925949b2",
}


@pytest.mark.parametrize("name", sorted(WHO_SHA256))
def test_who_tables_are_the_pinned_files(name):
    data = resource("classification", "who", f"{name}.txt").read_bytes()
    assert hashlib.sha256(data).hexdigest() == WHO_SHA256[name]


# Rows copied by hand from WHO's own files (WorldHealthOrganization/anthro and /anthroplus, data-raw/growthstandards).
@pytest.mark.parametrize(
    ("table", "sex", "age", "lms"),
    [
        ("weianthro", 1, 0, (0.3487, 3.3464, 0.14602)),
        ("weianthro", 1, 100, (0.1682, 6.5699, 0.11588)),
        ("weianthro", 1, 555, (0.0196, 10.9865, 0.11129)),
        ("weianthro", 2, 1826, (-0.3518, 18.2179, 0.14821)),
        ("lenanthro", 1, 44, (1, 56.4833, 0.03492)),
        ("bfawho2007", 1, 60, (-0.7151, 15.2679, 0.08366)),
        ("bfawho2007", 1, 61, (-0.7387, 15.2641, 0.0839)),
        ("bfawho2007", 2, 227, (-0.7577, 21.4143, 0.14432)),
        ("bfawho2007", 2, 229, (-0.7496, 21.4269, 0.14441)),
        ("hfawho2007", 1, 61, (1, 110.2647, 0.04164)),
        ("hfawho2007", 2, 228, (1, 163.1548, 0.04009)),
        ("wfawho2007", 1, 120, (-0.6764, 31.1586, 0.16305)),
        ("wfawho2007", 2, 60, (-0.465, 18.0823, 0.1424)),
    ],
)
def test_who_rows_match_the_published_values(table, sex, age, lms):
    from ksk_desktop.clinical.tables import who_table

    assert who_table(table)[sex][age][:3] == lms


def test_who_tables_cover_the_ages_who_uses():
    from ksk_desktop.clinical.tables import who_table

    for name in ("weianthro", "lenanthro", "bmianthro"):
        for sex in (1, 2):
            assert sorted(who_table(name)[sex]) == list(range(1827))
    for name, top in (("wfawho2007", 121), ("hfawho2007", 229), ("bfawho2007", 229)):
        for sex in (1, 2):
            assert sorted(who_table(name)[sex]) == list(range(60, top + 1))
    assert who_table("lenanthro")[1][730][3] == "L" and who_table("lenanthro")[1][731][3] == "H"


# -- the LMS method itself ---------------------------------------------------------------------------------------

AGES = st.one_of(st.integers(0, 1826).map(float), st.floats(60 * DAYS_PER_MONTH, 228.99 * DAYS_PER_MONTH))


@settings(max_examples=300, deadline=None)
@given(
    indicator=st.sampled_from(["wfa", "hfa", "bfa"]),
    sex=st.sampled_from("MF"),
    days=AGES,
    z=st.sampled_from([-3, -2, -1, 0, 1, 2, 3]),
)
def test_value_at_k_sd_gives_z_k(indicator, sex, days, z):
    lms = g.lms_at(indicator, sex, days)
    if lms is None:  # weight-for-age stops at 121 months
        assert indicator == "wfa" and days / DAYS_PER_MONTH >= 121
        return
    l_, m_, s_, _ = lms
    value = g.lms_value(z, l_, m_, s_)
    assert g.zscore(indicator, sex, days, value) == pytest.approx(z, abs=1e-9)
    assert g.zscore(indicator, sex, days, m_) == pytest.approx(0, abs=1e-12)  # the median gives 0


@pytest.mark.parametrize("indicator", ["wfa", "bfa"])
def test_beyond_3_sd_weight_and_bmi_use_whos_restricted_method(indicator):
    days = 1000
    l_, m_, s_, _ = g.lms_at(indicator, "F", days)
    sd2, sd3 = g.lms_value(2, l_, m_, s_), g.lms_value(3, l_, m_, s_)
    assert g.zscore(indicator, "F", days, sd3 + (sd3 - sd2)) == pytest.approx(4)
    sd2n, sd3n = g.lms_value(-2, l_, m_, s_), g.lms_value(-3, l_, m_, s_)
    assert g.zscore(indicator, "F", days, sd3n - (sd2n - sd3n)) == pytest.approx(-4)
    assert g.lms_z(sd3 + (sd3 - sd2), l_, m_, s_) != pytest.approx(4)  # the plain formula differs


def test_height_is_plain_lms_beyond_3_sd():
    l_, m_, s_, _ = g.lms_at("hfa", "M", 1000)
    assert l_ == 1
    assert g.zscore("hfa", "M", 1000, m_ * (1 + 4 * s_)) == pytest.approx(4)


def test_2007_reference_interpolates_between_months():
    days = 61.5 * DAYS_PER_MONTH
    l_, m_, s_, _ = g.lms_at("bfa", "M", days)
    assert m_ == pytest.approx((15.2641 + 15.2616) / 2)
    assert l_ == pytest.approx((-0.7387 + -0.7621) / 2)
    assert s_ == pytest.approx((0.08390 + 0.08414) / 2)


# -- published reference points ----------------------------------------------------------------------------------


def test_who_anthro_reference_cases():
    # WorldHealthOrganization/anthro tests: weight-for-age, girl, 1522 days, 17 kg → 0.24;
    # length-for-age, boy, 44 days, 50 cm → ((50/56.4833) − 1) / 0.03492 rounded.
    assert round(g.zscore("wfa", "F", 1522, 17), 2) == 0.24
    assert round(g.zscore("hfa", "M", 44, 50), 2) == round((50 / 56.4833 - 1) / 0.03492, 2) == -3.29
    assert g.zscore("wfa", "F", 1, 10.37) > 5  # WHO flags it
    assert g.zscore("bfa", "F", 1, 25) > 5


@pytest.mark.parametrize(
    ("months", "height", "weight", "wfa", "bfa", "hfa"),
    [
        (60.32, 113.8, 18.7, 0.212, -0.575, 0.959),
        (60.911701, 113.6, 20.5, 0.795, 0.418, 0.848),
    ],
)
def test_who_anthroplus_reference_cases(months, height, weight, wfa, bfa, hfa):
    # WorldHealthOrganization/anthroplus tests, girls just over 60 months, at 3 decimals.
    days = months * DAYS_PER_MONTH
    assert round(g.zscore("wfa", "F", days, weight), 3) == wfa
    assert round(g.zscore("bfa", "F", days, weight / (height / 100) ** 2), 3) == bfa
    assert round(g.zscore("hfa", "F", days, height), 3) == hfa


@pytest.mark.parametrize(
    ("sex", "bmi", "z"), [("M", 25.4, 1), ("M", 29.7, 2), ("F", 25.0, 1), ("F", 29.7, 2)]
)
def test_bmi_for_age_at_19_years_matches_the_published_anchors(sex, bmi, z):
    # vietnam.md §2.5 (de Onis et al. 2007): +1 SD ≈ 25.4 (boys) / 25.0 (girls), +2 SD ≈ 29.7 at 19 years.
    assert g.zscore("bfa", sex, 228 * DAYS_PER_MONTH, bmi) == pytest.approx(z, abs=0.02)


# -- classify() for children ---------------------------------------------------------------------------------------


def child(**kw):
    data = {"sex": "nam", "birth_date": "2020-01-01", "exam_date": "2023-01-01"}
    data.update(kw)
    return classify(data)


def test_which_reference_by_age():
    assert g.reference_for(59.99 * DAYS_PER_MONTH) == "who2006"
    assert g.reference_for(60 * DAYS_PER_MONTH) == "who2007"
    assert g.reference_for(228.99 * DAYS_PER_MONTH) == "who2007"
    assert g.reference_for(229 * DAYS_PER_MONTH) is None
    assert g.lms_at("wfa", "M", 120.99 * DAYS_PER_MONTH) is not None
    assert g.lms_at("wfa", "M", 121 * DAYS_PER_MONTH) is None


def test_an_adult_gets_asia_pacific_bmi_and_no_growth_block():
    r = classify({"sex": "nữ", "age_months": 229, "height_cm": 155, "weight_kg": 50})
    assert r["growth"] is None and r["bmi"]["basis"] == "asia_pacific"
    r = classify({"sex": "nữ", "age_months": 228.5, "height_cm": 155, "weight_kg": 50})
    assert r["growth"]["reference"] == "WHO Growth Reference 2007"
    assert r["bmi"]["basis"] == "who_bmi_for_age"
    assert r["growth"]["indicators"]["wfa"]["status"] == "not_applicable"


def test_median_child_is_normal_with_z_zero():
    days = 1096  # 2020-01-01 → 2023-01-01
    w = g.lms_at("wfa", "M", days)[1]
    h = g.lms_at("hfa", "M", days)[1]
    r = child(height_cm=h, weight_kg=w)
    ind = r["growth"]["indicators"]
    assert r["growth"]["age_days"] == days
    assert ind["wfa"]["z"] == 0 and ind["hfa"]["z"] == 0
    assert ind["wfa"]["category"] is None and ind["hfa"]["category"] is None
    assert r["flags"] == []
    assert r["qd1613"]["applicable"] is False


def _at(indicator, sex, days, z):
    l_, m_, s_, _ = g.lms_at(indicator, sex, days)
    return g.lms_value(z, l_, m_, s_)


def test_under_five_categories_and_flags():
    days = 1096
    h = _at("hfa", "M", days, -2.5)
    w = _at("wfa", "M", days, -2.2)
    r = child(height_cm=h, weight_kg=w)
    ind = r["growth"]["indicators"]
    assert ind["hfa"]["category"]["code"] == "thap_coi"
    assert ind["wfa"]["category"]["code"] == "nhe_can"
    assert {f["code"] for f in r["flags"]} == {"thap_coi", "nhe_can"}
    r = child(height_cm=_at("hfa", "M", days, -3.2), weight_kg=_at("wfa", "M", days, 0))
    assert r["growth"]["indicators"]["hfa"]["category"]["code"] == "thap_coi_nang"
    codes = [f["code"] for f in r["flags"]]
    assert codes.count("thap_coi") == 1  # severe stunting raises the stunting flag once
    assert "beo_phi" in codes  # so short for a median weight that BMI-for-age is above +3


def test_z_exactly_minus_two_is_not_stunting():
    days = 1096
    r = child(height_cm=_at("hfa", "M", days, -2.0), weight_kg=_at("wfa", "M", days, 0))
    assert r["growth"]["indicators"]["hfa"]["z"] == -2.0
    assert r["growth"]["indicators"]["hfa"]["category"] is None


def test_school_age_bmi_categories():
    data = {"sex": "nữ", "birth_date": "2015-03-10", "exam_date": "2025-09-10"}
    days = (date(2025, 9, 10) - date(2015, 3, 10)).days  # 126 months: WHO 2007, cut-offs +1 / +2 / −2 / −3
    l_, m_, s_, _ = g.lms_at("bfa", "F", days)
    height = 140.0
    for z, code, flag in (
        (1.5, "thua_can", "thua_can"),
        (2.5, "beo_phi", "beo_phi"),
        (-2.5, "gay_com", "gay_com"),
        (-3.5, "gay_com_nang", "gay_com"),
        (0.5, None, None),
        (1.0, None, None),
    ):
        if abs(z) <= 3:
            bmi = g.lms_value(z, l_, m_, s_)
        else:  # beyond 3 SD WHO steps out by the SD2–SD3 distance
            sd3, sd2 = (
                g.lms_value(math.copysign(3, z), l_, m_, s_),
                g.lms_value(math.copysign(2, z), l_, m_, s_),
            )
            bmi = sd3 + (abs(z) - 3) * (sd3 - sd2)
        r = classify(dict(data, height_cm=height, weight_kg=bmi * (height / 100) ** 2))
        bfa = r["growth"]["indicators"]["bfa"]
        assert bfa["z"] == pytest.approx(z, abs=0.011)
        assert (bfa["category"] or {}).get("code") == code, z
        assert [f["code"] for f in r["flags"]] == ([flag] if flag else [])
        assert r["bmi"]["basis"] == "who_bmi_for_age"


def test_length_or_height_adjustment_under_two():
    young = {
        "birth_date": "2024-01-01",
        "exam_date": "2025-06-01",
        "height_cm": 80,
        "weight_kg": 10,
    }  # 517 days
    assert child(**young)["growth"]["height_used_cm"] == 80  # lying is the default under 731 days
    standing = child(**young, measured_lying=False)
    assert standing["growth"]["height_used_cm"] == 80.7  # standing under 731 days: +0.7 cm
    assert standing["growth"]["indicators"]["hfa"]["z"] > child(**young)["growth"]["indicators"]["hfa"]["z"]
    assert child(height_cm=95, weight_kg=14)["growth"]["height_used_cm"] == 95  # 1096 days, standing default
    assert child(height_cm=95, weight_kg=14, measured_lying=True)["growth"]["height_used_cm"] == 94.3


def test_who_implausible_z_is_a_warning_to_confirm():
    days = 1096
    r = child(height_cm=_at("hfa", "M", days, 0), weight_kg=_at("wfa", "M", days, 3) * 1.8)
    wfa = r["growth"]["indicators"]["wfa"]
    assert wfa["who_flag"] is True and wfa["category"] is None and wfa["status"] == "pending"
    assert r["needs_confirmation"] is True
    assert any(w["code"] == "z_ngoai_nguong_who" and w["field"] == "weight_kg" for w in r["warnings"])
    r = child(
        height_cm=_at("hfa", "M", days, 0),
        weight_kg=_at("wfa", "M", days, 3) * 1.8,
        confirmed=["weight_kg", "height_cm"],
    )
    assert r["needs_confirmation"] is False
    assert r["growth"]["indicators"]["wfa"]["status"] == "ok"  # confirmed: used (no under-5 cut-off above +2)
    assert r["growth"]["indicators"]["bfa"]["category"]["code"] == "beo_phi"


def test_age_only_in_years_is_noted_for_children():
    r = classify({"sex": "nam", "age": 8, "height_cm": 125, "weight_kg": 25})
    assert r["growth"]["age_months"] == 96
    assert any("ngày sinh" in n for n in r["notes"])
