"""Helpers for the report tests: a station on a frozen clock with a head, a doctor and people of every kind, signed
exams on chosen days (optionally naming a payer), and an independent recount of the monthly figures straight
from the records — written apart from ``ksk_desktop.reports`` so a mistake there cannot hide in both."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time

from sqlalchemy import text

from ksk_desktop.clock import FixedClock
from ksk_desktop.exams import demo
from ksk_desktop.people import persons
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login

HEAD, DOCTOR = "truongtram", "bacsi"
PASSWORD = "Bao-cao-2026"
PRIORITY_KEYS = ("elderly", "disabled", "poor_near_poor", "merit", "chronic", "remote_island")
SOURCES = ("central_budget", "local_budget", "insurance", "employer", "socialised", "other")


def wall(y: int, mo: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    """A naive wall-clock moment in Vietnam, for ``FixedClock.vietnam`` / ``set_vietnam``."""
    return datetime.combine(date(y, mo, d), time(h, mi))


def add_staff(admin_ctx) -> None:
    users.add_user(admin_ctx, HEAD, "head", PASSWORD, "Trần Văn Trưởng")
    users.add_user(admin_ctx, DOCTOR, "doctor", PASSWORD, "BS. Nguyễn Văn Minh", "000456/HP-CCHN")


def person(ctx, name: str, born: date, group: str | None, flags=(), commune: str | None = None) -> str:
    return persons.create_person(
        ctx,
        persons.PersonInput(
            full_name=name,
            birth_date=born,
            sex="M",
            target_group=group,
            flags=list(flags),
            commune_code=commune,
        ),
    ).id


def sign_on(paths, clock: FixedClock, day: date, person_ids: list[str], monkeypatch=None, payer=None) -> None:
    """Signed exams of *person_ids* dated *day*, made with the clock on that day; *payer* is written as the
    exam's "Nguồn chi trả" (adult form) when given."""
    clock.set_vietnam(wall(day.year, day.month, day.day, 10))
    if payer is not None:
        original = demo._exam_values

        def with_payer(rng, form, age, sex):  # noqa: ANN001, ANN202
            values = original(rng, form, age, sex)
            return {**values, "admin.payer": payer} if form == "adult" else values

        monkeypatch.setattr(demo, "_exam_values", with_payer)
    doctor = login(paths, DOCTOR, PASSWORD, clock=clock)
    try:
        demo.sign_synthetic_exams(doctor, PASSWORD, person_ids, day)
    finally:
        doctor.close()
        if payer is not None:
            monkeypatch.setattr(demo, "_exam_values", original)


# -- the independent recount --------------------------------------------------------------------------------
ISLAND_CODES = {"11914", "11948"}  # the two đặc khu of Hải Phòng (catalogue rows), for this recount only


def _age(on: date, birth_date, birth_year) -> int | None:  # noqa: ANN001
    if birth_date:
        b = date.fromisoformat(str(birth_date)[:10])
        years = on.year - b.year
        if (on.month, on.day) < (b.month, b.day):
            years -= 1
        return years
    return on.year - birth_year if birth_year else None


def _plan_group(stored, flags: set[str], age, commune) -> tuple[str, set[str]]:  # noqa: ANN001
    subs = set()
    if "elderly" in flags or (age is not None and age >= 60):
        subs.add("elderly")
    for flag, sub in (
        ("disabled", "disabled"),
        ("poor", "poor_near_poor"),
        ("near_poor", "poor_near_poor"),
        ("merit", "merit"),
        ("chronic", "chronic"),
        ("remote_area", "remote_island"),
    ):
        if flag in flags:
            subs.add(sub)
    if commune in ISLAND_CODES:
        subs.add("remote_island")
    if stored == "b" or stored == "c" or stored == "d":
        return stored, subs
    if subs:
        return "a", subs
    return "đ", subs


def _source(payer, group: str) -> str:  # noqa: ANN001
    if payer is None or str(payer).strip() == "":
        return {
            "a": "local_budget",
            "b": "local_budget",
            "c": "employer",
            "d": "central_budget",
            "đ": "local_budget",
        }[group]
    low = str(payer).lower()
    if "bhyt" in low or "bảo hiểm" in low:
        return "insurance"
    if "trung ương" in low:
        return "central_budget"
    if "địa phương" in low:
        return "local_budget"
    return "other"


def recount(ctx, station_commune: str, first: date, last: date) -> dict:
    """Groups, total and priority figures of the month *first*..*last*, from the person, flag and exam tables."""
    with ctx.read() as s:
        people = s.execute(
            text("SELECT id, target_group, birth_date, birth_year, commune_code, created_at FROM person")
        ).all()
        flags = defaultdict(set)
        for pid, flag in s.execute(text("SELECT person_id, flag FROM person_flag")):
            flags[pid].add(flag)
        exams = s.execute(
            text(
                "SELECT person_id, exam_date, version, document FROM exam_version WHERE status = 'signed' "
                "ORDER BY exam_date, version"
            )
        ).all()
    import json

    last_in = {}
    last_ytd = {}
    for pid, day, _v, doc in exams:
        day = date.fromisoformat(str(day))
        payer = json.loads(doc)["values"].get("admin.payer")
        if date(last.year, 1, 1) <= day <= last:
            last_ytd[pid] = payer
            if day >= first:
                last_in[pid] = payer
    empty = {"managed": 0, "examined_month": 0, "examined_ytd": 0, "next_year_need": 0}
    groups = {g: {**empty, "fm": dict.fromkeys(SOURCES, 0), "fy": dict.fromkeys(SOURCES, 0)} for g in "abcdđ"}
    prio = {k: {"managed": 0, "examined_month": 0, "examined_ytd": 0} for k in PRIORITY_KEYS}
    for pid, stored, bd, by, commune, created in people:
        created = datetime.fromisoformat(str(created))
        # created_at is naive UTC; the month ends at midnight in Vietnam (UTC+7)
        if created >= datetime.combine(last, time(17, 0)):
            continue
        if commune != station_commune:
            continue
        g, subs = _plan_group(stored, flags[pid], _age(last, bd, by), commune)
        ng, _ = _plan_group(stored, flags[pid], _age(date(last.year + 1, 12, 31), bd, by), commune)
        groups[ng]["next_year_need"] += 1
        row = groups[g]
        row["managed"] += 1
        if pid in last_ytd:
            row["examined_ytd"] += 1
            row["fy"][_source(last_ytd[pid], g)] += 1
        if pid in last_in:
            row["examined_month"] += 1
            row["fm"][_source(last_in[pid], g)] += 1
        if g == "a":
            for k in subs:
                prio[k]["managed"] += 1
                prio[k]["examined_ytd"] += pid in last_ytd
                prio[k]["examined_month"] += pid in last_in
    return {"groups": groups, "priority": prio}
