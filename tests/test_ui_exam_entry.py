"""The Khám page on a real station, driven with the keyboard: the form generated from the definition (fields and
Tab order), Enter moving on, vitals typed and autosaved into the core, implausible values to confirm, missing
fields listed and blocking the signature, the ICD-10 picker, what the nurse may not fill, and a save conflict
with another doctor that keeps what was typed."""

from __future__ import annotations

from datetime import date

import exam_ui_support as support
from exam_support import DOCTOR2, INTERNAL, staff
from exam_ui_support import editor_of, load_exam, make_page, message_boxes, open_exam, sign, wait_saved
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from testkit.keys import type_text

from ksk_desktop.exams import records
from ksk_desktop.exams.forms import load_form

world, doctor, nurse = support.world, support.doctor, support.nurse  # the shared fixtures

RETURN = Qt.Key.Key_Return


def typed(qtbot, widget, text: str) -> None:
    """Type *text* then Enter into the widget that has the focus (it must be *widget*)."""
    assert QApplication.focusWidget() is widget
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, RETURN)


def test_form_has_the_definition_fields_in_tab_order(qtbot, world, doctor):
    page = make_page(qtbot, doctor)
    open_exam(qtbot, page, world[1])
    form = page.editor.form
    adult = load_form("adult")
    sections = [s for s in adult.sections if s.applies("M")]  # the person is a man: no obstetrics section
    assert [form.tabText(i).removesuffix(" (chỉ xem)") for i in range(len(sections))] == [
        s.title for s in sections
    ]
    for s in sections:
        assert [e.field.key for e in form.section_editors[s.id]] == [
            f.key for f in s.fields if f.applies("M")
        ]
    # Tab walks the physique section in the definition's order, units beside the numbers.
    physique = form.section_editors["physique"]
    form.focus_field("height_cm")
    for here in physique[:-1]:
        assert QApplication.focusWidget() is here.focus_widget
        QTest.keyClick(here.focus_widget, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is physique[-1].focus_widget
    # Enter at the end of a section goes on to the first field of the next one.
    QTest.keyClick(physique[-1].focus_widget, RETURN)
    assert form.sections[form.currentIndex()].id == "internal"
    assert QApplication.focusWidget() is editor_of(page, "internal.circulation").focus_widget


def test_nurse_types_vitals_with_the_keyboard_and_autosave_stores_them(qtbot, world, nurse, doctor):
    page = make_page(qtbot, nurse)
    open_exam(qtbot, page, world[1])
    form = page.editor.form
    assert form.editable("physique") and not form.editable("conclusion") and not form.editable("eyes")
    assert "(chỉ xem)" in form.tabText(form.section_index("conclusion"))
    assert not page.editor.bar.sign_button.isVisible()  # only a doctor signs
    assert "không xem được kết quả phân loại" in page.editor.assessment.summary.text()
    form.focus_field("height_cm")
    typed(qtbot, editor_of(page, "height_cm").focus_widget, "165")
    typed(qtbot, editor_of(page, "weight_kg").focus_widget, "60,5")
    QTest.keyClick(editor_of(page, "chest_cm").focus_widget, RETURN)  # not measured: Enter skips it
    for key, text in (("pulse", "72"), ("systolic", "120"), ("diastolic", "80")):
        typed(qtbot, editor_of(page, key).focus_widget, text)
    assert QApplication.focusWidget() is editor_of(page, "physique.temperature_c").focus_widget
    wait_saved(qtbot, page)
    assert page.editor.bar.saved_label.text().startswith("Đã lưu lúc ")
    values = records.load(doctor, page.editor.exam_id).document["values"]
    assert {k: values[k] for k in ("height_cm", "weight_kg", "pulse", "systolic", "diastolic")} == {
        "height_cm": 165,
        "weight_kg": 60.5,
        "pulse": 72,
        "systolic": 120,
        "diastolic": 80,
    }
    # The nurse's screen cannot write the conclusion; the core refuses it too.
    assert editor_of(page, "conclusion").edit.isReadOnly()
    assert not editor_of(page, "diagnoses").picker.search_edit.isEnabled()
    assert not editor_of(page, "conclusion.health_class").combo.isEnabled()


def test_implausible_blood_pressure_must_be_confirmed_before_signing(qtbot, world, doctor):
    page = make_page(qtbot, doctor)
    open_exam(qtbot, page, world[1])
    exam_id = page.editor.exam_id
    form = page.editor.form
    form.focus_field("height_cm")
    for key, text in (
        ("height_cm", "165"),
        ("weight_kg", "60"),
        ("chest_cm", ""),
        ("pulse", "72"),
        ("systolic", "300"),
        ("diastolic", "20"),
    ):
        typed(qtbot, editor_of(page, key).focus_widget, text)
    wait_saved(qtbot, page)
    boxes = page.editor.assessment.confirm_boxes
    assert set(boxes) == {"systolic", "diastolic"}
    assert "300" in boxes["systolic"].text() and "xác nhận" in boxes["systolic"].text()
    # The rest of the exam filled by the doctor through the core, then the page reloaded.
    from exam_support import fill_adult

    fill_adult(
        doctor,
        exam_id,
        vitals={"height_cm": 165, "weight_kg": 60, "pulse": 72, "systolic": 300, "diastolic": 20},
    )
    st = records.load(doctor, exam_id)  # circulation classed as the measurements say (IV)
    records.save_section(
        doctor,
        exam_id,
        "internal",
        {"internal.circulation_class": 4},
        expected_version=st.section_versions["internal"],
    )
    load_exam(qtbot, page, exam_id)
    assert not sign(qtbot, page)
    (box,) = message_boxes()
    assert "Cần kiểm tra và xác nhận" in box.text() and "300 mmHg" in box.text()
    box.close()
    assert records.load(doctor, exam_id).document["status"] == "draft"
    for field in ("systolic", "diastolic"):
        page.editor.assessment.confirm_boxes[field].setChecked(True)
    wait_saved(qtbot, page)
    assert page.editor.assessment.confirm_boxes == {}
    assert sign(qtbot, page)
    assert records.load(doctor, exam_id).document["status"] == "signed"


def test_missing_required_fields_are_listed_and_block_signing(qtbot, world, doctor):
    page = make_page(qtbot, doctor)
    open_exam(qtbot, page, world[1])
    missing = page.editor.assessment.missing
    keys = page.editor.assessment.missing_keys()
    assert {"height_cm", "systolic", "eyes.class", "internal.circulation_class"} <= set(keys)
    row = keys.index("eyes.class")
    assert missing.item(row).text() == "Mắt: Mắt: phân loại"
    qtbot.mouseClick(
        missing.viewport(), Qt.MouseButton.LeftButton, pos=missing.visualItemRect(missing.item(row)).center()
    )
    assert page.editor.form.sections[page.editor.form.currentIndex()].id == "eyes"
    assert QApplication.focusWidget() is editor_of(page, "eyes.class").focus_widget
    QTest.keyClicks(QApplication.focusWidget(), "2")  # the class combo selects by the digit typed
    assert editor_of(page, "eyes.class").value() == 2
    wait_saved(qtbot, page)
    assert "eyes.class" not in page.editor.assessment.missing_keys()
    assert not sign(qtbot, page)
    (box,) = message_boxes()
    assert (
        "Còn thiếu các trường bắt buộc" in box.text()
        and "Thể lực và chỉ số sinh tồn: Chiều cao" in box.text()
    )
    box.close()
    assert records.load(doctor, page.editor.exam_id).document["status"] == "draft"


def test_diagnosis_picker_finds_by_text_without_diacritics_and_refuses_unknown_codes(qtbot, world, doctor):
    page = make_page(qtbot, doctor)
    open_exam(qtbot, page, world[1])
    page.editor.form.focus_field("diagnoses")
    picker = editor_of(page, "diagnoses").picker
    QTest.keyClicks(picker.search_edit, "tang huyet ap")
    qtbot.waitUntil(lambda: picker.results.count() > 0, timeout=3_000)
    assert picker.results.item(0).text().startswith("I10")
    QTest.keyClick(picker.search_edit, RETURN)
    assert picker.codes() == ["I10"] and picker.search_edit.text() == ""
    QTest.keyClicks(picker.search_edit, "e11")
    QTest.keyClick(picker.search_edit, RETURN)
    assert picker.codes() == ["I10", "E11"]
    QTest.keyClicks(picker.search_edit, "U99.9")
    qtbot.waitUntil(lambda: not picker.timer.isActive(), timeout=3_000)
    QTest.keyClick(picker.search_edit, RETURN)
    assert picker.error_label.isVisible() and "U99.9" in picker.error_label.text()
    assert picker.codes() == ["I10", "E11"]
    wait_saved(qtbot, page)
    doc = records.load(doctor, page.editor.exam_id).document
    assert [(d["code"], d["primary"]) for d in doc["diagnoses"]] == [("I10", True), ("E11", False)]
    # Make the second one the main diagnosis.
    picker.chosen.setCurrentRow(1)
    picker.primary_button.click()
    wait_saved(qtbot, page)
    doc = records.load(doctor, page.editor.exam_id).document
    assert [(d["code"], d["primary"]) for d in doc["diagnoses"]] == [("I10", False), ("E11", True)]


def test_a_conflict_reloads_and_keeps_what_was_typed(qtbot, world, doctor):
    page = make_page(qtbot, doctor)
    open_exam(qtbot, page, world[1])
    exam_id = page.editor.exam_id
    other = staff(world[0], DOCTOR2)
    records.save_section(
        other, exam_id, "internal", {**INTERNAL, "internal.circulation": "Tim đều"}, expected_version=0
    )
    page.editor.form.focus_field("internal.respiratory")
    type_text(
        QApplication.focusWidget, "Phổi thông khí tốt", 0
    )  # Vietnamese text, as an input method sends it
    qtbot.waitUntil(lambda: page.editor.conflict_bar.isVisible(), timeout=5_000)
    assert "bacsi2" in page.editor.conflict_label.text()
    assert editor_of(page, "internal.circulation").value() == "Tim đều"  # the other doctor's save is shown
    assert editor_of(page, "internal.respiratory").value() is None
    page.editor.reapply_button.click()
    assert not page.editor.conflict_bar.isVisible()
    wait_saved(qtbot, page)
    values = records.load(other, exam_id).document["values"]
    assert values["internal.respiratory"] == "Phổi thông khí tốt"
    assert values["internal.circulation"] == "Tim đều"
    other.close()


def test_opening_another_person_shows_nothing_of_the_first(qtbot, world, doctor, admin_session):
    from exam_support import add_person

    other = add_person(admin_session, "Lê Văn Cường", date(1970, 1, 2), "M")
    page = make_page(qtbot, doctor)
    open_exam(qtbot, page, world[1])
    first = page.editor.exam_id
    page.editor.form.focus_field("height_cm")
    QTest.keyClicks(QApplication.focusWidget(), "170")
    open_exam(qtbot, page, other)  # the pending edit is saved before the other exam opens
    assert page.editor.exam_id != first and editor_of(page, "height_cm").value() is None
    assert page.editor.form.section_values("physique") == {}
    assert records.load(doctor, first).document["values"]["height_cm"] == 170
    open_exam(qtbot, page, world[1])
    assert page.editor.exam_id == first
    assert editor_of(page, "height_cm").value() == "170"


def test_an_index_class_better_than_the_measurements_takes_the_doctors_reason(qtbot, world, doctor, nurse):
    from exam_support import VITALS

    draft = records.open_draft(nurse, world[1])
    high_bp = {**VITALS, "systolic": 165, "diastolic": 100}  # the measurements class circulation III or worse
    records.save_section(nurse, draft.document["id"], "physique", high_bp, expected_version=0)
    page = make_page(qtbot, doctor)
    open_exam(qtbot, page, world[1])
    form = page.editor.form
    # The nurse took the vitals: the doctor lands on the first required field that is still empty and theirs.
    first = QApplication.focusWidget()
    assert first is not None and form.sections[form.currentIndex()].id != "admin"
    circulation = editor_of(page, "internal.circulation_class")
    assert circulation.reason_edit is not None and circulation.widget.isAncestorOf(circulation.reason_edit)
    form.focus_field("internal.circulation_class")
    circulation.combo.setCurrentIndex(circulation.combo.findData(1))
    QTest.keyClick(circulation.combo, Qt.Key.Key_Tab)  # Tab reaches the reason
    assert QApplication.focusWidget() is circulation.reason_edit
    type_text(circulation.reason_edit, "đo lại sau nghỉ 15 phút: 128/82", 1.0)
    wait_saved(qtbot, page)
    saved = records.load(doctor, page.editor.exam_id).document["values"]["internal.circulation_class"]
    assert saved == {"class": 1, "reason": "đo lại sau nghỉ 15 phút: 128/82"}
    load_exam(qtbot, page, page.editor.exam_id)
    shown = editor_of(page, "internal.circulation_class")
    assert shown.combo.currentData() == 1 and shown.reason_edit.text() == "đo lại sau nghỉ 15 phút: 128/82"


def test_an_unfinished_form_shows_its_class_as_not_yet_known(qtbot, world, doctor):
    from exam_support import fill_adult

    short = {"height_cm": 112, "weight_kg": 30, "pulse": 72, "systolic": 120, "diastolic": 80}
    draft = records.open_draft(doctor, world[1])
    exam_id = draft.document["id"]
    records.save_section(doctor, exam_id, "physique", short, confirm=["height_cm"], expected_version=0)
    page = make_page(qtbot, doctor)
    load_exam(qtbot, page, exam_id)
    summary = page.editor.assessment.summary.text()
    assert (
        "Loại sức khỏe: chưa xác định — còn 12 chỉ số chưa xếp loại "
        "(Mắt, Tai mũi họng, Răng hàm mặt, Tâm thần - Thần kinh và 8 chỉ số khác)" in summary
    )
    assert "Loại V" not in summary and "Rất yếu" not in summary and "chưa đủ chỉ số" not in summary

    st = fill_adult(doctor, exam_id, vitals=short)  # every index classed, the eyes better than measured
    records.save_section(
        doctor,
        exam_id,
        "eyes",
        {"vision_right_uncorrected": 6, "vision_left_uncorrected": 6, "eyes.class": 1},
        expected_version=st.section_versions["eyes"],
    )
    load_exam(qtbot, page, exam_id)
    summary = page.editor.assessment.summary.text()
    assert "Loại sức khỏe: chưa xác định — xem mục cần sửa bên dưới" in summary
    assert (
        page.editor.assessment.errors.text()
        == "• Mắt: bác sĩ xếp loại I nhưng số đo cho loại IV — ghi lý do."
    )
    assert not sign(qtbot, page)
    (box,) = message_boxes()
    assert (
        "Cần sửa:" in box.text()
        and "Mắt: bác sĩ xếp loại I nhưng số đo cho loại IV — ghi lý do" in box.text()
    )
    box.close()

    st = records.load(doctor, exam_id)
    records.save_section(
        doctor,
        exam_id,
        "eyes",
        {"eyes.class": 4},
        expected_version=st.section_versions["eyes"],
    )
    load_exam(qtbot, page, exam_id)
    summary = page.editor.assessment.summary.text()
    assert "Loại gợi ý (chỉ số xấu nhất, QĐ 1613): Loại V – Rất yếu" in summary
    assert "Phân loại sức khỏe của phiếu: Loại V" in summary and "chưa xác định" not in summary
