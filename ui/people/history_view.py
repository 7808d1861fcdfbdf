"""The person card's "Lịch hẹn và kết quả khám" section: appointments and exams, newest first."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.dates import show_date
from ui.widgets import paragraph

EMPTY = "Chưa có lịch hẹn hay lần khám nào."
NO_HEALTH_READ = "Tài khoản của bạn không được xem kết quả khám; chỉ hiện lịch hẹn."
HEADERS = ("Ngày", "Nội dung", "Tình trạng")


def _day(iso: str) -> str:
    return show_date(iso)


def history_rows(history: dict) -> list[tuple[str, str, str, str]]:
    """(sort key, date, what, status) for each appointment and exam, newest first."""
    rows = []
    for a in history["appointments"]:
        what = f"Lịch hẹn {a['start']}–{a['end']} tại {a['site']} ({a['campaign']})"
        status = a["status_label"] + (f", số thứ tự {a['queue_no']}" if a.get("queue_no") else "")
        rows.append((a["date"] + " " + a["start"], _day(a["date"]), what, status))
    for e in history["exams"] or []:
        what = f"Khám sức khỏe — mẫu {e['form_label']}"
        status = e["status_label"] + (f", sức khỏe loại {e['health_class']}" if e.get("health_class") else "")
        if e.get("version", 1) > 1:
            status += f" (đính chính lần {e['version'] - 1})"
        rows.append((e["exam_date"] + " 99", _day(e["exam_date"]), what, status))
    rows.sort(reverse=True)
    return rows


class PersonHistoryView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.note_label = paragraph(EMPTY, self, muted=True)
        self.note_label.setObjectName("historyNote")
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setObjectName("historyTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(140)
        layout.addWidget(self.note_label)
        layout.addWidget(self.table)
        self.table.hide()

    def show_history(self, history: dict | None) -> None:
        rows = history_rows(history) if history else []
        self.table.setRowCount(len(rows))
        for r, (_key, day, what, status) in enumerate(rows):
            for c, text in enumerate((day, what, status)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        self.table.setVisible(bool(rows))
        notes = [] if rows else [EMPTY]
        if history is not None and history["exams"] is None:
            notes.append(NO_HEALTH_READ)
        self.note_label.setText(" ".join(notes))
        self.note_label.setVisible(bool(notes))
