"""Typed errors of scheduling and the exam-day desk, each with a Vietnamese message for the person at the desk."""

from __future__ import annotations

from ksk_desktop.errors import InvalidInput, KskError


class DateInPast(InvalidInput):
    """A new exam day (or a move, a make-up day) dated before today."""


class SiteCapacityMissing(InvalidInput):
    """The site has no capacity per hour and the day gave no capacity per slot."""


class DayOverCapacity(KskError):
    """The slot or day has no room left (or a change would leave it over capacity)."""

    exit_code = 11


class AlreadyExamined(KskError):
    """The person was already examined this year. The message names no one (``ksk_desktop.redact``); ``who``
    (name and date of birth) is for the desk's window to show beside it."""

    exit_code = 12

    def __init__(self, message: str, person_id: str | None = None, who: str | None = None) -> None:
        super().__init__(message)
        self.person_id = person_id
        self.who = who


class NotOnTodaysList(KskError):
    """The scanned person (or appointment) is not on today's list. ``person_id`` lets the desk offer a walk-in;
    ``other`` describes the person's appointment on another day, if any; ``who`` (name and date of birth, never
    in the message) is for the desk's window to show beside it."""

    exit_code = 13

    def __init__(
        self, message: str, person_id: str | None = None, other: dict | None = None, who: str | None = None
    ) -> None:
        super().__init__(message)
        self.person_id = person_id
        self.other = other
        self.who = who


class InvalidStatus(KskError):
    """The appointment is in a state that does not allow this step."""

    exit_code = 14


class DeskElsewhere(KskError):
    """The exam day's desk runs on another device of the station (it gives the day's queue numbers); the head may
    take the desk over on this device (docs/multi-device.md §3). ``day_id`` lets the desk offer that."""

    exit_code = 20

    def __init__(self, message: str, day_id: str, device_id: str) -> None:
        super().__init__(message)
        self.day_id = day_id
        self.device_id = device_id
