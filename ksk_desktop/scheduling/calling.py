"""The waiting room's "now calling" display (``ksk schedule calling``): the numbers called into an exam room, the
latest call first, with the room each was called into, and the next numbers waiting.

Numbers and rooms only, never a name or initials: the screen faces the whole waiting room of a commune where
people know each other, and the queue number on the ticket is all a person needs to know it is their turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text

from ksk_desktop.clock import to_vietnam
from ksk_desktop.dates import hhmm
from ksk_desktop.errors import InvalidInput
from ksk_desktop.scheduling import status as st
from ksk_desktop.security.roles import Perm
from ksk_desktop.shapes import Shape
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import nfc

ROOM_MAX = 60


@dataclass(frozen=True)
class CalledNumber(Shape):
    """A number called into an exam room and still there."""

    queue_no: int
    room: str | None  # None: called from a desk that names no room
    called_at: str | None  # HH:MM, Vietnam's wall clock


@dataclass(frozen=True)
class NowCalling(Shape):
    """What the waiting room's screen shows for one day (at one site, or every site)."""

    date: str  # ISO date
    site_id: str | None
    called: list[CalledNumber]  # in an exam room now, the latest call first
    upcoming: list[int]  # the next numbers waiting, in queue order
    waiting: int  # how many wait in all

    @property
    def current(self) -> CalledNumber | None:
        """The latest call (the one the screen shows biggest)."""
        return self.called[0] if self.called else None


def room_name(room: str | None) -> str | None:
    """A room name as stored: tidied, None when empty; InvalidInput when too long."""
    name = nfc(room or "")
    if len(name) > ROOM_MAX:
        raise InvalidInput(f"Tên phòng khám dài quá {ROOM_MAX} ký tự.")
    return name or None


def _local(stored: str | datetime | None) -> str | None:
    if not stored:
        return None
    moment = stored if isinstance(stored, datetime) else datetime.fromisoformat(str(stored))
    return hhmm(to_vietnam(moment))


def now_calling(
    ctx: StationSession, day: date | None = None, site_id: str | None = None, *, upcoming: int = 5
) -> NowCalling:
    """The numbers in an exam room on *day* (latest call first) and the next *upcoming* numbers waiting. Not
    audited: it carries no name and refreshes all day."""
    ctx.require(Perm.CHECKIN)
    day = day or ctx.clock.today()
    params: dict = {"d": day.isoformat(), "in_exam": st.IN_EXAM, "waiting": st.CHECKED_IN}
    where = "d.exam_date = :d AND a.queue_no IS NOT NULL"
    if site_id:
        where += " AND d.site_id = :site"
        params["site"] = site_id
    base = f"FROM appointment a JOIN exam_day d ON d.id = a.day_id WHERE {where} "
    with ctx.read() as s:
        called = s.execute(
            text(
                f"SELECT a.queue_no, a.room, a.called_at {base}AND a.status = :in_exam "
                "ORDER BY a.called_at IS NULL, a.called_at DESC, a.queue_no DESC"
            ),
            params,
        ).all()
        waiting = [
            r.queue_no
            for r in s.execute(
                text(f"SELECT a.queue_no {base}AND a.status = :waiting ORDER BY a.queue_no"), params
            )
        ]
    return NowCalling(
        date=day.isoformat(),
        site_id=site_id,
        called=[CalledNumber(r.queue_no, r.room, _local(r.called_at)) for r in called],
        upcoming=waiting[: max(0, upcoming)],
        waiting=len(waiting),
    )
