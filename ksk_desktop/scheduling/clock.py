"""The station's local time. Hải Phòng keeps UTC+7 all year (no daylight saving since 1975), so a fixed offset
is exact and needs no time-zone database on the laptop."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

LOCAL_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


def local_now() -> datetime:
    """The local wall-clock time now (naive, Asia/Ho_Chi_Minh)."""
    return datetime.now(LOCAL_TZ).replace(tzinfo=None)


def local_today() -> date:
    """Today's date in Hải Phòng (what "today" means at the desk, whatever the laptop's zone)."""
    return local_now().date()


def hhmm(value: time | datetime) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def to_utc(day: date, wall_clock: str) -> datetime:
    """Naive UTC of a local ``HH:MM`` on *day* (e.g. a slot's start, for sync or reminders)."""
    h, m = (int(x) for x in wall_clock.split(":"))
    local = datetime.combine(day, time(h, m), LOCAL_TZ)
    return local.astimezone(UTC).replace(tzinfo=None)


def show_date(value: date | str | None) -> str:
    """dd/mm/yyyy for messages."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")
