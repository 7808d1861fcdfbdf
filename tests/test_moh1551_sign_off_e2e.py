"""End to end from the doctor's signature: a real exam signed at the station (its file built from the data set,
signed by the doctor's and the facility's certificates) goes station → ``ksk sync run`` → hub → the reference
Ministry endpoint, is accepted there, and the station learns it (``ksk sync moh-status``)."""

from __future__ import annotations

from datetime import date

from exam_support import (
    DOCTOR,
    ENT,
    EYES,
    INTERNAL,
    OTHER,
    STAFF_PASSWORD,
    add_identified_person,
    add_staff,
    staff,
)
from test_moh1551_push import by_exam, hub_moh, register_at_hub, station_moh, sync_once
from testkit.hubproc import HubProcess
from testkit.mohref import MohRefProcess, hub_moh_args, pem, set_up_ministry
from testkit.stations import enroll
from testkit.testca import TestCA
from testkit.waiting import wait_until

from conftest import COMMUNE
from ksk_desktop.demo.seed import DEMO_GTIN
from ksk_desktop.exams import records, signing
from ksk_desktop.moh1551 import codes, station_certs
from ksk_desktop.moh1551 import settings as moh_settings
from ksk_desktop.people import consent


def test_a_signed_exam_reaches_the_ministry_and_is_accepted(station, admin_session, tmp_path) -> None:
    ca = TestCA()
    facility = ca.facility()
    ctx = admin_session
    add_staff(ctx)
    pid = add_identified_person(ctx, "Đỗ Văn Hải", "031072009876", date(1972, 4, 4), commune=COMMUNE)
    consent.record(ctx, pid, "ehr_share")
    moh_settings.update(ctx, ma_cskcb="31006", ma_gtin_cskcb=DEMO_GTIN)
    station_certs.import_facility_p12(ctx, facility.p12("tram-p12"), "tram-p12")
    station_certs.import_doctor_p12(ctx, DOCTOR, ca.doctor().p12(STAFF_PASSWORD), STAFF_PASSWORD)
    doctor = staff(station[0], DOCTOR)
    try:
        values = {
            "height_cm": 166, "weight_kg": 63, "pulse": 74, "systolic": 124, "diastolic": 80,
            **EYES, **ENT, **INTERNAL, **{k: v for part in OTHER.values() for k, v in part.items()},
        }  # fmt: skip
        exam_id = records.import_exam(
            doctor, {"person_id": pid, "form": "adult", "exam_date": "2026-11-20", "values": values}
        )["id"]
        signing.sign(doctor, exam_id, STAFF_PASSWORD)
    finally:
        doctor.close()
    set_up_ministry(tmp_path / "moh", pem(facility.certificate), sender_id=DEMO_GTIN)
    db = tmp_path / "hub.db"
    db_url = f"sqlite:///{db}"
    with MohRefProcess(tmp_path / "moh") as moh:
        args, env = hub_moh_args(moh.url, workers=1)
        with HubProcess(db, extra=args, env=env) as hub:
            enroll(ctx, db_url, hub.url)
            register_at_hub(db_url, facility.certificate)
            ctx.close()
            sync_once(ctx.paths)
            wait_until(
                lambda: hub_moh(str(db)), lambda st: st["counts"]["pending"] == 0, timeout=60, what="answers"
            )
            sync_once(ctx.paths)
            item = by_exam(station_moh(ctx.paths))[exam_id]
            ministry = moh.stats()
    assert item["state"] == "accepted", item["message"]
    assert item["ma_lk"] == codes.ma_lk(exam_id) and not item["to_fix"]
    assert ministry["messages"] == 1 and ministry["accepted_records"] == 1
