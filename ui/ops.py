"""Run a function off the GUI thread and get its result (or exception) back on the GUI thread.

All background work goes through one pool with a single thread, so database work is serialised (SQLCipher
allows one writer at a time). The function must not touch widgets; the callbacks run on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QDeadlineTimer, QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

_pool: QThreadPool | None = None
_pending: set[Task] = set()  # keeps the signal carriers alive until their result is delivered


def pool() -> QThreadPool:
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(1)
    return _pool


class Task(QObject):
    """The GUI-thread end of one background call: carries its signals and delivers them."""

    finished = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        context: QObject | None,
    ) -> None:
        super().__init__()  # no parent: created on the GUI thread, so it lives there
        self._on_done = on_done
        self._on_error = on_error
        self._context = context
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        # The receiver is this object (GUI thread), so emits from the worker are queued to the GUI thread.
        self.finished.connect(self._deliver_result)
        self.failed.connect(self._deliver_error)

    def _context_alive(self) -> bool:
        return self._context is None or shiboken6.isValid(self._context)

    @Slot(object)
    def _deliver_result(self, result: Any) -> None:
        self.done, self.result = True, result
        _pending.discard(self)
        if self._on_done is not None and self._context_alive():
            self._on_done(result)

    @Slot(object)
    def _deliver_error(self, exc: BaseException) -> None:
        self.done, self.error = True, exc
        _pending.discard(self)
        if not self._context_alive():
            return
        if self._on_error is not None:
            self._on_error(exc)
        else:
            log.error("background operation failed", exc_info=exc)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[], Any], task: Task) -> None:
        super().__init__()
        self._fn = fn
        self._task = task
        self.setAutoDelete(True)

    def run(self) -> None:  # worker thread: never touch widgets here
        try:
            result = self._fn()
        except BaseException as exc:  # every failure goes back to the GUI thread
            self._emit(self._task.failed, exc)
        else:
            self._emit(self._task.finished, result)

    @staticmethod
    def _emit(signal, value: Any) -> None:  # noqa: ANN001 - a bound Qt signal
        try:
            signal.emit(value)
        except RuntimeError:  # the task went with the application (a late answer at exit): nobody to tell
            log.debug("background result dropped: its task no longer exists")


def run_in_background(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    context: QObject | None = None,
) -> Task:
    """Call ``fn()`` on the worker thread; then ``on_done(result)`` or ``on_error(exc)`` on the GUI thread.

    If *context* (usually the widget that asked) has been deleted by then, the callbacks are skipped.
    """
    task = Task(on_done, on_error, context)
    _pending.add(task)
    pool().start(_Runnable(fn, task))
    return task


def pending_count() -> int:
    """Background calls whose result has not yet been delivered."""
    return len(_pending)


def wait_for_workers(timeout_ms: int = 30_000) -> bool:
    """Block until the worker thread is idle (used at shutdown; results still need the event loop)."""
    return pool().waitForDone(QDeadlineTimer(timeout_ms))
