"""“Nộp cổng Bộ Y tế…” on the Báo cáo page (issue 14 §2): the dialog runs the export on the worker and shows the
summary; the files read back; twice in a row; only roles that may read health data see the button."""

from __future__ import annotations

import openpyxl
import pytest
import shiboken6
from exam_support import NURSE, staff
from moh_support import A_ID, FACILITY, FROM, TO, clinic, session_clock  # noqa: F401 - fixtures
from PySide6.QtCore import QDate

from ui.reports.page import ReportsPage


@pytest.fixture
def page(qtbot, clinic):  # noqa: F811
    widget = ReportsPage(None)
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    with qtbot.waitSignal(widget.loaded, timeout=10_000):
        widget.set_session(clinic["head"])
    return widget


def _run(qtbot, page: ReportsPage, clinic, name: str) -> dict:  # noqa: F811
    page.moh_button.click()
    dialog = page.moh_dialog
    assert dialog is not None and dialog.isVisible()
    if not dialog.template_edit.text():  # remembered from the first run
        dialog.choose_template = lambda _parent, _folder: clinic["template"]
        dialog._pick_template()
        dialog.facility_edit.setText(FACILITY)
    assert dialog.facility_edit.text() == FACILITY
    dialog.from_edit.setDate(QDate(FROM.year, FROM.month, FROM.day))
    dialog.to_edit.setDate(QDate(TO.year, TO.month, TO.day))
    out = clinic["tmp"] / name
    dialog.choose_output = lambda _parent, _suggested: out.with_suffix("")  # the .xlsm is added
    dialog.submit_button.click()
    qtbot.waitUntil(lambda: dialog.result_value is not None and not dialog.busy, timeout=30_000)
    text = dialog.summary_label.text()
    assert f"{out.stem}.xlsm" in text and f"{out.stem}-2.xlsm" in text and "nhiều lần" in text
    assert "2 phiếu không đưa vào được" in text and dialog.error_label.text() == ""
    wb = openpyxl.load_workbook(out, keep_vba=True)
    ws = wb["Trên 18"]
    assert ws.cell(4, 9).value == A_ID and ws.max_row == 5 and wb.vba_archive is not None
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: page.moh_dialog is None)
    return dialog.result_value


def test_export_from_the_reports_page_twice(qtbot, page, clinic) -> None:  # noqa: F811
    assert page.moh_button.isVisible()
    first = _run(qtbot, page, clinic, "lan-1.xlsm")
    second = _run(qtbot, page, clinic, "lan-2.xlsm")
    assert first["exported"] == second["exported"] == 3
    page.moh_button.click()  # then the window locks: the dialog goes with the session
    dialog = page.moh_dialog
    assert dialog is not None and dialog.template_edit.text() == str(clinic["template"])
    page.set_session(None)
    qtbot.waitUntil(lambda: page.moh_dialog is None)
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()


def test_a_wrong_template_shows_the_reason(qtbot, page, clinic) -> None:  # noqa: F811
    page.moh_button.click()
    dialog = page.moh_dialog
    not_a_template = clinic["tmp"] / "khong-phai-mau.xlsm"
    not_a_template.write_bytes(b"PK\x03\x04 not really a zip")
    dialog.template_edit.setText(str(not_a_template))
    dialog.facility_edit.setText(FACILITY)
    dialog.output_edit.setText(str(clinic["tmp"] / "x.xlsm"))
    dialog.submit_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and dialog.error_label.text() != "", timeout=10_000)
    assert "hỏng" in dialog.error_label.text() and dialog.result_value is None
    dialog.cancel_button.click()


def test_only_roles_reading_health_data_see_it(qtbot, clinic, session_clock) -> None:  # noqa: F811
    nurse = staff(clinic["paths"], NURSE, clock=session_clock)
    try:
        widget = ReportsPage(None)
        qtbot.addWidget(widget)
        widget.set_session(nurse)
        assert not widget.moh_button.isVisible() and widget.moh_button.isHidden()
    finally:
        nurse.close()
