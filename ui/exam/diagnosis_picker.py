"""The ICD-10 picker of the conclusion: type words without diacritics (``tang huyet ap``) or a code (``I10``),
pick with the arrows and Enter; an unknown code is refused with a clear message. The exam's diagnoses are listed
below, the first being the main one (another can be made main); Delete removes one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.catalogs import icd10
from ksk_desktop.errors import KskError, NotFound
from ui.widgets import ErrorLabel

SEARCH_LIMIT = 15
SEARCH_DELAY_MS = 120
CODE_ROLE = Qt.ItemDataRole.UserRole


class DiagnosisPicker(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None, data_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        #: Called when Enter is pressed on an empty search box (the form moves to the next field).
        self.move_on: Callable[[], None] | None = None
        self._read_only = False
        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("icdSearch")
        self.search_edit.setPlaceholderText("Tìm bệnh theo tên (không cần dấu) hoặc mã ICD-10, Enter để thêm")
        self.results = QListWidget(self)
        self.results.setObjectName("icdResults")
        self.results.setMaximumHeight(120)
        self.results.hide()
        self.error_label = ErrorLabel(self)
        self.chosen = QListWidget(self)
        self.chosen.setObjectName("diagnosisList")
        self.chosen.setMaximumHeight(110)
        self.primary_button = QPushButton("Đặt làm bệnh chính", self)
        self.primary_button.setAutoDefault(False)
        self.remove_button = QPushButton("Xóa chẩn đoán", self)
        self.remove_button.setAutoDefault(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.results)
        layout.addWidget(self.error_label)
        layout.addWidget(self.chosen)
        buttons = QHBoxLayout()
        buttons.addWidget(self.primary_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SEARCH_DELAY_MS)
        self.timer.timeout.connect(self.run_search)
        self.search_edit.textEdited.connect(lambda _t: self.timer.start())
        self.search_edit.installEventFilter(self)
        self.chosen.installEventFilter(self)
        self.results.itemActivated.connect(lambda item: self.add_code(item.data(CODE_ROLE)))
        self.primary_button.clicked.connect(self.make_primary)
        self.remove_button.clicked.connect(self.remove_selected)

    # -- searching -------------------------------------------------------------------------------------------------
    def run_search(self) -> None:
        self.timer.stop()
        query = self.search_edit.text().strip()
        self.results.clear()
        self.error_label.clear_message()
        if not query:
            self.results.hide()
            return
        for entry in icd10.search(query, SEARCH_LIMIT, self.data_dir):
            item = QListWidgetItem(icd10.display(entry), self.results)
            item.setData(CODE_ROLE, entry["code"])
        self.results.setVisible(self.results.count() > 0)
        if self.results.count():
            self.results.setCurrentRow(0)

    def pick_current(self) -> None:
        """Enter in the search box: the highlighted result, else the code typed (checked against the catalogue)."""
        if self.timer.isActive():
            self.run_search()
        item = self.results.currentItem()
        if item is not None and self.results.isVisible():
            self.add_code(item.data(CODE_ROLE))
            return
        text = self.search_edit.text().strip()
        try:
            entry = icd10.require(text, self.data_dir)
        except NotFound as exc:  # a well-formed code the catalogue does not have
            self.error_label.show_message(exc.message)
        except KskError:  # not a code, and no name matched
            self.error_label.show_message(f"Không tìm thấy bệnh nào khớp với “{text}” trong danh mục ICD-10.")
        else:
            self.add_code(entry["code"])

    def add_code(self, code: str) -> None:
        if self._read_only:
            return
        entry = icd10.lookup(code, self.data_dir)
        if entry is None:
            self.error_label.show_message(f"Mã ICD-10 {code} không có trong danh mục.")
            return
        self.error_label.clear_message()
        self.search_edit.clear()
        self.results.clear()
        self.results.hide()
        if code in self.codes():
            self.error_label.show_message(f"Chẩn đoán {code} đã có trong danh sách.")
            return
        self._append(entry["code"], entry["name"], primary=self.chosen.count() == 0)
        self.changed.emit()

    # -- the list ---------------------------------------------------------------------------------------------------
    def _append(self, code: str, name: str, primary: bool) -> None:
        item = QListWidgetItem(self.chosen)
        item.setData(CODE_ROLE, {"code": code, "name": name, "primary": primary})
        self._label(item)

    def _label(self, item: QListWidgetItem) -> None:
        d = item.data(CODE_ROLE)
        item.setText(f"{d['code']} – {d['name']}" + ("  (bệnh chính)" if d["primary"] else ""))

    def codes(self) -> list[str]:
        return [self.chosen.item(i).data(CODE_ROLE)["code"] for i in range(self.chosen.count())]

    def value(self) -> list[dict]:
        return [
            {"code": d["code"], "primary": d["primary"]}
            for d in (self.chosen.item(i).data(CODE_ROLE) for i in range(self.chosen.count()))
        ]

    def set_diagnoses(self, diagnoses: list[dict] | None) -> None:
        self.chosen.clear()
        for d in diagnoses or []:
            self._append(d["code"], d.get("name") or "", bool(d.get("primary")))

    def make_primary(self) -> None:
        row = self.chosen.currentRow()
        if row < 0 or self._read_only:
            return
        for i in range(self.chosen.count()):
            item = self.chosen.item(i)
            item.setData(CODE_ROLE, {**item.data(CODE_ROLE), "primary": i == row})
            self._label(item)
        self.changed.emit()

    def remove_selected(self) -> None:
        row = self.chosen.currentRow()
        if row < 0 or self._read_only:
            return
        was_primary = self.chosen.item(row).data(CODE_ROLE)["primary"]
        self.chosen.takeItem(row)
        if was_primary and self.chosen.count():
            first = self.chosen.item(0)
            first.setData(CODE_ROLE, {**first.data(CODE_ROLE), "primary": True})
            self._label(first)
        self.changed.emit()

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for w in (self.search_edit, self.primary_button, self.remove_button):
            w.setEnabled(not read_only)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() != QEvent.Type.KeyPress:
            return False
        key = event.key()
        if watched is self.search_edit:
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self.search_edit.text().strip():
                    self.pick_current()
                elif self.move_on is not None:
                    self.move_on()
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.results.isVisible():
                step = 1 if key == Qt.Key.Key_Down else -1
                self.results.setCurrentRow(
                    max(0, min(self.results.count() - 1, self.results.currentRow() + step))
                )
                return True
        elif watched is self.chosen and key == Qt.Key.Key_Delete:
            self.remove_selected()
            return True
        return False
