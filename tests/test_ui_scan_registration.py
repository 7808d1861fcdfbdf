"""The scan-result dialog on a real station, driven through its widgets: a known person, the card's differences
chosen field by field, a card with warnings confirmed before registering (group, flags, consent), a clean new
card, an unreadable scan; and a wedge scan anywhere opening the dialog."""

from __future__ import annotations

import json
from datetime import date

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit
from sqlalchemy import text
from testkit.keys import type_text

from ksk_desktop.cccd import InvalidCccdPayload, parse_cccd
from ksk_desktop.people import consent, persons
from ksk_desktop.people.registration import register
from ui.people.registration_dialog import CONFIRM_TEXT, ScanResultDialog
from ui.scan import install_scanner

CLICK = Qt.MouseButton.LeftButton
CARD = (
    "031085999901|999888701|Nguyễn Văn Thử|15041985|Nam|Số 0 Phố Kiểm Thử, Phường Hồng Bàng, "
    "Thành phố Hải Phòng|10052021"
)
CLEAN = "031303999902||Trần Thị Mẫu|02032003|Nữ|Thôn Thử Nghiệm, Xã Việt Khê, Thành phố Hải Phòng|20042021"
CHILD = "031216999905||Vũ Minh Thử|12062016|Nam|Thôn Mẫu, Đặc khu Cát Hải, Thành phố Hải Phòng|09092025||||"
# An elderly woman whose ID's century/sex digit says "man born in the 1900s": a warning to confirm.
ODD = "031048999907|999888707|Đỗ Thị Thí Nghiệm|20111948|Nữ|Số 0 Ngõ Giả, Phường Lê Chân, Thành phố Hải Phòng|12122022"


def tick(qtbot, check) -> None:
    """Click a check box on its box (its centre may be past the end of a short label)."""
    qtbot.mouseClick(check, CLICK, pos=QPoint(8, check.height() // 2))


def open_dialog(qtbot, session, payload: str, opened: list | None = None) -> ScanResultDialog:
    dialog = ScanResultDialog(session, payload, open_person=opened.append if opened is not None else None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.state != "loading", timeout=10_000)
    return dialog


def wait_idle(qtbot, dialog: ScanResultDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)


def scans(ctx) -> int:
    with ctx.read() as s:
        return s.execute(text("SELECT count(*) FROM cccd_scan")).scalar()


def test_a_known_card_shows_the_person_and_opens_the_record(qtbot, admin_session):
    pid = register(admin_session, CARD).person_id
    opened: list[str] = []
    dialog = open_dialog(qtbot, admin_session, "\ufeff" + CARD + "\r\n", opened)
    assert dialog.state == "existing"
    assert dialog.title_label.text() == "Nguyễn Văn Thử"
    assert "tìm theo số định danh" in dialog.subtitle_label.text()
    assert dialog.open_button.isVisible() and dialog.open_button.isDefault()
    assert not dialog.save_choices_button.isVisible() and not dialog.register_button.isVisible()
    qtbot.mouseClick(dialog.open_button, CLICK)
    assert opened == [pid]
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert persons.count_people(admin_session) == 1


@pytest.fixture
def stored(admin_session) -> persons.PersonRecord:
    """The card's holder as typed by hand earlier: a typo in the name, another address, no old ID."""
    return persons.create_person(
        admin_session,
        persons.PersonInput(
            "Nguyễn Văn Thủ",
            personal_id="031085999901",
            birth_date=date(1985, 4, 15),
            sex="M",
            permanent_address="Số 12 Ngõ 34 Lạch Tray, Phường Gia Viên, Thành phố Hải Phòng",
        ),
    )


def table_rows(dialog: ScanResultDialog) -> list[tuple[str, str, str]]:
    t = dialog.differences_table
    return [(t.item(r, 0).text(), t.item(r, 1).text(), t.item(r, 2).text()) for r in range(t.rowCount())]


def test_differences_are_shown_side_by_side_and_taken_field_by_field(qtbot, admin_session, stored):
    dialog = open_dialog(qtbot, admin_session, CARD, [])
    assert dialog.state == "differences"
    table = dialog.differences_table
    assert [table.horizontalHeaderItem(c).text() for c in range(4)] == [
        "Trường",
        "Trên thẻ",
        "Trong hồ sơ",
        "Chọn",
    ]
    assert table_rows(dialog) == [
        ("Họ và tên", "Nguyễn Văn Thử", "Nguyễn Văn Thủ"),
        ("Số CMND", "999888701", "(trống)"),
        (
            "Nơi thường trú",
            "Số 0 Phố Kiểm Thử, Phường Hồng Bàng, Thành phố Hải Phòng",
            "Số 12 Ngõ 34 Lạch Tray, Phường Gia Viên, Thành phố Hải Phòng",
        ),
    ]
    # A blank in the record is filled from the card by default; a real conflict waits for the person.
    assert {k: c.isChecked() for k, c in dialog.take_checks.items()} == {
        "name": False,
        "old_id": True,
        "address": False,
    }
    assert all(c.text() == "Lấy theo thẻ" for c in dialog.take_checks.values())
    assert persons.get_person(admin_session, stored.id).name == "Nguyễn Văn Thủ"  # nothing changed yet

    tick(qtbot, dialog.take_checks["name"])
    assert dialog.chosen_fields() == ["name", "old_id"]
    assert dialog.save_choices_button.isDefault()
    qtbot.mouseClick(dialog.save_choices_button, CLICK)
    qtbot.waitUntil(lambda: dialog.state == "saved", timeout=10_000)
    record = persons.get_person(admin_session, stored.id)
    assert (record.name, record.old_id) == ("Nguyễn Văn Thử", "999888701")
    assert "Lạch Tray" in record.permanent_address  # kept as in the record
    saved = dialog.findChild(type(dialog.title_label), "savedText")
    assert saved.text() == "Đã sửa theo thẻ: Họ và tên, Số CMND."
    assert "Đã lưu lựa chọn" in dialog.subtitle_label.text()
    with admin_session.read() as s:
        ev = json.loads(
            s.execute(
                text("SELECT details FROM audit_event WHERE action='person.update' ORDER BY seq DESC")
            ).scalar()
        )
    assert ev["source"] == "cccd" and set(ev["new"]) == {"name", "old_id"}
    assert persons.count_people(admin_session) == 1


def test_keeping_everything_changes_nothing(qtbot, admin_session, stored):
    dialog = open_dialog(qtbot, admin_session, CARD, [])
    for check in dialog.take_checks.values():
        check.setChecked(False)
    qtbot.mouseClick(dialog.save_choices_button, CLICK)
    qtbot.waitUntil(lambda: dialog.state == "saved", timeout=10_000)
    assert (
        dialog.findChild(type(dialog.title_label), "savedText").text()
        == "Không sửa trường nào: hồ sơ giữ nguyên."
    )
    record = persons.get_person(admin_session, stored.id)
    assert (record.name, record.old_id) == ("Nguyễn Văn Thủ", None)


def test_a_card_with_warnings_is_registered_only_after_the_check(qtbot, admin_session):
    opened: list[str] = []
    dialog = open_dialog(qtbot, admin_session, ODD, opened)
    assert dialog.state == "new"
    assert persons.count_people(admin_session) == 0  # nobody registered before the person looks
    warnings = parse_cccd(ODD, today=admin_session.clock.today()).warnings
    assert [w.text() for w in dialog.warning_labels] == [f"•  {w}" for w in warnings]
    assert dialog.title_label.text() == "Người mới: Đỗ Thị Thí Nghiệm"
    # Preset from the core's suggestion: 78 years old → group a, elderly.
    assert dialog.group_combo.currentData() == "a"
    assert [f for f, c in dialog.flag_checks.items() if c.isChecked()] == ["elderly"]
    assert "người cao tuổi" in dialog.findChild(type(dialog.title_label), "suggestionLabel").text()
    assert dialog.confirm_check.text() == CONFIRM_TEXT and dialog.confirm_check.isVisible()
    assert not dialog.register_button.isEnabled()
    qtbot.mouseClick(dialog.register_button, CLICK)  # disabled: nothing happens
    assert dialog.state == "new" and persons.count_people(admin_session) == 0

    tick(qtbot, dialog.flag_checks["poor"])
    tick(qtbot, dialog.consent_checks["exam"])
    assert dialog.giver_combo.currentData() == "self"
    tick(qtbot, dialog.confirm_check)
    assert dialog.register_button.isEnabled()
    qtbot.mouseClick(dialog.register_button, CLICK)
    qtbot.waitUntil(lambda: dialog.state == "created", timeout=10_000)
    pid = dialog.registration.person_id
    record = persons.get_person(admin_session, pid)
    assert (record.name, record.personal_id, record.target_group) == (
        "Đỗ Thị Thí Nghiệm",
        "031048999907",
        "a",
    )
    assert sorted(record.flags) == ["elderly", "poor"]
    assert consent.has_consent(admin_session, pid, "exam")
    assert not consent.has_consent(admin_session, pid, "ehr_share")
    assert not dialog.confirm_row.isVisible()
    assert dialog.consent_checks["exam"].text().endswith("(đã ghi nhận)")
    assert not dialog.consent_checks["exam"].isEnabled()
    qtbot.mouseClick(dialog.open_button, CLICK)
    assert opened == [pid]


def test_a_clean_new_card_opens_the_form_and_registers_in_the_hamlet_chosen(qtbot, admin_session):
    dialog = open_dialog(qtbot, admin_session, CLEAN, [])
    assert dialog.state == "new" and persons.count_people(admin_session) == 0  # nobody registered yet
    assert not dialog.confirm_check.isVisible()  # a clean card needs no extra confirmation
    assert dialog.commune_combo.current_code() == "10507"  # the station's commune
    dialog.hamlet_combo.setEditText("Thôn Mới")
    tick(qtbot, dialog.consent_checks["ehr_share"])
    qtbot.mouseClick(dialog.register_button, CLICK)
    wait_idle(qtbot, dialog)
    assert dialog.state == "created"
    pid = dialog.registration.person_id
    person = persons.get_person(admin_session, pid)
    assert (person.name, person.hamlet, person.commune_code) == ("Trần Thị Mẫu", "Thôn Mới", "10507")
    assert consent.has_consent(admin_session, pid, "ehr_share") and not consent.has_consent(
        admin_session, pid, "exam"
    )
    assert dialog.open_button.isVisible() and dialog.open_button.isDefault()
    assert dialog.consent_button.isVisible()  # the other consent can still be recorded
    qtbot.mouseClick(dialog.consent_button, CLICK)  # nothing ticked
    assert dialog.error_label.text() == "Đánh dấu sự đồng ý cần ghi nhận trước."


def test_a_childs_consent_is_given_by_the_guardian(qtbot, admin_session):
    dialog = open_dialog(qtbot, admin_session, CHILD, [])
    assert dialog.state == "new"
    assert dialog.giver_combo.currentData() == "guardian"
    tick(qtbot, dialog.consent_checks["exam"])
    tick(qtbot, dialog.consent_checks["ehr_share"])
    qtbot.mouseClick(dialog.register_button, CLICK)
    wait_idle(qtbot, dialog)
    rows = consent.of_person(admin_session, dialog.registration.person_id)
    assert sorted((r.kind, r.given_by) for r in rows) == [("ehr_share", "guardian"), ("exam", "guardian")]
    assert not dialog.consent_button.isVisible()  # both recorded


@pytest.mark.parametrize(
    "bad", ["15082024||||", "031085999916|999888716|Lý Văn Cụ", "http://example.invalid/x"]
)
def test_an_unreadable_scan_shows_the_message_and_stores_nothing(qtbot, admin_session, bad):
    with pytest.raises(InvalidCccdPayload) as expected:
        parse_cccd(bad, today=admin_session.clock.today())
    dialog = open_dialog(qtbot, admin_session, bad, [])
    assert dialog.state == "error"
    assert dialog.title_label.text() == "Không đọc được thẻ"
    message = dialog.findChild(type(dialog.title_label), "scanError")
    assert message.text() == expected.value.message
    assert dialog.close_button.isVisible() and dialog.close_button.isDefault()
    assert not dialog.open_button.isVisible()
    assert persons.count_people(admin_session) == 0 and scans(admin_session) == 0
    qtbot.mouseClick(dialog.close_button, CLICK)
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_without_open_person_there_is_no_open_button(qtbot, admin_session):
    register(admin_session, CARD)
    dialog = open_dialog(qtbot, admin_session, CARD, None)
    assert dialog.state == "existing" and not dialog.open_button.isVisible()


def test_a_wedge_scan_anywhere_opens_the_dialog(qtbot, admin_session):
    pid = register(admin_session, CARD).person_id
    field = QLineEdit()
    qtbot.addWidget(field)
    field.show()
    field.setFocus()
    dialogs: list[ScanResultDialog] = []

    def on_payload(payload: str) -> None:
        dialog = ScanResultDialog(admin_session, payload, open_person=lambda _pid: None)
        qtbot.addWidget(dialog)
        dialogs.append(dialog)
        dialog.open()

    wedge = install_scanner(QApplication.instance(), on_payload)
    try:
        type_text(field, CARD + "\r", pace_ms=2.0)
        qtbot.waitUntil(lambda: bool(dialogs) and dialogs[0].state != "loading", timeout=10_000)
    finally:
        wedge.uninstall()
        wedge.setParent(None)
        wedge.deleteLater()
    assert field.text() == ""
    assert dialogs[0].state == "existing" and dialogs[0].registration.person_id == pid
