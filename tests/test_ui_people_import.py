"""The import wizard on a real station with real .xlsx files: recognised columns, mapping by hand, progress,
result counts, the rejected-rows report, cancelling."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ksk_desktop.people import people_list, persons
from ui import ops
from ui.people.import_wizard import SKIP, ImportWizard, column_keys, column_letter
from ui.people.page import PeoplePage

CLICK = Qt.MouseButton.LeftButton
ROWS = [
    ("1", "Nguyễn Văn An", "05/03/1985", "Nam", "031085001234", "Thôn 1", "0912345678"),
    ("2", "Trần Thị Bình", datetime(1990, 7, 1), "Nữ", "031190004321", "Thôn 2", "0987 654 321"),  # noqa: DTZ001 - an Excel date cell (naive)
    ("3", "Lê Văn Cường", "1950", "Nam", None, "Thôn 1", None),
    ("4", "Phạm Thị Dung", "31/02/1990", "Nữ", None, "Thôn 3", None),  # no such date: rejected
]


def write_xlsx(path: Path, headers: list[str], rows=ROWS) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    ws.append(["DANH SÁCH NGƯỜI DÂN THÔN 1–3"])
    ws.append(headers)
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


@pytest.fixture
def wizard(qtbot, admin_session):
    w = ImportWizard(admin_session)
    qtbot.addWidget(w)
    w.show()
    return w


def choose(qtbot, wizard: ImportWizard, path: Path) -> None:
    wizard.choose_file = lambda _parent: path
    with qtbot.waitSignal(wizard.previewed, timeout=10_000):
        qtbot.mouseClick(wizard.choose_button, CLICK)


def test_import_a_small_workbook(qtbot, wizard, admin_session, tmp_path):
    src = write_xlsx(
        tmp_path / "danh-sach.xlsx", ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Thôn", "SĐT"]
    )
    choose(qtbot, wizard, src)
    assert wizard.mapping_fields() == {
        "STT": None,
        "Họ và tên": "full_name",
        "Ngày sinh": "birth_date",
        "Giới tính": "sex",
        "Số CCCD": "personal_id",
        "Thôn": "hamlet",
        "SĐT": "phone",
    }
    table = wizard.preview_table
    assert table.isVisible() and table.rowCount() == 1 + len(ROWS)
    assert [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())] == [
        "Kết quả đọc thử",
        "STT",
        "Họ và tên",
        "Ngày sinh",
        "Giới tính",
        "Số CCCD",
        "Thôn",
        "SĐT",
    ]
    assert table.cellWidget(0, 2).currentText() == "Họ và tên"
    assert table.cellWidget(0, 1).currentText() == SKIP
    assert table.item(2, 3).text() == "01/07/1990"  # an Excel date cell, shown dd/mm/yyyy
    assert table.item(1, 0).text().startswith("Hợp lệ")
    assert table.item(4, 0).text().startswith("Bị loại:")
    assert "3 dòng hợp lệ, 1 dòng sẽ bị loại" in wizard.summary_label.text()
    assert wizard.import_button.isEnabled()

    seen = []
    with qtbot.waitSignal(wizard.imported, timeout=30_000) as done:
        qtbot.mouseClick(wizard.import_button, CLICK)
        seen.append(wizard.stack.currentIndex())  # the progress step shows while it runs
    result = done.args[0]
    assert seen == [1]
    assert (result.created, result.updated, result.unchanged, result.rejected) == (3, 0, 0, 1)
    assert wizard.progress_bar.maximum() == 3 and wizard.progress_bar.value() == 3
    assert wizard.stack.currentIndex() == 2
    assert {k: v.text() for k, v in wizard.count_labels.items()} == {
        "created": "3",
        "updated": "0",
        "unchanged": "0",
        "rejected": "1",
    }
    assert Path(result.report).exists() and result.report in wizard.report_label.text()
    opened = []
    wizard.open_url = opened.append
    qtbot.mouseClick(wizard.open_report_button, CLICK)
    qtbot.mouseClick(wizard.open_folder_button, CLICK)
    assert [Path(u.toLocalFile()) for u in opened] == [Path(result.report), Path(result.report).parent]
    stored = people_list.page(admin_session, people_list.ListFilter(), 0, 10)
    assert sorted(p["name"] for p in stored) == ["Lê Văn Cường", "Nguyễn Văn An", "Trần Thị Bình"]
    assert {p["name"]: p["dob"] for p in stored}["Trần Thị Bình"] == "1990-07-01"

    # The same file again changes nothing.
    wizard.choose_file = lambda _parent: src
    with qtbot.waitSignal(wizard.previewed, timeout=10_000):
        qtbot.mouseClick(wizard.another_button, CLICK)
    with qtbot.waitSignal(wizard.imported, timeout=30_000) as again:
        qtbot.mouseClick(wizard.import_button, CLICK)
    assert (again.args[0].created, again.args[0].unchanged) == (0, 3)
    assert persons.count_people(admin_session) == 3


def test_mapping_an_unrecognised_name_column_by_hand(qtbot, wizard, admin_session, tmp_path):
    src = write_xlsx(
        tmp_path / "truong-hoc.xlsx", ["STT", "Học sinh", "Ngày sinh", "Giới tính", "Số CCCD", "Thôn", "SĐT"]
    )
    choose(qtbot, wizard, src)
    assert wizard.mapping_fields()["Học sinh"] is None
    assert "Họ và tên" in wizard.summary_label.text()  # says what is missing
    assert not wizard.import_button.isEnabled()
    with qtbot.waitSignal(wizard.previewed, timeout=10_000):
        combo = wizard.combos[1]
        combo.setCurrentIndex(combo.findData("full_name"))
    assert wizard.mapping_fields()["Học sinh"] == "full_name"
    assert wizard.import_button.isEnabled()
    assert "3 dòng hợp lệ" in wizard.summary_label.text()
    # Choosing a field already taken by another column moves it: each field comes from one column.
    with qtbot.waitSignal(wizard.previewed, timeout=10_000):
        wizard.combos[5].setCurrentIndex(wizard.combos[5].findData("phone"))
    assert wizard.mapping_fields()["SĐT"] is None and wizard.mapping_fields()["Thôn"] == "phone"
    assert "sẽ bị loại" in wizard.summary_label.text()
    with qtbot.waitSignal(wizard.previewed, timeout=10_000):
        wizard.combos[5].setCurrentIndex(wizard.combos[5].findData("hamlet"))
    with qtbot.waitSignal(wizard.previewed, timeout=10_000):
        wizard.combos[6].setCurrentIndex(wizard.combos[6].findData("phone"))
    with qtbot.waitSignal(wizard.imported, timeout=30_000) as done:
        qtbot.mouseClick(wizard.import_button, CLICK)
    assert done.args[0].created == 3
    stored = {p["name"]: p for p in persons.search(admin_session, "nguyen van an", record=False)}
    assert stored["Nguyễn Văn An"]["hamlet"] == "Thôn 1" and stored["Nguyễn Văn An"]["phone"] == "0912345678"


def test_a_file_that_is_not_a_list_is_refused_clearly(qtbot, wizard, tmp_path):
    bad = tmp_path / "anh.xlsx"
    bad.write_bytes(b"%PDF-1.4 not a spreadsheet")
    choose(qtbot, wizard, bad)
    assert wizard.error_label.isVisible() and "không phải bảng tính" in wizard.error_label.text()
    assert not wizard.import_button.isEnabled() and not wizard.preview_table.isVisible()


def test_cancel_saves_nothing(qtbot, wizard, admin_session, tmp_path):
    src = write_xlsx(
        tmp_path / "danh-sach.xlsx",
        ["Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Thôn", "SĐT"],
        [r[1:] for r in ROWS],
    )
    choose(qtbot, wizard, src)
    gate = threading.Event()
    ops.run_in_background(gate.wait)  # hold the worker so that the cancel lands before the import starts
    try:
        qtbot.mouseClick(wizard.import_button, CLICK)
        assert wizard.stack.currentIndex() == 1 and wizard.cancel_button.isEnabled()
        assert "không có thay đổi nào được lưu" in wizard.cancel_note.text()
        qtbot.mouseClick(wizard.cancel_button, CLICK)
        assert not wizard.cancel_button.isEnabled()
    finally:
        gate.set()
    with qtbot.waitSignal(wizard.import_failed, timeout=30_000) as failed:
        pass
    assert failed.args[0] == "Đã hủy nhập danh sách; không có thay đổi nào được lưu."
    assert wizard.stack.currentIndex() == 0 and wizard.status_label.text() == failed.args[0]
    assert persons.count_people(admin_session) == 0


def test_closing_while_importing_means_cancel(qtbot, wizard, admin_session, tmp_path):
    src = write_xlsx(
        tmp_path / "danh-sach.xlsx", ["Họ và tên", "Ngày sinh", "Thôn"], [r[1:3] + (r[5],) for r in ROWS]
    )
    choose(qtbot, wizard, src)
    gate = threading.Event()
    ops.run_in_background(gate.wait)
    try:
        qtbot.mouseClick(wizard.import_button, CLICK)
        wizard.reject()
        assert wizard.isVisible() and wizard.progress.cancelled()
    finally:
        gate.set()
    qtbot.waitUntil(lambda: not wizard.busy, timeout=30_000)
    assert persons.count_people(admin_session) == 0


def test_the_page_opens_the_wizard_and_refreshes_after_import(qtbot, admin_session, tmp_path):
    page = PeoplePage(admin_session)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.filter_applied, timeout=10_000):  # read when shown
        page.show()
    assert page.model.rowCount() == 0 and page.count_label.text() == "0 người"
    assert not page.export_button.isEnabled()  # nothing to export yet
    wizard = page.open_import()
    src = write_xlsx(
        tmp_path / "danh-sach.xlsx", ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Thôn", "SĐT"]
    )
    choose(qtbot, wizard, src)
    with qtbot.waitSignal(page.filter_applied, timeout=30_000):
        qtbot.mouseClick(wizard.import_button, CLICK)
    assert page.model.rowCount() == 3 and page.count_label.text() == "3 người"
    assert [page.hamlet_combo.itemData(i) for i in range(page.hamlet_combo.count())] == [
        None,
        "Thôn 1",
        "Thôn 2",
    ]
    qtbot.mouseClick(wizard.done_button, CLICK)
    QApplication.processEvents()
    assert not wizard.isVisible()


def test_column_keys():
    assert column_letter(0) == "A" and column_letter(25) == "Z" and column_letter(26) == "AA"
    assert column_keys(["Họ và tên", "", "Ghi chú", "Ghi chu"]) == ["Họ và tên", "B", "C", "D"]
