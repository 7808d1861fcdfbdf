"""The "Lịch khám" page on a real encrypted station: campaign, site and day dialogs (with the past-date and
no-capacity messages and their choices), the planner's preview and commit, the day view (move, notify, cancel,
lock), read-only for reception, and the page in the main window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import text

from conftest import COMMUNE, FROZEN_DAY, frozen_clock
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.people import persons
from ksk_desktop.scheduling import campaigns, days, planner, sites
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login
from ui.main_window import MainWindow
from ui.reports.page import ReportsPage
from ui.schedule.day_dialog import to_qdate
from ui.schedule.day_view import APPOINTMENT_ROLE
from ui.schedule.page import SchedulePage

TODAY = FROZEN_DAY  # the sessions' clock is frozen on it


@pytest.fixture
def session_clock():
    return frozen_clock(TODAY)


CLICK = Qt.MouseButton.LeftButton
RECEPTION, RECEPTION_PASSWORD = "letan", "Le-tan-khoa-2026"


def q(ctx, sql: str, **params):
    with ctx.read() as s:
        return s.execute(text(sql), params).all()


def add_people(ctx, n: int, seed: int = 5) -> None:
    rows = generate_people(n, seed=seed, commune_code=COMMUNE, reference_date=TODAY)
    persons.create_many(ctx, [persons.PersonInput.from_dict(p) for p in rows])


@pytest.fixture
def page(qtbot, admin_session):
    widget = SchedulePage(admin_session)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    with qtbot.waitSignal(widget.refreshed, timeout=10_000):  # the lists are read when the page is shown
        widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def world(admin_session):
    """200 people, a campaign for every group, the station (10 people an hour) with two days from tomorrow."""
    ctx = admin_session
    add_people(ctx, 200)
    camp = campaigns.create_campaign(ctx, name="Khám định kỳ", year=TODAY.year, groups="a,b,c,d,đ")
    site = sites.add_site(ctx, name="Trạm Y tế xã", capacity_per_hour=10)
    ds = [
        days.add_day(ctx, site_id=site.id, day=TODAY + timedelta(days=i), hours="07:30-09:30,13:30-14:30")
        for i in (1, 2)
    ]
    return {"ctx": ctx, "campaign": camp.id, "site": site.id, "days": [d.id for d in ds]}


def submit(qtbot, dialog) -> None:
    qtbot.mouseClick(dialog.submit_button, CLICK)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)


# -- campaign, site, day ------------------------------------------------------------------------------------------------
def test_create_a_campaign_through_its_dialog(qtbot, page, admin_session):
    dialog = page.add_campaign()
    assert dialog is not None and dialog.isVisible()
    assert "Người cao tuổi" in dialog.group_checks["a"].text()  # labels from the catalogue
    submit(qtbot, dialog)
    assert "tên đợt khám" in dialog.error_label.text()  # nothing typed: said, nothing written
    assert campaigns.list_campaigns(admin_session) == []
    QTest.keyClicks(dialog.name_edit, "KSK 2026 ")  # keys (ASCII: QTest types Latin-1)
    dialog.name_edit.setText(dialog.name_edit.text() + "Khám sức khỏe")
    dialog.group_checks["d"].setChecked(False)
    assert not dialog.form_combos["d"].isEnabled()
    combo = dialog.form_combos["c"]
    combo.setCurrentIndex(combo.findData("elderly"))
    with qtbot.waitSignal(page.refreshed, timeout=10_000):
        submit(qtbot, dialog)
    (c,) = campaigns.list_campaigns(admin_session)
    assert c.name == "KSK 2026 Khám sức khỏe" and c.year == TODAY.year and c.groups == ["a", "b", "c", "đ"]
    assert c.exam_forms == {"a": "elderly", "b": "child", "c": "elderly", "đ": "adult"}
    assert page.campaigns_model.rowCount() == 1 and "KSK 2026 Khám sức khỏe" in page.status_label.text()
    assert q(admin_session, "SELECT count(*) FROM audit_event WHERE action = 'campaign.create'")[0][0] == 1


def test_site_and_day_dialogs_with_past_date_and_no_capacity(qtbot, page, admin_session):
    dialog = page.add_site()
    dialog.name_edit.setText("Nhà văn hóa thôn Đông")
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("village_hall"))
    assert dialog.mobile_check.isChecked()  # every kind but the station is mobile
    dialog.address_edit.setText("Thôn Đông, xã Kiến Thụy")
    dialog.capacity_spin.setValue(0)
    assert dialog.note_label.isVisible() and "Chưa đặt công suất" in dialog.note_label.text()
    with qtbot.waitSignal(page.refreshed, timeout=10_000):
        submit(qtbot, dialog)
    (site,) = sites.list_sites(admin_session)
    assert (site.kind, site.mobile, site.capacity_per_hour, site.address) == (
        "village_hall",
        True,
        None,
        "Thôn Đông, xã Kiến Thụy",
    )
    assert page.sites_model.text(0, 3) == "Chưa đặt"

    day = page.add_day()
    assert day.site_combo.currentData() == site.id
    day.date_edit.setDate(to_qdate(TODAY - timedelta(days=1)))
    submit(qtbot, day)
    assert "đã qua" in day.error_label.text()
    assert day.choice_row.isVisible() and "hôm nay" in day.choice_button.text()
    qtbot.mouseClick(day.choice_button, CLICK)  # the choice: take today
    assert day.date_edit.date() == to_qdate(TODAY) and not day.choice_row.isVisible()
    day.date_edit.setDate(to_qdate(TODAY + timedelta(days=3)))
    submit(qtbot, day)
    assert "chưa đặt công suất" in day.error_label.text()
    assert days.list_days(admin_session) == []  # nothing written on either error
    assert "20 người/ca" in day.choice_button.text()
    qtbot.mouseClick(day.choice_button, CLICK)  # the choice: give the day its own capacity
    assert day.capacity_spin.value() == 20
    assert "14 ca × 20 người = 280 người" in day.summary_label.text()
    with qtbot.waitSignal(page.refreshed, timeout=10_000):
        submit(qtbot, day)
    (d,) = days.list_days(admin_session)
    assert (d.date, d.capacity_per_slot, d.capacity, d.booked) == (
        (TODAY + timedelta(days=3)).isoformat(),
        20,
        280,
        0,
    )
    assert page.days_model.rowCount() == 1 and page.days_model.text(0, 4) == "280"

    edit = page.edit_site(page.sites_model.row(0))
    assert not edit.kind_combo.isEnabled()
    edit.capacity_spin.setValue(30)
    with qtbot.waitSignal(page.refreshed, timeout=10_000):
        submit(qtbot, edit)
    assert sites.list_sites(admin_session)[0].capacity_per_hour == 30


# -- planner ----------------------------------------------------------------------------------------------------------
def test_plan_preview_then_commit(qtbot, world, page):
    ctx = world["ctx"]
    page.refresh()
    dialog = page.open_plan()
    assert dialog.campaign_combo.currentData() == world["campaign"]
    dialog.to_edit.setDate(to_qdate(TODAY + timedelta(days=2)))
    assert not dialog.commit_button.isEnabled()  # nothing previewed yet
    with qtbot.waitSignal(dialog.previewed, timeout=20_000):
        qtbot.mouseClick(dialog.preview_button, CLICK)
    preview = dialog.preview
    assert q(ctx, "SELECT count(*) FROM appointment")[0][0] == 0  # a preview writes nothing
    expected = planner.plan(ctx, world["campaign"], TODAY, TODAY + timedelta(days=2), dry_run=True).to_json()
    assert preview["counts"] == expected["counts"]
    assert preview["counts"]["placed"] == 2 * 6 * 5 and preview["counts"]["unplaced"] == 200 - 60
    items = dialog.day_items()
    assert [it.text(4) for it in items] == ["30", "30"]  # placed per day
    assert sum(int(items[0].child(i).text(4)) for i in range(items[0].childCount())) == 30  # per slot
    assert dialog.unplaced_model.rowCount() == 140 and "Hết chỗ" in dialog.reasons_label.text()
    assert "Xem trước" in dialog.summary_label.text()

    dialog.rebalance_check.setChecked(True)  # a change of choice: preview again before committing
    assert not dialog.commit_button.isEnabled() and dialog.preview is None
    dialog.rebalance_check.setChecked(False)
    with qtbot.waitSignal(dialog.previewed, timeout=20_000):
        qtbot.mouseClick(dialog.preview_button, CLICK)
    with qtbot.waitSignal(dialog.planned, timeout=20_000):
        qtbot.mouseClick(dialog.commit_button, CLICK)
    assert dialog.result["counts"]["new"] == 60 and "Đã lập lịch" in dialog.summary_label.text()
    placed = {p["person_id"]: p["slot_id"] for p in dialog.result["placed"]}
    stored = dict(q(ctx, "SELECT person_id, slot_id FROM appointment WHERE status = 'scheduled'"))
    assert stored == placed
    assert q(ctx, "SELECT count(*) FROM outbox WHERE kind = 'appointment'")[0][0] == 60
    # The page learns of the new bookings from the operation's changes.
    qtbot.waitUntil(lambda: [page.days_model.text(r, 5) for r in range(2)] == ["30", "30"], timeout=10_000)
    dialog.reject()


def test_plan_without_open_days_says_why(qtbot, admin_session, page):
    add_people(admin_session, 10)
    campaigns.create_campaign(admin_session, name="Đợt 1", year=TODAY.year, groups="a,b,c,d,đ")
    with qtbot.waitSignal(page.refreshed, timeout=10_000):  # written by another program: "Làm mới"
        page.refresh()
    dialog = page.open_plan()
    qtbot.mouseClick(dialog.preview_button, CLICK)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=10_000)
    assert "Không có ngày khám nào" in dialog.error_label.text()
    assert not dialog.commit_button.isEnabled()


# -- the day view ---------------------------------------------------------------------------------------------------
@pytest.fixture
def planned(world):
    planner.plan(world["ctx"], world["campaign"], TODAY, TODAY + timedelta(days=2))
    return world


def open_first_day(qtbot, page):
    with qtbot.waitSignal(page.refreshed, timeout=10_000):
        page.refresh()
    page.days_table.select_first()
    with qtbot.waitSignal(page.dialog_opened, timeout=10_000) as opened:
        QTest.keyClick(page.days_table, Qt.Key.Key_Return)
    view = opened.args[0]
    qtbot.waitUntil(lambda: view.day_data is not None, timeout=10_000)
    return view


def test_day_view_lists_the_appointments_and_moves_one(qtbot, planned, page):
    ctx = planned["ctx"]
    view = open_first_day(qtbot, page)
    day_id = planned["days"][0]
    stored = q(
        ctx,
        "SELECT a.id, s.start_time FROM appointment a JOIN slot s ON s.id = a.slot_id WHERE a.day_id = :d",
        d=day_id,
    )
    shown = {it.data(0, APPOINTMENT_ROLE)["appointment_id"] for it in view.appointment_items()}
    assert shown == {r.id for r in stored} and len(shown) == 30
    assert view.tree.topLevelItemCount() == 6 and view.tree.topLevelItem(0).text(1) == "5/5 người"
    assert "đã hẹn 30/30" in view.info_label.text()
    assert (
        q(ctx, "SELECT count(*) FROM audit_event WHERE action = 'schedule.read'")[0][0] == 1
    )  # reading is audited

    # Move someone from the first slot of day 1 to day 2, where someone was cancelled to make room.
    other = q(ctx, "SELECT id FROM appointment WHERE day_id = :d ORDER BY id LIMIT 1", d=planned["days"][1])[
        0
    ].id
    first = view.tree.topLevelItem(0).child(0).data(0, APPOINTMENT_ROLE)
    view.select_appointment(first["appointment_id"])
    move = view.move_selected()
    qtbot.waitUntil(lambda: move.slot_combo.count() == 6, timeout=10_000)  # read on the worker thread
    assert "ca hiện tại" in move.slot_combo.itemText(0)
    move.slot_combo.setCurrentIndex(1)
    submit(qtbot, move)
    assert "đã đủ" in move.error_label.text() or "đủ 5 người" in move.error_label.text()  # full slot: refused
    move.reject()

    from ksk_desktop.scheduling import appointments

    appointments.cancel_appointment(ctx, other, "thử")
    (free_slot,) = q(ctx, "SELECT slot_id FROM appointment WHERE id = :i", i=other)[0]
    move = view.move_selected()
    qtbot.waitUntil(lambda: move.slot_combo.count() == 6, timeout=10_000)
    move.day_combo.setCurrentIndex(move.day_combo.findData(planned["days"][1]))
    qtbot.waitUntil(lambda: move.slot_combo.findData(free_slot) >= 0, timeout=10_000)
    move.slot_combo.setCurrentIndex(move.slot_combo.findData(free_slot))
    assert "còn 1/5" in move.slot_combo.currentText()
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        submit(qtbot, move)
    row = q(ctx, "SELECT day_id, slot_id, locked FROM appointment WHERE id = :i", i=first["appointment_id"])[
        0
    ]
    assert tuple(row) == (planned["days"][1], free_slot, 1)  # moved by hand: locked against re-planning
    assert "Đã chuyển" in view.status_label.text()
    shown = {it.data(0, APPOINTMENT_ROLE)["appointment_id"] for it in view.appointment_items()}
    assert first["appointment_id"] not in shown and len(shown) == 29
    assert view.tree.topLevelItem(0).text(1) == "4/5 người"


def test_day_view_notify_cancel_and_lock(qtbot, planned, page):
    ctx = planned["ctx"]
    view = open_first_day(qtbot, page)
    items = view.appointment_items()
    two = [items[0].data(0, APPOINTMENT_ROLE), items[1].data(0, APPOINTMENT_ROLE)]
    view.tree.clearSelection()
    items[0].setSelected(True)
    items[1].setSelected(True)
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        qtbot.mouseClick(view.notify_button, CLICK)
    assert {
        r[0]
        for r in q(
            ctx,
            "SELECT status FROM appointment WHERE id IN (:a, :b)",
            a=two[0]["appointment_id"],
            b=two[1]["appointment_id"],
        )
    } == {"notified"}
    assert "Đã đánh dấu 2 người" in view.status_label.text()
    assert "Đã báo lịch" in view.appointment_items()[0].text(6)

    view.select_appointment(two[0]["appointment_id"])
    view.cancel_selected()
    box = next(w for w in view.findChildren(QMessageBox) if w.isVisible())
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        qtbot.mouseClick(box.button(QMessageBox.StandardButton.Ok), CLICK)
    assert (
        q(ctx, "SELECT status FROM appointment WHERE id = :i", i=two[0]["appointment_id"])[0][0]
        == "cancelled"
    )
    assert len(view.appointment_items()) == 29

    assert view.lock_button.text() == "Khóa ngày"
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        qtbot.mouseClick(view.lock_button, CLICK)
    assert q(ctx, "SELECT locked FROM exam_day WHERE id = :d", d=planned["days"][0])[0][0] == 1
    assert (
        q(
            ctx,
            "SELECT count(*) FROM appointment WHERE day_id = :d AND locked = 0 AND status IN "
            "('scheduled', 'notified')",
            d=planned["days"][0],
        )[0][0]
        == 0
    )
    assert view.lock_button.text() == "Mở khóa ngày" and "ĐÃ KHÓA" in view.info_label.text()
    qtbot.waitUntil(lambda: page.days_model.text(0, 7) == "Đã khóa", timeout=10_000)  # from the changes
    # a locked day takes nobody new when planning again
    again = planner.plan(ctx, planned["campaign"], TODAY, TODAY + timedelta(days=2), dry_run=True)
    assert all(p.day_id != planned["days"][0] for p in again.placed if p.action != "unchanged")


# -- roles and the window -------------------------------------------------------------------------------------------
def test_reception_sees_the_schedule_read_only(qtbot, planned, station, session_clock):
    users.add_user(planned["ctx"], RECEPTION, "reception", RECEPTION_PASSWORD, "ĐD. Thử")
    paths, _ = station
    ctx = login(paths, RECEPTION, RECEPTION_PASSWORD, clock=session_clock)
    try:
        widget = SchedulePage(ctx)
        qtbot.addWidget(widget)
        with qtbot.waitSignal(widget.refreshed, timeout=10_000):
            widget.show()
        assert widget.read_only_label.isVisible() and widget.days_model.rowCount() == 2
        for b in (
            widget.plan_button,
            widget.add_day_button,
            widget.add_campaign_button,
            widget.add_site_button,
            widget.edit_site_button,
        ):
            assert not b.isVisible()
        assert widget.add_campaign() is None and widget.open_plan() is None and widget.add_day() is None
        widget.days_table.select_first()
        view = widget.open_day(widget.days_table.current_row())
        qtbot.waitUntil(lambda: view.day_data is not None, timeout=10_000)
        assert len(view.appointment_items()) == 30
        for b in (view.move_button, view.notify_button, view.cancel_button, view.lock_button):
            assert not b.isVisible()
        assert view.print_day_button.isVisible()  # reception prints the day's list
        view.tree.topLevelItem(0).child(0).setSelected(True)
        assert view.move_selected() is None
        view.reject()
    finally:
        ctx.close()


def test_pages_in_the_main_window_and_locking(qtbot, world, station):
    paths, _ = station
    window = MainWindow(world["ctx"], paths, idle_timeout_ms=600_000)
    qtbot.addWidget(window)
    window.show()
    schedule = window.pages[window.stack.indexOf(window.findChild(SchedulePage))]
    assert schedule.loads == 0  # not shown yet: nothing read
    with qtbot.waitSignal(schedule.refreshed, timeout=10_000):
        window.show_page("Lịch khám")
    assert window.stack.currentWidget() is schedule and schedule.days_model.rowCount() == 2
    window.show_page("Báo cáo")
    assert isinstance(window.stack.currentWidget(), ReportsPage)
    schedule.set_session(None)  # what locking does: nothing stays on screen
    assert schedule.days_model.rowCount() == 0 and schedule.sites_model.rowCount() == 0
    with qtbot.waitSignal(window.closed, timeout=10_000):
        window.close()


def test_day_capacity_cannot_drop_below_the_people_booked(qtbot, planned, page):
    ctx = planned["ctx"]
    view = open_first_day(qtbot, page)
    assert view.capacity_spin.value() == 5
    view.capacity_spin.setValue(4)
    qtbot.mouseClick(view.capacity_button, CLICK)
    qtbot.waitUntil(lambda: view.error_label.isVisible(), timeout=10_000)
    assert "đã có 5 người" in view.error_label.text() and "Chuyển bớt" in view.error_label.text()
    assert q(ctx, "SELECT capacity_per_slot FROM exam_day WHERE id = :d", d=planned["days"][0])[0][0] == 5
    view.capacity_spin.setValue(8)
    with qtbot.waitSignal(view.loaded, timeout=10_000):
        qtbot.mouseClick(view.capacity_button, CLICK)
    assert q(ctx, "SELECT capacity_per_slot FROM exam_day WHERE id = :d", d=planned["days"][0])[0][0] == 8
    assert "còn trống 18" in view.info_label.text() and view.tree.topLevelItem(0).text(1) == "5/8 người"


def pdf_text(path) -> str:
    import subprocess

    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_print_buttons_preview_the_day_schedule_and_a_call_list(qtbot, planned, page, tmp_path, monkeypatch):
    from test_printing_ui import save_from_preview

    ctx = planned["ctx"]
    view = open_first_day(qtbot, page)
    qtbot.mouseClick(view.print_day_button, CLICK)  # made on the worker, shown in the print preview
    assert save_from_preview(qtbot, view, tmp_path / "lich.pdf", monkeypatch) >= 1
    schedule = pdf_text(tmp_path / "lich.pdf")
    names = [
        r[0]
        for r in q(
            ctx,
            "SELECT p.full_name FROM appointment a JOIN person p ON p.id = a.person_id WHERE a.day_id = :d",
            d=planned["days"][0],
        )
    ]
    assert len(names) == 30
    flat = " ".join(schedule.split())
    assert all(" ".join(n.split()) in flat for n in names)  # everyone booked that day is on it
    assert (TODAY + timedelta(days=1)).strftime("%d/%m/%Y") in schedule

    hamlets = [view.hamlet_combo.itemData(i) for i in range(view.hamlet_combo.count())]
    assert hamlets and all(h is not None for h in hamlets)
    hamlet = max(
        hamlets,
        key=lambda h: sum(
            1 for it in view.appointment_items() if (it.data(0, APPOINTMENT_ROLE)["hamlet"] or "") == h
        ),
    )
    view.hamlet_combo.setCurrentIndex(view.hamlet_combo.findData(hamlet))
    qtbot.mouseClick(view.print_calls_button, CLICK)
    save_from_preview(qtbot, view, tmp_path / "goi.pdf", monkeypatch)
    day = (TODAY + timedelta(days=1)).isoformat()
    calls = " ".join(pdf_text(tmp_path / "goi.pdf").split())
    mine = [
        n
        for n, h in q(
            ctx,
            "SELECT p.full_name, p.hamlet FROM appointment a JOIN person p ON p.id = a.person_id "
            "JOIN exam_day d ON d.id = a.day_id WHERE d.exam_date = :t",
            t=day,
        )
        if (h or "") == hamlet
    ]
    others = [n for n in names if n not in mine]
    assert mine and all(" ".join(n.split()) in calls for n in mine)
    assert not any(" ".join(n.split()) in calls for n in others)  # only that hamlet's people
    assert (
        q(ctx, "SELECT count(*) FROM audit_event WHERE action IN ('print.schedule', 'print.calllist')")[0][0]
        == 2
    )
