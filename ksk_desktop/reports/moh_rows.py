"""One signed exam as a row of the Ministry's KSK template: field code → value, typed as the portal wants it.

The portal's rules (vietnam.md §2.2): ``SO_CCCD`` exactly 12 digits, as text; every date text ``dd/mm/yyyy``;
classes integers 1–5; yes/no items ``1``/``0`` (the template's validation lists "0,1"). In the four columns
the portal reads ICD codes from — ``TSBT_MA_BENH_KHAC``, ``TSBT_MA_BENH``, ``KET_LUAN_BENH`` and
``CAC_BENH_TAT_NEU_CO`` — only codes, separated by ``;`` (never ``,``: a name with a comma breaks its parser, and
a field with no code is blanked). The portal reads ``CAC_BENH_TAT_NEU_CO`` first and lets it overwrite
``KET_LUAN_BENH``, so it holds every diagnosis, the main one first. The two other disease columns
(``TSGD_MA_BENH``, ``TSBT_MA_BENH_THAI_SAN``) take the template's drop-down of names: the official names exactly
as the template's ``dmicdme`` sheet spells them (the portal refuses any other wording), else the station's
catalogue's, else the code.

An exam that the portal would refuse is not written: :class:`Refusal` says why (no 12-digit CCCD, no birth
date, no sex, no health class). What goes with a caveat carries warnings (a birth date written as 01/01 of the
birth year because only the year is known, a code the template's catalogue does not list).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ksk_desktop.catalogs import icd10
from ksk_desktop.catalogs.communes import commune_by_code
from ksk_desktop.dates import show_date
from ksk_desktop.exams.forms import FormDef, load_form
from ksk_desktop.text import nfc

CODE_COLUMNS = ("TSBT_MA_BENH_KHAC", "TSBT_MA_BENH", "KET_LUAN_BENH", "CAC_BENH_TAT_NEU_CO")
NAME_COLUMNS = ("TSGD_MA_BENH", "TSBT_MA_BENH_THAI_SAN")
VISION_COLUMNS = ("KHONG_KINH_MAT_PHAI", "KHONG_KINH_MAT_TRAI", "CO_KINH_MAT_PHAI", "CO_KINH_MAT_TRAI")
SEX_VALUES = {"M": "Nam", "F": "Nữ"}
HAI_PHONG = "31"
_CCCD = re.compile(r"[0-9]{12}")
_FACILITY = re.compile(r"[0-9A-Za-z]{5}")


def check_facility_code(code: str | None) -> str:
    """``MA_CSKCB``: the station's 5-character facility code (mã cơ sở KCB, e.g. ``31006``)."""
    from ksk_desktop.errors import InvalidInput

    text = (code or "").strip()
    if not _FACILITY.fullmatch(text):
        raise InvalidInput(
            "Mã cơ sở khám chữa bệnh (MA_CSKCB) phải gồm đúng 5 chữ số hoặc chữ cái, ví dụ 31006 "
            f"(đã nhập {len(text)} ký tự)."
        )
    return text


@dataclass
class RowContext:
    """What every row of one export shares."""

    facility_code: str
    station_commune: str
    icd_names: dict[str, str]  # the template's dmicdme: code → official name
    provinces: dict[str, str]  # the template's dmtinh: province code → name
    data_dir: Path | None = None


@dataclass
class Row:
    """An exam that goes: its values by field code, the commune and province codes, and any warnings."""

    exam_id: str
    version: int
    exam_date: date
    person_id: str
    name: str
    cccd: str
    values: dict[str, Any]
    commune_code: str
    province_code: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class Refusal:
    """An exam that cannot go, with every reason."""

    exam_id: str
    version: int | None
    exam_date: date
    person_id: str
    name: str
    cccd: str | None
    reasons: list[str]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def _dmy(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return show_date(value)
    try:
        return show_date(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return nfc(str(value))


def _int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(round(float(value)))
    except (TypeError, ValueError):
        return None


def _number(value: Any) -> int | float | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        n = float(value)
    except (TypeError, ValueError):
        return None
    return int(n) if n.is_integer() else n


def _codes(value: Any) -> list[str]:
    if isinstance(value, list):
        value = ";".join(str(v.get("code", "")) if isinstance(v, dict) else str(v) for v in value)
    return icd10.split_codes(str(value)) if value not in (None, "") else []


def disease_name(code: str, ctx: RowContext) -> str:
    """The official name of *code*: the template's ``dmicdme`` wording, else the station catalogue's, else the code."""
    if code in ctx.icd_names:
        return ctx.icd_names[code]
    found = icd10.lookup(code, ctx.data_dir)
    return found["name"] if found else code


class _Builder:
    def __init__(self, doc: dict, person: Any, ctx: RowContext) -> None:
        self.doc, self.person, self.ctx = doc, person, ctx
        self.values: dict[str, Any] = {}
        self.warnings: list[str] = []
        self.reasons: list[str] = []

    def unknown_codes(self, column: str, codes: list[str]) -> None:
        if self.ctx.icd_names:
            missing = [c for c in codes if c not in self.ctx.icd_names]
            if missing:
                self.warnings.append(
                    f"{column}: mã {', '.join(missing)} không có trong danh mục dmicdme của tệp mẫu"
                )

    def form_fields(self, form: FormDef) -> None:
        values = self.doc.get("values") or {}
        sex = self.person.sex
        sections = {s.id: s for s in form.sections}
        for f in form.fields.values():
            code = f.template_code
            if not code or f.document_key or code == "HUYET_AP" or not f.applies(sex):
                continue
            if not sections[f.section].applies(sex):
                continue
            raw = values.get(f.key)
            if raw in (None, "", []):
                continue
            if code in CODE_COLUMNS or code in NAME_COLUMNS or f.type == "icd10_codes":
                codes = _codes(raw)
                if not codes:
                    self.warnings.append(
                        f"{code}: không có mã ICD-10 nào trong “{nfc(str(raw))[:60]}”, để trống"
                    )
                    continue
                self.unknown_codes(code, codes)
                if code in NAME_COLUMNS:
                    self.values[code] = ";".join(disease_name(c, self.ctx) for c in codes)
                else:
                    self.values[code] = ";".join(codes)
            elif f.type == "bool":
                self.values[code] = 1 if raw else 0
            elif f.type in ("class", "integer"):
                self.values[code] = _int(raw)
            elif f.type == "number":
                n = _number(raw)
                self.values[code] = f"{n}/10" if code in VISION_COLUMNS and n is not None else n
            elif f.type == "date":
                self.values[code] = _dmy(raw)
            else:
                self.values[code] = nfc(str(raw)).strip() or None

    def person_fields(self) -> tuple[str, str]:
        p, ctx = self.person, self.ctx
        cccd = (p.personal_id or "").strip()
        if not cccd:
            self.reasons.append("không có số định danh cá nhân (CCCD)")
        elif not _CCCD.fullmatch(cccd):
            self.reasons.append("số định danh cá nhân không đủ 12 chữ số")
        self.values["SO_CCCD"] = cccd
        self.values["HO_TEN"] = nfc(p.full_name).strip().upper()
        if p.birth_date:
            self.values["NGAY_SINH"] = _dmy(p.birth_date)
        elif p.birth_year:
            self.values["NGAY_SINH"] = f"01/01/{p.birth_year}"
            self.warnings.append(f"chỉ có năm sinh: ngày sinh ghi 01/01/{p.birth_year}")
        else:
            self.reasons.append("thiếu ngày sinh")
        sex = SEX_VALUES.get(p.sex or "")
        if sex is None:
            self.reasons.append("thiếu giới tính")
        self.values["GIOI_TINH"] = sex
        commune_code = (p.commune_code or ctx.station_commune or "").strip()
        commune = commune_by_code(commune_code) if commune_code else None
        province = commune.province_code if commune else HAI_PHONG
        self.values["MAXA_CU_TRU"] = commune.name if commune else None
        self.values["MATINH_CU_TRU"] = ctx.provinces.get(province.zfill(2), province)
        self.values["DIA_CHI"] = (
            nfc(p.current_address or p.permanent_address or p.hamlet or "").strip() or None
        )
        self.values["DIEN_THOAI"] = (p.phone or "").strip() or None
        return commune_code, province

    def exam_fields(self) -> None:
        doc = self.doc
        values = doc.get("values") or {}
        assessment = doc.get("assessment") or {}
        self.values["MA_CSKCB"] = self.ctx.facility_code
        self.values["NGAY_VAO"] = _dmy(doc["exam_date"])
        bmi = (assessment.get("bmi") or {}).get("value")
        self.values["CHI_SO_BMI"] = _number(bmi)
        if values.get("systolic") is not None and values.get("diastolic") is not None:
            self.values["HUYET_AP"] = f"{_int(values['systolic'])}/{_int(values['diastolic'])}"
        indices = ((assessment.get("qd1613") or {}).get("indices")) or []
        physique = next((i.get("class") for i in indices if i.get("code") == "TLC"), None)
        self.values["KHAM_THE_LUC_PL"] = _int(physique)
        health_class = _int(doc.get("health_class"))
        if health_class not in (1, 2, 3, 4, 5):
            self.reasons.append("chưa có phân loại sức khỏe")
        self.values["PHAN_LOAI_SK"] = health_class
        diagnoses = sorted(doc.get("diagnoses") or [], key=lambda d: not d.get("primary"))
        codes = _codes(diagnoses)
        if codes:
            self.unknown_codes("KET_LUAN_BENH", codes)
            self.values["KET_LUAN_BENH"] = codes[0]
            self.values["CAC_BENH_TAT_NEU_CO"] = ";".join(codes)


def build_row(version: int, doc: dict, person: Any, ctx: RowContext) -> Row | Refusal:
    """The template row of one signed exam version, or why it cannot go."""
    b = _Builder(doc, person, ctx)
    commune, province = b.person_fields()
    b.form_fields(load_form(doc["form"], doc.get("form_version")))
    b.exam_fields()
    exam_date = date.fromisoformat(doc["exam_date"])
    name = nfc(person.full_name)
    if b.reasons:
        return Refusal(doc["id"], version, exam_date, person.id, name, person.personal_id, b.reasons)
    values = {k: v for k, v in b.values.items() if v not in (None, "")}
    return Row(
        doc["id"],
        version,
        exam_date,
        person.id,
        name,
        values["SO_CCCD"],
        values,
        commune,
        province,
        b.warnings,
    )
