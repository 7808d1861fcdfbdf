"""One appointment's life outside the planner: look it up, move it, mark it notified, lock it, cancel it.

Every change bumps the appointment's version, queues it in the outbox (kind ``appointment``; the sync worker
sends the appointment as stored) and appends an audit event, in one transaction.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksk_desktop.dates import show_date
from ksk_desktop.db.models import Appointment, ExamDay, Person, Site, Slot
from ksk_desktop.errors import InvalidInput, NotFound
from ksk_desktop.scheduling import status as st
from ksk_desktop.scheduling import sync_payload
from ksk_desktop.scheduling.days import set_locked
from ksk_desktop.scheduling.errors import DateInPast, DayOverCapacity, InvalidStatus
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

_UUID = re.compile(
    r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\Z"
)  # \Z: $ takes a final \n


def normalise_id(value: str) -> str:
    """An appointment id as typed or scanned from a barcode: case and dashes do not matter."""
    v = (value or "").strip().lower()
    if not _UUID.match(v):
        raise InvalidInput("Mã lịch hẹn không hợp lệ (mã vạch trên phiếu hẹn gồm 32 chữ số hệ 16).")
    v = v.replace("-", "")
    return f"{v[:8]}-{v[8:12]}-{v[12:16]}-{v[16:20]}-{v[20:]}"


def looks_like_id(value: str) -> bool:
    return bool(_UUID.match((value or "").strip().lower()))


def load(s: Session, appointment_id: str) -> Appointment:
    appt = s.get(Appointment, normalise_id(appointment_id))
    if appt is None:
        raise NotFound(f"Không tìm thấy lịch hẹn {appointment_id}.")
    return appt


def change(
    ctx: StationSession,
    s: Session,
    appt: Appointment,
    action: str,
    details: dict | None = None,
    **values: object,
) -> None:
    """Apply *values*, bump the version, queue the appointment and audit *action*, in the caller's transaction."""
    old_status = appt.status
    for key, value in values.items():
        setattr(appt, key, value)
    appt.version += 1
    appt.updated_at = ctx.clock.utcnow()
    sync_payload.queue(s, [appt.id])
    info = {"person": appt.person_id, "day": appt.day_id, "slot": appt.slot_id, "version": appt.version}
    if appt.status != old_status:
        info["status"] = [old_status, appt.status]
    ctx.audit(s, action, "appointment", appt.id, {**info, **(details or {})})


def check_step(appt: Appointment, new_status: str, what: str) -> None:
    if new_status not in st.TRANSITIONS[appt.status]:
        raise InvalidStatus(f"Lịch hẹn đang ở trạng thái “{st.LABELS[appt.status]}”, không thể {what}.")


def to_json(s: Session, appt: Appointment) -> dict:
    day = s.get_one(ExamDay, appt.day_id)
    slot = s.get_one(Slot, appt.slot_id)
    site = s.get_one(Site, day.site_id)
    person = s.get(Person, appt.person_id)
    return {
        "id": appt.id,
        "person_id": appt.person_id,
        "name": person.full_name if person else None,
        "campaign_id": appt.campaign_id,
        "day_id": appt.day_id,
        "date": day.exam_date.isoformat(),
        "site_id": site.id,
        "site_name": site.name,
        "slot_id": appt.slot_id,
        "start": slot.start_time,
        "end": slot.end_time,
        "status": appt.status,
        "status_label": st.LABELS[appt.status],
        "queue_no": appt.queue_no,
        "priority": bool(appt.priority),
        "locked": appt.locked,
        "walk_in": appt.walk_in,
        "rescheduled_from": appt.rescheduled_from,
        "version": appt.version,
    }


def get_appointment(ctx: StationSession, appointment_id: str) -> dict:
    ctx.require(Perm.PERSON_READ)
    with ctx.read() as s:
        return to_json(s, load(s, appointment_id))


def person_appointments(ctx: StationSession, person_id: str) -> list[dict]:
    """A person's appointments, newest day first."""
    ctx.require(Perm.PERSON_READ)
    with ctx.read() as s:
        rows = s.scalars(
            select(Appointment)
            .join(ExamDay, ExamDay.id == Appointment.day_id)
            .where(Appointment.person_id == person_id)
            .order_by(ExamDay.exam_date.desc(), Appointment.created_at.desc())
        )
        return [to_json(s, a) for a in rows]


def slot_room(s: Session, slot: Slot) -> int:
    used = (
        s.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.slot_id == slot.id, Appointment.status.in_(st.OCCUPYING))
        )
        or 0
    )
    return slot.capacity - used


def move_appointment(
    ctx: StationSession, appointment_id: str, slot_id: str, *, today: date | None = None
) -> dict:
    """Move a scheduled or notified appointment to another slot with room (a notified person must be told
    again, so it becomes scheduled). A move by hand also locks the appointment, so re-planning never undoes
    it; locked appointments can be moved by hand."""
    ctx.require(Perm.SCHEDULE_MANAGE)
    today = today or ctx.clock.today()
    with ctx.write() as s:
        appt = load(s, appointment_id)
        if appt.status not in st.EXPECTED:
            raise InvalidStatus(
                f"Lịch hẹn đang ở trạng thái “{st.LABELS[appt.status]}”, không chuyển ca được."
            )
        slot = s.get(Slot, slot_id)
        if slot is None:
            raise NotFound(f"Không tìm thấy ca khám {slot_id}.")
        if slot.id == appt.slot_id:
            return to_json(s, appt)
        day = s.get_one(ExamDay, slot.day_id)
        if day.exam_date < today:
            raise DateInPast(f"Ngày {show_date(day.exam_date)} đã qua: không chuyển lịch hẹn về ngày đã qua.")
        if slot_room(s, slot) <= 0:
            raise DayOverCapacity(
                f"Ca {slot.start_time} ngày {show_date(day.exam_date)} đã đủ {slot.capacity} người: "
                "chọn ca khác hoặc tăng công suất của ngày."
            )
        old = {"day": appt.day_id, "slot": appt.slot_id}
        change(
            ctx,
            s,
            appt,
            "appointment.move",
            {"from": old},
            day_id=day.id,
            slot_id=slot.id,
            status=st.SCHEDULED,
            locked=True,
        )
        return to_json(s, appt)


def mark_notified(ctx: StationSession, appointment_ids: list[str]) -> int:
    """Mark appointments as notified (the person was told the day and time). Returns how many changed."""
    ctx.require(Perm.SCHEDULE_MANAGE)
    n = 0
    with ctx.write() as s:
        for aid in appointment_ids:
            appt = load(s, aid)
            if appt.status == st.NOTIFIED:
                continue
            check_step(appt, st.NOTIFIED, "đánh dấu đã báo lịch")
            change(ctx, s, appt, "appointment.notify", status=st.NOTIFIED)
            n += 1
    return n


def cancel_appointment(ctx: StationSession, appointment_id: str, reason: str = "") -> dict:
    ctx.require(Perm.SCHEDULE_MANAGE)
    with ctx.write() as s:
        appt = load(s, appointment_id)
        check_step(appt, st.CANCELLED, "hủy")
        change(
            ctx, s, appt, "appointment.cancel", {"reason": reason}, status=st.CANCELLED, note=reason or None
        )
        return to_json(s, appt)


def lock_campaign(ctx: StationSession, campaign_id: str, locked: bool = True) -> int:
    """Lock (or unlock) every expected appointment of the campaign: re-planning does not move them."""
    ctx.require(Perm.SCHEDULE_MANAGE)
    with ctx.write() as s:
        if not s.execute(select(1).where(Appointment.campaign_id == campaign_id).limit(1)).first():
            from ksk_desktop.db.models import Campaign

            if s.get(Campaign, campaign_id) is None:
                raise NotFound(f"Không tìm thấy đợt khám {campaign_id}.")
        n = set_locked(s, "campaign_id = :k", {"k": campaign_id}, locked, ctx.clock.utcnow())
        ctx.audit(
            s, "campaign.lock" if locked else "campaign.unlock", "campaign", campaign_id, {"appointments": n}
        )
        return n


def lock_appointment(ctx: StationSession, appointment_id: str, locked: bool = True) -> dict:
    ctx.require(Perm.SCHEDULE_MANAGE)
    with ctx.write() as s:
        appt = load(s, appointment_id)
        if appt.locked != locked:
            change(ctx, s, appt, "appointment.lock" if locked else "appointment.unlock", locked=locked)
        return to_json(s, appt)
