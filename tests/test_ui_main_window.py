"""Main window: navigation, status bar, pages, locking (button and idle) and unlocking, on a real station."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from conftest import frozen_clock
from ksk_desktop.people import persons
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login
from ui.main_window import PAGE_TITLES, MainWindow

ADMIN_PASSWORD = "Quan-tri-2026"
EXPECTED_PAGES = ["Hôm nay", "Người dân", "Lịch khám", "Khám", "Báo cáo", "Đồng bộ", "Quản trị"]


def make_window(qtbot, session, paths, idle_timeout_ms: int = 600_000) -> MainWindow:
    window = MainWindow(session, paths, idle_timeout_ms=idle_timeout_ms)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.station_name != "", timeout=10_000)  # read in the background
    return window


@pytest.fixture
def session_clock():
    """The first session's today is FROZEN_DAY (a session opened by unlocking keeps the locked one's clock)."""
    return frozen_clock()


@pytest.fixture
def window(qtbot, station, admin_session):
    paths, _ = station
    win = make_window(qtbot, admin_session, paths)
    yield win
    if win.session is not None and not win.session.closed:
        win.session.close()


def unlock(qtbot, window: MainWindow, password: str = ADMIN_PASSWORD) -> None:
    dialog = window.unlock_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.password_edit.setText(password)
    qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)


def test_title_navigation_and_status_bar(window):
    assert window.windowTitle() == "KSK Desktop — Trạm Y tế Phường Thành Đông"
    nav = window.findChild(type(window.navigation), "navigation")
    assert nav is window.navigation
    assert [nav.item(i).text() for i in range(nav.count())] == EXPECTED_PAGES
    assert list(PAGE_TITLES) == EXPECTED_PAGES
    assert window.stack.count() == 7
    user_label = window.statusBar().findChild(type(window.user_label), "userLabel")
    assert user_label is not None
    assert "Quản Trị" in user_label.text() and "Quản trị viên" in user_label.text()
    assert window.station_label.text() == "Trạm Y tế Phường Thành Đông"
    lock_button = window.findChild(type(window.lock_button), "lockButton")
    assert lock_button is not None and lock_button.text() == "Khóa"
    assert not window.is_locked


def test_navigation_switches_pages(qtbot, window):
    window.navigation.setCurrentRow(EXPECTED_PAGES.index("Khám"))
    assert window.stack.currentWidget() is window.pages[3]
    assert window.current_page_title() == "Khám"
    window.show_page("Quản trị")
    assert window.stack.currentWidget() is window.admin_page


def test_every_page_is_its_own_feature_page(window):
    from ui.admin.page import AdminPage
    from ui.desk.page import TodayPage
    from ui.exam.page import ExamsPage
    from ui.people.page import PeoplePage
    from ui.reports.page import ReportsPage
    from ui.schedule.page import SchedulePage
    from ui.sync.page import SyncPage

    kinds = [TodayPage, PeoplePage, SchedulePage, ExamsPage, ReportsPage, SyncPage, AdminPage]
    assert [type(p) for p in window.pages] == kinds


def test_today_page_shows_real_facts(qtbot, window, admin_session):
    page = window.today_page
    qtbot.waitUntil(lambda: page.facts is not None, timeout=10_000)
    assert page.facts.people == 0
    assert page.people_card.value_label.text() == "0"
    assert "Trạm Y tế Phường Thành Đông" in page.station_card.value_label.text()
    assert "10507" in page.station_card.detail_label.text()
    assert "Thứ Năm, 26/11/2026" in page.date_label.text()  # FROZEN_DAY, the session's today
    assert page.user_card.value_label.text() == "Quản Trị"
    assert "Quản trị viên" in page.user_card.detail_label.text()

    persons.create_person(
        admin_session, persons.PersonInput(full_name="Nguyễn Văn Thử", birth_year=1960, sex="M")
    )
    with qtbot.waitSignal(page.refreshed, timeout=10_000):
        qtbot.mouseClick(page.refresh_button, Qt.MouseButton.LeftButton)
    assert page.facts.people == 1
    assert page.people_card.value_label.text() == "1"
    assert page.facts.outbox_pending == 1  # the new person waits to be sent to the city hub
    assert page.outbox_card.value_label.text() == "1 mục"


def test_lock_button_locks(qtbot, window, admin_session):
    qtbot.mouseClick(window.lock_button, Qt.MouseButton.LeftButton)
    assert window.is_locked
    assert not window.stack.isVisible()  # at once; the session closes behind it, on the worker
    qtbot.waitUntil(lambda: admin_session.closed, timeout=10_000) and not window.navigation.isVisible()
    assert window.lock_panel.isVisible()
    assert window.unlock_dialog is not None and window.unlock_dialog.isVisible()
    assert window.unlock_dialog.username_edit.text() == "admin"
    assert window.unlock_dialog.username_edit.isReadOnly()
    assert window.today_page.facts is None and window.admin_page.users_panel.table.rowCount() == 0


def test_idle_timeout_locks_the_window(qtbot, station, admin_session):
    paths, _ = station
    window = make_window(qtbot, admin_session, paths, idle_timeout_ms=200)
    qtbot.waitUntil(lambda: window.is_locked, timeout=5_000)
    assert not window.stack.isVisible()
    qtbot.waitUntil(lambda: admin_session.closed, timeout=10_000)
    assert window.unlock_dialog.isVisible()


def test_activity_postpones_the_idle_lock(qtbot, station, admin_session):
    paths, _ = station
    window = make_window(qtbot, admin_session, paths, idle_timeout_ms=1_000)
    target = window.stack.currentWidget()
    timer = window.idle_watcher._timer
    for _ in range(4):  # four times past half the timeout: twice the timeout in all, and never locked
        qtbot.waitUntil(lambda: timer.remainingTime() < 500, timeout=5_000)
        move = QMouseEvent(
            QEvent.Type.MouseMove,
            QPointF(5, 5),
            QPointF(5, 5),
            Qt.MouseButton.NoButton,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(target, move)
        assert not window.is_locked and timer.remainingTime() > 500  # the countdown started again
    qtbot.waitUntil(lambda: window.is_locked, timeout=5_000)


def test_unlock_gives_a_new_working_session(qtbot, window, admin_session):
    window.lock()
    assert window.is_locked
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: not window.is_locked, timeout=10_000)
    new = window.session
    assert new is not admin_session and not new.closed
    assert new.user.username == "admin" and new.clock is admin_session.clock
    assert window.stack.isVisible() and not window.lock_panel.isVisible()
    assert window.today_page.session is new and window.admin_page.session is new
    assert [u.username for u in users.list_users(new)] == ["admin"]  # the new session really works
    qtbot.waitUntil(lambda: window.today_page.facts is not None, timeout=10_000)
    new.close()


def test_unlock_with_wrong_password_stays_locked(qtbot, window):
    window.lock()
    unlock(qtbot, window, "khong-dung-roi")
    dialog = window.unlock_dialog
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=10_000)
    assert "Sai tên đăng nhập hoặc mật khẩu" in dialog.error_label.text()
    assert window.is_locked and not window.stack.isVisible()
    assert dialog.isVisible()


def test_logout_from_lock_screen_closes_the_window(qtbot, window, admin_session):
    window.lock()
    with qtbot.waitSignal(window.logged_out, timeout=5_000):
        qtbot.mouseClick(window.unlock_dialog.logout_button, Qt.MouseButton.LeftButton)
    assert not window.isVisible()
    assert admin_session.closed


def test_lock_closes_open_dialogs(qtbot, window):
    window.show_page("Quản trị")
    panel = window.admin_page.users_panel
    qtbot.waitUntil(lambda: panel.rows != [], timeout=10_000)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert dialog is not None and dialog.isVisible()
    window.lock()
    assert not dialog.isVisible()
    assert window.unlock_dialog.isVisible()


def test_closing_the_window_closes_the_session(qtbot, window, admin_session):
    with qtbot.waitSignal(window.closed, timeout=5_000):
        window.close()
    assert admin_session.closed


def test_default_idle_timeout_comes_from_the_station_policy(qtbot, station):
    paths, _ = station
    session = login(paths, "admin", ADMIN_PASSWORD)
    window = MainWindow(session, paths)
    qtbot.addWidget(window)
    assert window.idle_watcher.timeout_ms == session.keystore.policy.idle_lock_minutes * 60_000
    with qtbot.waitSignal(window.closed, timeout=10_000):
        window.close()
    assert session.closed


def test_an_idle_time_saved_in_quan_tri_applies_at_once(qtbot, station):
    paths, _ = station
    session = login(paths, "admin", ADMIN_PASSWORD)
    window = MainWindow(session, paths)
    qtbot.addWidget(window)
    window.show()
    window.show_page("Quản trị")  # the page reads the policy when it is shown
    panel = window.admin_page.policy_panel
    qtbot.waitUntil(lambda: panel.policy is not None, timeout=10_000)
    panel.spins["idle_lock_minutes"].setValue(2)
    with qtbot.waitSignal(panel.saved, timeout=10_000):
        panel.save()
    assert window.idle_watcher.timeout_ms == 2 * 60_000
    with qtbot.waitSignal(window.closed, timeout=10_000):  # the session closes on the worker
        window.close()
    assert session.closed


def test_idle_watcher_counts_input_as_activity(qtbot):
    from ui.login.idle import IdleWatcher

    watcher = IdleWatcher(150)
    watcher.start()
    try:
        with qtbot.waitSignal(watcher.idle, timeout=2_000):
            pass
        watcher.start()
        qtbot.waitUntil(lambda: watcher._timer.remainingTime() < 100, timeout=2_000)
        app = QApplication.instance()
        press = QMouseEvent(
            QEvent.Type.MouseButtonPress,
            QPoint(1, 1).toPointF(),
            QPoint(1, 1).toPointF(),
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        watcher.eventFilter(app, press)
        assert watcher.active and watcher._timer.remainingTime() > 100
    finally:
        watcher.stop()


def test_a_wedge_scan_anywhere_opens_the_scanned_person(qtbot, window, admin_session):
    from datetime import date

    from testkit.keys import type_text

    from ksk_desktop.people import persons

    card = (
        "031085999901|999888701|Nguyễn Văn Thử|15041985|Nam|"
        "Số 0 Phố Kiểm Thử, Phường Hồng Bàng, Thành phố Hải Phòng|10052021"
    )
    person = persons.create_person(
        admin_session,
        persons.PersonInput(
            "Nguyễn Văn Thử",
            personal_id="031085999901",
            old_id="999888701",
            birth_date=date(1985, 4, 15),
            sex="M",
            permanent_address="Số 0 Phố Kiểm Thử, Phường Hồng Bàng, Thành phố Hải Phòng",
        ),
    )
    window.show_page("Người dân")
    search = window.people_page.search_edit
    search.setFocus()
    type_text(search, card + "\r", pace_ms=2)
    qtbot.waitUntil(lambda: window.scan_dialog is not None and window.scan_dialog.isVisible(), timeout=5000)
    assert search.text() == ""  # the payload was not typed into the focused field
    qtbot.waitUntil(lambda: not window.scan_dialog.busy, timeout=10_000)
    reg = window.scan_dialog.registration
    assert reg.status == "existing" and reg.person_id == person.id
