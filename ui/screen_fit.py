"""Windows that fit a small laptop screen: 1366×768, or 1280×720 at 125 % (Windows' default there, which Qt
turns into a 1024×576 screen of device-independent pixels).

A dialog is capped to the available area of its screen (the screen less the taskbar), centred on it when first
shown, and moved back inside whenever it grows — a dialog that grows after loading (a scanned card's form)
moves up instead of pushing its buttons below the screen's edge. What does not fit then scrolls: long dialogs
put their content in a scroll area, so that their minimum size is small.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMargins, QObject, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

#: A window's frame before the window system reports it (Windows 10/11: a 31 px title bar, thin borders).
ASSUMED_FRAME = QMargins(1, 31, 1, 1)


def available_geometry(widget: QWidget | None = None) -> QRect:
    """The part of *widget*'s screen (else the primary screen) that windows may use: the screen less the
    taskbar."""
    screen = widget.screen() if widget is not None else None
    if screen is None:
        screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1366, 728)


def frame_margins(window: QWidget) -> QMargins:
    """The window's frame (title bar and borders) as the window system reports it once shown; before that, a
    Windows-like frame is assumed."""
    if window.isVisible():
        frame, inner = window.frameGeometry(), window.geometry()
        return QMargins(
            inner.left() - frame.left(),
            inner.top() - frame.top(),
            frame.right() - inner.right(),
            frame.bottom() - inner.bottom(),
        )
    return QMargins(ASSUMED_FRAME)


def largest_size(window: QWidget) -> QSize:
    """The largest size *window* (without its frame) can have and still be wholly on its screen."""
    area, m = available_geometry(window), frame_margins(window)
    return QSize(
        max(area.width() - m.left() - m.right(), 1),
        max(area.height() - m.top() - m.bottom(), 1),
    )


def keep_on_screen(window: QWidget, center: bool = False) -> None:
    """Shrink *window* to its screen's available area if it is larger, and move it so that its frame lies inside
    that area (centred on it if *center*)."""
    area, m = available_geometry(window), frame_margins(window)
    largest = largest_size(window)
    width, height = min(window.width(), largest.width()), min(window.height(), largest.height())
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
        width, height = window.width(), window.height()  # the minimum size may have won
    frame_w, frame_h = width + m.left() + m.right(), height + m.top() + m.bottom()
    if center:
        x = area.x() + max((area.width() - frame_w) // 2, 0)
        y = area.y() + max((area.height() - frame_h) // 2, 0)
    else:
        x = min(max(window.x(), area.x()), area.x() + area.width() - frame_w)
        y = min(max(window.y(), area.y()), area.y() + area.height() - frame_h)
        x, y = max(x, area.x()), max(y, area.y())
    if (x, y) != (window.x(), window.y()):
        window.move(x, y)


class ScreenFit(QObject):
    """Keeps one top-level window on its screen: capped and centred when shown, moved back when it grows."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._shown_once = False
        self._fitting = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if watched is self._window and not self._fitting and kind in (QEvent.Type.Show, QEvent.Type.Resize):
            if kind == QEvent.Type.Show or self._window.isVisible():
                self.fit(center=kind == QEvent.Type.Show and not self._shown_once)
                if kind == QEvent.Type.Show:
                    self._shown_once = True
        return False

    def fit(self, center: bool = False) -> None:
        window = self._window
        self._fitting = True
        try:
            window.setMaximumSize(largest_size(window))
            keep_on_screen(window, center=center)
        finally:
            self._fitting = False


def fit_to_screen(window: QWidget) -> ScreenFit:
    """Keep *window* (a dialog) on its screen from now on; returns the fitter (one per window)."""
    existing = window.findChild(ScreenFit, options=Qt.FindChildOption.FindDirectChildrenOnly)
    if isinstance(existing, ScreenFit):
        return existing
    return ScreenFit(window)


class _ContentLayout(QVBoxLayout):
    """Says it has no height-for-width: a scroll area then gives the content the viewport's height (or its
    minimum), not the taller preferred height a word-wrapped paragraph asks for — no scroll bar when it fits."""

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return False


def scrolled_layout(page: QWidget) -> QVBoxLayout:
    """A vertical layout for *page*'s content inside a frameless scroll area that fills the page: a page taller
    than a small screen (1280×720 at 125 %) scrolls instead of pushing the window off the screen."""
    outer = QVBoxLayout(page)
    outer.setContentsMargins(0, 0, 0, 0)
    scroll = QScrollArea(page)
    scroll.setObjectName("pageScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    content = QWidget(scroll)
    content.setObjectName("pageContent")
    scroll.setWidget(content)
    outer.addWidget(scroll)
    return _ContentLayout(content)
