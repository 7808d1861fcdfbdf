"""The person card's form: its sections (the person's details with the birth date, age and guardian; the target
group and priority flags with the suggestion by age; the consents) and what was typed in them.

``CardForm`` is the form half of ``ui.people.person_card.PersonCard``: it builds the widgets onto the card and
reads them back; the card loads, saves and records consents.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.people import consent, persons
from ui.messages import error_text
from ui.people.person_text import flag_label, parse_date_text, vietnam_time
from ui.task_dialog import FormError
from ui.widgets import ERROR_STYLE, MUTED_STYLE, OK_STYLE, heading, paragraph

CONSENT_LAW = (
    "Cần sự đồng ý của người dân (trẻ em: người giám hộ) trước khi khám và trước khi gửi kết quả "
    "lên hồ sơ sức khỏe điện tử (Luật 91/2025/QH15)."
)
LABEL_WIDTH, LABEL_WIDTH_2 = 125, 95  # label columns, shared by the form and the guardian rows
UNKNOWN_YEAR = 1879  # the spin box's "not known" value (the core accepts 1880 onwards)

# Text fields of the form: core field → attribute of the record returned by get_person.
TEXT_FIELDS = (
    ("full_name", "name"),
    ("personal_id", "personal_id"),
    ("old_id", "old_id"),
    ("phone", "phone"),
    ("insurance_no", "insurance_no"),
    ("hamlet", "hamlet"),
    ("permanent_address", "permanent_address"),
    ("current_address", "current_address"),
    ("guardian_name", "guardian_name"),
    ("guardian_phone", "guardian_phone"),
)


def section(title: str, parent: QWidget) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame(parent)
    frame.setObjectName("cardSection")
    frame.setStyleSheet(
        "QFrame#cardSection { background: white; border: 1px solid #d5dbe3; border-radius: 8px; }"
    )
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(16, 12, 16, 14)
    layout.setSpacing(8)
    layout.addWidget(heading(title, 2, frame))
    return frame, layout


def _blank(text: str) -> str | None:
    text = " ".join(text.split())
    return text or None


class ConsentLine(QWidget):
    """One kind of consent: where it stands, who gives it, record or withdraw."""

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.active: consent.ConsentRow | None = None
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setVerticalSpacing(4)
        layout.setHorizontalSpacing(8)
        title = QLabel(consent.KINDS[kind], self)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        self.status_label = paragraph("Chưa ghi nhận.", self)
        self.status_label.setObjectName(f"consentStatus_{kind}")
        self.giver_combo = QComboBox(self)
        for giver, label in consent.GIVERS.items():
            self.giver_combo.addItem(label, giver)
        self.record_button = QPushButton("Ghi nhận đồng ý", self)
        self.withdraw_button = QPushButton("Rút lại", self)
        layout.addWidget(title, 0, 0, 1, 4)
        layout.addWidget(self.status_label, 1, 0, 1, 4)
        layout.addWidget(QLabel("Người đồng ý:", self), 2, 0)
        layout.addWidget(self.giver_combo, 2, 1)
        layout.addWidget(self.record_button, 2, 2)
        layout.addWidget(self.withdraw_button, 2, 3)
        layout.setColumnStretch(4, 1)
        self.show_rows([])

    def show_rows(self, rows: list[consent.ConsentRow]) -> None:
        mine = sorted((r for r in rows if r.kind == self.kind), key=lambda r: r.recorded_at)
        self.active = next((r for r in reversed(mine) if r.active), None)
        if self.active is not None:
            r = self.active
            text = (
                f"Đã đồng ý ({consent.GIVERS.get(r.given_by, r.given_by).lower()}) — ghi nhận bởi "
                f"{r.recorded_by} lúc {vietnam_time(r.recorded_at)}."
            )
            style = OK_STYLE
        elif mine:
            r = mine[-1]
            text = (
                f"Đã rút lại — bởi {r.withdrawn_by} lúc {vietnam_time(r.withdrawn_at)} (đồng ý trước đó "
                f"ghi nhận bởi {r.recorded_by} lúc {vietnam_time(r.recorded_at)})."
            )
            style = ERROR_STYLE
        else:
            text, style = "Chưa ghi nhận.", MUTED_STYLE
        self.status_label.setText(text)
        self.status_label.setStyleSheet(style)
        history = [
            f"{vietnam_time(r.recorded_at)}: {consent.GIVERS.get(r.given_by, r.given_by)} đồng ý "
            f"(ghi nhận bởi {r.recorded_by})"
            + (f"; rút lại {vietnam_time(r.withdrawn_at)} bởi {r.withdrawn_by}" if r.withdrawn_at else "")
            for r in mine
        ]
        self.status_label.setToolTip("\n".join(history))

    def set_enabled(self, can_write: bool, saved: bool, busy: bool) -> None:
        ok = can_write and saved and not busy
        self.giver_combo.setEnabled(ok and self.active is None)
        self.record_button.setEnabled(ok and self.active is None)
        self.withdraw_button.setEnabled(ok and self.active is not None)
        for w in (self.giver_combo, self.record_button, self.withdraw_button):
            w.setVisible(can_write)


class CardForm:
    """The card's sections and fields (mixed into ``PersonCard``, which provides ``session``, ``content``,
    ``can_write``, ``busy``, ``record``, ``person_id`` and the consent actions)."""

    # -- building ------------------------------------------------------------------------------------
    def _build_demographics(self, body: QVBoxLayout) -> None:
        frame, layout = section("Thông tin cá nhân", self.content)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        self.name_edit = QLineEdit(frame)
        self.name_edit.setPlaceholderText("Họ, tên đệm và tên, ví dụ: Nguyễn Văn An")
        self.dob_edit = QLineEdit(frame)
        self.dob_edit.setPlaceholderText("dd/mm/yyyy")
        self.dob_edit.setMaximumWidth(130)
        self.year_only_check = QCheckBox("Chỉ biết năm sinh", frame)
        self.year_spin = QSpinBox(frame)
        self.year_spin.setRange(UNKNOWN_YEAR, self.session.clock.today().year)
        self.year_spin.setSpecialValueText("chưa rõ")
        self.year_spin.setValue(UNKNOWN_YEAR)
        self.year_spin.setMaximumWidth(100)
        self.age_label = QLabel(frame)
        self.age_label.setStyleSheet(MUTED_STYLE)
        birth_row = QHBoxLayout()
        birth_row.setSpacing(8)
        birth_row.addWidget(self.dob_edit)
        birth_row.addWidget(self.year_spin)
        birth_row.addWidget(self.year_only_check)
        birth_row.addWidget(self.age_label, 1)
        self.sex_combo = QComboBox(frame)
        self.sex_combo.addItem("— chưa rõ —", None)
        for code, label in persons.SEX_LABELS.items():
            self.sex_combo.addItem(label, code)
        self.personal_id_edit = QLineEdit(frame)
        self.personal_id_edit.setPlaceholderText("12 chữ số")
        self.old_id_edit = QLineEdit(frame)
        self.old_id_edit.setPlaceholderText("9 chữ số (nếu có)")
        self.phone_edit = QLineEdit(frame)
        self.phone_edit.setPlaceholderText("ví dụ: 0912 345 678")
        self.insurance_edit = QLineEdit(frame)
        self.hamlet_combo = QComboBox(frame)
        self.hamlet_combo.setEditable(True)
        self.hamlet_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.permanent_edit = QLineEdit(frame)
        self.current_edit = QLineEdit(frame)
        self.current_edit.setPlaceholderText("để trống nếu giống địa chỉ thường trú")

        def label(text: str) -> QLabel:
            return QLabel(text, frame)

        grid.addWidget(label("Họ và tên"), 0, 0)
        grid.addWidget(self.name_edit, 0, 1, 1, 3)
        grid.addWidget(label("Ngày sinh"), 1, 0)
        grid.addLayout(birth_row, 1, 1, 1, 3)
        grid.addWidget(label("Giới tính"), 2, 0)
        grid.addWidget(self.sex_combo, 2, 1)
        grid.addWidget(label("Thôn/Tổ"), 2, 2)
        grid.addWidget(self.hamlet_combo, 2, 3)
        grid.addWidget(label("Số định danh"), 3, 0)
        grid.addWidget(self.personal_id_edit, 3, 1)
        grid.addWidget(label("Số CMND cũ"), 3, 2)
        grid.addWidget(self.old_id_edit, 3, 3)
        grid.addWidget(label("Điện thoại"), 4, 0)
        grid.addWidget(self.phone_edit, 4, 1)
        grid.addWidget(label("Số thẻ BHYT"), 4, 2)
        grid.addWidget(self.insurance_edit, 4, 3)
        grid.addWidget(label("Địa chỉ thường trú"), 5, 0)
        grid.addWidget(self.permanent_edit, 5, 1, 1, 3)
        grid.addWidget(label("Nơi ở hiện tại"), 6, 0)
        grid.addWidget(self.current_edit, 6, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setColumnMinimumWidth(0, LABEL_WIDTH)
        grid.setColumnMinimumWidth(2, LABEL_WIDTH_2)
        layout.addLayout(grid)

        self.guardian_box = QWidget(frame)
        guardian = QGridLayout(self.guardian_box)
        guardian.setContentsMargins(0, 6, 0, 0)
        guardian.setHorizontalSpacing(10)
        note = QLabel("Người giám hộ (người dưới 18 tuổi)", self.guardian_box)
        font = note.font()
        font.setBold(True)
        note.setFont(font)
        self.guardian_name_edit = QLineEdit(self.guardian_box)
        self.guardian_phone_edit = QLineEdit(self.guardian_box)
        guardian.addWidget(note, 0, 0, 1, 4)
        guardian.addWidget(QLabel("Họ tên", self.guardian_box), 1, 0)
        guardian.addWidget(self.guardian_name_edit, 1, 1)
        guardian.addWidget(QLabel("Điện thoại", self.guardian_box), 1, 2)
        guardian.addWidget(self.guardian_phone_edit, 1, 3)
        guardian.setColumnStretch(1, 1)
        guardian.setColumnStretch(3, 1)
        guardian.setColumnMinimumWidth(0, LABEL_WIDTH)
        guardian.setColumnMinimumWidth(2, LABEL_WIDTH_2)
        layout.addWidget(self.guardian_box)
        body.addWidget(frame)

        self.dob_edit.textChanged.connect(self._update_birth_widgets)
        self.year_spin.valueChanged.connect(self._update_birth_widgets)
        self.year_only_check.toggled.connect(self._year_only_toggled)

    def _build_classification(self, body: QVBoxLayout) -> None:
        frame, layout = section("Nhóm đối tượng và diện ưu tiên", self.content)
        row = QHBoxLayout()
        row.addWidget(QLabel("Nhóm đối tượng", frame))
        self.group_combo = QComboBox(frame)
        self.group_combo.addItem("— chưa xếp nhóm —", None)
        labels = persons.target_group_labels()
        for g in persons.TARGET_GROUPS:
            self.group_combo.addItem(f"Nhóm {g} — {labels.get(g, '')}", g)
        row.addWidget(self.group_combo)
        row.addStretch(1)
        layout.addLayout(row)
        flags = QGridLayout()
        flags.setHorizontalSpacing(16)
        self.flag_checks: dict[str, QCheckBox] = {}
        for i, flag in enumerate(persons.FLAGS):
            check = QCheckBox(flag_label(flag), frame)
            self.flag_checks[flag] = check
            flags.addWidget(check, i // 2, i % 2)
            check.toggled.connect(self._update_suggestion_button)
        layout.addLayout(flags)
        suggestion = QHBoxLayout()
        self.suggestion_label = paragraph("", frame)
        self.suggestion_label.setObjectName("suggestionLabel")
        self.suggestion_label.setStyleSheet("color: #1a5fb4;")
        self.apply_suggestion_button = QPushButton("Áp dụng", frame)
        self.apply_suggestion_button.setToolTip("Đặt nhóm và diện ưu tiên theo gợi ý (vẫn cần lưu)")
        self.apply_suggestion_button.clicked.connect(self.apply_suggestion)
        suggestion.addWidget(self.suggestion_label, 1)
        suggestion.addWidget(self.apply_suggestion_button)
        layout.addLayout(suggestion)
        self.group_combo.currentIndexChanged.connect(self._update_suggestion_button)
        body.addWidget(frame)

    def _build_consent(self, body: QVBoxLayout) -> None:
        frame, layout = section("Sự đồng ý của người dân", self.content)
        layout.addWidget(paragraph(CONSENT_LAW, frame, muted=True))
        self.consent_lines: dict[str, ConsentLine] = {}
        for kind in consent.KINDS:
            line = ConsentLine(kind, frame)
            line.record_button.clicked.connect(lambda _=False, k=kind: self.record_consent(k))
            line.withdraw_button.clicked.connect(lambda _=False, k=kind: self.withdraw_consent(k))
            self.consent_lines[kind] = line
            layout.addWidget(line)
        self.consent_note = paragraph("Lưu hồ sơ trước, sau đó ghi nhận sự đồng ý.", frame, muted=True)
        layout.addWidget(self.consent_note)
        body.addWidget(frame)

    def _set_editable(self, editable: bool) -> None:
        for edit in (
            self.name_edit,
            self.dob_edit,
            self.personal_id_edit,
            self.old_id_edit,
            self.phone_edit,
            self.insurance_edit,
            self.permanent_edit,
            self.current_edit,
            self.guardian_name_edit,
            self.guardian_phone_edit,
        ):
            edit.setReadOnly(not editable)
        for w in (
            self.year_only_check,
            self.year_spin,
            self.sex_combo,
            self.hamlet_combo,
            self.group_combo,
            *self.flag_checks.values(),
        ):
            w.setEnabled(editable)

    def _edit_of(self, field: str) -> QLineEdit:
        return {
            "full_name": self.name_edit,
            "personal_id": self.personal_id_edit,
            "old_id": self.old_id_edit,
            "phone": self.phone_edit,
            "insurance_no": self.insurance_edit,
            "hamlet": self.hamlet_combo.lineEdit(),
            "permanent_address": self.permanent_edit,
            "current_address": self.current_edit,
            "guardian_name": self.guardian_name_edit,
            "guardian_phone": self.guardian_phone_edit,
        }[field]

    # -- birth date, age, suggestion ------------------------------------------------------------------------
    def _year_only_toggled(self, year_only: bool) -> None:
        if year_only:
            try:
                self.year_spin.setValue(parse_date_text(self.dob_edit.text()).year)
            except ValueError:
                pass
        self._update_birth_widgets()

    def birth(self) -> tuple[date | None, int | None]:
        """The typed birth date and year; raises FormError if the date cannot be read."""
        if self.year_only_check.isChecked():
            year = self.year_spin.value()
            return None, (None if year == UNKNOWN_YEAR else year)
        text = self.dob_edit.text().strip()
        if not text:
            return None, None
        try:
            dob = parse_date_text(text)
        except ValueError:
            raise FormError("Ngày sinh phải viết theo dạng ngày/tháng/năm, ví dụ 05/03/1985.") from None
        return dob, dob.year

    def _update_birth_widgets(self) -> None:
        year_only = self.year_only_check.isChecked()
        self.dob_edit.setVisible(not year_only)
        self.year_spin.setVisible(year_only)
        try:
            dob, year = self.birth()
        except FormError:
            self.age_label.setText("chưa đúng dạng dd/mm/yyyy")
            self.age_label.setStyleSheet(ERROR_STYLE)
            self.suggestion = {}
            self._show_suggestion()
            return
        self.age_label.setStyleSheet(MUTED_STYLE)
        try:
            self.suggestion = persons.suggest_groups(dob, year, self.session.clock.today())
        except Exception as exc:  # e.g. an impossible date: say so beside the field
            self.suggestion = {}
            self.age_label.setText(error_text(exc))
            self._show_suggestion()
            return
        age = self.suggestion.get("age")
        self.age_label.setText(f"{age} tuổi" if age is not None else "")
        self._show_suggestion()

    def _show_suggestion(self) -> None:
        s = self.suggestion
        age = s.get("age")
        minor = age is not None and age < 18
        has_guardian = bool(self.guardian_name_edit.text().strip() or self.guardian_phone_edit.text().strip())
        self.guardian_box.setVisible(minor or has_guardian)
        for line in self.consent_lines.values():  # a child's consent is usually given by the guardian
            if line.active is None:
                line.giver_combo.setCurrentIndex(line.giver_combo.findData("guardian" if minor else "self"))
        if not s:
            self.suggestion_label.setText("Gợi ý theo tuổi: cần ngày sinh hoặc năm sinh đúng.")
        elif s.get("target_group"):
            flags = ", ".join(flag_label(f) for f in s["flags"])
            self.suggestion_label.setText(
                f"Gợi ý: nhóm {s['target_group']}"
                + (f", diện {flags}" if flags else "")
                + f" — {s['reason']}."
            )
        else:
            self.suggestion_label.setText(f"Gợi ý theo tuổi: {s['reason']}.")
        self._update_suggestion_button()

    def _suggestion_differs(self) -> bool:
        s = self.suggestion
        if not s or not s.get("target_group"):
            return False
        if self.group_combo.currentData() != s["target_group"]:
            return True
        return any(not self.flag_checks[f].isChecked() for f in s["flags"])

    def _update_suggestion_button(self) -> None:
        applicable = bool(self.suggestion.get("target_group"))
        self.apply_suggestion_button.setVisible(self.can_write and applicable)
        self.apply_suggestion_button.setEnabled(
            self.can_write and not self.busy and self._suggestion_differs()
        )

    def apply_suggestion(self) -> None:
        """Put the suggested group and flags in the form (the person still checks them and saves)."""
        s = self.suggestion
        if not s.get("target_group"):
            return
        self.group_combo.setCurrentIndex(self.group_combo.findData(s["target_group"]))
        for f in s["flags"]:
            self.flag_checks[f].setChecked(True)
        self._update_suggestion_button()

    # -- what was typed ------------------------------------------------------------------------------------
    def form_values(self) -> tuple[dict, list[str]]:
        """Every editable field as typed (core field names), and the checked flags."""
        values: dict[str, Any] = {}
        for field, _key in TEXT_FIELDS:
            text = self.hamlet_combo.currentText() if field == "hamlet" else self._edit_of(field).text()
            values[field] = _blank(text)
        dob, year = self.birth()
        values["birth_date"], values["birth_year"] = dob, year
        values["sex"] = self.sex_combo.currentData()
        values["target_group"] = self.group_combo.currentData()
        flags = sorted(f for f, check in self.flag_checks.items() if check.isChecked())
        return values, flags

    def changes(self) -> tuple[dict, list[str] | None]:
        """What differs from the record as read: (changed fields, flags or None if unchanged)."""
        values, flags = self.form_values()
        rec = self.record
        assert rec is not None  # only an existing person's card has changes
        changes: dict[str, Any] = {}
        for field, key in TEXT_FIELDS:
            if values[field] != (getattr(rec, key) or None):
                changes[field] = values[field]
        old_dob = date.fromisoformat(rec.dob) if rec.dob else None
        if (values["birth_date"], values["birth_year"]) != (old_dob, rec.birth_year):
            changes["birth_date"] = values["birth_date"]
            changes["birth_year"] = None if values["birth_date"] else values["birth_year"]
        for field in ("sex", "target_group"):
            if values[field] != getattr(rec, field):
                changes[field] = values[field]
        new_flags = flags if flags != sorted(rec.flags) else None
        return changes, new_flags

    def is_dirty(self) -> bool:
        if not self.can_write:
            return False
        if self.record is None:
            return self.person_id is None and any(v for v in self.form_values_safe().values())
        try:
            changes, flags = self.changes()
        except FormError:
            return True
        return bool(changes) or flags is not None

    def form_values_safe(self) -> dict:
        try:
            values, flags = self.form_values()
        except FormError:
            return {"birth": True}
        values["flags"] = flags
        return values
