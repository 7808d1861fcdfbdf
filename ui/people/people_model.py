"""The commune's list of people as a lazy table model: it knows the count and fetches pages as they are shown.

A page (200 rows) costs a few milliseconds (measured: 5–9 ms at any offset of a 100,000-person station,
up to ~60 ms for a rare filter at its far end), so it is read synchronously when the view first asks for
one of its rows. Only the last ``MAX_PAGES`` pages are kept, so scrolling through the whole commune keeps
memory flat. Reads happen on the GUI thread on their own connection: in WAL mode they never wait for the
worker thread's writes (an import may hold a write transaction for seconds).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from ksk_desktop.people import people_list
from ksk_desktop.people.people_list import ListFilter
from ksk_desktop.people.persons import sex_label
from ksk_desktop.station.session import StationSession
from ui.messages import error_text
from ui.people.person_text import birth_text, flags_text

PAGE_SIZE = 200
MAX_PAGES = 20  # at most 4,000 rows in memory, whatever the size of the list

COLUMNS = (
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số định danh",
    "Thôn/Tổ",
    "Điện thoại",
    "Nhóm",
    "Diện ưu tiên",
)
NAME, BIRTH, SEX, PERSONAL_ID, HAMLET, PHONE, GROUP, FLAGS = range(len(COLUMNS))

PERSON_ID_ROLE = Qt.ItemDataRole.UserRole + 1  # the person's id (a uuid string)
PERSON_ROW_ROLE = Qt.ItemDataRole.UserRole + 2  # the whole list row (dict) as the core returned it

_Index = QModelIndex | QPersistentModelIndex


def cell_text(row: dict, column: int) -> str:
    if column == NAME:
        return row["name"]
    if column == BIRTH:
        return birth_text(row.get("dob"), row.get("birth_year"))
    if column == SEX:
        return sex_label(row.get("sex"))
    if column == PERSONAL_ID:
        return row.get("personal_id") or ""
    if column == HAMLET:
        return row.get("hamlet") or ""
    if column == PHONE:
        return row.get("phone") or ""
    if column == GROUP:
        return ", ".join(row.get("groups") or [])
    if column == FLAGS:
        return flags_text(row.get("flags") or [])
    return ""


class PeopleModel(QAbstractTableModel):
    #: A page could not be read (the sentence to show). Emitted from the event loop, never during painting.
    load_failed = Signal(str)
    #: The list changed underneath (a page came back shorter than the count said): worth a refresh.
    stale = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session: StationSession | None = None
        self._filter = ListFilter()
        self._count = 0
        self._pages: OrderedDict[int, list[dict]] = OrderedDict()
        self._failed: set[int] = set()
        self._stale_reported = False
        self.fetches = 0  # pages read from the core since creation (for tests and measurements)

    # -- what to show ---------------------------------------------------------------------------------
    @property
    def session(self) -> StationSession | None:
        return self._session

    @property
    def list_filter(self) -> ListFilter:
        return self._filter

    def set_session(self, session: StationSession | None, flt: ListFilter | None = None) -> None:
        """Show *session*'s list (with *flt*, or the current filter); ``None`` (locked) forgets every row."""
        self._session = session
        if flt is not None:
            self._filter = flt
        if session is None:
            self.beginResetModel()
            self._clear(0)
            self.endResetModel()
            return
        self.refresh()

    def set_filter(self, flt: ListFilter) -> None:
        """Show the people matching *flt*. Raises the core's KskError (the model is then empty)."""
        self._filter = flt
        self.refresh()

    def refresh(self) -> None:
        """Count again and forget the cached pages (after an edit, an import, a merge)."""
        self.beginResetModel()
        total = 0
        try:
            if self._session is not None:
                total = people_list.count(self._session, self._filter)
        finally:  # on failure the model is left empty, never half-reset
            self._clear(total)
            self.endResetModel()

    def _clear(self, total: int) -> None:
        self._count = total
        self._pages.clear()
        self._failed.clear()
        self._stale_reported = False

    # -- fetching ---------------------------------------------------------------------------------------
    def _page(self, number: int) -> list[dict] | None:
        rows = self._pages.get(number)
        if rows is not None:
            self._pages.move_to_end(number)
            return rows
        if self._session is None or number in self._failed:
            return None
        try:
            rows = people_list.page(self._session, self._filter, number * PAGE_SIZE, PAGE_SIZE)
        except Exception as exc:  # shown to the person; painting goes on with empty cells
            self._failed.add(number)
            message = error_text(exc)
            QTimer.singleShot(0, self, lambda: self.load_failed.emit(message))
            return None
        self.fetches += 1
        self._pages[number] = rows
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        expected = min(PAGE_SIZE, self._count - number * PAGE_SIZE)
        if len(rows) < expected and not self._stale_reported:
            self._stale_reported = True
            QTimer.singleShot(0, self, self.stale.emit)
        return rows

    def row_data(self, row: int) -> dict | None:
        """The core's list row for table row *row* (fetching its page if needed)."""
        if not 0 <= row < self._count:
            return None
        rows = self._page(row // PAGE_SIZE)
        if rows is None:
            return None
        offset = row % PAGE_SIZE
        return rows[offset] if offset < len(rows) else None

    def cached_row_count(self) -> int:
        return sum(len(rows) for rows in self._pages.values())

    def cached_pages(self) -> list[int]:
        return list(self._pages)

    # -- QAbstractTableModel ---------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            row = self.row_data(index.row())
            if row is None:
                return "…" if role == Qt.ItemDataRole.DisplayRole and index.column() == NAME else None
            text = cell_text(row, index.column())
            if role == Qt.ItemDataRole.ToolTipRole:
                return text if index.column() in (NAME, FLAGS) and text else None
            return text
        if role == PERSON_ID_ROLE:
            row = self.row_data(index.row())
            return row["id"] if row else None
        if role == PERSON_ROW_ROLE:
            return self.row_data(index.row())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (BIRTH, SEX, GROUP):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return str(section + 1)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
