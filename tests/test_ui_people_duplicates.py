"""Finding and merging duplicate records through the dialog, on a real station."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import text

from ksk_desktop.people import consent, persons
from ksk_desktop.people.persons import PersonInput
from ui.people.duplicates_dialog import DuplicatesDialog
from ui.people.page import PeoplePage

CLICK = Qt.MouseButton.LeftButton


def test_merge_a_duplicate_keeping_the_record_with_the_personal_id(qtbot, admin_session):
    without_id = persons.create_person(
        admin_session,
        PersonInput(full_name="Vũ Thị Mai", birth_date=date(1970, 1, 2), phone="0912111222", hamlet="Thôn 4"),
    )
    with_id = persons.create_person(
        admin_session,
        PersonInput(full_name="VŨ THỊ MAI", birth_date=date(1970, 1, 2), personal_id="031170000999"),
    )
    persons.create_person(admin_session, PersonInput(full_name="Vũ Thị Mai", birth_date=date(1971, 1, 2)))
    consent.record(admin_session, without_id.id, "exam")

    page = PeoplePage(admin_session)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.filter_applied, timeout=10_000):  # read when shown
        page.show()
    assert page.model.rowCount() == 3
    dialog = page.open_duplicates()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert dialog.group_list.count() == 1
    assert "1 nhóm" in dialog.count_label.text()
    assert dialog.people_table.rowCount() == 2
    people = dialog.current_people()
    keep = dialog.keep_index()
    assert people[keep]["id"] == with_id.id  # the record with a personal ID is preselected
    assert dialog.merge_button.isEnabled()

    qtbot.mouseClick(dialog.merge_button, CLICK)
    box = dialog.confirm_box
    assert box.isVisible() and "Gộp 1 hồ sơ vào hồ sơ của VŨ THỊ MAI (02/01/1970)" in box.text()
    with qtbot.waitSignal(dialog.merged, timeout=10_000):
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Ok), CLICK)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert "Đã gộp 1 hồ sơ" in dialog.status_label.text()
    assert dialog.group_list.count() == 0 and dialog.count_label.text() == "Không tìm thấy hồ sơ trùng lặp."
    assert not dialog.merge_button.isEnabled()
    kept = persons.get_person(admin_session, with_id.id)
    assert kept.phone == "0912111222" and kept.hamlet == "Thôn 4"  # empty fields filled from the other
    assert [c.kind for c in consent.of_person(admin_session, with_id.id)] == ["exam"]  # history moved
    assert persons.count_people(admin_session) == 2
    # The list behind learns of the merge from the operation's changes.
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=10_000)
    with admin_session.read() as s:
        assert (
            s.execute(text("SELECT count(*) FROM audit_event WHERE action = 'person.merge'")).scalar_one()
            == 1
        )


def test_cancelling_the_confirmation_merges_nothing(qtbot, admin_session):
    for _ in range(2):
        persons.create_person(admin_session, PersonInput(full_name="Đỗ Văn Hải", birth_year=1960))
    dialog = DuplicatesDialog(admin_session)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.group_list.count() == 1, timeout=10_000)
    dialog.set_keep(1)
    assert dialog.keep_index() == 1
    qtbot.mouseClick(dialog.merge_button, CLICK)
    qtbot.mouseClick(dialog.confirm_box.button(QMessageBox.StandardButton.Cancel), CLICK)
    assert not dialog.busy and persons.count_people(admin_session) == 2


def test_no_duplicates(qtbot, admin_session):
    persons.create_person(admin_session, PersonInput(full_name="Đỗ Văn Hải", birth_year=1960))
    dialog = DuplicatesDialog(admin_session)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.show()
    assert dialog.count_label.text() == "Không tìm thấy hồ sơ trùng lặp."
    assert not dialog.merge_button.isEnabled()
