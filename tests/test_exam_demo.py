"""``ksk demo`` creates exams: signed by the demo doctor for the people examined, drafts for those in the room."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from ksk_desktop.db.models import Appointment, ExamVersion, OutboxItem
from ksk_desktop.demo.seed import DEMO_SECRET, create_demo
from ksk_desktop.exams import records, signing
from ksk_desktop.station import login


def test_demo_creates_signed_exams_and_drafts(paths) -> None:
    create_demo(paths, 600, seed=7)
    ctx = login(paths, "bacsi", DEMO_SECRET)
    try:
        rows = records.list_exams(ctx)
        by_status = Counter(r["status"] for r in rows)
        with ctx.read() as s:
            examined = s.scalar(select(func.count()).select_from(Appointment).where(Appointment.status == "examined"))
            in_exam = s.scalar(select(func.count()).select_from(Appointment).where(Appointment.status == "in_exam"))
            with_appt = s.scalar(select(func.count()).select_from(ExamVersion)
                                 .where(ExamVersion.appointment_id.isnot(None)))
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
        assert "height_cm" in draft["document"]["values"] and not draft["can_sign"]
    finally:
        ctx.close()
