"""A station for the Ministry-export tests: people with and without CCCD, exams signed twice, once, never."""

from __future__ import annotations

from datetime import date

import pytest
from exam_support import STAFF_PASSWORD, add_staff, fill_adult, staff
from testkit.moh_template import make_template

from conftest import frozen_clock
from ksk_desktop.exams import records, signing
from ksk_desktop.exams.demo import sign_synthetic_exams
from ksk_desktop.people import persons
from ksk_desktop.station import users

FROM, TO = date(2026, 11, 1), date(2026, 11, 25)
FACILITY = "31006"
A_ID, B_ID, E_ID = "031080012345", "031150678901", "031085222333"
HEAD = "truongtram"


def _person(admin, name: str, **kw) -> str:
    return persons.create_person(admin, persons.PersonInput(full_name=name, hamlet="Thôn 2", **kw)).id


def _sign_a(doctor, person_id: str, day: date, diagnoses: list) -> dict:
    exam_id = records.open_draft(doctor, person_id, exam_date=day).document["id"]
    fill_adult(doctor, exam_id)
    records.save_section(
        doctor,
        exam_id,
        "history",
        {
            "history.family_disease": True,
            "history.family_disease_codes": "Z82.4",
            "history.hypertension": True,
            "history.on_treatment": True,
            "history.treatment_codes": "I10",
            "history.other_disease": True,
            "history.other_disease_codes": "E78.5, K76.0",
            "history.medications": "Amlodipin 5 mg/ngày",
        },
        expected_version=0,
    )
    records.save_section(
        doctor,
        exam_id,
        "conclusion",
        {"diagnoses": diagnoses, "conclusion": "Tăng huyết áp", "advice": "Tái khám"},
        expected_version=0,
    )
    return signing.sign(doctor, exam_id, STAFF_PASSWORD)


def build_clinic(paths, admin, session_clock, tmp_path) -> dict:
    """A signed twice in the period (two diagnoses, history codes), B once (birth year only), C once without a CCCD,
    D a draft never signed, E signed before the period; a head of station logged in; the synthetic template."""
    add_staff(admin)
    a = _person(admin, "Nguyễn Văn An", personal_id=A_ID, birth_date=date(1980, 5, 17), sex="M",
                current_address="Số 5, Thôn 2", phone="0912345678")  # fmt: skip
    b = _person(admin, "Trần Thị Bích", personal_id=B_ID, birth_year=1950, sex="F")
    c = _person(admin, "Lê Văn Cường", birth_date=date(1975, 1, 2), sex="M")  # no CCCD
    d = _person(admin, "Phạm Thị Dung", personal_id="031190444555", birth_date=date(1990, 3, 4), sex="F")
    e = _person(admin, "Hoàng Văn Em", personal_id=E_ID, birth_date=date(1985, 7, 8), sex="M")
    doctor = staff(paths, "bacsi", clock=session_clock)
    first = _sign_a(
        doctor, a, date(2026, 11, 2), [{"code": "E11.4", "primary": False}, {"code": "I10", "primary": True}]
    )
    second = _sign_a(doctor, a, date(2026, 11, 20), ["I10"])
    sign_synthetic_exams(doctor, STAFF_PASSWORD, [b, c], date(2026, 11, 10))
    sign_synthetic_exams(doctor, STAFF_PASSWORD, [e], date(2026, 10, 30))  # before the period
    draft = records.open_draft(doctor, d, exam_date=date(2026, 11, 12)).document["id"]  # never signed
    doctor.close()
    users.add_user(admin, HEAD, "head", STAFF_PASSWORD, "Trưởng Trạm")
    head = staff(paths, HEAD, clock=session_clock)
    template = make_template(tmp_path / "Import_KSK_Tren 18.xlsm")
    return {"paths": paths, "head": head, "admin": admin, "template": template, "tmp": tmp_path,
           "a": a, "b": b, "c": c, "d": d, "first": first, "second": second, "draft": draft}  # fmt: skip


@pytest.fixture
def session_clock():
    return frozen_clock()


@pytest.fixture
def clinic(station, admin_session, session_clock, tmp_path):
    """:func:`build_clinic` on the test's station; the head's session closed afterwards."""
    paths, _ = station
    c = build_clinic(paths, admin_session, session_clock, tmp_path)
    yield c
    c["head"].close()
