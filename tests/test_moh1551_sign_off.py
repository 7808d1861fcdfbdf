"""The doctor's sign-off makes the exam's QĐ 1551 file, signed by the doctor (the record) and the facility (the
file and the envelope), and queues it for the Ministry in the signature's transaction; without certificates the
exam is signed as before and shown as "chưa gửi Bộ Y tế (thiếu chứng thư số)"."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest
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
from sqlalchemy import select
from testkit.testca import TestCA

from ksk_desktop.db.models import Moh1551Unsent, OutboxItem
from ksk_desktop.demo.seed import DEMO_GTIN
from ksk_desktop.exams import records, signing
from ksk_desktop.moh1551 import codes, envelope, khamsuckhoe, station_certs, status, xmldsig
from ksk_desktop.moh1551 import settings as moh_settings
from ksk_desktop.moh1551.errors import WrongCertificatePassword


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture
def clinic(station, admin_session):
    paths, _ = station
    add_staff(admin_session)
    pid = add_identified_person(admin_session, "Phạm Văn Cường", "031078004567", date(1978, 8, 8))
    return {"paths": paths, "admin": admin_session, "person": pid}


def _draft(doctor, person_id: str) -> str:
    values = {
        "height_cm": 168, "weight_kg": 64, "pulse": 70, "systolic": 122, "diastolic": 78,
        **EYES, **ENT, **INTERNAL, **{k: v for part in OTHER.values() for k, v in part.items()},
    }  # fmt: skip
    doc = records.import_exam(
        doctor, {"person_id": person_id, "form": "adult", "exam_date": "2026-11-20", "values": values}
    )
    return doc["id"]


def _moh_items(ctx) -> list[dict]:
    with ctx.read() as s:
        return [
            json.loads(o.payload) for o in s.scalars(select(OutboxItem).where(OutboxItem.kind == "moh_push"))
        ]


def test_sign_off_queues_the_file_signed_by_doctor_and_facility(clinic, ca) -> None:
    admin = clinic["admin"]
    facility, doctor_cert = ca.facility(), ca.doctor()
    moh_settings.update(admin, ma_cskcb="31006", ma_gtin_cskcb=DEMO_GTIN)
    station_certs.import_facility_p12(admin, facility.p12("tram-p12"), "tram-p12")
    station_certs.import_doctor_p12(admin, DOCTOR, doctor_cert.p12(STAFF_PASSWORD), STAFF_PASSWORD)
    doctor = staff(clinic["paths"], DOCTOR)
    try:
        exam_id = _draft(doctor, clinic["person"])
        signed = signing.sign(doctor, exam_id, STAFF_PASSWORD)
        [item] = _moh_items(doctor)
        assert item["exam_id"] == exam_id and item["ma_lk"] == codes.ma_lk(exam_id)
        assert item["person_id"] == clinic["person"] and item["exam_version"] == 1
        env = item["envelope"]
        envelope.verify(env, facility.certificate)
        assert env["header"]["sender_id"] == DEMO_GTIN
        data = envelope.file_of(env)
        assert xmldsig.verify(data, at="CKS_NGUOI_KET_LUAN") == doctor_cert.certificate
        assert xmldsig.verify(data, at="CKS_BENH_VIEN") == facility.certificate
        parsed = khamsuckhoe.parse_file(data)
        assert parsed.signatures == {"CKS_NGUOI_KET_LUAN": True, "CKS_BENH_VIEN": True}
        [(hoso_id, parts)] = parsed.records
        assert hoso_id == item["ma_lk"] and parts["XML12"]["PHAN_LOAI_SK"] == str(signed["health_class"])
        assert khamsuckhoe.validate(data) == []
        # The reference Ministry endpoint accepts it: both signatures, the mandatory fields, the visit day.
        from sync.moh_ref.checks import check_file

        [accepted] = check_file(data, facility.certificate)
        assert (accepted.ma_lk, accepted.so_cccd, accepted.exam_day) == (
            item["ma_lk"],
            "031078004567",
            date(2026, 11, 20),
        )
        # The deadline counts from the signature; the station lists the exam as queued, not overdue.
        assert item["deadline"].startswith(signed["signed_at"][:10]) or item["deadline"] > signed["signed_at"]
        [row] = status.station_status(doctor)["items"]
        assert row["state"] == "queued" and not row["overdue"]
        # A tampered record no longer verifies.
        text = data.decode()
        start = text.index("<LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>") + len(
            "<LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>"
        )
        inner = base64.b64decode(text[start : text.index("<", start)]).decode().replace("CƯỜNG", "CƯƠNG")
        forged = text[:start] + base64.b64encode(inner.encode()).decode() + text[text.index("<", start) :]
        with pytest.raises(Exception, match="."):
            xmldsig.verify(forged.encode(), at="CKS_NGUOI_KET_LUAN")
    finally:
        doctor.close()


def test_a_wrong_certificate_password_stops_the_signature(clinic, ca) -> None:
    admin = clinic["admin"]
    moh_settings.update(admin, ma_cskcb="31006", ma_gtin_cskcb=DEMO_GTIN)
    station_certs.import_facility_p12(admin, ca.facility().p12("tram-p12"), "tram-p12")
    station_certs.import_doctor_p12(admin, DOCTOR, ca.doctor().p12("khac-mat-khau"), "khac-mat-khau")
    doctor = staff(clinic["paths"], DOCTOR)
    try:
        exam_id = _draft(doctor, clinic["person"])
        with pytest.raises(WrongCertificatePassword):
            signing.sign(doctor, exam_id, STAFF_PASSWORD)
        assert records.load(doctor, exam_id).document["status"] == "draft"  # nothing signed, nothing queued
        assert _moh_items(doctor) == []
        signing.sign(doctor, exam_id, STAFF_PASSWORD, cert_password="khac-mat-khau")
        assert len(_moh_items(doctor)) == 1
    finally:
        doctor.close()


def test_without_certificates_the_exam_signs_and_shows_as_not_sent(clinic) -> None:
    moh_settings.update(clinic["admin"], ma_cskcb="31006", ma_gtin_cskcb=DEMO_GTIN)
    doctor = staff(clinic["paths"], DOCTOR)
    try:
        exam_id = _draft(doctor, clinic["person"])
        assert signing.sign(doctor, exam_id, STAFF_PASSWORD)["status"] == "signed"
        assert _moh_items(doctor) == []
        with doctor.read() as s:
            [unsent] = s.scalars(select(Moh1551Unsent)).all()
        assert (unsent.exam_id, unsent.reason) == (exam_id, "no_certificate")
        data = status.station_status(doctor)
        [row] = data["items"]
        assert row["label"] == "Chưa gửi Bộ Y tế (thiếu chứng thư số)" and row["to_fix"]
        assert row["ma_lk"] == codes.ma_lk(exam_id) and data["to_fix"] == 1
    finally:
        doctor.close()


def test_an_exam_the_data_set_refuses_is_signed_and_names_what_it_lacks(clinic, ca) -> None:
    admin = clinic["admin"]
    moh_settings.update(admin, ma_cskcb="31006", ma_gtin_cskcb=DEMO_GTIN)
    station_certs.import_facility_p12(admin, ca.facility().p12("tram-p12"), "tram-p12")
    station_certs.import_doctor_p12(admin, DOCTOR, ca.doctor().p12(STAFF_PASSWORD), STAFF_PASSWORD)
    no_id = add_identified_person(admin, "Vũ Văn Dũng", None, date(1990, 1, 2))
    doctor = staff(clinic["paths"], DOCTOR)
    try:
        exam_id = _draft(doctor, no_id)
        assert signing.sign(doctor, exam_id, STAFF_PASSWORD)["status"] == "signed"
        assert _moh_items(doctor) == []
        [row] = status.station_status(doctor)["items"]
        assert row["state"] == "invalid" and "SO_CCCD" in row["message"] and "Dũng" not in row["message"]
    finally:
        doctor.close()
