"""The desk's queue tickets and the waiting room's screen, on a real station with a real exam day, driven through
the widgets: tickets go straight to this computer's ticket printer (a real ``QPrinter`` writing a PDF, read back
with pdftotext) without any file dialog, the printer is chosen once and remembered on this device, a missing
printer is said in Vietnamese; "Gọi vào khám" on the board shows "Mời số … — <phòng>" on the call screen, with
the next numbers and no name. Each journey runs twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shiboken6
import test_ui_desk as desk
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from test_printing_schedule import pdftotext
from test_schedule import q
from test_ui_desk import CLICK, RECEPTION, board_row, booked_today, make_page, wait_board, wait_result

from ksk_desktop.scheduling import board, calling
from ksk_desktop.station import device
from ui.desk.call_display import CallDisplay
from ui.desk.device_dialog import DeviceDialog
from ui.printing import ticket_printer

# The desk's own fixtures: its station with a day today, and the sessions on its frozen clock.
world, sessions, session_clock = desk.world, desk.sessions, desk.session_clock

PRINTER = "Máy in phiếu quầy 1"


@pytest.fixture
def printers(monkeypatch, tmp_path):
    """One ticket printer on this computer, a real QPrinter writing each ticket to ``ve-N.pdf``; its list of
    files. ``printers.unplug()`` takes it away."""
    calls: list[int] = []
    plugged = [True]

    def find(name: str) -> QPrinter | None:
        if name != PRINTER or not plugged[0]:
            return None
        calls.append(1)
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / f"ve-{len(calls)}.pdf"))  # written only when printed on
        return printer

    class Printers:
        def files(self) -> list[Path]:
            return sorted(tmp_path.glob("ve-*.pdf"), key=lambda p: int(p.stem.split("-")[1]))

        def unplug(self) -> None:
            plugged[0] = False

    monkeypatch.setattr(ticket_printer, "find_printer", find)
    monkeypatch.setattr(ticket_printer, "printer_names", lambda: [PRINTER] if plugged[0] else [])
    return Printers()


def visible(kind: type) -> list:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def no_file_dialog() -> bool:
    return not any(isinstance(w, QFileDialog) for w in QApplication.topLevelWidgets())


def question(qtbot) -> QMessageBox:
    qtbot.waitUntil(lambda: bool(visible(QMessageBox)), timeout=10_000)
    (box,) = visible(QMessageBox)
    assert box.objectName() == "ticketPrinterMissing"
    return box


def click_button(box: QMessageBox, text: str) -> None:
    (button,) = [b for b in box.buttons() if b.text() == text]
    button.click()


def name_of(ctx, person_id: str) -> str:
    return q(ctx, "SELECT full_name FROM person WHERE id = :p", p=person_id)[0][0]


def test_the_ticket_printer_is_chosen_once_then_every_ticket_prints_straight_away(
    qtbot, world, sessions, printers, station
):
    paths, _ = station
    reception = sessions(RECEPTION)
    page = make_page(qtbot, reception)
    panel = page.checkin_panel
    assert panel.device_label.text() == "Chưa chọn máy in phiếu"
    rows = booked_today(reception, world["today"])
    page.flow.appointment(rows[0].id)
    wait_result(qtbot, page, "checked_in")

    qtbot.mouseClick(panel.print_button, CLICK)  # no printer chosen on this computer yet
    box = question(qtbot)
    assert "chưa chọn máy in phiếu số thứ tự" in box.text() and no_file_dialog()
    click_button(box, "Chọn máy in…")
    qtbot.waitUntil(lambda: page.findChild(DeviceDialog) is not None, timeout=5_000)
    dialog = page.findChild(DeviceDialog)
    dialog.printer_combo.setCurrentIndex(dialog.printer_combo.findData(PRINTER))
    dialog.room_edit.setText("Phòng khám 1")
    dialog.save()
    qtbot.waitUntil(lambda: len(printers.files()) == 1, timeout=10_000)  # the waiting ticket, printed
    text = pdftotext(printers.files()[0])
    assert "SỐ THỨ TỰ KHÁM" in text and name_of(reception, rows[0].person_id) in text
    assert text.split("SỐ THỨ TỰ KHÁM")[1].split()[0] == "1"  # the big number under the label
    assert json.loads(paths.device.read_text(encoding="utf-8")) == {
        "call_room": "Phòng khám 1",
        "ticket_printer": PRINTER,
    }
    assert panel.device_label.text() == f"Máy in phiếu: {PRINTER} · Gọi vào: Phòng khám 1"

    panel.auto_print_check.setChecked(True)  # every check-in prints its ticket, twice in a row
    for n, row in enumerate(rows[1:3], start=2):
        page.flow.appointment(row.id)
        wait_result(qtbot, page, "checked_in")
        qtbot.waitUntil(lambda n=n: len(printers.files()) == n, timeout=10_000)
        text = pdftotext(printers.files()[-1])
        assert text.split("SỐ THỨ TỰ KHÁM")[1].split()[0] == str(n)
        assert name_of(reception, row.person_id) in text
    assert no_file_dialog() and not visible(QMessageBox)
    printed = q(
        reception,
        "SELECT count(*) FROM audit_event WHERE action = 'print.ticket' AND entity_id IN (:a, :b, :c)",
        a=rows[0].id,
        b=rows[1].id,
        c=rows[2].id,
    )[0][0]
    assert printed == 3
    assert device.load(paths).ticket_printer == PRINTER  # remembered on this device for the next login


def test_a_missing_printer_is_said_and_auto_print_stops_asking(qtbot, world, sessions, printers, station):
    paths, _ = station
    device.save(paths, device.DeviceSettings(ticket_printer=PRINTER))
    reception = sessions(RECEPTION)
    page = make_page(qtbot, reception)
    panel = page.checkin_panel
    panel.auto_print_check.setChecked(True)
    printers.unplug()
    rows = booked_today(reception, world["today"])
    page.flow.appointment(rows[0].id)
    wait_result(qtbot, page, "checked_in")
    box = question(qtbot)
    assert f"Không thấy máy in phiếu “{PRINTER}”" in box.text() and no_file_dialog()
    click_button(box, "Để sau")
    qtbot.waitUntil(lambda: not panel.auto_print_check.isChecked(), timeout=5_000)
    page.flow.appointment(rows[1].id)  # the next check-in does not ask again
    wait_result(qtbot, page, "checked_in")
    assert not visible(QMessageBox) and printers.files() == []
    qtbot.mouseClick(panel.print_button, CLICK)  # asked for: said again
    click_button(question(qtbot), "Để sau")
    assert printers.files() == [] and no_file_dialog()


def test_the_call_screen_follows_the_desk_and_shows_no_name(qtbot, world, sessions, printers, station):
    paths, _ = station
    device.save(paths, device.DeviceSettings(call_room="Phòng khám 2"))
    reception = sessions(RECEPTION)
    page = make_page(qtbot, reception)
    rows = booked_today(reception, world["today"])
    for row in rows[:4]:
        page.flow.appointment(row.id)
        wait_result(qtbot, page, "checked_in")
    qtbot.mouseClick(page.checkin_panel.display_button, CLICK)
    display = page.findChild(CallDisplay)
    assert display is not None and display.isVisible() and display.isWindow()
    qtbot.waitUntil(lambda: display.data is not None and display.data.waiting == 4, timeout=10_000)
    assert display.call_text() == "Chưa gọi số nào" and display.number_label.text() == "—"
    assert display.next_label.text().split() == ["1", "2", "3", "4"]

    panel = page.board_panel
    for queue_no, row in enumerate(rows[:2], start=1):  # the desk calls two people in, one after the other
        wait_board(qtbot, page, lambda row=row: (board_row(page, row.id) or {}).get("status") == "checked_in")
        assert panel.select(row.id)
        qtbot.mouseClick(panel.buttons["start_exam"], CLICK)
        qtbot.waitUntil(
            lambda q_=queue_no: display.call_text() == f"Mời số {q_} — Phòng khám 2", timeout=10_000
        )
        assert display.number_label.text() == str(queue_no) and display.room_label.text() == "Phòng khám 2"
        assert display.next_label.text().split() == [str(n) for n in range(queue_no + 1, 5)]
    assert display.others_label.text() == "Đang khám: số 1 (Phòng khám 2)"
    shown = " ".join(w.text() for w in display.findChildren(type(display.number_label)))
    for row in rows[:4]:  # numbers only: no name, not even the given name
        name = name_of(reception, row.person_id)
        assert name not in shown and f" {name.split()[-1]}" not in f" {shown}"

    board.return_to_queue(
        reception, rows[1].id
    )  # a change made elsewhere (the command line): the timer reads it
    display.refresh()
    qtbot.waitUntil(lambda: display.call_text() == "Mời số 1 — Phòng khám 2", timeout=10_000)
    assert calling.now_calling(reception).upcoming[:2] == [2, 3]  # back in the queue, by its number

    again = page.open_call_display()  # "Màn hình gọi số" again: the same window, brought forward
    assert again is display and len(page.findChildren(CallDisplay)) == 1
    display.close()
    qtbot.waitUntil(lambda: page.findChild(CallDisplay) is None, timeout=5_000)  # it deletes itself
    reopened = page.open_call_display()
    assert reopened is not None and reopened is not display
    qtbot.waitUntil(lambda: reopened.call_text() == "Mời số 1 — Phòng khám 2", timeout=10_000)
    reopened.close()


def test_lock_and_log_out_with_the_call_screen_the_printer_setting_and_a_preview_open(
    qtbot, world, sessions, printers, station
):
    """Twice: the call screen (numbers only) stays up while locked but pauses; the printer setting and a print
    preview (a report, with names on other pages' prints) close with the lock; logging out takes them all."""
    from ui.main_window import MainWindow
    from ui.printing.preview import PrintPreview

    paths, _ = station
    doctor = sessions(desk.DOCTOR)
    window = MainWindow(doctor, paths, idle_timeout_ms=600_000)  # deleted at the end, as the app's flow does
    window.show()
    page = window.today_page
    qtbot.waitUntil(lambda: page.snapshot is not None and page.snapshot.has_day, timeout=10_000)
    display = page.open_call_display()
    qtbot.waitUntil(lambda: display.data is not None, timeout=10_000)
    for _ in range(2):
        window.show_page("Hôm nay")
        qtbot.mouseClick(page.checkin_panel.device_button, CLICK)
        setting = page.findChild(DeviceDialog)
        assert setting is not None and setting.isVisible()
        window.show_page("Báo cáo")
        reports = window.stack.currentWidget()
        qtbot.waitUntil(lambda r=reports: r.data is not None, timeout=10_000)
        reports.print_button.click()
        qtbot.waitUntil(lambda r=reports: r.findChild(PrintPreview) is not None, timeout=10_000)
        preview = reports.findChild(PrintPreview)
        qtbot.waitUntil(lambda p=preview: p.page_count > 0, timeout=10_000)

        window.lock()
        qtbot.waitUntil(lambda: window.session_closed, timeout=10_000)
        assert reports.findChild(PrintPreview) is None or not reports.findChild(PrintPreview).isVisible()
        assert page.findChild(DeviceDialog) is None or not page.findChild(DeviceDialog).isVisible()
        display.refresh()  # its timer, while locked: nothing read, the screen says it waits
        assert display.data is None and "tạm dừng" in display.note_label.text() and display.isVisible()

        window.unlock_dialog.password_edit.setText(desk.DOCTOR[1])
        qtbot.mouseClick(window.unlock_dialog.login_button, CLICK)
        qtbot.waitUntil(lambda: not window.is_locked, timeout=10_000)
        sessions_opened = window.session
        display.refresh()
        qtbot.waitUntil(lambda: display.data is not None, timeout=10_000)
        assert sessions_opened is not doctor

    with qtbot.waitSignal(window.logged_out, timeout=10_000):
        window.log_out()
    qtbot.waitUntil(lambda: window.session_closed, timeout=10_000)
    qtbot.waitUntil(lambda: not shiboken6.isValid(display), timeout=10_000)  # closed with the window
    window.deleteLater()
