"""``ksk demo`` creates exams: signed by the demo doctor for the people examined, drafts for those in the room."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from ksk_desktop.db.models import Appointment, Consent, ExamVersion, OutboxItem
from ksk_desktop.demo.seed import DEMO_SECRET, create_demo
from ksk_desktop.exams import records, signing
from ksk_desktop.station.lifecycle import login


def test_demo_creates_signed_exams_and_drafts(paths) -> None:
    create_demo(paths, 600, seed=7)
    ctx = login(paths, "bacsi", DEMO_SECRET)
    try:
        rows = records.list_exams(ctx)
        by_status = Counter(r["status"] for r in rows)
        with ctx.read() as s:
            examined = s.scalar(
                select(func.count()).select_from(Appointment).where(Appointment.status == "examined")
            )
            in_exam = s.scalar(
                select(func.count()).select_from(Appointment).where(Appointment.status == "in_exam")
            )
            with_appt = s.scalar(
                select(func.count()).select_from(ExamVersion).where(ExamVersion.appointment_id.isnot(None))
            )
            queued = s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "exam"))
        assert by_status["signed"] == examined > 20 and by_status["draft"] == in_exam == 2
        assert with_appt == len(rows) and queued == examined
        signed = [r for r in rows if r["status"] == "signed"]
        assert {r["signed_by"] for r in signed} == {"bacsi"}
        assert all(1 <= r["health_class"] <= 5 for r in signed)
        assert "elderly" in {r["form"] for r in signed}
        for r in signed[:5]:
            assert signing.verify(ctx, r["id"])["valid"]
            doc = records.get_exam(ctx, r["id"])
            assert doc["values"]["height_cm"] > 40 and doc["assessment"]["bmi"]["value"] > 8
        draft = records.load(ctx, next(r["id"] for r in rows if r["status"] == "draft"))
        assert "height_cm" in draft.document["values"] and not draft.can_sign
        # Everyone examined consented to the exam first; most also to sharing with the health record.
        with ctx.read() as s:
            kinds = Counter(s.scalars(select(Consent.kind)).all())
        assert kinds["exam"] == len(rows) and 0.7 * len(rows) <= kinds["ehr_share"] < len(rows)
    finally:
        ctx.close()


def test_synthetic_exams_sign_for_every_age(station, admin_session) -> None:
    """Children (the doctor classes them), teenagers on the child form past 15 (QĐ 1613 applies), adults and the
    elderly: every synthetic exam is complete, signed and verifies."""
    from datetime import date

    from exam_support import DOCTOR, STAFF_PASSWORD, add_person, add_staff, staff

    from ksk_desktop.exams.demo import sign_synthetic_exams

    paths, _ = station
    add_staff(admin_session)
    births = [date(2021, 3, 1), date(2010, 6, 1), date(1990, 1, 1), date(1950, 5, 5)]
    ids = [
        add_person(admin_session, name=f"Người Thử {i}", birth=b, sex="MF"[i % 2])
        for i, b in enumerate(births)
    ]
    doctor = staff(paths, DOCTOR)
    try:
        assert sign_synthetic_exams(doctor, STAFF_PASSWORD, ids, date(2026, 11, 20)) == 4
        rows = records.list_exams(doctor)
        assert sorted(r["form"] for r in rows) == ["adult", "child", "child", "elderly"]
        assert {r["status"] for r in rows} == {"signed"} and all(r["health_class"] for r in rows)
        for r in rows:
            signing.verify(doctor, r["id"])
    finally:
        doctor.close()
