"""The parts the scan dialog (``ui.people.registration_dialog``) builds its pages from: titled sections, the
card's summary, the warnings to check on the card, the table comparing the card with the record (a box per
field to take the card's value), the consent and place choices of a new person, and the calls it makes on
the worker thread (looking the card up, recording consents)."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.dates import age_on
from ksk_desktop.people import consent, persons
from ksk_desktop.people.people_list import FLAG_LABELS
from ksk_desktop.people.registration import Registration, register
from ksk_desktop.station.session import StationSession
from ui.people.person_text import birth_text
from ui.widgets import MUTED_STYLE, heading, paragraph

EMPTY = "(trống)"
SECTION_STYLE = "QFrame#scanSection { background: white; border: 1px solid #d5dbe3; border-radius: 8px; }"
WARNING_STYLE = (
    "QFrame#scanWarnings { background: #fff4e5; border: 1px solid #f0c36d; border-radius: 8px; }"
    "QFrame#scanWarnings QLabel { color: #5c3c00; }"
)
TABLE_STYLE = "QTableWidget { gridline-color: #e3e7ed; } QHeaderView::section { padding: 4px 6px; }"
# The order fields are listed in, whatever order the core returns them.
FIELD_ORDER = ("name", "id", "old_id", "dob", "sex", "address")


# -- on the worker thread --------------------------------------------------------------------------------------
def look_up(ctx: StationSession, payload: str) -> tuple[Registration, tuple[str, list[str]] | None]:
    """Who holds the card (nobody is registered here); for a stranger, also what the registration form offers
    — the station's commune and the hamlets already on the list."""
    from ksk_desktop.people.people_list import hamlets

    reg = register(ctx, payload, create_new=False)
    place = None
    if reg.status != "existing" and reg.person_id is None:
        place = (persons.default_commune(ctx), [name for name, _n in hamlets(ctx)])
    return reg, place


def record_consents(
    ctx: StationSession, person_id: str | None, kinds: list[str], giver: str
) -> tuple[list[str], BaseException | None]:
    """Record each consent; what was recorded, and the failure that stopped it, if any."""
    done: list[str] = []
    if person_id is None:
        return done, None
    try:
        for kind in kinds:
            consent.record(ctx, person_id, kind, giver)
            done.append(kind)
    except Exception as exc:  # noqa: BLE001 - shown to the person; the registration itself stands
        return done, exc
    return done, None


# -- text ----------------------------------------------------------------------------------------------------------
def value_text(key: str, value: Any) -> str:
    """A card or record value as it reads on screen (dates dd/mm/yyyy, Nam/Nữ, "(trống)")."""
    if value in (None, ""):
        return EMPTY
    if key == "dob":
        text = str(value)
        return f"{text} (chỉ có năm sinh)" if len(text) == 4 else birth_text(text, None)
    if key == "sex":
        return persons.sex_label(str(value)) or str(value)
    return str(value)


def group_labels() -> dict[str, str]:
    try:
        return persons.target_group_labels()
    except Exception:  # noqa: BLE001 - labels are a nicety; the codes alone still work
        return {}


# -- layout ------------------------------------------------------------------------------------------------------------
class Section(QFrame):
    """A white box with a title; its content goes into ``box``."""

    def __init__(self, title: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("scanSection")
        self.setStyleSheet(SECTION_STYLE)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(14, 10, 14, 12)
        self.box.setSpacing(8)
        self.box.addWidget(heading(title, 2, self))


def section(title: str, parent: QWidget) -> tuple[QFrame, QVBoxLayout]:
    frame = Section(title, parent)
    return frame, frame.box


def two_columns(parent: QWidget) -> tuple[QWidget, QVBoxLayout, QVBoxLayout]:
    """A page with two columns of equal width."""
    page = QWidget(parent)
    grid = QGridLayout(page)
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setHorizontalSpacing(12)
    left, right = QVBoxLayout(), QVBoxLayout()
    left.setSpacing(10)
    right.setSpacing(10)
    grid.addLayout(left, 0, 0)
    grid.addLayout(right, 0, 1)
    grid.setColumnStretch(0, 1)
    grid.setColumnStretch(1, 1)
    return page, left, right


def person_summary(card: dict, today: date, parent: QWidget, title: str = "Thông tin trên thẻ") -> QFrame:
    """What the card says, one line per field (the age as of *today*)."""
    frame, layout = section(title, parent)
    grid = QGridLayout()
    grid.setHorizontalSpacing(14)
    grid.setVerticalSpacing(6)
    years = age_on(today, card.get("dob"))
    rows = [
        ("Họ và tên", card.get("name")),
        ("Số định danh", card.get("id")),
        ("Số CMND cũ", card.get("old_id") or "không có"),
        (
            "Ngày sinh",
            value_text("dob", card.get("dob")) + (f"  ({years} tuổi)" if years is not None else ""),
        ),
        ("Giới tính", value_text("sex", card.get("sex"))),
        ("Nơi thường trú", card.get("address") or EMPTY),
    ]
    if card.get("issued"):
        rows.append(("Ngày cấp thẻ", value_text("dob", card["issued"])))
    for i, (label, value) in enumerate(rows):
        name = QLabel(label, frame)
        name.setStyleSheet(MUTED_STYLE)
        text = QLabel(str(value), frame)
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(name, i, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(text, i, 1)
    grid.setColumnStretch(1, 1)
    layout.addLayout(grid)
    return frame


class WarningsBox(QFrame):
    """What to check on the card itself before trusting it (``labels``: one per warning)."""

    def __init__(self, warnings: list[str], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("scanWarnings")
        self.setStyleSheet(WARNING_STYLE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 12)
        layout.setSpacing(4)
        layout.addWidget(heading("Cần kiểm tra lại trên thẻ", 2, self))
        self.labels: list[QLabel] = []
        for w in warnings:
            label = paragraph(f"•  {w}", self)
            layout.addWidget(label)
            self.labels.append(label)


class DifferencesTable(QTableWidget):
    """The card against the record, field by field, with "Lấy theo thẻ" beside each (``take_checks``)."""

    def __init__(self, differences: dict[str, dict], parent: QWidget) -> None:
        keys = sorted(
            differences, key=lambda k: FIELD_ORDER.index(k) if k in FIELD_ORDER else len(FIELD_ORDER)
        )
        super().__init__(len(keys), 4, parent)
        self.setObjectName("differencesTable")
        self.setStyleSheet(TABLE_STYLE)
        self.setHorizontalHeaderLabels(["Trường", "Trên thẻ", "Trong hồ sơ", "Chọn"])
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setWordWrap(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.take_checks: dict[str, QCheckBox] = {}
        for row, key in enumerate(keys):
            d = differences[key]
            label = QTableWidgetItem(d.get("label", key))
            font = label.font()
            font.setBold(True)
            label.setFont(font)
            card_item = QTableWidgetItem(value_text(key, d.get("card")))
            stored_item = QTableWidgetItem(value_text(key, d.get("stored")))
            if d.get("stored") in (None, ""):
                stored_item.setForeground(Qt.GlobalColor.darkGray)
            for col, item in enumerate((label, card_item, stored_item)):
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(row, col, item)
            holder = QWidget(self)
            holder_layout = QHBoxLayout(holder)
            holder_layout.setContentsMargins(6, 0, 6, 0)
            check = QCheckBox("Lấy theo thẻ", holder)
            check.setObjectName(f"take_{key}")
            check.setChecked(d.get("stored") in (None, ""))  # filling a blank loses nothing
            holder_layout.addWidget(check)
            self.setCellWidget(row, 3, holder)
            self.take_checks[key] = check
        self.fit()

    def fit(self) -> None:
        """As tall as its rows (wrapped addresses take more lines when the window is narrower)."""
        self.resizeRowsToContents()
        for row in range(self.rowCount()):
            self.setRowHeight(row, max(self.rowHeight(row) + 8, 34))
        height = self.horizontalHeader().height() + sum(self.rowHeight(r) for r in range(self.rowCount()))
        self.setFixedHeight(height + 2 * self.frameWidth())

    def quick_buttons(self, parent: QWidget) -> QHBoxLayout:
        """ "Take everything from the card" and "keep everything as recorded"."""
        row = QHBoxLayout()
        all_card = QPushButton("Lấy tất cả theo thẻ", parent)
        all_card.setAutoDefault(False)
        all_card.clicked.connect(lambda: [c.setChecked(True) for c in self.take_checks.values()])
        none_card = QPushButton("Giữ tất cả như hồ sơ", parent)
        none_card.setAutoDefault(False)
        none_card.clicked.connect(lambda: [c.setChecked(False) for c in self.take_checks.values()])
        row.addWidget(all_card)
        row.addWidget(none_card)
        row.addStretch(1)
        return row


class ConsentChoice(Section):
    """The consents to record with the registration (``checks``) and who gives them (``giver_combo``)."""

    def __init__(self, parent: QWidget, age_years: int | None, recorded: set[str]) -> None:
        super().__init__("Sự đồng ý", parent)
        layout = self.box
        layout.addWidget(
            paragraph("Chỉ đánh dấu khi người dân (trẻ em: người giám hộ) đã đồng ý.", self, muted=True)
        )
        self.checks: dict[str, QCheckBox] = {}
        for kind, label in consent.KINDS.items():
            check = QCheckBox(label, self)
            check.setObjectName(f"consent_{kind}")
            if kind in recorded:
                check.setChecked(True)
                check.setEnabled(False)
                check.setText(f"{label} (đã ghi nhận)")
            self.checks[kind] = check
            layout.addWidget(check)
        row = QHBoxLayout()
        row.addWidget(QLabel("Người đồng ý", self))
        self.giver_combo = QComboBox(self)
        for giver, text in consent.GIVERS.items():
            self.giver_combo.addItem(text, giver)
        minor = age_years is not None and age_years < 18
        self.giver_combo.setCurrentIndex(self.giver_combo.findData("guardian" if minor else "self"))
        row.addWidget(self.giver_combo)
        row.addStretch(1)
        layout.addLayout(row)


class PlaceChoice(Section):
    """Where the person lives: the commune from the catalogue (the station's by default) and the hamlet from
    those already on the list (or a new one typed in)."""

    def __init__(self, parent: QWidget, commune_code: str, hamlet_names: list[str]) -> None:
        from ui.commune_combo import CommuneCombo

        super().__init__("Nơi ở", parent)
        box = self.box
        grid = QGridLayout()
        self.commune_combo = CommuneCombo(self)
        self.commune_combo.setObjectName("communeCombo")
        self.commune_combo.select_code(commune_code)
        self.hamlet_combo = QComboBox(self)
        self.hamlet_combo.setObjectName("hamletCombo")
        self.hamlet_combo.setEditable(True)
        self.hamlet_combo.addItem("")
        for name in hamlet_names:
            self.hamlet_combo.addItem(name)
        self.hamlet_combo.lineEdit().setPlaceholderText("chọn hoặc gõ tên thôn / tổ dân phố")
        grid.addWidget(QLabel("Xã/phường", self), 0, 0)
        grid.addWidget(self.commune_combo, 0, 1)
        grid.addWidget(QLabel("Thôn/Tổ dân phố", self), 1, 0)
        grid.addWidget(self.hamlet_combo, 1, 1)
        grid.setColumnStretch(1, 1)
        box.addLayout(grid)


class TargetChoice(Section):
    """The target group (``group_combo``) and priority flags (``flag_checks``) of a new person, preset from the
    core's suggestion by age."""

    def __init__(self, parent: QWidget, suggestion: dict) -> None:
        super().__init__("Nhóm đối tượng và diện ưu tiên", parent)
        row = QHBoxLayout()
        row.addWidget(QLabel("Nhóm", self))
        self.group_combo = QComboBox(self)
        self.group_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.group_combo.setMinimumContentsLength(18)
        self.group_combo.addItem("— chưa xếp nhóm —", None)
        labels = group_labels()
        for g in persons.TARGET_GROUPS:
            self.group_combo.addItem(f"Nhóm {g} — {labels[g]}" if labels.get(g) else f"Nhóm {g}", g)
        self.group_combo.setCurrentIndex(max(0, self.group_combo.findData(suggestion.get("target_group"))))
        row.addWidget(self.group_combo, 1)
        self.box.addLayout(row)
        if suggestion.get("reason"):
            hint = paragraph(f"Gợi ý theo tuổi: {suggestion['reason']}.", self)
            hint.setObjectName("suggestionLabel")
            hint.setStyleSheet("color: #1a5fb4;")
            self.box.addWidget(hint)
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        self.flag_checks: dict[str, QCheckBox] = {}
        for i, (flag, label) in enumerate(FLAG_LABELS.items()):
            check = QCheckBox(label, self)
            check.setObjectName(f"flag_{flag}")
            check.setChecked(flag in suggestion.get("flags", []))
            grid.addWidget(check, i // 2, i % 2)
            self.flag_checks[flag] = check
        self.box.addLayout(grid)
