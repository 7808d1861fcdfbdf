"""Helpers shared by the multi-device tests (docs/multi-device.md): a main desk, a team laptop of the same
station and another station's laptop, enrolled at a real hub; a day with appointments, check-ins and a signed
exam; what both devices must agree on."""

from __future__ import annotations

from datetime import date

from exam_support import DOCTOR, EXAM_DATE, STAFF_PASSWORD, add_person, add_staff, fill_adult, staff
from sqlalchemy import select
from testkit.hubdb import empty_hub_db
from testkit.hubproc import HubProcess
from testkit.stations import PASSWORD, add_people, enroll, new_station

from ksk_desktop.db.models import (
    Appointment,
    Consent,
    ExamVersion,
    FollowUp,
    Referral,
)
from ksk_desktop.exams import amendments, plan, records, signing
from ksk_desktop.people import consent
from ksk_desktop.scheduling import campaigns, checkin, days, desk_owner, planner, sites
from ksk_desktop.station.lifecycle import login
from sync.client.worker import SyncWorker, WorkerConfig

FAST = WorkerConfig(batch_size=50, backoff_base_s=0.01, max_failures=3, timeout_s=(2.0, 5.0))
ISLAND = ("TYT-CATHAI", "10507")
OTHER = ("TYT-KHAC", "11680")


def three_devices(tmp_path, hub):  # noqa: ANN201 - a fixture's body (yield)
    """(main desk, team laptop, another station's laptop), each enrolled; returns sessions and device ids."""
    main = login(new_station(tmp_path / "main", code=ISLAND[0], commune=ISLAND[1]), "admin", PASSWORD)
    team = login(new_station(tmp_path / "team", code=ISLAND[0], commune=ISLAND[1]), "admin", PASSWORD)
    other = login(new_station(tmp_path / "other", code=OTHER[0], commune=OTHER[1]), "admin", PASSWORD)
    ids = [enroll(ctx, hub.db_url, hub.url) for ctx in (main, team, other)]
    yield (main, team, other), ids
    for ctx in (main, team, other):
        if not ctx.closed:
            ctx.close()


TODAY = date(2026, 11, 26)


def schedule_and_examine(main) -> dict:
    """On the main desk: people, consents, a day with appointments, two check-ins, a signed exam with a referral
    and follow-ups, and its amendment."""
    add_staff(main)
    an_id = add_person(main)
    add_people(main, 6, commune=ISLAND[1])
    given = consent.record(main, an_id, "ehr_share")
    camp = campaigns.create_campaign(main, name="Khám sức khỏe 2026", year=2026, groups="a,b,c,d,đ")
    site = sites.add_site(main, name="Điểm khám đảo", kind="island", capacity_per_hour=40)
    day = days.add_day(main, site_id=site.id, day=TODAY, today=TODAY)
    planner.plan(main, camp.id, TODAY, TODAY, today=TODAY)
    with main.read() as s:
        appt_ids = list(s.scalars(select(Appointment.id).order_by(Appointment.person_id)))
    for a in appt_ids[:2]:
        checkin.checkin_by_appointment(main, a, today=TODAY)
    doctor = staff(main.paths, DOCTOR)
    exam_id = records.open_draft(doctor, an_id, exam_date=EXAM_DATE).document["id"]
    fill_adult(
        doctor,
        exam_id,
        vitals={"height_cm": 160, "weight_kg": 72, "pulse": 80, "systolic": 165, "diastolic": 100},
    )
    records.save_section(doctor, exam_id, "paraclinical", {"glucose_fasting_mmol_l": 8.2}, expected_version=0)
    records.save_section(
        doctor,
        exam_id,
        "internal",
        {"internal.circulation_class": 4, "internal.endocrine_class": 4},
        expected_version=1,
    )
    suggested = plan.suggest_for(doctor, exam_id)
    plan.set_plan(doctor, exam_id, suggested["referrals"][:1], suggested["followups"][:2], expected_version=0)
    v1 = signing.sign(doctor, exam_id, STAFF_PASSWORD)
    v2 = amendments.amend(doctor, exam_id, "Cân lại: 70 kg", {"weight_kg": 70}, password=STAFF_PASSWORD)
    doctor.close()
    return {"an": an_id, "consent": given.id, "exam": exam_id, "v1": v1, "v2": v2, "day": day.id}


def snapshot(ctx) -> dict:
    """What both devices must agree on (ids and states; no timestamps of local bookkeeping)."""
    with ctx.read() as s:
        return {
            "consents": sorted(
                (c.id, c.person_id, c.kind, c.withdrawn_at is None) for c in s.scalars(select(Consent))
            ),
            "exams": sorted(
                (e.exam_id, e.version, e.status, e.signature, e.health_class)
                for e in s.scalars(select(ExamVersion).where(ExamVersion.status == "signed"))
            ),
            "referrals": sorted((r.id, r.exam_id, r.urgency) for r in s.scalars(select(Referral))),
            "followups": sorted((f.id, f.kind, f.due_date) for f in s.scalars(select(FollowUp))),
            "appointments": sorted(
                (a.id, a.person_id, a.day_id, a.slot_id, a.status, a.queue_no, a.version)
                for a in s.scalars(select(Appointment))
            ),
        }


def both_in_step(main, team) -> list[str]:
    """The main desk's day on both devices through the hub; returns the appointments still only scheduled."""
    schedule_and_examine(main)
    for ctx in (main, team):
        assert SyncWorker(ctx, config=FAST).run_once().rejected == 0
    with main.read() as s:
        return list(
            s.scalars(
                select(Appointment.id).where(Appointment.status == "scheduled").order_by(Appointment.id)
            )
        )


def take_the_desk(ctx, appointment_id: str) -> dict:
    """The head takes over, on *ctx*'s device, the desk of the day of this appointment (docs/multi-device.md §3):
    the main desk claimed it with its first check-in."""
    with ctx.read() as s:
        day_id = s.get_one(Appointment, appointment_id).day_id
    return desk_owner.take_desk(ctx, day_id)


def hub_process(backend: str, tmp_path):  # noqa: ANN201 - a fixture's body (yield)
    """The real hub in a child process on loopback, on an empty database of *backend*; ``db_url`` set."""
    url = empty_hub_db(backend, tmp_path)
    proc = HubProcess(url, log=tmp_path / "hub.log").start()
    proc.db_url = url
    yield proc
    proc.stop()


def sync_all(*ctxs) -> None:
    """One sync run of each device in turn, each complete with nothing rejected."""
    for ctx in ctxs:
        report = SyncWorker(ctx, config=FAST).run_once()
        assert report.complete and report.rejected == 0, report
