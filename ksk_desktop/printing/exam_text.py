"""The exam document (the exams contract's canonical JSON) put into printable words: vitals with units, findings,
diagnoses, the health class, follow-ups and referrals. Shared by the result slip and the referral slip."""

from __future__ import annotations

from typing import Any

from ksk_desktop.clinical.measurements import NUMERIC_FIELDS
from ksk_desktop.clinical.qd1613 import class_label
from ksk_desktop.exams.plan_rules import FOLLOWUP_KINDS
from ksk_desktop.printing.fonts import clean
from ksk_desktop.printing.formats import dmy, number
from ksk_desktop.text import fold

FORM_LABELS = {"adult": "người trưởng thành", "child": "trẻ em, học sinh", "elderly": "người cao tuổi"}
URGENCY_LABELS = {"routine": "thường quy", "soon": "sớm, trong vài ngày", "urgent": "khẩn cấp"}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}
_NOT_VITALS = {"age", "age_months", "systolic", "diastolic"}


def person_name(person: dict) -> str:
    """The person's full name (``name`` as persons.py prints it, or ``full_name``)."""
    return clean(person.get("name") or person.get("full_name"))


def person_dob(person: dict) -> str | None:
    return person.get("dob") or person.get("birth_date")


def person_address(person: dict) -> str:
    hamlet = clean(person.get("hamlet"))
    address = clean(person.get("current_address") or person.get("permanent_address") or person.get("address"))
    if hamlet and address and fold(hamlet) in (fold(part) for part in address.split(",")):
        return address  # "Thôn 3, Xã …" already names the hamlet
    return ", ".join(p for p in (hamlet, address) if p)


def vitals(exam: dict) -> list[tuple[str, str]]:
    """(label, value with unit) of every measurement in the exam, in the measurement catalogue's order; blood
    pressure as one line with its QĐ 3192 grade, BMI with its category."""
    values: dict[str, Any] = exam.get("values") or {}
    assessment: dict = exam.get("assessment") or {}
    out: list[tuple[str, str]] = []
    for name, spec in NUMERIC_FIELDS.items():
        if name in _NOT_VITALS or values.get(name) in (None, ""):
            continue
        unit = spec.unit if spec.unit.startswith("/") else f" {spec.unit}"  # vision reads 8/10, not 8 /10
        out.append((spec.label, f"{number(values[name])}{unit}"))
        if name == "weight_kg":
            bmi = assessment.get("bmi") or {}
            if bmi.get("value") is not None:
                category = (bmi.get("category") or {}).get("label")
                out.append(("BMI", number(bmi["value"]) + (f" ({category})" if category else "")))
    if values.get("systolic") not in (None, "") and values.get("diastolic") not in (None, ""):
        bp = assessment.get("blood_pressure") or {}
        text = f"{number(values['systolic'])}/{number(values['diastolic'])} mmHg"
        if bp.get("label"):
            text += f" ({bp['label']})"
        at = next((i for i, (label, _) in enumerate(out) if label == NUMERIC_FIELDS["pulse"].label), len(out))
        out.insert(at, ("Huyết áp", text))
    return out


def findings(exam: dict, labels: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(label, text) of the form's own fields (``"<section>.<field>"`` keys), labelled from *labels* when given."""
    labels = labels or {}
    out = []
    for key, value in (exam.get("values") or {}).items():
        if "." not in key or value in (None, ""):
            continue
        label = labels.get(key) or key.split(".", 1)[1].replace("_", " ").capitalize()
        out.append((clean(label), finding_text(key, value)))
    return out


def finding_text(key: str, value: Any) -> str:
    """One value in words: a class as "Loại II" (with the doctor's reason when given), yes/no, numbers, lists."""
    if isinstance(value, dict) and "class" in value:  # a class the doctor gave with a reason
        text = finding_text(key, value["class"])
        return text + (f" ({clean(value['reason'])})" if value.get("reason") else "")
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if key.endswith("class") and isinstance(value, int) and value in ROMAN:
        return f"Loại {ROMAN[value]}"
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(finding_text(key, v) for v in value)
    return clean(str(value))


def diagnoses(exam: dict) -> list[str]:
    """``"I10 – Bệnh lý tăng huyết áp…"``, the primary one marked when there are several."""
    rows = exam.get("diagnoses") or []
    out = []
    for d in rows:
        text = clean(" – ".join(x for x in (d.get("code"), d.get("name")) if x))
        out.append(text + (" (bệnh chính)" if d.get("primary") and len(rows) > 1 else ""))
    return out


def health_class(exam: dict) -> str:
    """``"Loại II – Khỏe"`` (with the doctor's reason when the class was overridden), ``""`` when not set."""
    cls = exam.get("health_class")
    if not cls:
        return ""
    text = f"Loại {ROMAN.get(cls, cls)} – {class_label(cls)}"
    if exam.get("health_class_reason"):
        text += f" (bác sĩ xếp loại: {clean(exam['health_class_reason'])})"
    return text


def followups(exam: dict) -> list[str]:
    out = []
    for f in exam.get("followups") or []:
        text = FOLLOWUP_KINDS.get(f.get("kind"), clean(f.get("kind")).capitalize())
        if f.get("due_date"):
            text += f": hẹn ngày {dmy(f['due_date'])}"
        if f.get("note"):
            text += f" – {clean(f['note'])}"
        out.append(text)
    return out


def referrals(exam: dict) -> list[str]:
    return [
        f"{clean(r.get('destination'))} – mức độ {urgency(r)}"
        + (f": {clean(r['reason'])}" if r.get("reason") else "")
        for r in exam.get("referrals") or []
    ]


def urgency(referral: dict) -> str:
    return URGENCY_LABELS.get(referral.get("urgency") or "", clean(referral.get("urgency")))


def signer(exam: dict) -> str:
    return clean(exam.get("signer_name") or exam.get("signed_by"))
