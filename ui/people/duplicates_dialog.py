"""People listed twice: the groups the core finds, the record to keep, and merging the others into it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QListWidget,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.errors import KskError
from ksk_desktop.people import duplicates
from ksk_desktop.people.persons import sex_label
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import RECORDS, Changes
from ui.i18n import format_number
from ui.messages import ask, error_text
from ui.people.person_text import birth_text
from ui.widgets import OK_STYLE, ErrorLabel, MessageLabel, heading, paragraph

INTRO = (
    "Các nhóm hồ sơ có cùng họ tên và ngày sinh (hoặc năm sinh), hoặc cùng số CMND cũ. Chọn hồ sơ giữ lại rồi "
    "bấm “Gộp”: các hồ sơ còn lại trong nhóm được gộp vào hồ sơ đó — thông tin còn trống được bổ sung, lịch sử "
    "và sự đồng ý được chuyển sang, việc gộp được ghi vào nhật ký truy cập. Hai người khác số định danh không "
    "bao giờ bị gộp."
)
COLUMNS = (
    "Giữ lại",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số định danh",
    "Số CMND",
    "Thôn/Tổ",
    "Điện thoại",
    "Số thẻ BHYT",
)


def merge_group(
    ctx: StationSession, keep_id: str, merge_ids: list[str]
) -> tuple[list[dict], KskError | None]:
    """Worker thread: merge each record into *keep_id* (one transaction each); stop at the first refusal."""
    done = []
    for mid in merge_ids:
        try:
            done.append(duplicates.merge(ctx, keep_id, mid))
        except KskError as exc:
            return done, exc
    return done, None


class DuplicatesDialog(QDialog):
    loaded = Signal()  # the groups (or the failure to find them) are on screen
    merged = Signal()  # at least one record was merged: the list changed

    def __init__(self, session: StationSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.groups: list[dict] = []
        self.task: ops.Task | None = None
        self.confirm_box: QMessageBox | None = None
        self.keep_group = QButtonGroup(self)
        self.setWindowTitle("Tìm hồ sơ trùng lặp")
        self.setModal(True)
        self.resize(1100, 600)

        layout = QVBoxLayout(self)
        layout.addWidget(heading("Hồ sơ trùng lặp", 1, self))
        layout.addWidget(paragraph(INTRO, self, muted=True))
        self.count_label = paragraph("Đang tìm…", self)
        layout.addWidget(self.count_label)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.group_list = QListWidget(splitter)
        self.group_list.setObjectName("duplicateGroups")
        self.group_list.currentRowChanged.connect(self._show_group)
        self.people_table = QTableWidget(0, len(COLUMNS), splitter)
        self.people_table.setObjectName("duplicatePeople")
        self.people_table.setHorizontalHeaderLabels(list(COLUMNS))
        self.people_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.people_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.people_table.verticalHeader().hide()
        header = self.people_table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([300, 800])
        layout.addWidget(splitter, 1)
        self.status_label = MessageLabel(self, OK_STYLE)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        buttons = QHBoxLayout()
        self.refresh_button = QPushButton("Tìm lại", self)
        self.refresh_button.clicked.connect(self.refresh)
        self.merge_button = QPushButton("Gộp", self)
        self.merge_button.clicked.connect(self.merge)
        self.close_button = QPushButton("Đóng", self)
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(self.merge_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self._update_buttons()
        self.refresh()

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def _run(
        self, fn: Callable[[], Any], on_done: Callable[[Any], None], changes: Changes = Changes.NONE
    ) -> None:
        def failed(exc: BaseException) -> None:
            self.error_label.show_message(error_text(exc))
            self._update_buttons()
            self.loaded.emit()

        def done(result: Any) -> None:
            on_done(result)
            self._update_buttons()

        self.error_label.clear_message()
        self.task = ops.run_in_background(fn, done, failed, context=self, changes=changes)
        self._update_buttons()

    def refresh(self) -> None:
        if self.busy:
            return
        ctx = self.session
        self.count_label.setText("Đang tìm…")
        self._run(lambda: duplicates.find(ctx), self._show_groups)

    def _show_groups(self, groups: list[dict]) -> None:
        self.groups = groups
        self.group_list.clear()
        for g in groups:
            first = g["people"][0]
            born = birth_text(first.get("dob"), first.get("birth_year"))
            self.group_list.addItem(
                f"{first['name']}"
                + (f" ({born})" if born else "")
                + f" — {len(g['people'])} hồ sơ\n{g['reason']}"
            )
        if groups:
            self.count_label.setText(f"Tìm thấy {format_number(len(groups))} nhóm hồ sơ có thể trùng lặp.")
            self.group_list.setCurrentRow(0)
        else:
            self.count_label.setText("Không tìm thấy hồ sơ trùng lặp.")
            self._show_group(-1)
        self.loaded.emit()

    def _show_group(self, index: int) -> None:
        for button in self.keep_group.buttons():
            self.keep_group.removeButton(button)
        table = self.people_table
        table.setRowCount(0)
        if not 0 <= index < len(self.groups):
            self._update_buttons()
            return
        people = self.groups[index]["people"]
        table.setRowCount(len(people))
        # Preselect a record that has a personal ID: it is the one the national registers know.
        keep = next((i for i, p in enumerate(people) if p.get("personal_id")), 0)
        for r, p in enumerate(people):
            radio = QRadioButton(table)
            radio.setChecked(r == keep)
            radio.toggled.connect(self._update_buttons)
            self.keep_group.addButton(radio, r)
            table.setCellWidget(r, 0, radio)
            values = (
                p["name"],
                birth_text(p.get("dob"), p.get("birth_year")),
                sex_label(p.get("sex")),
                p.get("personal_id") or "",
                p.get("old_id") or "",
                p.get("hamlet") or "",
                p.get("phone") or "",
                p.get("insurance_no") or "",
            )
            for c, value in enumerate(values, start=1):
                table.setItem(r, c, QTableWidgetItem(value))
        self._update_buttons()

    def current_people(self) -> list[dict]:
        row = self.group_list.currentRow()
        return self.groups[row]["people"] if 0 <= row < len(self.groups) else []

    def keep_index(self) -> int:
        return self.keep_group.checkedId()

    def set_keep(self, index: int) -> None:
        button = self.keep_group.button(index)
        if button is not None:
            button.setChecked(True)

    def _update_buttons(self) -> None:
        busy = self.busy
        self.refresh_button.setEnabled(not busy)
        self.merge_button.setEnabled(not busy and len(self.current_people()) > 1 and self.keep_index() >= 0)
        self.group_list.setEnabled(not busy)

    def merge(self) -> None:
        people, keep = self.current_people(), self.keep_index()
        if self.busy or len(people) < 2 or keep < 0:
            return
        kept = people[keep]
        others = [p for i, p in enumerate(people) if i != keep]
        ctx, keep_id, merge_ids = self.session, kept["id"], [p["id"] for p in others]
        born = birth_text(kept.get("dob"), kept.get("birth_year"))
        text = (
            f"Gộp {len(others)} hồ sơ vào hồ sơ của {kept['name']}"
            + (f" ({born})" if born else "")
            + "? Thông tin còn trống của hồ sơ giữ lại được bổ sung từ hồ sơ bị gộp; lịch sử được chuyển sang. "
            "Việc gộp được ghi vào nhật ký truy cập."
        )
        self.confirm_box = ask(
            self,
            "Gộp hồ sơ trùng lặp",
            text,
            lambda: self._run(lambda: merge_group(ctx, keep_id, merge_ids), self._merged, RECORDS),
            yes_text="Gộp",
        )

    def _merged(self, result: tuple[list[dict], KskError | None]) -> None:
        done, exc = result
        self.refresh()  # the groups changed (first: finding again clears the error line)
        if done:
            kept = done[-1]["kept"]
            self.status_label.show_message(f"Đã gộp {len(done)} hồ sơ vào hồ sơ của {kept['name']}.")
            self.merged.emit()
        else:
            self.status_label.clear_message()
        if exc is not None:
            self.error_label.show_message(error_text(exc))

    def reject(self) -> None:
        if self.busy:
            return
        super().reject()
