"""Body-mass index and the adult Asia-Pacific category (vietnam.md §2.4)."""

from __future__ import annotations

from typing import Any

from ksk_desktop.clinical import tables
from ksk_desktop.clinical.bands import contains
from ksk_desktop.clinical.rounding import half_up_float


def bmi(weight_kg: float, height_cm: float) -> float:
    """kg / m² from the measured (unrounded) weight and height."""
    metres = height_cm / 100
    return weight_kg / (metres * metres)


def asia_pacific(value: float) -> dict[str, Any]:
    """The Asia-Pacific category of an adult BMI, judged on the BMI rounded half-up to one decimal."""
    shown = half_up_float(value, 1)
    for category in tables.screening()["bmi_asia_pacific"]["categories"]:
        if contains(category, shown):
            return {"code": category["code"], "label": category["label"], "bmi": shown}
    raise AssertionError(f"BMI {shown} fits no Asia-Pacific band")  # the bands cover every value
