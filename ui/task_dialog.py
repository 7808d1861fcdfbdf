"""A form dialog whose submit runs one core call off the GUI thread and shows a failure in red.

Subclasses build their fields into ``self.form`` and implement ``prepare()``, which reads the fields and
returns the zero-argument function to run in the background. While it runs the form is disabled and the
dialog cannot be closed (the call cannot be interrupted half-way).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QPushButton, QVBoxLayout, QWidget

from ui import ops
from ui.changes import Changes
from ui.messages import error_text
from ui.widgets import ErrorLabel, fit_height


class FormError(Exception):
    """A problem with what was typed, found before calling the core (e.g. two passwords differ)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TaskDialog(QDialog):
    #: What a successful submit changes (announced to every page, see ``ui.changes``).
    changes: Changes = Changes.NONE

    def __init__(
        self,
        title: str,
        parent: QWidget | None = None,
        submit_text: str = "Lưu",
        cancel_text: str = "Hủy",
        busy_text: str = "Đang xử lý…",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.outer = QVBoxLayout(self)
        self.outer.setSpacing(10)
        self.form_widget = QWidget(self)
        self.form = QFormLayout(self.form_widget)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.outer.addWidget(self.form_widget)
        self.error_label = ErrorLabel(self)
        self.outer.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(self)
        self.submit_button: QPushButton = self.buttons.addButton(
            submit_text, QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button: QPushButton = self.buttons.addButton(
            cancel_text, QDialogButtonBox.ButtonRole.RejectRole
        )
        self.submit_button.setDefault(True)
        self.submit_button.setAutoDefault(True)
        self.cancel_button.setAutoDefault(False)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.outer.addWidget(self.buttons)
        self.task: ops.Task | None = None
        self.result_value: Any = None
        self._submit_text = submit_text
        self._busy_text = busy_text

    # -- to implement --------------------------------------------------------------------------
    def prepare(self) -> Callable[[], Any]:
        raise NotImplementedError

    def succeeded(self, result: Any) -> None:
        self.accept()

    def failed(self, exc: BaseException) -> None:
        self.error_label.show_message(error_text(exc))

    # -- machinery ---------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def submit(self) -> None:
        if self.busy:
            return
        self.error_label.clear_message()
        try:
            fn = self.prepare()
        except FormError as exc:
            self.error_label.show_message(exc.message)
            return
        self.set_busy(True)
        self.task = ops.run_in_background(
            fn, self._on_done, self._on_failed, context=self, changes=self.changes
        )

    def _on_done(self, result: Any) -> None:
        self.set_busy(False)
        self.result_value = result
        self.succeeded(result)

    def _on_failed(self, exc: BaseException) -> None:
        self.set_busy(False)
        self.failed(exc)

    def set_busy(self, busy: bool) -> None:
        self.form_widget.setEnabled(not busy)
        self.buttons.setEnabled(not busy)
        self.submit_button.setText(self._busy_text if busy else self._submit_text)
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        fit_height(self)

    def reject(self) -> None:
        if self.busy:
            return
        super().reject()
