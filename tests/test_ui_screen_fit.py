"""The window and every page fit a station laptop: 1366×768, and 1280×720 at 125 % text scaling (Windows' default
there), which Qt turns into a 1024×576 screen of device-independent pixels; less a 40 px taskbar and the window's
frame. Each page's minimum size (plus the 190 px navigation) fits, for every role, with its data on screen (an exam
open on Khám); at the smallest size the wrapped rows do not overlap what follows, and a dialog that grows after
loading (the scan result) stays on the screen with its buttons.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QScrollArea, QWidget

from conftest import ADMIN, ADMIN_PASSWORD, COMMUNE, FROZEN_DAY, frozen_clock
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.people import persons
from ksk_desktop.scheduling import campaigns, days, planner, sites
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login
from ui import ops
from ui.main_window import PAGE_TITLES, MainWindow
from ui.screen_fit import ASSUMED_FRAME, available_geometry

TASKBAR = 40
SCREENS = {"1366×768": (1366, 768), "1280×720 at 125 %": (1024, 576)}
NAVIGATION = 190
ROLES = {
    ADMIN: ADMIN_PASSWORD,
    "truongtram": "Truong-tram-2026",
    "bacsi": "Bac-si-khoa-2026",
    "letan": "Le-tan-khoa-2026",
}
CARD = (
    "031085999901|999888701|Nguyễn Văn Thử|15041985|Nam|Số 0 Phố Kiểm Thử, Phường Hồng Bàng, "
    "Thành phố Hải Phòng|10052021"
)


def client_area(width: int, height: int) -> tuple[int, int]:
    """What a maximised window's inside can use on a *width*×*height* screen."""
    m = ASSUMED_FRAME
    return width - m.left() - m.right(), height - TASKBAR - m.top() - m.bottom()


@pytest.fixture
def session_clock():
    return frozen_clock()


@pytest.fixture
def world(admin_session):
    ctx = admin_session
    rows = generate_people(60, seed=9, commune_code=COMMUNE, reference_date=FROZEN_DAY)
    persons.create_many(ctx, [persons.PersonInput.from_dict(p) for p in rows])
    camp = campaigns.create_campaign(ctx, name="KSK", year=FROZEN_DAY.year, groups="a,b,c,d,đ")
    site = sites.add_site(ctx, name="Trạm Y tế xã Việt Khê", capacity_per_hour=20)
    days.add_day(ctx, site_id=site.id, day=FROZEN_DAY, hours="07:30-11:30")
    days.add_day(ctx, site_id=site.id, day=FROZEN_DAY + timedelta(days=2), hours="07:30-11:30")
    planner.plan(ctx, camp.id, FROZEN_DAY, FROZEN_DAY, population=planner.Population(groups={"a", "b"}))
    users.add_user(ctx, "truongtram", "head", ROLES["truongtram"], "BS. Trưởng Trạm")
    users.add_user(ctx, "bacsi", "doctor", ROLES["bacsi"], "BS. Nguyễn Văn Thử", "000998/HP-CCHN")
    users.add_user(ctx, "letan", "reception", ROLES["letan"], "ĐD. Trần Thị Thử")
    person = persons.create_person(
        ctx, persons.PersonInput(full_name="Trần Văn Khám", birth_year=1980, sex="M", hamlet="Thôn 1")
    )
    return {"person": person.id}


def settle(qtbot) -> None:
    qtbot.waitUntil(lambda: ops.pending_count() == 0, timeout=15_000)


def open_window(qtbot, station, session_clock, username: str) -> MainWindow:
    paths, _ = station
    window = MainWindow(
        login(paths, username, ROLES[username], clock=session_clock), paths, idle_timeout_ms=600_000
    )
    qtbot.addWidget(window)
    window.resize(1366, 728)
    window.show()
    qtbot.waitUntil(lambda: window.station_name != "", timeout=10_000)
    return window


def show_with_data(qtbot, window: MainWindow, title: str, world: dict) -> QWidget:
    window.show_page(title)
    settle(qtbot)
    page = window.stack.currentWidget()
    if title == "Khám" and window.session.user.role == "doctor":
        with qtbot.waitSignal(page.editor.opened, timeout=10_000):
            page.open_exam(world["person"])
        settle(qtbot)
    return page


def inside(child: QWidget, window: QWidget) -> bool:
    top_left = child.mapTo(window, child.rect().topLeft())
    return QRect(0, 0, window.width(), window.height()).contains(QRect(top_left, child.size()))


@pytest.mark.parametrize("username", list(ROLES))
def test_every_page_fits_both_screens(qtbot, station, world, session_clock, username):
    window = open_window(qtbot, station, session_clock, username)
    too_big = []
    for title in PAGE_TITLES:
        page = show_with_data(qtbot, window, title, world)
        hint = page.minimumSizeHint().expandedTo(page.minimumSize())
        for screen, (w, h) in SCREENS.items():
            width, height = client_area(w, h)
            status = window.statusBar().minimumSizeHint().height()
            if hint.width() + NAVIGATION > width or hint.height() + status > height:
                too_big.append((title, screen, hint.width() + NAVIGATION, hint.height() + status))
    assert not too_big, too_big
    small = client_area(*SCREENS["1280×720 at 125 %"])
    window_hint = window.minimumSizeHint().expandedTo(window.minimumSize())
    assert window_hint.width() <= small[0] and window_hint.height() <= small[1], window_hint
    window.resize(*small)  # the smallest: every control of the status bar is still inside the window
    settle(qtbot)
    assert (window.width(), window.height()) == small
    for button in (window.lock_button, window.logout_button, window.camera_button):
        assert inside(button, window), button.text()
    window.session.close()


def test_wrapped_rows_do_not_overlap_at_the_smallest_size(qtbot, station, world, session_clock):
    window = open_window(qtbot, station, session_clock, "letan")
    window.resize(*client_area(*SCREENS["1280×720 at 125 %"]))
    people = show_with_data(qtbot, window, "Người dân", world)
    qtbot.waitUntil(lambda: people.model.rowCount() > 0, timeout=10_000)
    filters = people.filters.geometry()
    assert people.filters.height() > people.search_edit.height() * 1.5  # wrapped onto a second row
    assert filters.bottom() < people.table.geometry().top()
    assert inside(people.clear_filters_button, window) and inside(people.export_button, window)
    today = show_with_data(qtbot, window, "Hôm nay", world)
    qtbot.waitUntil(lambda: today.has_exam_day, timeout=10_000)
    settle(qtbot)
    board = today.board_panel
    for button in [*board.buttons.values(), *board.counters.values()]:
        if button.isVisibleTo(board):
            assert inside(button, window)
            assert not button.geometry().intersects(board.table.geometry())
    window.resize(1366, 728)  # one row again on the larger screen
    settle(qtbot)
    qtbot.waitUntil(
        lambda: people.filters.height() < people.search_edit.height() * 1.5 or not people.isVisible()
    )
    sync = show_with_data(qtbot, window, "Đồng bộ", world)
    scroll = sync.findChild(QScrollArea, "pageScroll")
    qtbot.waitUntil(lambda: not scroll.verticalScrollBar().isVisible(), timeout=5_000)  # fits 1366×768 whole
    window.resize(*client_area(*SCREENS["1280×720 at 125 %"]))
    qtbot.waitUntil(scroll.verticalScrollBar().isVisible, timeout=5_000)  # scrolls on the small screen
    window.session.close()


def test_the_scan_result_stays_on_screen_with_its_buttons(qtbot, station, world, session_clock):
    window = open_window(qtbot, station, session_clock, ADMIN)
    window.show_page("Người dân")
    window.on_scan(CARD)  # a new person: the dialog grows to the registration form
    dialog = window.scan_dialog
    qtbot.waitUntil(lambda: dialog.state != "loading" and not dialog.busy, timeout=10_000)
    qtbot.waitUntil(lambda: dialog.register_button.isVisible(), timeout=10_000)
    settle(qtbot)
    area = available_geometry(dialog)
    frame = dialog.frameGeometry()
    assert area.contains(frame), (area, frame)
    button = dialog.register_button
    top_left = button.mapToGlobal(button.rect().topLeft())
    assert area.contains(QRect(top_left, button.size())), (area, top_left)
    dialog.reject()
    window.session.close()
