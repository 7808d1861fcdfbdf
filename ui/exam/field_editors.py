"""One editor per form field type, made from the field's definition: numbers with their unit (a line edit that
takes digits and a decimal comma or point), yes/no, choices and classes I–V (combo boxes that select by typing
and ignore the mouse wheel unless focused), dates, ICD-10 code lists and free text.

Values go to the core as typed (``"60,5"``): the core checks them and says what is wrong in Vietnamese."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from ksk_desktop.exams.forms import FieldDef
from ui.exam.diagnosis_picker import DiagnosisPicker
from ui.exam.display import number

CLASS_ITEMS = [
    (None, ""),
    (1, "1 – Loại I"),
    (2, "2 – Loại II"),
    (3, "3 – Loại III"),
    (4, "4 – Loại IV"),
    (5, "5 – Loại V"),
]
BOOL_ITEMS = [(None, ""), (True, "Có"), (False, "Không")]
_NUMBER = QRegularExpression(r"^\d{0,4}([.,]\d{0,3})?$")
_INTEGER = QRegularExpression(r"^\d{0,4}$")


class NoWheelCombo(QComboBox):
    """A combo box that leaves the wheel to the scroll area unless it has the focus (no value changed by
    scrolling past it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class FieldEditor(QObject):
    """The editor of one field: ``widget`` (what goes in the form), ``focus_widget`` (what takes the focus),
    ``value()`` for the core, ``set_value()`` from the document; ``changed`` when the user edits."""

    changed = Signal()

    def __init__(self, field: FieldDef, parent: QWidget) -> None:
        super().__init__(parent)
        self.field = field
        self.widget: QWidget = parent
        self.focus_widget: QWidget = parent
        self._loading = False

    def value(self) -> Any:
        raise NotImplementedError

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        self._loading = True
        try:
            self._show(value)
        finally:
            self._loading = False

    def set_read_only(self, read_only: bool) -> None:
        self.focus_widget.setEnabled(not read_only)

    def tab_widgets(self) -> list[QWidget]:
        """The widgets Tab walks through, in order."""
        return [self.focus_widget]

    def _edited(self, *_: Any) -> None:
        if not self._loading:
            self.changed.emit()


class LineEditor(FieldEditor):
    """Text, numbers (with the unit beside), dates and ICD-10 code lists."""

    def __init__(self, field: FieldDef, parent: QWidget) -> None:
        super().__init__(field, parent)
        self.edit = QLineEdit(parent)
        self.edit.setObjectName(f"field:{field.key}")
        self.edit.setAccessibleName(field.label)
        self.focus_widget = self.widget = self.edit
        if field.type in ("number", "integer"):
            self.edit.setValidator(
                QRegularExpressionValidator(_INTEGER if field.type == "integer" else _NUMBER, self.edit)
            )
            self.edit.setMaximumWidth(110)
            self.edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            if field.range:
                lo, hi = field.range
                self.edit.setToolTip(
                    f"Khoảng thường gặp: {number(lo)}–{number(hi)} {field.unit or ''}".strip()
                )
            if field.unit:
                box = QWidget(parent)
                row = QHBoxLayout(box)
                row.setContentsMargins(0, 0, 0, 0)
                self.edit.setParent(box)
                row.addWidget(self.edit)
                row.addWidget(QLabel(field.unit, box))
                row.addStretch(1)
                self.widget = box
        elif field.type == "date":
            self.edit.setPlaceholderText("dd/mm/yyyy")
            self.edit.setMaximumWidth(130)
        elif field.type == "icd10_codes":
            self.edit.setPlaceholderText("Mã ICD-10, cách nhau bởi ; (ví dụ I10; E11)")
        self.edit.textEdited.connect(self._edited)

    def value(self) -> Any:
        text = self.edit.text().strip()
        return text or None

    def _show(self, value: Any) -> None:
        if value is None:
            self.edit.clear()
        elif self.field.type in ("number", "integer"):
            self.edit.setText(number(value))
        elif self.field.type == "date":
            y, m, d = str(value)[:10].split("-")
            self.edit.setText(f"{d}/{m}/{y}")
        else:
            self.edit.setText(str(value))

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)
        self.edit.setStyleSheet("background: #f1f3f4;" if read_only else "")


class ComboEditor(FieldEditor):
    """Yes/no, a choice of the form's list, or a class I–V; typing the first letter or digit selects."""

    def __init__(self, field: FieldDef, parent: QWidget) -> None:
        super().__init__(field, parent)
        self.combo = NoWheelCombo(parent)
        self.combo.setObjectName(f"field:{field.key}")
        self.combo.setAccessibleName(field.label)
        if field.type == "bool":
            items = BOOL_ITEMS
        elif field.type == "class":
            items = CLASS_ITEMS
        else:
            items = [(None, ""), *((c, c) for c in field.choices)]
        for data, text in items:
            self.combo.addItem(text, data)
        self.combo.setMinimumWidth(140)
        self.focus_widget = self.widget = self.combo
        self.combo.currentIndexChanged.connect(self._edited)
        #: A QĐ 1613 index class may be better than its measurements say, with the doctor's reason: typed here
        #: (Tab reaches it; Enter skips it, so the usual flow stays one key per field).
        self.reason_edit: QLineEdit | None = None
        if field.type == "class" and field.feeds:
            box = QWidget(parent)
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            self.combo.setParent(box)
            self.reason_edit = QLineEdit(box)
            self.reason_edit.setObjectName(f"reason:{field.key}")
            self.reason_edit.setAccessibleName(f"{field.label}: lý do")
            self.reason_edit.setPlaceholderText("Lý do, khi xếp loại tốt hơn số đo")
            self.reason_edit.textEdited.connect(self._edited)
            row.addWidget(self.combo)
            row.addWidget(self.reason_edit, 1)
            self.widget = box

    def value(self) -> Any:
        cls = self.combo.currentData()
        reason = self.reason_edit.text().strip() if self.reason_edit is not None else ""
        return {"class": cls, "reason": reason} if cls is not None and reason else cls

    def _show(self, value: Any) -> None:
        reason = ""
        if isinstance(value, dict):  # a class with the doctor's reason
            value, reason = value.get("class"), value.get("reason") or ""
        index = next(
            (
                i
                for i in range(self.combo.count())
                if self.combo.itemData(i) == value and (value is not None or i == 0)
            ),
            0,
        )
        self.combo.setCurrentIndex(index)
        if self.reason_edit is not None:
            self.reason_edit.setText(reason)

    def set_read_only(self, read_only: bool) -> None:
        self.combo.setEnabled(not read_only)
        if self.reason_edit is not None:
            self.reason_edit.setReadOnly(read_only)

    def tab_widgets(self) -> list[QWidget]:
        return [self.combo] if self.reason_edit is None else [self.combo, self.reason_edit]


class DiagnosisEditor(FieldEditor):
    """The ``diagnoses`` field of the conclusion, edited with a :class:`DiagnosisPicker`."""

    def __init__(self, field: FieldDef, parent: QWidget) -> None:
        super().__init__(field, parent)
        self.picker = DiagnosisPicker(parent)
        self.picker.setObjectName(f"field:{field.key}")
        self.widget = self.picker
        self.focus_widget = self.picker.search_edit
        self.picker.changed.connect(self._edited)

    def value(self) -> Any:
        return self.picker.value()

    def _show(self, value: Any) -> None:
        self.picker.set_diagnoses(value)

    def set_read_only(self, read_only: bool) -> None:
        self.picker.set_read_only(read_only)


def make_editor(field: FieldDef, parent: QWidget) -> FieldEditor:
    """The editor for *field*."""
    if field.type in ("bool", "choice", "class"):
        return ComboEditor(field, parent)
    if field.type == "diagnoses":
        return DiagnosisEditor(field, parent)
    return LineEditor(field, parent)


class EnterMovesOn(QObject):
    """Enter or Return in an editor moves to the next one (``move(widget)``), as Tab does."""

    def __init__(self, move, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._move = move

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (
            event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            if isinstance(watched, QComboBox) and watched.view().isVisible():
                return False  # Enter picks the item in an open list
            self._move(watched)
            return True
        return False
