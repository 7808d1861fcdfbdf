"""The exam-day desk on the "Hôm nay" page, on a real station with a real exam day, driven through its widgets:
check-in by CCCD scan, by appointment code typed + Enter, by name; a stranger registered and taken as a walk-in;
someone already examined (a warning, and nothing done when declined); the board's steps by role; the end of
the day with no-shows and a make-up day; and the wedge scanner reaching the desk only on the "Hôm nay" page."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from PySide6.QtCore import Qt
from test_schedule import payload_of, q  # the same synthetic CCCD as the core's desk tests
from testkit.keys import type_text, wait_ms

from conftest import COMMUNE, FROZEN_DAY, frozen_clock
from ksk_desktop.db.models import Appointment
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.people import persons
from ksk_desktop.scheduling import appointments as appts
from ksk_desktop.scheduling import campaigns, checkin, days, planner, sites
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login
from ui import ops
from ui.desk.board_model import STATUS
from ui.desk.page import TodayPage
from ui.main_window import MainWindow

CLICK = Qt.MouseButton.LeftButton
TODAY = FROZEN_DAY  # the sessions' clock is frozen on it: the counts below are this day's data's
MORNING = datetime.combine(TODAY, time(7, 0))  # before the first slot: every slot is still ahead
EVENING = datetime.combine(TODAY, time(17, 0))  # after closing time
RECEPTION = ("letan", "Le-tan-khoa-2026")
DOCTOR = ("bacsi", "Bac-si-khoa-2026")
STRANGER = "031303999902||Trần Thị Mẫu|02032003|Nữ|Thôn Thử Nghiệm, Xã Việt Khê, Thành phố Hải Phòng|20042021"


def booked_today(ctx, day_id: str):
    """Today's appointments of people with a card (ID and date of birth), in slot order."""
    return q(
        ctx,
        "SELECT a.id, a.person_id, a.status, a.queue_no FROM appointment a JOIN slot s ON s.id = a.slot_id "
        "JOIN person p ON p.id = a.person_id WHERE a.day_id = :d AND p.personal_id IS NOT NULL "
        "AND p.birth_date IS NOT NULL ORDER BY s.seq, a.id",
        d=day_id,
    )


def status_of(ctx, appointment_id: str) -> tuple[str, int | None]:
    (r,) = q(ctx, "SELECT status, queue_no FROM appointment WHERE id = :i", i=appointment_id)
    return r.status, r.queue_no


@pytest.fixture
def session_clock():
    """Every session of a test shares it: 07:00 on TODAY in Vietnam until a test moves it."""
    return frozen_clock(TODAY, MORNING.time())


@pytest.fixture
def world(admin_session):
    """120 people; this year's campaign; the station with a day today (40 places, 31 booked: group a) and an
    empty day in three days; a doctor and a receptionist."""
    ctx = admin_session
    rows = generate_people(120, seed=11, commune_code=COMMUNE, reference_date=TODAY)
    persons.create_many(ctx, [persons.PersonInput.from_dict(p) for p in rows])
    camp = campaigns.create_campaign(ctx, name="KSK", year=TODAY.year, groups="a,b,c,d,đ")
    site = sites.add_site(ctx, name="Trạm Y tế xã", capacity_per_hour=20)
    today = days.add_day(ctx, site_id=site.id, day=TODAY, hours="07:30-09:30")
    later = days.add_day(ctx, site_id=site.id, day=TODAY + timedelta(days=3), hours="07:30-11:30")
    planner.plan(ctx, camp.id, TODAY, TODAY, population=planner.Population(groups={"a"}))
    users.add_user(ctx, *DOCTOR[:1], "doctor", DOCTOR[1], "BS. Thử")
    users.add_user(ctx, *RECEPTION[:1], "reception", RECEPTION[1], "ĐD. Thử")
    return {
        "ctx": ctx,
        "campaign": camp.id,
        "site": site.id,
        "today": today.id,
        "later": later.id,
    }


@pytest.fixture
def sessions(station, session_clock):
    paths, _ = station
    opened = []

    def open_as(who: tuple[str, str]):
        ctx = login(paths, *who, clock=session_clock)
        opened.append(ctx)
        return ctx

    yield open_as
    for ctx in opened:
        if not ctx.closed:
            ctx.close()


def make_page(qtbot, ctx, at: datetime = MORNING) -> TodayPage:
    """The desk with *ctx*, the sessions' clock moved to *at* (Vietnam's wall clock on TODAY)."""
    ctx.clock.set_vietnam(at)
    page = TodayPage(None)
    qtbot.addWidget(page)
    page.resize(1300, 800)
    page.show()
    page.set_session(ctx)
    qtbot.waitUntil(lambda: page.snapshot is not None, timeout=10_000)
    return page


def wait_result(qtbot, page: TodayPage, state: str) -> None:
    result = page.checkin_panel.result
    qtbot.waitUntil(lambda: result.state == state and not page.flow.busy, timeout=10_000)


def wait_board(qtbot, page: TodayPage, check) -> None:
    qtbot.waitUntil(lambda: page.board_task is not None and page.board_task.done and check(), timeout=10_000)


def board_row(page: TodayPage, appointment_id: str) -> dict | None:
    return next((r for r in page.board_panel.model.all_rows() if r["appointment_id"] == appointment_id), None)


# -- check-in -------------------------------------------------------------------------------------------------------
def test_a_scan_of_a_booked_person_checks_in_with_the_next_queue_number(qtbot, world, sessions):
    reception = sessions(RECEPTION)
    page = make_page(qtbot, reception)
    assert page.has_exam_day and page.accepts_scans()
    counters = {k: c.value_label.text() for k, c in page.board_panel.counters.items()}
    assert counters == {
        "booked": "31",
        "expected": "31",
        "waiting": "0",
        "in_exam": "0",
        "done": "0",
        "no_show": "0",
        "free": "9",
    }
    first, second = booked_today(reception, world["today"])[:2]
    checkin.checkin_by_appointment(world["ctx"], first.id, today=TODAY)  # someone came before: number 1

    page.handle_scan(payload_of(reception, second.person_id))
    wait_result(qtbot, page, "checked_in")
    result = page.checkin_panel.result
    assert result.queue_label.text() == "2"
    name = q(reception, "SELECT full_name FROM person WHERE id = :p", p=second.person_id)[0][0]
    assert result.name_label.text().startswith(name) and result.head_label.text() == "Đã tiếp đón"
    assert result.slot_label.text().startswith("Ca 07:")
    assert status_of(reception, second.id) == ("checked_in", 2)
    wait_board(qtbot, page, lambda: (board_row(page, second.id) or {}).get("status") == "checked_in")
    assert page.board_panel.selected_id() == second.id  # the new arrival is selected on the board
    row = page.board_panel.model.row_of(second.id)
    assert page.board_panel.model.index(row, STATUS).data() == "Đang chờ khám"
    assert page.board_panel.counters["waiting"].value_label.text() == "2"

    page.handle_scan(
        payload_of(reception, second.person_id)
    )  # scanned again: the same number, nothing written
    wait_result(qtbot, page, "checked_in")
    assert result.queue_label.text() == "2" and result.head_label.text() == "Đã tiếp đón từ trước"


def test_an_appointment_code_typed_and_enter_checks_in(qtbot, world, sessions):
    reception = sessions(RECEPTION)
    page = make_page(qtbot, reception)
    appt = booked_today(reception, world["today"])[3]
    edit = page.checkin_panel.code_edit
    edit.setFocus()
    qtbot.keyClicks(
        edit, appt.id.replace("-", "").upper()
    )  # as a barcode reader without dashes might send it
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    wait_result(qtbot, page, "checked_in")
    assert page.checkin_panel.result.queue_label.text() == "1"
    assert status_of(reception, appt.id) == ("checked_in", 1)
    assert edit.text() == ""  # ready for the next one

    qtbot.keyClicks(edit, "khong-phai-ma")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    wait_result(qtbot, page, "error")
    assert page.checkin_panel.result.head_label.text() == "Không nhận ra mã"
    assert "“khong-phai-ma”" in page.checkin_panel.result.text_label.text()

    qtbot.keyClicks(edit, "031099000000")  # an ID number nobody on the list holds
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    wait_result(qtbot, page, "error")
    assert "Không có ai mang số …0000 " in page.checkin_panel.result.text_label.text()
    assert "031099000000" not in page.checkin_panel.result.text_label.text()


def test_an_id_number_typed_and_enter_checks_in_through_the_core(qtbot, world, sessions):
    reception = sessions(RECEPTION)
    page = make_page(qtbot, reception)
    appt = booked_today(reception, world["today"])[4]
    pid_ = q(reception, "SELECT personal_id FROM person WHERE id = :p", p=appt.person_id)[0][0]
    edit = page.checkin_panel.code_edit
    edit.setFocus()
    with qtbot.waitSignal(page.flow.checked_in, timeout=10_000) as done:
        qtbot.keyClicks(edit, pid_)  # the QR cannot be read: the number printed on the card, typed
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    wait_result(qtbot, page, "checked_in")
    assert done.args[0]["matched_by"] == "personal_id"  # the core's check-in by ID number answered
    assert done.args[0]["appointment"]["id"] == appt.id
    assert page.checkin_panel.result.queue_label.text() == "1"
    assert status_of(reception, appt.id) == ("checked_in", 1)


def test_search_by_name_checks_in_someone_without_their_card(qtbot, world, sessions):
    reception = sessions(RECEPTION)
    page = make_page(qtbot, reception)
    appt = booked_today(reception, world["today"])[5]
    pid_, name = q(reception, "SELECT personal_id, full_name FROM person WHERE id = :p", p=appt.person_id)[0]
    search = page.checkin_panel.search_edit
    qtbot.keyClicks(search, pid_)  # the whole ID number finds exactly one person
    results = page.checkin_panel.results
    qtbot.waitUntil(lambda: results.count() == 1 and results.isVisible(), timeout=10_000)
    assert results.item(0).text().startswith(name)
    qtbot.keyClick(search, Qt.Key.Key_Return)
    wait_result(qtbot, page, "checked_in")
    assert status_of(reception, appt.id) == ("checked_in", 1)
    assert not results.isVisible() and search.text() == ""


def test_a_stranger_is_registered_and_given_the_next_free_slot(qtbot, world, sessions):
    reception = sessions(RECEPTION)
    page = make_page(qtbot, reception)
    before = persons.count_people(reception)
    page.handle_scan(STRANGER)
    wait_result(qtbot, page, "choice")
    result = page.checkin_panel.result
    assert result.head_label.text() == "Chưa có trong danh sách người dân"
    assert persons.count_people(reception) == before  # nothing written by the scan itself
    qtbot.mouseClick(result.choice("choiceRegister"), CLICK)
    dialog = page.flow.walk_in_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.state == "new", timeout=10_000)
    dialog.hamlet_combo.setEditText("Thôn Thử Nghiệm")
    qtbot.mouseClick(dialog.register_button, CLICK)
    qtbot.waitUntil(lambda: dialog.state == "created", timeout=10_000)
    qtbot.mouseClick(dialog.close_button, CLICK)
    wait_result(qtbot, page, "checked_in")
    assert result.head_label.text() == "Đã tiếp nhận khám ngoài lịch"
    assert result.queue_label.text() == "1" and result.name_label.text().startswith("Trần Thị Mẫu")
    assert persons.count_people(reception) == before + 1
    (appt,) = q(
        reception,
        "SELECT a.id, a.walk_in, a.status, s.start_time FROM appointment a JOIN slot s "
        "ON s.id = a.slot_id JOIN person p ON p.id = a.person_id WHERE p.full_name = 'Trần Thị Mẫu'",
    )
    assert appt.walk_in and appt.status == "checked_in"
    # the next free slot: the first slot of the day with a place left
    (first_free,) = q(
        reception,
        "SELECT s.start_time FROM slot s WHERE s.day_id = :d AND (SELECT count(*) FROM "
        "appointment a WHERE a.slot_id = s.id AND a.id != :a) < s.capacity ORDER BY s.seq "
        "LIMIT 1",
        d=world["today"],
        a=appt.id,
    )
    assert appt.start_time == first_free.start_time
    wait_board(qtbot, page, lambda: board_row(page, appt.id) is not None)
    assert "(ngoài lịch)" in page.board_panel.model.index(page.board_panel.model.row_of(appt.id), 2).data()


def test_someone_known_but_not_on_todays_list_is_offered_a_walk_in(qtbot, world, sessions):
    reception = sessions(RECEPTION)
    page = make_page(qtbot, reception)
    (pid,) = q(
        reception,
        "SELECT id FROM person WHERE personal_id IS NOT NULL AND birth_date IS NOT NULL AND id NOT "
        "IN (SELECT person_id FROM appointment) LIMIT 1",
    )[0]
    page.handle_scan(payload_of(reception, pid))
    wait_result(qtbot, page, "choice")
    result = page.checkin_panel.result
    assert "không có trong danh sách khám hôm nay" in result.text_label.text()
    qtbot.mouseClick(result.choice("choiceSkip"), CLICK)  # declined: nothing written
    assert result.state == "empty" and not q(
        reception, "SELECT id FROM appointment WHERE person_id = :p", p=pid
    )
    page.handle_scan(payload_of(reception, pid))
    wait_result(qtbot, page, "choice")
    qtbot.mouseClick(result.choice("choiceWalkIn"), CLICK)
    wait_result(qtbot, page, "checked_in")
    (appt,) = q(reception, "SELECT status, walk_in, queue_no FROM appointment WHERE person_id = :p", p=pid)
    assert appt.status == "checked_in" and appt.walk_in and appt.queue_no == 1


def test_already_examined_this_year_warns_and_does_nothing_when_declined(qtbot, world, sessions):
    ctx = world["ctx"]
    reception = sessions(RECEPTION)
    # examined earlier this year (on another exam day of the campaign)
    (pid,) = q(
        ctx,
        "SELECT id FROM person WHERE personal_id IS NOT NULL AND birth_date IS NOT NULL AND id NOT IN "
        "(SELECT person_id FROM appointment) LIMIT 1",
    )[0]
    walk = checkin.walk_in(
        ctx, pid, day_id=world["later"], now=datetime.combine(TODAY + timedelta(days=3), time(7, 0))
    )
    with ctx.write() as s:
        appts.change(
            ctx, s, s.get(Appointment, walk.appointment["id"]), "appointment.test_examined", status="examined"
        )
    page = make_page(qtbot, reception)
    counted = q(ctx, "SELECT (SELECT count(*) FROM appointment), (SELECT count(*) FROM outbox)")[0]
    page.handle_scan(payload_of(reception, pid))
    wait_result(qtbot, page, "choice")
    result = page.checkin_panel.result
    assert result.head_label.text() == "Đã khám trong năm"
    assert "đã khám ngày" in result.text_label.text() and "không cần khám lại" in result.text_label.text()
    assert [b.objectName() for b in result.choice_buttons] == ["choiceSkip", "choiceOpen"]
    assert result.choice_buttons[0].isDefault()
    qtbot.mouseClick(result.choice("choiceSkip"), CLICK)
    assert result.state == "empty"
    assert q(ctx, "SELECT (SELECT count(*) FROM appointment), (SELECT count(*) FROM outbox)")[0] == counted

    opened: list[str] = []
    page.open_person.connect(opened.append)
    page.handle_scan(payload_of(reception, pid))
    wait_result(qtbot, page, "choice")
    qtbot.mouseClick(result.choice("choiceOpen"), CLICK)
    assert opened == [pid]


# -- the board ------------------------------------------------------------------------------------------------------
def test_board_steps_change_statuses_and_each_role_sees_its_own(qtbot, world, sessions):
    reception, doctor = sessions(RECEPTION), sessions(DOCTOR)
    rows = booked_today(reception, world["today"])
    page = make_page(qtbot, reception)
    panel = page.board_panel
    assert not panel.buttons["examined"].isVisible()  # a receptionist does not record exams
    assert all(panel.buttons[k].isVisible() for k in ("checkin", "start_exam", "requeue", "no_show"))

    assert panel.select(rows[0].id)
    assert panel.buttons["checkin"].isEnabled() and not panel.buttons["start_exam"].isEnabled()
    qtbot.mouseClick(panel.buttons["checkin"], CLICK)
    wait_result(qtbot, page, "checked_in")
    wait_board(qtbot, page, lambda: (board_row(page, rows[0].id) or {}).get("status") == "checked_in")
    assert panel.selected_id() == rows[0].id and panel.buttons["start_exam"].isEnabled()
    qtbot.mouseClick(panel.buttons["start_exam"], CLICK)
    wait_board(qtbot, page, lambda: (board_row(page, rows[0].id) or {}).get("status") == "in_exam")
    assert status_of(reception, rows[0].id)[0] == "in_exam" and panel.selected_id() == rows[0].id
    qtbot.mouseClick(panel.buttons["requeue"], CLICK)
    wait_board(qtbot, page, lambda: (board_row(page, rows[0].id) or {}).get("status") == "checked_in")
    assert status_of(reception, rows[0].id) == ("checked_in", 1)

    assert panel.select(rows[1].id)
    qtbot.mouseClick(panel.buttons["no_show"], CLICK)
    wait_board(qtbot, page, lambda: (board_row(page, rows[1].id) or {}).get("status") == "no_show")
    assert status_of(reception, rows[1].id)[0] == "no_show"
    assert panel.counters["no_show"].value_label.text() == "1"
    panel.set_filter("Vắng mặt")
    assert panel.model.rowCount() == 1 and panel.model.row_data(0)["appointment_id"] == rows[1].id

    doc_page = make_page(qtbot, doctor)
    doc_panel = doc_page.board_panel
    assert doc_panel.buttons["examined"].isVisible()
    assert doc_panel.select(rows[0].id)
    qtbot.mouseClick(doc_panel.buttons["examined"], CLICK)
    wait_board(qtbot, doc_page, lambda: (board_row(doc_page, rows[0].id) or {}).get("status") == "examined")
    assert status_of(doctor, rows[0].id)[0] == "examined"
    assert doc_panel.counters["done"].value_label.text() == "1"


def test_the_board_refreshes_on_its_own_and_keeps_the_selection(qtbot, world, sessions):
    reception = sessions(RECEPTION)
    page = make_page(qtbot, reception)
    page.timer.setInterval(100)
    rows = booked_today(reception, world["today"])
    assert page.board_panel.select(rows[2].id)
    checkin.checkin_by_appointment(world["ctx"], rows[4].id, today=TODAY)  # another laptop's check-in
    wait_board(qtbot, page, lambda: (board_row(page, rows[4].id) or {}).get("status") == "checked_in")
    assert page.board_panel.selected_id() == rows[2].id


# -- the end of the day ---------------------------------------------------------------------------------------------
def test_end_of_day_marks_no_shows_and_books_a_make_up_day(qtbot, world, sessions):
    ctx = world["ctx"]
    rows = booked_today(ctx, world["today"])
    for r in rows[:3]:
        checkin.checkin_by_appointment(ctx, r.id, today=TODAY)
    page = make_page(qtbot, ctx, EVENING)
    qtbot.mouseClick(page.end_day_button, CLICK)
    dialog = page.end_of_day
    assert dialog is not None and dialog.state == "confirm"
    assert dialog.people.count() == 28 and "28 người" in dialog.summary_label.text()
    assert "3 người đã tiếp đón nhưng chưa khám xong" in dialog.summary_label.text()
    qtbot.mouseClick(dialog.mark_button, CLICK)
    qtbot.waitUntil(lambda: dialog.state == "reconciled", timeout=10_000)
    assert (
        q(ctx, "SELECT count(*) FROM appointment WHERE day_id = :d AND status = 'no_show'", d=world["today"])[
            0
        ][0]
        == 28
    )
    assert dialog.makeup_button.isVisible() and dialog.makeup_combo.currentData() == world["later"]
    dialog.people.item(0).setCheckState(Qt.CheckState.Unchecked)  # this one will not be booked again
    skipped = dialog.people.item(0).data(Qt.ItemDataRole.UserRole + 1)
    qtbot.mouseClick(dialog.makeup_button, CLICK)
    qtbot.waitUntil(lambda: dialog.state == "rescheduled", timeout=10_000)
    made = q(ctx, "SELECT rescheduled_from FROM appointment WHERE day_id = :d", d=world["later"])
    assert len(made) == 27 and skipped not in {m.rescheduled_from for m in made}
    assert (
        q(
            ctx,
            "SELECT count(*) FROM appointment WHERE day_id = :d AND status = 'rescheduled'",
            d=world["today"],
        )[0][0]
        == 27
    )
    assert "Đã hẹn khám bù 27 người" in dialog.summary_label.text()
    wait_board(qtbot, page, lambda: page.board_panel.counters["expected"].value_label.text() == "0")


def test_end_of_day_before_closing_time_says_so_and_a_receptionist_cannot_book_make_up_days(
    qtbot, world, sessions
):
    reception = sessions(RECEPTION)
    page = make_page(qtbot, reception)  # 07:00: the day has not closed
    qtbot.mouseClick(page.end_day_button, CLICK)
    dialog = page.end_of_day
    qtbot.mouseClick(dialog.mark_button, CLICK)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=10_000)
    assert "chưa hết giờ khám" in dialog.error_label.text() and dialog.state == "confirm"
    assert not q(reception, "SELECT id FROM appointment WHERE status = 'no_show'")
    dialog.reject()

    reception.clock.set_vietnam(EVENING)
    qtbot.mouseClick(page.end_day_button, CLICK)
    dialog = page.end_of_day
    qtbot.mouseClick(dialog.mark_button, CLICK)
    qtbot.waitUntil(lambda: dialog.state == "reconciled", timeout=10_000)
    assert not dialog.makeup_button.isVisible() and "Trưởng trạm" in dialog.note_label.text()


# -- no exam day, and the scanner -----------------------------------------------------------------------------------
def test_without_an_exam_day_the_page_says_so_and_scans_open_the_card(qtbot, station, admin_session):
    paths, _ = station
    window = MainWindow(admin_session, paths, idle_timeout_ms=600_000)
    qtbot.addWidget(window)
    window.show()
    page = window.today_page
    qtbot.waitUntil(lambda: page.snapshot is not None, timeout=10_000)
    assert not page.has_exam_day and page.stack.currentWidget() is page.no_day
    assert "không có ngày khám" in page.no_day_text.text() and not page.end_day_button.isVisible()
    window.on_scan(STRANGER)
    dialog = window.scan_dialog
    assert dialog is not None  # the old behaviour: identify or register
    qtbot.waitUntil(lambda: dialog.state != "loading", timeout=10_000)
    assert dialog.state == "new" and page.checkin_panel.result.state == "empty"
    dialog.done(0)
    qtbot.mouseClick(page.schedule_button, CLICK)
    assert window.current_page_title() == "Lịch khám"


def test_the_wedge_scanner_reaches_the_desk_only_on_the_today_page(qtbot, world, station, sessions):
    paths, _ = station
    reception = sessions(RECEPTION)
    window = MainWindow(reception, paths, idle_timeout_ms=600_000)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    page = window.today_page
    page.refresh_board()
    qtbot.waitUntil(lambda: page.has_exam_day, timeout=10_000)
    first, second = booked_today(reception, world["today"])[:2]
    field = page.checkin_panel.search_edit
    field.setFocus()
    qtbot.waitUntil(lambda: ops.pending_count() == 0, timeout=10_000)
    wait_ms(300)  # the window's first layout and paint done: a scan's keys arrive a few ms apart
    type_text(field, payload_of(reception, first.person_id) + "\r", pace_ms=2.0)
    wait_result(qtbot, page, "checked_in")
    assert field.text() == ""  # the burst never reached the field with the focus
    assert window.scan_dialog is None and status_of(reception, first.id) == ("checked_in", 1)

    qtbot.waitUntil(lambda: ops.pending_count() == 0, timeout=10_000)
    wait_ms(300)
    type_text(field, second.id + "\r", pace_ms=2.0)  # the appointment barcode
    qtbot.waitUntil(lambda: status_of(reception, second.id) == ("checked_in", 2), timeout=10_000)
    wait_result(qtbot, page, "checked_in")
    assert page.checkin_panel.result.queue_label.text() == "2"

    window.show_page("Người dân")
    target = window.people_page.search_edit
    target.setFocus()
    wait_ms(400)  # past the echo window of the last scan
    type_text(target, payload_of(reception, first.person_id) + "\r", pace_ms=2.0)
    qtbot.waitUntil(lambda: window.scan_dialog is not None, timeout=5_000)
    qtbot.waitUntil(lambda: window.scan_dialog.state != "loading", timeout=10_000)
    # the person's card (its address differs from the record's), no second check-in
    assert window.scan_dialog.state in ("existing", "differences")
    assert window.scan_dialog.registration.person_id == first.person_id
    assert page.checkin_panel.result.queue_label.text() == "2"
    window.scan_dialog.done(0)


# -- a full day, and the queue ticket -------------------------------------------------------------------------------
def unbooked(ctx, n: int) -> list[str]:
    return [
        r.id
        for r in q(
            ctx,
            "SELECT id FROM person WHERE personal_id IS NOT NULL AND birth_date IS NOT NULL AND "
            "id NOT IN (SELECT person_id FROM appointment) ORDER BY id LIMIT :n",
            n=n,
        )
    ]


def test_a_full_day_offers_over_capacity_only_to_whoever_manages_schedules(qtbot, world, sessions):
    ctx = world["ctx"]
    *fill, late, later = unbooked(ctx, 11)
    for pid in fill:  # the 9 free places go to walk-ins
        checkin.walk_in(ctx, pid, day_id=world["today"], now=MORNING)
    reception = sessions(RECEPTION)
    page = make_page(qtbot, reception)
    assert page.board_panel.counters["free"].value_label.text() == "0"
    page.flow.walk_in(late)
    wait_result(qtbot, page, "choice")
    result = page.checkin_panel.result
    assert result.head_label.text() == "Hôm nay đã kín chỗ" and "đã kín chỗ" in result.text_label.text()
    assert [b.objectName() for b in result.choice_buttons] == ["choiceSkip"]
    assert not q(ctx, "SELECT id FROM appointment WHERE person_id = :p", p=late)

    head_page = make_page(qtbot, ctx)  # the administrator may manage schedules
    head_page.flow.walk_in(later)
    wait_result(qtbot, head_page, "choice")
    head_result = head_page.checkin_panel.result
    assert [b.objectName() for b in head_result.choice_buttons] == ["choiceOverCapacity", "choiceSkip"]
    qtbot.mouseClick(head_result.choice("choiceOverCapacity"), CLICK)
    wait_result(qtbot, head_page, "checked_in")
    assert head_result.queue_label.text() == "10"  # after the nine walk-ins
    (appt,) = q(ctx, "SELECT status, walk_in FROM appointment WHERE person_id = :p", p=later)
    assert appt.status == "checked_in" and appt.walk_in


def test_open_exam_from_the_board_shows_the_persons_exam_on_the_exam_page(qtbot, world, station, sessions):
    paths, _ = station
    doctor = sessions(DOCTOR)
    window = MainWindow(doctor, paths, idle_timeout_ms=600_000)
    qtbot.addWidget(window)
    window.show()
    page = window.today_page
    page.refresh_board()
    qtbot.waitUntil(lambda: page.has_exam_day, timeout=10_000)
    first = booked_today(doctor, world["today"])[0]
    checkin.checkin_by_appointment(doctor, first.id, today=TODAY)
    page.refresh_board()
    wait_board(qtbot, page, lambda: (board_row(page, first.id) or {}).get("status") == "checked_in")
    assert page.board_panel.select(first.id)
    button = page.board_panel.buttons["open_exam"]
    assert button.isVisible() and button.isEnabled()
    button.click()
    assert window.current_page_title() == "Khám"
    editor = window.exams_page.editor
    qtbot.waitUntil(lambda: editor.document.get("person_id") == first.person_id, timeout=10_000)
    assert editor.document["appointment_id"] == first.id and editor.document["status"] == "draft"
