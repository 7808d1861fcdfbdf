"""The one error every scanner mode raises when it cannot work on this machine, with texts in Vietnamese."""

from __future__ import annotations

from ksk_desktop.errors import KskError

NO_MULTIMEDIA = (
    "Máy này chưa có thành phần camera của Qt (gói PySide6-Addons) nên chưa quét được bằng webcam. "
    "Hãy dùng máy quét, hoặc nhờ bộ phận hỗ trợ cài thêm."
)
NO_DECODER = (
    "Máy này chưa có bộ giải mã mã QR (gói zxing-cpp) nên chưa quét được bằng webcam. "
    "Hãy dùng máy quét, hoặc nhờ bộ phận hỗ trợ cài thêm."
)
NO_CAMERA = "Không tìm thấy webcam nào trên máy này. Hãy cắm webcam rồi bấm “Thử lại”, hoặc dùng máy quét."
CAMERA_FAILED = (
    "Không mở được webcam. Có thể một chương trình khác đang dùng webcam, hoặc Windows chưa cho "
    "phép ứng dụng dùng camera (Cài đặt → Quyền riêng tư → Camera)."
)
NO_SERIAL_MODULE = (
    "Máy này chưa có thành phần cổng COM của Qt (gói PySide6-Addons) nên chưa dùng được máy quét "
    "ở chế độ cổng COM. Hãy đặt máy quét ở chế độ bàn phím (USB HID), hoặc nhờ bộ phận hỗ trợ "
    "cài thêm."
)
NO_PORTS = (
    "Không tìm thấy cổng COM nào. Hãy cắm máy quét (chế độ USB-COM), cài trình điều khiển của nó rồi thử lại."
)


class ScannerUnavailable(KskError):
    """This way of scanning cannot be used here (missing package, no device, device busy or unplugged)."""
