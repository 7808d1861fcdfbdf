"""Scanners set to USB-COM (virtual serial port) mode: the payload arrives as raw UTF-8 bytes, one scan a line.

This is the most reliable mode (no keyboard layout, no input method, no late echo into a field). QtSerialPort
comes with PySide6-Addons and is imported only when used; without it, or without any port, the functions
raise ``ScannerUnavailable`` with a Vietnamese message.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QIODevice, QObject, QTimer, Signal

from ui.scan.errors import NO_PORTS, NO_SERIAL_MODULE, ScannerUnavailable

log = logging.getLogger(__name__)

DEFAULT_BAUD = 9600
MAX_LINE_BYTES = 16_000  # a runaway stream without line ends is cut here
_BOM = "\ufeff"


@dataclass(frozen=True)
class PortInfo:
    name: str  # what to pass to SerialScanner: "COM3", "ttyACM0"
    description: str
    manufacturer: str
    location: str  # "\\\\.\\COM3", "/dev/ttyACM0"
    usb: bool  # has a USB vendor id (a real scanner, not a motherboard port)

    @property
    def label(self) -> str:
        extra = self.description or self.manufacturer
        return f"{self.name} — {extra}" if extra else self.name


def serial_module() -> Any:
    """The QtSerialPort module, or ScannerUnavailable."""
    try:
        from PySide6 import QtSerialPort
    except ImportError as exc:
        log.warning("QtSerialPort unavailable: %s", type(exc).__name__)
        raise ScannerUnavailable(NO_SERIAL_MODULE) from exc
    return QtSerialPort


def list_ports() -> list[PortInfo]:
    """The serial ports of this machine, USB ones first (a scanner in USB-COM mode is one of them)."""
    sp = serial_module()
    ports = [
        PortInfo(p.portName(), p.description(), p.manufacturer(), p.systemLocation(), p.hasVendorIdentifier())
        for p in sp.QSerialPortInfo.availablePorts()
    ]
    return sorted(ports, key=lambda p: (not p.usb, p.name))


def decode_line(raw: bytes) -> str:
    """Bytes of one scan → text: UTF-8 (as the card stores it), else Latin-1 for the parser to repair."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.strip("\r\n\t\0 ").lstrip(_BOM)


class SerialScanner(QObject):
    """Read scans from one serial port: ``scanned(text)`` per line (CR, LF or CR LF), or after
    ``idle_ms`` of silence for scanners that send no line end. ``failed(message)`` when the port is lost."""

    scanned = Signal(str)
    failed = Signal(str)

    def __init__(
        self, port_name: str, baud: int = DEFAULT_BAUD, parent: QObject | None = None, idle_ms: int = 150
    ) -> None:
        super().__init__(parent)
        self.port_name = port_name
        self.baud = baud
        self._port: Any = None
        self._buffer = bytearray()
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(idle_ms)
        self._idle.timeout.connect(self._flush)

    @property
    def is_open(self) -> bool:
        return self._port is not None and self._port.isOpen()

    def open(self) -> None:
        """Open the port (8N1, no flow control); ScannerUnavailable with the reason if it cannot be."""
        sp = serial_module()
        names = {p.portName() for p in sp.QSerialPortInfo.availablePorts()}
        # A path that exists (a virtual port the system does not list) may be opened all the same.
        if self.port_name not in names and not os.path.exists(self.port_name):
            if not names:
                raise ScannerUnavailable(NO_PORTS)
            raise ScannerUnavailable(
                f"Không tìm thấy cổng {self.port_name}. Các cổng hiện có: "
                f"{', '.join(sorted(names))}. Hãy chọn lại cổng của máy quét."
            )
        port = sp.QSerialPort(self)
        port.setPortName(self.port_name)
        port.setBaudRate(self.baud)
        port.setDataBits(sp.QSerialPort.DataBits.Data8)
        port.setParity(sp.QSerialPort.Parity.NoParity)
        port.setStopBits(sp.QSerialPort.StopBits.OneStop)
        port.setFlowControl(sp.QSerialPort.FlowControl.NoFlowControl)
        if not port.open(QIODevice.OpenModeFlag.ReadOnly):
            error = port.error()
            port.deleteLater()
            raise ScannerUnavailable(_open_error(self.port_name, error, sp))
        port.readyRead.connect(self._read)
        port.errorOccurred.connect(self._error)
        self._port = port

    def close(self) -> None:
        self._idle.stop()
        self._buffer.clear()
        if self._port is not None:
            if self._port.isOpen():
                self._port.close()
            self._port.deleteLater()
            self._port = None

    def feed(self, data: bytes) -> None:
        """Take bytes as if they had come from the port (used by ``_read``; handy without hardware)."""
        self._buffer.extend(data)
        while True:
            ends = [i for i in (self._buffer.find(b"\r"), self._buffer.find(b"\n")) if i >= 0]
            if not ends:
                break
            cut = min(ends)
            line = bytes(self._buffer[:cut])
            del self._buffer[: cut + 1]
            self._emit(line)
        if len(self._buffer) > MAX_LINE_BYTES:
            self._flush()
        if self._buffer:
            self._idle.start()
        else:
            self._idle.stop()

    def _read(self) -> None:
        if self._port is not None:
            self.feed(bytes(self._port.readAll().data()))

    def _flush(self) -> None:
        line = bytes(self._buffer)
        self._buffer.clear()
        self._emit(line)

    def _emit(self, raw: bytes) -> None:
        text = decode_line(raw)
        if text:
            self.scanned.emit(text)

    def _error(self, error: Any) -> None:
        sp = serial_module()
        if error == sp.QSerialPort.SerialPortError.NoError:
            return
        if error == sp.QSerialPort.SerialPortError.ResourceError:  # unplugged
            self.close()
            self.failed.emit(
                f"Máy quét ở cổng {self.port_name} đã bị rút ra hoặc ngừng hoạt động. "
                "Cắm lại rồi kết nối lại."
            )
        else:
            log.warning("serial port error %s", error)


def _open_error(name: str, error: Any, sp: Any) -> str:
    errors = sp.QSerialPort.SerialPortError
    if error == errors.PermissionError:
        return (
            f"Không mở được cổng {name}: cổng đang được chương trình khác dùng, hoặc tài khoản này không "
            "có quyền dùng nó. Hãy đóng chương trình đó rồi thử lại."
        )
    if error == errors.DeviceNotFoundError:
        return f"Không tìm thấy cổng {name}. Hãy cắm máy quét rồi chọn lại cổng."
    return f"Không mở được cổng {name}. Hãy rút máy quét ra, cắm lại rồi thử lại."
