"""Demo scheduling data, so a demo station shows a real exam day: this year's campaign, the station and a school
site, a past day (most examined, the rest no-show), today (some checked in, some in the exam room, some done)
and the next working days (the first one already notified), all planned by the real planner."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from ksk_desktop.clock import vietnam_to_utc
from ksk_desktop.db.models import Appointment, ExamDay, Person, Slot
from ksk_desktop.scheduling import appointments as appts
from ksk_desktop.scheduling import board, campaigns, checkin, planner, reconcile, sites
from ksk_desktop.scheduling import status as st
from ksk_desktop.scheduling.days import DEFAULT_HOURS, DEFAULT_SLOT_MINUTES, add_day, insert_day
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.lifecycle import station_info
from ksk_desktop.station.session import StationSession

WORKING_DAYS_AHEAD = 4
SHARE_EXAMINED_PAST = 0.85


def _working_days(start: date, n: int, step: int) -> list[date]:
    out: list[date] = []
    d = start
    while len(out) < n:
        d += timedelta(days=step)
        if d.weekday() < 5:
            out.append(d)
    return out


def _expected_on(ctx: StationSession, day_id: str) -> list[Appointment]:
    with ctx.read() as s:
        return list(
            s.scalars(
                select(Appointment)
                .join(Slot, Slot.id == Appointment.slot_id)
                .where(Appointment.day_id == day_id, Appointment.status.in_(st.EXPECTED))
                .order_by(Slot.seq, Appointment.priority.desc(), Appointment.id)
            )
        )


def seed_demo_schedule(ctx: StationSession, today: date | None = None) -> dict:
    """Create the demo campaign, sites, days and appointments (for ``ksk demo``). Returns what was made."""
    ctx.require(Perm.DEMO_SEED)
    today = today or ctx.clock.today()
    campaign = campaigns.create_campaign(
        ctx, name=f"Khám sức khỏe định kỳ năm {today.year}", year=today.year, groups="a,b,c,d,đ"
    )
    station = sites.add_site(ctx, name=station_info(ctx).name, kind="station", capacity_per_hour=40)
    school = sites.add_site(
        ctx,
        name="Điểm khám Trường Tiểu học và THCS (dữ liệu mẫu)",
        kind="school",
        capacity_per_hour=60,
        address="Trường Tiểu học và THCS của xã",
    )
    (past,) = _working_days(today, 1, -1)
    ahead = _working_days(today, WORKING_DAYS_AHEAD, 1)
    with ctx.write() as s:  # a day already behind us: only the demo may add one
        past_day = insert_day(
            ctx,
            s,
            site_id=station.id,
            day=past,
            hours=DEFAULT_HOURS,
            slot_minutes=DEFAULT_SLOT_MINUTES,
            capacity_per_slot=None,
            team_note="BS. Nguyễn Văn Minh, ĐD. Trần Thị Lan",
        )
    day_ids = {}
    for d in [today, *ahead]:
        day_ids[d] = add_day(
            ctx, site_id=station.id, day=d, team_note="BS. Nguyễn Văn Minh, ĐD. Trần Thị Lan", today=today
        ).id
    add_day(ctx, site_id=school.id, day=ahead[1], team_note="Đoàn khám lưu động", today=today)

    # The past day, planned as it was then; most came, the rest are marked absent at reconciliation (after
    # today's plan, which would otherwise give them a new appointment straight away).
    planner.plan(ctx, campaign.id, past, past, today=past)
    came = _expected_on(ctx, past_day.id)
    # Today's synthetic population has babies born since that day: they were planned with everyone, but cannot
    # have been examined before they were born (signing their exam would fail on "Ngày khám trước ngày sinh").
    with ctx.read() as s:
        unborn = set(s.scalars(select(Person.id).where(Person.birth_date > past)))
    came = [a for a in came if a.person_id not in unborn]
    came = came[: int(len(came) * SHARE_EXAMINED_PAST)]
    with ctx.write() as s:
        for n, a in enumerate(came, start=1):
            appt = s.get_one(Appointment, a.id)
            start = s.get_one(Slot, appt.slot_id).start_time
            appts.change(
                ctx,
                s,
                appt,
                "appointment.demo_examined",
                {"demo": True},
                status=st.EXAMINED,
                queue_no=n,
                checked_in_at=vietnam_to_utc(past, start),
            )

    # Today and the next working days.
    result = planner.plan(ctx, campaign.id, today, ahead[-1], today=today)
    reconciled = reconcile.reconcile(ctx, past, now=datetime.combine(today, datetime.min.time()))
    notified = appts.mark_notified(ctx, [a.id for a in _expected_on(ctx, day_ids[ahead[0]])])
    todays = _expected_on(ctx, day_ids[today])[:15]
    for a in todays:
        checkin.checkin_by_appointment(ctx, a.id, today=today)
    with ctx.write() as s:
        for a in todays[:5]:  # the exam module records these; the demo user is not a doctor
            appts.change(
                ctx,
                s,
                s.get_one(Appointment, a.id),
                "appointment.demo_examined",
                {"demo": True},
                status=st.EXAMINED,
            )
    for room, a in zip(("Phòng khám 1", "Phòng khám 2"), todays[5:7], strict=False):
        board.start_exam(ctx, a.id, room=room)  # the waiting room's screen shows them with their rooms
    with ctx.read() as s:
        n_days = len(list(s.scalars(select(ExamDay.id))))
    return {
        "campaign_id": campaign.id,
        "sites": [station.id, school.id],
        "days": n_days,
        "planned": result.counts["placed"] + len(came) + reconciled["counts"]["no_show"],
        "past_day": past.isoformat(),
        "examined_past": len(came),
        "no_show_past": reconciled["counts"]["no_show"],
        "notified": notified,
        "checked_in_today": len(todays),
    }
