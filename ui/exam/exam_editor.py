"""One exam on screen: the form in the centre, the live assessment on the right, the bar with save, sign-off,
amendment and printing below. Saves go section by section to ``records.save_section`` (autosave), the plan to
``plan.set_plan``; a conflict reloads the exam and keeps what the user typed, to re-apply with one click.

Every core call runs on the worker thread (``ui.ops``): opening, saving, signing, suggesting the plan. Before
another exam opens (or the exam is signed) the pending sections are saved, and only if they all were does it
go on. Operations announce what they changed (``ui.changes``), which refreshes the queue and the follow-ups."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QMenu, QPushButton, QSplitter, QVBoxLayout, QWidget

from ksk_desktop.dates import hhmm
from ksk_desktop.exams import plan, records, signing
from ksk_desktop.exams.errors import SigningBlocked, VersionConflict
from ksk_desktop.exams.forms import FormDef, load_form
from ksk_desktop.people import persons
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.dialog_owner import DialogOwner
from ui.exam import exam_printing
from ui.exam.amend_dialog import AmendDialog
from ui.exam.assessment_panel import AssessmentPanel
from ui.exam.autosave import AUTOSAVE_MS, SectionAutosave
from ui.exam.display import iso_date
from ui.exam.form_view import FormView
from ui.exam.plan_editor import PlanEditor
from ui.exam.section_pages import scrolling
from ui.exam.sign_dialog import ask_password
from ui.exam.sign_panel import SignPanel
from ui.messages import error_text, show_error
from ui.widgets import MessageLabel, heading

PLAN = plan.PLAN_SECTION


def blocked_text(exc: SigningBlocked) -> str:
    """What stands between the draft and its signature, one line each."""
    lines = []
    if exc.missing:
        lines.append("Còn thiếu các trường bắt buộc:")
        lines += [f"  • {m.get('section_title', m['section'])}: {m['label']}" for m in exc.missing]
    if exc.unconfirmed:
        lines.append("Cần kiểm tra và xác nhận giá trị bất thường (ô “Xác nhận” bên phải):")
        lines += [f"  • {u['message']}" for u in exc.unconfirmed]
    if exc.errors:
        lines.append("Cần sửa:")
        lines += [f"  • {e}" for e in exc.errors]
    return "\n".join(lines) or exc.message


class ExamEditor(QWidget):
    opened = Signal()  # an exam was opened (or reloaded) and is on screen
    open_failed = Signal(str)  # it could not be opened (the reason is shown)
    sign_finished = Signal(bool)  # a sign-off ended: signed, or not (the reason is shown)

    def __init__(self, parent: QWidget | None = None, autosave_ms: int = AUTOSAVE_MS) -> None:
        super().__init__(parent)
        self.ctx: StationSession | None = None
        self.state: records.ExamState | None = None
        self.form_def: FormDef | None = None
        self.person: persons.PersonRecord | None = None
        self.pending_reapply: tuple[str, dict[str, Any]] | None = None
        self.plan_editor: PlanEditor | None = None
        self.dialogs = DialogOwner()  # the sign-off password, the amendment
        self.task: ops.Task | None = None  # opening, signing, suggesting (one at a time)
        self.confirming: dict[str, set[str]] = {}  # per section: implausible values the user confirmed
        self.autosave = SectionAutosave(lambda section, done: self._save(section, done), self, autosave_ms)

        self.header = heading("Chọn một người ở danh sách bên trái để mở phiếu khám.", 2, self)
        self.header.setObjectName("examHeader")
        self.header.setWordWrap(True)
        self.conflict_bar = QWidget(self)
        bar = QHBoxLayout(self.conflict_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        self.conflict_label = MessageLabel(self.conflict_bar, "color: #8a5a00;")
        self.conflict_label.setObjectName("conflictLabel")
        self.reapply_button = QPushButton("Áp dụng lại phần tôi đã nhập", self.conflict_bar)
        self.reapply_button.setObjectName("reapplyButton")
        self.reapply_button.clicked.connect(self.reapply)
        bar.addWidget(self.conflict_label, 1)
        bar.addWidget(self.reapply_button)
        self.conflict_bar.hide()
        self.form = FormView(self)
        self.form.edited.connect(self.autosave.mark)
        self.form.section_left.connect(self.autosave.save_now)
        self.bar = SignPanel(self)
        self.assessment = AssessmentPanel(self)
        self.assessment.confirm_requested.connect(self.confirm)
        self.assessment.field_requested.connect(self.form.focus_field)

        centre = QWidget(self)
        column = QVBoxLayout(centre)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.header)
        column.addWidget(self.conflict_bar)
        column.addWidget(self.form, 1)
        column.addWidget(self.bar)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(centre)
        split.addWidget(self.assessment)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        self.assessment.setMinimumWidth(300)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.bar.save_button.clicked.connect(lambda: self.save_all())
        self.bar.sign_button.clicked.connect(lambda: self.request_sign())
        self.bar.amend_button.clicked.connect(lambda: self.open_amend())
        self.bar.print_button.clicked.connect(lambda: self.print_slip())
        self.bar.referral_button.clicked.connect(self._print_referral_clicked)
        shortcut = QShortcut(QKeySequence.StandardKey.Save, self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(lambda: self.save_all())
        self.form.setEnabled(False)

    # -- session and opening -------------------------------------------------------------------------------------
    @property
    def exam_id(self) -> str | None:
        return self.state.document["id"] if self.state else None

    @property
    def document(self) -> dict:
        return self.state.document if self.state else {}

    @property
    def busy(self) -> bool:
        """Opening, signing or saving is on its way."""
        return (self.task is not None and not self.task.done) or self.autosave.busy

    def set_session(self, ctx: StationSession | None) -> None:
        if ctx is None and self.ctx is not None and not self.ctx.closing and self.state:
            # Locking: what was typed is saved, on the worker, before the session closes behind it.
            self.autosave.flush()
        self.dialogs.close_all()
        self.ctx = ctx
        self.task = None
        self.autosave.reset()
        self.confirming.clear()
        self.state, self.form_def, self.person = None, None, None
        self.form.forget()
        self.plan_editor = None
        self.form.setEnabled(False)
        self.header.setText("Chọn một người ở danh sách bên trái để mở phiếu khám.")
        self.conflict_bar.hide()
        self.assessment.show_state(None)
        self.bar.update_for(ctx, None)
        self.bar.saved_label.clear_message()
        self.bar.error_label.clear_message()

    def _start(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        changes: Changes = Changes.NONE,
    ) -> None:
        ctx = self.ctx

        def done(result: Any) -> None:
            if ctx is self.ctx:
                on_done(result)

        def failed(exc: BaseException) -> None:
            if ctx is self.ctx:
                on_error(exc)

        self.task = ops.run_in_background(fn, done, failed, context=self, changes=changes)

    def _open_failed(self, exc: BaseException) -> None:
        text = error_text(exc)
        self.bar.error_label.show_message(text)
        self.open_failed.emit(text)

    def open_person(self, person_id: str, appointment_id: str | None = None) -> None:
        """Today's exam of the person: the one already started (or signed) today, else a new draft (in the
        background, after the pending sections are saved; ``opened`` or ``open_failed`` follows)."""
        ctx = self.ctx
        if ctx is None:
            return
        today = ctx.clock.today()

        def go() -> None:
            self._start(
                lambda: open_today(ctx, person_id, appointment_id, today),
                self._open,
                self._open_failed,
                changes=Changes.EXAMS,  # perhaps a new draft
            )

        self.leave(go)

    def load_exam(self, exam_id: str, version: int | None = None) -> None:
        """Show *exam_id* (its *version*, or the latest), after saving what is pending if it is another exam."""
        ctx = self.ctx
        if ctx is None:
            return

        def go() -> None:
            self._start(lambda: load_with_person(ctx, exam_id, version), self._open, self._open_failed)

        if exam_id == self.exam_id:
            go()
        else:
            self.leave(go)

    def leave(self, then: Callable[[], None]) -> None:
        """Save what is pending, then ``then()`` — only if everything was saved (else the error is shown)."""
        self.autosave.flush(lambda ok: then() if ok else None)

    def _open(self, opened: tuple[records.ExamState, persons.PersonRecord]) -> None:
        state, person = opened
        ctx = self.ctx
        doc = state.document
        self.autosave.reset()
        self.confirming.clear()
        self.conflict_bar.hide()
        self.pending_reapply = None
        self.person = person
        self.form_def = load_form(doc["form"], doc["form_version"])
        rebuilt = self.form.build(self.form_def, self.person.sex, ctx.can, ctx.paths.root)
        if rebuilt:
            self.plan_editor = None
        if rebuilt and ctx.can(Perm.EXAM_WRITE) and ctx.can(Perm.HEALTH_READ):
            self.plan_editor = PlanEditor(self.form)
            self.form.addTab(
                scrolling(self.plan_editor), "Chuyển tuyến, theo dõi"
            )  # scrolls on a small screen
            self.plan_editor.edited.connect(lambda: self.autosave.mark(PLAN))
            self.plan_editor.save_requested.connect(
                lambda: self.autosave.mark(PLAN) or self.autosave.save_now(PLAN)
            )
            self.plan_editor.suggest_requested.connect(self.suggest_plan)
        self.form.setEnabled(True)
        self.bar.saved_label.clear_message()
        self.bar.error_label.clear_message()
        self._show(state)
        # Where this user has work: the first required field still empty that they may fill (the doctor opening
        # a draft whose vitals the nurse took lands on the first specialty), else the first field they may fill.
        first = self.form.first_to_fill([m["key"] for m in state.missing_required])
        if first is not None and self.document.get("status") == "draft":
            self.form.focus_field(first.field.key)
        self.opened.emit()

    def _show(self, state: records.ExamState, sections: list[str] | None = None) -> None:
        """Show *state*: the values (of *sections*, or all), the assessment, the bar, the header."""
        self.state = state
        doc = state.document
        signed = doc["status"] == "signed"
        self.form.load(doc, sections)
        self.form.set_all_read_only(signed)
        if self.plan_editor is not None and (sections is None or PLAN in sections):
            self.plan_editor.set_plan(doc.get("referrals") or [], doc.get("followups") or [])
        if self.plan_editor is not None:
            self.plan_editor.set_read_only(signed)
        self.assessment.show_state(state, read_only=signed)
        self.bar.update_for(self.ctx, state)
        status = "Đã ký" if signed else "Bản nháp"
        self.header.setText(
            f"{self.person.name} — {persons.sex_label(self.person.sex)} — "
            f"ngày khám {iso_date(doc['exam_date'])} — {self.form_def.title} — phiên bản {doc['version']}"
            f" — {status}"
        )

    # -- saving ------------------------------------------------------------------------------------------------------
    def _save(self, section: str, done: Callable[[bool], None]) -> None:
        """Start saving *section* (with the values confirmed there) in the background; ``done(ok)`` when back."""
        ctx, state, exam_id = self.ctx, self.state, self.exam_id
        if ctx is None or state is None or state.document["status"] != "draft":
            done(False)
            return
        confirm = sorted(self.confirming.pop(section, set()))
        expected = state.section_versions.get(section, 0)
        fn: Callable[[], records.ExamState]
        if section == PLAN:
            if self.plan_editor is None:
                done(True)
                return
            referrals, followups = self.plan_editor.plan()
            fn = lambda: plan.set_plan(  # noqa: E731
                ctx, exam_id, referrals, followups, expected_version=expected
            )
        else:
            values = self.form.section_values(section) if self.form.editable(section) else {}
            fn = lambda: records.save_section(  # noqa: E731
                ctx, exam_id, section, values, expected_version=expected, confirm=confirm
            )

        def saved(new: records.ExamState) -> None:
            if exam_id != self.exam_id:
                done(False)
                return
            if self.autosave.edited_during_save(section):
                self._show(new, [])  # typed again meanwhile: keep what is on screen, it is saved next
            else:
                self.form.saved(section)
                self._show(new, [section])
            self.bar.error_label.clear_message()
            self.bar.saved_label.show_message(f"Đã lưu lúc {hhmm(ctx.clock.local_now())}")
            done(True)

        def failed(exc: BaseException) -> None:
            if exam_id == self.exam_id:
                if not isinstance(exc, VersionConflict):  # try them again with the next save
                    self.confirming.setdefault(section, set()).update(confirm)
                if isinstance(exc, VersionConflict):
                    self._conflict(section, exc)
                else:
                    self.bar.saved_label.clear_message()
                    self.bar.error_label.show_message(error_text(exc))
            done(False)

        changes = Changes.EXAMS | (Changes.FOLLOWUPS if section == PLAN else Changes.NONE)
        ops.run_in_background(fn, saved, failed, context=self, changes=changes)

    def save_all(self, then: Callable[[bool], None] | None = None) -> None:
        """Ctrl+S: save every section with unsaved edits (``then(ok)`` once they are back)."""
        self.autosave.flush(then)

    def confirm(self, field: str) -> None:
        """The user confirms an implausible value (with the section's pending edits, if any)."""
        if self.form_def is None:
            return
        section = self.form_def.field(field).section
        self.confirming.setdefault(section, set()).add(field)
        self.autosave.mark(section)  # saved at once, after any save of the section on its way
        self.autosave.flush(lambda _ok: None)

    def _conflict(self, section: str, exc: VersionConflict) -> None:
        """Someone saved *section* meanwhile: reload, keep what the user typed there to re-apply, and keep the
        other unsaved sections as typed."""
        mine = (
            self.plan_editor.plan()
            if section == PLAN and self.plan_editor
            else self.form.section_values(section)
        )
        others = {
            sid: self.form.section_values(sid) for sid in self.autosave.dirty if sid not in (section, PLAN)
        }
        self.autosave.reset()
        self.confirming.clear()
        ctx, exam_id = self.ctx, self.exam_id

        def reloaded(fresh: records.ExamState) -> None:
            self._show(fresh)
            for sid, values in others.items():
                self.form.put_values(values)
                self.autosave.mark(sid)
            self.pending_reapply = (section, mine)
            self.conflict_label.show_message(
                f"{exc.message} Đã tải lại bản mới nhất; phần bạn vừa nhập vẫn được "
                "giữ lại: bấm “Áp dụng lại” để ghi đè bằng phần của bạn."
            )
            self.conflict_bar.show()

        self._start(
            lambda: records.load(ctx, exam_id),
            reloaded,
            lambda reload_error: self.bar.error_label.show_message(error_text(reload_error)),
        )

    def reapply(self) -> None:
        if self.pending_reapply is None:
            return
        section, mine = self.pending_reapply
        self.pending_reapply = None
        self.conflict_bar.hide()
        if section == PLAN and self.plan_editor is not None:
            self.plan_editor.set_plan(*mine)
        else:
            self.form.put_values(mine)
        self.autosave.mark(section)
        self.autosave.save_now(section)

    # -- plan ----------------------------------------------------------------------------------------------------------
    def suggest_plan(self) -> None:
        if self.ctx is None or self.exam_id is None or self.plan_editor is None:
            return
        ctx, exam_id = self.ctx, self.exam_id

        def suggested(result: dict) -> None:
            if self.plan_editor is None or exam_id != self.exam_id:
                return
            self.plan_editor.set_plan(result["referrals"], result["followups"])
            self.plan_editor.error_label.show_message(
                ""
                if result["referrals"] or result["followups"]
                else "Kết quả khám không cần chuyển tuyến hay theo dõi thêm."
            )
            self.autosave.mark(PLAN)

        def failed(exc: BaseException) -> None:
            if self.plan_editor is not None:
                self.plan_editor.error_label.show_message(error_text(exc))

        self.leave(lambda: self._start(lambda: plan.suggest_for(ctx, exam_id), suggested, failed))

    # -- signing, amending, printing -------------------------------------------------------------------------------------
    def request_sign(self) -> None:
        if self.state is None:
            return

        def ask_to_sign() -> None:
            dialog = ask_password(
                self,
                "Ký xác nhận phiếu khám",
                f"Ký xác nhận phiếu khám của {self.person.name}? Sau khi ký, phiếu không sửa được "
                "nữa; muốn sửa phải lập phiếu đính chính có ghi lý do.",
                self.sign_now,
                "Ký xác nhận",
                cert_password=True,
            )
            self.dialogs.adopt("sign", dialog)

        self.leave(ask_to_sign)

    def sign_now(self, password: str, cert_password: str | None = None) -> None:
        """Sign the exam in the background (after saving what is pending) with the doctor's key, opened by their
        *password* on the worker (Argon2id), and their QĐ 1551 certificate if the station has one (opened by
        *cert_password*, or by *password* when None); ``sign_finished(signed)`` follows."""
        ctx, exam_id = self.ctx, self.exam_id
        if ctx is None or exam_id is None:
            return

        def signed(opened: tuple[records.ExamState, persons.PersonRecord]) -> None:
            self._open(opened)
            self.bar.saved_label.show_message("Đã ký xác nhận phiếu khám.")
            self.sign_finished.emit(True)

        def reloaded(opened: tuple[records.ExamState, persons.PersonRecord]) -> None:
            self._open(opened)
            self.sign_finished.emit(False)

        def refused(exc: BaseException) -> None:
            if isinstance(exc, SigningBlocked):
                show_error(self, "Chưa ký được phiếu khám", blocked_text(exc))
                # What blocks it is shown again (missing fields, values to confirm) before saying so.
                self._start(lambda: load_with_person(ctx, exam_id), reloaded, self._open_failed)
                return
            show_error(self, "Không ký được phiếu khám", exc)
            self.sign_finished.emit(False)

        def sign() -> tuple[records.ExamState, persons.PersonRecord]:
            signing.sign(ctx, exam_id, password, cert_password=cert_password)
            return load_with_person(ctx, exam_id)

        def start() -> None:
            self._start(sign, signed, refused, changes=SIGN_CHANGES)

        self.autosave.flush(lambda ok: start() if ok else self.sign_finished.emit(False))

    def open_amend(self) -> AmendDialog | None:
        if self.ctx is None or self.state is None:
            return None
        dialog = AmendDialog(self.ctx, self.document, self.person.sex, self)
        dialog.amended.connect(lambda doc: self.load_exam(doc["id"]))
        return self.dialogs.open("amend", dialog)

    @property
    def dialog(self) -> AmendDialog | None:
        """The amendment being written, or None."""
        return self.dialogs.get("amend")

    def print_slip(self) -> ops.Task | None:
        if self.ctx is not None and self.state is not None:
            return exam_printing.print_result_slip(self, self.ctx, self.document, self.person.name)
        return None

    def print_referral(self, referral_id: str) -> ops.Task | None:
        if self.ctx is not None and self.state is not None:
            return exam_printing.print_referral_slip(
                self, self.ctx, self.document, referral_id, self.person.name
            )
        return None

    def _print_referral_clicked(self) -> None:
        referrals = self.document.get("referrals") or []
        if len(referrals) == 1:
            self.print_referral(referrals[0]["id"])
            return
        menu = QMenu(self)
        for r in referrals:
            menu.addAction(
                f"{r['destination']}: {r['reason'][:60]}", lambda rid=r["id"]: self.print_referral(rid)
            )
        menu.popup(self.bar.referral_button.mapToGlobal(self.bar.referral_button.rect().bottomLeft()))


#: Signing makes the exam final, may create follow-ups and referrals, and queues it for the hub.
SIGN_CHANGES = Changes.EXAMS | Changes.FOLLOWUPS | Changes.APPOINTMENTS | Changes.OUTBOX


def load_with_person(
    ctx: StationSession, exam_id: str, version: int | None = None
) -> tuple[records.ExamState, persons.PersonRecord]:
    """Worker thread: the exam's state and its person's record (an audited read)."""
    state = records.load(ctx, exam_id, version)
    return state, persons.get_person(ctx, state.document["person_id"])


def open_today(
    ctx: StationSession, person_id: str, appointment_id: str | None, today: date
) -> tuple[records.ExamState, persons.PersonRecord]:
    """Worker thread: the person's exam of *today* — the one already started (or signed), else a new draft."""
    started = (
        records.list_exams(ctx, person_id=person_id, exam_date=today) if ctx.can(Perm.HEALTH_READ) else []
    )
    if started:
        state = records.load(ctx, started[0]["id"])
    else:
        state = records.open_draft(ctx, person_id, appointment_id=appointment_id)
    return state, persons.get_person(ctx, person_id)
