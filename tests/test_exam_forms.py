"""Form definitions: they load, every index a field feeds is a real QĐ 1613 index, measurement fields match the
clinical module, and every MoH template code (vietnam.md §2.2) can be filled."""

from __future__ import annotations

import json

import pytest

from ksk_desktop.clinical.measurements import NUMERIC_FIELDS
from ksk_desktop.errors import InvalidInput
from ksk_desktop.exams.forms import (
    FIELD_TYPES,
    ROLE_PERMS,
    available,
    canonical_form_id,
    load_form,
    moh_template,
)
from ksk_desktop.resources import read_text

INDICES = {i["code"] for i in json.loads(read_text("classification", "qd1613.json"))["indices"]}
FORMS = ("adult", "child", "elderly")

# The MoH KSK template columns of vietnam.md §2.2 (administrative, history, physical, clinical, conclusion).
MOH_CODES = """TT MA_CSKCB MA_GTIN_CSKCB NGAY_VAO HO_TEN GIOI_TINH NGAY_SINH MA_DAN_TOC SO_CCCD NGAYCAP_CCCD NOICAP_CCCD
MATINH_CU_TRU MAXA_CU_TRU MAHUYEN DIA_CHI MA_NGHE_NGHIEP NHOM_MAU DOI_TUONG NGUON_CHI_TRA NOI_LAM_VIEC_HOC_TAP DIEN_THOAI
LY_DO_VV MA_LOAI_KCB TSGD_MAC_BENH TSGD_MA_BENH TSBT_BENH_TRONG_5_NAM_QUA TSBT_BENH_THAN_KINH TSBT_BENH_MAT TSBT_BENH_TAI
TSBT_BENH_TIM TSBT_PHAU_THUAT_TIM TSBT_TANG_HUYET_AP TSBT_KHO_THO TSBT_BENH_PHOI TSBT_BENH_THAN TSBT_NGHIEN_RUOU
TSBT_DAI_THAO_DUONG TSBT_BENH_TAM_THAN TSBT_MAT_Y_THUC TSBT_NGAT TSBT_BENH_TIEU_HOA TSBT_ROI_LOAN_GIAC_NGU TSBT_TAI_BIEN
TSBT_BENH_COT_SONG TSBT_RUOU_THUONG_XUYEN TSBT_MA_TUY TSBT_BENH_KHAC TSBT_MA_BENH_KHAC TSBT_DANG_DIEU_TRI_BENH
TSBT_MA_BENH TSBT_TEN_THUOC_LIEU_LUONG TSBT_THAI_SAN TSBT_MA_BENH_THAI_SAN TSBT_TEN_THUOC_THAI_SAN CHIEU_CAO CAN_NANG
CHI_SO_BMI MACH HUYET_AP KHAM_THE_LUC_PL NOI_KHOA_TUAN_HOAN NOI_KHOA_TUAN_HOAN_PL NOI_KHOA_HO_HAP NOI_KHOA_HO_HAP_PL
NOI_KHOA_TIEU_HOA NOI_KHOA_TIEU_HOA_PL NOI_KHOA_THAN_TN_SD NOI_KHOA_THAN_TIETNIEU_PL NOI_KHOA_NOI_TIET NOI_KHOA_NOI_TIET_PL
NOI_KHOA_CO_XUONG_KHOP NOI_KHOA_CO_XUONG_KHOP_PL NOI_KHOA_THAN_KINH NOI_KHOA_THAN_KINH_PL NOI_KHOA_TAM_THAN
NOI_KHOA_TAM_THAN_PL KET_QUA_KHAM_NGOAI_KHOA KHAM_NGOAI_KHOA_PL KET_QUA_KHAM_DA_LIEU KHAM_DA_LIEU_PL
KET_QUA_KHAM_SAN_PHU_KHOA KHAM_SAN_PHU_KHOA_PL KHONG_KINH_MAT_PHAI KHONG_KINH_MAT_TRAI CO_KINH_MAT_PHAI
CO_KINH_MAT_TRAI BENH_KHAC_MAT KHAM_MAT_PL TAI_TRAI_NOI_THUONG TAI_TRAI_NOI_THAM TAI_PHAI_NOI_THUONG TAI_PHAI_NOI_THAM
BENH_KHAC_TAI_MUI_HONG KHAM_TAI_MUI_HONG_PL HAM_TREN HAM_DUOI BENH_KHAC_RANG_HAM_MAT KHAM_RANG_HAM_MAT_PL PHAN_LOAI_SK
KET_LUAN_BENH CAC_BENH_TAT_NEU_CO""".split()


def test_three_forms_ship_and_aliases_resolve() -> None:
    assert set(FORMS) <= set(available())
    assert canonical_form_id("adult-periodic") == "adult" and canonical_form_id("child-pupil") == "child"
    with pytest.raises(InvalidInput):
        load_form("nope")


VERSIONS = [(name, v) for name in FORMS for v in available()[name]]


@pytest.mark.parametrize(("name", "version"), VERSIONS)
def test_every_field_is_well_formed(name: str, version: int) -> None:
    form = load_form(name, version)
    assert form.form == name and form.form_version == version
    for section in form.sections:
        assert section.role in ROLE_PERMS and section.fields
        for f in section.fields:
            assert f.type in FIELD_TYPES
            if f.feeds is not None:
                assert f.feeds in INDICES, f"{f.key} feeds unknown index {f.feeds}"
            if f.type in ("number", "integer"):
                assert f.unit and f.range and f.range[0] < f.range[1], f.key
            if f.key in NUMERIC_FIELDS:
                assert f.unit == NUMERIC_FIELDS[f.key].unit, f.key
            if f.type == "choice":
                assert f.choices


@pytest.mark.parametrize("name", FORMS)
def test_specialty_classes_cover_every_index(name: str) -> None:
    """Each of the 13 QĐ 1613 indices gets a class from some field (measured or the specialty's class)."""
    form = load_form(name)
    fed = {f.feeds for f in form.fields.values() if f.feeds}
    assert fed == INDICES - ({"U"} if name == "child" else set())
    physique = form.section("physique")
    assert physique.role == "vitals" and {"height_cm", "weight_kg"} <= {f.key for f in physique.fields}
    assert form.section("conclusion").role == "conclusion"


def test_every_moh_template_code_can_be_filled() -> None:
    form = load_form("adult")
    from_fields = {f.template_code for f in form.fields.values() if f.template_code}
    derived = set(moh_template())
    missing = [c for c in MOH_CODES if c not in from_fields | derived]
    assert not missing, missing
    assert len(MOH_CODES) >= 100


def test_elderly_adds_glucose_ecg_ultrasound_before_the_conclusion() -> None:
    elderly, adult = load_form("elderly"), load_form("adult")
    ids = [s.id for s in elderly.sections]
    assert ids.index("elderly_tests") == ids.index("conclusion") - 1
    assert set(adult.fields) < set(elderly.fields)
    assert {"elderly.capillary_glucose_mmol_l", "elderly.ecg", "elderly.abdominal_ultrasound"} <= set(
        elderly.fields
    )


def test_child_form_has_growth_eyes_ent_teeth_spine() -> None:
    child = load_form("child")
    assert child.physique_table == "hoc_sinh"
    assert {
        "height_cm",
        "weight_kg",
        "vision_right_uncorrected",
        "whisper_left_m",
        "caries_teeth",
        "spine.scoliosis",
        "spine.class",
        "conclusion.health_class",
    } <= set(child.fields)
    assert child.field(
        "conclusion.health_class"
    ).required  # QĐ 1613 starts at 15: the doctor classes children
    assert json.loads(json.dumps(child.to_json()))["sections"][0]["fields"]
