"""Autosave of a draft by section: a section edited is saved a couple of seconds after the last keystroke, when
the user leaves it, on Ctrl+S, and before signing. Saves run on the worker thread (``ui.ops``), in order.

The save function is asynchronous: ``save(section, done)`` starts the save and calls ``done(ok)`` later on the
GUI thread. A section edited again while its save was on its way stays dirty (and is saved again); a section
whose save failed stays dirty. ``flush(then)`` saves everything and calls ``then(ok)`` once every save has come
back — ``ok`` when nothing is left unsaved.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

AUTOSAVE_MS = 2_000

Done = Callable[[bool], None]


class SectionAutosave(QObject):
    def __init__(
        self, save: Callable[[str, Done], None], parent: QObject | None = None, delay_ms: int = AUTOSAVE_MS
    ) -> None:
        super().__init__(parent)
        self._save = save
        self.dirty: list[str] = []  # in the order edited
        self.saving: set[str] = set()  # saves on their way
        self._edits: dict[str, int] = {}  # per section: how many edits so far
        self._at_save: dict[str, int] = {}  # per section on its way: the edit count when its save started
        self._waiters: list[Done] = []
        self._generation = 0  # a reset forgets the saves on their way
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(lambda: self.flush())

    @property
    def busy(self) -> bool:
        """Something is unsaved or being saved."""
        return bool(self.dirty or self.saving)

    def mark(self, section: str) -> None:
        """*section* was edited: save it after the pause (the pause restarts with each edit)."""
        self._edits[section] = self._edits.get(section, 0) + 1
        if section not in self.dirty:
            self.dirty.append(section)
        self.timer.start()

    def edited_during_save(self, section: str) -> bool:
        """Whether *section* was edited again after its save on its way started (keep what is on screen)."""
        return section in self._at_save and self._edits.get(section, 0) != self._at_save[section]

    def save_now(self, section: str) -> None:
        """Save *section* now if it has unsaved edits and no save of it is on its way."""
        if section not in self.dirty or section in self.saving:
            return
        self.saving.add(section)
        self._at_save[section] = self._edits.get(section, 0)
        generation = self._generation
        self._save(section, lambda ok: self._saved(generation, section, ok))

    def _saved(self, generation: int, section: str, ok: bool) -> None:
        if generation != self._generation:
            return
        self.saving.discard(section)
        again = self.edited_during_save(section)
        self._at_save.pop(section, None)
        if ok and not again:
            self.clean(section)
        elif ok and self._waiters:
            self.save_now(section)  # someone waits for everything: save the newer edits at once
        elif ok:
            self.timer.start()
        if not self.saving:
            self._settle()

    def flush(self, then: Done | None = None) -> None:
        """Save every edited section; ``then(ok)`` once they are all back (``ok``: nothing left unsaved)."""
        self.timer.stop()
        for section in list(self.dirty):
            self.save_now(section)
        if then is None:
            return
        if self.saving:
            self._waiters.append(then)
        else:
            then(not self.dirty)

    def _settle(self) -> None:
        waiters, self._waiters = self._waiters, []
        for then in waiters:
            then(not self.dirty)

    def clean(self, section: str) -> None:
        if section in self.dirty:
            self.dirty.remove(section)
        if not self.dirty:
            self.timer.stop()

    def reset(self) -> None:
        """Forget every edit and every save on its way (another exam, a reload, a lock); waiters are dropped."""
        self._generation += 1
        self.timer.stop()
        self.dirty.clear()
        self.saving.clear()
        self._at_save.clear()
        self._waiters.clear()
