"""Administrator tools: check the audit trail, write a backup."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.station import audit
from ksk_desktop.station.backup import BackupInfo, create_backup
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.file_dialogs import ask_save_path, documents_folder
from ui.i18n import format_datetime, format_number, format_size
from ui.messages import error_text
from ui.widgets import ERROR_STYLE, OK_STYLE, MessageLabel, paragraph

BACKUP_SUFFIX = ".kskbak"


def describe_report(report: audit.ChainReport) -> str:
    hub = f"\nCẢNH BÁO của máy chủ thành phố: {report.hub_alert}" if report.hub_alert else ""
    if report.ok:
        return (
            f"Nhật ký truy cập nguyên vẹn: {format_number(report.events)} sự kiện, sự kiện mới nhất "
            f"số {report.head_seq} (mã kiểm tra {report.head_hash[:16]}…).{hub}"
        )
    where = f" tại sự kiện số {report.first_bad_seq}" if report.first_bad_seq is not None else ""
    return (
        f"Nhật ký truy cập có dấu hiệu bị can thiệp{where}: {report.problem}. "
        f"Đã kiểm tra {format_number(report.events)} sự kiện. Không sửa hay xóa gì trên máy; "
        f"hãy báo ngay cho quản trị viên và trung tâm y tế.{hub}"
    )


def default_backup_name(local_now: datetime) -> str:
    """Named after the wall-clock time in Vietnam (the session clock's)."""
    return f"ksk-saoluu-{local_now.strftime('%Y%m%d-%H%M')}{BACKUP_SUFFIX}"


def ask_backup_path(parent: QWidget, suggested: Path) -> Path | None:
    return ask_save_path(
        parent, "Lưu bản sao lưu", suggested, f"Bản sao lưu KSK (*{BACKUP_SUFFIX})", BACKUP_SUFFIX
    )


class AuditPanel(QWidget):
    checked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: StationSession | None = None
        self.task: ops.Task | None = None
        self.report: audit.ChainReport | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            paragraph(
                "Mọi thao tác trên dữ liệu được ghi vào nhật ký có chuỗi mã kiểm tra; "
                "kiểm tra để chắc chắn nhật ký không bị sửa, xóa hay chèn.",
                self,
                muted=True,
            )
        )
        row = QHBoxLayout()
        self.check_button = QPushButton("Kiểm tra nhật ký truy cập", self)
        self.check_button.clicked.connect(self.check)
        row.addWidget(self.check_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.result_label = MessageLabel(self)
        self.result_label.setObjectName("auditResult")
        layout.addWidget(self.result_label)

    def set_session(self, session: StationSession | None) -> None:
        self.session = session
        self.report = None
        self.result_label.clear_message()
        self.check_button.setEnabled(session is not None)

    def check(self) -> None:
        ctx = self.session
        if ctx is None or (self.task is not None and not self.task.done):
            return
        self.check_button.setEnabled(False)
        self.result_label.show_message(style="", text="Đang kiểm tra…")
        self.task = ops.run_in_background(
            lambda: audit.verify_and_record(ctx),
            lambda r: self._show(ctx, r),
            lambda exc: self._failed(ctx, exc),
            context=self,
        )

    def _show(self, ctx: StationSession, report: audit.ChainReport) -> None:
        if ctx is not self.session:
            return
        self.check_button.setEnabled(True)
        self.report = report
        good = report.ok and not report.hub_alert
        self.result_label.show_message(describe_report(report), OK_STYLE if good else ERROR_STYLE)
        self.checked.emit()

    def _failed(self, ctx: StationSession, exc: BaseException) -> None:
        if ctx is not self.session:
            return
        self.check_button.setEnabled(True)
        self.result_label.show_message(error_text(exc), ERROR_STYLE)
        self.checked.emit()


class BackupPanel(QWidget):
    finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: StationSession | None = None
        self.task: ops.Task | None = None
        self.info: BackupInfo | None = None
        #: Asks where to save; replaceable (tests, or a fixed USB folder later).
        self.choose_path: Callable[[QWidget, Path], Path | None] = ask_backup_path
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            paragraph(
                "Bản sao lưu được mã hóa và kiểm tra lại sau khi ghi. Nên lưu ra USB hoặc ổ "
                "đĩa khác và cất giữ cẩn thận.",
                self,
                muted=True,
            )
        )
        row = QHBoxLayout()
        self.backup_button = QPushButton("Tạo bản sao lưu…", self)
        self.backup_button.clicked.connect(self.start_backup)
        row.addWidget(self.backup_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.result_label = MessageLabel(self)
        self.result_label.setObjectName("backupResult")
        layout.addWidget(self.result_label)

    def set_session(self, session: StationSession | None) -> None:
        self.session = session
        self.info = None
        self.result_label.clear_message()
        self.backup_button.setEnabled(session is not None)

    def suggested_path(self) -> Path:
        folder = None
        if self.session is not None and self.session.paths.backups.is_dir():
            folder = self.session.paths.backups
        else:
            folder = documents_folder()
        clock = self.session.clock if self.session is not None else SYSTEM_CLOCK
        return folder / default_backup_name(clock.local_now())

    def start_backup(self) -> None:
        ctx = self.session
        if ctx is None or (self.task is not None and not self.task.done):
            return
        dest = self.choose_path(self, self.suggested_path())
        if dest is None or ctx is not self.session:
            return
        if dest.suffix.lower() != BACKUP_SUFFIX:
            dest = dest.with_name(dest.name + BACKUP_SUFFIX)
        self.backup_button.setEnabled(False)
        self.result_label.show_message(style="", text=f"Đang tạo bản sao lưu {dest.name}…")
        self.task = ops.run_in_background(
            lambda: create_backup(ctx, dest),
            lambda info: self._show(ctx, info),
            lambda exc: self._failed(ctx, exc),
            context=self,
        )

    def _show(self, ctx: StationSession, info: BackupInfo) -> None:
        if ctx is not self.session:
            return
        self.info = info
        self.backup_button.setEnabled(True)
        self.result_label.show_message(
            f"Đã tạo và kiểm tra bản sao lưu {info.path} ({format_size(info.size)}, "
            f"{format_number(info.persons)} người dân, lúc {format_datetime(info.created)}).",
            OK_STYLE,
        )
        self.finished.emit()

    def _failed(self, ctx: StationSession, exc: BaseException) -> None:
        if ctx is not self.session:
            return
        self.backup_button.setEnabled(True)
        self.result_label.show_message(error_text(exc), ERROR_STYLE)
        self.finished.emit()
