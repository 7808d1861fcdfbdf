"""``classify(measurements)``: everything the exam computes from one person's measurements, as one JSON object."""

from __future__ import annotations

from typing import Any

from ksk_desktop.clinical import blood_pressure, flags, growth, qd1613, tables
from ksk_desktop.clinical.bmi import asia_pacific, bmi
from ksk_desktop.clinical.measurements import parse_measurements
from ksk_desktop.clinical.rounding import half_up_float

SCHEMA = "ksk.classify/1"


def _bmi_block(m, child: dict[str, Any] | None) -> dict[str, Any] | None:
    height, weight = m.get("height_cm"), m.get("weight_kg")
    if height is None or weight is None:
        return None
    exact = bmi(weight, height)
    out: dict[str, Any] = {"value": half_up_float(exact, 1), "exact": round(exact, 4)}
    if child is None:
        out["basis"] = "asia_pacific"
        category = asia_pacific(exact)
        out["category"] = {"code": category["code"], "label": category["label"]}
    else:
        out["basis"] = "who_bmi_for_age"
        out["category"] = child["indicators"].get("bfa", {}).get("category")
    return out


def _blood_pressure_block(m) -> dict[str, Any] | None:
    if m.get("systolic") is None or m.get("diastolic") is None:
        return None
    spec = tables.screening()["blood_pressure_qd3192"]
    if m.age.years < spec["min_age_years"]:
        return {
            "applicable": False,
            "systolic": qd1613.plain(m.get("systolic")),
            "diastolic": qd1613.plain(m.get("diastolic")),
            "note": f"Phân độ QĐ 3192 dành cho người từ {spec['min_age_years']} tuổi; trẻ em cần bảng "
            "bách phân vị huyết áp theo tuổi và chiều cao (chưa có).",
        }
    return {"applicable": True, **blood_pressure.grade(m.get("systolic"), m.get("diastolic"))}


def _glucose_flags(m) -> list[str]:
    spec = tables.screening()["glucose"]
    reasons = []
    checks = (
        ("glucose_fasting_mmol_l", "fasting_mmol_l_min", "đói"),
        ("glucose_2h_mmol_l", "two_hour_mmol_l_min", "2 giờ"),
        ("hba1c_percent", "hba1c_percent_min", "HbA1c"),
    )
    for name, key, what in checks:
        value = m.get(name)
        if value is not None and value >= spec[key]:
            reasons.append(f"{what} {value:g} ≥ {spec[key]:g}".replace(".", ","))
    return reasons


def classify(measurements: dict[str, Any]) -> dict[str, Any]:
    """Classify one measurement set: QĐ 1613 classes, BMI, blood-pressure grade, flags, WHO z-scores, warnings.

    Raises :class:`~ksk_desktop.clinical.measurements.InvalidMeasurement` (an ``InvalidInput``) on unreadable input.
    """
    m = parse_measurements(measurements)
    child = growth.assess(m)
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "versions": {
            "qd1613": tables.qd1613()["data_version"],
            "screening": tables.screening()["data_version"],
        },
        "inputs": m.used_inputs(),
        "age": {
            "years": m.age.years,
            "months": half_up_float(m.age.months, 2),
            "from_dates": m.age.from_dates,
        },
        "bmi": _bmi_block(m, child),
        "blood_pressure": _blood_pressure_block(m),
        "growth": child,
    }
    result["qd1613"] = qd1613.assess(m)  # after growth: its warnings count towards "complete"

    raised: list[dict[str, str]] = []
    bp = result["blood_pressure"]
    if bp and bp["applicable"]:
        if bp["hypertension"]:
            raised.append(flags.flag("tang_huyet_ap", f"QĐ 3192: {bp['label']}"))
        elif bp["code"] == "tien_tang_huyet_ap":
            raised.append(flags.flag("tien_tang_huyet_ap", "QĐ 3192"))
        if bp["isolated_systolic"]:
            raised.append(flags.flag("tha_tam_thu_don_doc", "QĐ 3192"))
    if child is None:
        category = (result["bmi"] or {}).get("category")
        code = flags.adult_bmi_flag(category["code"]) if category else None
        if code:
            raised.append(
                flags.flag(
                    code, f"BMI {result['bmi']['value']:g} (châu Á - Thái Bình Dương)".replace(".", ",")
                )
            )
    else:
        for indicator in ("wfa", "hfa", "bfa"):
            category = child["indicators"].get(indicator, {}).get("category")
            code = flags.child_flag(category["code"]) if category else None
            if code and code not in {f["code"] for f in raised}:
                raised.append(flags.flag(code, f"WHO {indicator}: {category['label']}"))
    glucose = _glucose_flags(m)
    if glucose:
        raised.append(flags.flag("duong_huyet_cao", "; ".join(glucose)))
    result["flags"] = raised

    notes = list(m.notes)
    if {"normal_voice_right_m", "normal_voice_left_m"} & set(m.values):
        notes.append("QĐ 1613 không có bảng cho nói thường: số đo được ghi lại nhưng không dùng để xếp loại.")
    result["warnings"] = [w.to_json() for w in m.warnings]
    result["needs_confirmation"] = m.needs_confirmation
    result["pending_fields"] = sorted(m.pending)
    result["notes"] = notes
    return result
