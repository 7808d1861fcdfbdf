"""USB-COM scanners without hardware: the missing-module and no-port messages, line framing and decoding,
and a real QSerialPort reading a pseudo-terminal (Linux)."""

from __future__ import annotations

import os
import sys
import types

import pytest

import ui.scan.serial as serial
from ui.scan.errors import NO_PORTS, NO_SERIAL_MODULE, ScannerUnavailable

PAYLOAD = "031085999901|999888701|Nguyễn Văn Thử|15041985|Nam|Số 0 Phố Kiểm Thử, Phường Hồng Bàng, Thành phố Hải Phòng|10052021"

has_serial = True
try:
    from PySide6 import QtSerialPort  # noqa: F401
except ImportError:
    has_serial = False
needs_serial = pytest.mark.skipif(not has_serial, reason="QtSerialPort (PySide6-Addons) is not installed")


def test_without_qtserialport_the_message_says_what_to_do(monkeypatch):
    import PySide6

    monkeypatch.setitem(sys.modules, "PySide6.QtSerialPort", None)
    monkeypatch.delattr(PySide6, "QtSerialPort", raising=False)
    with pytest.raises(ScannerUnavailable) as info:
        serial.list_ports()
    assert info.value.message == NO_SERIAL_MODULE
    assert "PySide6-Addons" in info.value.message and "chế độ bàn phím" in info.value.message
    with pytest.raises(ScannerUnavailable):
        serial.SerialScanner("COM3").open()


class _NoPorts:
    @staticmethod
    def availablePorts() -> list:  # noqa: N802 - Qt's name
        return []


def test_without_any_port_the_message_says_so(qtbot, monkeypatch):
    monkeypatch.setattr(serial, "serial_module", lambda: types.SimpleNamespace(QSerialPortInfo=_NoPorts))
    assert serial.list_ports() == []
    with pytest.raises(ScannerUnavailable) as info:
        serial.SerialScanner("COM3").open()
    assert info.value.message == NO_PORTS and "Không tìm thấy cổng COM nào" in NO_PORTS


@needs_serial
def test_an_unknown_port_names_the_ports_there_are(qtbot):
    ports = serial.list_ports()
    with pytest.raises(ScannerUnavailable) as info:
        serial.SerialScanner("COM-KSK-404").open()
    if ports:
        assert info.value.message.startswith("Không tìm thấy cổng COM-KSK-404. Các cổng hiện có: ")
        assert ports[0].name in info.value.message
    else:
        assert info.value.message == NO_PORTS


def test_lines_are_framed_by_cr_lf_and_decoded(qtbot):
    scanner = serial.SerialScanner("COM3")  # never opened: bytes are fed directly
    got: list[str] = []
    scanner.scanned.connect(got.append)
    data = ("\ufeff" + PAYLOAD + "\r\n").encode("utf-8")
    scanner.feed(data[:37])
    scanner.feed(data[37:])  # a line may arrive in pieces
    scanner.feed(b"\r\n\n")  # empty lines are not scans
    scanner.feed(b"Caf\xe9\n")  # not UTF-8: read as Latin-1, the parser repairs mojibake
    assert got == [PAYLOAD, "Café"]


def test_a_scanner_without_line_ends_is_read_after_a_pause(qtbot):
    scanner = serial.SerialScanner("COM3", idle_ms=50)
    with qtbot.waitSignal(scanner.scanned, timeout=1_000) as blocker:
        scanner.feed(PAYLOAD.encode("utf-8"))
    assert blocker.args == [PAYLOAD]


def test_bytes_that_are_not_utf8_are_kept_for_the_parser_to_repair():
    assert serial.decode_line("Hải Phòng".encode()) == "Hải Phòng"
    assert serial.decode_line(b"\xff\xfeabc\r\n") == "ÿþabc"


@needs_serial
@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_real_serial_port_delivers_scans(qtbot):
    master, slave = os.openpty()
    try:
        scanner = serial.SerialScanner(os.ttyname(slave), 115200)
        scanner.open()
        assert scanner.is_open
        got: list[str] = []
        scanner.scanned.connect(got.append)
        os.write(master, (PAYLOAD + "\r\n").encode("utf-8"))
        os.write(master, (PAYLOAD[:40] + "\r").encode("utf-8"))
        qtbot.waitUntil(lambda: len(got) == 2, timeout=3_000)
        assert got == [PAYLOAD, PAYLOAD[:40]]
        scanner.close()
        assert not scanner.is_open
    finally:
        os.close(master)
        os.close(slave)
