"""The "Liên thông dữ liệu khám sức khỏe với Bộ Y tế (QĐ 1551)" panel of the Quản trị page: the facility codes
(MA_CSKCB, MA_GTIN_CSKCB, province) and the data-link account, as ``ksk station moh-settings`` sets them.

The password field is never filled from the store (the core does not hand the password out): left empty it keeps
the saved password; typed, it replaces it together with the account name.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLineEdit, QVBoxLayout, QWidget

from ksk_desktop.moh1551 import settings as moh_settings
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.admin.save_row import add_save_row
from ui.messages import error_text
from ui.widgets import ERROR_STYLE, OK_STYLE, paragraph


def describe(conf: moh_settings.MohSettings) -> str:
    if not conf.complete:
        return "Chưa đủ: cần mã cơ sở (5 ký tự) và mã định danh cơ sở (13 chữ số) để lập tệp gửi Bộ Y tế."
    account = (
        f"tài khoản liên thông {conf.account_user}" + (" (đã lưu mật khẩu)" if conf.has_password else "")
        if conf.account_user
        else "chưa có tài khoản liên thông"
    )
    return f"Đã lưu: mã cơ sở {conf.ma_cskcb}, mã định danh {conf.ma_gtin_cskcb}, mã tỉnh {conf.province_code}; {account}."


class MohSettingsPanel(QWidget):
    #: The settings were read or saved (MohSettings), or reading/saving failed (None).
    loaded = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: StationSession | None = None
        self.task: ops.Task | None = None
        self.conf: moh_settings.MohSettings | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            paragraph(
                "Mã cơ sở và tài khoản do Bộ Y tế cấp để gửi kết quả khám lên Cơ sở dữ liệu sức khỏe và Sổ sức "
                "khỏe điện tử (VNeID). Mật khẩu chỉ lưu trong cơ sở dữ liệu mã hóa của trạm, không bao giờ hiện "
                "lại; để trống ô mật khẩu thì giữ mật khẩu đã lưu.",
                self,
                muted=True,
            )
        )
        form = QFormLayout()
        self.facility_edit = QLineEdit(self)
        self.facility_edit.setObjectName("mohFacilityEdit")
        self.facility_edit.setMaxLength(5)
        self.facility_edit.setPlaceholderText("ví dụ 31006")
        self.gtin_edit = QLineEdit(self)
        self.gtin_edit.setObjectName("mohGtinEdit")
        self.gtin_edit.setMaxLength(13)
        self.gtin_edit.setInputMask("9999999999999;_")
        self.province_edit = QLineEdit(self)
        self.province_edit.setObjectName("mohProvinceEdit")
        self.province_edit.setMaxLength(3)
        self.account_edit = QLineEdit(self)
        self.account_edit.setObjectName("mohAccountEdit")
        self.password_edit = QLineEdit(self)
        self.password_edit.setObjectName("mohPasswordEdit")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Mã cơ sở KCB (MA_CSKCB)", self.facility_edit)
        form.addRow("Mã định danh cơ sở (MA_GTIN_CSKCB, GLN)", self.gtin_edit)
        form.addRow("Mã tỉnh (MATINH_CU_TRU)", self.province_edit)
        form.addRow("Tài khoản liên thông", self.account_edit)
        form.addRow("Mật khẩu tài khoản", self.password_edit)
        layout.addLayout(form)
        self.save_button, self.result_label = add_save_row(
            self, layout, "Lưu thông tin liên thông", self.save, "mohResult"
        )
        self._set_enabled(False)

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def _edits(self) -> tuple[QLineEdit, ...]:
        return (self.facility_edit, self.gtin_edit, self.province_edit, self.account_edit, self.password_edit)

    def _set_enabled(self, enabled: bool) -> None:
        for edit in self._edits():
            edit.setEnabled(enabled)
        self.save_button.setEnabled(enabled)

    def set_session(self, session: StationSession | None) -> None:
        self.session = session
        self.task = None
        self.conf = None
        self.result_label.clear_message()
        for edit in self._edits():
            edit.clear()
        self._set_enabled(False)

    def refresh(self) -> None:
        ctx = self.session
        if ctx is None or self.busy:
            return
        self.task = ops.run_in_background(
            lambda: moh_settings.get(ctx),
            lambda c: self._loaded(ctx, c, saved=False),
            lambda exc: self._failed(ctx, exc),
            context=self,
        )

    def changes(self) -> dict[str, str | None]:
        """What differs from the saved settings (None keeps a value)."""
        conf = self.conf
        out: dict[str, str | None] = {}
        for key, edit in (
            ("ma_cskcb", self.facility_edit),
            ("ma_gtin_cskcb", self.gtin_edit),
            ("province_code", self.province_edit),
            ("account_user", self.account_edit),
        ):
            text = edit.text().strip()
            if text and (conf is None or text != getattr(conf, key)):
                out[key] = text
        password = self.password_edit.text()
        if password:
            out["account_password"] = password
            out.setdefault("account_user", self.account_edit.text().strip())
        return out

    def save(self) -> None:
        ctx = self.session
        if ctx is None or self.busy:
            return
        changes = self.changes()
        if not changes:
            self.result_label.show_message("Không có gì thay đổi.", OK_STYLE)
            return
        self._set_enabled(False)
        self.result_label.show_message(style="", text="Đang lưu…")
        self.task = ops.run_in_background(
            lambda: moh_settings.update(ctx, **changes),
            lambda c: self._loaded(ctx, c, saved=True),
            lambda exc: self._failed(ctx, exc),
            context=self,
        )

    def _loaded(self, ctx: StationSession, conf: moh_settings.MohSettings, *, saved: bool) -> None:
        if ctx is not self.session:
            return
        self.conf = conf
        self.facility_edit.setText(conf.ma_cskcb or "")
        self.gtin_edit.setText(conf.ma_gtin_cskcb or "")
        self.province_edit.setText(conf.province_code)
        self.account_edit.setText(conf.account_user or "")
        self.password_edit.clear()
        self._set_enabled(True)
        if saved:
            self.result_label.show_message(describe(conf), OK_STYLE)
        self.loaded.emit(conf)

    def _failed(self, ctx: StationSession, exc: BaseException) -> None:
        if ctx is not self.session:
            return
        self._set_enabled(self.conf is not None)
        self.result_label.show_message(error_text(exc), ERROR_STYLE)
        self.loaded.emit(None)
