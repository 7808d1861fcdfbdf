"""The commune's list of people as a lazy table model: it knows the count and fetches pages as they are shown.

A page (200 rows) costs a few milliseconds (measured: 5–9 ms at any offset of a 100,000-person station,
up to ~60 ms for a rare filter at its far end). The count and each page are read on the worker thread
(``ui.ops``): when the view first asks for a row of a page not yet read, the row shows "…" and the page is
asked for; when it comes back the rows are repainted. Only the last ``MAX_PAGES`` pages are kept, so
scrolling through the whole commune keeps memory flat. Each refresh (a new filter, a change) starts a new
generation: answers for an older one are dropped.
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
    Signal,
)

from ksk_desktop.people import people_list
from ksk_desktop.people.people_list import ListFilter
from ksk_desktop.people.persons import sex_label
from ksk_desktop.station.session import StationSession
from ui import ops
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
    #: A page or the count could not be read (the sentence to show).
    load_failed = Signal(str)
    #: The list changed underneath (a page came back shorter than the count said): worth a refresh.
    stale = Signal()
    #: The count for the current filter is in: the table now has its rows (they fill in as pages come).
    counted = Signal()
    #: A page of rows came back (its number).
    page_loaded = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session: StationSession | None = None
        self._filter = ListFilter()  # the filter of the rows shown
        self._wanted = ListFilter()  # the filter being counted
        self._count = 0
        self._pages: OrderedDict[int, list[dict]] = OrderedDict()
        self._failed: set[int] = set()
        self._loading: set[int] = set()
        self._generation = 0
        self._counting: ops.Task | None = None
        self._stale_reported = False
        self.fetches = 0  # pages read from the core since creation (for tests and measurements)

    # -- what to show ---------------------------------------------------------------------------------
    @property
    def session(self) -> StationSession | None:
        return self._session

    @property
    def list_filter(self) -> ListFilter:
        return self._filter

    @property
    def counting(self) -> bool:
        return self._counting is not None and not self._counting.done

    def set_session(self, session: StationSession | None, flt: ListFilter | None = None) -> None:
        """Show *session*'s list (with *flt*, or the current filter) once ``refresh()`` is called; ``None``
        (locked) forgets every row at once. No database work here."""
        self._session = session
        if flt is not None:
            self._filter = self._wanted = flt
        self._generation += 1
        self._counting = None
        self.beginResetModel()
        self._clear(0)
        self.endResetModel()

    def set_filter(self, flt: ListFilter) -> None:
        """Show the people matching *flt* (counted in the background; ``counted`` or ``load_failed`` follows)."""
        self._wanted = flt
        self.refresh()

    def refresh(self) -> None:
        """Count again and forget the cached pages (after an edit, an import, a merge) — in the background."""
        ctx, flt = self._session, self._wanted
        if ctx is None:
            return
        self._generation += 1
        generation = self._generation
        self._counting = ops.run_in_background(
            lambda: people_list.count(ctx, flt),
            lambda total: self._counted(generation, flt, total),
            lambda exc: self._count_failed(generation, exc),
            context=self,
        )

    def _counted(self, generation: int, flt: ListFilter, total: int) -> None:
        if generation != self._generation:
            return  # a newer filter or refresh is on its way
        self.beginResetModel()
        self._filter = flt
        self._clear(total)
        self.endResetModel()
        self.counted.emit()

    def _count_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self.beginResetModel()  # on failure the model is left empty, never half-reset
        self._clear(0)
        self.endResetModel()
        self.load_failed.emit(error_text(exc))
        self.counted.emit()

    def _clear(self, total: int) -> None:
        self._count = total
        self._pages.clear()
        self._failed.clear()
        self._loading.clear()
        self._stale_reported = False

    # -- fetching ---------------------------------------------------------------------------------------
    def _page(self, number: int) -> list[dict] | None:
        """The rows of page *number* if they have been read; else ask for them (once) and return None."""
        rows = self._pages.get(number)
        if rows is not None:
            self._pages.move_to_end(number)
            return rows
        ctx = self._session
        if ctx is None or number in self._failed or number in self._loading or self.counting:
            return None
        self._loading.add(number)
        generation, flt = self._generation, self._filter
        ops.run_in_background(
            lambda: people_list.page(ctx, flt, number * PAGE_SIZE, PAGE_SIZE),
            lambda rows: self._page_read(generation, number, rows),
            lambda exc: self._page_failed(generation, number, exc),
            context=self,
        )
        return None

    def _page_read(self, generation: int, number: int, rows: list[dict]) -> None:
        if generation != self._generation:
            return
        self._loading.discard(number)
        self.fetches += 1
        self._pages[number] = rows
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        first = number * PAGE_SIZE
        last = min(self._count, first + PAGE_SIZE) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        expected = min(PAGE_SIZE, self._count - first)
        if len(rows) < expected and not self._stale_reported:
            self._stale_reported = True
            self.stale.emit()
        self.page_loaded.emit(number)

    def _page_failed(self, generation: int, number: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._loading.discard(number)
        self._failed.add(number)  # shown to the person; painting goes on with empty cells
        self.load_failed.emit(error_text(exc))

    def row_data(self, row: int) -> dict | None:
        """The core's list row for table row *row* (None until its page has been read; asking starts that)."""
        if not 0 <= row < self._count:
            return None
        rows = self._page(row // PAGE_SIZE)
        if rows is None:
            return None
        offset = row % PAGE_SIZE
        return rows[offset] if offset < len(rows) else None

    def loading(self) -> bool:
        """A count or a page is on its way."""
        return self.counting or bool(self._loading)

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
