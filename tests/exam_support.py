"""Helpers shared by the exam tests: a station with a doctor, a nurse and people, and a complete adult exam."""

from __future__ import annotations

from datetime import date

from ksk_desktop.clock import SYSTEM_CLOCK, Clock
from ksk_desktop.people import persons
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login

DOCTOR, NURSE, DOCTOR2 = "bacsi", "dieuduong", "bacsi2"
STAFF_PASSWORD = "Kham-benh-2026"
DOCTOR_LICENCE = "000456/HP-CCHN"
EXAM_DATE = date(2026, 11, 20)

VITALS = {"height_cm": 165, "weight_kg": 60.5, "pulse": 72, "systolic": 120, "diastolic": 80}
EYES = {"vision_right_uncorrected": 10, "vision_left_uncorrected": 10, "eyes.class": 1}
ENT = {"whisper_right_m": 5, "whisper_left_m": 5, "ent.class": 1}
INTERNAL = {
    f"internal.{k}_class": 1
    for k in (
        "circulation",
        "respiratory",
        "digestive",
        "kidney_urology",
        "endocrine",
        "musculoskeletal",
        "neurology",
        "psychiatry",
    )
}
OTHER = {
    "surgery": {"surgery.class": 1, "surgery.tumour_class": 1},
    "dermatology": {"dermatology.class": 1},
    "teeth": {"teeth.class": 1},
}


def add_staff(admin_ctx) -> None:
    users.add_user(admin_ctx, DOCTOR, "doctor", STAFF_PASSWORD, "BS. Nguyễn Văn Minh", DOCTOR_LICENCE)
    users.add_user(admin_ctx, DOCTOR2, "doctor", STAFF_PASSWORD, "BS. Lê Thị Thu", "000457/HP-CCHN")
    users.add_user(admin_ctx, NURSE, "reception", STAFF_PASSWORD, "ĐD. Trần Thị Lan")


def add_person(
    admin_ctx, name: str = "Nguyễn Văn An", birth: date = date(1980, 5, 17), sex: str = "M"
) -> str:
    return persons.create_person(
        admin_ctx, persons.PersonInput(full_name=name, birth_date=birth, sex=sex, hamlet="Thôn 1")
    ).id


def add_identified_person(
    admin_ctx, name: str, personal_id: str | None, birth: date, sex: str = "M", commune: str = "11680"
) -> str:
    """A person with (or without) a personal ID, an address and a commune: what the QĐ 1551 data set needs."""
    return persons.create_person(
        admin_ctx,
        persons.PersonInput(
            full_name=name,
            personal_id=personal_id,
            birth_date=birth,
            sex=sex,
            current_address="Thôn 1, xã Kiến Thụy",
            commune_code=commune,
        ),
    ).id


def staff(paths, username: str, clock: Clock = SYSTEM_CLOCK):
    return login(paths, username, STAFF_PASSWORD, clock=clock)


def fill_adult(doctor_ctx, exam_id: str, *, vitals: dict | None = None) -> dict:
    """Save every required section of an adult (male) draft as a doctor; returns the last state."""
    from ksk_desktop.exams import records

    st = records.load(doctor_ctx, exam_id)
    for section, values in (
        ("physique", vitals or VITALS),
        ("eyes", EYES),
        ("ent", ENT),
        ("internal", INTERNAL),
        *OTHER.items(),
    ):
        st = records.save_section(
            doctor_ctx, exam_id, section, values, expected_version=st.section_versions.get(section, 0)
        )
    return st
