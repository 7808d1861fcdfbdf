"""The codes of one exam in the QĐ 1551 data set: its link code ``MA_LK``, the Ministry form it follows, its target
groups ``DOI_TUONG`` and funding source ``NGUON_CHI_TRA``.

**MA_LK.** ``KSK`` followed by the exam id's 32 hexadecimal digits in capitals (35 characters; the field allows
100). The exam id is a UUIDv7 made once when the exam is opened, unique across every station without
coordination, so the code is unique and stable: it never changes, needs no counter, and reads back to the exam
(:func:`exam_id_of`). Every version of an exam (an amendment) keeps its exam's ``MA_LK``.

**Forms.** QĐ 1551 Phụ lục 01 has 17 forms; public HIS code pushes three record types in ``XML2/TYPE``: ``Adult``
(≥ 18 years), ``Minor`` (6 to under 18) and ``ChildUnder`` (under 6, whose under-6 forms go by month-age band).
:func:`ministry_form` gives both the type and the form number, numbered in the order the decision lists them
(1 certificate 6–< 18, 2 certificate ≥ 18, 3–5 driver/railway/seafarer books, 6–12 seven month-age bands under
2 years, 13 from 2 to under 6 years, 14 pre-school, 15 grades 1–5, 16 grades 6–9, 17 grades 10–12). The numbering
and the month bands are **assumptions** (the decision's text was not available; public code confirms only that
forms 6–13 are the under-6 ones): the bands used are 0–2, 2–4, 4–6, 6–9, 9–12, 12–18 and 18–24 months.

**DOI_TUONG.** 14 codes (the community FHIR guide's value set ``vn-health-checkup-subject-vs``); several join with
``;``. Codes 1–7 are from the guide; 13 (workers) and 14 (others) are as public HIS code uses them. Codes 8–12 were
not retrieved and are **assumptions**: 8 island commune / special zone, 9 pre-school children, 10 pupils, 11
students, 12 people managed by the Ministries of Defence or Public Security.

**NGUON_CHI_TRA** (1 character): public HIS code accepts 1, 2, 3, 4, 5, 9 with 1 = central budget, 4 = employer, 9 =
other. 2 = local budget, 3 = health-insurance fund and 5 = socialised/sponsored follow the order of the funding
sources in CV 1129 and are **assumptions**.
"""

from __future__ import annotations

import re
import uuid
from datetime import date

from ksk_desktop.dates import age_on
from ksk_desktop.reports import funding
from ksk_desktop.reports.target_groups import ELDERLY_AGE, classify, island_commune, priority_of

MA_LK_PREFIX = "KSK"
_MA_LK = re.compile(r"KSK([0-9A-F]{32})")

SUBJECTS: dict[str, str] = {
    "1": "Người cao tuổi",
    "2": "Người khuyết tật",
    "3": "Người thuộc hộ nghèo, cận nghèo",
    "4": "Người có công với cách mạng",
    "5": "Người mắc bệnh mạn tính",
    "6": "Người sống ở vùng đồng bào dân tộc thiểu số và miền núi",
    "7": "Người sống ở vùng có điều kiện kinh tế - xã hội khó khăn, đặc biệt khó khăn",
    "8": "Người sống ở xã đảo, đặc khu (giả định)",
    "9": "Trẻ em mầm non (giả định)",
    "10": "Học sinh phổ thông (giả định)",
    "11": "Sinh viên (giả định)",
    "12": "Đối tượng do Bộ Quốc phòng, Bộ Công an quản lý (giả định)",
    "13": "Người lao động",
    "14": "Đối tượng khác",
}
#: Which codes rest on an assumption (named in the README too).
ASSUMED_SUBJECTS = frozenset({"8", "9", "10", "11", "12"})

FUNDING_CODES: dict[str, str] = {
    "central_budget": "1",
    "local_budget": "2",
    "insurance": "3",
    "employer": "4",
    "socialised": "5",
    "other": "9",
}
FUNDING_LABELS = {code: funding.LABELS[key] for key, code in FUNDING_CODES.items()}

TYPE_ADULT, TYPE_MINOR, TYPE_CHILD = "Adult", "Minor", "ChildUnder"
MONTH_BANDS = (2, 4, 6, 9, 12, 18, 24)  # upper bounds (months, exclusive) of forms 6–12
FORM_TITLES = {
    1: "Giấy khám sức khỏe từ đủ 6 tuổi đến dưới 18 tuổi",
    2: "Giấy khám sức khỏe từ đủ 18 tuổi trở lên",
    13: "Trẻ em từ đủ 2 tuổi đến dưới 6 tuổi",
    14: "Trẻ em mầm non",
    15: "Học sinh lớp 1–5",
    16: "Học sinh lớp 6–9",
    17: "Học sinh lớp 10–12",
    **{
        6 + i: f"Trẻ em từ {lo} đến dưới {hi} tháng tuổi"
        for i, (lo, hi) in enumerate(zip((0, *MONTH_BANDS[:-1]), MONTH_BANDS, strict=True))
    },
}


def ma_lk(exam_id: str) -> str:
    """The exam's link code (see the module text)."""
    return MA_LK_PREFIX + uuid.UUID(exam_id).hex.upper()


def exam_id_of(code: str) -> str | None:
    """The exam id a ``MA_LK`` made by :func:`ma_lk` stands for, else None."""
    m = _MA_LK.fullmatch((code or "").strip())
    return str(uuid.UUID(m.group(1).lower())) if m else None


def _months(on: date, birth: date | None) -> int | None:
    if birth is None:
        return None
    months = (on.year - birth.year) * 12 + on.month - birth.month
    return months - (on.day < birth.day)


def _grade(class_name: object) -> int | None:
    m = re.match(r"\s*(?:lớp\s*)?(\d{1,2})", str(class_name or ""), re.IGNORECASE)
    return int(m.group(1)) if m and 1 <= int(m.group(1)) <= 12 else None


def ministry_form(
    exam_date: date, birth_date: date | None, birth_year: int | None, values: dict, target_group: str | None
) -> tuple[int, str]:
    """``(form number 1–17, XML2 TYPE)`` of an exam (see the module text)."""
    age = age_on(exam_date, birth_date, birth_year)
    if age is None or age >= 18:
        return 2, TYPE_ADULT
    if age < 6:
        months = _months(exam_date, birth_date)
        if target_group == "b" and age >= 3:
            return (
                14,
                TYPE_CHILD,
            )  # a child at pre-school (nhà trẻ takes younger ones: they keep the age forms)
        if months is None or months >= 24:
            return 13, TYPE_CHILD
        return 6 + next(i for i, hi in enumerate(MONTH_BANDS) if months < hi), TYPE_CHILD
    grade = _grade(values.get("admin.class_name"))
    if grade is not None:
        return (15 if grade <= 5 else 16 if grade <= 9 else 17), TYPE_MINOR
    return 1, TYPE_MINOR


def subjects(
    on: date,
    stored_group: str | None,
    flags: list[str],
    birth_date: date | None,
    birth_year: int | None,
    commune_code: str | None,
) -> list[str]:
    """The person's ``DOI_TUONG`` codes on *on*, ascending (see the module text for the mapping)."""
    age = age_on(on, birth_date, birth_year)
    island = island_commune(commune_code)
    f = set(flags)
    out: set[str] = set()
    if "elderly" in f or (age is not None and age >= ELDERLY_AGE):
        out.add("1")
    if "disabled" in f:
        out.add("2")
    if f & {"poor", "near_poor"}:
        out.add("3")
    if "merit" in f:
        out.add("4")
    if "chronic" in f:
        out.add("5")
    if "remote_area" in f:
        out.add("6")
    if island:
        out.add("8")
    group = classify(stored_group, priority_of(flags, age, island))
    if group == "b":
        out.add("9" if age is not None and age < 6 else "10")
    elif group == "c":
        out.add("13")
    elif group == "d":
        out.add("12")
    if not out:
        out.add("14")
    return sorted(out, key=int)


def funding_code(source_key: str) -> str:
    return FUNDING_CODES[source_key]
