"""What a scanned CCCD QR code leads to: the person found, the card's differences to choose from, or a new
person to register (with the warnings confirmed, the target group, priority flags and consent).

Every decision is the core's (``ksk_desktop.people.registration.register``); this dialog shows its answer and sends
the person's choices back. All core calls run off the GUI thread (``ui.ops``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.dates import age_on
from ksk_desktop.people import consent
from ksk_desktop.people.registration import Registration, hamlet_in_address, register
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.messages import error_text
from ui.people.scan_parts import (
    ConsentChoice,
    DifferencesTable,
    PlaceChoice,
    TargetChoice,
    WarningsBox,
    look_up,
    person_summary,
    record_consents,
    section,
    two_columns,
)
from ui.widgets import MUTED_STYLE, OK_STYLE, ErrorLabel, heading, paragraph

MATCHED_BY = {
    "personal_id": "tìm theo số định danh",
    "old_id": "tìm theo số CMND cũ",
    "name_dob": "tìm theo họ tên và ngày sinh",
}
CONFIRM_TEXT = "Tôi đã kiểm tra thông tin trên thẻ"
WIDE = 980  # two-column pages (a new person)
#: Registering from a card adds a person (and perhaps consents), all queued for the hub.
REGISTRATION_CHANGES = Changes.PEOPLE | Changes.CONSENTS | Changes.OUTBOX


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

    def _warnings_box(self, warnings: list[str], parent: QWidget) -> QFrame:
        box = WarningsBox(warnings, parent)
        self.warning_labels = box.labels
        return box

    def _consent_section(self, parent: QWidget, age_years: int | None) -> QFrame:
        choice = ConsentChoice(parent, age_years, self.recorded_consents)
        self.consent_checks, self.giver_combo = choice.checks, choice.giver_combo
        return choice

    def _place_section(self, parent: QWidget) -> QFrame:
        choice = PlaceChoice(parent, *(self.place or ("", [])))
        self.commune_combo, self.hamlet_combo = choice.commune_combo, choice.hamlet_combo
        return choice

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
        layout.addWidget(person_summary(card, self.session.clock.today(), page, "Thông tin"))
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
        frame, box = section("Thông tin khác nhau", page)
        box.addWidget(
            paragraph(
                "Đánh dấu “Lấy theo thẻ” cho trường cần sửa theo thẻ; trường không đánh dấu giữ "
                "nguyên như trong hồ sơ. Địa chỉ trên thẻ là địa chỉ lúc cấp thẻ, có thể đã cũ.",
                frame,
                muted=True,
            )
        )
        table = DifferencesTable(reg.differences, frame)
        self.take_checks = table.take_checks
        self.differences_table = table
        box.addWidget(table)
        box.addLayout(table.quick_buttons(frame))
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
        if self.differences_table is not None:
            self.differences_table.fit()

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
        page, left, right = two_columns(self.pages)
        if reg.warnings:  # a clean card shows no empty box
            left.addWidget(self._warnings_box(reg.warnings, page))
        left.addWidget(person_summary(card, self.session.clock.today(), page))
        left.addStretch(1)

        target = TargetChoice(page, suggestion)
        self.group_combo, self.flag_checks = target.group_combo, target.flag_checks
        right.addWidget(target)
        right.addWidget(self._place_section(page))
        known = hamlet_in_address(card.get("address"), self.place[1] if self.place else [])
        if known is not None and self.hamlet_combo is not None:  # the card names a hamlet of the station
            self.hamlet_combo.setCurrentIndex(self.hamlet_combo.findText(known))
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
            recorded, problem = record_consents(ctx, reg.person_id, kinds, giver)
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
        page, left, right = two_columns(self.pages)
        left.addWidget(person_summary(card, self.session.clock.today(), page))
        left.addStretch(1)
        right.addWidget(self._consent_section(page, age_on(self.session.clock.today(), card.get("dob"))))
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
            lambda: record_consents(ctx, pid, kinds, giver),
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
