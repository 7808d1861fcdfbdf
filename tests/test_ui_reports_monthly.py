"""The "Báo cáo tháng" tab of the Báo cáo page on a real station with real signed exams, on a frozen clock (3
December 2026): it opens on last month with the core's figures, exports the .xlsx, prints through the preview,
and lets the head submit — wrong password refused, the submission frozen and queued, a correction only with a
reason; each twice in a row; a doctor cannot submit, a receptionist sees no reports; all work on the worker."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from reports_support import DOCTOR, HEAD, PASSWORD, add_staff, person, sign_on, wall
from sqlalchemy import text

from conftest import ADMIN, ADMIN_PASSWORD
from ksk_desktop.clock import FixedClock
from ksk_desktop.reports import monthly
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import init_station, login
from ksk_desktop.station.paths import StationPaths
from ui.i18n import format_number
from ui.reports.page import ReportsPage


@pytest.fixture
def world(tmp_path):
    clock = FixedClock.vietnam(wall(2026, 11, 2, 8))
    paths = StationPaths(tmp_path / "station")
    init_station(
        paths,
        clock=clock,
        station_code="TYT-UI",
        commune_code="10507",
        admin_username=ADMIN,
        admin_password=ADMIN_PASSWORD,
    )
    admin = login(paths, ADMIN, ADMIN_PASSWORD, clock=clock)
    add_staff(admin)
    users.add_user(admin, "letan", "reception", PASSWORD, "ĐD. Lan")
    ids = [
        person(admin, f"Phạm Văn {i}", date(1945 + 6 * i, 3, 3), "c" if i == 4 else None) for i in range(10)
    ]
    admin.close()
    sign_on(paths, clock, date(2026, 11, 12), ids[:4])
    sign_on(paths, clock, date(2026, 11, 26), ids[4:6])
    clock.set_vietnam(wall(2026, 12, 3, 9))
    head = login(paths, HEAD, PASSWORD, clock=clock)
    yield {"paths": paths, "clock": clock, "head": head}
    if not head.closed:
        head.close()


def _open(qtbot, session) -> ReportsPage:
    page = ReportsPage(None)
    qtbot.addWidget(page)
    page.resize(1300, 800)
    page.show()
    page.set_session(session)
    return page


def _monthly_tab(qtbot, page: ReportsPage):
    view = page.monthly_view
    with qtbot.waitSignal(view.loaded, timeout=15_000):
        view.tabs.setCurrentWidget(view)
    return view


def shown(view) -> list[list[str]]:
    m = view.model
    return [[m.index(r, c).data() for c in range(m.columnCount())] for r in range(m.rowCount())]


def test_monthly_tab_shows_exports_and_prints(qtbot, world, tmp_path, monkeypatch) -> None:
    from test_printing_schedule import pdftotext
    from test_printing_ui import save_from_preview

    page = _open(qtbot, world["head"])
    view = _monthly_tab(qtbot, page)
    assert view.month() == "2026-11"  # last month: the one due by the 15th
    want = monthly.build(world["head"], "2026-11")
    rows = shown(view)
    for row, g in zip(rows, want["groups"], strict=False):
        assert row[0] == g["group"] and row[2] == format_number(g["managed"])
        assert row[3] == format_number(g["examined_month"]) and row[6] == format_number(g["next_year_need"])
    total = rows[len(want["groups"])]
    assert total[1] == "Tổng cộng" and total[3] == "6" and total[2] == "10"
    assert "6 người khám trong tháng" in view.summary_label.text()
    assert view.submission_label.text() == "Chưa nộp báo cáo tháng này."
    for _ in range(2):  # twice in a row: another month and back
        with qtbot.waitSignal(view.loaded, timeout=15_000):
            view.month_edit.setDate(view.month_edit.date().addMonths(1))
        assert view.report["partial"] and not view.submit_button.isEnabled()  # December runs: not yet
        with qtbot.waitSignal(view.loaded, timeout=15_000):
            view.month_edit.setDate(view.month_edit.date().addMonths(-1))
        assert shown(view) == rows

    dest = tmp_path / "thang-11.xlsx"
    view.choose_xlsx_path = lambda _parent, _suggested: dest
    with qtbot.waitSignal(view.exported, timeout=15_000):
        view.xlsx_button.click()
    sheet = openpyxl.load_workbook(dest).active
    values = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "BÁO CÁO SỐ LIỆU KHÁM SỨC KHỎE ĐỊNH KỲ THÁNG 11 NĂM 2026" in values and "TRƯỞNG TRẠM" in values

    view.print_button.click()
    assert save_from_preview(qtbot, view, tmp_path / "thang-11.pdf", monkeypatch) >= 1
    printed = " ".join(pdftotext(tmp_path / "thang-11.pdf").split())
    assert (
        "THÁNG 11 NĂM 2026" in printed
        and "NGƯỜI LẬP BIỂU" in printed
        and "Hải Phòng, ngày 03 tháng 12 năm 2026" in printed
    )
    page.set_session(None)  # log-out: nothing of the report stays on screen
    assert view.model.rowCount() == 0 and not view.tabs.isVisible()


def test_head_submits_from_the_tab(qtbot, world) -> None:
    page = _open(qtbot, world["head"])
    view = _monthly_tab(qtbot, page)
    assert view.submit_button.isVisible() and view.submit_button.isEnabled()
    view.ask_submit = lambda _parent, _month, _correction: ("sai-mat-khau", None)
    view.submit_button.click()
    qtbot.waitUntil(lambda: "Mật khẩu không đúng" in view.error_label.text(), timeout=15_000)
    asked = []

    def answer(_parent, month: str, correction: bool):
        asked.append((month, correction))
        return (PASSWORD, "Bổ sung" if correction else None)

    view.ask_submit = answer
    with qtbot.waitSignal(view.submitted, timeout=15_000), qtbot.waitSignal(view.loaded, timeout=15_000):
        view.submit_button.click()
    assert "Đã nộp phiên bản 1" in view.submission_label.text()
    view.submit_button.click()  # the same figures again: refused, said why
    qtbot.waitUntil(lambda: "không thay đổi" in view.error_label.text(), timeout=15_000)
    assert asked == [("11/2026", False), ("11/2026", True)]
    with world["head"].read() as s:
        queued = s.execute(text("SELECT count(*) FROM outbox WHERE kind = 'report'")).scalar()
    assert queued == 1


def test_head_submits_through_the_dialog_and_sees_the_signer(qtbot, world) -> None:
    """The real dialog: the head types their password, the report is signed with their key (made now, queued for
    registration at the hub ahead of the report), and the tab says who signed with which key."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialogButtonBox

    from ui.reports.monthly_view import SubmitDialog

    page = _open(qtbot, world["head"])
    view = _monthly_tab(qtbot, page)
    seen: list[str] = []

    def answer() -> None:  # the dialog is modal: fill it in once it is up
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, SubmitDialog):
            QTimer.singleShot(20, answer)
            return
        seen.append(dialog.windowTitle())
        dialog.password_edit.setText(PASSWORD)
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    QTimer.singleShot(20, answer)
    with qtbot.waitSignal(view.submitted, timeout=15_000), qtbot.waitSignal(view.loaded, timeout=15_000):
        view.submit_button.click()
    assert seen == ["Nộp báo cáo tháng"]
    key_id = view.submissions[-1]["signer_key_id"]
    assert key_id and view.submissions[-1]["signed_by"] == HEAD
    assert f"Trần Văn Trưởng ký (mã khóa {key_id})" in view.status_label.text()
    assert f"ký bằng khóa {key_id}" in view.submission_label.text()
    with world["head"].read() as s:
        queued = s.execute(
            text("SELECT kind, entity_id FROM outbox WHERE kind IN ('doctor_key', 'report') ORDER BY seq")
        ).all()
    assert [k for k, e in queued if k == "report" or e == key_id] == ["doctor_key", "report"]


@pytest.mark.parametrize("role", [DOCTOR, "letan"])
def test_other_roles(qtbot, world, role) -> None:
    ctx = login(world["paths"], role, PASSWORD, clock=world["clock"])
    try:
        page = _open(qtbot, ctx)
        view = page.monthly_view
        if role == DOCTOR:  # reads reports, does not submit them
            view = _monthly_tab(qtbot, page)
            assert view.report is not None and not view.submit_button.isVisible()
        else:
            assert not view.tabs.isVisible() and page.no_read_label.isVisible()
    finally:
        page.set_session(None)
        ctx.close()
