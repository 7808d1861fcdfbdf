"""End of an exam day: those who were expected and did not come are marked no-show, and can be given a make-up
day (a new appointment that points back to the missed one, which becomes ``rescheduled``)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from ksk_desktop.dates import hhmm, show_date
from ksk_desktop.db.bulk import insert_many
from ksk_desktop.db.models import Appointment, ExamDay, Site
from ksk_desktop.errors import InvalidInput, NotFound
from ksk_desktop.ids import new_id
from ksk_desktop.scheduling import days as exam_days
from ksk_desktop.scheduling import status as st
from ksk_desktop.scheduling import sync_payload
from ksk_desktop.scheduling.day_schedule import appointment_rows
from ksk_desktop.scheduling.errors import DateInPast
from ksk_desktop.scheduling.planner import day_rooms
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession


def _stamp(ctx: StationSession) -> tuple[datetime, str]:
    now = ctx.clock.utcnow()
    return now, now.strftime("%Y-%m-%d %H:%M:%S.%f")


def reconcile(
    ctx: StationSession, day: date, *, site_id: str | None = None, now: datetime | None = None
) -> dict:
    """Mark the day's scheduled and notified appointments no-show (a past day, or today after closing time) and
    list them with the open days that could take them. Running it again changes nothing."""
    ctx.require(Perm.CHECKIN)
    now = now or ctx.clock.local_now()
    today = now.date()
    if day > today:
        raise InvalidInput(
            f"Ngày {show_date(day)} chưa đến: chỉ đối soát ngày đã qua hoặc hôm nay sau giờ làm việc."
        )
    with ctx.write() as s:
        params: dict = {"d": day.isoformat()}
        site_clause = ""
        if site_id:
            site_clause = " AND site_id = :site"
            params["site"] = site_id
        day_ids = list(
            s.execute(text(f"SELECT id FROM exam_day WHERE exam_date = :d{site_clause}"), params).scalars()
        )
        if not day_ids:
            raise NotFound(f"Không có ngày khám nào vào ngày {show_date(day)}.")
        marks = ", ".join(f":i{n}" for n in range(len(day_ids)))
        ids = {f"i{n}": v for n, v in enumerate(day_ids)}
        if day == today:
            closing = s.scalar(text(f"SELECT max(end_time) FROM slot WHERE day_id IN ({marks})"), ids)
            if closing and hhmm(now) < closing:
                raise InvalidInput(
                    f"Hôm nay chưa hết giờ khám (đến {closing}): đối soát sau giờ đó, khi không còn "
                    "ai đến nữa."
                )
        missing = s.execute(
            text(
                f"SELECT id, version FROM appointment WHERE day_id IN ({marks}) "
                f"AND status IN ({st.sql_list(st.EXPECTED)})"
            ),
            ids,
        ).all()
        if missing:
            _now, stamp = _stamp(ctx)
            s.execute(
                text(
                    "UPDATE appointment SET status = 'no_show', version = :v, updated_at = :now WHERE id = :id"
                ),
                [{"id": r.id, "v": r.version + 1, "now": stamp} for r in missing],
            )
            sync_payload.queue(s, [r.id for r in missing])
        ctx.audit(
            s,
            "schedule.reconcile",
            "exam_day",
            day_ids[0] if len(day_ids) == 1 else None,
            {"date": day.isoformat(), "days": day_ids, "no_show": [r.id for r in missing]},
        )
        rows = appointment_rows(s, day, site_id)
    no_show = [r for r in rows if r["status"] == st.NO_SHOW]
    unfinished = [r for r in rows if r["status"] in (st.CHECKED_IN, st.IN_EXAM)]
    counts = {
        "booked": len(rows),
        "examined": sum(r["status"] == st.EXAMINED for r in rows),
        "no_show": len(no_show),
        "marked_now": len(missing),
        "not_finished": len(unfinished),
    }
    return {
        "date": day.isoformat(),
        "counts": counts,
        "no_show": no_show,
        "not_finished": unfinished,
        "make_up_days": make_up_days(ctx, after=day),
    }


def make_up_days(ctx: StationSession, after: date | None = None, limit: int = 10) -> list[exam_days.DayInfo]:
    """Open (unlocked) exam days from today, and after *after*, that still have free places."""
    today = ctx.clock.today()
    start = max(today, after + timedelta(days=1)) if after else today
    return [d for d in exam_days.list_days(ctx, date_from=start) if (d.free or 0) > 0 and not d.locked][
        :limit
    ]


def reschedule_no_shows(
    ctx: StationSession,
    make_up_day_id: str,
    *,
    no_show_date: date | None = None,
    appointment_ids: list[str] | None = None,
    today: date | None = None,
) -> dict:
    """Give no-shows (all of *no_show_date*, or the listed appointments) a place on the make-up day, by the
    planner's rules (priority people in the morning when there is room). Each new appointment points back to
    the missed one, which becomes ``rescheduled``. Those who do not fit are listed with the reason."""
    from ksk_desktop.scheduling import appointments as appts

    ctx.require(Perm.SCHEDULE_MANAGE)
    today = today or ctx.clock.today()
    if no_show_date is None and not appointment_ids:
        raise InvalidInput("Chọn ngày có người vắng mặt hoặc các lịch hẹn cần hẹn lại.")
    with ctx.write() as s:
        day = s.get(ExamDay, make_up_day_id)
        if day is None:
            raise NotFound(f"Không tìm thấy ngày khám {make_up_day_id}.")
        if day.exam_date < today:
            raise DateInPast(
                f"Ngày khám bù {show_date(day.exam_date)} đã qua: chọn một ngày từ hôm nay trở đi."
            )
        site = s.get_one(Site, day.site_id)
        if appointment_ids:
            wanted = [appts.load(s, a) for a in appointment_ids]
        else:
            wanted = list(
                s.scalars(
                    select(Appointment)
                    .join(ExamDay, ExamDay.id == Appointment.day_id)
                    .where(ExamDay.exam_date == no_show_date, Appointment.status == st.NO_SHOW)
                )
            )
        active = set()
        if wanted:
            pairs = {(a.person_id, a.campaign_id) for a in wanted}
            for pid, cid in s.execute(
                text(
                    f"SELECT person_id, campaign_id FROM appointment WHERE status IN ({st.sql_list(st.ACTIVE)}) "
                    "AND person_id IN (SELECT value FROM json_each(:p))"
                ),
                {"p": json.dumps(sorted({p for p, _c in pairs}))},
            ):
                active.add((pid, cid))
        room = day_rooms(s, [day.id])[0]
        names: dict[str, str] = dict(
            s.execute(
                text("SELECT id, full_name FROM person WHERE id IN (SELECT value FROM json_each(:p))"),
                {"p": json.dumps(sorted({a.person_id for a in wanted}))},
            ).all()
        )
        now, stamp = _stamp(ctx)
        moved: list[dict] = []
        skipped: list[dict] = []
        rows: list[dict[str, Any]] = []
        old_updates: list[dict[str, Any]] = []
        for a in sorted(wanted, key=lambda a: (not a.priority, names.get(a.person_id, ""), a.id)):
            who = {"appointment_id": a.id, "person_id": a.person_id, "name": names.get(a.person_id)}
            if a.status != st.NO_SHOW:
                skipped.append(
                    {
                        **who,
                        "reason": f"Lịch hẹn đang ở trạng thái “{st.LABELS[a.status]}”, không phải vắng mặt.",
                    }
                )
                continue
            if (a.person_id, a.campaign_id) in active:
                skipped.append({**who, "reason": "Người này đã có lịch hẹn khác trong đợt khám."})
                continue
            if a.priority and room.morning_room:
                slot = room.take_morning()
            elif room.room:
                slot = room.take_any()
            else:
                skipped.append(
                    {**who, "reason": f"Ngày {show_date(day.exam_date)} tại {site.name} đã kín chỗ."}
                )
                continue
            made = new_id()
            rows.append(
                {
                    "id": made,
                    "person_id": a.person_id,
                    "campaign_id": a.campaign_id,
                    "day_id": day.id,
                    "slot_id": slot.id,
                    "status": st.SCHEDULED,
                    "queue_no": None,
                    "priority": a.priority,
                    "locked": False,
                    "walk_in": False,
                    "rescheduled_from": a.id,
                    "note": None,
                    "checked_in_at": None,
                    "created_by": ctx.user.username,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
            old_updates.append({"id": a.id, "v": a.version + 1, "now": stamp})
            active.add((a.person_id, a.campaign_id))
            moved.append(
                {**who, "new_appointment_id": made, "date": day.exam_date.isoformat(), "start": slot.start}
            )
        s.flush()  # the ORM reads above must not be written back over the raw updates below
        if old_updates:
            s.execute(
                text(
                    "UPDATE appointment SET status = 'rescheduled', version = :v, updated_at = :now "
                    "WHERE id = :id"
                ),
                old_updates,
            )
            insert_many(s, Appointment.__table__, rows)
            sync_payload.queue(s, [r["id"] for r in rows] + [u["id"] for u in old_updates])
        s.expire_all()
        ctx.audit(
            s,
            "schedule.makeup",
            "exam_day",
            day.id,
            {
                "pairs": [[m["appointment_id"], m["new_appointment_id"]] for m in moved],
                "skipped": [x["appointment_id"] for x in skipped],
            },
        )
        summary = exam_days.with_counts(s, [s.get_one(ExamDay, day.id)])[0]
    return {"make_up_day": summary, "rescheduled": moved, "not_rescheduled": skipped}
