"""The order of windows: first run (or demo creation) → login → main window → (log out) → login …

Every step is opened with ``open()``/``show()`` and continues from a signal, so there is one event loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog

from ksk_desktop.station.paths import StationPaths
from ksk_desktop.station.session import StationSession
from ui.login.first_run import FirstRunDialog
from ui.login.login_dialog import LoginDialog

if TYPE_CHECKING:
    from ui.backup_reminder import BackupReminder
    from ui.main_window import MainWindow


class AppFlow(QObject):
    finished = Signal()  # nothing left open: the application should quit
    login_shown = Signal(object)  # the LoginDialog, once shown

    def __init__(
        self,
        paths: StationPaths,
        *,
        demo: bool = False,
        username: str = "",
        idle_timeout_ms: int | None = None,
        demo_people: int = 5000,
    ) -> None:
        super().__init__()
        self.paths = paths
        self.demo = demo
        self.username = username or ("admin" if demo else "")
        self.idle_timeout_ms = idle_timeout_ms
        self.demo_people = demo_people
        self.first_run: FirstRunDialog | None = None
        self.login_dialog: LoginDialog | None = None
        self.window: MainWindow | None = None
        self.backup_reminder: BackupReminder | None = None

    def start(self) -> None:
        if self.paths.exists():
            self.show_login(self.username)
        else:
            self.show_first_run()

    def show_first_run(self) -> None:
        dialog = FirstRunDialog(self.paths, demo_people=self.demo_people)
        self.first_run = dialog
        dialog.finished.connect(lambda result: self._first_run_done(dialog, result))
        dialog.show()
        if self.demo:
            dialog.start_demo()

    def _first_run_done(self, dialog: FirstRunDialog, result: int) -> None:
        self.first_run = None
        dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted:
            self.show_login(dialog.username)
        else:
            self.finished.emit()

    def show_login(self, username: str = "") -> None:
        dialog = LoginDialog(self.paths, username=username)
        self.login_dialog = dialog
        dialog.finished.connect(lambda result: self._login_done(dialog, result))
        dialog.show()
        self.login_shown.emit(dialog)

    def _login_done(self, dialog: LoginDialog, result: int) -> None:
        self.login_dialog = None
        dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted and dialog.session is not None:
            self.show_main(dialog.session)
        else:
            self.finished.emit()

    def show_main(self, session: StationSession) -> None:
        # Imported here, not at the top: every page comes with it, and the login dialog shows ~1 s sooner
        # without them (bench/bench_bundle_start.py); the import runs while the login is checked.
        from ui.backup_reminder import BackupReminder
        from ui.main_window import MainWindow

        window = MainWindow(session, self.paths, idle_timeout_ms=self.idle_timeout_ms)
        self.window = window
        self.backup_reminder = BackupReminder(window, session, self.paths)
        window.logged_out.connect(lambda: self._main_done(window, again=True))
        window.closed.connect(lambda: self._main_done(window, again=False))
        window.show()

    def _main_done(self, window: MainWindow, again: bool) -> None:
        self.window = None
        window.deleteLater()
        if again:
            self.show_login()
        else:
            self.finished.emit()
