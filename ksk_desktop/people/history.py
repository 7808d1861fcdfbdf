"""A person's history at the station: every appointment (campaign, day, site, time, status) and every exam.

Appointments are shown to anyone who may read the list of people; exams (their class and signer) only to
those who may read health data, and reading them is audited by the exams module.
"""

from __future__ import annotations

from sqlalchemy import select

from ksk_desktop.db.models import Appointment, Campaign, ExamDay, Person, Site, Slot
from ksk_desktop.errors import NotFound
from ksk_desktop.exams.records import list_exams
from ksk_desktop.scheduling import status as st
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

EXAM_STATUS_LABELS = {"draft": "Bản nháp", "signed": "Đã ký"}
FORM_LABELS = {"adult": "Người lớn", "child": "Trẻ em, học sinh", "elderly": "Người cao tuổi"}


def appointments_of(ctx: StationSession, person_id: str) -> list[dict]:
    """Newest first."""
    ctx.require(Perm.PERSON_READ)
    q = (
        select(Appointment, Campaign.name, ExamDay.exam_date, Site.name, Slot.start_time, Slot.end_time)
        .join(Campaign, Campaign.id == Appointment.campaign_id)
        .join(ExamDay, ExamDay.id == Appointment.day_id)
        .join(Site, Site.id == ExamDay.site_id)
        .join(Slot, Slot.id == Appointment.slot_id)
        .where(Appointment.person_id == person_id)
        .order_by(ExamDay.exam_date.desc(), Slot.start_time.desc())
    )
    with ctx.read() as s:
        return [
            {
                "id": a.id,
                "campaign": campaign,
                "date": day.isoformat(),
                "site": site,
                "start": start,
                "end": end,
                "status": a.status,
                "status_label": st.LABELS.get(a.status, a.status),
                "queue_no": a.queue_no,
                "walk_in": bool(a.walk_in),
            }
            for a, campaign, day, site, start, end in s.execute(q)
        ]


def person_history(ctx: StationSession, person_id: str) -> dict:
    """``{"person_id", "appointments": [...], "exams": [...] | None}`` — ``exams`` is None when this user may
    not read health data (the card then says so instead of showing an empty list)."""
    ctx.require(Perm.PERSON_READ)
    with ctx.read() as s:
        if s.get(Person, person_id) is None:
            raise NotFound(f"Không tìm thấy người có mã {person_id}.")
    exams = None
    if ctx.can(Perm.HEALTH_READ):
        exams = [
            dict(
                e,
                status_label=EXAM_STATUS_LABELS.get(e["status"], e["status"]),
                form_label=FORM_LABELS.get(e["form"], e["form"]),
            )
            for e in list_exams(ctx, person_id=person_id)
        ]
    return {"person_id": person_id, "appointments": appointments_of(ctx, person_id), "exams": exams}
