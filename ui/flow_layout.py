"""A row of widgets that wraps onto more rows when the window is narrow (a laptop at 125 % text scaling), so that
a row of filters or buttons never sets the window's minimum width: only its widest item does.

Items keep their size hints; a stretch is not needed (the row is left-aligned, or right-aligned with
``align_right``). The layout answers ``heightForWidth``, so the rows below it move down when it wraps.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QWidget, QWidgetItem


class FlowLayout(QLayout):
    def __init__(
        self, parent: QWidget | None = None, spacing: int = 6, row_spacing: int = 6, align_right: bool = False
    ) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self._row_spacing = row_spacing
        self._align_right = align_right
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    # -- QLayout ------------------------------------------------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt override
        self._items.append(item)

    def addWidget(self, widget: QWidget) -> None:  # noqa: N802 - Qt override
        self.addChildWidget(widget)
        self.addItem(QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt override
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt override
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Everything on one row."""
        visible = self._visible()
        m = self.contentsMargins()
        width = sum(i.sizeHint().width() for i in visible) + self._spacing * max(len(visible) - 1, 0)
        height = max((i.sizeHint().height() for i in visible), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt override
        """As narrow as the widest item (one per row at worst)."""
        m = self.contentsMargins()
        size = QSize(0, 0)
        for item in self._visible():
            size = size.expandedTo(item.minimumSize().expandedTo(item.sizeHint()))
        return QSize(size.width() + m.left() + m.right(), size.height() + m.top() + m.bottom())

    # -- placing ------------------------------------------------------------------------------------------------
    def _visible(self) -> list[QLayoutItem]:
        return [i for i in self._items if not i.isEmpty()]

    def _rows(self, width: int) -> list[list[QLayoutItem]]:
        rows: list[list[QLayoutItem]] = [[]]
        used = 0
        for item in self._visible():
            w = item.sizeHint().width()
            if rows[-1] and used + self._spacing + w > width:
                rows.append([])
                used = 0
            used += (self._spacing if rows[-1] else 0) + w
            rows[-1].append(item)
        return [r for r in rows if r]

    def _arrange(self, rect: QRect, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.marginsRemoved(m)
        y = area.y()
        for row in self._rows(area.width()):
            height = max(i.sizeHint().height() for i in row)
            if apply:
                widths = [min(i.sizeHint().width(), area.width()) for i in row]
                taken = sum(widths) + self._spacing * (len(row) - 1)
                x = area.x() + (area.width() - taken if self._align_right else 0)
                for item, w in zip(row, widths, strict=True):
                    h = (
                        height
                        if item.expandingDirections() & Qt.Orientation.Vertical
                        else item.sizeHint().height()
                    )
                    top = y + (height - h) // 2
                    item.setGeometry(QRect(QPoint(x, top), QSize(w, h)))
                    x += w + self._spacing
            y += height + self._row_spacing
        return y - self._row_spacing - area.y() + m.top() + m.bottom() if self._visible() else 0


def flow_row(parent: QWidget, *widgets: QWidget, align_right: bool = False, spacing: int = 6) -> QWidget:
    """A widget holding *widgets* in a wrapping row (to put into a box layout)."""
    holder = QWidget(parent)
    policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
    policy.setHeightForWidth(True)
    holder.setSizePolicy(policy)
    flow = FlowLayout(holder, spacing=spacing, align_right=align_right)
    for w in widgets:
        flow.addWidget(w)
    return holder


def labelled(parent: QWidget, text: str, *widgets: QWidget) -> QWidget:
    """*text* and its *widgets* side by side, kept together when a flow row wraps."""
    from PySide6.QtWidgets import QHBoxLayout, QLabel

    pair = QWidget(parent)
    row = QHBoxLayout(pair)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(4)
    row.addWidget(QLabel(text, pair))
    for w in widgets:
        row.addWidget(w)
    return pair
