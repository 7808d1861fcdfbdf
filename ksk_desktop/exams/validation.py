"""Checking an exam's values against its form, computing its assessment with ``ksk_desktop.clinical``, and what
still stands between a draft and its signature (missing required fields, implausible values not confirmed)."""

from __future__ import annotations

import contextlib
import math
from datetime import date
from pathlib import Path
from typing import Any

from ksk_desktop.clinical import classify
from ksk_desktop.clinical.measurements import NUMERIC_FIELDS, InvalidMeasurement, parse_class
from ksk_desktop.clinical.qd1613 import roman
from ksk_desktop.dates import age_on, parse_date
from ksk_desktop.errors import InvalidInput
from ksk_desktop.exams.diagnoses import check_codes, check_diagnoses
from ksk_desktop.exams.forms import FieldDef, FormDef
from ksk_desktop.text import nfc

MAX_TEXT = 4000
QD1613_MIN_AGE = 15
_TRUE = {"true", "1", "co", "có", "yes", "x"}
_FALSE = {"false", "0", "khong", "không", "no"}


def _number(f: FieldDef, raw: Any) -> int | float:
    if f.key in NUMERIC_FIELDS:  # the clinical module's hard limits and messages
        from ksk_desktop.clinical.measurements import _number as clinical_number

        value = clinical_number(NUMERIC_FIELDS[f.key], raw)
    else:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise InvalidInput(f"{f.label} phải là một số.")
        try:
            value = float(str(raw).strip().replace(",", ".")) if isinstance(raw, str) else float(raw)
        except ValueError:
            raise InvalidInput(f"{f.label} phải là một số, không phải {raw!r}.") from None
        if not math.isfinite(value) or value < 0:
            raise InvalidInput(f"{f.label} phải là một số không âm.")
    if f.type == "integer" and not float(value).is_integer():
        raise InvalidInput(f"{f.label} phải là số nguyên.")
    return int(value) if float(value).is_integer() else value


def _class_value(f: FieldDef, raw: Any) -> int | dict:
    """1–5 (or I–V); ``{"class": n, "reason": "…"}`` when the doctor classes an index better than its measurements
    (QĐ 1613 then wants the reason)."""
    reason = None
    if isinstance(raw, dict):
        if set(raw) - {"class", "reason"} or "class" not in raw:
            raise InvalidInput(f'{f.label}: dùng dạng {{"class": 2, "reason": "…"}}.')
        reason = nfc(str(raw.get("reason") or "")).strip() or None
        raw = raw["class"]
    try:
        cls = parse_class(raw, f.label)
    except InvalidMeasurement as exc:
        raise InvalidInput(exc.message) from None
    return {"class": cls, "reason": reason} if reason else cls


def class_of(value: Any) -> int | None:
    """The class of a stored class value (a number, or ``{"class", "reason"}``)."""
    return value["class"] if isinstance(value, dict) else value


def coerce(f: FieldDef, raw: Any, data_dir: Path | None = None) -> Any:
    """The stored value of *raw* in field *f* (None clears the field); InvalidInput with the field's label."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return [] if f.type == "diagnoses" else None
    if f.type in ("number", "integer"):
        return _number(f, raw)
    if f.type == "bool":
        if isinstance(raw, bool):
            return raw
        text = nfc(str(raw)).lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise InvalidInput(f"{f.label}: trả lời có hoặc không, không phải {raw!r}.")
    if f.type == "class":
        return _class_value(f, raw)
    if f.type == "date":
        with contextlib.suppress(ValueError):
            return parse_date(str(raw)).isoformat()
        raise InvalidInput(f"{f.label}: ngày phải có dạng dd/mm/yyyy, không phải {raw!r}.")
    if f.type == "diagnoses":
        return check_diagnoses(raw, data_dir)
    if not isinstance(raw, str):
        raise InvalidInput(f"{f.label} phải là văn bản.")
    text = nfc(raw).strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{f.label} dài quá {MAX_TEXT} ký tự.")
    if f.type == "choice" and text not in f.choices:
        raise InvalidInput(f"{f.label}: chọn một trong {', '.join(f.choices)}, không phải {text!r}.")
    if f.type == "icd10_codes":
        return check_codes(text, data_dir)
    if f.catalog:  # a Ministry code list (QĐ 1551): stored as the code, typed as the code or the name
        from ksk_desktop.catalogs import codelists

        try:
            return codelists.require(f.catalog, text, data_dir)
        except InvalidInput as exc:
            raise InvalidInput(f"{f.label}: {exc.message}") from None
    return text


def _age_inputs(person_birth: date | None, birth_year: int | None, exam_date: str) -> dict[str, Any]:
    if person_birth is not None:
        return {"birth_date": person_birth.isoformat(), "exam_date": exam_date}
    if birth_year is not None:
        return {"age": max(0, age_on(date.fromisoformat(exam_date), None, birth_year) or 0)}
    return {}


def _years(birth_date: date | None, birth_year: int | None, exam_date: str) -> int:
    years = age_on(date.fromisoformat(exam_date), birth_date, birth_year)
    return 200 if years is None else years


def classify_input(
    doc: dict, form: FormDef, sex: str | None, birth_date: date | None, birth_year: int | None
) -> dict[str, Any]:
    """The measurement object ``clinical.classify`` takes, built from the exam's values."""
    values = doc["values"]
    data: dict[str, Any] = {
        "sex": sex,
        "physique_table": form.physique_table,
        **_age_inputs(birth_date, birth_year, doc["exam_date"]),
    }
    data.update({k: v for k, v in values.items() if k in NUMERIC_FIELDS and v is not None})
    if values.get("measured_lying") is not None:
        data["measured_lying"] = values["measured_lying"]
    data["confirmed"] = [k for k in doc["confirmed"] if k in NUMERIC_FIELDS]
    if _years(birth_date, birth_year, doc["exam_date"]) < QD1613_MIN_AGE:
        return data  # QĐ 1613 starts at 15: the doctor's classes stay on the form, the class is the doctor's
    index_classes: dict[str, dict] = {}
    for f in form.fields.values():
        value = values.get(f.key)
        if f.type != "class" or not f.feeds or value is None:
            continue
        entry = index_classes.setdefault(f.feeds, {"class": 0, "reasons": []})
        entry["class"] = max(entry["class"], class_of(value))
        if isinstance(value, dict) and value.get("reason"):
            entry["reasons"].append(value["reason"])
    if index_classes:
        data["index_classes"] = {
            code: {"class": e["class"], "reason": "; ".join(e["reasons"]) or None}
            for code, e in index_classes.items()
        }
    chosen = class_of(values.get("conclusion.health_class"))
    if chosen is not None and doc.get("health_class_reason"):
        data["override"] = {"class": chosen, "reason": doc["health_class_reason"]}
    return data


def assess(
    doc: dict, form: FormDef, sex: str | None, birth_date: date | None, birth_year: int | None
) -> tuple[dict | None, str | None]:
    """``(assessment, None)``, or ``(None, message)`` while the values cannot be classified (a half-typed
    blood pressure, a missing sex): the draft is still saved, signing waits."""
    data = classify_input(doc, form, sex, birth_date, birth_year)
    try:
        return classify(data), None
    except InvalidMeasurement as exc:
        if "index_classes" not in data and "override" not in data:
            return None, exc.message
        error = exc.message
    try:  # the measurements alone still give BMI, blood pressure and flags while the doctor's classes are fixed
        return classify({k: v for k, v in data.items() if k not in ("index_classes", "override")}), error
    except InvalidMeasurement:
        return None, error


def _qd1613(doc: dict) -> dict:
    return (doc.get("assessment") or {}).get("qd1613") or {}


def open_indices(doc: dict, form: FormDef) -> list[str]:
    """The QĐ 1613 indices this form classes that are not classed yet, by name (``["Mắt", "Tai mũi họng"]``),
    in the decree's order; empty when QĐ 1613 does not apply (under 15: the doctor chooses the class)."""
    qd = _qd1613(doc)
    if not qd.get("applicable"):
        return []
    classed_here = {f.feeds for f in form.fields.values() if f.feeds}
    by_doctor = {  # an index the doctor classed on the form (even while that class waits for its reason)
        f.feeds
        for f in form.fields.values()
        if f.type == "class" and f.feeds and doc["values"].get(f.key) is not None
    }
    return [
        ix["label"]
        for ix in qd.get("indices") or []
        if ix["code"] in classed_here - by_doctor and ix["status"] in ("missing", "undetermined", "partial")
    ]


def class_known(doc: dict, form: FormDef) -> bool:
    """Whether the measurements and the doctor's index classes settle the class (QĐ 1613: the worst index):
    every index the form classes is classed and no value waits for its confirmation. Until then an unfinished
    form has no class — "Loại V" of the one index measured so far is not the person's class."""
    qd = _qd1613(doc)
    if not qd.get("applicable"):
        return True
    pending = any(c.get("status") == "pending" for c in qd.get("criteria") or [])
    return not pending and not open_indices(doc, form)


def health_class(doc: dict, form: FormDef, assessment_error: str | None = None) -> int | None:
    """The exam's class: the doctor's choice, else the suggested class (QĐ 1613: the worst index) once every
    index is classed and the doctor's classes stand (*assessment_error*: one of them waits for its reason);
    None while it is not known yet."""
    chosen = class_of(doc["values"].get("conclusion.health_class"))
    qd = _qd1613(doc)
    if not qd.get("applicable"):
        return chosen
    final = (qd.get("final") or {}).get("class")
    suggested = (qd.get("suggested") or {}).get("class")
    if chosen is not None and chosen != suggested and not doc.get("health_class_reason"):
        return chosen  # signing is blocked until the reason is written (see problems)
    if chosen is None and (assessment_error or not class_known(doc, form)):
        return None
    return final if final is not None else chosen


def form_warnings(doc: dict, form: FormDef) -> list[dict]:
    """Values of the form's own numeric fields outside their plausible range (the clinical module checks its
    measurements itself)."""
    out = []
    for key, value in doc["values"].items():
        f = form.fields.get(key)
        if (
            f is None
            or f.key in NUMERIC_FIELDS
            or f.type not in ("number", "integer")
            or value is None
            or not f.range
        ):
            continue
        lo, hi = f.range
        if not lo <= value <= hi:
            out.append(
                {
                    "field": key,
                    "value": value,
                    "code": "ngoai_khoang_hop_ly",
                    "confirmed": key in doc["confirmed"],
                    "message": f"{f.label} {value} {f.unit or ''} nằm ngoài khoảng thường gặp ({lo}–{hi}): "
                    "kiểm tra lại, nếu đúng thì xác nhận.",
                }
            )
    return out


def warnings(doc: dict, form: FormDef) -> list[dict]:
    return [*((doc.get("assessment") or {}).get("warnings") or []), *form_warnings(doc, form)]


def missing_required(doc: dict, form: FormDef, sex: str | None) -> list[dict]:
    """Required fields still empty, in form order: ``[{"key", "label", "section", "section_title"}]``."""
    out = []
    for s in form.sections:
        if not s.applies(sex):
            continue
        for f in s.fields:
            if not f.required or not f.applies(sex):
                continue
            value = doc.get(f.key) if f.document_key else doc["values"].get(f.key)
            if value in (None, "", []):
                out.append({"key": f.key, "label": f.label, "section": s.id, "section_title": s.title})
    return out


def _label(form: FormDef, key: str) -> str:
    f = form.fields.get(key)
    if f is not None:
        return f.label
    spec = NUMERIC_FIELDS.get(key)
    return spec.label if spec is not None else key


def problems(doc: dict, form: FormDef, sex: str | None, assessment_error: str | None) -> dict[str, Any]:
    """Everything that blocks signing: ``{"missing_required", "unconfirmed", "errors"}``, in clinical words (the
    index and field names of the form, never its internal keys)."""
    missing = missing_required(doc, form, sex)
    unconfirmed = [
        {
            "field": w["field"],
            "label": _label(form, w["field"]),
            "value": w.get("value"),
            "message": w["message"],
        }
        for w in warnings(doc, form)
        if not w["confirmed"]
    ]
    errors = []
    if assessment_error:
        errors.append(assessment_error)
    elif doc["health_class"] is None and not missing and not unconfirmed:
        still = open_indices(doc, form)
        errors.append(
            f"Chưa xếp được loại sức khỏe: {', '.join(still)} chưa được xếp loại — xếp loại từng chỉ số hoặc "
            "bác sĩ chọn loại sức khỏe."
            if still
            else "Chưa có phân loại sức khỏe: nhập đủ các chỉ số hoặc bác sĩ chọn loại."
        )
    qd = _qd1613(doc)
    chosen = class_of(doc["values"].get("conclusion.health_class"))
    suggested = (qd.get("suggested") or {}).get("class") if qd.get("applicable") else None
    if (
        chosen is not None
        and suggested is not None
        and chosen != suggested
        and not doc.get("health_class_reason")
    ):
        errors.append(
            f"Phân loại sức khỏe: bác sĩ chọn loại {roman(chosen)} nhưng các chỉ số cho loại "
            f"{roman(suggested)} — ghi lý do."
        )
    return {"missing_required": missing, "unconfirmed": unconfirmed, "errors": errors}
