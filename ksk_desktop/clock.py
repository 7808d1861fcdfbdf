"""The station's one clock: now in UTC, and today in Vietnam.

Every core function that needs "now" or "today" asks the session's clock (``ctx.clock``); code without a
session (command-line parsing, the hub) uses :data:`SYSTEM_CLOCK` explicitly. A test freezes time by giving
the session a :class:`FixedClock`. This module is the only place that reads the system time (ruff's DTZ and
banned-API rules keep it so).

Hải Phòng keeps UTC+7 all year (no daylight saving since 1975), so a fixed offset is exact and needs no
time-zone database on the laptop. DateTime columns hold naive UTC (SQLite stores no zone); the Vietnamese
wall clock is applied only for "today" and for display.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


class Clock:
    """The system clock. Subclasses override :meth:`now` only; everything else derives from it."""

    def now(self) -> datetime:
        """This instant, aware, in UTC."""
        return datetime.now(UTC)

    def utcnow(self) -> datetime:
        """Naive UTC, for DateTime columns."""
        return self.now().replace(tzinfo=None)

    def local_now(self) -> datetime:
        """The wall clock in Vietnam now (naive): what the desk's "07:30" slots are compared with."""
        return self.now().astimezone(VIETNAM).replace(tzinfo=None)

    def today(self) -> date:
        """Today's date in Vietnam, whatever the laptop's zone: what "today" means at the station."""
        return self.local_now().date()


class FixedClock(Clock):
    """A clock that stands still until told otherwise, for tests: ``set`` it, ``advance`` it."""

    def __init__(self, at: datetime) -> None:
        self.set(at)

    @classmethod
    def vietnam(cls, wall_clock: datetime) -> FixedClock:
        """Frozen at a naive wall-clock time in Vietnam, e.g. ``datetime(2026, 12, 31, 7, 0)`` at the desk."""
        return cls(wall_clock.replace(tzinfo=VIETNAM))

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime (or set_vietnam for a wall-clock time)")
        self._at = at.astimezone(UTC)

    def set_vietnam(self, wall_clock: datetime) -> None:
        """Move to a naive wall-clock time in Vietnam."""
        self.set(wall_clock.replace(tzinfo=VIETNAM))

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by *delta* (or ``timedelta(**kwargs)``); returns the new instant."""
        self._at += delta if delta is not None else timedelta(**kwargs)
        return self._at

    def now(self) -> datetime:
        return self._at

    def __repr__(self) -> str:
        return f"FixedClock({self._at.isoformat()})"


SYSTEM_CLOCK = Clock()


def to_vietnam(moment: datetime) -> datetime:
    """A stored moment (naive = UTC) as an aware datetime on Vietnam's wall clock."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM)


def vietnam_to_utc(day: date, wall_clock: str) -> datetime:
    """Naive UTC of a Vietnamese ``HH:MM`` on *day* (e.g. a slot's start, for a stored check-in time)."""
    h, m = (int(x) for x in wall_clock.split(":"))
    return datetime.combine(day, time(h, m), VIETNAM).astimezone(UTC).replace(tzinfo=None)
