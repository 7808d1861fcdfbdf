"""What a scanned CCCD QR code leads to: the person found, the card's differences to choose from, or a new
person to register (with the warnings confirmed, the target group, priority flags and consent).

Every decision is the core's (``ksk_desktop.people.registration.register``); this dialog shows its answer and sends
the person's choices back. All core calls run off the GUI thread (``ui.ops``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.people import consent, persons
from ksk_desktop.people.people_list import FLAG_LABELS
from ksk_desktop.people.registration import Registration, register
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.messages import error_text
from ui.people.person_text import SEX_LABELS, birth_text
from ui.widgets import MUTED_STYLE, OK_STYLE, ErrorLabel, heading, paragraph

MATCHED_BY = {
    "personal_id": "tìm theo số định danh",
    "old_id": "tìm theo số CMND cũ",
    "name_dob": "tìm theo họ tên và ngày sinh",
}
CONFIRM_TEXT = "Tôi đã kiểm tra thông tin trên thẻ"
EMPTY = "(trống)"
SECTION_STYLE = "QFrame#scanSection { background: white; border: 1px solid #d5dbe3; border-radius: 8px; }"
WARNING_STYLE = (
    "QFrame#scanWarnings { background: #fff4e5; border: 1px solid #f0c36d; border-radius: 8px; }"
    "QFrame#scanWarnings QLabel { color: #5c3c00; }"
)
TABLE_STYLE = "QTableWidget { gridline-color: #e3e7ed; } QHeaderView::section { padding: 4px 6px; }"
# The order fields are listed in, whatever order the core returns them.
FIELD_ORDER = ("name", "id", "old_id", "dob", "sex", "address")
WIDE = 980  # two-column pages (a new person)
#: Registering from a card adds a person (and perhaps consents), all queued for the hub.
REGISTRATION_CHANGES = Changes.PEOPLE | Changes.CONSENTS | Changes.OUTBOX


def look_up(ctx: StationSession, payload: str) -> tuple[Registration, tuple[str, list[str]] | None]:
    """Worker thread: who holds the card (nobody is registered here); for a stranger, also what the
    registration form offers — the station's commune and the hamlets already on the list."""
    from ksk_desktop.people.people_list import hamlets
    from ksk_desktop.station.lifecycle import station_info

    reg = register(ctx, payload, create_new=False)
    place = None
    if reg.status != "existing" and reg.person_id is None:
        place = (station_info(ctx).commune_code, [name for name, _n in hamlets(ctx)])
    return reg, place


def _section(title: str, parent: QWidget) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame(parent)
    frame.setObjectName("scanSection")
    frame.setStyleSheet(SECTION_STYLE)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(14, 10, 14, 12)
    layout.setSpacing(8)
    layout.addWidget(heading(title, 2, frame))
    return frame, layout


def _age(dob: str | None) -> int | None:
    if not dob:
        return None
    born, today = date.fromisoformat(dob), date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def value_text(key: str, value: Any) -> str:
    """A card or record value as it reads on screen (dates dd/mm/yyyy, Nam/Nữ, "(trống)")."""
    if value in (None, ""):
        return EMPTY
    if key == "dob":
        text = str(value)
        return f"{text} (chỉ có năm sinh)" if len(text) == 4 else birth_text(text, None)
    if key == "sex":
        return SEX_LABELS.get(str(value), str(value))
    return str(value)


class ScanResultDialog(QDialog):
    """Identify or register the holder of a scanned card. ``state`` says what is on screen:
    ``loading``, ``error``, ``existing``, ``differences``, ``new``, ``created`` or ``saved``."""

    state_changed = Signal(str)

    def __init__(
        self,
        session: StationSession,
        payload: str,
        parent: QWidget | None = None,
        open_person: Callable[[str], Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.payload = payload  # never shown, never logged
        self.open_person = open_person
        self.state = "loading"
        self.registration: Registration | None = None
        self.place: tuple[str, list[str]] | None = None  # the station's commune, the hamlets on the list
        self.task: ops.Task | None = None
        self.recorded_consents: set[str] = set()
        self.take_checks: dict[str, QCheckBox] = {}
        self.flag_checks: dict[str, QCheckBox] = {}
        self.consent_checks: dict[str, QCheckBox] = {}
        self.differences_table: QTableWidget | None = None
        self.group_combo: QComboBox | None = None
        self.hamlet_combo: QComboBox | None = None
        self.commune_combo = None
        self.giver_combo: QComboBox | None = None
        self.confirm_check: QCheckBox | None = None
        self.warning_labels: list[QLabel] = []
        self.setWindowTitle("Quét thẻ căn cước — KSK Desktop")
        self.setModal(True)
        self.setMinimumWidth(760)

        outer = QVBoxLayout(self)
        outer.setSpacing(8)
        self.title_label = heading("Đang tra cứu…", 1, self)
        self.title_label.setObjectName("scanTitle")
        self.title_label.setWordWrap(True)
        self.subtitle_label = paragraph("", self, muted=True)
        self.subtitle_label.setObjectName("scanSubtitle")
        outer.addWidget(self.title_label)
        outer.addWidget(self.subtitle_label)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pages = QStackedWidget(self.scroll)
        self.scroll.setWidget(self.pages)
        outer.addWidget(self.scroll, 1)
        self.error_label = ErrorLabel(self)
        outer.addWidget(self.error_label)

        buttons = QHBoxLayout()
        self.confirm_row = QWidget(self)  # the "checked the card" box sits next to the buttons it unlocks
        confirm_layout = QHBoxLayout(self.confirm_row)
        confirm_layout.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.confirm_row)
        buttons.addStretch(1)
        self.open_button = self._button("Mở hồ sơ", self._open)
        self.save_choices_button = self._button("Lưu lựa chọn", self._save_choices)
        self.register_button = self._button("Đăng ký", self._register)
        self.consent_button = self._button("Ghi nhận đồng ý", self._record_consents)
        self.close_button = self._button("Đóng", self.reject)
        for b in (
            self.open_button,
            self.save_choices_button,
            self.register_button,
            self.consent_button,
            self.close_button,
        ):
            buttons.addWidget(b)
        outer.addLayout(buttons)

        loading = QWidget(self.pages)
        loading_layout = QVBoxLayout(loading)
        loading_layout.addWidget(
            paragraph("Đang đọc thẻ và tìm trong danh sách người dân…", loading, muted=True)
        )
        loading_layout.addStretch(1)
        self._min_width: int | None = None
        self._set_page(loading, "loading", [self.close_button])
        self.resize(780, 240)
        ctx = session
        # Look only: an unknown card opens the registration form; nobody is registered before "Đăng ký".
        self._run(lambda: look_up(ctx, payload), self._looked_up, self._lookup_failed)

    # -- plumbing ----------------------------------------------------------------------------------------
    def _button(self, text: str, slot: Callable[[], Any]) -> QPushButton:
        button = QPushButton(text, self)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _=False: slot())
        button.hide()
        return button

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def _run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
        changes: Changes = Changes.NONE,
    ) -> None:
        self.error_label.clear_message()
        self._set_busy(True)

        def done(result: Any) -> None:
            self._set_busy(False)
            on_done(result)

        def failed(exc: BaseException) -> None:
            self._set_busy(False)
            (on_error or self._action_failed)(exc)

        self.task = ops.run_in_background(fn, done, failed, context=self, changes=changes)

    def _set_busy(self, busy: bool) -> None:
        self.pages.setEnabled(not busy)
        self.confirm_row.setEnabled(not busy)
        for b in (
            self.open_button,
            self.save_choices_button,
            self.register_button,
            self.consent_button,
            self.close_button,
        ):
            b.setEnabled(not busy)
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()
            self._update_register_button()

    def _set_header(self, title: str, subtitle: str = "", style: str = MUTED_STYLE) -> None:
        self.title_label.setText(title)
        self.subtitle_label.setText(subtitle)
        self.subtitle_label.setStyleSheet(style)
        self.subtitle_label.setVisible(bool(subtitle))

    def _action_failed(self, exc: BaseException) -> None:
        self.error_label.show_message(error_text(exc))

    def _set_page(
        self,
        page: QWidget,
        state: str,
        buttons: list[QPushButton],
        default: QPushButton | None = None,
        min_width: int | None = None,
    ) -> None:
        old = self.pages.currentWidget()
        self.pages.addWidget(page)
        self.pages.setCurrentWidget(page)
        if old is not None and old is not page:
            self.pages.removeWidget(old)
            old.deleteLater()
        for b in (
            self.open_button,
            self.save_choices_button,
            self.register_button,
            self.consent_button,
            self.close_button,
        ):
            b.setVisible(b in buttons)
            b.setDefault(b is default)
        if self.open_person is None:
            self.open_button.hide()
        self.confirm_row.setVisible(state == "new")
        self.state = state
        self._min_width = min_width
        if min_width is not None:
            self.setMinimumWidth(min(min_width, self._screen_width()))
        self.state_changed.emit(state)
        if self.isVisible():
            self._fit(min_width)

    def _fit(self, min_width: int | None = None) -> None:
        """Grow to show the page without scrolling, up to what the screen allows."""
        if min_width is not None and self.width() < min_width:
            self.resize(min_width, self.height())
        self.layout().activate()
        page = self.pages.currentWidget()
        if page is None:
            return
        layout = page.layout()
        width = self.scroll.viewport().width()
        needed = (
            layout.totalHeightForWidth(width)
            if layout is not None and layout.hasHeightForWidth()
            else page.sizeHint().height()
        )
        extra = self.height() - self.scroll.viewport().height()
        wanted = needed + extra + 4
        screen = self.screen().availableGeometry().height() if self.screen() else 900
        height = max(200, min(wanted, int(screen * 0.9)))
        if height != self.height():
            self.resize(self.width(), height)

    def _screen_width(self) -> int:
        screen = self.screen()
        return int(screen.availableGeometry().width() * 0.95) if screen is not None else 1200

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._fit(self._min_width)

    def reject(self) -> None:
        if self.busy:
            return
        super().reject()

    def _person_summary(self, card: dict, parent: QWidget, title: str = "Thông tin trên thẻ") -> QFrame:
        frame, layout = _section(title, parent)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(6)
        age = _age(card.get("dob"))
        rows = [
            ("Họ và tên", card.get("name")),
            ("Số định danh", card.get("id")),
            ("Số CMND cũ", card.get("old_id") or "không có"),
            (
                "Ngày sinh",
                value_text("dob", card.get("dob")) + (f"  ({age} tuổi)" if age is not None else ""),
            ),
            ("Giới tính", value_text("sex", card.get("sex"))),
            ("Nơi thường trú", card.get("address") or EMPTY),
        ]
        if card.get("issued"):
            rows.append(("Ngày cấp thẻ", value_text("dob", card["issued"])))
        for i, (label, value) in enumerate(rows):
            name = QLabel(label, frame)
            name.setStyleSheet(MUTED_STYLE)
            text = QLabel(str(value), frame)
            text.setWordWrap(True)
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(name, i, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(text, i, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        return frame

    def _warnings_box(self, warnings: list[str], parent: QWidget) -> QFrame:
        frame = QFrame(parent)
        frame.setObjectName("scanWarnings")
        frame.setStyleSheet(WARNING_STYLE)
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(14, 10, 14, 12)
        layout.setSpacing(4)
        layout.addWidget(heading("Cần kiểm tra lại trên thẻ", 2, frame))
        self.warning_labels = []
        for w in warnings:
            label = paragraph(f"•  {w}", frame)
            layout.addWidget(label)
            self.warning_labels.append(label)
        return frame

    def _consent_section(self, parent: QWidget, age: int | None) -> QFrame:
        frame, layout = _section("Sự đồng ý", parent)
        layout.addWidget(
            paragraph("Chỉ đánh dấu khi người dân (trẻ em: người giám hộ) đã đồng ý.", frame, muted=True)
        )
        self.consent_checks = {}
        for kind, label in consent.KINDS.items():
            check = QCheckBox(label, frame)
            check.setObjectName(f"consent_{kind}")
            if kind in self.recorded_consents:
                check.setChecked(True)
                check.setEnabled(False)
                check.setText(f"{label} (đã ghi nhận)")
            self.consent_checks[kind] = check
            layout.addWidget(check)
        row = QHBoxLayout()
        row.addWidget(QLabel("Người đồng ý", frame))
        self.giver_combo = QComboBox(frame)
        for giver, text in consent.GIVERS.items():
            self.giver_combo.addItem(text, giver)
        minor = age is not None and age < 18
        self.giver_combo.setCurrentIndex(self.giver_combo.findData("guardian" if minor else "self"))
        row.addWidget(self.giver_combo)
        row.addStretch(1)
        layout.addLayout(row)
        return frame

    def _place_section(self, parent: QWidget) -> QFrame:
        """Where the person lives: the commune from the catalogue (the station's by default) and the hamlet
        from those already on the list (or a new one typed in)."""
        from ui.commune_combo import CommuneCombo

        commune_code, hamlet_names = self.place or ("", [])
        frame, box = _section("Nơi ở", parent)
        grid = QGridLayout()
        self.commune_combo = CommuneCombo(frame)
        self.commune_combo.setObjectName("communeCombo")
        self.commune_combo.select_code(commune_code)
        self.hamlet_combo = QComboBox(frame)
        self.hamlet_combo.setObjectName("hamletCombo")
        self.hamlet_combo.setEditable(True)
        self.hamlet_combo.addItem("")
        for name in hamlet_names:
            self.hamlet_combo.addItem(name)
        self.hamlet_combo.lineEdit().setPlaceholderText("chọn hoặc gõ tên thôn / tổ dân phố")
        grid.addWidget(QLabel("Xã/phường", frame), 0, 0)
        grid.addWidget(self.commune_combo, 0, 1)
        grid.addWidget(QLabel("Thôn/Tổ dân phố", frame), 1, 0)
        grid.addWidget(self.hamlet_combo, 1, 1)
        grid.setColumnStretch(1, 1)
        box.addLayout(grid)
        return frame

    def _checked_consents(self) -> list[str]:
        return [k for k, c in self.consent_checks.items() if c.isChecked() and c.isEnabled()]

    # -- the first answer -------------------------------------------------------------------------------
    def _looked_up(self, found: tuple[Registration, tuple[str, list[str]] | None]) -> None:
        reg, self.place = found
        self.registration = reg
        if reg.status == "existing":
            self._show_existing(reg)
        elif reg.status == "created":
            self._show_created(reg, "Đã đăng ký người mới từ thẻ căn cước.")
        elif reg.person_id is not None:
            self._show_differences(reg)
        else:
            self._show_new(reg)

    def _lookup_failed(self, exc: BaseException) -> None:
        page = QWidget(self.pages)
        layout = QVBoxLayout(page)
        message = paragraph(error_text(exc), page)
        message.setObjectName("scanError")
        message.setStyleSheet("color: #b3261e;")
        layout.addWidget(message)
        layout.addWidget(
            paragraph(
                "Không có gì được lưu. Hãy quét lại: giữ thẻ yên, đúng mặt có mã QR; nếu vẫn "
                "không được, tắt bộ gõ tiếng Việt (Unikey/EVKey) rồi quét lại.",
                page,
                muted=True,
            )
        )
        layout.addStretch(1)
        self._set_header("Không đọc được thẻ", "")
        self._set_page(page, "error", [self.close_button], self.close_button)

    def _show_existing(self, reg: Registration) -> None:
        card = reg.card
        page = QWidget(self.pages)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._person_summary(card, page, "Thông tin"))
        if reg.warnings:
            layout.addWidget(self._warnings_box(reg.warnings, page))
        layout.addStretch(1)
        self._set_header(
            card.get("name") or "",
            f"Đã có trong danh sách người dân "
            f"({MATCHED_BY.get(reg.matched_by or '', '')}); thông tin trên thẻ khớp với hồ sơ.",
        )
        self._set_page(page, "existing", [self.open_button, self.close_button], self.open_button)

    # -- differences --------------------------------------------------------------------------------------
    def _show_differences(self, reg: Registration) -> None:
        page = QWidget(self.pages)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        if reg.warnings:
            layout.addWidget(self._warnings_box(reg.warnings, page))
        frame, box = _section("Thông tin khác nhau", page)
        box.addWidget(
            paragraph(
                "Đánh dấu “Lấy theo thẻ” cho trường cần sửa theo thẻ; trường không đánh dấu giữ "
                "nguyên như trong hồ sơ. Địa chỉ trên thẻ là địa chỉ lúc cấp thẻ, có thể đã cũ.",
                frame,
                muted=True,
            )
        )
        keys = sorted(
            reg.differences, key=lambda k: FIELD_ORDER.index(k) if k in FIELD_ORDER else len(FIELD_ORDER)
        )
        table = QTableWidget(len(keys), 4, frame)
        table.setObjectName("differencesTable")
        table.setStyleSheet(TABLE_STYLE)
        table.setHorizontalHeaderLabels(["Trường", "Trên thẻ", "Trong hồ sơ", "Chọn"])
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.setWordWrap(True)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.take_checks = {}
        for row, key in enumerate(keys):
            d = reg.differences[key]
            label = QTableWidgetItem(d.get("label", key))
            font = label.font()
            font.setBold(True)
            label.setFont(font)
            card_item = QTableWidgetItem(value_text(key, d.get("card")))
            stored_item = QTableWidgetItem(value_text(key, d.get("stored")))
            if d.get("stored") in (None, ""):
                stored_item.setForeground(Qt.GlobalColor.darkGray)
            for col, item in enumerate((label, card_item, stored_item)):
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(row, col, item)
            holder = QWidget(table)
            holder_layout = QHBoxLayout(holder)
            holder_layout.setContentsMargins(6, 0, 6, 0)
            check = QCheckBox("Lấy theo thẻ", holder)
            check.setObjectName(f"take_{key}")
            check.setChecked(d.get("stored") in (None, ""))  # filling a blank loses nothing
            holder_layout.addWidget(check)
            table.setCellWidget(row, 3, holder)
            self.take_checks[key] = check
        table.resizeRowsToContents()
        for row in range(table.rowCount()):
            table.setRowHeight(row, max(table.rowHeight(row) + 8, 34))
        self.differences_table = table
        box.addWidget(table)
        quick = QHBoxLayout()
        all_card = QPushButton("Lấy tất cả theo thẻ", frame)
        all_card.setAutoDefault(False)
        all_card.clicked.connect(lambda: [c.setChecked(True) for c in self.take_checks.values()])
        none_card = QPushButton("Giữ tất cả như hồ sơ", frame)
        none_card.setAutoDefault(False)
        none_card.clicked.connect(lambda: [c.setChecked(False) for c in self.take_checks.values()])
        quick.addWidget(all_card)
        quick.addWidget(none_card)
        quick.addStretch(1)
        box.addLayout(quick)
        layout.addWidget(frame)
        layout.addStretch(1)
        self._set_header(
            reg.card.get("name") or "",
            f"Đã có trong danh sách người dân "
            f"({MATCHED_BY.get(reg.matched_by or '', '')}), nhưng thông tin trên thẻ khác với hồ sơ. "
            "Chọn theo từng trường.",
        )
        self._set_page(
            page,
            "differences",
            [self.open_button, self.save_choices_button, self.close_button],
            self.save_choices_button,
        )
        self._fit_table()

    def _fit_table(self) -> None:
        table = self.differences_table
        if table is None:
            return
        table.resizeRowsToContents()
        for row in range(table.rowCount()):
            table.setRowHeight(row, max(table.rowHeight(row) + 8, 34))
        height = table.horizontalHeader().height() + sum(table.rowHeight(r) for r in range(table.rowCount()))
        table.setFixedHeight(height + 2 * table.frameWidth())

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().resizeEvent(event)
        self._fit_table()  # wrapped addresses take more lines when the window is narrower

    def chosen_fields(self) -> list[str]:
        return [k for k, c in self.take_checks.items() if c.isChecked()]

    def _save_choices(self) -> None:
        if self.busy or self.state != "differences":
            return
        ctx, payload, fields = self.session, self.payload, self.chosen_fields()
        self._run(
            lambda: register(ctx, payload, accept_fields=fields),
            self._choices_saved,
            changes=Changes.PEOPLE | Changes.OUTBOX,
        )

    def _choices_saved(self, reg: Registration) -> None:
        previous = self.registration
        self.registration = reg
        labels = {k: v.get("label", k) for k, v in (previous.differences if previous else {}).items()}
        applied = [labels.get(k, k) for k in reg.applied]
        kept = [labels.get(k, k) for k in labels if k not in reg.applied]
        page = QWidget(self.pages)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        done = paragraph(
            ("Đã sửa theo thẻ: " + ", ".join(applied) + ".")
            if applied
            else "Không sửa trường nào: hồ sơ giữ nguyên.",
            page,
        )
        done.setObjectName("savedText")
        layout.addWidget(done)
        if kept and applied:
            layout.addWidget(paragraph("Giữ nguyên như hồ sơ: " + ", ".join(kept) + ".", page, muted=True))
        layout.addStretch(1)
        self._set_header(self.title_label.text(), "Đã lưu lựa chọn (có ghi nhật ký).", OK_STYLE)
        self._set_page(page, "saved", [self.open_button, self.close_button], self.open_button)

    # -- a new person ---------------------------------------------------------------------------------------
    def _show_new(self, reg: Registration) -> None:
        card, suggestion = reg.card, reg.suggestion or {}
        page, left, right = _two_columns(self.pages)
        left.addWidget(self._warnings_box(reg.warnings, page))
        left.addWidget(self._person_summary(card, page))
        left.addStretch(1)

        frame, box = _section("Nhóm đối tượng và diện ưu tiên", page)
        row = QHBoxLayout()
        row.addWidget(QLabel("Nhóm", frame))
        self.group_combo = QComboBox(frame)
        self.group_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.group_combo.setMinimumContentsLength(18)
        self.group_combo.addItem("— chưa xếp nhóm —", None)
        labels = _group_labels()
        for g in persons.TARGET_GROUPS:
            self.group_combo.addItem(f"Nhóm {g} — {labels[g]}" if labels.get(g) else f"Nhóm {g}", g)
        self.group_combo.setCurrentIndex(max(0, self.group_combo.findData(suggestion.get("target_group"))))
        row.addWidget(self.group_combo, 1)
        box.addLayout(row)
        if suggestion.get("reason"):
            hint = paragraph(f"Gợi ý theo tuổi: {suggestion['reason']}.", frame)
            hint.setObjectName("suggestionLabel")
            hint.setStyleSheet("color: #1a5fb4;")
            box.addWidget(hint)
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        self.flag_checks = {}
        for i, (flag, label) in enumerate(FLAG_LABELS.items()):
            check = QCheckBox(label, frame)
            check.setObjectName(f"flag_{flag}")
            check.setChecked(flag in suggestion.get("flags", []))
            grid.addWidget(check, i // 2, i % 2)
            self.flag_checks[flag] = check
        box.addLayout(grid)
        right.addWidget(frame)
        right.addWidget(self._place_section(page))
        right.addWidget(self._consent_section(page, suggestion.get("age")))
        right.addStretch(1)

        confirm_layout = self.confirm_row.layout()
        while confirm_layout.count():
            item = confirm_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.confirm_check = QCheckBox(CONFIRM_TEXT, self.confirm_row)
        self.confirm_check.setObjectName("confirmCheck")
        font = self.confirm_check.font()
        font.setBold(True)
        self.confirm_check.setFont(font)
        self.confirm_check.toggled.connect(lambda _on: self._update_register_button())
        confirm_layout.addWidget(self.confirm_check)
        if not reg.warnings:  # a clean card needs no extra confirmation
            self.confirm_check.setChecked(True)
            self.confirm_check.hide()
            note = "Chưa có trong danh sách người dân. Chọn thôn/tổ dân phố, kiểm tra nhóm, rồi đăng ký."
        else:
            note = (
                "Chưa có trong danh sách người dân. Thẻ có điểm cần kiểm tra: đối chiếu với thẻ thật, rồi "
                "đăng ký."
            )
        self._set_header(f"Người mới: {card.get('name', '')}", note)
        self._set_page(page, "new", [self.register_button, self.close_button], self.register_button, WIDE)
        self._update_register_button()

    def _update_register_button(self) -> None:
        if self.state == "new":
            confirmed = self.confirm_check is not None and self.confirm_check.isChecked()
            self.register_button.setEnabled(confirmed and not self.busy)
            self.register_button.setToolTip("" if confirmed else f"Đánh dấu “{CONFIRM_TEXT}” trước.")

    def chosen_group(self) -> str | None:
        return self.group_combo.currentData() if self.group_combo is not None else None

    def chosen_flags(self) -> list[str]:
        return [f for f, c in self.flag_checks.items() if c.isChecked()]

    def _register(self) -> None:
        if (
            self.busy
            or self.state != "new"
            or self.confirm_check is None
            or not self.confirm_check.isChecked()
        ):
            return
        ctx, payload = self.session, self.payload
        group, flags, kinds = self.chosen_group(), self.chosen_flags(), self._checked_consents()
        giver = self.giver_combo.currentData() if self.giver_combo is not None else "self"
        hamlet = self.hamlet_combo.currentText().strip() or None if self.hamlet_combo is not None else None
        commune = self.commune_combo.current_code() or None if self.commune_combo is not None else None

        def work() -> tuple[Registration, list[str], BaseException | None]:
            reg = register(
                ctx, payload, accept=True, group=group, flags=flags, hamlet=hamlet, commune_code=commune
            )
            recorded, problem = _record(ctx, reg.person_id, kinds, giver)
            return reg, recorded, problem

        self._run(work, self._registered, changes=REGISTRATION_CHANGES)

    def _registered(self, result: tuple[Registration, list[str], BaseException | None]) -> None:
        reg, recorded, problem = result
        self.recorded_consents.update(recorded)
        self._show_created(reg, "Đã đăng ký người mới sau khi kiểm tra thông tin trên thẻ.")
        if problem is not None:
            self.error_label.show_message(
                "Đã đăng ký, nhưng chưa ghi nhận được sự đồng ý: " + error_text(problem)
            )

    # -- created -----------------------------------------------------------------------------------------------
    def _show_created(self, reg: Registration, text: str) -> None:
        self.registration = reg
        card = reg.card
        page, left, right = _two_columns(self.pages)
        left.addWidget(self._person_summary(card, page))
        left.addStretch(1)
        right.addWidget(self._consent_section(page, _age(card.get("dob"))))
        s = reg.suggestion or {}
        if s.get("target_group") or s.get("reason"):
            group = f"nhóm {s['target_group']}" if s.get("target_group") else "chưa xếp nhóm"
            right.addWidget(
                paragraph(
                    f"Nhóm đối tượng khi đăng ký: {group} ({s.get('reason', '')}). "
                    "Sửa nhóm, thôn/tổ dân phố, số điện thoại trong hồ sơ.",
                    page,
                    muted=True,
                )
            )
        right.addStretch(1)
        self._set_header(card.get("name") or "", text, OK_STYLE)
        buttons = [self.open_button, self.close_button]
        if len(self.recorded_consents) < len(consent.KINDS):
            buttons.insert(1, self.consent_button)
        self._set_page(page, "created", buttons, self.open_button, WIDE)

    def _record_consents(self) -> None:
        if self.busy or self.registration is None or self.registration.person_id is None:
            return
        kinds = self._checked_consents()
        if not kinds:
            self.error_label.show_message("Đánh dấu sự đồng ý cần ghi nhận trước.")
            return
        ctx, pid = self.session, self.registration.person_id
        giver = self.giver_combo.currentData() if self.giver_combo is not None else "self"
        self._run(
            lambda: _record(ctx, pid, kinds, giver),
            self._consents_recorded,
            changes=Changes.CONSENTS | Changes.OUTBOX,
        )

    def _consents_recorded(self, result: tuple[list[str], BaseException | None]) -> None:
        recorded, problem = result
        self.recorded_consents.update(recorded)
        if problem is not None:
            self.error_label.show_message(error_text(problem))
        for kind in recorded:
            check = self.consent_checks.get(kind)
            if check is not None:
                check.setEnabled(False)
                check.setText(f"{consent.KINDS[kind]} (đã ghi nhận)")
        if len(self.recorded_consents) >= len(consent.KINDS):
            self.consent_button.hide()

    # -- leaving ------------------------------------------------------------------------------------------------
    def _open(self) -> None:
        reg = self.registration
        if self.busy or reg is None or reg.person_id is None or self.open_person is None:
            return
        person_id = reg.person_id
        self.accept()
        self.open_person(person_id)


def _two_columns(parent: QWidget) -> tuple[QWidget, QVBoxLayout, QVBoxLayout]:
    """A page with two columns of equal width."""
    page = QWidget(parent)
    grid = QGridLayout(page)
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setHorizontalSpacing(12)
    left, right = QVBoxLayout(), QVBoxLayout()
    left.setSpacing(10)
    right.setSpacing(10)
    grid.addLayout(left, 0, 0)
    grid.addLayout(right, 0, 1)
    grid.setColumnStretch(0, 1)
    grid.setColumnStretch(1, 1)
    return page, left, right


def _group_labels() -> dict[str, str]:
    try:
        return persons.target_group_labels()
    except Exception:  # noqa: BLE001 - labels are a nicety; the codes alone still work
        return {}


def _record(
    ctx: StationSession, person_id: str | None, kinds: list[str], giver: str
) -> tuple[list[str], BaseException | None]:
    """Record each consent (worker thread); what was recorded, and the failure that stopped it, if any."""
    done: list[str] = []
    if person_id is None:
        return done, None
    try:
        for kind in kinds:
            consent.record(ctx, person_id, kind, giver)
            done.append(kind)
    except Exception as exc:  # noqa: BLE001 - shown to the person; the registration itself stands
        return done, exc
    return done, None
