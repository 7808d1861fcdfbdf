"""The left-hand column of the Khám page: today's queue (people checked in or in the exam room, from the desk's
board), a search box to open anyone's exam, and the exams of the chosen person (drafts and signed versions).
Reads run on the worker thread (``ui.ops``); the queue refreshes every few seconds while the page is shown, and
when an operation changed appointments or exams."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.exams import records
from ksk_desktop.people import persons
from ksk_desktop.scheduling import board
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.exam.display import ROMAN, iso_date
from ui.messages import error_text
from ui.widgets import ErrorLabel, heading

DATA = Qt.ItemDataRole.UserRole
SEARCH_DELAY_MS = 200
SEARCH_LIMIT = 20
QUEUE_REFRESH_MS = 10_000
STATUS_TEXT = {"draft": "bản nháp", "signed": "đã ký"}


class QueueList(QWidget):
    person_chosen = Signal(str, object)  # person id, appointment id (or None): open today's exam
    exam_chosen = Signal(str, int)  # exam id, version
    exams_shown = Signal()  # the chosen person's exams are listed
    queue_shown = Signal()  # today's queue is listed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx: StationSession | None = None
        self.person_id: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading("Hàng chờ hôm nay", 2, self))
        self.queue = QListWidget(self)
        self.queue.setObjectName("examQueue")
        layout.addWidget(self.queue, 2)
        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("examSearch")
        self.search_edit.setPlaceholderText("Tìm người (tên không dấu, số định danh…)")
        self.search_edit.setClearButtonEnabled(True)
        layout.addWidget(self.search_edit)
        self.results = QListWidget(self)
        self.results.setObjectName("examSearchResults")
        layout.addWidget(self.results, 1)
        self.open_button = QPushButton("Mở phiếu khám hôm nay", self)
        self.open_button.setObjectName("openTodayExam")
        self.open_button.setAutoDefault(False)
        layout.addWidget(self.open_button)
        self.exams_title = QLabel("Các phiếu khám của người đã chọn:", self)
        layout.addWidget(self.exams_title)
        self.exams = QListWidget(self)
        self.exams.setObjectName("personExams")
        layout.addWidget(self.exams, 1)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.error_label)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.run_search)
        self.search_edit.textEdited.connect(lambda _t: self.search_timer.start())
        self.search_edit.returnPressed.connect(self._search_enter)
        self.queue_timer = QTimer(self)
        self.queue_timer.setInterval(QUEUE_REFRESH_MS)
        self.queue_timer.timeout.connect(self._tick)
        self.queue.itemActivated.connect(self._queue_activated)
        self.results.itemActivated.connect(lambda item: self.choose_person(item.data(DATA)))
        self.results.itemClicked.connect(lambda item: self.choose_person(item.data(DATA)))
        self.open_button.clicked.connect(
            lambda: self.person_id and self.person_chosen.emit(self.person_id, None)
        )
        self.exams.itemActivated.connect(lambda item: self.exam_chosen.emit(*item.data(DATA)))
        self.exams.itemClicked.connect(lambda item: self.exam_chosen.emit(*item.data(DATA)))
        self.queue_task: ops.Task | None = None
        self._queue_again = False
        self.search_task: ops.Task | None = None
        self.exams_task: ops.Task | None = None
        self.open_button.setEnabled(False)

    def set_session(self, ctx: StationSession | None) -> None:
        self.ctx = ctx
        self.person_id = None
        for w in (self.queue, self.results, self.exams):
            w.clear()
        self.search_edit.clear()
        self.error_label.clear_message()
        self.open_button.setEnabled(False)
        if ctx is None:
            self.queue_timer.stop()
            return
        self.search_edit.setEnabled(ctx.can(Perm.PERSON_READ))
        self.exams_title.setVisible(ctx.can(Perm.HEALTH_READ))
        self.exams.setVisible(ctx.can(Perm.HEALTH_READ))
        self.queue_timer.start()  # the page reads the queue when it is shown

    # -- the queue -----------------------------------------------------------------------------------------------------
    def _tick(self) -> None:
        if self.isVisible():
            self.refresh_queue()

    def refresh_queue(self) -> None:
        ctx = self.ctx
        if ctx is None or not ctx.can(Perm.CHECKIN):
            return
        if self.queue_task is not None and not self.queue_task.done:
            self._queue_again = True  # the answer on its way may predate the change (a signature)
            return
        self._queue_again = False
        today = ctx.clock.today()
        self.queue_task = ops.run_in_background(
            lambda: board.board(ctx, today),
            lambda b: self._show_queue(ctx, b),
            lambda exc: self._failed(ctx, exc),
            context=self,
        )

    def _show_queue(self, ctx: StationSession, data: board.DeskBoard) -> None:
        if ctx is not self.ctx:
            return
        current = self.queue.currentItem().data(DATA)[1] if self.queue.currentItem() else None
        self.queue.clear()
        for column, label in (("in_exam", "đang khám"), ("waiting", "chờ khám")):
            for r in data.column(column):
                item = QListWidgetItem(f"{r['queue_no'] or '–'}. {r['name']} ({label})", self.queue)
                item.setData(DATA, (r["person_id"], r["appointment_id"]))
                if r["appointment_id"] == current:
                    self.queue.setCurrentItem(item)
        if not self.queue.count():
            QListWidgetItem("Chưa có ai chờ khám.", self.queue).setFlags(Qt.ItemFlag.NoItemFlags)
        self.queue_shown.emit()
        if self._queue_again:
            self.refresh_queue()

    def _queue_activated(self, item: QListWidgetItem) -> None:
        data = item.data(DATA)
        if data:
            self.choose_person(data[0], list_only=True)
            self.person_chosen.emit(data[0], data[1])

    def _failed(self, ctx: StationSession, exc: BaseException) -> None:
        if ctx is self.ctx:
            self.error_label.show_message(error_text(exc))

    # -- searching -------------------------------------------------------------------------------------------------------
    def run_search(self) -> None:
        self.search_timer.stop()
        ctx, query = self.ctx, self.search_edit.text().strip()
        if ctx is None or len(query) < 2:
            self.results.clear()
            return
        self.search_task = ops.run_in_background(
            lambda: persons.search(ctx, query, limit=SEARCH_LIMIT, record=False),
            lambda rows: self._show_results(ctx, rows),
            lambda exc: self._failed(ctx, exc),
            context=self,
        )

    def _show_results(self, ctx: StationSession, rows: list[dict]) -> None:
        if ctx is not self.ctx:
            return
        self.results.clear()
        for p in rows:
            born = iso_date(p["dob"]) if p.get("dob") else str(p.get("birth_year") or "")
            item = QListWidgetItem(f"{p['name']} – {born} – {p.get('hamlet') or ''}", self.results)
            item.setData(DATA, p["id"])
        if self.results.count():
            self.results.setCurrentRow(0)

    def _search_enter(self) -> None:
        if self.search_timer.isActive():
            self.run_search()
        elif self.results.currentItem() is not None:
            self.choose_person(self.results.currentItem().data(DATA))

    # -- the person's exams ------------------------------------------------------------------------------------------------
    def choose_person(self, person_id: str, list_only: bool = False) -> None:
        self.person_id = person_id
        self.open_button.setEnabled(True)
        self.refresh_exams()
        if not list_only:
            self.open_button.setFocus()

    def refresh_exams(self) -> None:
        ctx, person_id = self.ctx, self.person_id
        if ctx is None or person_id is None or not ctx.can(Perm.HEALTH_READ):
            self.exams.clear()
            return
        self.exams_task = ops.run_in_background(
            lambda: records.list_exams(ctx, person_id=person_id),
            lambda rows: self._show_exams(ctx, person_id, rows),
            lambda exc: self._failed(ctx, exc),
            context=self,
        )

    def _show_exams(self, ctx: StationSession, person_id: str, rows: list[dict]) -> None:
        if ctx is not self.ctx or person_id != self.person_id:
            return
        self.exams.clear()
        for r in rows:
            cls = f", loại {ROMAN[r['health_class']]}" if r.get("health_class") else ""
            text = f"{iso_date(r['exam_date'])} – v{r['version']} – {STATUS_TEXT.get(r['status'], r['status'])}{cls}"
            item = QListWidgetItem(text, self.exams)
            item.setData(DATA, (r["id"], r["version"]))
        if not rows:
            QListWidgetItem("Chưa có phiếu khám nào.", self.exams).setFlags(Qt.ItemFlag.NoItemFlags)
        self.exams_shown.emit()
