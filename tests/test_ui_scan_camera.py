"""Webcam scanning: zxing-cpp decoding of real QR images (made with segno), the N-identical-reads validator,
the frame pipeline off the GUI thread, and the Vietnamese messages without QtMultimedia, zxing-cpp or a camera."""

from __future__ import annotations

import io
import sys
import types

import pytest
import segno
from PySide6.QtCore import QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QDialog

import ui.scan.camera as camera
import ui.scan.decode as decode
from ui.scan.decode import StableReads, decode_qr
from ui.scan.errors import NO_CAMERA, NO_DECODER, NO_MULTIMEDIA, ScannerUnavailable

PAYLOAD = (
    "031060999903|999888703|Lê Văn Giả|01011960|Nam|Tổ dân phố Mẫu, Phường Thủy Nguyên, "
    "Thành phố Hải Phòng|15082024||||"
)
OTHER = "031303999902||Trần Thị Mẫu|02032003|Nữ|Thôn Thử Nghiệm, Xã Việt Khê, Thành phố Hải Phòng|20042021"

has_zxing = decode.decoder_available()
needs_zxing = pytest.mark.skipif(not has_zxing, reason="zxing-cpp is not installed")
try:
    camera.multimedia()
    has_multimedia = True
except ScannerUnavailable:
    has_multimedia = False
needs_multimedia = pytest.mark.skipif(
    not has_multimedia, reason="QtMultimedia (PySide6-Addons) cannot be loaded"
)


def qr_png(text: str, scale: int = 4, eci: bool = False) -> bytes:
    buf = io.BytesIO()
    segno.make(text, error="m", eci=eci).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def photo_of(text: str, angle: float = 12.0, size: int = 900) -> QImage:
    """The QR code as a webcam might see it: small, rotated, on a grey desk, in colour."""
    code = QImage.fromData(qr_png(text, scale=3))
    image = QImage(size, size * 3 // 4, QImage.Format.Format_RGB32)
    image.fill(QColor("#8a8f99"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.translate(QPointF(image.width() * 0.55, image.height() * 0.45))
    painter.rotate(angle)
    painter.drawImage(QPointF(-code.width() / 2, -code.height() / 2), code)
    painter.end()
    return image


# -- decoding ---------------------------------------------------------------------------------------------------
@needs_zxing
def test_a_png_of_a_card_payload_decodes_to_the_exact_text():
    assert decode_qr(qr_png(PAYLOAD)) == [PAYLOAD]
    assert decode_qr(qr_png(PAYLOAD, eci=True)) == [PAYLOAD]  # with a UTF-8 ECI header too


@needs_zxing
def test_every_input_kind_decodes(tmp_path):
    png = qr_png(OTHER)
    image = QImage.fromData(png)
    assert decode_qr(image) == [OTHER]  # a QImage in any format
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    assert decode_qr(path) == [OTHER] and decode_qr(str(path)) == [OTHER]
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8)
    raw = b"".join(bytes(grey.constScanLine(y))[: grey.width()] for y in range(grey.height()))
    assert decode_qr(raw, grey.width(), grey.height()) == [OTHER]
    with pytest.raises(ValueError):
        decode_qr(raw)  # raw grey bytes need their size


@needs_zxing
def test_a_rotated_code_in_a_larger_colour_frame_decodes():
    assert decode_qr(photo_of(PAYLOAD)) == [PAYLOAD]


@needs_zxing
def test_a_frame_without_a_code_gives_nothing():
    blank = QImage(640, 480, QImage.Format.Format_RGB32)
    blank.fill(QColor("white"))
    assert decode_qr(blank) == []


def test_without_zxing_the_decoder_says_so(monkeypatch):
    monkeypatch.setattr(decode, "_zxing", None)
    monkeypatch.setitem(sys.modules, "zxingcpp", None)
    assert not decode.decoder_available()
    with pytest.raises(ScannerUnavailable) as info:
        decode_qr(b"\x89PNG")
    assert info.value.message == NO_DECODER and "zxing-cpp" in NO_DECODER


# -- the validator ------------------------------------------------------------------------------------------
def test_stable_reads_accepts_after_n_identical_reads():
    v = StableReads(3)
    assert v.feed([PAYLOAD]) is None
    assert v.feed([]) is None  # a blurred frame does not break the run
    assert v.feed([PAYLOAD]) is None
    assert v.feed([PAYLOAD]) == PAYLOAD
    assert v.feed([PAYLOAD]) is None  # accepted once


def test_a_different_read_restarts_the_count():
    v = StableReads(3)
    v.feed([PAYLOAD])
    v.feed([PAYLOAD])
    assert v.feed([PAYLOAD[:60]]) is None  # a misread (e.g. a partial decode)
    assert v.feed([PAYLOAD]) is None
    assert v.feed([PAYLOAD]) is None
    assert v.feed([PAYLOAD]) == PAYLOAD
    v.reset()
    assert [v.feed([OTHER, PAYLOAD]) for _ in range(3)][-1] == OTHER  # two codes in view: keep to one
    with pytest.raises(ValueError):
        StableReads(0)


# -- the dialog ----------------------------------------------------------------------------------------------
def open_dialog(qtbot, **kwargs) -> camera.CameraScanDialog:
    dialog = camera.CameraScanDialog(**kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_without_qtmultimedia_a_clear_message_instead_of_a_crash(qtbot, monkeypatch):
    import PySide6

    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", None)
    monkeypatch.delattr(PySide6, "QtMultimedia", raising=False)
    dialog = open_dialog(qtbot)
    assert dialog.unavailable_message == NO_MULTIMEDIA
    assert dialog.message_label.isVisible() and dialog.message_label.text() == NO_MULTIMEDIA
    assert not dialog.retry_button.isVisible()  # installing a package is not something to retry
    assert dialog.close_button.isVisible()


def test_without_zxing_the_dialog_says_so(qtbot, monkeypatch):
    monkeypatch.setattr(camera, "multimedia", lambda: types.SimpleNamespace())  # Qt's part is there
    monkeypatch.setattr(camera, "zxing", lambda: (_ for _ in ()).throw(ScannerUnavailable(NO_DECODER)))
    dialog = open_dialog(qtbot)
    assert dialog.unavailable_message == NO_DECODER and dialog.message_label.isVisible()


class _FakeDevices(QObject):
    """QMediaDevices on a machine without a camera (used as the class and as an instance)."""

    videoInputsChanged = Signal()  # noqa: N815 - Qt's name

    @staticmethod
    def videoInputs() -> list:  # noqa: N802 - Qt's name
        return []


class _NoCameras:
    """QtMultimedia as it is, except that the machine has no camera."""

    def __init__(self, real) -> None:
        self._real = real
        self.QMediaDevices = _FakeDevices

    def __getattr__(self, name: str):
        return getattr(self._real, name)


@needs_multimedia
@needs_zxing
def test_without_a_camera_a_clear_message_and_a_retry(qtbot, monkeypatch):
    fake = _NoCameras(camera.multimedia())
    monkeypatch.setattr(camera, "multimedia", lambda: fake)
    dialog = open_dialog(qtbot)
    assert dialog.unavailable_message == NO_CAMERA
    assert dialog.message_label.text() == NO_CAMERA and "Không tìm thấy webcam" in NO_CAMERA
    assert dialog.retry_button.isVisible() and not dialog.camera_row.isVisible()
    qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    assert dialog.unavailable_message == NO_CAMERA  # still none
    dialog.reject()


@needs_multimedia
@needs_zxing
def test_this_machine_without_a_camera_shows_the_message(qtbot):
    if camera.cameras():
        pytest.skip("this machine has a camera")
    dialog = open_dialog(qtbot)
    assert dialog.unavailable_message == NO_CAMERA and dialog.message_label.isVisible()


def _feed_until_scanned(qtbot, dialog, push, frames: int = 10) -> list[str]:
    got: list[str] = []
    dialog.scanned.connect(got.append)
    for _ in range(frames):
        if got:
            break
        push()
        qtbot.waitUntil(lambda: not dialog._decoding, timeout=5_000)
    return got


@needs_zxing
def test_frames_are_decoded_off_the_gui_thread_and_accepted_after_three_reads(qtbot, monkeypatch):
    if not has_multimedia:  # the pipeline after the sink is the same
        monkeypatch.setattr(
            camera, "multimedia", lambda: (_ for _ in ()).throw(ScannerUnavailable(NO_MULTIMEDIA))
        )
    dialog = open_dialog(qtbot, start=False, stable_reads=3)
    seen_threads: list[bool] = []
    real_decode = camera.decode_qr

    def spy(image):
        from PySide6.QtCore import QThread
        from PySide6.QtWidgets import QApplication

        seen_threads.append(QThread.currentThread() is QApplication.instance().thread())
        return real_decode(image)

    monkeypatch.setattr(camera, "decode_qr", spy)
    frame = photo_of(PAYLOAD)
    got = _feed_until_scanned(qtbot, dialog, lambda: dialog.process_image(frame))
    assert got == [PAYLOAD]
    assert len(seen_threads) == 3 and not any(seen_threads)  # three reads, none on the GUI thread
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.result_text == PAYLOAD


@needs_multimedia
@needs_zxing
def test_video_frames_from_the_sink_take_the_same_way(qtbot):
    from PySide6.QtMultimedia import QVideoFrame

    dialog = open_dialog(qtbot, start=False)
    assert dialog.sink is not None
    image = photo_of(OTHER, angle=-8)
    got = _feed_until_scanned(qtbot, dialog, lambda: dialog.sink.setVideoFrame(QVideoFrame(image)))
    assert got == [OTHER]
    assert dialog.preview.image is not None  # the preview showed the frames
