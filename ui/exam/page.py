"""The "Khám" page: today's queue and a search on the left, the exam form generated from its definition in the
centre, the live assessment on the right (``ui.exam``); a second tab lists the follow-ups. Permissions are the
core's: the nurse fills the vitals, each doctor a specialty, a doctor concludes and signs; the head reads."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui.changes import Changes
from ui.exam.autosave import AUTOSAVE_MS
from ui.exam.exam_editor import ExamEditor
from ui.exam.followups_view import FollowupsView
from ui.exam.queue_list import QueueList
from ui.lazy_page import LazyPage
from ui.widgets import ErrorLabel, heading

NO_ACCESS = "Tài khoản của bạn không có quyền nhập hay xem phiếu khám."


QUEUE_CHANGES = Changes.APPOINTMENTS | Changes.EXAMS | Changes.PEOPLE
FOLLOWUP_CHANGES = Changes.FOLLOWUPS | Changes.EXAMS | Changes.PEOPLE


class ExamsPage(LazyPage):
    cares = QUEUE_CHANGES | FOLLOWUP_CHANGES

    def __init__(
        self,
        session: StationSession | None = None,
        parent: QWidget | None = None,
        autosave_ms: int = AUTOSAVE_MS,
    ) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(heading("Khám", 1, self))
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.error_label)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("examTabs")
        self.queue = QueueList(self)
        self.queue.setMinimumWidth(240)
        self.editor = ExamEditor(self, autosave_ms)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.queue)
        split.addWidget(self.editor)
        split.setStretchFactor(1, 1)
        split.setSizes([280, 1000])
        self.entry = split
        self.followups = FollowupsView(self)
        self.tabs.addTab(split, "Phiếu khám")
        self.tabs.addTab(self.followups, "Theo dõi sau khám")
        layout.addWidget(self.tabs, 1)
        self.queue.person_chosen.connect(self.open_exam)
        self.queue.exam_chosen.connect(lambda exam_id, version: self.open_exam_id(exam_id, version))
        self.followups.exam_requested.connect(self.open_exam_id)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.set_session(session)

    def close_dialogs(self) -> None:
        super().close_dialogs()
        self.editor.dialogs.close_all()

    def session_changed(self, session: StationSession | None) -> None:
        self.queue.set_session(session)
        self.editor.set_session(session)
        self.followups.set_session(session)
        allowed = session is not None and (session.can(Perm.HEALTH_READ) or session.can(Perm.VITALS_WRITE))
        self.error_label.show_message(NO_ACCESS if session is not None and not allowed else "")
        self.tabs.setEnabled(allowed)

    def reload(self, changes: Changes) -> None:
        if changes & QUEUE_CHANGES:
            self.queue.refresh_queue()
            self.queue.refresh_exams()
        if changes & FOLLOWUP_CHANGES and self.tabs.currentWidget() is self.followups:
            self.followups.refresh()

    # -- opening ----------------------------------------------------------------------------------------------------
    def open_exam(self, person_id: str, appointment_id: str | None = None) -> None:
        """Open the person's exam of today (created as a draft if there is none), e.g. from the desk's board;
        ``editor.opened`` or ``editor.open_failed`` follows."""
        self.tabs.setCurrentWidget(self.entry)
        self.queue.choose_person(person_id, list_only=True)
        self.editor.open_person(person_id, appointment_id)

    def open_exam_id(self, exam_id: str, version: int | None = None) -> None:
        self.tabs.setCurrentWidget(self.entry)
        self.editor.load_exam(exam_id, version)

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.followups:
            self.editor.save_all()
            self.followups.refresh()
