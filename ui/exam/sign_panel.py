"""The bar under the form: save (Ctrl+S), the autosave time or error, sign-off (doctor only), and once signed
who signed when, the amendment and the two prints. Buttons the user may not use are hidden."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ksk_desktop.clock import to_vietnam
from ksk_desktop.dates import hhmm, show_date
from ksk_desktop.exams import records
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui.widgets import OK_STYLE, ErrorLabel, MessageLabel


def signed_text(doc: dict) -> str:
    """``Đã ký: BS. … lúc 09:15 26/11/2026`` (local time), with the version and amendment reason if any."""
    at = to_vietnam(datetime.fromisoformat(doc["signed_at"].replace("Z", "+00:00")))
    text = f"Đã ký: {doc.get('signer_name') or doc.get('signed_by')} lúc {hhmm(at)} {show_date(at)}"
    if doc.get("amends_version"):
        text += f" — phiên bản {doc['version']}, đính chính bản {doc['amends_version']}: {doc.get('amendment_reason')}"
    return text


class SignPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.saved_label = MessageLabel(self, OK_STYLE)
        self.saved_label.setObjectName("savedLabel")
        self.error_label = ErrorLabel(self)
        self.signed_label = QLabel(self)
        self.signed_label.setObjectName("signedLabel")
        self.signed_label.setStyleSheet("color: #1b6e2e; font-weight: bold;")
        self.signed_label.setWordWrap(True)
        self.signed_label.hide()
        row = QHBoxLayout()
        self.save_button = QPushButton("Lưu (Ctrl+S)", self)
        self.sign_button = QPushButton("Ký xác nhận…", self)
        self.sign_button.setObjectName("signButton")
        self.amend_button = QPushButton("Sửa đổi (đính chính)…", self)
        self.amend_button.setObjectName("amendButton")
        self.print_button = QPushButton("In phiếu kết quả", self)
        self.print_button.setObjectName("printSlip")
        self.referral_button = QPushButton("In giấy chuyển tuyến", self)
        self.referral_button.setObjectName("printReferral")
        for b in (
            self.save_button,
            self.sign_button,
            self.amend_button,
            self.print_button,
            self.referral_button,
        ):
            b.setAutoDefault(False)
            row.addWidget(b)
        row.addStretch(1)
        layout.addWidget(self.signed_label)
        layout.addLayout(row)
        layout.addWidget(self.saved_label)
        layout.addWidget(self.error_label)
        self.update_for(None, None)

    def update_for(self, ctx: StationSession | None, state: records.ExamState | None) -> None:
        """Show the buttons that fit the exam's status and the user's rights."""
        doc = state.document if state else {}
        signed = doc.get("status") == "signed"
        can = ctx.can if ctx is not None else (lambda _p: False)
        draft = state is not None and not signed
        self.save_button.setVisible(draft)
        self.sign_button.setVisible(draft and can(Perm.EXAM_SIGN))
        self.amend_button.setVisible(signed and can(Perm.EXAM_SIGN))
        printable = signed and can(Perm.PRINT) and can(Perm.HEALTH_READ)
        self.print_button.setVisible(printable)
        self.referral_button.setVisible(printable and bool(doc.get("referrals")))
        self.signed_label.setVisible(signed)
        self.signed_label.setText(signed_text(doc) if signed else "")
