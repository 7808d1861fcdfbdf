"""The exam form generated from its definition: one page per section, chosen from the list of sections on the
left (in the definition's order, marked with the role that fills it), one editor per field in the definition's order, which is also the Tab order. Enter moves to
the next field and, at the end of a section, to the first field of the next section the user may fill. Sections
the user may not fill are read-only, and say so, before anyone types."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from ksk_desktop.exams.forms import FieldDef, FormDef, SectionDef
from ksk_desktop.security.roles import Perm
from ui.exam.field_editors import EnterMovesOn, FieldEditor, make_editor
from ui.exam.section_pages import SectionPages
from ui.widgets import paragraph

ROLE_NAMES = {"vitals": "Điều dưỡng", "doctor": "Bác sĩ", "conclusion": "Bác sĩ kết luận"}
READ_ONLY_NOTE = "Chỉ xem: phần này do {who} nhập, tài khoản của bạn không nhập được."


class FormView(SectionPages):
    """``edited(section_id)`` when the user changes a field; ``section_left(section_id)`` when the focus leaves
    a section."""

    edited = Signal(str)
    section_left = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("examForm")
        self.form: FormDef | None = None
        self.sections: list[SectionDef] = []
        self.editors: dict[str, FieldEditor] = {}
        self.section_editors: dict[str, list[FieldEditor]] = {}
        self.pages: dict[str, QWidget] = {}
        self.allowed: dict[str, bool] = {}
        #: Fields typed in since the section was last saved: a save sends only these, so two people filling
        #: different fields of one section do not blank each other's.
        self.touched: dict[str, set[str]] = {}
        self._all_read_only = False
        self._current = -1
        self._built_key: tuple | None = None
        self._enter = EnterMovesOn(self.move_from, self)
        self.currentChanged.connect(self._tab_changed)

    # -- building --------------------------------------------------------------------------------------------------
    def build(
        self, form: FormDef, sex: str | None, can: Callable[[Perm], bool], data_dir: Path | None = None
    ) -> bool:
        """Make the tabs and editors of *form* for a person of *sex*, for a user with the permissions *can*.
        The same form for the same kind of person and user is kept (only emptied): building one takes ~100 ms.
        Returns whether the tabs were made anew."""
        key = (form.form, form.form_version, sex, tuple(can(s.perm) for s in form.sections), data_dir)
        if key == self._built_key and self.count():
            self.blockSignals(True)
            self.touched = {}
            self.load({"values": {}})
            self.set_all_read_only(False)
            self._current = 0
            self.setCurrentIndex(0)
            self.blockSignals(False)
            return False
        self.forget()
        self._built_key = key
        self.blockSignals(True)
        self.form = form
        self.sections = [s for s in form.sections if s.applies(sex)]
        self.editors, self.section_editors, self.pages, self.allowed, self.touched = {}, {}, {}, {}, {}
        for section in self.sections:
            allowed = can(section.perm)
            self.allowed[section.id] = allowed
            page = self._section_page(
                section,
                [f for f in section.fields if f.applies(sex)],
                allowed,
                form.roles.get(section.role),
                data_dir,
            )
            self.pages[section.id] = page
            title = section.title if allowed else f"{section.title} (chỉ xem)"
            index = self.addTab(page, title)
            self.setTabToolTip(
                index,
                f"{ROLE_NAMES.get(section.role, section.role)}: "
                f"{form.roles.get(section.role) or section.role}",
            )
        self._all_read_only = False
        self._current = 0 if self.sections else -1
        self.setCurrentIndex(0)
        self.blockSignals(False)
        return True

    def forget(self) -> None:
        """Remove every tab (a locked screen shows nothing of the last exam)."""
        self.blockSignals(True)
        while self.count():
            page = self.widget(0)
            self.removeTab(0)
            page.deleteLater()
        self.blockSignals(False)
        self._built_key = None
        self.editors, self.section_editors, self.pages, self.allowed, self.touched = {}, {}, {}, {}, {}

    def _section_page(
        self,
        section: SectionDef,
        fields: list[FieldDef],
        allowed: bool,
        role_text: str | None,
        data_dir: Path | None,
    ) -> QWidget:
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setObjectName(f"section:{section.id}")
        inner = QWidget(scroll)
        box = QVBoxLayout(inner)
        who = role_text or ROLE_NAMES.get(section.role, section.role)
        role = paragraph(
            f"Người nhập: {who}" if allowed else READ_ONLY_NOTE.format(who=who.lower()), inner, muted=allowed
        )
        role.setObjectName("sectionRole")
        if not allowed:
            role.setStyleSheet("color: #8a5a00; font-weight: bold;")
        box.addWidget(role)
        if section.note:
            box.addWidget(paragraph(section.note, inner, muted=True))
        grid = QFormLayout()
        grid.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        editors: list[FieldEditor] = []
        for f in fields:
            editor = make_editor(f, inner)
            if data_dir is not None and hasattr(editor, "picker"):
                editor.picker.data_dir = data_dir
            label = QLabel(f.label + (" *" if f.required else ""), inner)
            label.setWordWrap(True)
            label.setBuddy(editor.focus_widget)
            if f.note:
                label.setToolTip(f.note)
            grid.addRow(label, editor.widget)
            editor.set_read_only(not allowed)
            editor.changed.connect(lambda s=section.id, k=f.key: self._touch(s, k))
            if hasattr(editor, "picker"):
                editor.picker.move_on = lambda w=editor.focus_widget: self.move_from(w)
            else:
                editor.focus_widget.installEventFilter(self._enter)
            self.editors[f.key] = editor
            editors.append(editor)
        chain = [w for e in editors for w in e.tab_widgets()]
        for a, b in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(a, b)
        self.section_editors[section.id] = editors
        box.addLayout(grid)
        box.addStretch(1)
        scroll.setWidget(inner)
        return scroll

    # -- values ----------------------------------------------------------------------------------------------------
    def load(self, doc: dict, sections: list[str] | None = None) -> None:
        """Show the document's values (of *sections*, or all); only fields whose shown value differs are
        touched, so the cursor of a field being typed in stays where it is."""
        values = doc.get("values") or {}
        if sections is None:
            self.touched = {}
        for sid, editors in self.section_editors.items():
            if sections is not None and sid not in sections:
                continue
            for editor in editors:
                f = editor.field
                value = doc.get(f.key) if f.document_key else values.get(f.key)
                if (f.key == "conclusion.health_class" or f.type == "class") and getattr(
                    editor, "reason_edit", None
                ) is None:  # a class with a reason keeps it
                    value = value.get("class") if isinstance(value, dict) else value
                if not _same(editor, value):
                    editor.set_value(value)

    def _touch(self, section_id: str, key: str) -> None:
        self.touched.setdefault(section_id, set()).add(key)
        self.edited.emit(section_id)

    def section_values(self, section_id: str) -> dict[str, Any]:
        """The fields of the section typed in since its last save, for ``records.save_section``."""
        keys = self.touched.get(section_id, set())
        return {
            e.field.key: e.value() for e in self.section_editors.get(section_id, []) if e.field.key in keys
        }

    def saved(self, section_id: str) -> None:
        self.touched.pop(section_id, None)

    def put_values(self, values: dict[str, Any]) -> None:
        """Put *values* (as returned by :meth:`section_values`) back into the editors, as if typed."""
        for key, value in values.items():
            editor = self.editors.get(key)
            if editor is not None:
                editor.set_value(value)
                self.touched.setdefault(editor.field.section, set()).add(key)

    # -- state -----------------------------------------------------------------------------------------------------
    def editable(self, section_id: str) -> bool:
        return self.allowed.get(section_id, False) and not self._all_read_only

    def set_all_read_only(self, read_only: bool) -> None:
        """A signed exam: nothing can be typed (a correction is an amendment)."""
        self._all_read_only = read_only
        for sid, editors in self.section_editors.items():
            for editor in editors:
                editor.set_read_only(read_only or not self.allowed[sid])

    def section_index(self, section_id: str) -> int:
        return next((i for i, s in enumerate(self.sections) if s.id == section_id), -1)

    def focus_field(self, key: str) -> bool:
        editor = self.editors.get(key)
        if editor is None:
            return False
        self.setCurrentIndex(self.section_index(editor.field.section))
        self.widget(self.currentIndex()).ensureWidgetVisible(editor.widget)
        editor.focus_widget.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def first_to_fill(self, missing: list[str]) -> FieldEditor | None:
        """The first of the *missing* required fields this user may fill, else the first editable field."""
        for key in missing:
            editor = self.editors.get(key)
            if editor is not None and self.editable(editor.field.section):
                return editor
        return self.first_editable()

    def first_editable(self) -> FieldEditor | None:
        for section in self.sections:
            if self.editable(section.id) and self.section_editors[section.id]:
                return self.section_editors[section.id][0]
        return None

    # -- keyboard --------------------------------------------------------------------------------------------------
    def move_from(self, widget: QWidget) -> None:
        """Enter in *widget*: the next field of its section, else the first field of the next editable section."""
        order = [(s.id, e) for s in self.sections for e in self.section_editors[s.id]]
        at = next((i for i, (_, e) in enumerate(order) if e.focus_widget is widget), None)
        if at is None:
            return
        section = order[at][0]
        for sid, editor in order[at + 1 :]:
            if sid == section or self.editable(sid):
                if editor.focus_widget.isEnabled():
                    self.focus_field(editor.field.key)
                    return

    def _tab_changed(self, index: int) -> None:
        previous, self._current = self._current, index
        if 0 <= previous < len(self.sections) and previous != index:
            self.section_left.emit(self.sections[previous].id)


def _same(editor: FieldEditor, value: Any) -> bool:
    """Whether *editor* already shows *value* (as it would after ``set_value``)."""
    shown = editor.value()
    if editor.field.type == "diagnoses":
        return [d["code"] for d in shown] == [d["code"] for d in value or []] and [
            d["primary"] for d in shown
        ] == [bool(d.get("primary")) for d in value or []]
    if value is None or value == "":
        return shown in (None, "")
    if editor.field.type in ("number", "integer") and isinstance(shown, str):
        try:
            return float(shown.replace(",", ".")) == float(value)
        except ValueError:
            return False
    if editor.field.type == "date" and isinstance(shown, str):
        return shown == "/".join(reversed(str(value)[:10].split("-")))
    return shown == value
