"""A combo box of Hải Phòng's communes with type-to-search that ignores accents ("kien thuy" finds Kiến Thụy)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

from ksk_desktop.catalogs.communes import Commune, load_communes
from ksk_desktop.text import fold

CODE_ROLE = Qt.ItemDataRole.UserRole + 1
FOLDED_ROLE = Qt.ItemDataRole.UserRole + 2


def commune_text(c: Commune) -> str:
    return f"{c.name} ({c.code})"


class _FoldedContainsFilter(QSortFilterProxyModel):
    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._needle = ""

    def set_needle(self, text: str) -> None:
        self._needle = fold(text)
        self.invalidate()

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        folded = self.sourceModel().index(row, 0, parent).data(FOLDED_ROLE) or ""
        return all(word in folded for word in self._needle.split())


class CommuneCombo(QComboBox):
    def __init__(self, parent: QWidget | None = None, communes: list[Commune] | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(15)
        source = QStandardItemModel(self)
        for c in communes if communes is not None else load_communes():
            item = QStandardItem(commune_text(c))
            item.setData(c.code, CODE_ROLE)
            item.setData(fold(f"{c.name} {c.code}"), FOLDED_ROLE)
            source.appendRow(item)
        self.setModel(source)
        self._filter = _FoldedContainsFilter(self)
        self._filter.setSourceModel(source)
        completer = QCompleter(self._filter, self)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setMaxVisibleItems(12)
        self.setCompleter(completer)
        self.lineEdit().textEdited.connect(self._filter.set_needle)
        self.lineEdit().setPlaceholderText("Gõ tên hoặc mã để tìm…")
        completer.activated[str].connect(self._pick)
        self.setCurrentIndex(-1)

    def _pick(self, text: str) -> None:
        index = self.findText(text, Qt.MatchFlag.MatchExactly)
        if index >= 0:
            self.setCurrentIndex(index)

    def select_code(self, code: str) -> bool:
        index = self.findData(code, CODE_ROLE)
        self.setCurrentIndex(index)
        return index >= 0

    def current_code(self) -> str:
        """The chosen commune's code; if the text matches no entry, the text itself (the core checks it)."""
        text = self.currentText().strip()
        index = self.findText(text, Qt.MatchFlag.MatchExactly)
        if index >= 0:
            return self.itemData(index, CODE_ROLE)
        return text

    def matching_texts(self) -> list[str]:
        """The entries the search currently offers (what the pop-up shows)."""
        return [self._filter.index(r, 0).data() for r in range(self._filter.rowCount())]
