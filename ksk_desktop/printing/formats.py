"""How values read on paper: dd/mm/yyyy dates, Nam/Nữ, target-group labels, decimal commas, the formal
place-and-date line of NĐ 30/2020."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from ksk_desktop.scheduling.clock import local_now

SEX_LABELS = {"M": "Nam", "F": "Nữ"}


def dmy(value: date | datetime | str | None) -> str:
    """dd/mm/yyyy of an ISO date (or date), ``""`` for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def birth(dob: str | None, birth_year: int | None) -> str:
    """The date of birth, or the year alone when only the year is known."""
    return dmy(dob) if dob else (str(birth_year) if birth_year else "")


def sex_label(code: str | None) -> str:
    return SEX_LABELS.get(code or "", "")


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
    """``"In lúc 07:45 ngày 26/11/2026"`` in the station's local time."""
    now = now or local_now()
    return f"In lúc {now:%H:%M} ngày {now:%d/%m/%Y}"
