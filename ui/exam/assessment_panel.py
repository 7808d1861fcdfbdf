"""The right-hand panel: the live assessment of the saved draft (BMI and category, blood-pressure grade, the class
of each QĐ 1613 index, the suggested and final class, flags), the implausible values with a "Xác nhận" box each,
the required fields still missing (activate one to go to it), and what else blocks signing."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.exams import records
from ui.exam.display import ROMAN, number
from ui.widgets import heading, paragraph

KEY_ROLE = Qt.ItemDataRole.UserRole


class AssessmentPanel(QScrollArea):
    confirm_requested = Signal(str)  # a field whose implausible value the user confirms
    field_requested = Signal(str)  # a missing field to go to

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("assessmentPanel")
        self.setWidgetResizable(True)
        inner = QWidget(self)
        self.box = QVBoxLayout(inner)
        self.box.addWidget(heading("Đánh giá", 2, inner))
        self.summary = paragraph("", inner)
        self.summary.setObjectName("assessmentSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.box.addWidget(self.summary)
        self.indices = QListWidget(inner)
        self.indices.setObjectName("qdIndices")
        self.indices.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.indices.setMaximumHeight(200)
        self.box.addWidget(self.indices)
        self.warn_title = heading("Giá trị bất thường cần xác nhận", 2, inner)
        self.box.addWidget(self.warn_title)
        self.warn_box = QVBoxLayout()
        self.box.addLayout(self.warn_box)
        self.confirm_boxes: dict[str, QCheckBox] = {}
        self.missing_title = heading("Còn thiếu (bắt buộc để ký)", 2, inner)
        self.box.addWidget(self.missing_title)
        self.missing = QListWidget(inner)
        self.missing.setObjectName("missingFields")
        self.missing.setMaximumHeight(180)
        self.missing.itemActivated.connect(lambda item: self.field_requested.emit(item.data(KEY_ROLE)))
        self.missing.itemClicked.connect(lambda item: self.field_requested.emit(item.data(KEY_ROLE)))
        self.box.addWidget(self.missing)
        self.errors = paragraph("", inner)
        self.errors.setObjectName("blockingErrors")
        self.errors.setStyleSheet("color: #b3261e;")
        self.box.addWidget(self.errors)
        self.box.addStretch(1)
        self.setWidget(inner)
        self.show_state(None)

    def show_state(self, state: records.ExamState | None, read_only: bool = False) -> None:
        """Show *state* (``records`` state); ``None`` empties the panel. *read_only*: nothing to confirm."""
        doc = state.document if state else {}
        self.summary.setText(self._summary(doc, state))
        self.indices.clear()
        qd = (doc.get("assessment") or {}).get("qd1613") or {}
        for ix in qd.get("indices") or []:
            cls = f"Loại {ix['roman']}" if ix.get("roman") else "chưa có"
            QListWidgetItem(f"{ix['label']}: {cls}", self.indices)
        self.indices.setVisible(self.indices.count() > 0)
        self._show_unconfirmed(state.unconfirmed if state else [], read_only)
        self.missing.clear()
        for m in state.missing_required if state else []:
            item = QListWidgetItem(f"{m.get('section_title', m['section'])}: {m['label']}", self.missing)
            item.setData(KEY_ROLE, m["key"])
        self.missing_title.setVisible(self.missing.count() > 0)
        self.missing.setVisible(self.missing.count() > 0)
        errors = state.errors if state else []
        self.errors.setText("\n".join(f"• {e}" for e in errors))
        self.errors.setVisible(bool(errors))

    def _summary(self, doc: dict, state: records.ExamState | None) -> str:
        if state is None:
            return "Chưa mở phiếu khám."
        if "assessment" not in doc:
            return "Tài khoản của bạn không xem được kết quả phân loại sức khỏe (chỉ bác sĩ, trưởng trạm)."
        a = doc.get("assessment") or {}
        lines = []
        bmi = a.get("bmi") or {}
        if bmi.get("value") is not None:
            lines.append(f"BMI: {number(bmi['value'])} – {(bmi.get('category') or {}).get('label', '')}")
        bp = a.get("blood_pressure") or {}
        if bp.get("label"):
            lines.append(
                f"Huyết áp: {number(bp.get('systolic'))}/{number(bp.get('diastolic'))} mmHg – {bp['label']}"
            )
        qd = a.get("qd1613") or {}
        if qd.get("applicable"):
            suggested = qd.get("suggested") or {}
            if doc.get("health_class") is None and doc.get("status") == "draft":
                lines.append(self._not_known(state))
            elif suggested.get("class") and suggested.get("complete", True):
                text = f"Loại gợi ý (chỉ số xấu nhất, QĐ 1613): Loại {suggested['roman']}"
                if suggested.get("class_label"):
                    text += f" – {suggested['class_label']}"
                lines.append(text)
        elif a:
            lines.append("QĐ 1613 áp dụng từ 15 tuổi: bác sĩ chọn loại sức khỏe.")
        if doc.get("health_class"):
            lines.append(
                f"Phân loại sức khỏe của phiếu: Loại {ROMAN[doc['health_class']]}"
                + (f" (bác sĩ sửa: {doc['health_class_reason']})" if doc.get("health_class_reason") else "")
            )
        flags = [f["label"] for f in a.get("flags") or []]
        if flags:
            lines.append("Cần lưu ý: " + ", ".join(flags))
        return "\n".join(lines) or "Chưa có chỉ số nào để đánh giá."

    @staticmethod
    def _not_known(state: records.ExamState) -> str:
        """The class of an unfinished form: not known yet, and what it waits for (the core decides which)."""
        text = "Loại sức khỏe: chưa xác định"
        still = state.open_indices
        if still:
            shown = ", ".join(still[:4]) + (f" và {len(still) - 4} chỉ số khác" if len(still) > 4 else "")
            text += f" — còn {len(still)} chỉ số chưa xếp loại ({shown})"
        elif state.unconfirmed:
            text += " — chờ xác nhận giá trị bất thường"
        elif state.errors:
            text += " — xem mục cần sửa bên dưới"
        return text

    def _show_unconfirmed(self, unconfirmed: list[dict], read_only: bool) -> None:
        for box in self.confirm_boxes.values():
            self.warn_box.removeWidget(box)
            box.deleteLater()
        self.confirm_boxes = {}
        for u in unconfirmed:
            box = QCheckBox(f"Xác nhận: {u['message']}", self.widget())
            box.setObjectName(f"confirm:{u['field']}")
            box.setEnabled(not read_only)
            box.setStyleSheet("color: #8a5a00;")
            box.toggled.connect(lambda on, f=u["field"]: on and self.confirm_requested.emit(f))
            self.warn_box.addWidget(box)
            self.confirm_boxes[u["field"]] = box
        self.warn_title.setVisible(bool(unconfirmed))

    def missing_keys(self) -> list[str]:
        return [self.missing.item(i).data(KEY_ROLE) for i in range(self.missing.count())]
