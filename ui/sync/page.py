"""The "Đồng bộ" page: enrolment, "Đồng bộ ngay" with live progress and Cancel, automatic sync, the station's
devices, the transfer file for a mobile team with no network (export for the team's device, import its results),
counts per kind and state, the conflicts between devices to look at, and the items the hub rejected with its
reason, to send again or dismiss.

The page owns the sync controller and the status-bar indicator (the window puts the indicator in its status
bar). Every database read runs in the background; the network only ever in the controller's worker thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.moh1551 import status as moh_status
from ksk_desktop.outbox import sync_review, sync_state
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.i18n import format_datetime, format_number
from ui.lazy_page import LazyPage
from ui.messages import error_text
from ui.screen_fit import scrolled_layout
from ui.sync.conflicts_panel import ConflictsPanel
from ui.sync.enroll_dialog import EnrollDialog
from ui.sync.run_progress import RunProgress
from ui.sync.status_indicator import SyncStatusIndicator, full_when_text, when_text
from ui.sync.sync_controller import SyncController
from ui.sync.transfer_dialog import EXPORT, IMPORT, TransferDialog, export_text, import_text
from ui.widgets import ERROR_STYLE, MUTED_STYLE, OK_STYLE, MessageLabel, heading, paragraph

PARKED_COLUMNS = ("Loại", "Thời điểm", "Hồ sơ", "Lý do máy chủ từ chối")
COUNT_COLUMNS = ("Loại", "Chờ gửi", "Đã gửi", "Bị từ chối", "Đã bỏ qua")
DEVICE_COLUMNS = ("Máy của trạm", "Liên lạc gần nhất với máy chủ", "Trạng thái")
MOH_COLUMNS = ("Phiếu (MA_LK)", "Tình trạng", "Hạn gửi (24 giờ)", "Bộ Y tế trả lời")


def progress_text(p: dict) -> str:
    text = (
        f"Đã gửi: {format_number(p.get('accepted', 0))} mới · {format_number(p.get('duplicate', 0))} trùng "
        f"(đã có ở máy chủ) · {format_number(p.get('rejected', 0))} bị từ chối · "
        f"nhận về {format_number(p.get('pulled', 0))} thay đổi"
    )
    if p.get("received") or p.get("receive_remaining"):
        text += f" · {format_number(p.get('received', 0))} mục của các máy khác trong trạm"
        if p.get("receive_remaining"):
            text += f" (còn {format_number(p['receive_remaining'])})"
    if p.get("phase") == "waiting" and p.get("error"):
        text += f"\nĐang chờ thử lại: {p['error']}"
    return text


def load(ctx: StationSession) -> tuple[dict, list[dict], dict | None]:
    """Runs on the worker thread: counts per kind and state, the parked items (names read with audit), and the
    QĐ 1551 envelopes' state at the Ministry (None for a user who may not see it)."""
    moh = moh_status.station_status(ctx) if ctx.can(Perm.EXAM_SIGN) or ctx.can(Perm.SYNC_MANAGE) else None
    return sync_review.counts_by_kind(ctx), sync_review.review_parked(ctx), moh


#: Exams not sent because of the station, not of the exam: one line says how many and what to set up, rather than
#: a row per exam on every day until the certificates are imported.
STATION_WIDE = {
    "no_settings": "trạm chưa đặt mã cơ sở (Quản trị → QĐ 1551)",
    "no_certificate": "thiếu chứng thư số của trạm hoặc của bác sĩ ký",
}


def moh_rows(moh: dict) -> list[list[str]]:
    """What the Ministry table shows: what to fix first, then what is overdue, then what is still on its way."""
    shown = [
        i
        for i in moh["items"]
        if i["state"] not in STATION_WIDE
        and (i["to_fix"] or i["overdue"] or i["state"] not in moh_status.DONE)
    ]
    shown.sort(key=lambda i: (not i["to_fix"], not i["overdue"], i["deadline"] or ""))
    return [
        [
            f"{i['exam_id'][:8]}… ({i['ma_lk'] or '-'})",
            i["label"] + (" — QUÁ HẠN" if i["overdue"] else ""),
            format_datetime(i["deadline"].rstrip("Z")) if i["deadline"] else "",
            " — ".join(x for x in (i["res_code"], i["message"]) if x),
        ]
        for i in shown
    ]


class SyncPage(LazyPage):
    cares = Changes.OUTBOX | Changes.SYNC

    def __init__(
        self,
        session: StationSession | None = None,
        parent: QWidget | None = None,
        controller: SyncController | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller or SyncController(self)
        self.indicator = SyncStatusIndicator(self.controller)
        self.load_task: ops.Task | None = None
        self.action_task: ops.Task | None = None
        self.parked_rows: list[dict] = []
        self.counts: dict = {}
        self._reload_again = False

        layout = scrolled_layout(self)  # taller than a small laptop's screen: it scrolls
        layout.setContentsMargins(24, 20, 24, 20)
        layout.addWidget(heading("Đồng bộ", 1, self))
        layout.addWidget(
            paragraph(
                "Dữ liệu của trạm được gửi lên máy chủ của thành phố khi có mạng; mỗi mục chỉ "
                "được ghi nhận một lần. Mục bị máy chủ từ chối được giữ lại bên dưới kèm lý do "
                "để người có trách nhiệm xử lý; nó không chặn các mục khác.",
                self,
                muted=True,
            )
        )

        enrol_box = QGroupBox("Máy chủ", self)
        enrol_form = QFormLayout(enrol_box)
        self.hub_label = QLabel("—", enrol_box)
        self.device_label = QLabel("—", enrol_box)
        self.last_label = QLabel("—", enrol_box)
        for label in (self.hub_label, self.device_label, self.last_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.enroll_button = QPushButton("Đăng ký với máy chủ…", enrol_box)
        self.enroll_button.clicked.connect(self.open_enroll_dialog)
        enrol_form.addRow("Địa chỉ", self.hub_label)
        enrol_form.addRow("Mã thiết bị", self.device_label)
        enrol_form.addRow("Lần thành công gần nhất", self.last_label)
        enrol_form.addRow("", self.enroll_button)
        layout.addWidget(enrol_box)

        run_box = QGroupBox("Gửi và nhận", self)
        run_layout = QVBoxLayout(run_box)
        row = QHBoxLayout()
        self.run_button = QPushButton("Đồng bộ ngay", run_box)
        self.run_button.clicked.connect(self.run_now)
        self.cancel_button = QPushButton("Hủy", run_box)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.controller.cancel)
        self.auto_check = QCheckBox("Tự động đồng bộ mỗi", run_box)
        self.auto_minutes = QSpinBox(run_box)
        self.auto_minutes.setRange(5, 240)
        self.auto_minutes.setValue(15)
        self.auto_minutes.setSuffix(" phút")
        self.auto_check.toggled.connect(self._auto_changed)
        self.auto_minutes.valueChanged.connect(self._auto_changed)
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        row.addSpacing(24)
        row.addWidget(self.auto_check)
        row.addWidget(self.auto_minutes)
        row.addStretch(1)
        run_layout.addLayout(row)
        self.summary_label = QLabel("", run_box)
        self.summary_label.setObjectName("syncSummary")
        self.progress_label = MessageLabel(run_box, MUTED_STYLE)
        self.progress_label.setObjectName("syncProgress")
        self.result_label = MessageLabel(run_box)
        self.result_label.setObjectName("syncResult")
        self.run_progress = RunProgress(run_box)  # total, bar and time left during a run
        run_layout.addWidget(self.summary_label)
        run_layout.addWidget(self.run_progress)
        run_layout.addWidget(self.progress_label)
        run_layout.addWidget(self.result_label)
        layout.addWidget(run_box)

        layout.addWidget(heading("Các máy của trạm", 2, self))
        self.devices_table = self._table(DEVICE_COLUMNS, "syncDevices")
        self.devices_table.setMaximumHeight(120)
        layout.addWidget(self.devices_table)
        layout.addWidget(self._transfer_box())

        layout.addWidget(heading("Theo loại dữ liệu", 2, self))
        self.counts_table = self._table(COUNT_COLUMNS, "syncCounts")
        self.counts_table.setMaximumHeight(170)
        layout.addWidget(self.counts_table)
        self.conflicts_panel = ConflictsPanel(lambda: self.session, self)
        layout.addWidget(self.conflicts_panel)

        moh_row = QHBoxLayout()  # a heading and its one-line state side by side: the page fits 1366×768 whole
        moh_row.addWidget(heading("Gửi Bộ Y tế (QĐ 1551):", 2, self))
        self.moh_label = MessageLabel(self, MUTED_STYLE)
        self.moh_label.setObjectName("mohSummary")
        moh_row.addWidget(self.moh_label, 1)
        layout.addLayout(moh_row)
        self.moh_table = self._table(MOH_COLUMNS, "mohTable")
        self.moh_table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.moh_table.setMaximumHeight(200)
        self.moh_table.hide()  # shown while it lists something: the page fits 1366×768 whole on a quiet day
        layout.addWidget(self.moh_table)

        layout.addWidget(heading("Mục bị máy chủ từ chối", 2, self))
        self.parked_table = self._table(PARKED_COLUMNS, "parkedTable")
        self.parked_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.parked_table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.parked_table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.parked_table, 1)
        actions = QHBoxLayout()
        self.retry_button = QPushButton("Gửi lại", self)
        self.retry_button.setToolTip("Đưa mục trở lại hàng chờ sau khi đã sửa nguyên nhân")
        self.retry_button.clicked.connect(self.retry_selected)
        self.dismiss_button = QPushButton("Bỏ qua…", self)
        self.dismiss_button.setToolTip("Không gửi mục này nữa (cần ghi lý do; được ghi vào nhật ký)")
        self.dismiss_button.clicked.connect(self.dismiss_selected)
        self.reload_button = QPushButton("Làm mới", self)
        self.reload_button.clicked.connect(lambda: self.load_now())
        actions.addWidget(self.retry_button)
        actions.addWidget(self.dismiss_button)
        actions.addStretch(1)
        actions.addWidget(self.reload_button)
        layout.addLayout(actions)
        self.action_label = MessageLabel(self)
        layout.addWidget(self.action_label)

        self.controller.status_changed.connect(self._show_status)
        self.controller.progress.connect(self._show_progress)
        self.controller.running_changed.connect(self._running_changed)
        self.controller.run_finished.connect(self._run_finished)
        self.set_session(session)

    def _transfer_box(self) -> QWidget:
        """Under the devices: a mobile team with no network takes a transfer file (only who manages sync)."""
        box = QWidget(self)
        box.setObjectName("transferBox")
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.export_button = QPushButton("Chuẩn bị đi khám lưu động…", box)
        self.export_button.setToolTip("Ghi tệp .ksktx cho máy của đoàn khám (mã hóa cho trạm)")
        self.export_button.clicked.connect(lambda: self.open_transfer(EXPORT))
        self.import_button = QPushButton("Nhận kết quả từ máy đoàn khám…", box)
        self.import_button.setToolTip("Nhận tệp .ksktx do máy của đoàn khám ghi khi về")
        self.import_button.clicked.connect(lambda: self.open_transfer(IMPORT))
        row.addWidget(QLabel("Đoàn khám không có mạng:", box))
        row.addWidget(self.export_button)
        row.addWidget(self.import_button)
        row.addStretch(1)
        box_layout.addLayout(row)
        self.transfer_box = box
        self.transfer_label = MessageLabel(box)
        self.transfer_label.setObjectName("transferResult")
        box_layout.addWidget(self.transfer_label)
        return box

    def open_transfer(self, mode: str) -> None:
        if self.session is None:
            return
        status = self.controller.last_status
        devices = [
            d["device_id"]
            for d in (status.devices if status is not None else ())
            if not d["this_device"] and not d["revoked"]
        ]
        dialog = TransferDialog(self.session, mode, devices, self)
        self.transfer_label.clear_message()
        self.dialogs.open("transfer", dialog, self._transfer_finished)

    @property
    def transfer_dialog(self) -> TransferDialog | None:
        return self.dialogs.get("transfer")

    def _transfer_finished(self, dialog: TransferDialog, result: int) -> None:
        data = dialog.result_data
        if result != QDialog.DialogCode.Accepted or data is None:
            return
        if dialog.mode == EXPORT:
            self.transfer_label.show_message(export_text(data, dialog.device_combo.currentData()), OK_STYLE)
        else:
            self.transfer_label.show_message(import_text(data), OK_STYLE)
            self.conflicts_panel.reload()

    def _table(self, columns: tuple[str, ...], name: str) -> QTableWidget:
        table = QTableWidget(0, len(columns), self)
        table.setObjectName(name)
        table.setHorizontalHeaderLabels(list(columns))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return table

    # -- session ------------------------------------------------------------------------------------------
    def session_changed(self, session: StationSession | None) -> None:
        if session is None:
            self.parked_rows, self.counts = [], {}
            self.parked_table.setRowCount(0)
            self.counts_table.setRowCount(0)
            self.conflicts_panel.clear()
            self.transfer_label.clear_message()
            self.progress_label.clear_message()
            self.result_label.clear_message()
            self.action_label.clear_message()
        # The status bar's indicator is always on screen: the controller reads the status at once.
        self.controller.set_session(session)
        if session is None:
            self.indicator.show_status(None)
        self._update_buttons()

    # -- status ---------------------------------------------------------------------------------------------
    def _show_status(self, status: sync_state.SyncStatus) -> None:
        enrolled = status.enrolled
        self.hub_label.setText(status.hub_url or "Chưa đăng ký")
        self.device_label.setText(status.device_id or "—")
        self.last_label.setText(full_when_text(status.last_success_at) or "Chưa có")
        self.enroll_button.setText("Đăng ký lại…" if enrolled else "Đăng ký với máy chủ…")
        summary = (
            f"Chờ gửi: {format_number(status.pending)} · "
            f"Bị từ chối: {format_number(status.parked)} · "
            f"Đã gửi: {format_number(status.sent)}"
        )
        if status.received_waiting or status.conflicts:
            summary += (
                f"\nMục của máy khác chờ dữ liệu liên quan: {format_number(status.received_waiting)} · "
                f"Thay đổi song song cần xem: {format_number(status.conflicts)}"
            )
        if status.last_error:
            summary += f"\nLỗi gần nhất: {status.last_error}"
        self.summary_label.setText(summary)
        self.devices_table.setRowCount(0)
        clock = self.session.clock if self.session is not None else SYSTEM_CLOCK
        for d in status.devices:
            self._append(
                self.devices_table,
                [
                    d["device_id"] + (" (máy này)" if d["this_device"] else ""),
                    when_text(d["last_seen_at"], clock.today()) or "Chưa có",
                    "Đã thu hồi" if d["revoked"] else "Đang dùng",
                ],
            )
        self.summary_label.setStyleSheet(ERROR_STYLE if status.last_error else "")
        self._update_buttons()

    def _update_buttons(self) -> None:
        ctx = self.session
        status = self.controller.last_status
        running = self.controller.running
        enrolled = status is not None and status.enrolled
        self.enroll_button.setEnabled(ctx is not None and ctx.can(Perm.SYNC_MANAGE) and not running)
        self.run_button.setEnabled(ctx is not None and enrolled and not running)
        self.cancel_button.setEnabled(running)
        self.auto_check.setEnabled(ctx is not None and enrolled)
        self.transfer_box.setVisible(ctx is not None and ctx.can(Perm.SYNC_MANAGE))
        self.export_button.setEnabled(ctx is not None and not running)
        self.import_button.setEnabled(ctx is not None and not running)
        self.conflicts_panel.update_buttons()
        selected = self.selected_item() is not None
        busy = self.action_task is not None and not self.action_task.done
        self.retry_button.setEnabled(ctx is not None and selected and not busy and ctx.can(Perm.PERSON_WRITE))
        self.dismiss_button.setEnabled(
            ctx is not None and selected and not busy and ctx.can(Perm.SYNC_MANAGE)
        )

    # -- runs -----------------------------------------------------------------------------------------------
    def run_now(self) -> None:
        self.result_label.clear_message()
        self.progress_label.show_message("Đang kết nối máy chủ…")
        why = self.controller.run_now()
        if why:
            self.progress_label.clear_message()
            self.result_label.show_message(why, ERROR_STYLE)
        self._update_buttons()

    def _running_changed(self, running: bool) -> None:
        self.cancel_button.setText("Hủy")
        self._update_buttons()

    def _show_progress(self, progress: dict) -> None:
        self.run_progress.show_progress(progress)
        self.progress_label.show_message(progress_text(progress))

    def _run_finished(self, report: dict) -> None:
        self.run_progress.finish()
        if report.get("cancelled"):
            text, style = (
                "Đã hủy đồng bộ. Các mục chưa gửi vẫn nằm trong hàng chờ và sẽ được gửi lần sau.",
                MUTED_STYLE,
            )
        elif report.get("complete"):
            text, style = "Đồng bộ xong.", OK_STYLE
        else:
            text = f"Chưa đồng bộ hết: {report.get('error') or 'máy chủ không trả lời'}. Sẽ thử lại sau."
            style = ERROR_STYLE
        if report.get("rejected"):
            text += f" {format_number(report['rejected'])} mục bị từ chối: xem danh sách bên dưới."
        self.result_label.show_message(text, style)
        if "accepted" in report:
            self.progress_label.show_message(progress_text(report))
        self.conflicts_panel.reload()
        self._update_buttons()

    def _auto_changed(self, *_args: object) -> None:
        self.controller.set_auto_interval(self.auto_minutes.value() if self.auto_check.isChecked() else None)

    # -- enrolment -------------------------------------------------------------------------------------------
    def open_enroll_dialog(self) -> None:
        if self.session is None:
            return
        status = self.controller.last_status
        dialog = EnrollDialog(self.session, self, hub_url=(status.hub_url if status else None) or "")
        self.dialogs.open("enroll", dialog, self._enroll_finished)

    @property
    def enroll_dialog(self) -> EnrollDialog | None:
        return self.dialogs.get("enroll")

    @property
    def dismiss_dialog(self) -> QInputDialog | None:
        return self.dialogs.get("dismiss")

    def _enroll_finished(self, dialog: EnrollDialog, result: int) -> None:
        if result == QDialog.DialogCode.Accepted and dialog.result_data:
            data = dialog.result_data
            self.result_label.show_message(
                f"Đã đăng ký với máy chủ {data['hub_url']} (mã thiết bị {data['device_id']}).", OK_STYLE
            )

    # -- counts and parked items -------------------------------------------------------------------------
    def reload(self, changes: Changes = Changes.SYNC) -> None:
        ctx = self.session
        if ctx is None or ctx.closing:
            return
        if self.load_task is not None and not self.load_task.done:
            self._reload_again = True  # the answer on its way may predate the change
            return
        self._reload_again = False
        self.load_task = ops.run_in_background(
            lambda: load(ctx), self._loaded, self._load_failed, context=self
        )
        self.conflicts_panel.reload()

    def _loaded(self, result: tuple[dict, list[dict]]) -> None:
        if self.session is None:
            return
        if self._reload_again:
            self.reload()
        self.counts, self.parked_rows, moh = result
        self._show_moh(moh)
        self.counts_table.setRowCount(0)
        for kind in sorted(self.counts, key=sync_review.kind_label):
            n = self.counts[kind]
            values = [
                sync_review.kind_label(kind),
                n["pending"] + n["in_flight"],
                n["sent"],
                n["parked"],
                n[sync_review.DISMISSED],
            ]
            self._append(self.counts_table, [v if isinstance(v, str) else format_number(v) for v in values])
        self.parked_table.setRowCount(0)
        for r in self.parked_rows:
            self._append(
                self.parked_table,
                [r["kind_label"], r["when"] or "", r["entity_label"], r["reason_text"]],
                r["item_id"],
            )
        self._update_buttons()

    def _show_moh(self, moh: dict | None) -> None:
        self.moh_table.setRowCount(0)
        self.moh_table.hide()
        if moh is None:
            self.moh_label.show_message("Chỉ bác sĩ và người quản lý đồng bộ xem được mục này.", MUTED_STYLE)
            return
        for values in moh_rows(moh):
            self._append(self.moh_table, values)
        self.moh_table.setVisible(self.moh_table.rowCount() > 0)
        wide = [(moh["counts"].get(k, 0), why) for k, why in STATION_WIDE.items() if moh["counts"].get(k, 0)]
        items = [i for i in moh["items"] if i["state"] not in STATION_WIDE]
        to_fix = sum(1 for i in items if i["to_fix"])
        overdue = sum(1 for i in items if i["overdue"])
        if not items:
            text, style = ("" if wide else "Chưa có hồ sơ nào gửi Bộ Y tế."), MUTED_STYLE
        elif to_fix or overdue:
            text = f"Cần xử lý: {format_number(to_fix)} hồ sơ · quá hạn 24 giờ: {format_number(overdue)}"
            style = ERROR_STYLE
        else:
            done = sum(moh["counts"][k] for k in moh_status.DONE)
            text, style = (
                f"Bộ Y tế đã nhận {format_number(done)}/{format_number(len(items))} hồ sơ.",
                OK_STYLE,
            )
        for n, why in wide:
            text += ("; " if text else "") + f"{format_number(n)} phiếu chưa gửi được: {why}"
        self.moh_label.show_message(text, style if items else MUTED_STYLE)

    def _load_failed(self, exc: BaseException) -> None:
        if self.session is not None:
            self.action_label.show_message(error_text(exc), ERROR_STYLE)

    @staticmethod
    def _append(table: QTableWidget, values: list[str], key: str | None = None) -> None:
        row = table.rowCount()
        table.insertRow(row)
        for col, value in enumerate(values):
            item = QTableWidgetItem(value)
            if key is not None:
                item.setData(Qt.ItemDataRole.UserRole, key)
            item.setToolTip(value)
            table.setItem(row, col, item)

    def selected_item(self) -> str | None:
        rows = self.parked_table.selectionModel().selectedRows() if self.parked_table.selectionModel() else []
        if not rows:
            return None
        item = self.parked_table.item(rows[0].row(), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def retry_selected(self) -> None:
        item_id = self.selected_item()
        if item_id is not None:
            self._act(lambda ctx: sync_state.retry(ctx, item_id), "Đã đưa mục trở lại hàng chờ gửi.")

    def dismiss_selected(self) -> None:
        item_id = self.selected_item()
        if item_id is None:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Bỏ qua mục bị từ chối")
        dialog.setLabelText("Mục này sẽ không được gửi lên máy chủ nữa. Lý do:")
        dialog.setOkButtonText("Bỏ qua mục này")
        dialog.setCancelButtonText("Thôi")
        dialog.textValueSelected.connect(
            lambda reason: self._act(
                lambda ctx: sync_review.dismiss(ctx, item_id, reason),
                "Đã bỏ qua mục; lý do đã được ghi vào nhật ký.",
            )
        )
        self.dialogs.open("dismiss", dialog)

    def _act(self, fn, done_text: str) -> None:  # noqa: ANN001 - fn(ctx) runs on the worker thread
        ctx = self.session
        if ctx is None or (self.action_task is not None and not self.action_task.done):
            return
        self.action_label.clear_message()

        def ok(_result: object) -> None:
            self.action_label.show_message(done_text, OK_STYLE)
            self._update_buttons()

        def failed(exc: BaseException) -> None:
            self.action_label.show_message(error_text(exc), ERROR_STYLE)
            self._update_buttons()

        self.action_task = ops.run_in_background(
            lambda: fn(ctx), ok, failed, context=self, changes=Changes.OUTBOX | Changes.SYNC
        )
        self._update_buttons()
