"""How a person's fields read on screen: dates dd/mm/yyyy, priority-flag labels, local times (Nam/Nữ is
``persons.sex_label``).

Only display; the rules about people live in ``ksk_desktop.people.persons``.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from ksk_desktop.dates import show_birth, show_moment
from ksk_desktop.people.people_list import FLAG_LABELS

NO_GROUP = "—"

_DATE_TEXT = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*$")


def flag_label(flag: str) -> str:
    return FLAG_LABELS.get(flag, flag)


def flags_text(flags: list[str]) -> str:
    """Labels in the usual order (elderly first), whatever order the flags came in."""
    order = list(FLAG_LABELS)
    return ", ".join(
        flag_label(f) for f in sorted(flags, key=lambda f: order.index(f) if f in order else len(order))
    )


def birth_text(dob: str | date | None, birth_year: int | None) -> str:
    """``"1985-03-05"`` → ``"05/03/1985"``; only a year known → ``"1985"``; nothing → ``""``."""
    return show_birth(dob, birth_year)


def parse_date_text(text: str) -> date:
    """``"5/3/1985"`` or ``"05/03/1985"`` (day first, as Vietnamese write it) → a date; ValueError otherwise."""
    m = _DATE_TEXT.match(text)
    if not m:
        raise ValueError(text)
    day, month, year = (int(g) for g in m.groups())
    return date(year, month, day)


def vietnam_time(value: datetime) -> str:
    """A stored moment (naive = UTC) as ``dd/mm/yyyy HH:MM`` in Vietnam's time."""
    return show_moment(value)
