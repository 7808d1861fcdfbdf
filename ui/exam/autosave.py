"""Autosave of a draft by section: a section edited is saved a couple of seconds after the last keystroke, when
the user leaves it, on Ctrl+S, and before signing. One save takes ~10 ms, so it runs on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

AUTOSAVE_MS = 2_000


class SectionAutosave(QObject):
    def __init__(
        self, save: Callable[[str], bool], parent: QObject | None = None, delay_ms: int = AUTOSAVE_MS
    ) -> None:
        super().__init__(parent)
        self._save = save
        self.dirty: list[str] = []  # in the order edited
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self.flush)

    def mark(self, section: str) -> None:
        """*section* was edited: save it after the pause (the pause restarts with each edit)."""
        if section not in self.dirty:
            self.dirty.append(section)
        self.timer.start()

    def save_now(self, section: str) -> bool:
        """Save *section* now if it has unsaved edits; False if its save failed."""
        if section not in self.dirty:
            return True
        if self._save(section):
            self.clean(section)
            return True
        return False

    def flush(self) -> bool:
        """Save every edited section; True when nothing is left unsaved."""
        self.timer.stop()
        ok = True
        for section in list(self.dirty):
            ok = self.save_now(section) and ok
        return ok

    def clean(self, section: str) -> None:
        if section in self.dirty:
            self.dirty.remove(section)
        if not self.dirty:
            self.timer.stop()

    def reset(self) -> None:
        self.timer.stop()
        self.dirty.clear()
