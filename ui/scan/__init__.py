"""Scanning the CCCD QR code: keyboard-wedge scanners (app-wide filter), USB-serial scanners, the webcam.

``install_scanner(app, on_payload)`` is what the main window needs: every wedge scan, wherever the focus is,
calls ``on_payload(text)``. The serial and camera modes live in ``ui.scan.serial`` and ``ui.scan.camera``
and import the optional Qt modules (PySide6-Addons) and zxing-cpp only when used.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication

from ui.scan.errors import ScannerUnavailable
from ui.scan.wedge import WedgeScanFilter, WedgeTiming

__all__ = ["ScannerUnavailable", "WedgeScanFilter", "WedgeTiming", "install_scanner"]


def install_scanner(
    app: QCoreApplication, on_payload: Callable[[str], None], timing: WedgeTiming | None = None
) -> WedgeScanFilter:
    """Install the keyboard-wedge filter on the whole application; each scan calls ``on_payload(text)``.

    Keep the returned filter: ``set_enabled(False)`` pauses it, ``uninstall()`` removes it. It is parented to
    *app*, so it lives as long as the application does.
    """
    scanner = WedgeScanFilter(timing, app)
    scanner.scanned.connect(on_payload)
    app.installEventFilter(scanner)
    return scanner
