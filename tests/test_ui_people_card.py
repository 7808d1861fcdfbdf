"""The person card on a real station: audited reading, editing with the version check, the age suggestion,
guardians, consents, adding a person."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import text

from conftest import FROZEN_DAY, frozen_clock
from ksk_desktop.people import consent, persons
from ksk_desktop.station.lifecycle import login
from ui.people.person_card import PersonCard

CLICK = Qt.MouseButton.LeftButton


def audit_events(ctx, action: str, entity_id: str | None = None) -> list[dict]:
    with ctx.read() as s:
        rows = s.execute(
            text("SELECT actor, entity_id, details FROM audit_event WHERE action = :a ORDER BY seq"),
            {"a": action},
        ).all()
    return [
        {"actor": a, "entity_id": e, "details": json.loads(d)}
        for a, e, d in rows
        if entity_id is None or e == entity_id
    ]


@pytest.fixture
def session_clock():
    return frozen_clock()


def years_ago(n: int, days: int = 30) -> date:
    """*days* before the day the sessions' today is *n* years after (FROZEN_DAY)."""
    return FROZEN_DAY.replace(year=FROZEN_DAY.year - n) - timedelta(days=days)


@pytest.fixture
def person(admin_session) -> persons.PersonRecord:
    return persons.create_person(
        admin_session,
        persons.PersonInput(
            full_name="Nguyễn Văn Đức",
            birth_date=date(1985, 3, 5),
            sex="M",
            personal_id="031085000123",
            phone="0987654321",
            hamlet="Thôn 2",
            target_group="c",
        ),
    )


def open_card(qtbot, session, person_id: str | None) -> PersonCard:
    card = PersonCard(session, person_id)
    qtbot.addWidget(card)
    card.show()
    if person_id is not None:
        qtbot.waitUntil(lambda: card.record is not None or card.error_label.isVisible(), timeout=10_000)
    return card


def confirm(qtbot, card: PersonCard) -> None:
    box = card.confirm_box
    assert box is not None and box.isVisible()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Ok), CLICK)


def test_opening_the_card_shows_the_record_and_is_audited(qtbot, admin_session, person):
    before = len(audit_events(admin_session, "person.read", person.id))
    card = open_card(qtbot, admin_session, person.id)
    assert card.title_label.text() == "Nguyễn Văn Đức"
    assert card.windowTitle() == "Thẻ người dân — Nguyễn Văn Đức"
    assert card.name_edit.text() == "Nguyễn Văn Đức"
    assert card.dob_edit.text() == "05/03/1985"
    assert not card.year_only_check.isChecked()
    assert card.sex_combo.currentText() == "Nam"
    assert card.phone_edit.text() == "0987654321"
    assert card.hamlet_combo.currentText() == "Thôn 2"
    assert card.group_combo.currentData() == "c"
    assert "Sinh 05/03/1985" in card.meta_label.text() and "phiên bản 1" in card.meta_label.text()
    assert card.history_view.table.isHidden()  # no appointment or exam yet
    assert len(audit_events(admin_session, "person.read", person.id)) == before + 1
    assert not card.guardian_box.isVisible()  # an adult
    assert not card.is_dirty()


def test_editing_the_phone_number_is_saved_and_audited(qtbot, admin_session, person):
    card = open_card(qtbot, admin_session, person.id)
    card.phone_edit.setText("0912 345 678")
    assert card.changes() == ({"phone": "0912 345 678"}, None)  # only what changed is sent
    with qtbot.waitSignal(card.saved, timeout=10_000) as saved:
        qtbot.mouseClick(card.save_button, CLICK)
    assert saved.args[0].phone == "0912345678"
    assert persons.get_person(admin_session, person.id).phone == "0912345678"
    assert card.phone_edit.text() == "0912345678"  # the card shows what was stored
    assert card.record.version == 2 and "phiên bản 2" in card.meta_label.text()
    assert "Đã lưu" in card.status_label.text()
    events = audit_events(admin_session, "person.update", person.id)
    assert len(events) == 1
    assert events[0]["actor"] == "admin" and events[0]["details"]["source"] == "card"
    assert events[0]["details"]["old"] == {"phone": "0987654321"}
    assert events[0]["details"]["new"] == {"phone": "0912345678"}
    assert not card.is_dirty()


def test_nothing_changed_saves_nothing(qtbot, admin_session, person):
    card = open_card(qtbot, admin_session, person.id)
    qtbot.mouseClick(card.save_button, CLICK)
    assert "Không có thay đổi" in card.status_label.text()
    assert audit_events(admin_session, "person.update", person.id) == []


def test_core_errors_are_shown_and_nothing_is_saved(qtbot, admin_session, person):
    card = open_card(qtbot, admin_session, person.id)
    card.phone_edit.setText("12345")
    qtbot.mouseClick(card.save_button, CLICK)
    qtbot.waitUntil(lambda: card.error_label.isVisible(), timeout=10_000)
    assert "Số điện thoại" in card.error_label.text()
    card.phone_edit.setText("0987654321")
    card.dob_edit.setText("31/02/1985")
    assert card.age_label.text() == "chưa đúng dạng dd/mm/yyyy"
    qtbot.mouseClick(card.save_button, CLICK)
    assert "05/03/1985" in card.error_label.text()  # the expected form, with an example
    assert persons.get_person(admin_session, person.id).version == 1


def test_an_edit_made_meanwhile_is_not_overwritten(qtbot, admin_session, person):
    card = open_card(qtbot, admin_session, person.id)
    persons.update_person(admin_session, person.id, {"hamlet": "Thôn 5"})  # someone else, meanwhile
    card.phone_edit.setText("0912345678")
    qtbot.mouseClick(card.save_button, CLICK)
    qtbot.waitUntil(lambda: card.error_label.isVisible(), timeout=10_000)
    assert "người khác sửa" in card.error_label.text()
    stored = persons.get_person(admin_session, person.id)
    assert stored.phone == "0987654321" and stored.hamlet == "Thôn 5"


def test_year_only_birth(qtbot, admin_session, person):
    card = open_card(qtbot, admin_session, person.id)
    card.year_only_check.setChecked(True)
    assert card.year_spin.isVisible() and not card.dob_edit.isVisible()
    assert card.year_spin.value() == 1985
    card.year_spin.setValue(1984)
    with qtbot.waitSignal(card.saved, timeout=10_000):
        qtbot.mouseClick(card.save_button, CLICK)
    stored = persons.get_person(admin_session, person.id)
    assert stored.dob is None and stored.birth_year == 1984


def test_age_suggestion_for_an_elderly_person(qtbot, admin_session):
    p = persons.create_person(
        admin_session, persons.PersonInput(full_name="Trần Thị Lụa", birth_date=years_ago(70), sex="F")
    )
    card = open_card(qtbot, admin_session, p.id)
    assert card.age_label.text() == "70 tuổi"
    assert card.suggestion_label.text().startswith("Gợi ý: nhóm a, diện Người cao tuổi")
    assert card.apply_suggestion_button.isVisible() and card.apply_suggestion_button.isEnabled()
    qtbot.mouseClick(card.apply_suggestion_button, CLICK)
    assert card.group_combo.currentData() == "a" and card.flag_checks["elderly"].isChecked()
    assert not card.apply_suggestion_button.isEnabled()
    with qtbot.waitSignal(card.saved, timeout=10_000):
        qtbot.mouseClick(card.save_button, CLICK)
    stored = persons.get_person(admin_session, p.id)
    assert stored.target_group == "a" and stored.flags == ["elderly"]


def test_a_child_has_a_guardian(qtbot, admin_session):
    p = persons.create_person(
        admin_session, persons.PersonInput(full_name="Lê Minh Khôi", birth_date=years_ago(8))
    )
    card = open_card(qtbot, admin_session, p.id)
    assert card.guardian_box.isVisible()
    assert "nhóm b" in card.suggestion_label.text() and "học sinh" in card.suggestion_label.text()
    card.guardian_name_edit.setText("Lê Văn Hùng")
    card.guardian_phone_edit.setText("0912000111")
    with qtbot.waitSignal(card.saved, timeout=10_000):
        qtbot.mouseClick(card.save_button, CLICK)
    stored = persons.get_person(admin_session, p.id)
    assert stored.guardian_name == "Lê Văn Hùng" and stored.guardian_phone == "0912000111"
    # Typing an adult's birth date hides the guardian fields again (they are kept, not erased).
    card.guardian_name_edit.clear()
    card.guardian_phone_edit.clear()
    card.dob_edit.setText("01/01/1980")
    assert not card.guardian_box.isVisible()


def test_consent_is_recorded_and_withdrawn(qtbot, admin_session, person):
    card = open_card(qtbot, admin_session, person.id)
    line = card.consent_lines["exam"]
    assert line.status_label.text() == "Chưa ghi nhận."
    assert line.record_button.isEnabled() and not line.withdraw_button.isEnabled()
    line.giver_combo.setCurrentIndex(line.giver_combo.findData("guardian"))
    with qtbot.waitSignal(card.consents_changed, timeout=10_000):
        qtbot.mouseClick(line.record_button, CLICK)
    rows = consent.of_person(admin_session, person.id)
    assert [(r.kind, r.given_by, r.recorded_by, r.active) for r in rows] == [
        ("exam", "guardian", "admin", True)
    ]
    local = (rows[0].recorded_at + timedelta(hours=7)).strftime("%d/%m/%Y %H:%M")  # Asia/Ho_Chi_Minh
    assert line.status_label.text() == f"Đã đồng ý (người giám hộ) — ghi nhận bởi admin lúc {local}."
    assert not line.record_button.isEnabled() and line.withdraw_button.isEnabled()
    assert card.consent_lines["ehr_share"].status_label.text() == "Chưa ghi nhận."

    qtbot.mouseClick(line.withdraw_button, CLICK)
    with qtbot.waitSignal(card.consents_changed, timeout=10_000):
        confirm(qtbot, card)
    rows = consent.of_person(admin_session, person.id)
    assert len(rows) == 1 and not rows[0].active and rows[0].withdrawn_by == "admin"
    withdrawn = (rows[0].withdrawn_at + timedelta(hours=7)).strftime("%d/%m/%Y %H:%M")
    assert line.status_label.text().startswith(f"Đã rút lại — bởi admin lúc {withdrawn}")
    assert line.record_button.isEnabled() and not line.withdraw_button.isEnabled()
    assert [e["details"]["kind"] for e in audit_events(admin_session, "consent.withdraw")] == ["exam"]


def test_adding_a_person_from_an_empty_card(qtbot, admin_session):
    card = open_card(qtbot, admin_session, None)
    assert card.windowTitle() == "Thêm người dân" and card.save_button.text() == "Thêm người"
    assert not card.consent_lines["exam"].record_button.isEnabled() and card.consent_note.isVisible()
    card.name_edit.setText("Phạm Thị Hoa")
    card.dob_edit.setText("5/3/1990")
    card.sex_combo.setCurrentIndex(card.sex_combo.findData("F"))
    card.hamlet_combo.setEditText("Thôn 1")
    with qtbot.waitSignal(card.saved, timeout=10_000) as saved:
        qtbot.mouseClick(card.save_button, CLICK)
    record = saved.args[0]
    assert record.name == "Phạm Thị Hoa" and record.dob == "1990-03-05" and record.sex == "F"
    assert record.commune_code == "10507" and record.hamlet == "Thôn 1"
    assert persons.count_people(admin_session) == 1
    assert card.person_id == record.id and card.save_button.text() == "Lưu thay đổi"
    assert card.consent_lines["exam"].record_button.isEnabled()  # consent can be recorded right away


def test_closing_with_unsaved_changes_asks_first(qtbot, admin_session, person):
    card = open_card(qtbot, admin_session, person.id)
    card.phone_edit.setText("0912345678")
    card.reject()
    assert card.isVisible() and card.confirm_box is not None
    confirm(qtbot, card)
    assert not card.isVisible()
    assert persons.get_person(admin_session, person.id).phone == "0987654321"


def test_a_missing_person_says_so(qtbot, admin_session):
    card = open_card(qtbot, admin_session, "khong-co-ai")
    assert "Không tìm thấy" in card.error_label.text()
    assert not card.save_button.isEnabled()


def test_a_closed_session_is_reported(qtbot, station, admin_session, person, session_clock):
    paths, _ = station
    other = login(paths, "admin", "Quan-tri-2026", clock=session_clock)
    card = open_card(qtbot, other, person.id)
    other.close()
    card.phone_edit.setText("0912345678")
    qtbot.mouseClick(card.save_button, CLICK)
    qtbot.waitUntil(lambda: card.error_label.isVisible(), timeout=10_000)
    assert "khóa" in card.error_label.text()
