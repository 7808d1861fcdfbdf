"""Importing a list of residents: choose a file, check how its columns are read, import with progress.

The core recognises the usual Vietnamese headers; the person checks each column in the preview and maps
the rest. The import itself runs on the worker thread and writes everything in one transaction: cancelling
(or any failure) leaves the list as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop import importer
from ksk_desktop.dates import hhmm, show_date
from ksk_desktop.importer.columns import recognise
from ksk_desktop.importer.sources import header_key
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.file_dialogs import ask_open_path, documents_folder
from ui.i18n import format_number
from ui.messages import error_text
from ui.progress import Progress
from ui.widgets import ERROR_STYLE, OK_STYLE, ErrorLabel, MessageLabel, heading, paragraph

SKIP = "(bỏ qua)"
RESULT_COLUMN = 0  # first, so that what happens to each row is seen without scrolling sideways
PREVIEW_ROWS = 20
FILE_FILTER = "Bảng tính Excel hoặc CSV (*.xlsx *.csv);;Tất cả các tệp (*)"
CANCELLED_NOTE = "Đã hủy nhập danh sách; không có thay đổi nào được lưu."
INTRO = (
    "Chọn tệp Excel (.xlsx) hoặc CSV có danh sách người dân. Phần mềm tự nhận ra các cột thường gặp "
    "(Họ và tên, Ngày sinh, Số CCCD, Thôn/Tổ, Số điện thoại…). Hãy kiểm tra từng cột trong bảng xem trước "
    "và chọn lại cột nào chưa đúng. Nhập lại cùng một tệp không tạo bản ghi trùng."
)


def ask_import_path(parent: QWidget) -> Path | None:
    return ask_open_path(parent, "Chọn tệp danh sách người dân", str(documents_folder()), FILE_FILTER)


def cell_text(value: Any) -> str:
    """A raw cell as the person would read it in Excel (dates dd/mm/yyyy)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            show_date(value) if value.time() == datetime.min.time() else f"{show_date(value)} {hhmm(value)}"
        )
    if isinstance(value, date):
        return show_date(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_keys(headers: list[str]) -> list[str]:
    """How to name each column in a mapping: its header text, or its letter when the header is empty or
    shared with another column (the core matches header text first, then letters)."""
    folded = [header_key(h) for h in headers]
    return [h if h and folded.count(folded[i]) == 1 else column_letter(i) for i, h in enumerate(headers)]


def read_preview(path: Path, mapping: dict[str, str | None] | None, today: date) -> dict:
    """Worker thread: the core's preview plus the first raw rows of the file, for the mapping table.

    When no column is recognised as the name yet, the preview says so in ``problem`` and reads no row; the
    headers are still shown so the person can choose the name column.
    """
    result = importer.preview(path, mapping or None, rows=PREVIEW_ROWS, today=today)
    if result["problem"]:
        result["rows"] = []
    table = importer.read_table(path, recognise)
    raw: list[tuple[int, list[Any]]] = []
    for number, cells in table.rows:
        if all(c in (None, "") for c in cells):
            continue
        raw.append((number, cells))
        if len(raw) >= PREVIEW_ROWS:
            break
    result["raw"] = raw
    return result


class ImportWizard(QDialog):
    previewed = Signal()  # the preview (or its failure) is on screen
    imported = Signal(object)  # ImportResult, after a successful import
    import_failed = Signal(str)  # the message shown (cancelled, or an error)

    def __init__(self, session: StationSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.path: Path | None = None
        self.preview_data: dict | None = None
        self.result: importer.ImportResult | None = None
        self.task: ops.Task | None = None
        self.progress: Progress | None = None
        self.combos: list[QComboBox] = []
        self._preview_again = False
        #: Replaceable (tests): ask which file to import; open a report file or folder.
        self.choose_file: Callable[[QWidget], Path | None] = ask_import_path
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl
        self.setWindowTitle("Nhập danh sách người dân")
        self.setModal(True)
        self.resize(1120, 680)

        layout = QVBoxLayout(self)
        self.stack = QStackedWidget(self)
        layout.addWidget(self.stack)
        self.stack.addWidget(self._build_file_page())
        self.stack.addWidget(self._build_progress_page())
        self.stack.addWidget(self._build_result_page())

    # -- step 1: file and columns ----------------------------------------------------------------------
    def _build_file_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading("Nhập danh sách người dân", 1, page))
        layout.addWidget(paragraph(INTRO, page, muted=True))
        row = QHBoxLayout()
        self.choose_button = QPushButton("Chọn tệp…", page)
        self.choose_button.clicked.connect(self.choose)
        self.file_label = QLabel("Chưa chọn tệp.", page)
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.choose_button)
        row.addWidget(self.file_label, 1)
        layout.addLayout(row)
        self.mapping_note = paragraph(
            "Dòng đầu của bảng: chọn mỗi cột trong tệp tương ứng với thông tin nào "
            f"(hoặc “{SKIP}”). Cột đầu cho biết dòng đó đọc được hay sẽ bị loại.",
            page,
            muted=True,
        )
        layout.addWidget(self.mapping_note)
        self.preview_table = QTableWidget(0, 0, page)
        self.preview_table.setObjectName("previewTable")
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.preview_table.setAlternatingRowColors(True)
        self.preview_table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.preview_table, 1)
        self.summary_label = MessageLabel(page)
        layout.addWidget(self.summary_label)
        self.status_label = MessageLabel(page, OK_STYLE)
        layout.addWidget(self.status_label)
        self.error_label = ErrorLabel(page)
        layout.addWidget(self.error_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.import_button = QPushButton("Nhập danh sách", page)
        self.import_button.setDefault(True)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.start_import)
        self.close_button = QPushButton("Đóng", page)
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self.mapping_note.hide()
        self.preview_table.hide()
        return page

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def choose(self) -> None:
        if self.busy:
            return
        path = self.choose_file(self)
        if path is None:
            return
        self.path = Path(path)
        self.file_label.setText(str(self.path))
        self.status_label.clear_message()
        self.load_preview(None)

    def load_preview(self, mapping: dict[str, str | None] | None) -> None:
        if self.path is None:
            return
        if self.busy:  # a preview is running: read again with the newest choice when it ends
            self._preview_again = True
            return
        path, today = self.path, self.session.clock.today()
        self.error_label.clear_message()
        self.summary_label.show_message("Đang đọc tệp…", "")
        self.import_button.setEnabled(False)
        self.choose_button.setEnabled(False)
        self.task = ops.run_in_background(
            lambda: read_preview(path, mapping, today), self._show_preview, self._preview_failed, context=self
        )

    def _after_preview(self) -> bool:
        self.choose_button.setEnabled(True)
        if self._preview_again:
            self._preview_again = False
            self.load_preview(self.current_mapping())
            return True
        return False

    def _preview_failed(self, exc: BaseException) -> None:
        if self._after_preview():
            return
        self.preview_data = None
        self.preview_table.clear()
        self.preview_table.setRowCount(0)
        self.preview_table.setColumnCount(0)
        self.preview_table.hide()
        self.mapping_note.hide()
        self.combos = []
        self.summary_label.clear_message()
        self.error_label.show_message(error_text(exc))
        self.import_button.setEnabled(False)
        self.previewed.emit()

    def _show_preview(self, data: dict) -> None:
        if self._after_preview():
            return
        same_columns = self.preview_data is not None and self.preview_data["headers"] == data["headers"]
        self.preview_data = data
        headers: list[str] = data["headers"]
        fields: dict[str, str] = data["fields"]
        by_key = dict(zip(column_keys(headers), range(len(headers)), strict=True))
        chosen = [None] * len(headers)
        for key, field in data["mapping"].items():
            idx = by_key.get(key)
            if idx is None and key in headers:
                idx = headers.index(key)
            if idx is not None:
                chosen[idx] = field
        table = self.preview_table
        if not same_columns:
            table.clear()
            table.setColumnCount(len(headers) + 1)
            table.setHorizontalHeaderLabels(
                ["Kết quả đọc thử"] + [h or f"(cột {column_letter(i)})" for i, h in enumerate(headers)]
            )
            self.combos = []
            for i in range(len(headers)):
                combo = QComboBox(table)
                combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                combo.setMinimumContentsLength(10)
                combo.addItem(SKIP, None)
                for field, label in fields.items():
                    combo.addItem(label, field)
                combo.currentIndexChanged.connect(lambda _n, c=i: self._mapping_changed(c))
                self.combos.append(combo)
        raw = data["raw"]
        table.setRowCount(len(raw) + 1)
        for i, combo in enumerate(self.combos):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(chosen[i])))
            combo.blockSignals(False)
            if table.cellWidget(0, i + 1) is not combo:  # setting the same widget again would delete it
                table.setCellWidget(0, i + 1, combo)
            combo.setToolTip(f"Cột “{headers[i]}” trong tệp là: {combo.currentText()}")
        table.setVerticalHeaderItem(0, QTableWidgetItem("Cột là"))
        head = QTableWidgetItem("Cột trong tệp là →")
        head.setForeground(QColor("#5f6368"))
        table.setItem(0, RESULT_COLUMN, head)
        results = {r["row"]: r for r in data["rows"]}
        good = bad = 0
        for r, (number, cells) in enumerate(raw, start=1):
            table.setVerticalHeaderItem(r, QTableWidgetItem(f"Dòng {number}"))
            for c in range(len(headers)):
                table.setItem(r, c + 1, QTableWidgetItem(cell_text(cells[c] if c < len(cells) else None)))
            outcome = results.get(number)
            if outcome is None:
                text, color = "", None
            elif outcome["ok"]:
                good += 1
                notes = "; ".join(outcome.get("notes") or [])
                text, color = "Hợp lệ" + (f" ({notes})" if notes else ""), QColor("#1b6e2e")
            else:
                bad += 1
                text, color = f"Bị loại: {outcome['reason']}", QColor("#b3261e")
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if color is not None:
                item.setForeground(color)
            table.setItem(r, RESULT_COLUMN, item)
        if not same_columns:
            header = table.horizontalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
            header.setStretchLastSection(False)
            table.resizeColumnsToContents()
            header.resizeSection(RESULT_COLUMN, 320)
            for c in range(1, table.columnCount()):
                header.resizeSection(c, max(120, min(header.sectionSize(c), 220)))
        table.show()
        self.mapping_note.show()
        if data.get("problem"):
            self.summary_label.show_message(data["problem"], ERROR_STYLE)
            self.import_button.setEnabled(False)
        else:
            sheet = f"Trang tính “{data['sheet']}”. " if data.get("sheet") else ""
            self.summary_label.show_message(
                f"{sheet}Đọc thử {good + bad} dòng đầu: {good} dòng hợp lệ, {bad} dòng sẽ bị loại "
                "(dòng bị loại được ghi vào tệp báo cáo kèm lý do).",
                "",
            )
            self.import_button.setEnabled(True)
        self.previewed.emit()

    def _mapping_changed(self, column: int) -> None:
        field = self.combos[column].currentData()
        if field is not None:  # each field comes from one column: the other column that had it is now skipped
            for i, combo in enumerate(self.combos):
                if i != column and combo.currentData() == field:
                    combo.blockSignals(True)
                    combo.setCurrentIndex(0)
                    combo.blockSignals(False)
        self.load_preview(self.current_mapping())

    def current_mapping(self) -> dict[str, str | None]:
        """Every column of the file → the chosen field, or None to skip it."""
        if self.preview_data is None:
            return {}
        keys = column_keys(self.preview_data["headers"])
        return {keys[i]: combo.currentData() for i, combo in enumerate(self.combos)}

    def mapping_fields(self) -> dict[str, str | None]:
        """Column header → chosen field (for display and tests)."""
        if self.preview_data is None:
            return {}
        return {h: self.combos[i].currentData() for i, h in enumerate(self.preview_data["headers"])}

    # -- step 2: importing ----------------------------------------------------------------------------------
    def _build_progress_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(heading("Đang nhập danh sách…", 1, page))
        self.progress_label = paragraph("", page)
        self.progress_bar = QProgressBar(page)
        self.progress_bar.setMinimumWidth(420)
        self.cancel_note = paragraph(
            "Hủy lúc này thì không có thay đổi nào được lưu: danh sách được ghi một lần, "
            "trọn vẹn, khi đã đọc và kiểm tra xong mọi dòng.",
            page,
            muted=True,
        )
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.cancel_note)
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel_button = QPushButton("Hủy", page)
        self.cancel_button.clicked.connect(self.cancel_import)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        layout.addStretch(2)
        return page

    def start_import(self) -> None:
        if self.busy or self.path is None or self.preview_data is None:
            return
        ctx, path, mapping = self.session, self.path, self.current_mapping()
        progress = Progress()  # no parent: it must outlive this dialog while the worker still reports
        progress.changed.connect(self._on_progress)
        self.progress = progress
        self.progress_label.setText(f"Đang đọc và kiểm tra từng dòng của {path.name}…")
        self.progress_bar.setRange(0, 0)  # busy until the first count arrives
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Hủy")
        self.stack.setCurrentIndex(1)
        self.task = ops.run_in_background(
            lambda: importer.import_people(
                ctx, path, mapping, progress=progress.report, cancel=progress.cancelled
            ),
            self._import_done,
            self._import_failed,
            context=self,
            changes=Changes.PEOPLE | Changes.OUTBOX,
            cancel=progress.cancel,  # a lock stops the import (all or nothing: nothing is kept)
        )

    def _on_progress(self, done: int, total: int) -> None:
        if self.progress is not None and self.progress.cancelled():
            return
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        self.progress_label.setText(
            f"Đang ghi vào danh sách: {format_number(done)} / {format_number(total)} người…"
        )

    def cancel_import(self) -> None:
        if self.progress is None or not self.busy:
            return
        self.progress.cancel()
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Đang hủy…")
        self.progress_label.setText("Đang hủy… không có thay đổi nào được lưu.")

    def _import_failed(self, exc: BaseException) -> None:
        self.stack.setCurrentIndex(0)
        if isinstance(exc, importer.ImportCancelled):
            message = exc.message
            self.status_label.show_message(message, "")
        else:
            message = error_text(exc)
            self.error_label.show_message(message)
        self.import_failed.emit(message)

    # -- step 3: result -----------------------------------------------------------------------------------------
    def _build_result_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.addWidget(heading("Đã nhập xong", 1, page))
        self.result_file_label = paragraph("", page, muted=True)
        layout.addWidget(self.result_file_label)
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        self.count_labels: dict[str, QLabel] = {}
        for i, (key, title) in enumerate(
            (
                ("created", "Thêm mới"),
                ("updated", "Cập nhật"),
                ("unchanged", "Không thay đổi"),
                ("rejected", "Bị loại"),
            )
        ):
            value = heading("0", 1, page)
            value.setObjectName(f"count_{key}")
            grid.addWidget(value, 0, i)
            grid.addWidget(QLabel(title, page), 1, i)
            self.count_labels[key] = value
        grid.setColumnStretch(4, 1)
        layout.addLayout(grid)
        self.report_label = paragraph("", page)
        self.report_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.report_label)
        row = QHBoxLayout()
        self.open_report_button = QPushButton("Mở tệp báo cáo dòng bị loại", page)
        self.open_report_button.clicked.connect(self.open_report)
        self.open_folder_button = QPushButton("Mở thư mục chứa báo cáo", page)
        self.open_folder_button.clicked.connect(self.open_report_folder)
        row.addWidget(self.open_report_button)
        row.addWidget(self.open_folder_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.another_button = QPushButton("Nhập tệp khác…", page)
        self.another_button.setAutoDefault(False)
        self.another_button.clicked.connect(self._another)
        self.done_button = QPushButton("Đóng", page)
        self.done_button.clicked.connect(self.accept)
        buttons.addWidget(self.another_button)
        buttons.addWidget(self.done_button)
        layout.addLayout(buttons)
        return page

    def _import_done(self, result: importer.ImportResult) -> None:
        self.result = result
        for key, label in self.count_labels.items():
            label.setText(format_number(getattr(result, key)))
        self.count_labels["rejected"].setStyleSheet(ERROR_STYLE if result.rejected else "")
        seconds = f"{result.seconds:.1f}".replace(".", ",")
        sheet = f", trang tính “{result.sheet}”" if result.sheet else ""
        self.result_file_label.setText(f"Tệp {Path(result.file).name}{sheet} — {seconds} giây.")
        if result.report:
            self.report_label.setText(f"Các dòng bị loại và lý do được ghi trong tệp:\n{result.report}")
        else:
            self.report_label.setText("Không có dòng nào bị loại.")
        self.open_report_button.setVisible(bool(result.report))
        self.open_folder_button.setVisible(bool(result.report))
        self.stack.setCurrentIndex(2)
        self.done_button.setFocus()
        self.imported.emit(result)

    def open_report(self) -> None:
        if self.result is not None and self.result.report:
            self.open_url(QUrl.fromLocalFile(str(self.result.report)))

    def open_report_folder(self) -> None:
        if self.result is not None and self.result.report:
            self.open_url(QUrl.fromLocalFile(str(Path(self.result.report).parent)))

    def _another(self) -> None:
        self.path = None
        self.preview_data = None
        self.combos = []
        self.preview_table.clear()
        self.preview_table.setRowCount(0)
        self.preview_table.setColumnCount(0)
        self.preview_table.hide()
        self.mapping_note.hide()
        self.file_label.setText("Chưa chọn tệp.")
        self.summary_label.clear_message()
        self.status_label.clear_message()
        self.error_label.clear_message()
        self.import_button.setEnabled(False)
        self.stack.setCurrentIndex(0)
        self.choose()

    # -- closing ----------------------------------------------------------------------------------------------
    def reject(self) -> None:
        if self.busy:
            if self.stack.currentIndex() == 1:
                self.cancel_import()  # closing while importing means cancel; the dialog stays until it stops
            return
        super().reject()

    def stop(self) -> None:
        """The station is being locked: cancel a running import (nothing is saved) and close."""
        if self.progress is not None and self.busy:
            self.progress.cancel()
        self.done(QDialog.DialogCode.Rejected)
