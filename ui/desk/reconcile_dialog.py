""" "Kết thúc ngày": who did not come is listed, then marked absent (``reconcile``), then — for whoever may manage
schedules — given a make-up day (``reschedule_no_shows``), each person ticked or not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.dates import show_date
from ksk_desktop.scheduling import reconcile
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.messages import error_text
from ui.people.person_text import birth_text
from ui.widgets import OK_STYLE, ErrorLabel, heading, paragraph

#: Marking no-shows and booking make-up days write appointments (and what waits to be sent).
END_OF_DAY_CHANGES = Changes.APPOINTMENTS | Changes.OUTBOX

ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _line(r: dict) -> str:
    parts = [
        r["name"],
        birth_text(r.get("dob"), r.get("birth_year")),
        r.get("hamlet") or "",
        r.get("phone") or "",
        f"ca {r['start']}" if r.get("start") else "",
    ]
    return " — ".join(p for p in parts if p)


class EndOfDayDialog(QDialog):
    """``state``: ``confirm`` (the list of who has not come), ``reconciled`` (marked absent; make-up offered),
    ``rescheduled`` (the make-up appointments made)."""

    changed = Signal()  # appointments were written (the pages learn it from the operation's changes)
    state_changed = Signal(str)

    def __init__(
        self,
        session: StationSession,
        day: date,
        site_id: str | None,
        site_name: str,
        expected: list[dict],
        unfinished: int,
        now: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.day = day
        self.site_id = site_id
        self.now = now
        self.state = "confirm"
        self.result_data: dict | None = None
        self.task: ops.Task | None = None
        self.setWindowTitle("Kết thúc ngày khám — KSK Desktop")
        self.setModal(True)
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(f"Kết thúc ngày khám {show_date(day)}", 1, self))
        layout.addWidget(paragraph(site_name, self, muted=True))
        self.summary_label = paragraph("", self)
        self.summary_label.setObjectName("endOfDaySummary")
        layout.addWidget(self.summary_label)
        self.people = QListWidget(self)
        self.people.setObjectName("endOfDayPeople")
        layout.addWidget(self.people, 1)
        self.makeup_row = QWidget(self)
        makeup = QHBoxLayout(self.makeup_row)
        makeup.setContentsMargins(0, 0, 0, 0)
        makeup.addWidget(QLabel("Ngày khám bù:", self.makeup_row))
        self.makeup_combo = QComboBox(self.makeup_row)
        self.makeup_combo.setObjectName("makeUpDay")
        makeup.addWidget(self.makeup_combo, 1)
        layout.addWidget(self.makeup_row)
        self.note_label = paragraph("", self, muted=True)
        layout.addWidget(self.note_label)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.error_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.mark_button = QPushButton("Ghi nhận vắng mặt", self)
        self.mark_button.setObjectName("markNoShows")
        self.mark_button.clicked.connect(self.mark_no_shows)
        self.makeup_button = QPushButton("Hẹn khám bù", self)
        self.makeup_button.setObjectName("makeUp")
        self.makeup_button.clicked.connect(self.make_up)
        self.close_button = QPushButton("Đóng", self)
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        for b in (self.mark_button, self.makeup_button, self.close_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)

        for r in expected:
            self.people.addItem(_line(r))
        if expected:
            text = (
                f"{len(expected)} người đã có lịch hẹn hôm nay nhưng chưa đến. Ghi nhận vắng mặt để hẹn họ "
                "khám bù; ai đến sau đó vẫn được tiếp nhận khám ngoài lịch."
            )
        else:
            text = "Mọi người có lịch hẹn hôm nay đều đã đến hoặc đã được ghi nhận vắng mặt."
        if unfinished:
            text += (
                f" Lưu ý: {unfinished} người đã tiếp đón nhưng chưa khám xong (vẫn giữ nguyên, không tính là "
                "vắng mặt)."
            )
        self.summary_label.setText(text)
        self.makeup_row.hide()
        self.makeup_button.hide()
        self.mark_button.setDefault(True)
        self.resize(720, 480)

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def _run(self, fn: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        self.error_label.clear_message()
        for b in (self.mark_button, self.makeup_button, self.close_button):
            b.setEnabled(False)

        def finish() -> None:
            for b in (self.mark_button, self.makeup_button, self.close_button):
                b.setEnabled(True)

        def done(result: Any) -> None:
            finish()
            on_done(result)

        def failed(exc: BaseException) -> None:
            finish()
            self.error_label.show_message(error_text(exc))

        self.task = ops.run_in_background(fn, done, failed, context=self, changes=END_OF_DAY_CHANGES)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)

    # -- 1. mark absent -----------------------------------------------------------------------------------------
    def mark_no_shows(self) -> None:
        if self.busy or self.state != "confirm":
            return
        ctx, day, site_id, now = self.session, self.day, self.site_id, self.now()
        self._run(lambda: reconcile.reconcile(ctx, day, site_id=site_id, now=now), self._reconciled)

    def _reconciled(self, data: dict) -> None:
        self.result_data = data
        self.changed.emit()
        c = data["counts"]
        self.summary_label.setText(
            f"Đã khám {c['examined']} người; vắng mặt {c['no_show']} người ({c['marked_now']} vừa ghi nhận)."
        )
        self.summary_label.setStyleSheet(OK_STYLE)
        self.people.clear()
        may_book = self.session.can(Perm.SCHEDULE_MANAGE)
        for r in data["no_show"]:
            item = QListWidgetItem(_line(r))
            item.setData(ID_ROLE, r["appointment_id"])
            if may_book:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked)
            self.people.addItem(item)
        self.mark_button.hide()
        self.makeup_combo.clear()
        for d in data["make_up_days"]:
            self.makeup_combo.addItem(f"{show_date(d.date)} — {d.site_name} (còn {d.free} chỗ)", d.id)
        offer = bool(data["no_show"]) and may_book and bool(data["make_up_days"])
        self.makeup_row.setVisible(offer)
        self.makeup_button.setVisible(offer)
        self.makeup_button.setDefault(offer)
        if data["no_show"] and not may_book:
            self.note_label.setText("Trưởng trạm hẹn khám bù cho những người vắng mặt (trang Lịch khám).")
        elif data["no_show"] and not data["make_up_days"]:
            self.note_label.setText(
                "Chưa có ngày khám nào còn chỗ để hẹn khám bù: thêm ngày khám ở trang Lịch khám."
            )
        else:
            self.note_label.setText("Bỏ chọn người không cần hẹn lại." if offer else "")
        self._set_state("reconciled")

    # -- 2. make-up day -------------------------------------------------------------------------------------------
    def chosen(self) -> list[str]:
        items = (self.people.item(i) for i in range(self.people.count()))
        return [it.data(ID_ROLE) for it in items if it.checkState() == Qt.CheckState.Checked]

    def make_up(self) -> None:
        if self.busy or self.state != "reconciled":
            return
        day_id, ids = self.makeup_combo.currentData(), self.chosen()
        if not day_id or not ids:
            self.error_label.show_message("Chọn ngày khám bù và ít nhất một người vắng mặt.")
            return
        ctx = self.session
        self._run(lambda: reconcile.reschedule_no_shows(ctx, day_id, appointment_ids=ids), self._rescheduled)

    def _rescheduled(self, data: dict) -> None:
        self.result_data = data
        self.changed.emit()
        day = data["make_up_day"]
        lines = [
            f"Đã hẹn khám bù {len(data['rescheduled'])} người vào ngày {show_date(day.date)} tại "
            f"{day.site_name}."
        ]
        lines += [f"Không hẹn lại được {x['name']}: {x['reason']}" for x in data["not_rescheduled"]]
        self.summary_label.setText("\n".join(lines))
        self.people.clear()
        for m in data["rescheduled"]:
            self.people.addItem(f"{m['name']} — {show_date(m['date'])} ca {m['start']}")
        self.makeup_row.hide()
        self.makeup_button.hide()
        self.note_label.clear()
        self.close_button.setDefault(True)
        self._set_state("rescheduled")

    def reject(self) -> None:
        if self.busy:
            return
        super().reject()
