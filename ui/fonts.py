"""The monospace font the app bundles (JetBrains Mono Regular, OFL: resources/fonts/JetBrainsMono-OFL.txt; every
Vietnamese letter): text read character by character, such as the recovery key, never depends on the system's
``monospace``, which some fontconfig set-ups map to a face Qt does not see as fixed-pitch (Noto Sans Mono) or
to a proportional one, and which Windows does not have at all."""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QFont, QFontDatabase

from ksk_desktop.resources import resource

log = logging.getLogger("ksk.ui")

MONO_FILE = "JetBrainsMono-Regular.ttf"
_mono_family: str | None = None


def load_bundled_fonts() -> str | None:
    """Register the bundled monospace font with Qt (once per process; a QGuiApplication must exist) and return
    its family, or None if it cannot be loaded (the system's fixed-pitch font is used then)."""
    global _mono_family
    if _mono_family is None:
        # Bytes rather than a path: the resources may sit inside a frozen archive.
        font_id = QFontDatabase.addApplicationFontFromData(
            QByteArray(resource("fonts", MONO_FILE).read_bytes())
        )
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if not families:
            log.warning("the bundled monospace font %s could not be loaded", MONO_FILE)
            return None
        _mono_family = families[0]
    return _mono_family


def monospace_font(point_size: float | None = None) -> QFont:
    """The bundled monospace font (at *point_size*, else the application's size)."""
    family = load_bundled_fonts()
    font = QFont(family) if family else QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setFixedPitch(True)
    if point_size is not None:
        font.setPointSizeF(point_size)
    return font
