"""Every dialog the pages open, on a real station inside the real event loop: opened and closed twice in a row,
then the window locked (the data leaves the screen and memory, the session closes), unlocked, the dialog once
more, and the window left by "Đăng xuất".

Each dialog is deleted when it finishes; the pages once kept plain references to them and called them later:
the second scan and the second person card raised ``RuntimeError``, and after a card or the Báo cáo drill-down
a lock stopped half-way (the page never forgot its data). Exceptions in Qt's slots fail these tests (pytest-qt).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from exam_support import fill_adult
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget
from sqlalchemy import text

from conftest import ADMIN, ADMIN_PASSWORD, COMMUNE, FROZEN_DAY, frozen_clock
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.exams import plan, records, signing
from ksk_desktop.people import persons
from ksk_desktop.scheduling import campaigns, days, planner, sites
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login
from ui import ops
from ui.dialog_owner import alive
from ui.main_window import MainWindow
from ui.people.people_model import PERSON_ID_ROLE

CLICK = Qt.MouseButton.LeftButton
HEAD = ("truongtram", "Truong-tram-2026")
DOCTOR = ("bacsi", "Bac-si-khoa-2026")
RECEPTION = ("letan", "Le-tan-khoa-2026")
PASSWORDS = {ADMIN: ADMIN_PASSWORD, **dict([HEAD, DOCTOR, RECEPTION])}
CARD = (
    "031085999901|999888701|Nguyễn Văn Thử|15041985|Nam|Số 0 Phố Kiểm Thử, Phường Hồng Bàng, "
    "Thành phố Hải Phòng|10052021"
)
STRANGER = "031303999902||Trần Thị Mẫu|02032003|Nữ|Thôn Thử Nghiệm, Xã Việt Khê, Thành phố Hải Phòng|20042021"


@pytest.fixture
def session_clock():
    return frozen_clock()  # 07:00 on FROZEN_DAY: the day's slots are all ahead


@pytest.fixture
def world(admin_session):
    """80 people, a campaign, a site with a day today (group a booked) and one later, the other roles, a signed
    exam of today by the doctor, and one item the hub refused (parked)."""
    ctx = admin_session
    rows = generate_people(80, seed=5, commune_code=COMMUNE, reference_date=FROZEN_DAY)
    persons.create_many(ctx, [persons.PersonInput.from_dict(p) for p in rows])
    camp = campaigns.create_campaign(ctx, name="KSK", year=FROZEN_DAY.year, groups="a,b,c,d,đ")
    site = sites.add_site(ctx, name="Trạm Y tế xã", capacity_per_hour=20)
    today = days.add_day(ctx, site_id=site.id, day=FROZEN_DAY, hours="07:30-09:30")
    days.add_day(ctx, site_id=site.id, day=FROZEN_DAY + timedelta(days=3), hours="07:30-11:30")
    planner.plan(ctx, camp.id, FROZEN_DAY, FROZEN_DAY, population=planner.Population(groups={"a"}))
    users.add_user(ctx, HEAD[0], "head", HEAD[1], "BS. Trưởng Trạm")
    users.add_user(ctx, DOCTOR[0], "doctor", DOCTOR[1], "BS. Thử", "000999/HP-CCHN")
    users.add_user(ctx, RECEPTION[0], "reception", RECEPTION[1], "ĐD. Thử")
    examined = persons.create_person(
        ctx, persons.PersonInput(full_name="Trần Văn Khám", birth_year=1980, sex="M", hamlet="Thôn 1")
    ).id
    doctor = login(ctx.paths, *DOCTOR, clock=ctx.clock)
    try:
        exam_id = records.open_draft(doctor, examined).document["id"]
        fill_adult(doctor, exam_id)
        suggested = plan.suggest_for(doctor, exam_id)
        plan.set_plan(doctor, exam_id, suggested["referrals"], suggested["followups"], expected_version=0)
        signing.sign(doctor, exam_id, DOCTOR[1])
    finally:
        doctor.close()
    with ctx.write() as s:  # as the sync worker leaves an item the hub refused
        s.execute(
            text(
                "UPDATE outbox SET state = 'parked', last_error = 'rejected: thiếu số định danh' "
                "WHERE seq = (SELECT min(seq) FROM outbox WHERE kind = 'person')"
            )
        )
    return {"ctx": ctx, "day": today.id, "examined": examined}


@pytest.fixture
def open_window(qtbot, station, session_clock):
    paths, _ = station
    windows: list[MainWindow] = []

    def open_as(username: str) -> MainWindow:
        session = login(paths, username, PASSWORDS[username], clock=session_clock)
        window = MainWindow(session, paths, idle_timeout_ms=600_000)
        qtbot.addWidget(window)
        window.resize(1366, 728)
        window.show()
        qtbot.waitUntil(lambda: window.station_name != "", timeout=10_000)
        windows.append(window)
        return window

    yield open_as
    for window in windows:
        if not window.session.closed and not window.session.closing:
            window.session.close()


def settle(qtbot) -> None:
    qtbot.waitUntil(lambda: ops.pending_count() == 0, timeout=15_000)


def click(qtbot, button: QWidget) -> None:
    """Click *button* once it can be clicked (some wait for their page's data)."""
    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled(), timeout=10_000)
    qtbot.mouseClick(button, CLICK)


# -- how each dialog is opened from its page, and when it is ready --------------------------------------------------
def open_scan(qtbot, w: MainWindow) -> QDialog:
    w.show_page("Người dân")
    w.on_scan(CARD)  # what the wedge scanner calls with a card's payload
    dialog = w.scan_dialog
    qtbot.waitUntil(lambda: dialog.state != "loading" and not dialog.busy, timeout=10_000)
    return dialog


def open_card(qtbot, w: MainWindow) -> QDialog:
    w.show_page("Người dân")
    page = w.people_page
    qtbot.waitUntil(  # the rows fetched
        lambda: page.model.data(page.model.index(0, 0), PERSON_ID_ROLE) is not None, timeout=10_000
    )
    first = page.model.index(0, 0)
    table = page.table
    table.setFocus()
    table.setCurrentIndex(first)
    qtbot.keyClick(table, Qt.Key.Key_Return)  # or a double click: the list's "activated"
    card = page.card
    assert card is not None and card.isVisible()
    qtbot.waitUntil(lambda: card.record is not None, timeout=10_000)
    return card


def open_import(qtbot, w: MainWindow) -> QDialog:
    w.show_page("Người dân")
    click(qtbot, w.people_page.import_button)
    return w.people_page.import_wizard


def open_duplicates(qtbot, w: MainWindow) -> QDialog:
    w.show_page("Người dân")
    click(qtbot, w.people_page.duplicates_button)
    dialog = w.people_page.duplicates_dialog
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    return dialog


def open_camera(qtbot, w: MainWindow) -> QDialog:
    click(qtbot, w.camera_button)
    return w.dialogs.get("camera")


def open_drill(qtbot, w: MainWindow) -> QDialog:
    w.show_page("Báo cáo")
    page = w.stack.currentWidget()
    qtbot.waitUntil(lambda: page.data is not None and page.model.rowCount() > 0, timeout=10_000)
    page.table.selectRow(0)
    click(qtbot, page.drill_button)
    dialog = page.drill_dialog
    settle(qtbot)
    return dialog


def schedule_page(qtbot, w: MainWindow):  # noqa: ANN201 - the SchedulePage
    w.show_page("Lịch khám")
    page = w.stack.currentWidget()
    qtbot.waitUntil(lambda: page.days_model.rowCount() > 0 and bool(page.site_list), timeout=10_000)
    return page


def schedule_opener(tab: int, button: str) -> Callable[..., QDialog]:
    def open_it(qtbot, w: MainWindow) -> QDialog:
        page = schedule_page(qtbot, w)
        page.tabs.setCurrentIndex(tab)
        if button == "edit_site_button":
            page.sites_table.select_first()
        click(qtbot, getattr(page, button))
        settle(qtbot)
        return page.dialog

    return open_it


def open_day_view(qtbot, w: MainWindow) -> QDialog:
    page = schedule_page(qtbot, w)
    page.tabs.setCurrentIndex(0)
    page.days_table.select_first()
    click(qtbot, page.open_day_button)
    view = page.dialog
    qtbot.waitUntil(lambda: view.day_data is not None and not view.busy, timeout=10_000)
    return view


def open_move(qtbot, w: MainWindow) -> QDialog:
    view = open_day_view(qtbot, w)
    view.tree.setCurrentItem(view.tree.topLevelItem(0).child(0))
    click(qtbot, view.move_button)
    settle(qtbot)
    return view.move_dialog


def open_end_of_day(qtbot, w: MainWindow) -> QDialog:
    w.show_page("Hôm nay")
    page = w.today_page
    qtbot.waitUntil(lambda: page.has_exam_day, timeout=10_000)
    click(qtbot, page.end_day_button)
    settle(qtbot)
    return page.end_of_day


def open_walk_in(qtbot, w: MainWindow) -> QDialog:
    w.show_page("Hôm nay")
    page = w.today_page
    qtbot.waitUntil(lambda: page.has_exam_day and page.accepts_scans(), timeout=10_000)
    w.on_scan(STRANGER)  # a stranger's card at the desk: registered first, then taken as a walk-in
    result = page.checkin_panel.result
    qtbot.waitUntil(lambda: result.state == "choice" and not page.flow.busy, timeout=10_000)
    click(qtbot, result.choice("choiceRegister"))
    dialog = page.flow.walk_in_dialog
    qtbot.waitUntil(lambda: dialog.state != "loading" and not dialog.busy, timeout=10_000)
    return dialog


def open_amend(qtbot, w: MainWindow, world: dict) -> QDialog:
    w.show_page("Khám")
    editor = w.exams_page.editor
    with qtbot.waitSignal(editor.opened, timeout=10_000):
        w.exams_page.open_exam(world["examined"])
    click(qtbot, editor.bar.amend_button)
    return editor.dialog


def open_enroll(qtbot, w: MainWindow) -> QDialog:
    w.show_page("Đồng bộ")
    page = w.sync_page
    click(qtbot, page.enroll_button)
    return page.enroll_dialog


def open_dismiss(qtbot, w: MainWindow) -> QDialog:
    w.show_page("Đồng bộ")
    page = w.sync_page
    qtbot.waitUntil(lambda: page.parked_table.rowCount() == 1, timeout=10_000)
    page.parked_table.selectRow(0)
    click(qtbot, page.dismiss_button)
    return page.dismiss_dialog


def open_add_user(qtbot, w: MainWindow) -> QDialog:
    w.show_page("Quản trị")
    panel = w.admin_page.users_panel
    click(qtbot, panel.add_button)
    return panel.dialog


def open_own_password(qtbot, w: MainWindow) -> QDialog:
    w.show_page("Quản trị")
    click(qtbot, w.admin_page.own_password_button)
    return w.admin_page.password_dialog


@dataclass(frozen=True)
class Journey:
    kind: str
    role: str
    open: Callable[..., QDialog]
    needs_world: bool = False


JOURNEYS = [
    Journey("scan", ADMIN, open_scan),
    Journey("person card", RECEPTION[0], open_card),
    Journey("import wizard", ADMIN, open_import),
    Journey("duplicates", ADMIN, open_duplicates),
    Journey("camera", RECEPTION[0], open_camera),
    Journey("Báo cáo drill-down", HEAD[0], open_drill),
    Journey("campaign", HEAD[0], schedule_opener(1, "add_campaign_button")),
    Journey("site", HEAD[0], schedule_opener(2, "add_site_button")),
    Journey("site edit", HEAD[0], schedule_opener(2, "edit_site_button")),
    Journey("exam day", HEAD[0], schedule_opener(0, "add_day_button")),
    Journey("planner", HEAD[0], schedule_opener(0, "plan_button")),
    Journey("day view", HEAD[0], open_day_view),
    Journey("move appointment", HEAD[0], open_move),
    Journey("end of day", HEAD[0], open_end_of_day),
    Journey("walk-in registration", RECEPTION[0], open_walk_in),
    Journey("Khám amendment", DOCTOR[0], open_amend, needs_world=True),
    Journey("sync enrolment", ADMIN, open_enroll),
    Journey("parked item dismissal", ADMIN, open_dismiss),
    Journey("add user", ADMIN, open_add_user),
    Journey("own password", DOCTOR[0], open_own_password),
]


def open_dialog(qtbot, window: MainWindow, journey: Journey, world: dict) -> QDialog:
    dialog = journey.open(qtbot, window, world) if journey.needs_world else journey.open(qtbot, window)
    assert isinstance(dialog, QDialog) and dialog.isVisible(), journey.kind
    return dialog


def close_like_a_user(qtbot, dialog: QDialog) -> None:
    """Escape (the dialog's own reject(): it may refuse while busy, so wait until it is idle)."""
    qtbot.waitUntil(lambda: not getattr(dialog, "busy", False), timeout=10_000)
    dialog.reject()
    qtbot.waitUntil(lambda: not alive(dialog), timeout=5_000)  # finished, then deleted by Qt


def visible_dialogs(window: MainWindow) -> list[QDialog]:
    return [d for d in window.findChildren(QDialog) if d.isVisible()]


def lock_and_check(qtbot, window: MainWindow) -> None:
    session = window.session
    click(qtbot, window.lock_button)
    assert window.is_locked and not window.workspace.isVisible()
    qtbot.waitUntil(lambda: session.closed and window.session_closed, timeout=10_000)
    assert visible_dialogs(window) == [window.unlock_dialog]
    for page in window.pages:  # every page let go of the session, so nothing of anyone is kept
        assert page.session is None, type(page).__name__
    assert window.people_page.model.rowCount() == 0 and window.today_page.facts is None


def unlock(qtbot, window: MainWindow) -> None:
    dialog = window.unlock_dialog
    dialog.password_edit.setText(PASSWORDS[window.session.user.username])
    with qtbot.waitSignal(window.unlocked, timeout=10_000):
        qtbot.mouseClick(dialog.login_button, CLICK)
    assert not window.is_locked and window.workspace.isVisible()


@pytest.mark.parametrize("journey", JOURNEYS, ids=[j.kind for j in JOURNEYS])
def test_each_dialog_twice_then_lock_unlock_again_and_log_out(qtbot, world, open_window, journey, caplog):
    caplog.set_level(logging.ERROR)
    window = open_window(journey.role)
    for _ in range(2):
        dialog = open_dialog(qtbot, window, journey, world)
        close_like_a_user(qtbot, dialog)
        settle(qtbot)
    open_dialog(qtbot, window, journey, world)  # left open: the lock must close it
    lock_and_check(qtbot, window)
    unlock(qtbot, window)
    dialog = open_dialog(qtbot, window, journey, world)
    close_like_a_user(qtbot, dialog)
    open_dialog(qtbot, window, journey, world)
    session = window.session
    with qtbot.waitSignal(window.logged_out, timeout=10_000):
        click(qtbot, window.logout_button)
    assert session.closed and not visible_dialogs(window)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records
    ]


def test_second_scan_replaces_the_first_and_a_busy_one_is_kept(qtbot, world, open_window):
    window = open_window(ADMIN)
    first = open_scan(qtbot, window)
    second = open_scan(qtbot, window)  # scanned again while the first is still open: it is replaced
    assert second is not first and window.scan_dialog is second
    qtbot.waitUntil(lambda: not alive(first), timeout=5_000)
    second.task = ops.run_in_background(lambda: None)  # as if saving: a scan meanwhile is not mixed into it
    window.on_scan(STRANGER)
    assert window.scan_dialog is second
    settle(qtbot)


def test_ctrl_l_and_the_idle_lock_after_a_card_and_the_drill_down(qtbot, world, open_window):
    window = open_window(HEAD[0])
    close_like_a_user(qtbot, open_card(qtbot, window))
    close_like_a_user(qtbot, open_drill(qtbot, window))
    session = window.session
    window.windowHandle().requestActivate()  # a shortcut reaches only the active window
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(window.stack.currentWidget(), Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.is_locked and not window.workspace.isVisible()
    qtbot.waitUntil(lambda: session.closed, timeout=10_000)
    assert all(page.session is None for page in window.pages)
    unlock(qtbot, window)

    close_like_a_user(qtbot, open_card(qtbot, window))
    close_like_a_user(qtbot, open_drill(qtbot, window))
    session = window.session
    window.idle_watcher.set_timeout_ms(50)
    qtbot.waitUntil(lambda: window.is_locked, timeout=5_000)
    qtbot.waitUntil(lambda: session.closed, timeout=10_000)
    assert all(page.session is None for page in window.pages)
    assert window.stack.currentWidget().data is None  # the report left memory too


def test_a_dialog_deleted_with_its_page_is_forgotten(qtbot, world, open_window):
    window = open_window(RECEPTION[0])
    card = open_card(qtbot, window)
    card.setParent(None)  # as if its page went first: Qt deletes it without it finishing
    card.deleteLater()
    qtbot.waitUntil(lambda: not alive(card), timeout=5_000)
    assert window.people_page.card is None
    close_like_a_user(qtbot, open_card(qtbot, window))
