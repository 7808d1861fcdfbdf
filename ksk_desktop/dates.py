"""How dates read and count, once for the core, the GUI and the command line: dd/mm/yyyy, times on Vietnam's
wall clock, ages from a date of birth or a year of birth alone."""

from __future__ import annotations

from datetime import date, datetime, time

from ksk_desktop.clock import to_vietnam

DAY_FIRST = ("%d/%m/%Y", "%Y-%m-%d")  # what a person types (dd/mm/yyyy), or ISO


def parse_date(text: str, formats: tuple[str, ...] = DAY_FIRST) -> date:
    """A calendar date written in one of *formats* (strptime's); ValueError otherwise. A date has no zone."""
    for fmt in formats:
        try:
            return datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 - a calendar date, not a moment
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def show_date(value: date | datetime | str | None) -> str:
    """dd/mm/yyyy of a date or an ISO date text; ``""`` for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def hhmm(value: time | datetime) -> str:
    """``07:05`` of a time or a wall-clock datetime."""
    return f"{value.hour:02d}:{value.minute:02d}"


def show_moment(value: datetime | str | None) -> str:
    """A stored moment (naive or a zone-less ISO text = UTC) as ``dd/mm/yyyy HH:MM`` on Vietnam's wall clock."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    local = to_vietnam(value)
    return f"{show_date(local)} {hhmm(local)}"


def show_birth(dob: date | str | None, birth_year: int | None) -> str:
    """The date of birth dd/mm/yyyy, or the year alone when only the year is known, or ``""``."""
    return show_date(dob) if dob else (str(birth_year) if birth_year else "")


def age_on(on: date, birth_date: date | str | None, birth_year: int | None = None) -> int | None:
    """Whole years of age on *on*: from the date of birth, or (only the year known) the difference of years;
    ``None`` when neither is known."""
    if birth_date:
        born = date.fromisoformat(birth_date[:10]) if isinstance(birth_date, str) else birth_date
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if birth_year:
        return on.year - birth_year
    return None
