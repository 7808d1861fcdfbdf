"""Appointment states and the steps allowed between them.

scheduled → notified → checked_in → in_exam → examined; scheduled/notified → no_show → rescheduled (a new
appointment points back to the old one); scheduled/notified → cancelled (by a person, or by re-planning that
found no room).
"""

from __future__ import annotations

SCHEDULED = "scheduled"
NOTIFIED = "notified"
CHECKED_IN = "checked_in"
IN_EXAM = "in_exam"
EXAMINED = "examined"
NO_SHOW = "no_show"
RESCHEDULED = "rescheduled"
CANCELLED = "cancelled"

ALL = (SCHEDULED, NOTIFIED, CHECKED_IN, IN_EXAM, EXAMINED, NO_SHOW, RESCHEDULED, CANCELLED)
#: At most one appointment per person and campaign in these states (a partial unique index enforces it).
ACTIVE = (SCHEDULED, NOTIFIED, CHECKED_IN, IN_EXAM, EXAMINED)
#: Still expected to come: the planner may move these (if scheduled and unlocked), reconciliation marks them absent.
EXPECTED = (SCHEDULED, NOTIFIED)
#: States that take a place in a slot.
OCCUPYING = (*ACTIVE, NO_SHOW)

LABELS = {
    SCHEDULED: "Đã xếp lịch",
    NOTIFIED: "Đã báo lịch",
    CHECKED_IN: "Đang chờ khám",
    IN_EXAM: "Đang khám",
    EXAMINED: "Đã khám",
    NO_SHOW: "Vắng mặt",
    RESCHEDULED: "Đã hẹn lại",
    CANCELLED: "Đã hủy",
}

TRANSITIONS = {
    SCHEDULED: {NOTIFIED, CHECKED_IN, NO_SHOW, CANCELLED},
    NOTIFIED: {SCHEDULED, CHECKED_IN, NO_SHOW, CANCELLED},
    CHECKED_IN: {IN_EXAM, EXAMINED},
    IN_EXAM: {EXAMINED, CHECKED_IN},
    NO_SHOW: {RESCHEDULED},
    EXAMINED: set(),
    RESCHEDULED: set(),
    CANCELLED: set(),
}


def sql_list(states: tuple[str, ...]) -> str:
    """``'a', 'b'`` for an SQL ``IN (…)``: the states are constants of this module, never user input."""
    return ", ".join(f"'{s}'" for s in states)
