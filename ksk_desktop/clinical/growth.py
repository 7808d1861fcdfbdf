"""Children's growth: WHO z-scores by the LMS method, as WHO's own software computes them.

* Under 60 months: WHO Child Growth Standards 2006, tables by day of age (``weianthro``, ``lenanthro``,
  ``bmianthro``), age in days rounded half-up; length is the standard under 731 days and height from then on,
  so a standing height under 731 days gets +0.7 cm and a lying length from 731 days −0.7 cm (WHO ``anthro``).
* 60 to under 229 months: WHO Growth Reference 2007, tables by month (``hfawho2007``, ``bfawho2007``, and
  ``wfawho2007`` to under 121 months), L, M and S interpolated linearly between whole months (WHO ``anthroplus``).

Weight-for-age and BMI-for-age use WHO's restricted method beyond ±3 SD; height-for-age does not. WHO's
implausibility flags (|z| > 6 for height, z < −6 or > 5 for weight, |z| > 5 for BMI) become warnings to confirm.
"""

from __future__ import annotations

import math
from typing import Any

from ksk_desktop.clinical import tables
from ksk_desktop.clinical.measurements import DAYS_PER_MONTH, Measurements
from ksk_desktop.clinical.rounding import half_up_float, half_up_int

ADULT_FROM_MONTHS = 229  # WHO 2007 ends at 228 months (19 years) inclusive of the last month

_TABLES_2006 = {"wfa": "weianthro", "hfa": "lenanthro", "bfa": "bmianthro"}
_TABLES_2007 = {"wfa": "wfawho2007", "hfa": "hfawho2007", "bfa": "bfawho2007"}
_UPPER_2007 = {"wfa": 121, "hfa": 229, "bfa": 229}  # exclusive, in months
_FLAGS = {"wfa": (-6, 5), "hfa": (-6, 6), "bfa": (-5, 5)}
_NAMES = {"wfa": "Cân nặng theo tuổi", "hfa": "Chiều cao theo tuổi", "bfa": "BMI theo tuổi"}
_FIELDS = {"wfa": ("weight_kg",), "hfa": ("height_cm",), "bfa": ("height_cm", "weight_kg")}


def lms_z(y: float, l_: float, m_: float, s_: float) -> float:
    """Plain LMS z-score: ((y/M)^L − 1) / (L·S), or ln(y/M)/S when L = 0."""
    if l_ == 0:
        return math.log(y / m_) / s_
    return ((y / m_) ** l_ - 1) / (l_ * s_)


def lms_value(z: float, l_: float, m_: float, s_: float) -> float:
    """The measurement at z SD: M·(1 + L·S·z)^(1/L), or M·exp(S·z) when L = 0."""
    if l_ == 0:
        return m_ * math.exp(s_ * z)
    return m_ * (1 + l_ * s_ * z) ** (1 / l_)


def lms_z_restricted(y: float, l_: float, m_: float, s_: float) -> float:
    """WHO's restricted z-score: beyond ±3 SD distances are measured in the SD2–SD3 step (anthro/igrowup)."""
    z = lms_z(y, l_, m_, s_)
    if z > 3:
        sd3 = lms_value(3, l_, m_, s_)
        return 3 + (y - sd3) / (sd3 - lms_value(2, l_, m_, s_))
    if z < -3:
        sd3 = lms_value(-3, l_, m_, s_)
        return -3 + (y - sd3) / (lms_value(-2, l_, m_, s_) - sd3)
    return z


def reference_for(age_days: float) -> str | None:
    """'who2006', 'who2007' or None (19 years and older) for an age in days."""
    months = age_days / DAYS_PER_MONTH
    if months < 60:
        return "who2006"
    if months < ADULT_FROM_MONTHS:
        return "who2007"
    return None


def lms_at(indicator: str, sex: str, age_days: float) -> tuple[float, float, float, str] | None:
    """L, M, S (and 'L'/'H' for the 2006 length/height tables) at an age, or None outside the table."""
    sex_code = 1 if sex == "M" else 2
    months = age_days / DAYS_PER_MONTH
    if months < 60:
        return tables.who_table(_TABLES_2006[indicator])[sex_code].get(half_up_int(age_days))
    if months >= _UPPER_2007[indicator]:
        return None
    rows = tables.who_table(_TABLES_2007[indicator])[sex_code]
    low = math.trunc(months)
    frac = months - low
    lo = rows[low]
    if frac == 0:
        return lo
    hi = rows[low + 1]
    return (
        lo[0] + frac * (hi[0] - lo[0]),
        lo[1] + frac * (hi[1] - lo[1]),
        lo[2] + frac * (hi[2] - lo[2]),
        "",
    )


def zscore(indicator: str, sex: str, age_days: float, value: float) -> float | None:
    """The unrounded WHO z-score of *value* (kg, cm or kg/m², already position-adjusted), None outside the tables."""
    lms = lms_at(indicator, sex, age_days)
    if lms is None:
        return None
    l_, m_, s_, _ = lms
    return lms_z(value, l_, m_, s_) if indicator == "hfa" else lms_z_restricted(value, l_, m_, s_)


def _category(z: float, cuts: list[dict[str, Any]]) -> dict[str, Any] | None:
    for cut in cuts:  # most severe first
        if ("below" in cut and z < cut["below"]) or ("above" in cut and z > cut["above"]):
            return {"code": cut["code"], "label": cut["label"]}
    return None


def assess(m: Measurements) -> dict[str, Any] | None:
    """Z-scores and their WHO categories for a child under 19 years; None for adults."""
    days = m.age.days
    reference = reference_for(days)
    if reference is None:
        return None
    under5 = reference == "who2006"
    cutoffs = tables.screening()["child_growth_cutoffs"]["under_5" if under5 else "age_5_19"]
    height = m.get("height_cm")
    weight = m.get("weight_kg")
    out: dict[str, Any] = {
        "reference": "WHO Child Growth Standards 2006" if under5 else "WHO Growth Reference 2007",
        "age_days": half_up_int(days) if under5 else None,
        "age_months": half_up_float(days / DAYS_PER_MONTH, 2),
        "indicators": {},
        "notes": [],
    }
    adjusted = height
    if height is not None and under5:
        rounded_days = half_up_int(days)
        lying = m.measured_lying if m.measured_lying is not None else rounded_days < 731
        correction = 0.0
        if rounded_days < 731 and not lying:
            correction = 0.7
            out["notes"].append("Dưới 731 ngày tuổi nhưng đo đứng: cộng 0,7 cm (chuẩn WHO là chiều dài nằm).")
        elif rounded_days >= 731 and lying:
            correction = -0.7
            out["notes"].append("Từ 731 ngày tuổi nhưng đo nằm: trừ 0,7 cm (chuẩn WHO là chiều cao đứng).")
        adjusted = height + correction
        out["height_used_cm"] = round(adjusted, 2)
    body_mass = None if adjusted is None or weight is None else weight / ((adjusted / 100) ** 2)
    values = {"wfa": weight, "hfa": adjusted, "bfa": body_mass}
    for indicator in ("wfa", "hfa", "bfa"):
        value = values[indicator]
        pending = [f for f in _FIELDS[indicator] if f in m.pending]
        if value is None:
            if pending:
                out["indicators"][indicator] = {"name": _NAMES[indicator], "z": None, "status": "pending"}
            continue
        z = zscore(indicator, m.sex, days, value)
        if z is None:
            out["indicators"][indicator] = {
                "name": _NAMES[indicator],
                "z": None,
                "status": "not_applicable",
                "note": "WHO không dùng cân nặng theo tuổi sau 10 tuổi.",
            }
            continue
        z2 = half_up_float(z, 2)
        entry: dict[str, Any] = {"name": _NAMES[indicator], "z": z2, "status": "ok", "value": round(value, 2)}
        low, high = _FLAGS[indicator]
        usable = True
        if z2 < low or z2 > high:
            entry["who_flag"] = True
            message = (
                f"{_NAMES[indicator]}: z = {z2:+.2f} vượt ngưỡng WHO coi là khó có thật "
                f"({low} đến +{high}); kiểm tra lại số đo và tuổi, nếu đúng thì xác nhận."
            )
            usable = all([m.warn(f, m.get(f), "z_ngoai_nguong_who", message) for f in _FIELDS[indicator]])
        if usable:
            entry["category"] = _category(z2, cutoffs[indicator])
        else:
            entry["status"] = "pending"
            entry["category"] = None
        out["indicators"][indicator] = entry
    if not out["notes"]:
        del out["notes"]
    return out
