"""Shows the station's recovery key once, and will not go on until the person confirms they wrote it down."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.printing.recovery_key_pdf import recovery_key_document
from ui import ops
from ui.fonts import monospace_font
from ui.printing.preview import preview_document
from ui.widgets import heading, paragraph


class RecoveryKeyDialog(QDialog):
    def __init__(
        self, recovery_key: str, parent: QWidget | None = None, station: str = "", note: str = ""
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Khóa khôi phục — KSK Desktop")
        self.setModal(True)
        self.recovery_key = recovery_key
        self.station = station  # printed under the title of the A5 sheet
        self.print_task: ops.Task | None = None
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(heading("Khóa khôi phục của trạm", 1))
        self.note_label = paragraph(note)  # what became of the enrolment asked for in the first-run form
        self.note_label.setVisible(bool(note))
        layout.addWidget(self.note_label)
        layout.addWidget(
            paragraph(
                "Đây là lần duy nhất khóa khôi phục được hiển thị. Khi quên mật khẩu quản trị viên hoặc phải khôi "
                "phục dữ liệu trên máy khác, chỉ khóa này mở được dữ liệu. Hãy chép tay hoặc in ra giấy và cất ở "
                "nơi an toàn (tủ có khóa); không lưu trên máy tính này và không gửi qua tin nhắn."
            )
        )

        self.key_label = QLabel(recovery_key, self)
        self.key_label.setObjectName("recoveryKey")
        font = monospace_font(max(self.font().pointSizeF(), 10) * 1.8)
        font.setBold(True)
        self.key_label.setFont(font)
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_label.setStyleSheet(
            "QLabel#recoveryKey { background: #fff8e1; border: 1px solid #e0c060; border-radius: 6px; padding: 16px; }"
        )
        layout.addWidget(self.key_label)

        copy_row = QHBoxLayout()
        copy_row.addStretch(1)
        self.print_button = QPushButton("In ra giấy A5…", self)
        self.print_button.setAutoDefault(False)
        self.print_button.setToolTip("Xem trước rồi in khóa trên một tờ A5 để cất vào tủ có khóa.")
        self.print_button.clicked.connect(self.print_key)
        copy_row.addWidget(self.print_button)
        self.copy_button = QPushButton("Sao chép", self)
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self.copy_key)
        copy_row.addWidget(self.copy_button)
        layout.addLayout(copy_row)

        self.confirm_box = QCheckBox("Tôi đã ghi lại khóa khôi phục ở nơi an toàn", self)
        layout.addWidget(self.confirm_box)

        self.buttons = QDialogButtonBox(self)
        self.continue_button = self.buttons.addButton("Tiếp tục", QDialogButtonBox.ButtonRole.AcceptRole)
        self.continue_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.confirm_box.toggled.connect(self.continue_button.setEnabled)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

    def copy_key(self) -> None:
        QGuiApplication.clipboard().setText(self.recovery_key)
        self.copy_button.setText("Đã sao chép")

    def print_key(self) -> ops.Task:
        """The A5 sheet in the print preview (made in memory; saved to a file only if the person asks)."""
        key, station = self.recovery_key, self.station
        self.print_task = preview_document(
            self, lambda: recovery_key_document(key, station), "khoa-khoi-phuc.pdf"
        )
        return self.print_task

    def accept(self) -> None:
        if self.confirm_box.isChecked():
            super().accept()

    def reject(self) -> None:
        # The key is shown only once: leaving without confirming is not offered.
        pass
