"""The "Quản trị" page: users, own password, audit check and backup, through the real core."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select

from ksk_desktop.db.models import AuditEvent
from ksk_desktop.errors import AccountLocked, AuthenticationFailed
from ksk_desktop.security.keystore import LockoutPolicy
from ksk_desktop.security.roles import ROLE_LABELS, Role
from ksk_desktop.station import security_policy, users
from ksk_desktop.station.lifecycle import login
from ui.admin.page import AdminPage
from ui.admin.policy import PolicyPanel
from ui.admin.tools import AuditPanel
from ui.dialog_owner import alive

ADMIN_PASSWORD = "Quan-tri-2026"
CLICK = Qt.MouseButton.LeftButton


@pytest.fixture
def page(qtbot, admin_session):
    widget = AdminPage(admin_session)
    qtbot.addWidget(widget)
    widget.resize(1000, 900)
    widget.show()
    qtbot.waitUntil(lambda: widget.users_panel.usernames() == ["admin"], timeout=10_000)
    return widget


def table_texts(panel) -> list[list[str]]:
    t = panel.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def wait_idle(qtbot, panel) -> None:
    qtbot.waitUntil(lambda: not panel.busy, timeout=10_000)


def test_users_table_lists_the_admin(page):
    headers = [page.users_panel.table.horizontalHeaderItem(c).text() for c in range(4)]
    assert headers == ["Tên đăng nhập", "Họ và tên", "Vai trò", "Trạng thái"]
    assert table_texts(page.users_panel) == [["admin", "Quản Trị", "Quản trị viên", "Hoạt động"]]
    assert (
        page.users_section.isVisible() and page.audit_section.isVisible() and page.backup_section.isVisible()
    )
    assert not page.no_access_label.isVisible()


def test_add_user_through_the_dialog(qtbot, page, admin_session):
    panel = page.users_panel
    qtbot.mouseClick(panel.add_button, CLICK)
    dialog = panel.dialog
    assert dialog.isVisible() and dialog.windowTitle() == "Thêm người dùng"
    assert [dialog.role_combo.itemText(i) for i in range(dialog.role_combo.count())] == list(
        ROLE_LABELS.values()
    )
    dialog.username_edit.setText("letan")
    dialog.full_name_edit.setText("Trần Thị Lan")
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData(Role.RECEPTION.value))
    dialog.password_edit.setText("Le-tan-2026")
    dialog.password2_edit.setText("Le-tan-2026")
    with qtbot.waitSignal(panel.users_loaded, timeout=10_000):
        qtbot.mouseClick(dialog.submit_button, CLICK)
    assert panel.dialog is None and not (alive(dialog) and dialog.isVisible())  # closed (and deleted)
    rows = {u.username: u for u in users.list_users(admin_session)}
    assert rows["letan"].full_name == "Trần Thị Lan" and rows["letan"].role == "reception"
    assert ["letan", "Trần Thị Lan", "Lễ tân / Điều dưỡng", "Hoạt động"] in table_texts(panel)
    assert "Đã thêm người dùng letan" in panel.status_label.text()
    new = login(admin_session.paths, "letan", "Le-tan-2026")
    assert new.user.role is Role.RECEPTION
    new.close()


def test_add_a_doctor_with_a_licence_number_through_the_dialog(qtbot, page, admin_session):
    panel = page.users_panel
    qtbot.mouseClick(panel.add_button, CLICK)
    dialog = panel.dialog
    dialog.username_edit.setText("bacsi")
    dialog.full_name_edit.setText("BS. Nguyễn Văn Minh")
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData(Role.DOCTOR.value))
    dialog.licence_edit.setText("số 12")  # not a licence number
    dialog.password_edit.setText("Bac-si-2026x")
    dialog.password2_edit.setText("Bac-si-2026x")
    qtbot.mouseClick(dialog.submit_button, CLICK)
    qtbot.waitUntil(lambda: "chứng chỉ hành nghề" in dialog.error_label.text(), timeout=10_000)
    dialog.licence_edit.setText("000123/hp-cchn")
    with qtbot.waitSignal(panel.users_loaded, timeout=10_000):
        qtbot.mouseClick(dialog.submit_button, CLICK)
    assert panel.dialog is None and not (alive(dialog) and dialog.isVisible())  # closed (and deleted)
    assert {u.username: u.licence_no for u in users.list_users(admin_session)}["bacsi"] == "000123/HP-CCHN"


def test_add_user_mismatched_passwords_stay_in_the_dialog(qtbot, page, admin_session):
    panel = page.users_panel
    qtbot.mouseClick(panel.add_button, CLICK)
    dialog = panel.dialog
    dialog.username_edit.setText("letan")
    dialog.password_edit.setText("Le-tan-2026")
    dialog.password2_edit.setText("Le-tan-2027")
    qtbot.mouseClick(dialog.submit_button, CLICK)
    assert dialog.isVisible() and not dialog.busy
    assert dialog.error_label.text() == "Hai lần nhập mật khẩu không khớp."
    assert [u.username for u in users.list_users(admin_session)] == ["admin"]


def test_add_user_shows_the_core_refusal(qtbot, page, admin_session):
    panel = page.users_panel
    qtbot.mouseClick(panel.add_button, CLICK)
    dialog = panel.dialog
    dialog.username_edit.setText("Người Dùng")  # not a valid login name
    dialog.password_edit.setText("Le-tan-2026")
    dialog.password2_edit.setText("Le-tan-2026")
    qtbot.mouseClick(dialog.submit_button, CLICK)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=10_000)
    assert "Tên đăng nhập chỉ gồm chữ thường không dấu" in dialog.error_label.text()
    assert dialog.isVisible()
    dialog.username_edit.setText("letan")
    dialog.password_edit.setText("ngan")
    dialog.password2_edit.setText("ngan")
    qtbot.mouseClick(dialog.submit_button, CLICK)
    qtbot.waitUntil(lambda: "ít nhất 8 ký tự" in dialog.error_label.text(), timeout=10_000)
    dialog.reject()
    assert [u.username for u in users.list_users(admin_session)] == ["admin"]


def test_edit_a_doctors_licence_number(qtbot, page, admin_session):
    users.add_user(admin_session, "bacsi", "doctor", "Bac-si-2026x", "BS. Minh")  # upgraded: no licence yet
    panel = page.users_panel
    with qtbot.waitSignal(panel.users_loaded, timeout=10_000):
        qtbot.mouseClick(panel.refresh_button, CLICK)
    panel.select_username("bacsi")
    qtbot.mouseClick(panel.edit_button, CLICK)
    dialog = panel.dialog
    assert (
        dialog.isVisible() and dialog.full_name_edit.text() == "BS. Minh" and dialog.licence_edit.text() == ""
    )
    dialog.licence_edit.setText("000123/HP-CCHN")
    with qtbot.waitSignal(panel.users_loaded, timeout=10_000):
        qtbot.mouseClick(dialog.submit_button, CLICK)
    assert {u.username: u.licence_no for u in users.list_users(admin_session)}["bacsi"] == "000123/HP-CCHN"
    assert "Đã sửa thông tin bacsi" in panel.status_label.text()


def test_disable_and_enable_a_user(qtbot, page, admin_session):
    users.add_user(admin_session, "bacsi", "doctor", "Bac-si-2026x", "BS. Minh")
    panel = page.users_panel
    with qtbot.waitSignal(panel.users_loaded, timeout=10_000):
        qtbot.mouseClick(panel.refresh_button, CLICK)
    panel.select_username("bacsi")
    assert panel.active_button.text() == "Vô hiệu hóa" and panel.active_button.isEnabled()
    qtbot.mouseClick(panel.active_button, CLICK)
    box = panel.confirm_box
    assert box is not None and box.isVisible()
    assert box.button(QMessageBox.StandardButton.Cancel).text() == "Hủy"
    with qtbot.waitSignal(panel.users_loaded, timeout=10_000):
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Ok), CLICK)
    assert {u.username: u.active for u in users.list_users(admin_session)}["bacsi"] is False
    assert ["bacsi", "BS. Minh", "Bác sĩ", "Vô hiệu"] in table_texts(panel)
    with pytest.raises(AuthenticationFailed):
        login(admin_session.paths, "bacsi", "Bac-si-2026x")

    panel.select_username("bacsi")
    assert panel.active_button.text() == "Kích hoạt"
    with qtbot.waitSignal(panel.users_loaded, timeout=10_000):
        qtbot.mouseClick(panel.active_button, CLICK)
    assert {u.username: u.active for u in users.list_users(admin_session)}["bacsi"] is True


def test_cancelled_confirmation_changes_nothing(qtbot, page, admin_session):
    users.add_user(admin_session, "bacsi", "doctor", "Bac-si-2026x", "BS. Minh")
    panel = page.users_panel
    with qtbot.waitSignal(panel.users_loaded, timeout=10_000):
        panel.refresh()
    panel.select_username("bacsi")
    loaded = panel.task  # the list's load, finished
    qtbot.mouseClick(panel.active_button, CLICK)
    box = panel.confirm_box
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), CLICK)
    qtbot.waitUntil(lambda: panel.confirm_box is None and not (alive(box) and box.isVisible()), timeout=5_000)
    assert (
        panel.task is loaded and not panel.busy
    )  # the answer started nothing (a confirmed one starts at once)
    assert {u.username: u.active for u in users.list_users(admin_session)}["bacsi"] is True


def test_cannot_disable_yourself_shows_core_message(qtbot, page):
    panel = page.users_panel
    panel.select_username("admin")
    qtbot.mouseClick(panel.active_button, CLICK)
    qtbot.mouseClick(panel.confirm_box.button(QMessageBox.StandardButton.Ok), CLICK)
    qtbot.waitUntil(lambda: panel.error_label.isVisible(), timeout=10_000)
    assert "Không thể tự vô hiệu hóa" in panel.error_label.text()


def test_reset_someone_elses_password(qtbot, page, admin_session):
    users.add_user(admin_session, "bacsi", "doctor", "Bac-si-2026x", "BS. Minh")
    panel = page.users_panel
    with qtbot.waitSignal(panel.users_loaded, timeout=10_000):
        panel.refresh()
    panel.select_username("bacsi")
    qtbot.mouseClick(panel.password_button, CLICK)
    dialog = panel.dialog
    assert dialog.windowTitle() == "Đổi mật khẩu cho bacsi"
    dialog.password_edit.setText("Mat-khau-moi-1")
    dialog.password2_edit.setText("Mat-khau-moi-1")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.mouseClick(dialog.submit_button, CLICK)
    assert panel.status_label.text() == "Đã đổi mật khẩu cho bacsi."
    login(admin_session.paths, "bacsi", "Mat-khau-moi-1").close()


def test_unlock_a_locked_out_account(qtbot, page, admin_session):
    users.add_user(admin_session, "bacsi", "doctor", "Bac-si-2026x", "BS. Minh")
    for _ in range(admin_session.keystore.policy.max_failures):
        with pytest.raises((AuthenticationFailed, AccountLocked)):  # the last failure locks the account
            admin_session.keystore.unwrap_with_password("bacsi", "sai-mat-khau")
    panel = page.users_panel
    with qtbot.waitSignal(panel.users_loaded, timeout=10_000):
        panel.refresh()
    assert ["bacsi", "BS. Minh", "Bác sĩ", "Đang bị khóa"] in table_texts(panel)
    panel.select_username("bacsi")
    assert panel.unlock_button.isEnabled()
    with qtbot.waitSignal(panel.users_loaded, timeout=10_000):
        qtbot.mouseClick(panel.unlock_button, CLICK)
    assert {u.username: u.locked for u in users.list_users(admin_session)}["bacsi"] is False
    assert ["bacsi", "BS. Minh", "Bác sĩ", "Hoạt động"] in table_texts(panel)
    login(admin_session.paths, "bacsi", "Bac-si-2026x").close()


def test_change_my_own_password(qtbot, page, admin_session):
    qtbot.mouseClick(page.own_password_button, CLICK)
    dialog = page.password_dialog
    assert dialog.windowTitle() == "Đổi mật khẩu của tôi"
    dialog.current_edit.setText("sai-mat-khau-1")
    dialog.password_edit.setText("Mat-khau-moi-2026")
    dialog.password2_edit.setText("Mat-khau-moi-2026")
    qtbot.mouseClick(dialog.submit_button, CLICK)
    qtbot.waitUntil(lambda: "Sai" in dialog.error_label.text(), timeout=10_000)  # wrong current password
    assert dialog.isVisible()
    dialog.current_edit.setText(ADMIN_PASSWORD)
    dialog.password_edit.setText("Mat-khau-moi-2026")
    dialog.password2_edit.setText("Mat-khau-moi-2026")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.mouseClick(dialog.submit_button, CLICK)
    assert page.me_status.text() == "Đã đổi mật khẩu của bạn."
    login(admin_session.paths, "admin", "Mat-khau-moi-2026").close()
    with pytest.raises(AuthenticationFailed):
        login(admin_session.paths, "admin", ADMIN_PASSWORD)


def audit_checks(ctx) -> list[tuple[str, dict]]:
    with ctx.read() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action == "audit.verify")).all()
    return [(r.actor, json.loads(r.details)) for r in rows]


def test_audit_check_reports_an_intact_chain(qtbot, page, admin_session):
    panel = page.audit_panel
    with qtbot.waitSignal(panel.checked, timeout=10_000):
        qtbot.mouseClick(panel.check_button, CLICK)
    assert panel.report is not None and panel.report.ok
    assert panel.result_label.text().startswith("Nhật ký truy cập nguyên vẹn")
    # The page runs the core's check: recorded in the trail, by whom and with what result.
    assert audit_checks(admin_session) == [
        ("admin", {"ok": True, "events": panel.report.events, "first_bad_seq": None})
    ]


def test_audit_check_is_refused_by_the_core_without_the_permission(qtbot, admin_session):
    # The page hides the section from a doctor; even a panel handed the doctor's session cannot check.
    users.add_user(admin_session, "bacsi", "doctor", "Bac-si-2026x", "BS. Minh")
    doctor = login(admin_session.paths, "bacsi", "Bac-si-2026x")
    try:
        panel = AuditPanel()
        qtbot.addWidget(panel)
        panel.set_session(doctor)
        with qtbot.waitSignal(panel.checked, timeout=10_000):
            qtbot.mouseClick(panel.check_button, CLICK)
        assert panel.report is None
        assert "không có quyền xem và kiểm tra nhật ký truy cập" in panel.result_label.text()
        assert audit_checks(admin_session) == []
    finally:
        doctor.close()


def test_audit_check_reports_a_tampered_anchor(qtbot, page, admin_session):
    anchor = admin_session.paths.anchor
    data = json.loads(anchor.read_text())
    data["seq"] += 5  # claims events that are not in the database (the MAC no longer matches)
    anchor.write_text(json.dumps(data))
    panel = page.audit_panel
    with qtbot.waitSignal(panel.checked, timeout=10_000):
        qtbot.mouseClick(panel.check_button, CLICK)
    assert not panel.report.ok
    assert "can thiệp" in panel.result_label.text()


def test_security_policy_is_shown_and_saved_through_the_core(qtbot, page, admin_session):
    panel = page.policy_panel
    assert page.policy_section.isVisible()
    qtbot.waitUntil(lambda: panel.policy is not None, timeout=10_000)
    assert panel.values() == {"max_failures": 5, "lockout_minutes": 15, "idle_lock_minutes": 10}
    panel.spins["max_failures"].setValue(4)
    panel.spins["idle_lock_minutes"].setValue(3)
    with qtbot.waitSignal(panel.saved, timeout=10_000) as saved:
        qtbot.mouseClick(panel.save_button, CLICK)
    assert saved.args[0] == LockoutPolicy(4, 15, 3)
    assert security_policy.current_policy(admin_session) == LockoutPolicy(4, 15, 3)
    assert panel.result_label.text().startswith("Đã lưu: khóa tài khoản sau 4 lần")
    with admin_session.read() as s:
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "settings.security")).all()
    assert event.actor == "admin"
    assert json.loads(event.details)["new"] == {"max_failures": 4, "idle_lock_minutes": 3}


def test_backup_writes_a_verified_file(qtbot, page, tmp_path):
    panel = page.backup_panel
    chosen: list[Path] = []

    def choose(parent, suggested: Path) -> Path:
        chosen.append(suggested)
        return tmp_path / "sao-luu"  # no suffix: the page adds .kskbak

    panel.choose_path = choose
    with qtbot.waitSignal(panel.finished, timeout=30_000):
        qtbot.mouseClick(panel.backup_button, CLICK)
    assert chosen[0].name.startswith("ksk-saoluu-") and chosen[0].suffix == ".kskbak"
    assert (tmp_path / "sao-luu.kskbak").is_file()
    assert panel.info is not None
    assert panel.result_label.text().startswith("Đã tạo và kiểm tra bản sao lưu")


def test_backup_cancelled_does_nothing(qtbot, page, tmp_path):
    panel = page.backup_panel
    panel.choose_path = lambda parent, suggested: None
    qtbot.mouseClick(panel.backup_button, CLICK)
    assert panel.task is None and panel.result_label.text() == ""


def test_user_without_admin_rights_sees_a_plain_sentence(qtbot, admin_session):
    users.add_user(admin_session, "bacsi", "doctor", "Bac-si-2026x", "BS. Minh")
    doctor = login(admin_session.paths, "bacsi", "Bac-si-2026x")
    try:
        widget = AdminPage(doctor)
        qtbot.addWidget(widget)
        widget.show()
        assert widget.no_access_label.isVisible()
        assert "không có quyền" in widget.no_access_label.text()
        assert not widget.users_section.isVisible()
        assert not widget.audit_section.isVisible() and not widget.backup_section.isVisible()
        assert widget.users_panel.session is None
        assert widget.own_password_button.isEnabled()
    finally:
        doctor.close()


def test_station_head_manages_users_but_not_all_roles(qtbot, admin_session):
    users.add_user(admin_session, "truongtram", "head", "Truong-tram-2026", "BS. Hạnh")
    head = login(admin_session.paths, "truongtram", "Truong-tram-2026")
    try:
        widget = AdminPage(head)
        qtbot.addWidget(widget)
        widget.show()
        assert widget.users_section.isVisible() and not widget.no_access_label.isVisible()
        # The security policy is the administrator's alone; handed the head's session anyway, its panel
        # gets the core's refusal and offers nothing to save.
        assert not widget.policy_section.isVisible() and widget.policy_panel.session is None
        policy = PolicyPanel()
        qtbot.addWidget(policy)
        policy.set_session(head)
        with qtbot.waitSignal(policy.loaded, timeout=10_000) as loaded:
            policy.refresh()
        assert loaded.args[0] is None and policy.policy is None
        assert "không có quyền thay đổi cài đặt" in policy.result_label.text()
        assert not policy.save_button.isEnabled()
        panel = widget.users_panel
        qtbot.waitUntil(lambda: len(panel.rows) == 2, timeout=10_000)
        qtbot.mouseClick(panel.add_button, CLICK)
        dialog = panel.dialog
        dialog.username_edit.setText("qtv2")
        dialog.role_combo.setCurrentIndex(dialog.role_combo.findData(Role.ADMIN.value))
        dialog.password_edit.setText("Quan-tri-2027")
        dialog.password2_edit.setText("Quan-tri-2027")
        qtbot.mouseClick(dialog.submit_button, CLICK)
        qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=10_000)
        assert "Chỉ quản trị viên" in dialog.error_label.text()  # the core decides, the page shows it
        dialog.reject()
    finally:
        head.close()
