"""First start on a machine with no station: set up a new station, or create the demo station."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QCommandLinkButton,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.demo.seed import DEMO_SECRET, DEMO_USERS, DemoResult, create_demo
from ksk_desktop.errors import InvalidInput
from ksk_desktop.security.roles import ROLE_LABELS, Role
from ksk_desktop.station.lifecycle import InitResult
from ksk_desktop.station.paths import StationPaths
from ui import ops
from ui.commune_combo import CommuneCombo
from ui.i18n import format_number
from ui.login.recovery_key_dialog import RecoveryKeyDialog
from ui.login.station_setup import SetupOutcome, check_backup_folder, check_hub_fields, create_and_enrol
from ui.messages import error_text
from ui.widgets import ErrorLabel, heading, paragraph, password_edit


def ask_backup_folder(parent: QWidget) -> str:
    return QFileDialog.getExistingDirectory(parent, "Chọn thư mục sao lưu (ví dụ trên ổ USB)")


#: Replaceable (tests): the folder chooser of "Sao lưu tự động".
choose_folder = ask_backup_folder


class FirstRunDialog(QDialog):
    """Accepted once a station exists; ``username`` is then the account to log in with."""

    def __init__(self, paths: StationPaths, parent: QWidget | None = None, demo_people: int = 5000) -> None:
        super().__init__(parent)
        self.paths = paths
        self.demo_people = demo_people
        self.username = ""
        self.init_result: InitResult | None = None
        self.setup_outcome: SetupOutcome | None = None
        self.demo_result: DemoResult | None = None
        self.recovery_dialog: RecoveryKeyDialog | None = None
        self.task: ops.Task | None = None
        self.setWindowTitle("Bắt đầu sử dụng — KSK Desktop")
        self.setMinimumWidth(640)

        self.pages = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.choice_page = self._build_choice_page()
        self.new_station_page = self._build_new_station_page()
        self.working_page = self._build_working_page()
        self.demo_done_page = self._build_demo_done_page()
        for page in (self.choice_page, self.new_station_page, self.working_page, self.demo_done_page):
            self.pages.addWidget(page)

    # -- pages ---------------------------------------------------------------------------------------
    def _build_choice_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.addWidget(heading("Chào mừng đến với KSK Desktop", 1))
        layout.addWidget(
            paragraph(f"Máy này chưa có dữ liệu trạm (thư mục {self.paths.root}). Hãy chọn cách bắt đầu:")
        )
        self.new_station_choice = QCommandLinkButton(
            "Thiết lập trạm mới",
            "Tạo dữ liệu trạm y tế của xã/phường và tài khoản quản trị viên đầu tiên.",
            page,
        )
        self.demo_choice = QCommandLinkButton(
            "Dùng trạm mẫu (dữ liệu tổng hợp)",
            f"Tạo một trạm thử với {format_number(self.demo_people)} người dân tổng hợp (không có thật) "
            "để làm quen và tập huấn.",
            page,
        )
        self.new_station_choice.clicked.connect(lambda: self.pages.setCurrentWidget(self.new_station_page))
        self.demo_choice.clicked.connect(self.start_demo)
        layout.addWidget(self.new_station_choice)
        layout.addWidget(self.demo_choice)
        self.choice_error = ErrorLabel(page)
        layout.addWidget(self.choice_error)
        layout.addStretch(1)
        buttons = QDialogButtonBox(page)
        quit_button = buttons.addButton("Thoát", QDialogButtonBox.ButtonRole.RejectRole)
        quit_button.setAutoDefault(False)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        return page

    def _build_new_station_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.addWidget(heading("Thiết lập trạm mới", 1))
        self.form_widget = QWidget(page)
        form = QFormLayout(self.form_widget)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.station_code_edit = QLineEdit(page)
        self.station_code_edit.setPlaceholderText("ví dụ: TYT-10507")
        self.commune_combo = CommuneCombo(page)
        self.station_name_edit = QLineEdit(page)
        self.station_name_edit.setPlaceholderText("Không bắt buộc (mặc định: Trạm Y tế + tên xã/phường)")
        self.admin_username_edit = QLineEdit(page)
        self.admin_username_edit.setPlaceholderText("chữ thường không dấu, ví dụ: quantri")
        self.admin_full_name_edit = QLineEdit(page)
        self.admin_full_name_edit.setPlaceholderText("ví dụ: Nguyễn Văn An")
        self.password_edit = password_edit("ít nhất 8 ký tự", page)
        self.password2_edit = password_edit(parent=page)
        form.addRow("Mã trạm", self.station_code_edit)
        form.addRow("Xã/phường", self.commune_combo)
        form.addRow("Tên trạm", self.station_name_edit)
        form.addRow(heading("Quản trị viên đầu tiên", 2))
        form.addRow("Tên đăng nhập", self.admin_username_edit)
        form.addRow("Họ và tên", self.admin_full_name_edit)
        form.addRow("Mật khẩu", self.password_edit)
        form.addRow("Nhập lại mật khẩu", self.password2_edit)
        # Optional: the city hub's address and the one-time code its administrator gave (else: later, Đồng bộ).
        self.hub_url_edit = QLineEdit(page)
        self.hub_url_edit.setPlaceholderText("Không bắt buộc, ví dụ: https://dongbo.haiphong.gov.vn")
        self.enroll_code_edit = QLineEdit(page)
        self.enroll_code_edit.setPlaceholderText("Không bắt buộc: mã do quản trị máy chủ thành phố cấp")
        form.addRow(heading("Máy chủ đồng bộ thành phố (có thể đăng ký sau)", 2))
        form.addRow("Địa chỉ máy chủ", self.hub_url_edit)
        form.addRow("Mã đăng ký", self.enroll_code_edit)
        # Optional: encrypted backups to a folder of this computer (a USB drive), and a reminder after a week.
        self.backup_check = QCheckBox("Sao lưu tự động (đã mã hóa) mỗi ngày vào thư mục", page)
        self.backup_folder_edit = QLineEdit(page)
        self.backup_folder_edit.setPlaceholderText("ví dụ: thư mục trên ổ USB, E:\\SaoLuuKSK")
        self.backup_browse_button = QPushButton("Chọn…", page)
        self.backup_browse_button.setAutoDefault(False)
        self.backup_browse_button.clicked.connect(self._browse_backup_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.backup_folder_edit, 1)
        folder_row.addWidget(self.backup_browse_button)
        form.addRow(heading("Sao lưu", 2))
        form.addRow(self.backup_check)
        form.addRow("Thư mục sao lưu", folder_row)
        layout.addWidget(self.form_widget)
        self.form_error = ErrorLabel(page)
        layout.addWidget(self.form_error)
        self.form_progress = QProgressBar(page)
        self.form_progress.setRange(0, 0)
        self.form_progress.setTextVisible(False)
        self.form_progress.hide()
        layout.addWidget(self.form_progress)
        layout.addStretch(1)
        self.form_buttons = QDialogButtonBox(page)
        self.back_button = self.form_buttons.addButton("Quay lại", QDialogButtonBox.ButtonRole.RejectRole)
        self.create_button = self.form_buttons.addButton(
            "Thiết lập trạm", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_button.setDefault(True)
        self.back_button.setAutoDefault(False)
        self.back_button.clicked.connect(lambda: self.pages.setCurrentWidget(self.choice_page))
        self.create_button.clicked.connect(self.create_station)
        layout.addWidget(self.form_buttons)
        return page

    def _build_working_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        self.working_label = paragraph("", page)
        self.working_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.working_label)
        self.progress = QProgressBar(page)
        self.progress.setRange(0, 0)  # busy: the core reports no steps
        self.progress.setTextVisible(False)
        layout.addWidget(self.progress)
        layout.addStretch(1)
        return page

    def _build_demo_done_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.addWidget(heading("Đã tạo trạm mẫu", 1))
        self.demo_summary = paragraph("", page)
        layout.addWidget(self.demo_summary)
        accounts = "\n".join(f"  • {name}  —  {ROLE_LABELS[Role(role)]}" for name, role, _ in DEMO_USERS)
        self.demo_accounts = paragraph(
            f"Các tài khoản mẫu:\n{accounts}\n\nMật khẩu chung của mọi tài khoản mẫu: {DEMO_SECRET}", page
        )
        self.demo_accounts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.demo_accounts)
        layout.addWidget(
            paragraph(
                "Dữ liệu trạm mẫu là tổng hợp, không phải người thật; không dùng trạm mẫu "
                "cho công việc thật.",
                page,
                muted=True,
            )
        )
        layout.addStretch(1)
        buttons = QDialogButtonBox(page)
        self.demo_continue_button = buttons.addButton("Tiếp tục", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        return page

    # -- actions ---------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def create_station(self) -> None:
        if self.busy:
            return
        self.form_error.clear_message()
        if self.password_edit.text() != self.password2_edit.text():
            self.form_error.show_message("Hai lần nhập mật khẩu không khớp.")
            self.password2_edit.clear()
            self.password2_edit.setFocus()
            return
        try:
            hub, code = check_hub_fields(self.hub_url_edit.text(), self.enroll_code_edit.text())
            backup_folder = check_backup_folder(self.backup_check.isChecked(), self.backup_folder_edit.text())
        except InvalidInput as exc:
            self.form_error.show_message(exc.message)
            return
        paths = self.paths
        args = {
            "station_code": self.station_code_edit.text(),
            "commune_code": self.commune_combo.current_code(),
            "admin_username": self.admin_username_edit.text(),
            "admin_password": self.password_edit.text(),
            "admin_full_name": self.admin_full_name_edit.text(),
            "station_name": self.station_name_edit.text(),
        }
        self._set_form_busy(True)
        self.task = ops.run_in_background(
            lambda: create_and_enrol(paths, args, hub, code, backup_folder=backup_folder),
            self._station_created,
            self._station_failed,
            context=self,
        )

    def _browse_backup_folder(self) -> None:
        folder = choose_folder(self)
        if folder:
            self.backup_folder_edit.setText(folder)
            self.backup_check.setChecked(True)

    def _set_form_busy(self, busy: bool) -> None:
        self.form_widget.setEnabled(not busy)
        self.form_buttons.setEnabled(not busy)
        self.form_progress.setVisible(busy)
        self.create_button.setText("Đang thiết lập…" if busy else "Thiết lập trạm")

    def _station_failed(self, exc: BaseException) -> None:
        self._set_form_busy(False)
        self.form_error.show_message(error_text(exc))

    def _station_created(self, outcome: SetupOutcome) -> None:
        self._set_form_busy(False)
        result = self.init_result = outcome.init
        self.setup_outcome = outcome
        self.username = self.admin_username_edit.text().strip().lower()
        self.password_edit.clear()
        self.password2_edit.clear()
        self.form_widget.setEnabled(False)
        self.form_buttons.setEnabled(False)
        name, code = self.station_name_edit.text().strip(), self.station_code_edit.text().strip()
        station = f"{name} ({code})" if name else code
        note = ""
        if outcome.enrolment is not None:
            note = f"Đã đăng ký trạm với máy chủ đồng bộ {outcome.enrolment['hub_url']}."
        elif outcome.enrol_error:
            note = (
                f"Trạm đã được tạo nhưng chưa đăng ký được với máy chủ đồng bộ: {outcome.enrol_error} "
                "Quản trị viên có thể đăng ký sau ở trang Đồng bộ."
            )
        self.recovery_dialog = RecoveryKeyDialog(result.recovery_key, self, station=station, note=note)
        self.recovery_dialog.accepted.connect(self.accept)
        self.recovery_dialog.open()

    def start_demo(self) -> None:
        if self.busy:
            return
        self.choice_error.clear_message()
        self.working_label.setText(
            f"Đang tạo trạm mẫu với {format_number(self.demo_people)} người dân tổng hợp…\n"
            "Việc này mất vài giây."
        )
        self.pages.setCurrentWidget(self.working_page)
        paths, n = self.paths, self.demo_people
        self.task = ops.run_in_background(
            lambda: create_demo(paths, n=n), self._demo_created, self._demo_failed, context=self
        )

    def _demo_created(self, result: DemoResult) -> None:
        self.demo_result = result
        self.username = "admin"
        self.demo_summary.setText(f"Trạm mẫu có {format_number(result.total_people)} người dân tổng hợp.")
        self.pages.setCurrentWidget(self.demo_done_page)
        self.demo_continue_button.setFocus()

    def _demo_failed(self, exc: BaseException) -> None:
        self.pages.setCurrentWidget(self.choice_page)
        self.choice_error.show_message(error_text(exc))

    def reject(self) -> None:
        if self.demo_result is not None:
            self.accept()  # the demo station exists: the next step is logging in
        elif self.busy or self.init_result is not None:
            return  # never leave half-way, nor before the recovery key was confirmed
        else:
            super().reject()
