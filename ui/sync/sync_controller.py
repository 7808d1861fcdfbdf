"""Runs the station's sync worker off the GUI thread and tells the window what is going on.

One controller per main window. The worker runs in its own thread (never the GUI thread, never the shared
``ops`` worker, which would stall every page for as long as a request or a backoff lasts); even reading the
hub link happens there. Its database steps are the core's units of work: its writes queue with ours on the
core's writer lock (see ``ui.ops``). Its progress comes back through queued Qt signals; when a run ends, what
it changed is announced on ``ops.hub()`` (what was sent, and what was pulled). The status (pending, parked,
last success, last error) is read in the background by a timer and after every run.

Locking or closing the window hands the controller no session: a running sync is asked to stop (it stops
between requests, or at once while it waits) and the timers stop, without blocking the window; the window
then lets the sync thread finish its request for a few seconds (``stopping_thread``) before the session is
closed, and the core's ``close`` waits for a database step still running.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from ksk_desktop.outbox import sync_state
from ksk_desktop.station.session import StationSession
from sync.client.worker import SyncWorker, WorkerConfig
from ui import ops
from ui.changes import Changes
from ui.messages import error_text

log = logging.getLogger(__name__)

STATUS_INTERVAL_MS = 30_000
STOP_WAIT_S = 3.0  # at lock/close: how long the request in flight may finish before the session closes


def changes_of(report: dict) -> Changes:
    """What a finished run changed: the outbox and the sync state always; what it pulled, if anything."""
    changes = Changes.OUTBOX | Changes.SYNC
    if report.get("pulled"):  # roster updates and merges (a merge re-points appointments and exams)
        changes |= Changes.PEOPLE | Changes.APPOINTMENTS | Changes.EXAMS
    return changes


def gui_config() -> WorkerConfig:
    """Shorter waits than the CLI: a person is watching, and a cancel must not hang on a long read."""
    return WorkerConfig(max_failures=3, timeout_s=(5.0, 20.0))


class SyncController(QObject):
    status_changed = Signal(object)  # sync_state.SyncStatus, with ``running`` set
    progress = Signal(dict)  # the worker's progress: phase, accepted, duplicate, rejected, pulled…
    run_finished = Signal(dict)  # the run's report, or {"error": text} if it could not start or crashed
    running_changed = Signal(bool)
    _worker_done = Signal(object)  # from the worker thread

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        config_factory: Callable[[], WorkerConfig] = gui_config,
        status_interval_ms: int = STATUS_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self.session: StationSession | None = None
        self.status_task_count = 0  # status reads started (tests)
        self.config_factory = config_factory
        self.last_status: sync_state.SyncStatus | None = None
        self.last_report: dict | None = None
        self._worker: SyncWorker | None = None
        self._cancel = threading.Event()  # the run in progress (if any) should stop
        self._thread: threading.Thread | None = None
        self._status_task: ops.Task | None = None
        self._refresh_again = False
        self._worker_done.connect(self._finished)
        self.progress.connect(self._pending_moves)  # queued: the worker reports from its thread
        self.status_timer = QTimer(self)
        self.status_timer.setInterval(status_interval_ms)
        self.status_timer.timeout.connect(self.refresh)
        self.auto_timer = QTimer(self)
        self.auto_timer.timeout.connect(self._auto_run)
        self.auto_minutes: int | None = None
        ops.hub().changed.connect(self._on_changes)

    # -- session ----------------------------------------------------------------------------------------
    def set_session(self, session: StationSession | None) -> None:
        if session is None:
            self.stop()
            self.session = None
            self.last_status = None
            return
        self.session = session
        self.status_timer.start()
        if self.auto_minutes:
            self.auto_timer.start()
        self.refresh()

    def stop(self) -> None:
        """Ask a running sync to stop and stop the timers; never blocks (see ``stopping_thread``)."""
        self.status_timer.stop()
        self.auto_timer.stop()
        self.cancel()

    def stopping_thread(self) -> threading.Thread | None:
        """The sync thread if one is running: the window waits a little for it before closing the session."""
        thread = self._thread
        return thread if thread is not None and thread.is_alive() else None

    def _on_changes(self, changes: Changes) -> None:
        """Something now waits to be sent (or the sync state changed): the status bar shows it at once."""
        if changes & (Changes.OUTBOX | Changes.SYNC):
            self.refresh()

    # -- status -----------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def refresh(self) -> None:
        """Read the sync status in the background; ``status_changed`` follows."""
        ctx = self.session
        if ctx is None or ctx.closed:
            return
        if self._status_task is not None and not self._status_task.done:
            self._refresh_again = True  # the answer on its way may predate what the caller just changed
            return
        self._refresh_again = False
        self.status_task_count += 1
        self._status_task = ops.run_in_background(
            lambda: sync_state.status(ctx), self._got_status, self._status_failed, context=self
        )

    def _got_status(self, status: sync_state.SyncStatus) -> None:
        if self.session is None:
            return
        self.last_status = status.with_running(self.running)
        self.status_changed.emit(self.last_status)
        if self._refresh_again:
            self.refresh()

    def _status_failed(self, exc: BaseException) -> None:
        if self.session is not None:  # after a lock the session is gone on purpose: nothing to say
            log.warning("sync status could not be read: %s", error_text(exc))

    # -- runs -------------------------------------------------------------------------------------------
    def run_now(self) -> str | None:
        """Start one sync run in the background. Returns why it could not start (Vietnamese), or None."""
        ctx = self.session
        if ctx is None or ctx.closing:
            return "Phiên làm việc đã khóa."
        if self.running:
            return "Đang đồng bộ."
        if self.last_status is not None and not self.last_status.enrolled:
            return "Trạm chưa đăng ký với máy chủ đồng bộ: hãy đăng ký trước."
        cancel = threading.Event()
        self._cancel = cancel
        config = self.config_factory()
        self._thread = threading.Thread(
            target=self._body, args=(ctx, config, cancel), name="ksk-sync-gui", daemon=True
        )
        self._thread.start()
        self.running_changed.emit(True)
        if self.last_status is not None:
            self.last_status = self.last_status.with_running(True)
            self.status_changed.emit(self.last_status)
        return None

    def _body(self, ctx: StationSession, config: WorkerConfig, cancel: threading.Event) -> None:
        """The sync thread: no widgets here. Reading the hub link is database work too, so it happens here."""
        worker: SyncWorker | None = None
        try:
            worker = SyncWorker(ctx, config=config, on_progress=self._progress_from_thread)
            self._worker = worker
            if cancel.is_set():
                worker.cancel()
            result = worker.run_once().to_json()
        except Exception as exc:  # not enrolled, or the session was locked under it: items in flight go again
            result = {"error": error_text(exc), "complete": False, "cancelled": cancel.is_set()}
        finally:
            if worker is not None:
                try:
                    worker.close()
                except Exception:
                    log.exception("closing the sync transport failed")
        try:
            self._worker_done.emit(result)
        except RuntimeError:  # the controller was deleted while the last request finished
            pass

    def _pending_moves(self, progress: dict) -> None:
        """During a run "Chờ gửi" counts down with what the hub has answered for (GUI thread)."""
        status = self.last_status
        if status is None or not self.running or not progress.get("total"):
            return
        answered = sum(int(progress.get(key) or 0) for key in ("accepted", "duplicate", "rejected"))
        self.last_status = replace(status, pending=max(int(progress["total"]) - answered, 0), running=True)
        self.status_changed.emit(self.last_status)

    def _progress_from_thread(self, progress: dict) -> None:
        try:
            self.progress.emit(progress)
        except RuntimeError:  # the controller is gone (the window closed during the run)
            pass

    @Slot(object)
    def _finished(self, result: dict) -> None:
        if self._thread is not None:
            self._thread.join(1.0)  # it has emitted its last word; let it end
        self._worker = self._thread = None
        self.last_report = result
        self.running_changed.emit(False)
        if self.session is None:
            return  # locked or closed meanwhile: nothing to show, nobody to tell
        self.run_finished.emit(result)
        ops.hub().announce(changes_of(result))  # the status bar refreshes from it too

    def cancel(self) -> None:
        """Ask a running sync to stop at its next check (between requests, or at once while it waits)."""
        self._cancel.set()
        worker = self._worker
        if worker is not None:
            worker.cancel()

    # -- automatic sync -----------------------------------------------------------------------------------
    def set_auto_interval(self, minutes: int | None) -> None:
        """Sync every *minutes* while the window is open and unlocked (None or 0: only on demand)."""
        self.auto_minutes = minutes or None
        if self.auto_minutes:
            self.auto_timer.setInterval(self.auto_minutes * 60_000)
            if self.session is not None:
                self.auto_timer.start()
        else:
            self.auto_timer.stop()

    def _auto_run(self) -> None:
        status = self.last_status
        if status is not None and status.enrolled and not self.running:
            self.run_now()
