"""The person card: one person's record, classification and consents.

Opening it reads the record with ``get_person`` (an audited read). Saving sends only the fields that were
changed, with the version that was read, so an edit made meanwhile by someone else is never overwritten.
Without the right to edit people the card is read-only. ``person_id=None`` opens an empty card to add a
person; once saved it becomes that person's card.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.dates import hhmm
from ksk_desktop.outbox import sync_conflicts
from ksk_desktop.people import consent, persons
from ksk_desktop.people.history import person_history
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.messages import ask, error_text
from ui.people.card_form import TEXT_FIELDS, UNKNOWN_YEAR, CardForm, section
from ui.people.history_view import PersonHistoryView
from ui.people.person_text import birth_text
from ui.task_dialog import FormError
from ui.widgets import OK_STYLE, ErrorLabel, MessageLabel, heading, paragraph

CONSENT_CHANGES = Changes.CONSENTS | Changes.OUTBOX
CONFLICT_STYLE = "color: #8a4b00;"


def conflict_text(conflicts: list[dict]) -> str:
    """ "Có thay đổi song song: …" with the values the hub kept, or nothing."""
    if not conflicts:
        return ""
    parts = [
        f"máy {c['device'] or 'khác'} lúc {c['when']} — {c['lost_text']}{'' if not c['seen'] else ' (đã xem)'}"
        for c in conflicts[:3]
    ]
    more = f" (và {len(conflicts) - 3} lần khác, xem trang Đồng bộ)" if len(conflicts) > 3 else ""
    return "Có thay đổi song song: " + "; ".join(parts) + more


class PersonCard(QDialog, CardForm):
    loaded = Signal()  # the record (or the failure to read it) is on screen
    saved = Signal(object)  # the record as stored after a save (persons.PersonRecord)
    consents_changed = Signal()

    def __init__(
        self,
        session: StationSession,
        person_id: str | None = None,
        parent: QWidget | None = None,
        hamlets: list[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.person_id = person_id
        self.record: persons.PersonRecord | None = None
        self.consents: list[consent.ConsentRow] = []
        self.can_write = session.can(Perm.PERSON_WRITE)
        self.task: ops.Task | None = None
        self.confirm_box: QMessageBox | None = None
        self.suggestion: dict = {}
        self.setWindowTitle("Thêm người dân" if person_id is None else "Thẻ người dân")
        self.setModal(True)
        self.resize(1160, 690)

        outer = QVBoxLayout(self)
        outer.setSpacing(8)
        self.title_label = heading("Người dân mới" if person_id is None else "Đang mở hồ sơ…", 1, self)
        self.title_label.setWordWrap(True)
        self.meta_label = paragraph("", self, muted=True)
        # Concurrent changes of this record on two devices that the hub kept (docs/multi-device.md §4).
        self.conflict_label = MessageLabel(self, CONFLICT_STYLE)
        self.conflict_label.setObjectName("personConflicts")
        outer.addWidget(self.title_label)
        outer.addWidget(self.meta_label)
        outer.addWidget(self.conflict_label)

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.content = QWidget(scroll)
        scroll.setWidget(self.content)
        columns = QHBoxLayout(self.content)
        columns.setContentsMargins(0, 0, 6, 0)
        columns.setSpacing(12)
        left, right = QVBoxLayout(), QVBoxLayout()
        left.setSpacing(12)
        right.setSpacing(12)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        outer.addWidget(scroll, 1)

        self._build_demographics(left)
        history, history_layout = section("Lịch hẹn và kết quả khám", self.content)
        self.history_view = PersonHistoryView(history)
        history_layout.addWidget(self.history_view)
        left.addWidget(history)
        left.addStretch(1)
        self._build_classification(right)
        self._build_consent(right)
        right.addStretch(1)

        self.error_label = ErrorLabel(self)
        self.status_label = MessageLabel(self, OK_STYLE)
        outer.addWidget(self.error_label)
        outer.addWidget(self.status_label)
        buttons = QHBoxLayout()
        self.read_only_label = paragraph(
            "Tài khoản của bạn chỉ được xem, không được sửa thông tin người dân.", self, muted=True
        )
        self.save_button = QPushButton("Thêm người" if person_id is None else "Lưu thay đổi", self)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.close_button = QPushButton("Đóng", self)
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.read_only_label)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        outer.addLayout(buttons)
        self.read_only_label.setVisible(not self.can_write)
        self.save_button.setVisible(self.can_write)

        self._set_editable(self.can_write)
        self._update_birth_widgets()
        if person_id is None:
            self._update_enabled()
        else:
            self.load()

    # -- loading ----------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def _run(
        self, fn: Callable[[], Any], on_done: Callable[[Any], None], changes: Changes = Changes.NONE
    ) -> None:
        self.error_label.clear_message()
        self.status_label.clear_message()

        def done(result: Any) -> None:
            on_done(result)
            self._update_enabled()

        def failed(exc: BaseException) -> None:
            self.error_label.show_message(error_text(exc))
            self._update_enabled()
            if self.record is None and self.person_id is not None:
                self.loaded.emit()  # the card could not be read: say so and stop waiting

        self.task = ops.run_in_background(fn, done, failed, context=self, changes=changes)
        self._update_enabled()

    def load(self) -> None:
        ctx, pid = self.session, self.person_id

        def read() -> tuple[persons.PersonRecord, list[consent.ConsentRow], dict, list[dict]]:
            return (
                persons.get_person(ctx, pid),
                consent.of_person(ctx, pid),
                person_history(ctx, pid),
                sync_conflicts.for_person(ctx, pid),
            )

        def show(result: tuple[persons.PersonRecord, list[consent.ConsentRow], dict, list[dict]]) -> None:
            self._show_record(result[0])
            self._show_consents(result[1])
            self.history_view.show_history(result[2])
            self.conflict_label.show_message(conflict_text(result[3]))
            self.loaded.emit()

        self._run(read, show)

    def _show_record(self, record: persons.PersonRecord) -> None:
        self.record = record
        self.person_id = record.id
        self.title_label.setText(record.name)
        born = birth_text(record.dob, record.birth_year)
        meta = [
            (f"Sinh {born}" if record.dob else f"Sinh năm {born}") if born else "Chưa có ngày sinh",
            persons.sex_label(record.sex),
        ]
        if record.personal_id:
            meta.append(f"Số định danh {record.personal_id}")
        meta.append(f"Mã hồ sơ {record.id[:8]} · phiên bản {record.version}")
        self.meta_label.setText(" · ".join(m for m in meta if m))
        for field, key in TEXT_FIELDS:
            value = getattr(record, key) or ""
            if field == "hamlet":
                self.hamlet_combo.setEditText(value)
            else:
                self._edit_of(field).setText(value)
        dob = record.dob
        year = record.birth_year
        self.year_only_check.blockSignals(True)
        self.year_only_check.setChecked(not dob and year is not None)
        self.year_only_check.blockSignals(False)
        self.dob_edit.setText(birth_text(dob, None) if dob else "")
        self.year_spin.setValue(year or UNKNOWN_YEAR)
        self.sex_combo.setCurrentIndex(max(0, self.sex_combo.findData(record.sex)))
        self.group_combo.setCurrentIndex(max(0, self.group_combo.findData(record.target_group)))
        for flag, check in self.flag_checks.items():
            check.setChecked(flag in record.flags)
        self.save_button.setText("Lưu thay đổi")
        self.setWindowTitle(f"Thẻ người dân — {record.name}")
        self._update_birth_widgets()

    def _show_consents(self, rows: list[consent.ConsentRow]) -> None:
        self.consents = rows
        for line in self.consent_lines.values():
            line.show_rows(rows)

    def set_hamlets(self, hamlets: list[str]) -> None:
        current = self.hamlet_combo.currentText()
        self.hamlet_combo.clear()
        self.hamlet_combo.addItems(hamlets)
        self.hamlet_combo.setEditText(current)

    def save(self) -> None:
        if not self.can_write or self.busy:
            return
        self.error_label.clear_message()
        try:
            if self.record is None:
                fn = self._prepare_create()
            else:
                fn = self._prepare_update()
        except FormError as exc:
            self.error_label.show_message(exc.message)
            return
        if fn is None:
            self.status_label.show_message("Không có thay đổi nào để lưu.")
            return
        self._run(fn, self._saved, Changes.PEOPLE | Changes.OUTBOX)

    def _prepare_create(self) -> Callable[[], persons.PersonRecord]:
        values, flags = self.form_values()
        ctx = self.session
        data = persons.PersonInput(**values, flags=flags)

        return lambda: persons.create_person(ctx, data)  # in the station's commune

    def _prepare_update(self) -> Callable[[], persons.PersonRecord] | None:
        changes, flags = self.changes()
        if not changes and flags is None:
            return None
        ctx, pid, version = self.session, self.person_id, self.record.version
        return lambda: persons.update_person(
            ctx, pid, changes, flags, source="card", expected_version=version
        )

    def _saved(self, record: persons.PersonRecord) -> None:
        created = self.record is None
        self._show_record(record)
        if created:
            self._show_consents([])
        self.status_label.show_message(
            f"Đã {'thêm' if created else 'lưu'} hồ sơ lúc {hhmm(self.session.clock.local_now())}."
        )
        self.saved.emit(record)

    # -- consent ------------------------------------------------------------------------------------------
    def record_consent(self, kind: str) -> None:
        if self.busy or self.person_id is None:
            return
        line = self.consent_lines[kind]
        ctx, pid, giver = self.session, self.person_id, line.giver_combo.currentData()

        def work() -> list[consent.ConsentRow]:
            consent.record(ctx, pid, kind, giver)
            return consent.of_person(ctx, pid)

        self._run(work, self._consents_saved, CONSENT_CHANGES)

    def withdraw_consent(self, kind: str) -> None:
        line = self.consent_lines[kind]
        if self.busy or line.active is None:
            return
        ctx, pid, cid = self.session, self.person_id, line.active.id

        def work() -> list[consent.ConsentRow]:
            consent.withdraw(ctx, cid)
            return consent.of_person(ctx, pid)

        self.confirm_box = ask(
            self,
            "Rút lại sự đồng ý",
            f"Ghi nhận việc rút lại: {consent.KINDS[kind].lower()}? Bản ghi đồng ý cũ vẫn "
            "được lưu lại trong lịch sử.",
            lambda: self._run(work, self._consents_saved, CONSENT_CHANGES),
            yes_text="Rút lại",
        )

    def _consents_saved(self, rows: list[consent.ConsentRow]) -> None:
        self._show_consents(rows)
        self.status_label.show_message("Đã ghi nhận.")
        self.consents_changed.emit()

    # -- state ------------------------------------------------------------------------------------------------
    def _update_enabled(self) -> None:
        busy = self.busy
        saved = self.record is not None
        usable = saved or self.person_id is None  # not while an existing record is (or failed to be) read
        self.content.setEnabled(usable and not busy)
        self.save_button.setEnabled(self.can_write and usable and not busy)
        for line in self.consent_lines.values():
            line.set_enabled(self.can_write, saved, busy)
        self.consent_note.setVisible(self.can_write and not saved)
        self._update_suggestion_button()

    def reject(self) -> None:
        if self.busy:
            return
        if self.is_dirty():
            self.confirm_box = ask(
                self,
                "Đóng thẻ người dân",
                "Có thay đổi chưa lưu. Đóng mà không lưu?",
                lambda: QDialog.reject(self),
                yes_text="Đóng, không lưu",
            )
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy or self.is_dirty():
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)
