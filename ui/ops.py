"""Run database work off the GUI thread and get its result (or exception) back on the GUI thread.

**No database work on the GUI thread.** Every call into the core from a slot, a constructor or a paint goes
through :func:`run_in_background`; the GUI thread only builds arguments and shows results. In debug mode and
in the whole test suite, ``ksk_desktop.thread_guard`` makes a unit of work started on the GUI thread by GUI
code raise (see :func:`guard_gui_thread`).

**One writer.** The GUI's work runs in order on one worker thread (a pool of one): an edit made after another
is written after it, and a page refreshed after an operation reads what the operation wrote. The sync thread
(``ui.sync.sync_controller``) keeps its own thread so that the network — a request can take many seconds, a
backoff minutes — never runs on this worker and never delays a save. Its database steps are short units of
work through the same core as ours, and every write in the process takes the core's per-file writer lock
(``ksk_desktop.db.database.WriterLock``) before ``BEGIN IMMEDIATE``: the worker and the sync thread queue
for each other in turn instead of racing for SQLite's lock, and SQLite's busy timeout only applies to other
programs (a busy file is then :class:`~ksk_desktop.errors.DatabaseBusy` within seconds). We chose the lock
over handing the sync's steps to this worker because the sync worker is shared with the command line, which
has no Qt, and because the lock also covers a session closing while a new one opens after an unlock.

**Closing.** Locking, logging out and quitting first stop the pages (no new work, sync cancelled), then
:func:`retire_pending` (results still on their way are not shown any more; long work with a cancel hook is
cancelled), then :func:`close_session` queues ``session.close()`` behind the work already queued — which
therefore still finishes, a typed section is saved — and the core's ``close`` waits for any unit of work still
running (the sync thread's) before it forgets the keys.

**What changed.** An operation names what it changes (``changes=``, a :class:`ui.changes.Changes`); after it
succeeds the changes are announced on :data:`hub` and every page that shows them refreshes (Anki's
``OpChanges``).

The function must not touch widgets; the callbacks run on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

import shiboken6
from PySide6.QtCore import QDeadlineTimer, QObject, QRunnable, QThreadPool, Signal, Slot

from ksk_desktop import thread_guard
from ksk_desktop.station.session import StationSession
from ui.changes import Changes

log = logging.getLogger(__name__)

_pool: QThreadPool | None = None
_network_pool: QThreadPool | None = None
_pending: set[Task] = set()  # keeps the signal carriers alive until their result is delivered


def pool() -> QThreadPool:
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(1)
    return _pool


def network_pool() -> QThreadPool:
    global _network_pool
    if _network_pool is None:
        _network_pool = QThreadPool()
        _network_pool.setMaxThreadCount(2)
    return _network_pool


def guard_gui_thread(exempt: Iterable[Any] = ()) -> None:
    """Make database work started by GUI code on this (the GUI) thread raise (debug mode and tests)."""
    thread_guard.forbid_thread(threading.get_ident(), exempt=tuple(exempt))


class ChangeHub(QObject):
    """Where operations announce what they changed; pages listen (GUI thread only)."""

    changed = Signal(object)  # a Changes value

    def announce(self, changes: Changes) -> None:
        if changes:
            self.changed.emit(changes)


_hub: ChangeHub | None = None


def hub() -> ChangeHub:
    global _hub
    if _hub is None:
        _hub = ChangeHub()
    return _hub


class Task(QObject):
    """The GUI-thread end of one background call: carries its signals and delivers them."""

    finished = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        context: QObject | None,
        changes: Changes = Changes.NONE,
        cancel: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()  # no parent: created on the GUI thread, so it lives there
        self._on_done = on_done
        self._on_error = on_error
        self._context = context
        self._cancel = cancel
        self.changes = changes
        self.done = False
        self.retired = False  # the session it worked for was closed: deliver nothing to the views
        self.result: Any = None
        self.error: BaseException | None = None
        # The receiver is this object (GUI thread), so emits from the worker are queued to the GUI thread.
        self.finished.connect(self._deliver_result)
        self.failed.connect(self._deliver_error)

    def _context_alive(self) -> bool:
        return self._context is None or shiboken6.isValid(self._context)

    def retire(self) -> None:
        """Stop caring about the result (and ask long work to stop, if it can be asked)."""
        self.retired = True
        if self._cancel is not None:
            self._cancel()

    @Slot(object)
    def _deliver_result(self, result: Any) -> None:
        self.done, self.result = True, result
        _pending.discard(self)
        if self.retired:
            if isinstance(result, StationSession) and not result.closing:
                run_in_background(result.close)  # a login that finished after its window went: close it
            return
        if self._on_done is not None and self._context_alive():
            self._on_done(result)
        hub().announce(self.changes)

    @Slot(object)
    def _deliver_error(self, exc: BaseException) -> None:
        self.done, self.error = True, exc
        _pending.discard(self)
        if self.retired:
            log.debug("background operation failed after its session was closed: %s", type(exc).__name__)
            return
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
    changes: Changes = Changes.NONE,
    cancel: Callable[[], None] | None = None,
) -> Task:
    """Call ``fn()`` on the worker thread; then ``on_done(result)`` or ``on_error(exc)`` on the GUI thread.

    If *context* (usually the widget that asked) has been deleted by then, the callbacks are skipped. After a
    success *changes* are announced on :func:`hub`. *cancel* asks long work to stop when the session closes.
    """
    return _start(pool(), fn, Task(on_done, on_error, context, changes, cancel))


def run_network(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    context: QObject | None = None,
    changes: Changes = Changes.NONE,
) -> Task:
    """Like :func:`run_in_background`, for work that waits on the network (enrolment with the hub): it runs on
    a thread of its own so that a slow hub never holds up the database worker. Its database steps are the
    core's units of work, serialised with ours by the core's writer lock."""
    return _start(network_pool(), fn, Task(on_done, on_error, context, changes))


def _start(on: QThreadPool, fn: Callable[[], Any], task: Task) -> Task:
    _pending.add(task)
    on.start(_Runnable(fn, task))
    return task


def pending_count() -> int:
    """Background calls whose result has not yet been delivered."""
    return len(_pending)


def retire_pending() -> int:
    """The session is closing: results still on their way are not shown, long work is asked to stop.

    Work already queued still runs (a section typed before a lock is saved); returns how many were retired."""
    tasks = list(_pending)
    for task in tasks:
        task.retire()
    return len(tasks)


def close_session(
    session: StationSession,
    on_closed: Callable[[], None],
    *,
    context: QObject | None = None,
    before: Callable[[], None] | None = None,
) -> Task:
    """Close *session* on the worker, after the work queued before this call; then ``on_closed()``.

    *before* runs first on the worker (e.g. waiting a little for the sync thread to stop). ``session.close()``
    itself refuses new units of work and waits for those still running on other threads."""

    def close() -> None:
        if before is not None:
            try:
                before()
            except Exception:  # closing must go on whatever happened while waiting
                log.exception("preparing to close the session failed")
        session.close()

    def failed(exc: BaseException) -> None:
        log.error("closing the session failed", exc_info=exc)
        on_closed()

    return run_in_background(close, lambda _r: on_closed(), failed, context=context)


def wait_for_workers(timeout_ms: int = 30_000) -> bool:
    """Block until the worker threads are idle (used at shutdown; results still need the event loop)."""
    done = pool().waitForDone(QDeadlineTimer(timeout_ms))
    return network_pool().waitForDone(QDeadlineTimer(timeout_ms)) and done
