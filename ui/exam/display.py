"""How the exam screen writes dates, numbers and classes: 26/11/2026, 60,5, Loại II."""

from __future__ import annotations

from datetime import date
from typing import Any

from ui.i18n import format_date

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}


def iso_date(iso: str | None) -> str:
    """``"2026-11-26"`` (or an ISO timestamp) → ``"26/11/2026"``; ``""`` for None."""
    return format_date(date.fromisoformat(iso[:10])) if iso else ""


def number(value: Any) -> str:
    """A number as a Vietnamese writes it: ``60,5``, ``72`` (a whole float without its ``,0``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace(".", ",")
