"""Create a campaign: name, year, target groups a–đ (labels from the catalogue) and the exam form of each group."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QLineEdit, QSpinBox, QWidget

from ksk_desktop.people.persons import TARGET_GROUPS, target_group_labels
from ksk_desktop.scheduling import campaigns
from ksk_desktop.station.session import StationSession
from ui.changes import Changes
from ui.task_dialog import FormError, TaskDialog

#: The exam forms (the exam document's ``form``) and the usual form of each target group.
FORMS = {"adult": "Người lớn", "child": "Trẻ em, học sinh", "elderly": "Người cao tuổi"}
GROUP_FORMS = {"a": "elderly", "b": "child", "c": "adult", "d": "adult", "đ": "adult"}


def form_label(form: str) -> str:
    return FORMS.get(form, form)


class CampaignDialog(TaskDialog):
    changes = Changes.SCHEDULE
    """``result_value`` is the created campaign (dict) once accepted."""

    def __init__(self, session: StationSession, parent: QWidget | None = None) -> None:
        super().__init__("Tạo đợt khám", parent, submit_text="Tạo đợt khám", busy_text="Đang lưu…")
        self.session = session
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("campaignName")
        self.name_edit.setPlaceholderText("ví dụ: Khám sức khỏe định kỳ năm 2026")
        self.year_spin = QSpinBox(self)
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(session.clock.today().year)
        self.form.addRow("Tên đợt khám:", self.name_edit)
        self.form.addRow("Năm:", self.year_spin)
        grid_widget = QWidget(self)
        grid = QGridLayout(grid_widget)
        grid.setContentsMargins(0, 0, 0, 0)
        labels = target_group_labels()
        self.group_checks: dict[str, QCheckBox] = {}
        self.form_combos: dict[str, QComboBox] = {}
        for row, g in enumerate(TARGET_GROUPS):
            check = QCheckBox(f"{g} — {labels.get(g, '')}", grid_widget)
            check.setChecked(True)
            combo = QComboBox(grid_widget)
            for form, label in FORMS.items():
                combo.addItem(label, form)
            combo.setCurrentIndex(combo.findData(GROUP_FORMS[g]))
            combo.setToolTip(f"Mẫu phiếu khám của nhóm {g}")
            check.toggled.connect(combo.setEnabled)
            grid.addWidget(check, row, 0)
            grid.addWidget(combo, row, 1)
            self.group_checks[g] = check
            self.form_combos[g] = combo
        self.form.addRow("Nhóm đối tượng và mẫu phiếu:", grid_widget)
        self.resize(640, self.sizeHint().height())

    def chosen_groups(self) -> list[str]:
        return [g for g, c in self.group_checks.items() if c.isChecked()]

    def prepare(self) -> Callable[[], dict]:
        name = self.name_edit.text().strip()
        if len(name) < 2:
            self.name_edit.setFocus()
            raise FormError("Hãy nhập tên đợt khám.")
        groups = self.chosen_groups()
        if not groups:
            raise FormError("Chọn ít nhất một nhóm đối tượng (a, b, c, d, đ).")
        forms = {g: self.form_combos[g].currentData() for g in groups}
        ctx, year = self.session, self.year_spin.value()
        return lambda: campaigns.create_campaign(ctx, name=name, year=year, groups=groups, exam_forms=forms)
