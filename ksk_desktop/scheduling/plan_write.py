"""A committed plan, written in the caller's transaction: new appointments (a no-show's replacement points back
to it), moved ones, re-planned ones that no longer fit cancelled, the no-shows marked rescheduled; each with its
outbox item as now stored, and one audit event for the whole plan. Driver-level ``executemany`` writes: 40,000
appointments in a few seconds."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from ksk_desktop.db.bulk import insert_many
from ksk_desktop.db.models import Appointment
from ksk_desktop.scheduling import status as st
from ksk_desktop.scheduling import sync_payload
from ksk_desktop.scheduling.placement import Candidate
from ksk_desktop.scheduling.plan_result import PlanResult
from ksk_desktop.station.session import StationSession


def write_plan(ctx: StationSession, s: Session, result: PlanResult, work: dict) -> None:
    people: dict[str, Candidate] = work["people"]
    now = ctx.clock.utcnow()
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    user = ctx.user.username
    new_rows, moved, queued, ready = [], [], [], []
    year = work["campaign"].year
    updated = sync_payload.utc_text(stamp)
    rescheduled = []
    for p in result.placed:
        person = people[p.person_id]
        if p.action == "new":
            link = person.no_show[0] if person.no_show else None
            new_rows.append(
                {
                    "id": p.appointment_id,
                    "person_id": p.person_id,
                    "campaign_id": result.campaign_id,
                    "day_id": p.day_id,
                    "slot_id": p.slot_id,
                    "status": st.SCHEDULED,
                    "queue_no": None,
                    "priority": int(p.priority),
                    "locked": False,
                    "walk_in": False,
                    "rescheduled_from": link,
                    "note": None,
                    "checked_in_at": None,
                    "created_by": user,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
            ready.append(
                {
                    "id": p.appointment_id,
                    "person_id": p.person_id,
                    "campaign_id": result.campaign_id,
                    "campaign_year": year,
                    "date": p.date,
                    "site_id": p.site_id,
                    "start": p.start,
                    "end": p.end,
                    "status": st.SCHEDULED,
                    "queue_no": None,
                    "priority": p.priority,
                    "walk_in": False,
                    "rescheduled_from": link,
                    "checked_in_at": None,
                    "updated_at": updated,
                    "version": 1,
                }
            )
            if person.no_show:
                rescheduled.append(person.no_show)
        elif p.action == "moved":
            version = person.held[1] + 1
            moved.append(
                {
                    "id": p.appointment_id,
                    "day": p.day_id,
                    "slot": p.slot_id,
                    "p": int(p.priority),
                    "v": version,
                    "now": stamp,
                }
            )
            queued.append(p.appointment_id)
    cancelled = []
    for u in result.unplaced:
        if u.cancelled_appointment_id:
            version = people[u.person_id].held[1] + 1
            cancelled.append(
                {
                    "id": u.cancelled_appointment_id,
                    "v": version,
                    "now": stamp,
                    "note": "Hủy khi xếp lại lịch: " + u.reason,
                }
            )
            queued.append(u.cancelled_appointment_id)
    if rescheduled:
        s.execute(
            text(
                "UPDATE appointment SET status = 'rescheduled', version = :v, updated_at = :now WHERE id = :id"
            ),
            [{"id": a, "v": v + 1, "now": stamp} for a, v in rescheduled],
        )
        queued += [a for a, _v in rescheduled]
    if cancelled:
        s.execute(
            text(
                "UPDATE appointment SET status = 'cancelled', note = :note, version = :v, updated_at = :now "
                "WHERE id = :id"
            ),
            cancelled,
        )
    if moved:
        s.execute(
            text(
                "UPDATE appointment SET day_id = :day, slot_id = :slot, priority = :p, version = :v, "
                "updated_at = :now WHERE id = :id"
            ),
            moved,
        )
    insert_many(s, Appointment.__table__, new_rows)
    sync_payload.queue(s, queued, ready)  # each with the appointment as now stored
    ctx.audit(
        s,
        "schedule.plan",
        "campaign",
        result.campaign_id,
        {
            "from": result.date_from.isoformat(),
            "to": result.date_to.isoformat(),
            "site": result.site_id,
            "population": result.population,
            "counts": result.counts,
            "new": [r["id"] for r in new_rows],
            "moved": [m["id"] for m in moved],
            "cancelled": [c["id"] for c in cancelled],
            "rescheduled": [a for a, _v in rescheduled],
        },
    )
