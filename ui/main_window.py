"""The main window: navigation on the left, one page per function, the user and a lock button below.

Pages read their data when they are first shown (``ui.lazy_page``), and again when an operation announces a
change they show (``ui.changes``). Locking hides every page at once, stops them (no new work; a sync is
cancelled), then closes the session on the worker behind the work already queued (``ui.ops.close_session``:
a section being saved is saved, and the core waits for the sync thread's unit of work before it forgets the
keys), and asks the same user's password again; unlocking gives a new session that is handed to every page.
Logging out and quitting end the session the same way before the window says it is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.station import security_policy
from ksk_desktop.station.lifecycle import station_info
from ksk_desktop.station.paths import StationPaths
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.admin.page import AdminPage
from ui.desk.page import TodayPage
from ui.dialog_owner import DialogOwner, alive, close_dialog
from ui.exam.page import ExamsPage
from ui.login.idle import IdleWatcher
from ui.login.login_dialog import LoginDialog
from ui.people.page import PeoplePage
from ui.people.registration_dialog import ScanResultDialog
from ui.reports.page import ReportsPage
from ui.scan import install_scanner
from ui.schedule.page import SchedulePage
from ui.screen_fit import keep_on_screen
from ui.sync.page import SyncPage
from ui.sync.sync_controller import STOP_WAIT_S
from ui.widgets import heading, paragraph

log = logging.getLogger(__name__)

PAGE_TITLES = ("Hôm nay", "Người dân", "Lịch khám", "Khám", "Báo cáo", "Đồng bộ", "Quản trị")

NAV_STYLE = """
QListWidget#navigation { background: #eef2f7; border: none; border-right: 1px solid #d5dbe3; outline: 0; }
QListWidget#navigation::item { padding: 10px 16px; color: #202124; }
QListWidget#navigation::item:selected { background: #1a5fb4; color: white; }
QListWidget#navigation::item:hover:!selected { background: #dde5ef; }
"""


class LockPanel(QWidget):
    """What the window shows while locked: no data, only a way back in."""

    unlock_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockPanel")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = heading("Màn hình đã khóa", 1, self)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note = paragraph("Dữ liệu đã được khóa. Nhập lại mật khẩu để tiếp tục làm việc.", self)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        row = QHBoxLayout()
        self.unlock_button = QPushButton("Mở khóa…", self)
        self.unlock_button.clicked.connect(self.unlock_requested)
        row.addStretch(1)
        row.addWidget(self.unlock_button)
        row.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(self.note)
        layout.addLayout(row)
        layout.addStretch(2)


class MainWindow(QMainWindow):
    locked = Signal()
    unlocked = Signal()
    logged_out = Signal()  # the window closed so that someone can log in
    closed = Signal()  # the window closed for good (quit)

    def __init__(
        self,
        session: StationSession,
        paths: StationPaths,
        parent: QWidget | None = None,
        idle_timeout_ms: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.paths = paths
        self._locked = False
        self._logging_out = False
        self._placed = False  # fitted to the screen when first shown
        self._leaving = False  # closing for good (log out or quit): the session is being ended
        self.closing_task: ops.Task | None = None  # the session being closed on the worker
        self.unlock_dialog: LoginDialog | None = None
        self.station_name = ""
        self.setWindowTitle("KSK Desktop")
        self.resize(1200, 800)

        central = QWidget(self)
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        self.workspace = QWidget(central)
        work_layout = QHBoxLayout(self.workspace)
        work_layout.setContentsMargins(0, 0, 0, 0)
        work_layout.setSpacing(0)
        self.navigation = QListWidget(self.workspace)
        self.navigation.setObjectName("navigation")
        self.navigation.setStyleSheet(NAV_STYLE)
        self.navigation.setFixedWidth(190)
        font = self.navigation.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.navigation.setFont(font)
        self.stack = QStackedWidget(self.workspace)
        self.stack.setObjectName("pageStack")
        self.today_page = TodayPage(None, self.stack)
        self.today_page.open_schedule.connect(lambda: self.show_page("Lịch khám"))
        self.today_page.open_person.connect(lambda pid: self._open_scanned_person(pid))
        self.exams_page = ExamsPage(None, self.stack)
        self.today_page.exam_requested.connect(self._open_exam)
        self.people_page = PeoplePage(None, self.stack)
        self.admin_page = AdminPage(None, self.stack)
        # One line per page, in the navigation's order (PAGE_TITLES).
        built: dict[str, QWidget] = {
            "Hôm nay": self.today_page,
            "Người dân": self.people_page,
            "Quản trị": self.admin_page,
            "Lịch khám": SchedulePage(None, self.stack),
            "Khám": self.exams_page,
            "Báo cáo": ReportsPage(None, self.stack),
            "Đồng bộ": (sync_page := SyncPage(None, self.stack)),
        }
        self.pages: list[QWidget] = []
        for title in PAGE_TITLES:
            page = built[title]
            self.pages.append(page)
            self.stack.addWidget(page)
            self.navigation.addItem(title)
            self.navigation.item(self.navigation.count() - 1).setSizeHint(QSize(0, 42))
        self.navigation.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.navigation.setCurrentRow(0)
        work_layout.addWidget(self.navigation)
        work_layout.addWidget(self.stack, 1)
        self.lock_panel = LockPanel(central)
        self.lock_panel.unlock_requested.connect(self._open_unlock_dialog)
        self.lock_panel.hide()
        central_layout.addWidget(self.workspace, 1)
        central_layout.addWidget(self.lock_panel, 1)
        self.setCentralWidget(central)

        status = self.statusBar()
        self.user_label = QLabel(self)
        self.user_label.setObjectName("userLabel")
        self.user_label.setStyleSheet("padding-left: 8px;")
        self.station_label = QLabel("", self)
        self.station_label.setObjectName("stationLabel")
        self.station_label.setStyleSheet("color: #5f6368; padding-left: 12px;")
        self.lock_button = QPushButton("Khóa", self)
        self.lock_button.setObjectName("lockButton")
        self.lock_button.setToolTip("Khóa màn hình khi rời máy (Ctrl+L)")
        self.lock_button.clicked.connect(self.lock)
        self.logout_button = QPushButton("Đăng xuất", self)
        self.logout_button.setObjectName("logoutButton")
        self.logout_button.clicked.connect(self.log_out)
        status.addWidget(self.user_label)
        status.addWidget(self.station_label)
        self.sync_page = sync_page
        status.addWidget(sync_page.indicator)  # pending, last success, errors; a click opens the page
        sync_page.indicator.clicked.connect(lambda: self.show_page("Đồng bộ"))
        self.camera_button = QPushButton("Quét CCCD bằng camera", self)
        self.camera_button.setObjectName("cameraButton")
        self.camera_button.setToolTip("Máy quét cầm tay: quét ở bất kỳ màn hình nào, không cần bấm nút này")
        self.camera_button.clicked.connect(self.open_camera)
        status.addPermanentWidget(self.camera_button)
        status.addPermanentWidget(self.lock_button)
        status.addPermanentWidget(self.logout_button)
        QShortcut(QKeySequence("Ctrl+L"), self, self.lock)

        # A keyboard-wedge scan anywhere in the app opens the card of the person scanned. Installed before the
        # idle watcher, so that the watcher (the last filter installed sees events first) still counts scans.
        self.dialogs = DialogOwner()  # the window's own: the scan result, the camera
        # It listens only while this window is on screen, and goes away with it.
        self.scanner = install_scanner(QApplication.instance(), self.on_scan)
        self.scanner.set_enabled(False)
        scanner = self.scanner
        self.destroyed.connect(lambda *_: scanner.uninstall())

        follows_policy = idle_timeout_ms is None
        if idle_timeout_ms is None:
            idle_timeout_ms = security_policy.idle_lock_minutes(session) * 60_000
        self.idle_watcher = IdleWatcher(idle_timeout_ms, self)
        self.idle_watcher.idle.connect(self.lock)
        if follows_policy:  # a new idle time saved on the Quản trị page applies at once
            self.admin_page.policy_panel.saved.connect(
                lambda policy: self.idle_watcher.set_timeout_ms(policy.idle_lock_minutes * 60_000)
            )
        self.set_session(session)
        self.idle_watcher.start()

    # -- session ---------------------------------------------------------------------------------------
    def set_session(self, session: StationSession) -> None:
        self.session = session
        user = session.user
        self.user_label.setText(f"{user.full_name} — {user.role_label}")
        self.user_label.setToolTip(f"Tên đăng nhập: {user.username}")
        for page in self.pages:
            page.set_session(session)
        if not self.station_name:
            ops.run_in_background(lambda: station_info(session).name, self._show_station, context=self)

    def _show_station(self, name: str) -> None:
        self.station_name = name
        self.setWindowTitle(f"KSK Desktop — {name}")
        self.station_label.setText(name)

    def current_page_title(self) -> str:
        return PAGE_TITLES[self.stack.currentIndex()]

    def show_page(self, title: str) -> None:
        self.navigation.setCurrentRow(PAGE_TITLES.index(title))

    # -- scanning ---------------------------------------------------------------------------------------
    def on_scan(self, payload: str) -> None:
        """A CCCD (or, at the desk, an appointment barcode) was scanned by the wedge scanner, a serial scanner or
        the webcam: on the "Hôm nay" page of an exam day, check its holder in; elsewhere identify or register them."""
        if self._locked or self.session.closed:
            return  # the keys were swallowed all the same: nothing reaches the unlock dialog's password field
        if self.current_page_title() == "Hôm nay" and self.today_page.accepts_scans():
            self.today_page.handle_scan(payload)  # an exam day: the desk checks the person in
            return
        previous = self.scan_dialog
        if previous is not None and previous.isVisible() and previous.busy:
            return  # saving the previous card: a scan meanwhile is not mixed into it
        dialog = ScanResultDialog(self.session, payload, self, open_person=self._open_scanned_person)
        self.dialogs.open("scan", dialog)  # replaces the previous one, which is then deleted

    @property
    def scan_dialog(self) -> ScanResultDialog | None:
        """The scan result on screen, or None (never a deleted one)."""
        return self.dialogs.get("scan")

    def _open_exam(self, person_id: str, appointment_id: str) -> None:
        self.show_page("Khám")
        self.exams_page.open_exam(person_id, appointment_id)

    def _open_scanned_person(self, person_id: str) -> None:
        self.show_page("Người dân")
        self.people_page.open_person(person_id)

    def open_camera(self) -> None:
        from ui.scan.camera import CameraScanDialog

        if self.dialogs.is_open("camera"):
            self.dialogs.get("camera").raise_()
            return
        dialog = CameraScanDialog(self)
        dialog.scanned.connect(self.on_scan)
        self.dialogs.open("camera", dialog)

    # -- locking ---------------------------------------------------------------------------------------
    @property
    def is_locked(self) -> bool:
        return self._locked

    def lock(self) -> None:
        if self._locked or self._leaving:
            return
        self._locked = True
        self.idle_watcher.stop()
        self._close_child_dialogs()
        self.workspace.hide()  # the data leaves the screen at once; the session closes behind it
        self.lock_panel.show()
        self.lock_button.setEnabled(False)
        self._end_session(lambda: None)
        self.locked.emit()
        self._open_unlock_dialog()

    def _end_session(self, then: Callable[[], None]) -> None:
        """Stop every page (no new work, the sync cancelled), drop the results still on their way, and close the
        session on the worker once the work already queued is done; then ``then()``."""
        session = self.session
        finishing_sync = self.sync_page.controller.stopping_thread()
        for page in self.pages:
            try:
                page.set_session(None)
            except Exception:  # a page that fails to let go must not keep the session (and its keys) open
                log.exception("a page failed to forget its session; the session is closed all the same")
        ops.retire_pending()
        if session.closing:  # already being closed (locked, then logged out): wait for that
            self.closing_task = ops.run_in_background(
                lambda: None, lambda _r: then(), lambda _e: then(), context=self
            )
            return

        def wait_for_sync() -> None:
            if finishing_sync is not None:
                finishing_sync.join(STOP_WAIT_S)

        self.closing_task = ops.close_session(session, then, before=wait_for_sync, context=self)

    @property
    def session_closed(self) -> bool:
        """The session this window worked with has been closed (its keys forgotten)."""
        return self.session.closed and (self.closing_task is None or self.closing_task.done)

    def _close_child_dialogs(self) -> None:
        """Close every dialog before the data leaves: the window's, each page's (through their owners, which
        forget them), then any other still on screen (a message box). One that fails does not stop the rest."""
        self.dialogs.close_all()
        for page in self.pages:
            try:
                page.close_dialogs()
            except Exception:
                log.exception("a page failed to close its dialogs; the others are closed all the same")
        for dialog in self.findChildren(QDialog):
            if alive(dialog) and dialog is not self.unlock_dialog:
                try:
                    close_dialog(dialog)
                except Exception:
                    log.exception("a dialog failed to close; the others are closed all the same")

    def _open_unlock_dialog(self) -> None:
        if not self._locked:
            return
        if self.unlock_dialog is not None and self.unlock_dialog.isVisible():
            self.unlock_dialog.raise_()
            self.unlock_dialog.activateWindow()
            return
        dialog = LoginDialog(
            self.paths, self, username=self.session.user.username, locked_user=True, clock=self.session.clock
        )
        dialog.finished.connect(lambda result: self._unlock_finished(dialog, result))
        self.unlock_dialog = dialog
        dialog.open()

    def _unlock_finished(self, dialog: LoginDialog, result: int) -> None:
        if dialog is self.unlock_dialog:
            self.unlock_dialog = None
        dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted and dialog.session is not None:
            self._locked = False
            self.lock_panel.hide()
            self.workspace.show()
            self.lock_button.setEnabled(True)
            self.set_session(dialog.session)
            self.idle_watcher.start()
            self.unlocked.emit()
        elif result == LoginDialog.LOGGED_OUT:
            self.log_out()

    # -- leaving -----------------------------------------------------------------------------------------
    def log_out(self) -> None:
        """Close the session and the window; whoever shows the window then offers the login again."""
        self._logging_out = True
        self.close()

    def showEvent(self, event: QShowEvent) -> None:
        if not self._placed:  # 1200×800 does not fit a 1366×768 laptop (nor 1280×720 at 125 %)
            self._placed = True
            keep_on_screen(self, center=True)
        self.scanner.set_enabled(True)
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self.scanner.set_enabled(False)
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._leaving:
            super().closeEvent(event)
            return
        self._leaving = True
        self.idle_watcher.stop()
        self.scanner.uninstall()  # otherwise every log-in would add another filter
        self.scanner.setParent(None)
        self._close_child_dialogs()
        if self.unlock_dialog is not None:
            self.unlock_dialog.done(QDialog.DialogCode.Rejected)
            self.unlock_dialog = None
        super().closeEvent(event)  # off the screen now; the session ends behind it
        self._end_session(self._left)

    def _left(self) -> None:
        """The session is closed: whoever shows the window may now log in again, or quit."""
        if self._logging_out:
            self.logged_out.emit()
        else:
            self.closed.emit()
