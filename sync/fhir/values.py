"""Every value of an exam's ``values`` as FHIR Observation content, driven by the exam's form definition.

- A measurement (a form field of type number or integer: height, chest, temperature, vision with and without
  glasses, hearing distances, caries count, labs…) is one Observation with its value and unit, coded with the
  project's exam-field code system (code = the field's key) and LOINC where a code is known for sure.
- A class (each organ/specialty class of the form, QĐ 1613 I–V) is one Observation whose value is coded in the
  project's health-class code system; the doctor's reason for a class better than the measurements is its note.
- The rest of a section (findings as text, history flags, choices, dates, ICD-10 code lists) is one panel
  Observation per section (code ``section/<id>``) with one component per filled field; an ICD-10 list gives
  one component per code.
- A value the form does not define (an older form, a key added later) still goes, in the ``section/other`` panel.

Height, weight, blood pressure and pulse are sent by the bundle builder as LOINC vital signs (their labels keep
the identifiers of earlier forwards), and the overall health class as its own Observation, so they are skipped
here; so is the doctor's chosen class (``conclusion.health_class``), which the overall class already is.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from ksk_desktop.errors import InvalidInput
from ksk_desktop.exams import forms, validation
from sync.fhir import codes

#: Fields sent elsewhere by the bundle builder.
HANDLED = frozenset(
    {f[0] for f in (codes.HEIGHT, codes.WEIGHT, codes.SYSTOLIC, codes.DIASTOLIC, codes.PULSE)}
    | {"conclusion.health_class"}
)
LAB_SECTIONS = ("paraclinical", "elderly_tests")
SURVEY_SECTIONS = ("admin", "history")


@dataclass(frozen=True)
class Part:
    """One Observation's content: its label (for the identifier), code, category and value elements."""

    label: str
    code: dict
    category: str
    value: dict[str, Any]
    note: str | None = None


def field_code(key: str, label: str | None) -> dict:
    coding = [{"system": codes.EXAM_FIELD, "code": key, **({"display": label} if label else {})}]
    loinc = codes.FIELD_LOINC.get(key)
    if loinc:
        coding.insert(0, {"system": codes.LOINC, "code": loinc[0], "display": loinc[1]})
    return {"coding": coding, **({"text": label} if label else {})}


def class_concept(cls: int) -> dict:
    return {
        "coding": [
            {"system": codes.HEALTH_CLASS, "code": codes.ROMAN[cls], "display": codes.HEALTH_CLASS_LABEL[cls]}
        ],
        "text": codes.HEALTH_CLASS_LABEL[cls],
    }


def number(value: object) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return value


def quantity(value: float, unit: str | None) -> dict:
    q: dict[str, Any] = {"value": value}
    if unit:
        q["unit"] = unit
        if unit in codes.UCUM_OF:
            q["system"], q["code"] = codes.UCUM, codes.UCUM_OF[unit]
    return q


def _category(section: str) -> str:
    if section in LAB_SECTIONS:
        return "laboratory"
    if section in SURVEY_SECTIONS:
        return "survey"
    return "exam"


def _form(exam: dict) -> forms.FormDef | None:
    try:
        return forms.load_form(str(exam.get("form")), exam.get("form_version") or None)
    except (InvalidInput, ValueError):
        return None


def _component_values(f: forms.FieldDef | None, value: object) -> list[dict]:
    """The value[x] element(s) of one panel component (several for an ICD-10 code list)."""
    kind = f.type if f else None
    if isinstance(value, bool):
        return [{"valueBoolean": value}]
    if kind == "icd10_codes" and isinstance(value, str | list):
        items = value if isinstance(value, list) else value.split(";")
        found = [str(c).strip().rstrip("†*") for c in items if str(c).strip()]
        return [
            {"valueCodeableConcept": {"coding": [{"system": codes.ICD10, "code": c}], "text": c}}
            for c in found
        ]
    if kind == "date" and isinstance(value, str) and value:
        return [{"valueDateTime": value[:10]}]
    if (n := number(value)) is not None:
        return [{"valueQuantity": quantity(n, f.unit if f else None)}]
    if isinstance(value, str):
        return [{"valueString": value}] if value.strip() else []
    if value is None or isinstance(value, float):  # a float that is not a number (inf, nan) says nothing
        return []
    return [{"valueString": json.dumps(value, ensure_ascii=False, sort_keys=True)}]


def exam_parts(exam: dict) -> list[Part]:
    """The Observations of every value in *exam*'s ``values`` (in the form's order), except those in HANDLED."""
    values = exam.get("values") or {}
    form = _form(exam)
    fields = form.fields if form else {}
    out: list[Part] = []
    panels: dict[str, list[dict]] = {}
    titles: dict[str, str] = {}
    order = [f.key for s in form.sections for f in s.fields] if form else []
    keys = [k for k in order if k in values] + sorted(k for k in values if k not in fields)
    for key in keys:
        value = values[key]
        if key in HANDLED or value is None:
            continue
        f = fields.get(key)
        section = f.section if f else "other"
        if f is not None and form is not None:
            titles[section] = form.section(section).title
        if f is not None and f.type == "class":
            cls = validation.class_of(value)
            if isinstance(cls, int) and cls in codes.ROMAN:
                reason = value.get("reason") if isinstance(value, dict) else None
                out.append(
                    Part(
                        key,
                        field_code(key, f.label),
                        "exam",
                        {"valueCodeableConcept": class_concept(cls)},
                        reason,
                    )
                )
            continue
        if f is not None and f.type in ("number", "integer") and (n := number(value)) is not None:
            vital = section == "physique" and key in codes.FIELD_LOINC
            category = "vital-signs" if vital else _category(section)
            integer = f.type == "integer" and isinstance(n, int)
            element = {"valueInteger": n} if integer else {"valueQuantity": quantity(n, f.unit)}
            out.append(Part(key, field_code(key, f.label), category, element))
            continue
        for element in _component_values(f, value):
            panels.setdefault(section, []).append(
                {"code": field_code(key, f.label if f else None), **element}
            )
    for section, components in panels.items():
        title = titles.get(section, "Giá trị khác")
        code = {
            "coding": [{"system": codes.EXAM_FIELD, "code": f"section/{section}", "display": title}],
            "text": title,
        }
        out.append(Part(f"section/{section}", code, _category(section), {"component": components}))
    return out
