"""This computer's own desk settings ("Máy in phiếu"): the printer the queue tickets go to and the exam room its
"Gọi vào khám" calls people into (shown on the waiting room's screen). Saved in the data folder on this device
(``ksk_desktop.station.device``), not in the station's shared database."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from ksk_desktop.errors import KskError
from ksk_desktop.scheduling.calling import ROOM_MAX, room_name
from ksk_desktop.station import device
from ksk_desktop.station.paths import StationPaths
from ui.i18n import Std, button_box
from ui.printing import ticket_printer
from ui.widgets import ErrorLabel, paragraph

NO_PRINTER = "(chưa chọn)"


class DeviceDialog(QDialog):
    saved = Signal(object)  # the DeviceSettings written

    def __init__(self, paths: StationPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deviceSettings")
        self.setWindowTitle("Máy in phiếu và phòng khám của máy này")
        self.paths = paths
        self.settings = device.load(paths)
        layout = QVBoxLayout(self)
        layout.addWidget(
            paragraph(
                "Các cài đặt này chỉ dùng cho máy tính này (mỗi máy ở bàn tiếp đón có máy in riêng), không "
                "đồng bộ sang máy khác.",
                self,
                muted=True,
            )
        )
        form = QFormLayout()
        self.printer_combo = QComboBox(self)
        self.printer_combo.setObjectName("ticketPrinter")
        self.printer_combo.addItem(NO_PRINTER, None)
        names = ticket_printer.printer_names()
        for name in names:
            self.printer_combo.addItem(name, name)
        current = self.settings.ticket_printer
        if current and current not in names:
            self.printer_combo.addItem(f"{current} (không thấy trên máy này)", current)
        self.printer_combo.setCurrentIndex(max(0, self.printer_combo.findData(current)))
        form.addRow("Máy in phiếu số thứ tự:", self.printer_combo)
        self.no_printer_note = paragraph(
            "Máy tính này chưa cài máy in nào. Cài máy in trong Windows (Cài đặt → Bluetooth và thiết bị → "
            "Máy in và máy quét) rồi mở lại cửa sổ này.",
            self,
            muted=True,
        )
        self.no_printer_note.setVisible(not names)
        form.addRow(self.no_printer_note)
        self.room_edit = QLineEdit(self.settings.call_room or "", self)
        self.room_edit.setObjectName("callRoom")
        self.room_edit.setMaxLength(ROOM_MAX)
        self.room_edit.setPlaceholderText("vd. Phòng khám 1")
        form.addRow("Gọi vào phòng:", self.room_edit)
        form.addRow(
            paragraph(
                "Tên phòng hiện trên màn hình gọi số khi bấm “Gọi vào khám” ở máy này.", self, muted=True
            )
        )
        layout.addLayout(form)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.error_label)
        buttons = button_box(Std.Save, Std.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
        self.setWindowModality(Qt.WindowModality.WindowModal)

    def save(self) -> None:
        try:
            settings = device.DeviceSettings(
                ticket_printer=self.printer_combo.currentData(), call_room=room_name(self.room_edit.text())
            )
            device.save(self.paths, settings)
        except KskError as exc:
            self.error_label.show_message(exc.message)
            return
        self.settings = settings
        self.saved.emit(settings)
        self.accept()


def open_device_dialog(
    paths: StationPaths, parent: QWidget, then: Callable[[device.DeviceSettings | None], None] | None = None
) -> DeviceDialog:
    """Open the dialog; ``then(settings saved or None)`` when it closes. It deletes itself."""
    dialog = DeviceDialog(paths, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(result: int) -> None:
        if then is not None:
            then(dialog.settings if result == QDialog.DialogCode.Accepted else None)

    dialog.finished.connect(finished)
    dialog.open()
    return dialog
