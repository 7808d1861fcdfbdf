"""A sync run's progress on the Đồng bộ page: how many of how many items were sent (a bar), and about how long
the rest will take, estimated from the pace so far — 108,787 items take minutes, and staff want to know whether
to wait."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from ui.i18n import format_number


def processed(progress: dict) -> int:
    """Items the hub has answered for in this run (accepted, already there, or refused)."""
    return sum(int(progress.get(key) or 0) for key in ("accepted", "duplicate", "rejected"))


def time_left_text(seconds: float) -> str:
    if seconds < 60:
        return "Còn dưới 1 phút"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"Còn khoảng {minutes} phút"
    return f"Còn khoảng {minutes // 60} giờ {minutes % 60:02d} phút"


class RunProgress(QWidget):
    def __init__(self, parent: QWidget | None = None, now: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self.now = now  # seconds, for the pace (a test may pass its own)
        self.started: float | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("syncBar")
        self.left_label = QLabel("", self)
        self.left_label.setObjectName("syncTimeLeft")
        row.addWidget(self.bar, 1)
        row.addWidget(self.left_label)
        self.hide()

    def show_progress(self, progress: dict) -> None:
        total, done = int(progress.get("total") or 0), processed(progress)
        if progress.get("phase") == "start" or self.started is None:
            self.started = self.now()
        if not total:
            self.hide()
            return
        self.bar.setRange(0, total)
        self.bar.setValue(min(done, total))
        self.bar.setFormat(f"{format_number(min(done, total))} / {format_number(total)} mục (%p%)")
        if progress.get("phase") == "pull":
            self.left_label.setText("Đang nhận thay đổi từ máy chủ…")
        elif done and done < total:
            elapsed = self.now() - self.started
            self.left_label.setText(time_left_text(elapsed / done * (total - done)))
        elif not done:
            self.left_label.setText("Đang ước tính thời gian…")
        else:
            self.left_label.setText("")
        self.show()

    def finish(self) -> None:
        self.started = None
        self.hide()
