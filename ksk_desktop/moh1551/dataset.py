"""One signed exam as a record of the QĐ 1551 data set: its parts (``XML1``…``XML12``), each a mapping of field
name → text exactly as the file carries it (``XML11`` a list of laboratory results).

Where a value comes from:

- the person: name (capitals), sex (1 male, 2 female), birth date (``YYYYMMDD``; only a birth year gives
  ``YYYY0101``, as the Ministry's Excel import does, and a warning), personal ID, address, commune
  (``MAXA_CU_TRU``), phone, guardian;
- the station's QĐ 1551 settings: ``MA_CSKCB``, ``MA_GTIN_CSKCB``, the province (``MATINH_CU_TRU``);
- the exam: its form's fields by their template code (history flags, organ findings and classes, vision with
  and without glasses, hearing, laboratory results with the service and index codes of the form), the health
  class, the diagnoses (main first), the conclusion block of form version 2;
- :mod:`ksk_desktop.moh1551.codes`: ``MA_LK``, the record type, ``DOI_TUONG`` (person's group and priority flags
  on the exam day), ``NGUON_CHI_TRA`` (the exam's "Nguồn chi trả", else the head's setting for the group and
  year, else the plan's default — the same rule as the monthly report);
- visit time ``NGAY_VAO``: the check-in time of the exam's appointment when it was that day, else the time the
  exam was opened when it was that day, else ``0000`` on the exam day.

Defaults where the form left a value empty (each one documented, none invented per person): ethnicity ``56``
(không xác định); occupation ``00`` under 18, ``99`` (không xác định) from 18; ``MA_LOAI_KCB`` ``01``;
``KET_LUAN_BENH`` with no diagnosis ``Z00.0`` (adult general examination) or ``Z00.1`` (routine child health
check), the ICD-10 codes of an examination without findings; the conclusion block of an exam on form version 1
(no such fields) or left empty: a health problem when there is a diagnosis, normal otherwise, no TB risk,
transfer when the exam has a referral.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop.catalogs import codelists, icd10
from ksk_desktop.clock import to_vietnam
from ksk_desktop.db.models import Appointment, ExamVersion, Person, Station
from ksk_desktop.exams import document
from ksk_desktop.exams.forms import FormDef, load_form
from ksk_desktop.exams.validation import class_of
from ksk_desktop.moh1551 import codes, schema
from ksk_desktop.moh1551.settings import MohSettings
from ksk_desktop.reports import funding
from ksk_desktop.reports import settings as report_settings
from ksk_desktop.reports.target_groups import group_on
from ksk_desktop.text import nfc

NO_FINDING_ADULT, NO_FINDING_CHILD = "Z00.0", "Z00.1"
DEFAULT_VISIT_TYPE = "01"
VISION = frozenset({"KHONG_KINH_MAT_PHAI", "KHONG_KINH_MAT_TRAI", "CO_KINH_MAT_PHAI", "CO_KINH_MAT_TRAI"})
#: Template codes whose value the builder sets itself (not copied from a form field).
_DERIVED = frozenset({"HUYET_AP", "KET_LUAN_BENH", "MA_DAN_TOC", "MA_NGHE_NGHIEP", "HEN_KHAM_LAN_SAU"})


@dataclass
class Record:
    """One exam's record: ``MA_LK``, type, Ministry form number, parts, and warnings about defaults used."""

    exam_id: str
    version: int
    ma_lk: str
    record_type: str
    form_number: int
    parts: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def problems(self) -> list[schema.Problem]:
        return schema.check_record(self.record_type, self.parts)


def _num(value: Any) -> str | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    n = float(value)
    return str(int(n)) if n.is_integer() else f"{n:.2f}".rstrip("0").rstrip(".")


def _text(value: Any) -> str | None:
    text = nfc(str(value)).strip() if value not in (None, "") else ""
    return text or None


def _ymd(value: Any) -> str | None:
    if value in (None, ""):
        return None
    return date.fromisoformat(str(value)[:10]).strftime("%Y%m%d")


class _Builder:
    def __init__(
        self, doc: dict, form: FormDef, person: Person, settings: MohSettings, record_type: str
    ) -> None:
        self.doc, self.form, self.person, self.settings = doc, form, person, settings
        self.type = record_type
        self.parts: dict[str, Any] = {p: {} for p in schema.PARTS_OF_TYPE[record_type]}
        self.warnings: list[str] = []

    def put(self, part: str, name: str, value: str | None) -> None:
        if value is not None and part in self.parts:
            self.parts[part][name] = value

    def place(self, name: str, value: str | None) -> None:
        """Put *name* in the record type's part that has it (the first; XML3/XML4 before XML10 for children)."""
        for part in schema.PARTS_OF_TYPE[self.type]:
            if name in schema.BY_PART.get(part, {}) and part != "XML11":
                if part in ("XML8", "XML12") and name == "KET_LUAN_BENH":
                    continue
                self.put(part, name, value)
                return

    def form_fields(self) -> None:
        values = self.doc.get("values") or {}
        sex = self.person.sex
        sections = {s.id: s for s in self.form.sections}
        labs = []
        for f in self.form.fields.values():
            if f.document_key or not f.applies(sex) or not sections[f.section].applies(sex):
                continue
            raw = values.get(f.key)
            if raw in (None, "", []):
                continue
            if f.lab:
                labs.append(
                    {
                        "MA_DICH_VU": f.lab["service_code"],
                        "MA_CHI_SO": f.lab["index_code"],
                        "TEN_CHI_SO": f.label,
                        "GIA_TRI": _num(raw) or "",
                        **({"DON_VI_DO": f.unit} if f.unit else {}),
                    }
                )
                continue
            code = f.template_code
            if not code or code in _DERIVED:
                continue
            if f.type == "bool":
                value: str | None = "1" if raw else "0"
            elif f.type == "class":
                value = str(class_of(raw))
            elif f.type in ("number", "integer"):
                value = _num(raw)
                if code in VISION and value is not None:
                    value = f"{min(round(float(value)), 20)}/10"
            elif f.type == "date":
                value = _ymd(raw)
            elif f.type == "icd10_codes":
                value = ";".join(icd10.split_codes(str(raw))) or None
            else:
                value = _text(raw)
            self.place(code, value)
        if labs and "XML11" in self.parts:
            self.parts["XML11"] = labs
        elif "XML11" in self.parts:
            del self.parts["XML11"]

    def admin(self, data_dir: Any, age: int | None) -> None:
        p, values = self.person, self.doc.get("values") or {}
        self.put("XML1", "HO_TEN", _text(p.full_name.upper()) if p.full_name else None)
        self.put("XML1", "GIOI_TINH", {"M": "1", "F": "2"}.get(p.sex or ""))
        if p.birth_date:
            self.put("XML1", "NGAY_SINH", p.birth_date.strftime("%Y%m%d"))
        elif p.birth_year:
            self.put("XML1", "NGAY_SINH", f"{p.birth_year}0101")
            self.warnings.append(f"chỉ có năm sinh: NGAY_SINH ghi 01/01/{p.birth_year}")
        self.put("XML1", "SO_CCCD", (p.personal_id or "").strip() or None)
        self.put("XML1", "DIA_CHI", _text(p.current_address or p.permanent_address or p.hamlet))
        self.put("XML1", "MATINH_CU_TRU", self.settings.province_code)
        self.put("XML1", "MAXA_CU_TRU", (p.commune_code or "").strip() or None)
        self.put("XML1", "DIEN_THOAI", "".join(c for c in (p.phone or "") if c.isdigit()) or None)
        if age is not None and age < 18:
            self.put("XML1", "NGUOI_GIAM_HO", _text(p.guardian_name))
            self.put(
                "XML1", "DIEN_THOAI_NGH", "".join(c for c in (p.guardian_phone or "") if c.isdigit()) or None
            )
        ethnicity = values.get("admin.ethnicity_code")
        code = codelists.code_list("ethnicity", data_dir).find(ethnicity) if ethnicity else None
        if code is None:
            code = codelists.UNKNOWN_ETHNICITY
            self.warnings.append("chưa ghi dân tộc: MA_DAN_TOC ghi 56 (không xác định)")
        self.put("XML1", "MA_DAN_TOC", code)
        occupation = values.get("admin.occupation_code")
        occ = codelists.code_list("occupation", data_dir).find(occupation) if occupation else None
        if occ is None:
            occ = codelists.CHILD_OCCUPATION if age is not None and age < 18 else codelists.UNKNOWN_OCCUPATION
            if occ == codelists.UNKNOWN_OCCUPATION:
                self.warnings.append("chưa ghi nghề nghiệp: MA_NGHE_NGHIEP ghi 99 (không xác định)")
        self.put("XML1", "MA_NGHE_NGHIEP", occ)

    def physical(self) -> None:
        values = self.doc.get("values") or {}
        assessment = self.doc.get("assessment") or {}
        if values.get("systolic") is not None and values.get("diastolic") is not None:
            self.place("HUYET_AP", f"{round(float(values['systolic']))}/{round(float(values['diastolic']))}")
        if "XML10" in self.parts:
            self.put("XML10", "CHI_SO_BMI", _num((assessment.get("bmi") or {}).get("value")))
            indices = (assessment.get("qd1613") or {}).get("indices") or []
            physique = next((i.get("class") for i in indices if i.get("code") == "TLC"), None)
            self.put("XML10", "KHAM_THE_LUC_PL", str(physique) if physique in (1, 2, 3, 4, 5) else None)
        if "XML4" in self.parts and values.get("measured_lying") and "CHIEU_CAO" in self.parts["XML4"]:
            self.parts["XML4"]["CHIEU_DAI"] = self.parts["XML4"].pop("CHIEU_CAO")

    def conclusion(self) -> None:
        doc, values = self.doc, self.doc.get("values") or {}
        diagnoses = sorted(doc.get("diagnoses") or [], key=lambda d: not d.get("primary"))
        dx_codes = [icd10.split_mark(str(d.get("code", "")))[0] for d in diagnoses if d.get("code")]
        no_finding = NO_FINDING_CHILD if self.type != "Adult" else NO_FINDING_ADULT
        ket_luan = ";".join(dx_codes) or no_finding
        self.put("XML12", "KET_LUAN_BENH", ket_luan)
        self.put("XML12", "PHAN_LOAI_SK", str(doc["health_class"]) if doc.get("health_class") else None)
        self.put("XML12", "CAC_VAN_DE_SUC_KHOE", _text(doc.get("conclusion")))
        problem = values.get("conclusion.health_problem")
        problem = bool(dx_codes) if problem is None else bool(problem)
        normal = values.get("conclusion.normal")
        normal = (not problem) if normal is None else bool(normal)
        transfer = values.get("conclusion.transfer")
        transfer = bool(doc.get("referrals")) if transfer is None else bool(transfer)
        self.put("XML8", "BINH_THUONG", "1" if normal else "0")
        self.put("XML8", "NGUY_CO_MAC_LAO", "1" if values.get("conclusion.tb_risk") else "0")
        self.put("XML8", "VAN_DE_SUC_KHOE", "1" if problem else "0")
        self.put("XML8", "KET_LUAN_BENH", ket_luan)
        self.put("XML8", "CHUYEN_CSKCB", "1" if transfer else "0")
        next_visit = values.get("conclusion.next_visit")
        self.put("XML8", "HEN_KHAM_LAN_SAU", "1" if next_visit else "0")
        advice = [t for t in (_text(doc.get("advice")),) if t]
        if next_visit:
            advice.append("Hẹn khám lại ngày " + date.fromisoformat(next_visit).strftime("%d/%m/%Y"))
        self.put("XML8", "TU_VAN_HEN_KHAM_LAN_SAU", "; ".join(advice) or None)


def _visit_time(s: Session, doc: dict, exam_date: date) -> str:
    moments: list[datetime | None] = []
    if doc.get("appointment_id"):
        appt = s.get(Appointment, doc["appointment_id"])
        moments.append(appt.checked_in_at if appt else None)
    first = s.get(ExamVersion, (doc["id"], 1))
    moments.append(first.created_at if first else None)
    for m in moments:
        if m is None:
            continue
        local = to_vietnam(m if m.tzinfo else m.replace(tzinfo=UTC))
        if local.date() == exam_date:
            return local.strftime("%Y%m%d%H%M")
    return exam_date.strftime("%Y%m%d") + "0000"


def _funding(s: Session, doc: dict, group: str, year: int) -> str:
    key = funding.parse((doc.get("values") or {}).get("admin.payer"))
    if key is None:
        key = report_settings.read(s, year)[group]["funding"]
    return codes.funding_code(key)


def build_record(s: Session, row: ExamVersion, settings: MohSettings, data_dir: Any = None) -> Record:
    """The record of the exam version *row* (read inside the caller's transaction)."""
    from ksk_desktop.dates import age_on

    doc = document.loads(row.document)
    form = load_form(doc["form"], doc.get("form_version"))
    person = s.get_one(Person, doc["person_id"])
    exam_date = date.fromisoformat(doc["exam_date"])
    values = doc.get("values") or {}
    number, record_type = codes.ministry_form(
        exam_date, person.birth_date, person.birth_year, values, person.target_group
    )
    age = age_on(exam_date, person.birth_date, person.birth_year)
    b = _Builder(doc, form, person, settings, record_type)
    b.admin(data_dir, age)
    b.form_fields()
    b.physical()
    b.conclusion()
    flags = [f.flag for f in person.flags]
    commune = person.commune_code or s.scalars(select(Station.commune_code)).first()
    subject = values.get("admin.subject_code")
    subject_codes = (
        str(subject).replace(" ", "")
        if subject and schema.SUBJECT_CODES.fullmatch(str(subject).replace(" ", ""))
        else ";".join(
            codes.subjects(
                exam_date, person.target_group, flags, person.birth_date, person.birth_year, commune
            )
        )
    )
    group = group_on(exam_date, person.target_group, flags, person.birth_date, person.birth_year, commune)
    ma_lk = codes.ma_lk(doc["id"])
    b.put("XML2", "MA_LK", ma_lk)
    b.put("XML2", "MA_CSKCB", settings.ma_cskcb)
    b.put("XML2", "TYPE", record_type)
    b.put("XML2", "MA_GTIN_CSKCB", settings.ma_gtin_cskcb)
    b.put("XML2", "DOI_TUONG", subject_codes)
    b.put("XML2", "NGUON_CHI_TRA", _funding(s, doc, group, exam_date.year))
    visit_type = "".join(c for c in str(values.get("admin.visit_type") or "") if c.isdigit())
    b.put("XML2", "MA_LOAI_KCB", visit_type.zfill(2)[:2] if visit_type else DEFAULT_VISIT_TYPE)
    b.put("XML2", "NGAY_VAO", _visit_time(s, doc, exam_date))
    parts = {p: b.parts[p] for p in schema.PART_ORDER if p in b.parts}
    return Record(doc["id"], doc["version"], ma_lk, record_type, number, parts, b.warnings)
