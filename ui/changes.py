"""What an operation changed, so that each view refreshes only what it shows (Anki's ``OpChanges``).

An operation run through :func:`ui.ops.run_in_background` names its changes (``changes=Changes.PEOPLE | …``);
when it succeeds they are announced once on :data:`ui.ops.hub`, and every page that cares refreshes — at once
if it is on screen, else when it is next shown. No view refreshes "everything" after a change of its own.
"""

from __future__ import annotations

from enum import Flag, auto


class Changes(Flag):
    NONE = 0
    PEOPLE = auto()  # people added, edited, merged, imported, or pulled from the hub
    CONSENTS = auto()
    SCHEDULE = auto()  # campaigns, sites, exam days and their slots
    APPOINTMENTS = auto()  # bookings, moves, notices, check-ins, board steps, no-shows
    EXAMS = auto()  # drafts saved, signed, amended
    FOLLOWUPS = auto()
    OUTBOX = auto()  # something now waits to be sent to the city hub (or was sent)
    SYNC = auto()  # enrolment, the outcome of a sync run, parked items sent again or dismissed
    USERS = auto()  # station accounts
    STATION = auto()  # the station's own facts and policy

    @classmethod
    def everything(cls) -> Changes:
        every = cls.NONE
        for member in cls:
            every |= member
        return every


#: A change to the records most screens show: people, their appointments and exams (plus what waits to be sent).
RECORDS = Changes.PEOPLE | Changes.APPOINTMENTS | Changes.EXAMS | Changes.OUTBOX
