"""A person's history: appointments for anyone who may read the list, exams only for health-data readers;
in the core, through ``ksk person history`` and on the person card."""

from __future__ import annotations

import json
from datetime import date, datetime, time

import pytest
from exam_support import DOCTOR, NURSE, STAFF_PASSWORD, add_person, add_staff, fill_adult, staff

from conftest import FROZEN_DAY, frozen_clock, run_ksk
from ksk_desktop.errors import NotFound
from ksk_desktop.exams import records, signing
from ksk_desktop.people.history import person_history
from ksk_desktop.scheduling import campaigns, checkin, days, sites
from ui.people.history_view import EMPTY, NO_HEALTH_READ
from ui.people.person_card import PersonCard


@pytest.fixture
def session_clock():
    return frozen_clock()


@pytest.fixture
def visited(station, admin_session, session_clock):
    """A person with a walk-in appointment today and a signed exam."""
    paths, _ = station
    add_staff(admin_session)
    pid = add_person(admin_session, name="Đặng Thị Hường")
    now = datetime.combine(FROZEN_DAY, time(8, 5))  # the sessions' today
    camp = campaigns.create_campaign(
        admin_session, name="Khám sức khỏe toàn dân", year=now.year, groups=["a", "b", "c", "d", "đ"]
    )
    site = sites.add_site(admin_session, name="Trạm y tế xã", capacity_per_hour=40)
    days.add_day(admin_session, site_id=site.id, day=now.date())
    visit = checkin.walk_in(admin_session, pid, campaign_id=camp.id, now=now)
    doctor = staff(paths, DOCTOR, session_clock)
    exam_id = records.open_draft(
        doctor, pid, appointment_id=visit.appointment["id"], exam_date=now.date()
    ).document["id"]
    fill_adult(doctor, exam_id)
    signing.sign(doctor, exam_id, STAFF_PASSWORD)
    yield {
        "paths": paths,
        "person": pid,
        "doctor": doctor,
        "exam": exam_id,
        "appointment": visit.appointment["id"],
        "today": now.date(),
    }
    doctor.close()


def test_history_lists_appointments_and_exams_for_a_doctor(visited):
    h = person_history(visited["doctor"], visited["person"])
    assert [a["id"] for a in h["appointments"]] == [visited["appointment"]]
    appt = h["appointments"][0]
    assert appt["date"] == visited["today"].isoformat() and appt["site"] == "Trạm y tế xã"
    assert (
        appt["status_label"] == "Đã khám"
    )  # signing the exam of today's visit marked the appointment examined
    assert [(e["id"], e["status"], e["status_label"]) for e in h["exams"]] == [
        (visited["exam"], "signed", "Đã ký")
    ]
    assert h["exams"][0]["health_class"] in (1, 2, 3, 4, 5)


def test_reception_sees_appointments_but_not_exams(visited, session_clock):
    nurse = staff(visited["paths"], NURSE, session_clock)
    try:
        h = person_history(nurse, visited["person"])
    finally:
        nurse.close()
    assert len(h["appointments"]) == 1 and h["exams"] is None


def test_unknown_person_is_a_clear_error(visited):
    with pytest.raises(NotFound, match="Không tìm thấy"):
        person_history(visited["doctor"], "00000000-0000-7000-8000-000000000000")


def test_cli_history_json_and_error(visited):
    out = run_ksk(
        "--user",
        DOCTOR,
        "person",
        "history",
        visited["person"],
        "--json",
        data_dir=visited["paths"].root,
        password=STAFF_PASSWORD,
    )
    assert out.returncode == 0, out.stderr
    h = json.loads(out.stdout)
    assert h["person_id"] == visited["person"] and len(h["appointments"]) == 1 and len(h["exams"]) == 1
    bad = run_ksk(
        "--user",
        DOCTOR,
        "person",
        "history",
        "khong-co",
        data_dir=visited["paths"].root,
        password=STAFF_PASSWORD,
    )
    assert (
        bad.returncode != 0 and bad.stderr.startswith("Lỗi: ") and len(bad.stderr.strip().splitlines()) == 1
    )


def test_card_shows_the_history(qtbot, visited):
    card = PersonCard(visited["doctor"], visited["person"])
    qtbot.addWidget(card)
    card.show()
    qtbot.waitUntil(lambda: card.history_view.table.rowCount() == 2, timeout=10_000)
    cells = [[card.history_view.table.item(r, c).text() for c in range(3)] for r in range(2)]
    day = visited["today"].strftime("%d/%m/%Y")
    assert all(row[0] == day for row in cells)
    assert any("Khám sức khỏe" in row[1] and row[2].startswith("Đã ký, sức khỏe loại") for row in cells)
    assert any("Trạm y tế xã" in row[1] and row[2].startswith("Đã khám") for row in cells)
    assert card.history_view.note_label.isHidden()


def test_card_of_a_person_without_visits_says_so_and_admin_sees_no_exams(qtbot, admin_session):
    pid = add_person(admin_session, name="Lê Văn Tám", birth=date(1989, 12, 31))
    card = PersonCard(admin_session, pid)
    qtbot.addWidget(card)
    card.show()
    qtbot.waitUntil(lambda: card.record is not None, timeout=10_000)
    assert card.history_view.table.isHidden()
    assert card.history_view.note_label.text() == f"{EMPTY} {NO_HEALTH_READ}"


def test_a_signed_exam_without_appointment_counts_as_examined_everywhere(
    station, admin_session, session_clock
):
    """Walk-ins examined without an appointment and imported exams count: list, coverage, planner, check-in."""
    from ksk_desktop.people import people_list
    from ksk_desktop.people.people_list import ListFilter
    from ksk_desktop.scheduling import coverage, planner
    from ksk_desktop.scheduling.errors import AlreadyExamined

    paths, _ = station
    add_staff(admin_session)
    examined = add_person(admin_session, name="Phạm Văn Khám")
    other = add_person(admin_session, name="Vũ Thị Chưa", birth=date(1982, 2, 2), sex="F")
    today = FROZEN_DAY  # the sessions' today
    doctor = staff(paths, DOCTOR, session_clock)
    try:
        exam_id = records.open_draft(doctor, examined, exam_date=today).document["id"]
        fill_adult(doctor, exam_id)
        signing.sign(doctor, exam_id, STAFF_PASSWORD)
    finally:
        doctor.close()
    year = today.year
    listed = people_list.page(admin_session, ListFilter(exam_status="examined", exam_year=year), 0, 10)
    assert [r["id"] for r in listed] == [examined]
    assert coverage.coverage(admin_session, year)["totals"]["examined"] == 1
    camp = campaigns.create_campaign(
        admin_session, name="Khám bổ sung", year=year, groups=["a", "b", "c", "d", "đ"]
    )
    site = sites.add_site(admin_session, name="Nhà văn hóa thôn", capacity_per_hour=40)
    days.add_day(admin_session, site_id=site.id, day=today)
    plan = planner.plan(admin_session, camp.id, today, today, dry_run=True)
    assert {p.person_id for p in plan.placed} == {other}
    with pytest.raises(AlreadyExamined):
        checkin.walk_in(admin_session, examined, campaign_id=camp.id, now=datetime.combine(today, time(8, 5)))
