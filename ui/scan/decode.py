"""Decode QR codes in still images (webcam frames, files) with zxing-cpp, and the N-identical-reads validator.

Nothing here touches widgets, so ``decode_qr`` may run on any thread. Qt is used only when the input is a
``QImage`` or encoded image bytes (PNG/JPEG); zxing-cpp is imported on first use and its absence raises
``ScannerUnavailable`` with a Vietnamese message.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from ui.scan.errors import NO_DECODER, ScannerUnavailable

_zxing: Any = None
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"BM", b"GIF8")


def zxing() -> Any:
    """The zxingcpp module, or ScannerUnavailable when the package is not installed."""
    global _zxing
    if _zxing is None:
        try:
            import zxingcpp
        except ImportError as exc:
            raise ScannerUnavailable(NO_DECODER) from exc
        _zxing = zxingcpp
    return _zxing


def decoder_available() -> bool:
    try:
        zxing()
    except ScannerUnavailable:
        return False
    return True


class _View:
    """A grey zxingcpp.ImageView that keeps its bytes alive (the view itself holds no reference to them)."""

    def __init__(self, zx: Any, data: bytes, width: int, height: int, stride: int) -> None:
        self.data = data
        self.view = zx.ImageView(data, width, height, zx.ImageFormat.Lum, stride, 1)


def _from_qimage(image: Any, zx: Any) -> Any:
    from PySide6.QtGui import QImage

    if image.isNull():
        raise ValueError("empty image")
    if image.format() != QImage.Format.Format_Grayscale8:
        image = image.convertToFormat(QImage.Format.Format_Grayscale8)
    data = bytes(image.constBits())  # a copy: the view must not outlive the image
    return _View(zx, data, image.width(), image.height(), image.bytesPerLine())


def _from_encoded(data: bytes, zx: Any) -> Any:
    from PySide6.QtGui import QImage

    image = QImage.fromData(data)
    if image.isNull():
        raise ValueError("not a readable image")
    return _from_qimage(image, zx)


def _as_input(image: Any, width: int | None, height: int | None, zx: Any) -> Any:
    if hasattr(image, "constBits") and hasattr(image, "convertToFormat"):  # a QImage
        return _from_qimage(image, zx)
    if isinstance(image, (str, os.PathLike)):
        with open(image, "rb") as f:
            return _from_encoded(f.read(), zx)
    if isinstance(image, (bytes, bytearray, memoryview)):
        data = bytes(image)
        if width is None and height is None:
            if data.startswith(_IMAGE_MAGIC):
                return _from_encoded(data, zx)
            raise ValueError("raw grey bytes need width and height")
        if not width or not height or len(data) < width * height:
            raise ValueError("width × height does not match the bytes")
        return _View(zx, data, width, height, len(data) // height)
    return image  # numpy arrays, PIL images and zxingcpp.ImageView go straight to zxing-cpp


def _text(result: Any) -> str:
    """The code's text. QR codes without an ECI header leave zxing-cpp to guess the character set; a CCCD
    payload is UTF-8, so valid UTF-8 bytes win over the guess (the parser repairs what remains)."""
    raw = getattr(result, "bytes", None)
    if raw:
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            pass
    return result.text


def decode_qr(image: Any, width: int | None = None, height: int | None = None) -> list[str]:
    """Texts of the QR codes found in *image*: a QImage, a numpy/PIL image, encoded PNG/JPEG bytes, a file
    path, or raw 8-bit grey bytes with *width* and *height*. Empty when there is none."""
    zx = zxing()
    source = _as_input(image, width, height, zx)
    view = source.view if isinstance(source, _View) else source
    found: list[str] = []
    for result in zx.read_barcodes(view, formats=zx.BarcodeFormat.QRCode):
        if not getattr(result, "valid", True):
            continue
        text = _text(result)
        if text and text not in found:
            found.append(text)
    return found


class StableReads:
    """Accept a text only after it was read in *n* frames in a row, like Electrum's QR validator.

    A frame without any code does not break a run (motion blur); a frame with another code does. A text is
    accepted once; ``reset()`` allows it again.
    """

    def __init__(self, n: int = 3) -> None:
        if n < 1:
            raise ValueError("n must be at least 1")
        self.n = n
        self.reset()

    def reset(self) -> None:
        self.current: str | None = None
        self.count = 0
        self.accepted: str | None = None

    def feed(self, texts: Iterable[str]) -> str | None:
        """The texts read in one frame; returns the accepted text on the frame that makes it stable."""
        texts = [t for t in texts if t]
        if not texts:
            return None
        text = self.current if self.current in texts else texts[0]
        if text == self.current:
            self.count += 1
        else:
            self.current, self.count = text, 1
        if self.count >= self.n and text != self.accepted:
            self.accepted = text
            return text
        return None
