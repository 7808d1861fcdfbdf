"""Progress and cancel for a long core call running on the worker thread.

The core takes plain callbacks (``progress(done, total)``, ``cancel() -> bool``). ``Progress`` provides
both: ``report`` may be called from the worker thread (it only emits a signal, which Qt queues to the GUI
thread); ``cancel``/``cancelled`` share a thread-safe flag.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal


class Progress(QObject):
    changed = Signal(int, int)  # done, total (delivered on the GUI thread)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()
        self.done = 0
        self.total = 0
        self.changed.connect(self._remember)

    def report(self, done: int, total: int) -> None:
        """Worker thread: never touches widgets, only emits."""
        self.changed.emit(int(done), int(total))

    def _remember(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()
