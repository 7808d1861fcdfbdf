"""Scanning the CCCD QR code with a webcam: live preview, decoding off the GUI thread, N identical reads.

QtMultimedia (``QCamera`` → ``QMediaCaptureSession`` → ``QVideoSink.videoFrameChanged`` → ``frame.toImage()``)
comes with PySide6-Addons and zxing-cpp decodes; both are imported only when the dialog opens. Without them,
or without a camera, the dialog says so in Vietnamese (and offers "Thử lại") instead of failing.
"""

from __future__ import annotations

import logging
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRect, QRunnable, QSize, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ui.scan.decode import StableReads, decode_qr, zxing
from ui.scan.errors import CAMERA_FAILED, NO_CAMERA, NO_MULTIMEDIA, ScannerUnavailable
from ui.widgets import MUTED_STYLE, ErrorLabel, heading, paragraph

log = logging.getLogger(__name__)

MAX_DECODE_WIDTH = 1920  # larger frames are scaled down before decoding (a card's QR needs ~1280 px)

_decode_pool: QThreadPool | None = None
_jobs: set[_DecodeJob] = set()  # keeps the carriers alive until their result is delivered


def multimedia() -> Any:
    """The QtMultimedia module, or ScannerUnavailable (PySide6-Addons missing, or its system libraries)."""
    try:
        from PySide6 import QtMultimedia
    except ImportError as exc:  # the module, or a library it needs (e.g. libpulse on Linux), is missing
        log.warning("QtMultimedia unavailable: %s", type(exc).__name__)
        raise ScannerUnavailable(NO_MULTIMEDIA) from exc
    return QtMultimedia


def cameras() -> list[tuple[bytes, str]]:
    """(id, name) of each camera; ScannerUnavailable when QtMultimedia cannot be loaded."""
    mm = multimedia()
    return [(bytes(d.id().data()), d.description()) for d in mm.QMediaDevices.videoInputs()]


def _pool() -> QThreadPool:
    global _decode_pool
    if _decode_pool is None:
        _decode_pool = QThreadPool()
        _decode_pool.setMaxThreadCount(1)  # one frame at a time; frames arriving meanwhile are skipped
    return _decode_pool


class _DecodeJob(QObject):
    """GUI-thread end of one frame's decoding (same pattern as ``ui.ops.Task``)."""

    finished = Signal(object)

    def __init__(self, dialog: CameraScanDialog) -> None:
        super().__init__()
        self._dialog = dialog
        self.finished.connect(self._deliver)

    @Slot(object)
    def _deliver(self, result: object) -> None:
        _jobs.discard(self)
        if shiboken6.isValid(self._dialog):
            self._dialog._decoded(result)


class _DecodeRunnable(QRunnable):
    def __init__(self, image: QImage, job: _DecodeJob) -> None:
        super().__init__()
        self._image = image
        self._job = job
        self.setAutoDelete(True)

    def run(self) -> None:  # worker thread: no widgets
        try:
            result: object = decode_qr(self._image)
        except BaseException as exc:
            result = exc
        self._job.finished.emit(result)


class Preview(QWidget):
    """The last camera frame, scaled to fit, with a square guide for the card's QR code."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cameraPreview")
        self.setMinimumSize(QSize(480, 360))
        self.image: QImage | None = None
        self.caption = "Đang mở webcam…"

    def set_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#202124"))
        if self.image is not None and not self.image.isNull():
            scaled = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(self.rect().center())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, self.image)
        else:
            painter.setPen(QColor("#e8eaed"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.caption)
        if self.image is None:
            painter.end()
            return
        side = int(min(self.width(), self.height()) * 0.6)
        guide = QRect(0, 0, side, side)
        guide.moveCenter(self.rect().center())
        painter.setPen(QPen(QColor("#8ab4f8"), 2, Qt.PenStyle.DashLine))
        painter.drawRect(guide)
        painter.end()


class CameraScanDialog(QDialog):
    """Scan a QR code with the webcam. ``scanned(text)`` is emitted once, then the dialog closes.

    ``start=False`` builds the dialog without opening a camera (frames can still be fed to ``sink``).
    """

    scanned = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, stable_reads: int = 3, start: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Quét mã QR bằng webcam — KSK Desktop")
        self.setModal(True)
        self.validator = StableReads(stable_reads)
        self.result_text: str | None = None
        self.camera: Any = None
        self.session: Any = None
        self.sink: Any = None
        self._media_devices: Any = None
        self._decoding = False
        self._unavailable: str | None = None

        layout = QVBoxLayout(self)
        layout.addWidget(heading("Quét mã QR bằng webcam", 2, self))
        layout.addWidget(
            paragraph(
                "Đưa mã QR trên thẻ căn cước vào giữa khung, cách webcam khoảng 10–20 cm, "
                "giữ yên đến khi đọc xong.",
                self,
                muted=True,
            )
        )
        self.camera_row = QWidget(self)
        row = QHBoxLayout(self.camera_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Webcam", self.camera_row))
        self.camera_combo = QComboBox(self.camera_row)
        self.camera_combo.activated.connect(lambda _i: self.start())
        row.addWidget(self.camera_combo, 1)
        self.camera_row.hide()
        layout.addWidget(self.camera_row)
        self.preview = Preview(self)
        layout.addWidget(self.preview, 1)
        self.status_label = QLabel("", self)
        self.status_label.setObjectName("cameraStatus")
        self.status_label.setStyleSheet(MUTED_STYLE)
        layout.addWidget(self.status_label)
        self.message_label = ErrorLabel(self)
        self.message_label.setObjectName("cameraMessage")
        layout.addWidget(self.message_label)
        self.buttons = QDialogButtonBox(self)
        self.retry_button = self.buttons.addButton("Thử lại", QDialogButtonBox.ButtonRole.ActionRole)
        self.retry_button.clicked.connect(self.start)
        self.retry_button.hide()
        self.close_button = self.buttons.addButton("Đóng", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(640, 560)

        try:
            mm = multimedia()
            zxing()
        except ScannerUnavailable as exc:
            self._show_unavailable(exc.message)
            return
        self.sink = mm.QVideoSink(self)
        self.sink.videoFrameChanged.connect(self._frame)
        self._media_devices = mm.QMediaDevices(self)
        self._media_devices.videoInputsChanged.connect(self._inputs_changed)
        if start:
            self.start()

    # -- state -------------------------------------------------------------------------------------------
    @property
    def unavailable_message(self) -> str | None:
        """Why the webcam cannot be used (shown in the dialog), or None."""
        return self._unavailable

    def _show_unavailable(self, message: str) -> None:
        self._unavailable = message
        self.preview.image = None
        self.preview.caption = "Không có hình ảnh từ webcam"
        self.preview.update()
        self.status_label.setText("")
        self.message_label.show_message(message)
        self.retry_button.setVisible(message in (NO_CAMERA, CAMERA_FAILED))
        self.retry_button.setDefault(self.retry_button.isVisible())

    def start(self) -> None:
        """Open the chosen (or default) camera and start the preview; a message if there is none."""
        self.stop()
        self._unavailable = None
        self.message_label.clear_message()
        self.retry_button.hide()
        try:
            mm = multimedia()
            zxing()
            devices = mm.QMediaDevices.videoInputs()
            if not devices:
                raise ScannerUnavailable(NO_CAMERA)
        except ScannerUnavailable as exc:
            self._show_unavailable(exc.message)
            return
        self._fill_cameras(devices)
        chosen = self.camera_combo.currentData()
        device = next((d for d in devices if bytes(d.id().data()) == chosen), None)
        if device is None:
            default = mm.QMediaDevices.defaultVideoInput()
            device = default if not default.isNull() else devices[0]
        self.camera = mm.QCamera(device, self)
        self.camera.errorOccurred.connect(self._camera_error)
        self._prefer_format(self.camera, device)
        self.session = mm.QMediaCaptureSession(self)
        self.session.setCamera(self.camera)
        self.session.setVideoSink(self.sink)
        self.preview.caption = "Đang mở webcam…"
        self.status_label.setText("Đưa mã QR vào khung.")
        self.validator.reset()
        self.camera.start()

    def _fill_cameras(self, devices: list) -> None:
        current = self.camera_combo.currentData()
        self.camera_combo.clear()
        for d in devices:
            self.camera_combo.addItem(d.description(), bytes(d.id().data()))
        index = self.camera_combo.findData(current)
        self.camera_combo.setCurrentIndex(max(0, index))
        self.camera_row.setVisible(len(devices) > 1)

    @staticmethod
    def _prefer_format(camera: Any, device: Any) -> None:
        """About 1280×720 at 15 fps or more: enough pixels for the small QR on the card, cheap to decode."""
        formats = [f for f in device.videoFormats() if f.maxFrameRate() >= 15]
        if not formats:
            return
        best = min(formats, key=lambda f: abs(f.resolution().width() * f.resolution().height() - 1280 * 720))
        camera.setCameraFormat(best)
        for mode in ("FocusModeAutoNear", "FocusModeAuto"):
            focus = getattr(type(camera).FocusMode, mode, None)
            if focus is not None and camera.isFocusModeSupported(focus):
                camera.setFocusMode(focus)
                break

    def stop(self) -> None:
        if self.camera is not None:
            self.camera.stop()
            self.camera.deleteLater()
            self.camera = None
        if self.session is not None:
            self.session.deleteLater()
            self.session = None

    def _inputs_changed(self) -> None:
        if self._unavailable == NO_CAMERA or (self.camera is not None and not self.camera.isAvailable()):
            self.start()  # a camera was plugged in (or the one in use was unplugged)

    def _camera_error(self, error: Any, text: str = "") -> None:
        log.warning("camera error %s", error)
        self.stop()
        self._show_unavailable(CAMERA_FAILED)

    # -- frames --------------------------------------------------------------------------------------------
    def _frame(self, frame: Any) -> None:
        if self.result_text is not None or not frame.isValid():
            return
        image = frame.toImage()
        if image.isNull():
            return
        self.preview.set_image(image)
        self.process_image(image)

    def process_image(self, image: QImage) -> None:
        """Decode *image* on the worker thread unless a frame is being decoded already (then skip it)."""
        if self._decoding or self.result_text is not None:
            return
        if image.width() > MAX_DECODE_WIDTH:
            image = image.scaledToWidth(MAX_DECODE_WIDTH, Qt.TransformationMode.SmoothTransformation)
        self._decoding = True
        job = _DecodeJob(self)
        _jobs.add(job)
        _pool().start(_DecodeRunnable(image, job))

    def _decoded(self, result: object) -> None:
        self._decoding = False
        if self.result_text is not None:
            return
        if isinstance(result, BaseException):
            if isinstance(result, ScannerUnavailable):
                self.stop()
                self._show_unavailable(result.message)
            else:
                log.warning("QR decoding failed: %s", type(result).__name__)
            return
        texts = list(result)  # type: ignore[call-overload]
        accepted = self.validator.feed(texts)
        if accepted is None:
            if texts:
                self.status_label.setText("Đã thấy mã QR, giữ yên thẻ…")
            return
        self.result_text = accepted
        self.status_label.setText("Đã đọc được mã QR.")
        self.stop()
        self.scanned.emit(accepted)
        self.accept()

    def done(self, result: int) -> None:
        self.stop()
        super().done(result)


def wait_for_decoder(timeout_ms: int = 5_000) -> bool:
    """Block until frames being decoded are done (tests, shutdown)."""
    from PySide6.QtCore import QDeadlineTimer

    return _pool().waitForDone(QDeadlineTimer(timeout_ms))
