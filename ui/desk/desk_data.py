"""What the desk shows for one date, read from the core on the worker thread: today's exam days (sites), the
chosen site's board and its counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ksk_desktop.scheduling import board, days
from ksk_desktop.station.session import StationSession

#: Board columns, in the order the desk lists them when no filter is set.
BOARD_ORDER = ("waiting", "in_exam", "expected", "done", "no_show")


@dataclass(frozen=True)
class DeskDay:
    day_id: str
    site_id: str
    site_name: str
    capacity: int
    booked: int
    free: int


@dataclass
class DeskSnapshot:
    today: date
    days: list[DeskDay]
    site_id: str | None  # the site the board is for (None: no exam day today)
    rows: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def has_day(self) -> bool:
        return bool(self.days)

    @property
    def day(self) -> DeskDay | None:
        return next((d for d in self.days if d.site_id == self.site_id), None)


def _sort_key(row: dict) -> tuple:
    # Waiting and in-exam people by queue number; those not come yet by slot; the rest after.
    column = BOARD_ORDER.index(row["_column"])
    queue = (row["queue_no"] or 0) if column in (0, 1) else 0
    return (column, queue, row["start"] or "", row["name"])


def load_desk(ctx: StationSession, today: date, site_id: str | None) -> DeskSnapshot:
    """Today's sites and the board of *site_id* (or of the first site when it is not one of today's)."""
    found = days.list_days(ctx, date_from=today, date_to=today)
    desk_days = [
        DeskDay(d.id, d.site_id, d.site_name, d.capacity, d.booked, d.free)
        for d in sorted(found, key=lambda d: (d.site_kind != "station", d.site_name))
    ]
    if not desk_days:
        return DeskSnapshot(today, [], None)
    if site_id not in {d.site_id for d in desk_days}:
        site_id = desk_days[0].site_id
    data = board.board(ctx, today, site_id)
    rows = []
    for column in BOARD_ORDER:
        for row in data.column(column):
            rows.append({**row, "_column": column})
    rows.sort(key=_sort_key)
    day = next(d for d in desk_days if d.site_id == site_id)
    c = data.counts
    counts = {
        "booked": c.total,
        "expected": c.expected,
        "waiting": c.waiting,
        "in_exam": c.in_exam,
        "done": c.done,
        "no_show": c.no_show,
        "free": day.free,
    }
    return DeskSnapshot(today, desk_days, site_id, rows, counts)
