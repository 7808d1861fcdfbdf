"""The exam's plan, edited by the doctor: referrals (destination, reason, urgency) and follow-up items (kind, due
date, note). "Gợi ý" fills them from the assessment (``plan.suggest_for``); "Lưu kế hoạch" confirms them
(``plan.set_plan``). Signing records them; the follow-ups then appear in the follow-up list."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.exams.plan_rules import DEFAULT_DESTINATION, FOLLOWUP_KINDS, URGENCIES, URGENCY_LABELS
from ui.exam.display import iso_date
from ui.exam.field_editors import NoWheelCombo
from ui.widgets import ErrorLabel, heading, paragraph

ID_COLUMN_DATA = 0x0100  # Qt.UserRole


def _iso(text: str) -> str:
    """``dd/mm/yyyy`` (or ISO) → ISO; left as typed when it is neither (the core then says what is wrong)."""
    text = text.strip()
    parts = text.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        try:
            return date(int(parts[2]), int(parts[1]), int(parts[0])).isoformat()
        except ValueError:
            return text
    return text


class PlanEditor(QWidget):
    save_requested = Signal()
    suggest_requested = Signal()
    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("planEditor")
        layout = QVBoxLayout(self)
        layout.addWidget(
            paragraph(
                "Người nhập: Bác sĩ. Gợi ý lấy từ kết quả đã lưu; sửa rồi bấm “Lưu kế hoạch”. "
                "Khi ký, giấy chuyển tuyến và các mục theo dõi được ghi nhận.",
                self,
                muted=True,
            )
        )
        layout.addWidget(heading("Chuyển tuyến", 2, self))
        self.referrals = self._table(["Nơi chuyển đến", "Lý do", "Mức độ"])
        self.referrals.setObjectName("referralTable")
        layout.addWidget(self.referrals)
        layout.addWidget(heading("Theo dõi tại trạm", 2, self))
        self.followups = self._table(["Loại theo dõi", "Hạn (dd/mm/yyyy)", "Ghi chú"])
        self.followups.setObjectName("followupTable")
        layout.addWidget(self.followups)
        row = QHBoxLayout()
        self.suggest_button = QPushButton("Gợi ý từ kết quả khám", self)
        self.add_referral_button = QPushButton("Thêm chuyển tuyến", self)
        self.add_followup_button = QPushButton("Thêm theo dõi", self)
        self.remove_button = QPushButton("Xóa dòng chọn", self)
        self.save_button = QPushButton("Lưu kế hoạch", self)
        self.save_button.setObjectName("savePlan")
        for b in (
            self.suggest_button,
            self.add_referral_button,
            self.add_followup_button,
            self.remove_button,
            self.save_button,
        ):
            b.setAutoDefault(False)
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        self.suggest_button.clicked.connect(self.suggest_requested)
        self.save_button.clicked.connect(self.save_requested)
        self.add_referral_button.clicked.connect(lambda: self.add_referral({}))
        self.add_followup_button.clicked.connect(lambda: self.add_followup({}))
        self.remove_button.clicked.connect(self.remove_selected)
        self.referrals.itemChanged.connect(lambda _i: self.edited.emit())
        self.followups.itemChanged.connect(lambda _i: self.edited.emit())

    def _table(self, headers: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(headers), self)
        table.setHorizontalHeaderLabels(headers)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().hide()
        table.setMinimumHeight(110)
        return table

    # -- rows ------------------------------------------------------------------------------------------------------
    def _combo(self, items: dict[str, str], current: str) -> QComboBox:
        combo = NoWheelCombo(self)
        for key, label in items.items():
            combo.addItem(label, key)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.currentIndexChanged.connect(lambda _i: self.edited.emit())
        return combo

    def add_referral(self, r: dict) -> None:
        t = self.referrals
        t.blockSignals(True)
        row = t.rowCount()
        t.insertRow(row)
        first = QTableWidgetItem(r.get("destination") or DEFAULT_DESTINATION)
        first.setData(ID_COLUMN_DATA, r.get("id"))
        t.setItem(row, 0, first)
        t.setItem(row, 1, QTableWidgetItem(r.get("reason") or ""))
        t.setCellWidget(
            row, 2, self._combo({u: URGENCY_LABELS[u] for u in URGENCIES}, r.get("urgency") or "routine")
        )
        t.blockSignals(False)

    def add_followup(self, f: dict) -> None:
        t = self.followups
        t.blockSignals(True)
        row = t.rowCount()
        t.insertRow(row)
        t.setCellWidget(row, 0, self._combo(FOLLOWUP_KINDS, f.get("kind") or "other"))
        due = QTableWidgetItem(iso_date(f["due_date"]) if f.get("due_date") else "")
        due.setData(ID_COLUMN_DATA, f.get("id"))
        t.setItem(row, 1, due)
        t.setItem(row, 2, QTableWidgetItem(f.get("note") or ""))
        t.blockSignals(False)

    def remove_selected(self) -> None:
        for table in (self.referrals, self.followups):
            rows = sorted({i.row() for i in table.selectedIndexes()}, reverse=True)
            for r in rows:
                table.removeRow(r)
            if rows:
                self.edited.emit()

    # -- values ----------------------------------------------------------------------------------------------------
    def set_plan(self, referrals: list[dict], followups: list[dict]) -> None:
        self.referrals.setRowCount(0)
        self.followups.setRowCount(0)
        for r in referrals:
            self.add_referral(r)
        for f in followups:
            self.add_followup(f)

    def plan(self) -> tuple[list[dict], list[dict]]:
        """``(referrals, followups)`` as ``plan.set_plan`` takes them."""
        refs, fus = [], []
        for row in range(self.referrals.rowCount()):
            item = self.referrals.item(row, 0)
            refs.append(
                {
                    "id": item.data(ID_COLUMN_DATA) if item else None,
                    "destination": item.text() if item else "",
                    "reason": (self.referrals.item(row, 1) or QTableWidgetItem()).text(),
                    "urgency": self.referrals.cellWidget(row, 2).currentData(),
                }
            )
        for row in range(self.followups.rowCount()):
            due = self.followups.item(row, 1) or QTableWidgetItem()
            fus.append(
                {
                    "id": due.data(ID_COLUMN_DATA),
                    "kind": self.followups.cellWidget(row, 0).currentData(),
                    "due_date": _iso(due.text()),
                    "note": (self.followups.item(row, 2) or QTableWidgetItem()).text(),
                }
            )
        return (
            [{k: v for k, v in r.items() if v is not None} for r in refs],
            [{k: v for k, v in f.items() if v is not None} for f in fus],
        )

    def set_read_only(self, read_only: bool) -> None:
        triggers = (
            QAbstractItemView.EditTrigger.NoEditTriggers
            if read_only
            else QAbstractItemView.EditTrigger.AllEditTriggers
        )
        for table in (self.referrals, self.followups):
            table.setEditTriggers(triggers)
            for row in range(table.rowCount()):
                for col in range(table.columnCount()):
                    w = table.cellWidget(row, col)
                    if w is not None:
                        w.setEnabled(not read_only)
        for b in (
            self.suggest_button,
            self.add_referral_button,
            self.add_followup_button,
            self.remove_button,
            self.save_button,
        ):
            b.setEnabled(not read_only)
