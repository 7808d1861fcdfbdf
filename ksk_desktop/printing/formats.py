"""How values read on paper: dd/mm/yyyy dates, target-group labels, decimal commas, the formal
place-and-date line of NĐ 30/2020."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.dates import hhmm, show_birth, show_date

dmy = show_date  # dd/mm/yyyy, "" for none
birth = show_birth  # the date of birth, or the year alone when only the year is known


@lru_cache(maxsize=1)
def _group_labels() -> dict[str, str]:
    from ksk_desktop.people.persons import target_group_labels

    return target_group_labels()


def group_label(code: str | None, *, short: bool = False) -> str:
    """``"a. Người cao tuổi và đối tượng ưu tiên"`` (or just ``"a"`` when *short*)."""
    if not code:
        return ""
    if short:
        return code
    label = _group_labels().get(code)
    return f"{code}. {label}" if label else code


def number(value: float | str | None, digits: int = 1) -> str:
    """A measurement with a decimal comma (``5,6``), integers without decimals, ``""`` for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value)}"
    return f"{float(value):.{digits}f}".rstrip("0").rstrip(".").replace(".", ",")


def place_date(place: str, day: date) -> str:
    """``"Hải Phòng, ngày 05 tháng 3 năm 2026"``: day always two digits, month two digits only for 1 and 2."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def printed_at(now: datetime | None = None) -> str:
    """``"In lúc 07:45 ngày 26/11/2026"`` on Vietnam's wall clock (the moment of printing: the system clock's
    unless given, the PDF layer has no session)."""
    now = now or SYSTEM_CLOCK.local_now()
    return f"In lúc {hhmm(now)} ngày {show_date(now)}"
