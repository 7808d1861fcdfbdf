"""The "Người dân" page: the commune's whole list, searched as you type and filtered, in a lazy table.

The list order (given name first, Vietnamese collation) and the search ranking come from the core; this
page only builds the filter from the widgets and opens the card, the import, the export and the
duplicate finder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIntValidator, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.people import people_list
from ksk_desktop.people.people_list import EXAM_STATUSES, FLAG_LABELS, SEARCH_CAP, ListFilter
from ksk_desktop.people.persons import TARGET_GROUPS, target_group_labels
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.file_dialogs import ask_save_path, documents_folder, with_suffix
from ui.flow_layout import flow_row, labelled
from ui.i18n import format_number
from ui.lazy_page import LazyPage
from ui.messages import error_text
from ui.people.duplicates_dialog import DuplicatesDialog
from ui.people.import_wizard import ImportWizard
from ui.people.people_model import (
    BIRTH,
    GROUP,
    HAMLET,
    NAME,
    PERSON_ID_ROLE,
    PERSONAL_ID,
    PHONE,
    SEX,
    PeopleModel,
)
from ui.people.person_card import PersonCard
from ui.progress import Progress
from ui.widgets import ERROR_STYLE, OK_STYLE, ErrorLabel, MessageLabel, heading, paragraph

SEARCH_DELAY_MS = 150
SEARCH_HINT = "Tìm (Ctrl+F) theo tên (không cần dấu, thứ tự bất kỳ), số định danh hoặc 4–6 số cuối, số CMND, điện thoại, số BHYT…"
ORDER_HINT = "Xếp theo tên (tên gọi trước, rồi họ và tên đệm) theo thứ tự chữ cái tiếng Việt."
NO_READ = "Tài khoản của bạn không có quyền xem danh sách người dân."
COLUMN_WIDTHS = {NAME: 240, BIRTH: 100, SEX: 72, PERSONAL_ID: 130, HAMLET: 150, PHONE: 115, GROUP: 60}


def ask_export_path(parent: QWidget, suggested: Path) -> Path | None:
    return ask_save_path(parent, "Xuất danh sách ra Excel", suggested, "Bảng tính Excel (*.xlsx)", ".xlsx")


class PeopleTable(QTableView):
    """The list: one row per person, fixed row height (the view never measures 100,000 rows)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("peopleTable")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSortingEnabled(False)  # the order is the core's (Vietnamese collation, given name first)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionsClickable(False)
        header.setHighlightSections(False)
        header.setToolTip(ORDER_HINT)

    def apply_column_widths(self) -> None:
        header = self.horizontalHeader()
        for column, width in COLUMN_WIDTHS.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        header.setStretchLastSection(True)


class SearchEdit(QLineEdit):
    """The search box; the Down key moves into the list."""

    down_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down:
            self.down_pressed.emit()
            return
        super().keyPressEvent(event)


class PeoplePage(LazyPage):
    cares = Changes.PEOPLE

    filter_applied = Signal()  # the table shows the current filter (count label updated)
    export_finished = Signal()  # an export ended (done or failed)
    card_opened = Signal(object)  # the PersonCard just opened

    def __init__(self, session: StationSession | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.export_task: ops.Task | None = None
        self.export_path: Path | None = None
        self.export_count: int | None = None
        self.hamlet_names: list[str] = []
        self.hamlets_task: ops.Task | None = None
        self._keep_place: tuple[int, int] | None = None  # (scroll, row) to restore after a refresh
        self._focus_after_count = False
        #: Replaceable (tests): where to save an export; how to open a file or folder.
        self.choose_export_path: Callable[[QWidget, Path], Path | None] = ask_export_path
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 20)
        layout.setSpacing(10)

        top = QHBoxLayout()
        top.addWidget(heading("Người dân", 1, self))
        top.addStretch(1)
        self.add_button = QPushButton("Thêm người", self)
        self.import_button = QPushButton("Nhập danh sách…", self)
        self.export_button = QPushButton("Xuất Excel…", self)
        self.duplicates_button = QPushButton("Tìm trùng lặp", self)
        self.add_button.clicked.connect(self.add_person)
        self.import_button.clicked.connect(self.open_import)
        self.export_button.clicked.connect(self.start_export)
        self.duplicates_button.clicked.connect(self.open_duplicates)
        self.export_button.setToolTip("Xuất danh sách đang hiển thị (theo ô tìm kiếm và bộ lọc) ra tệp .xlsx")
        for b in (self.add_button, self.import_button, self.export_button, self.duplicates_button):
            top.addWidget(b)
        layout.addLayout(top)

        search_row = QHBoxLayout()
        self.search_edit = SearchEdit(self)
        self.search_edit.setObjectName("peopleSearch")
        self.search_edit.setPlaceholderText(SEARCH_HINT)
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumHeight(self.search_edit.sizeHint().height() + 6)
        self.count_label = heading("—", 2, self)
        self.count_label.setObjectName("peopleCount")
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.count_label.setMinimumWidth(150)
        search_row.addWidget(self.search_edit, 1)
        search_row.addWidget(self.count_label)
        layout.addLayout(search_row)

        # The filters wrap onto a second row on a narrow screen (1366 px, or 1280 px at 125 %).
        self.group_buttons: dict[str, QToolButton] = {}
        labels = target_group_labels()
        for g in TARGET_GROUPS:
            button = QToolButton(self)
            button.setText(g)
            button.setCheckable(True)
            button.setToolTip(f"Chỉ hiện nhóm {g}: {labels.get(g, '')} (chọn nhiều nhóm được)")
            button.setMinimumWidth(32)
            button.toggled.connect(self.apply_filter)
            self.group_buttons[g] = button
        self.flag_combo = QComboBox(self)
        self.flag_combo.addItem("Tất cả", None)
        for flag, label in FLAG_LABELS.items():
            self.flag_combo.addItem(label, flag)
        self.flag_combo.currentIndexChanged.connect(self.apply_filter)
        self.hamlet_combo = QComboBox(self)
        self.hamlet_combo.setMinimumContentsLength(14)
        self.hamlet_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.hamlet_combo.addItem("Tất cả", None)
        self.hamlet_combo.currentIndexChanged.connect(self.apply_filter)
        self.year_edit = QLineEdit(self)
        self.year_edit.setObjectName("birthYearFilter")
        self.year_edit.setPlaceholderText("vd. 1960")
        self.year_edit.setValidator(QIntValidator(0, 9999, self))
        self.year_edit.setMaxLength(4)
        self.year_edit.setFixedWidth(80)
        self.year_edit.setClearButtonEnabled(True)
        self.status_combo = QComboBox(self)
        self.status_combo.setObjectName("examStatusFilter")
        self.status_combo.addItem("Tất cả", None)
        for status, label in EXAM_STATUSES.items():
            self.status_combo.addItem(label, status)
        self.status_combo.currentIndexChanged.connect(self.apply_filter)
        self.clear_filters_button = QPushButton("Xóa bộ lọc", self)
        self.clear_filters_button.clicked.connect(self.clear_filters)
        self.filters = flow_row(
            self,
            labelled(self, "Nhóm:", *self.group_buttons.values()),
            labelled(self, "Diện ưu tiên:", self.flag_combo),
            labelled(self, "Thôn/Tổ:", self.hamlet_combo),
            labelled(self, "Năm sinh:", self.year_edit),
            labelled(self, "Khám năm nay:", self.status_combo),
            self.clear_filters_button,
            spacing=14,
        )
        layout.addWidget(self.filters)

        self.model = PeopleModel(self)
        self.model.load_failed.connect(self._load_failed)
        self.model.stale.connect(self.refresh)
        self.model.counted.connect(self._counted)
        self.table = PeopleTable(self)
        self.table.setModel(self.model)
        self.table.apply_column_widths()
        self.table.activated.connect(self._activated)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        layout.addWidget(self.table, 1)

        self.no_read_label = paragraph(NO_READ, self)
        layout.addWidget(self.no_read_label)
        bottom = QHBoxLayout()
        self.hint_label = paragraph(
            "Nhấp đúp hoặc nhấn Enter để mở thẻ người dân. " + ORDER_HINT, self, muted=True
        )
        self.export_progress = QProgressBar(self)
        self.export_progress.setMaximumWidth(260)
        self.export_progress.setFormat("Đang xuất %v / %m")
        self.export_progress.hide()
        self.open_export_button = QPushButton("Mở tệp vừa xuất", self)
        self.open_export_button.clicked.connect(self.open_export)
        self.open_export_button.hide()
        bottom.addWidget(self.hint_label, 1)
        bottom.addWidget(self.export_progress)
        bottom.addWidget(self.open_export_button)
        layout.addLayout(bottom)
        self.status_label = MessageLabel(self, OK_STYLE)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)

        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.apply_filter)
        self.search_edit.textChanged.connect(lambda _t: self.search_timer.start())
        self.search_edit.returnPressed.connect(self._search_entered)
        self.search_edit.down_pressed.connect(self._focus_table)
        self.year_edit.textChanged.connect(self._year_changed)
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, self._focus_search)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self.set_session(session)

    # -- session -----------------------------------------------------------------------------------------
    def can(self, perm: Perm) -> bool:
        return self.session is not None and self.session.can(perm)

    def session_changed(self, session: StationSession | None) -> None:
        self.status_label.clear_message()
        self.error_label.clear_message()
        self.open_export_button.hide()
        self.export_progress.hide()
        if session is None:  # locked: nothing about anyone stays in memory or on screen
            self.search_timer.stop()
            self.no_read_label.hide()
            self.model.set_session(None)
            for w in (self.search_edit, self.year_edit):
                w.blockSignals(True)
                w.clear()
                w.blockSignals(False)
            self._set_hamlets([])
            self.count_label.setText("—")
            self._update_buttons()
            return
        readable = session.can(Perm.PERSON_READ)
        self.no_read_label.setVisible(not readable)
        for w in (self.table, self.search_edit, self.count_label, self.hint_label):
            w.setVisible(readable)
        self.add_button.setVisible(session.can(Perm.PERSON_WRITE))
        self.import_button.setVisible(session.can(Perm.PERSON_WRITE))
        self.export_button.setVisible(readable)
        self.duplicates_button.setVisible(session.can(Perm.PERSON_MERGE))
        if not readable:
            self.model.set_session(None)
            self._update_buttons()
            return
        self.model.set_session(session, self.current_filter())  # read when the page is first shown
        self.count_label.setText("—")
        self._update_buttons()

    def reload(self, changes: Changes) -> None:
        """First shown, or people changed: the hamlets and the list again, keeping the place in it."""
        self.refresh()

    # -- the dialogs it opened (None once closed) ----------------------------------------------------------------
    @property
    def card(self) -> PersonCard | None:
        return self.dialogs.get("card")

    @property
    def import_wizard(self) -> ImportWizard | None:
        return self.dialogs.get("import")

    @property
    def duplicates_dialog(self) -> DuplicatesDialog | None:
        return self.dialogs.get("duplicates")

    # -- filter ----------------------------------------------------------------------------------------------
    def current_filter(self) -> ListFilter:
        year_text = self.year_edit.text().strip()
        return ListFilter(
            query=self.search_edit.text().strip(),
            groups={g for g, b in self.group_buttons.items() if b.isChecked()},
            flags={self.flag_combo.currentData()} if self.flag_combo.currentData() else set(),
            hamlet=self.hamlet_combo.currentData(),
            birth_year=int(year_text) if len(year_text) == 4 else None,
            exam_status=self.status_combo.currentData(),
        )

    def apply_filter(self) -> None:
        """Show the people matching the search box and the filters (list order, or best match first)."""
        self.search_timer.stop()
        if not self.can(Perm.PERSON_READ):
            return
        self.error_label.clear_message()
        self.model.set_filter(self.current_filter())  # counted in the background: _counted follows

    def _counted(self) -> None:
        self._show_count()
        self._update_buttons()
        if self._keep_place is not None:
            scroll, row = self._keep_place
            self._keep_place = None
            self.table.verticalScrollBar().setValue(scroll)
            if 0 <= row < self.model.rowCount():
                self.table.selectRow(row)
        if self._focus_after_count:
            self._focus_after_count = False
            self._focus_table()
        self.filter_applied.emit()

    def _year_changed(self, text: str) -> None:
        if not text or len(text) == 4:
            self.search_timer.start()

    def clear_filters(self) -> None:
        widgets = [
            *self.group_buttons.values(),
            self.flag_combo,
            self.hamlet_combo,
            self.year_edit,
            self.search_edit,
            self.status_combo,
        ]
        for w in widgets:
            w.blockSignals(True)
        for b in self.group_buttons.values():
            b.setChecked(False)
        self.flag_combo.setCurrentIndex(0)
        self.hamlet_combo.setCurrentIndex(0)
        self.status_combo.setCurrentIndex(0)
        self.year_edit.clear()
        self.search_edit.clear()
        for w in widgets:
            w.blockSignals(False)
        self.apply_filter()

    def _show_count(self) -> None:
        n = self.model.rowCount()
        flt = self.model.list_filter
        if self.session is None:
            self.count_label.setText("—")
            return
        self.count_label.setText(f"{format_number(n)} người")
        if flt.query and n >= SEARCH_CAP:
            self.count_label.setToolTip(
                f"Chỉ hiện {format_number(SEARCH_CAP)} người khớp nhất; gõ thêm để thu hẹp."
            )
            self.count_label.setText(f"{format_number(n)}+ người")
        else:
            self.count_label.setToolTip("")

    def reload_hamlets(self) -> None:
        ctx = self.session
        if ctx is None or not ctx.can(Perm.PERSON_READ):
            return
        self.hamlets_task = ops.run_in_background(
            lambda: people_list.hamlets(ctx),
            lambda rows: self._set_hamlets(rows) if ctx is self.session else None,
            lambda exc: self.error_label.show_message(error_text(exc)) if ctx is self.session else None,
            context=self,
        )

    def _set_hamlets(self, rows: list[tuple[str, int]]) -> None:
        current = self.hamlet_combo.currentData()
        self.hamlet_names = [h for h, _n in rows]
        self.hamlet_combo.blockSignals(True)
        self.hamlet_combo.clear()
        self.hamlet_combo.addItem("Tất cả", None)
        for hamlet, n in rows:
            self.hamlet_combo.addItem(f"{hamlet} ({format_number(n)})", hamlet)
        self.hamlet_combo.setCurrentIndex(max(0, self.hamlet_combo.findData(current)))
        self.hamlet_combo.blockSignals(False)

    def refresh(self) -> None:
        """Read the list again after a change, keeping the place in it."""
        if not self.can(Perm.PERSON_READ):
            return
        if self._keep_place is None:
            self._keep_place = (self.table.verticalScrollBar().value(), self.table.currentIndex().row())
        self.reload_hamlets()
        self.apply_filter()

    def _load_failed(self, message: str) -> None:
        self.error_label.show_message(message)

    # -- the list ----------------------------------------------------------------------------------------------
    def _search_entered(self) -> None:
        self._focus_after_count = True  # once the list shows what was typed
        self.apply_filter()

    def _focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def _focus_table(self) -> None:
        if self.model.rowCount():
            if not self.table.currentIndex().isValid():
                self.table.setCurrentIndex(self.model.index(0, 0))
                self.table.selectRow(0)
            self.table.setFocus()

    def _activated(self, index: QModelIndex) -> None:
        person_id = self.model.data(index, PERSON_ID_ROLE)
        if person_id:
            self.open_person(person_id)

    def selected_person_id(self) -> str | None:
        index = self.table.currentIndex()
        return self.model.data(index, PERSON_ID_ROLE) if index.isValid() else None

    def open_person(self, person_id: str | None) -> PersonCard | None:
        """Open the card of *person_id* (``None``: an empty card to add someone)."""
        if self.session is None or self.dialogs.is_open("card"):
            return None
        card = PersonCard(self.session, person_id, self)
        card.set_hamlets(self.hamlet_names)
        self.dialogs.open("card", card)
        self.card_opened.emit(card)
        return card

    def add_person(self) -> None:
        if self.can(Perm.PERSON_WRITE):
            self.open_person(None)

    # -- import, duplicates ----------------------------------------------------------------------------------------
    def open_import(self) -> ImportWizard | None:
        if not self.can(Perm.PERSON_WRITE):
            return None
        # At a lock a running import is cancelled (nothing is saved) rather than waited for.
        return self.dialogs.open("import", ImportWizard(self.session, self), closer=lambda w: w.stop())

    def open_duplicates(self) -> DuplicatesDialog | None:
        if not self.can(Perm.PERSON_MERGE):
            return None
        return self.dialogs.open("duplicates", DuplicatesDialog(self.session, self))

    # -- export --------------------------------------------------------------------------------------------------------
    def suggested_export_path(self) -> Path:
        clock = self.session.clock if self.session is not None else SYSTEM_CLOCK
        return documents_folder() / f"danh-sach-nguoi-dan-{clock.local_now():%Y%m%d-%H%M}.xlsx"

    @property
    def exporting(self) -> bool:
        return self.export_task is not None and not self.export_task.done

    def start_export(self) -> None:
        ctx = self.session
        if ctx is None or self.exporting or not self.can(Perm.PERSON_READ):
            return
        flt = self.current_filter()
        dest = self.choose_export_path(self, self.suggested_export_path())
        if dest is None or ctx is not self.session:
            return
        dest = with_suffix(dest, ".xlsx")
        self.error_label.clear_message()
        self.status_label.clear_message()
        self.open_export_button.hide()
        progress = Progress()  # no parent: the worker may still report after this page is gone
        progress.changed.connect(self._export_progress)
        self.export_progress.setRange(0, 0)
        self.export_progress.show()
        self.export_path, self.export_count = dest, None
        self.export_task = ops.run_in_background(
            lambda: people_list.export_xlsx(ctx, flt, dest, progress=progress.report),
            lambda n: self._exported(ctx, dest, n),
            lambda exc: self._export_failed(ctx, exc),
            context=self,
        )
        self._update_buttons()

    def _export_progress(self, done: int, total: int) -> None:
        self.export_progress.setRange(0, max(total, 1))
        self.export_progress.setValue(done)

    def _exported(self, ctx: StationSession, dest: Path, n: int) -> None:
        if ctx is not self.session:
            return
        self.export_progress.hide()
        self.export_count = n
        self.status_label.show_message(f"Đã xuất {format_number(n)} người ra tệp {dest}.", OK_STYLE)
        self.open_export_button.show()
        self._update_buttons()
        self.export_finished.emit()

    def _export_failed(self, ctx: StationSession, exc: BaseException) -> None:
        if ctx is not self.session:
            return
        self.export_progress.hide()
        self.status_label.clear_message()
        self.error_label.show_message(error_text(exc), ERROR_STYLE)
        self._update_buttons()
        self.export_finished.emit()

    def open_export(self) -> None:
        if self.export_path is not None:
            self.open_url(QUrl.fromLocalFile(str(self.export_path)))

    # -- state ------------------------------------------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        readable = self.can(Perm.PERSON_READ)
        for w in (
            self.search_edit,
            self.year_edit,
            self.flag_combo,
            self.hamlet_combo,
            self.clear_filters_button,
            *self.group_buttons.values(),
        ):
            w.setEnabled(readable)
        self.export_button.setEnabled(readable and not self.exporting and self.model.rowCount() > 0)
        self.add_button.setEnabled(self.can(Perm.PERSON_WRITE))
        self.import_button.setEnabled(self.can(Perm.PERSON_WRITE))
        self.duplicates_button.setEnabled(self.can(Perm.PERSON_MERGE))
