"""Clinical computations of the exam (pure, no database): QĐ 1613 classes, BMI, blood pressure, WHO growth.

The entry point is :func:`classify`; the tables it applies are versioned data in ``resources/classification/``.
"""

from __future__ import annotations

from ksk_desktop.clinical.assessment import classify
from ksk_desktop.clinical.measurements import InvalidMeasurement

__all__ = ["InvalidMeasurement", "classify"]
