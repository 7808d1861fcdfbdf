"""Blood-pressure grade of QĐ 3192/QĐ-BYT for adults: the higher of the systolic and diastolic categories."""

from __future__ import annotations

from typing import Any

from ksk_desktop.clinical import tables
from ksk_desktop.clinical.rounding import half_up_int


def _category(value: int, which: str) -> dict[str, Any]:
    for category in tables.screening()["blood_pressure_qd3192"]["categories"]:
        low = category.get(f"{which}_min", float("-inf"))
        below = category.get(f"{which}_below", float("inf"))
        if low <= value < below:
            return category
    raise AssertionError(f"{which} {value} fits no QĐ 3192 band")  # the bands cover every value


def grade(systolic: float, diastolic: float) -> dict[str, Any]:
    """QĐ 3192 category of one reading (rounded half-up to whole mmHg), with the isolated-systolic mark."""
    spec = tables.screening()["blood_pressure_qd3192"]
    sys_mm, dia_mm = half_up_int(systolic), half_up_int(diastolic)
    by_sys, by_dia = _category(sys_mm, "systolic"), _category(dia_mm, "diastolic")
    worst = by_sys if by_sys["rank"] >= by_dia["rank"] else by_dia
    iso = spec["isolated_systolic"]
    isolated = sys_mm >= iso["systolic_min"] and dia_mm < iso["diastolic_below"]
    return {
        "systolic": sys_mm,
        "diastolic": dia_mm,
        "code": worst["code"],
        "label": worst["label"],
        "systolic_category": by_sys["code"],
        "diastolic_category": by_dia["code"],
        "hypertension": worst["rank"] >= spec["hypertension_from_rank"],
        "isolated_systolic": isolated,
        "instrument": spec["instrument"],
    }
