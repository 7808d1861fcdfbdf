"""The main window's scheduled backups and backup reminder: a label in the status bar and a timer.

At each check (shortly after the window opens, then every hour) the worker makes the scheduled backup if it is
due (``ksk_desktop.station.backup_schedule``: this computer's folder, a person who may back up logged in), then
reads when the station's last backup was made; the label shows the reminder when that is more than a week ago
(or never), or why the scheduled backup could not be made (the USB drive is not plugged in). Attached from
``ui.flow`` so the main window itself needs no change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QMainWindow

from ksk_desktop.errors import BackupError
from ksk_desktop.station import backup_schedule
from ksk_desktop.station.paths import StationPaths
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes

CHECK_EVERY_MS = 60 * 60 * 1000
FIRST_CHECK_MS = 3000
STYLE = "color: #b3261e; padding-left: 12px;"


@dataclass(frozen=True)
class BackupCheck:
    made: str | None  # the file the scheduled backup wrote, if it made one now
    problem: str | None  # why a due scheduled backup could not be made
    last: datetime | None


def check_backups(ctx: StationSession, paths: StationPaths) -> BackupCheck:
    """The worker's part: the scheduled backup if due, then the station's last backup."""
    made = problem = None
    schedule = backup_schedule.load(paths)
    if schedule is not None:
        try:
            info = backup_schedule.run_if_due(ctx, schedule)
            made = info.path if info is not None else None
        except BackupError as exc:
            problem = exc.message
    return BackupCheck(made, problem, backup_schedule.last_backup_at(ctx))


class BackupReminder(QObject):
    def __init__(
        self,
        window: QMainWindow,
        session: StationSession,
        paths: StationPaths,
        *,
        first_check_ms: int = FIRST_CHECK_MS,
    ) -> None:
        super().__init__(window)
        self.window, self.first_session, self.paths = window, session, paths
        self.task: ops.Task | None = None
        self.label = QLabel("", window)
        self.label.setObjectName("backupReminder")
        self.label.setStyleSheet(STYLE)
        self.label.setWordWrap(False)
        self.label.hide()
        window.statusBar().addWidget(self.label)
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_EVERY_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()
        QTimer.singleShot(first_check_ms, self, self.check)

    @property
    def session(self) -> StationSession:
        """The window's session now (unlocking the screen opens a new one)."""
        return getattr(self.window, "session", None) or self.first_session

    def check(self) -> ops.Task | None:
        if self.session.closed or (self.task is not None and not self.task.done):
            return None
        ctx, paths = self.session, self.paths
        self.task = ops.run_in_background(
            lambda: check_backups(ctx, paths),
            self._show,
            self._failed,
            context=self.label,
            changes=Changes.NONE,
        )
        return self.task

    def _show(self, result: BackupCheck) -> None:
        now = self.session.clock.now()
        text = result.problem and f"Chưa sao lưu tự động được: {result.problem}"
        text = text or backup_schedule.reminder(result.last, now)
        self.label.setText(text or "")
        self.label.setVisible(bool(text))
        self.label.setToolTip(f"Đã sao lưu tự động: {result.made}" if result.made else "")

    def _failed(self, exc: BaseException) -> None:
        if self.session.closed:  # logged out or locked while the check ran
            return
        self.label.setText("Không kiểm tra được bản sao lưu gần nhất.")
        self.label.show()
