"""Placement in memory: the free places of exam days and the order people take them in (the rules are told in
``scheduling.planner``). Priority people fill mornings from the first slot on; everyone else takes afternoons,
then mornings from the last slot backwards; each day takes a share of a group in proportion to its free places.
"""

from __future__ import annotations

from dataclasses import dataclass

from ksk_desktop.scheduling.days import MORNING_ENDS
from ksk_desktop.scheduling.plan_result import Unplaced

REASONS = {
    "no_school_day": "Học sinh (nhóm b, 6–17 tuổi) được khám tại trường: chưa có ngày khám tại điểm trường học "
    "trong khoảng ngày đã chọn.",
    "school_full": "Các ngày khám tại trường học trong khoảng ngày đã chọn đã kín chỗ.",
    "no_regular_day": "Chỉ có ngày khám tại trường học (dành cho học sinh) trong khoảng ngày đã chọn.",
    "no_morning_room": "Hết chỗ buổi sáng (người cao tuổi, người khuyết tật, người có công được xếp buổi sáng) "
    "trong khoảng ngày đã chọn.",
    "full": "Hết chỗ: các ngày khám trong khoảng ngày đã chọn đã kín.",
}


@dataclass(slots=True)
class SlotRoom:
    id: str
    start: str
    end: str
    room: int


class DayRoom:
    """Free places of one exam day; priority people fill mornings forwards, others afternoons then mornings
    backwards, so the two meet in the morning only when the day is full."""

    def __init__(self, row, slots: list[SlotRoom]) -> None:  # noqa: ANN001 - a result row
        self.id, self.date, self.site_id, self.site_name, self.kind = row
        self.slots = slots
        self.morning = [x for x in slots if x.start < MORNING_ENDS]
        self.afternoon = [x for x in slots if x.start >= MORNING_ENDS]
        self.capacity = 0
        self.booked_before = 0
        self.placed = 0
        self.quota = 0
        self._fwd = 0
        self._back = len(self.morning) - 1
        self._aft = 0
        self.morning_room = sum(x.room for x in self.morning)
        self.afternoon_room = sum(x.room for x in self.afternoon)

    @property
    def room(self) -> int:
        return self.morning_room + self.afternoon_room

    def take_morning(self) -> SlotRoom:
        while self.morning[self._fwd].room == 0:
            self._fwd += 1
        slot = self.morning[self._fwd]
        slot.room -= 1
        self.morning_room -= 1
        return self._took(slot)

    def take_any(self) -> SlotRoom:
        if self.afternoon_room:
            while self.afternoon[self._aft].room == 0:
                self._aft += 1
            slot = self.afternoon[self._aft]
            self.afternoon_room -= 1
        else:
            while self.morning[self._back].room == 0:
                self._back -= 1
            slot = self.morning[self._back]
            self.morning_room -= 1
        slot.room -= 1
        return self._took(slot)

    def give_back(self, slot: SlotRoom) -> None:
        """A place taken before this plan is free again (its appointment moved)."""
        slot.room += 1
        if slot.start < MORNING_ENDS:
            self.morning_room += 1
        else:
            self.afternoon_room += 1
        self._fwd, self._back, self._aft = 0, len(self.morning) - 1, 0  # the free place may be behind them

    def _took(self, slot: SlotRoom) -> SlotRoom:
        self.placed += 1
        self.quota -= 1
        return slot


@dataclass(slots=True)
class Candidate:
    id: str
    name: str
    hamlet: str | None
    group: str | None
    priority: bool
    pupil: bool
    movable: tuple | None = None  # (appointment id, version, slot id) of an appointment the planner may move
    no_show: tuple | None = None  # (appointment id, version) of the no-show this replaces
    keep: bool = False  # the movable appointment stays where it is
    any_slot: bool = False  # rebalancing found no place by the rules for this appointment: any place will do

    @property
    def held(self) -> tuple:
        """The movable appointment of someone whose appointment is kept, moved or cancelled."""
        assert self.movable is not None
        return self.movable


def fill(
    days: list[DayRoom], people: list[Candidate], placed: dict[str, tuple[DayRoom, SlotRoom]], morning: bool
) -> list[Candidate]:
    """Place *people* in order, mornings only (priority) or anywhere; return those who found no room.

    First pass: each day takes a share of them in proportion to its free places (mornings, for priority people),
    which spreads them over the range in order; second pass: anyone left takes any place still free.
    """

    def room(d: DayRoom) -> int:
        return d.morning_room if morning else d.room

    free = sum(room(d) for d in days)
    for d in days:
        d.quota = room(d) if len(people) >= free else -(-room(d) * len(people) // free)
    for use_quota in (True, False):
        left = []
        i, n = 0, len(days)
        for p in people:
            while i < n and (room(days[i]) == 0 or (use_quota and days[i].quota <= 0)):
                i += 1
            if i == n:
                left.append(p)
                continue
            day = days[i]
            placed[p.id] = (day, day.take_morning() if morning else day.take_any())
        people = left
    return people


def streams(days: list[DayRoom]) -> tuple:
    """(pupils?, their days): pupils at school sites, everyone else at the other sites."""
    return ((True, [d for d in days if d.kind == "school"]), (False, [d for d in days if d.kind != "school"]))


def copy_days(days: list[DayRoom]) -> list[DayRoom]:
    out = []
    for d in days:
        c = DayRoom(
            (d.id, d.date, d.site_id, d.site_name, d.kind),
            [SlotRoom(x.id, x.start, x.end, x.room) for x in d.slots],
        )
        c.capacity, c.booked_before = d.capacity, d.booked_before
        out.append(c)
    return out


def assign(
    days: list[DayRoom], people: list[Candidate], placed: dict, unplaced: list[Unplaced], *, rebalance: bool
) -> None:
    """Place those to move, then newcomers. Without rebalancing, "to move" means breaking a rule, and who finds
    no better place keeps their own; with it, every appointment the planner may move was given back, and who
    finds no place by the rules takes any (an appointment is cancelled only if no place at all is left)."""
    where_is = {x.id: (d, x) for d in days for x in d.slots}
    by_stream = streams(days)
    for stream, stream_days in by_stream:
        movers = [p for p in people if p.pupil == stream and p.movable and not p.keep]
        left = place(stream_days, movers, placed)
        if rebalance:
            for p in left:
                p.any_slot = True
            left = fill(stream_days, left, placed, morning=False) if stream_days and left else left
            unplaced += unplaced_all(left, stream, stream_days)
        else:
            for p in left:
                p.keep = True
    if not rebalance:  # the places of those who moved are free for newcomers
        for p in people:
            if p.movable and not p.keep and p.id in placed:
                day, slot = where_is[p.movable[2]]
                day.give_back(slot)
    for stream, stream_days in by_stream:
        fresh = [p for p in people if p.pupil == stream and not p.movable]
        left = place(stream_days, fresh, placed)
        unplaced += unplaced_all(left, stream, stream_days)


def place(days: list[DayRoom], people: list[Candidate], placed: dict) -> list[Candidate]:
    """Priority people into mornings, then the others anywhere (afternoons first); returns who found no room."""
    if not days:
        return list(people)
    left = fill(days, [p for p in people if p.priority], placed, morning=True)
    return left + fill(days, [p for p in people if not p.priority], placed, morning=False)


def unplaced_all(left: list[Candidate], pupils: bool, days: list[DayRoom]) -> list[Unplaced]:
    """Those *left* without a place, each with the reason."""
    if not left:
        return []
    if not days:
        code = "no_school_day" if pupils else "no_regular_day"
        return [_unplaced(p, code) for p in left]
    if pupils:
        return [_unplaced(p, "school_full") for p in left]
    room = any(d.room for d in days)  # afternoons free but mornings full: say so to priority people
    return [_unplaced(p, "no_morning_room" if p.priority and room else "full") for p in left]


def _unplaced(p: Candidate, code: str) -> Unplaced:
    return Unplaced(p.id, p.name, p.hamlet, p.group, code, REASONS[code])
