"""Add or edit an exam site: name, kind (the station, a school, a factory, a village hall, an island…), mobile,
address and capacity (people an hour; 0 leaves it unset, and every day there must then give its own)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox, QWidget

from ksk_desktop.scheduling import sites
from ksk_desktop.station.session import StationSession
from ui.changes import Changes
from ui.task_dialog import FormError, TaskDialog
from ui.widgets import MUTED_STYLE, MessageLabel

NO_CAPACITY_NOTE = (
    "Chưa đặt công suất: mỗi ngày khám tại điểm này sẽ phải ghi số người mỗi ca. "
    "Mặc định của thành phố là 40 người/giờ."
)


class SiteDialog(TaskDialog):
    changes = Changes.SCHEDULE
    """*site* None: a new site; otherwise edit it (its kind cannot change: its days keep their slots)."""

    def __init__(
        self, session: StationSession, site: sites.SiteInfo | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            "Sửa điểm khám" if site else "Thêm điểm khám",
            parent,
            submit_text="Lưu" if site else "Thêm điểm khám",
            busy_text="Đang lưu…",
        )
        self.session = session
        self.site = site
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("siteName")
        self.name_edit.setPlaceholderText("ví dụ: Trường THCS Kiến Thụy")
        self.kind_combo = QComboBox(self)
        for kind, label in sites.KIND_LABELS.items():
            self.kind_combo.addItem(label, kind)
        self.mobile_check = QCheckBox("Điểm khám lưu động (đội khám đến tận nơi)", self)
        self.address_edit = QLineEdit(self)
        self.capacity_spin = QSpinBox(self)
        self.capacity_spin.setObjectName("siteCapacity")
        self.capacity_spin.setRange(0, 1000)
        self.capacity_spin.setSuffix(" người/giờ")
        self.capacity_spin.setSpecialValueText("Chưa đặt")
        self.capacity_spin.setValue(sites.DEFAULT_CAPACITY_PER_HOUR)
        self.active_check = QCheckBox("Đang hoạt động", self)
        self.active_check.setChecked(True)
        self.note_label = MessageLabel(self, MUTED_STYLE)
        self.form.addRow("Tên điểm khám:", self.name_edit)
        self.form.addRow("Loại:", self.kind_combo)
        self.form.addRow("", self.mobile_check)
        self.form.addRow("Địa chỉ:", self.address_edit)
        self.form.addRow("Công suất:", self.capacity_spin)
        self.form.addRow("", self.note_label)
        if site is not None:
            self.name_edit.setText(site.name)
            self.kind_combo.setCurrentIndex(self.kind_combo.findData(site.kind))
            self.mobile_check.setChecked(site.mobile)
            self.address_edit.setText(site.address or "")
            self.capacity_spin.setValue(site.capacity_per_hour or 0)
            self.active_check.setChecked(site.active)
            self.kind_combo.setEnabled(False)
            self.mobile_check.setEnabled(False)
            self.form.addRow("", self.active_check)
        else:
            self.active_check.hide()
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.capacity_spin.valueChanged.connect(self._capacity_changed)
        self._capacity_changed(self.capacity_spin.value())
        self.resize(520, self.sizeHint().height())

    def _kind_changed(self) -> None:
        # every kind but the station itself is a place the team travels to
        self.mobile_check.setChecked(self.kind_combo.currentData() != "station")

    def _capacity_changed(self, value: int) -> None:
        self.note_label.show_message(NO_CAPACITY_NOTE if value == 0 else "")

    def prepare(self) -> Callable[[], dict]:
        name = self.name_edit.text().strip()
        if len(name) < 2:
            self.name_edit.setFocus()
            raise FormError("Hãy nhập tên điểm khám.")
        ctx = self.session
        address = self.address_edit.text().strip()
        capacity = self.capacity_spin.value() or None
        if self.site is None:
            kind, mobile = self.kind_combo.currentData(), self.mobile_check.isChecked()
            return lambda: sites.add_site(
                ctx, name=name, kind=kind, mobile=mobile, capacity_per_hour=capacity, address=address or None
            )
        site_id, active = self.site.id, self.active_check.isChecked()
        return lambda: sites.update_site(
            ctx, site_id, name=name, address=address, capacity_per_hour=capacity, active=active
        )
