"""Sign-off on the Khám page, on a real station: the doctor signs after a confirmation, the form turns read-only
and the signature verifies; an amendment makes version 2 with its reason; the result slip and the referral slip
open in the print preview and are saved from it as real PDFs (only the file-dialog choice is patched), read back
with pdftotext; the follow-up list
shows the signed exam's follow-ups, filters the overdue ones and marks one done."""

from __future__ import annotations

from datetime import date

import exam_ui_support as support
import pytest
from exam_support import STAFF_PASSWORD, VITALS, add_person, fill_adult
from exam_ui_support import editor_of, make_page, message_boxes, open_exam, wait_saved
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel
from test_printing_schedule import pdftotext
from test_printing_ui import save_from_preview

from conftest import frozen_clock
from ksk_desktop.exams import followups, plan, records, signing
from ksk_desktop.station.lifecycle import login
from ui.exam.sign_dialog import SignPasswordDialog

world, doctor, nurse = support.world, support.doctor, support.nurse  # the shared fixtures


@pytest.fixture
def session_clock():
    """Today is FROZEN_DAY (26/11/2026): a follow-up due on 01/10/2026 is overdue."""
    return frozen_clock()


HIGH_BP = {**VITALS, "systolic": 165, "diastolic": 102}  # hypertension grade 2: a referral and a follow-up


def draft_filled(ctx, person_id: str, vitals: dict = VITALS, exam_date: date | None = None) -> str:
    exam_id = records.open_draft(ctx, person_id, exam_date=exam_date).document["id"]
    fill_adult(ctx, exam_id, vitals=vitals)
    return exam_id


def sign_dialog() -> SignPasswordDialog:
    (dialog,) = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, SignPasswordDialog) and w.isVisible()
    ]
    return dialog


def sign_through_the_dialog(qtbot, page) -> None:
    page.editor.bar.sign_button.click()
    dialog = sign_dialog()
    assert "không sửa được nữa" in "".join(label.text() for label in dialog.findChildren(QLabel))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()  # no password yet
    assert dialog.isVisible() and "mật khẩu" in dialog.error_label.text()
    qtbot.keyClicks(dialog.password_edit, "Sai-mat-khau-1")  # someone else's, or a typo: nothing is signed
    # The key is opened on the worker; the refusal comes back as sign_finished(False).
    with qtbot.waitSignal(page.editor.sign_finished, timeout=10_000) as refused:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert refused.args == [False]
    (box,) = message_boxes()
    assert "Mật khẩu không đúng" in box.text()
    box.close()
    assert page.editor.document.get("status") == "draft"
    page.editor.bar.sign_button.click()
    dialog = sign_dialog()
    qtbot.keyClicks(dialog.password_edit, STAFF_PASSWORD)
    with qtbot.waitSignal(page.editor.sign_finished, timeout=10_000) as signed:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        assert dialog.password_edit.text() == ""  # the password does not stay in the field
    assert signed.args == [True]
    assert page.editor.document.get("status") == "signed"


def test_sign_makes_the_form_read_only_and_the_signature_verifies(qtbot, world, doctor):
    exam_id = draft_filled(doctor, world[1])
    page = make_page(qtbot, doctor)
    open_exam(qtbot, page, world[1])
    assert page.editor.exam_id == exam_id  # today's draft, not a new one
    sign_through_the_dialog(qtbot, page)
    bar = page.editor.bar
    assert bar.signed_label.isVisible() and "BS. Nguyễn Văn Minh" in bar.signed_label.text()
    assert not bar.sign_button.isVisible() and bar.amend_button.isVisible() and bar.print_button.isVisible()
    height = editor_of(page, "height_cm")
    assert height.edit.isReadOnly()
    height.edit.setFocus()
    qtbot.keyClicks(height.edit, "9")
    assert height.value() == "165"
    assert not page.editor.autosave.dirty
    assert signing.verify(doctor, exam_id)["valid"] is True
    # The person's list of exams learns of the signature from the operation's changes.
    qtbot.waitUntil(lambda: "đã ký" in page.queue.exams.item(0).text(), timeout=5_000)
    assert page.queue.exams.item(0).text().endswith("đã ký, loại I")


def test_amendment_creates_version_two_with_its_reason(qtbot, world, doctor):
    exam_id = draft_filled(doctor, world[1])
    page = make_page(qtbot, doctor)
    open_exam(qtbot, page, world[1])
    sign_through_the_dialog(qtbot, page)
    dialog = page.editor.open_amend()
    dialog.submit()  # no reason
    assert "lý do" in dialog.error_label.text()
    dialog.reason_edit.setText("Cân lại: ghi nhầm cân nặng")
    weight = dialog.form.editors["weight_kg"]
    weight.edit.setText("")
    qtbot.keyClicks(weight.edit, "62")
    dialog.submit()  # no password
    assert dialog.isVisible() and "mật khẩu" in dialog.error_label.text()
    qtbot.keyClicks(dialog.password_edit, "Sai-mat-khau-1")
    dialog.submit()  # the key is opened on the worker: the refusal comes back to the dialog
    qtbot.waitUntil(lambda: "Mật khẩu không đúng" in dialog.error_label.text(), timeout=5_000)
    assert dialog.isVisible() and dialog.buttons.isEnabled()
    assert records.load(doctor, exam_id).document["version"] == 1
    qtbot.keyClicks(dialog.password_edit, STAFF_PASSWORD)
    with qtbot.waitSignal(dialog.finished, timeout=5_000):  # written on the worker, then the dialog closes
        dialog.submit()
    qtbot.waitUntil(lambda: "phiên bản 2" in page.editor.header.text(), timeout=5_000)
    doc = records.load(doctor, exam_id).document
    assert (doc["version"], doc["amends_version"], doc["status"]) == (2, 1, "signed")
    assert doc["amendment_reason"] == "Cân lại: ghi nhầm cân nặng" and doc["values"]["weight_kg"] == 62
    assert records.load(doctor, exam_id, 1).document["values"]["weight_kg"] == 60.5  # the signed v1 unchanged
    assert signing.verify(doctor, exam_id)["valid"]
    assert (
        "phiên bản 2" in page.editor.header.text()
        and "đính chính bản 1" in page.editor.bar.signed_label.text()
    )


def test_prints_the_result_slip_and_the_referral_slip(qtbot, world, doctor, monkeypatch, tmp_path):
    draft_filled(doctor, world[1], HIGH_BP)
    page = make_page(qtbot, doctor)
    open_exam(qtbot, page, world[1])
    page.editor.suggest_plan()
    plan_editor = page.editor.plan_editor
    qtbot.waitUntil(lambda: plan_editor.referrals.rowCount() == 1, timeout=5_000)
    assert plan_editor.referrals.rowCount() == 1 and plan_editor.followups.rowCount() == 1
    wait_saved(qtbot, page)
    sign_through_the_dialog(qtbot, page)
    page.editor.bar.print_button.click()  # made on the worker, shown in the print preview
    assert save_from_preview(qtbot, page.editor, tmp_path / "phieu.pdf", monkeypatch) == 1  # one A5 page
    slip = pdftotext(tmp_path / "phieu.pdf")
    assert "PHIẾU KẾT QUẢ KHÁM SỨC KHỎE" in slip and "Nguyễn Văn An" in slip and "165/102" in slip
    assert page.editor.bar.referral_button.isVisible()
    page.editor.bar.referral_button.click()
    save_from_preview(qtbot, page.editor, tmp_path / "chuyen-tuyen.pdf", monkeypatch)
    referral = pdftotext(tmp_path / "chuyen-tuyen.pdf")
    assert (
        "GIẤY CHUYỂN TUYẾN" in referral and "Nguyễn Văn An" in referral and "Tăng huyết áp độ 2" in referral
    )


def test_nothing_is_printed_for_a_draft(qtbot, world, doctor):
    page = make_page(qtbot, doctor)
    open_exam(qtbot, page, world[1])
    assert not page.editor.bar.print_button.isVisible() and not page.editor.bar.referral_button.isVisible()


def test_followup_list_shows_filters_overdue_and_marks_done(qtbot, world, doctor, admin_session):
    old = draft_filled(doctor, world[1], HIGH_BP, exam_date=date(2026, 9, 1))  # follow-up due 01/10: overdue
    other = add_person(admin_session, "Trần Thị Bình", date(1975, 3, 2), "F")
    new = records.open_draft(doctor, other).document["id"]
    st = records.load(doctor, new)
    for section, values in (
        ("physique", HIGH_BP),
        ("eyes", {"vision_right_uncorrected": 10, "vision_left_uncorrected": 10, "eyes.class": 1}),
        ("ent", {"whisper_right_m": 5, "whisper_left_m": 5, "ent.class": 1}),
        (
            "internal",
            {
                f"internal.{k}_class": 1
                for k in (
                    "circulation",
                    "respiratory",
                    "digestive",
                    "kidney_urology",
                    "endocrine",
                    "musculoskeletal",
                    "neurology",
                    "psychiatry",
                )
            },
        ),
        ("surgery", {"surgery.class": 1, "surgery.tumour_class": 1}),
        ("dermatology", {"dermatology.class": 1}),
        ("teeth", {"teeth.class": 1}),
        ("obgyn", {"obgyn.class": 1}),
    ):
        st = records.save_section(
            doctor, new, section, values, expected_version=st.section_versions.get(section, 0)
        )
    for exam_id in (old, new):
        suggested = plan.suggest_for(doctor, exam_id)
        plan.set_plan(doctor, exam_id, suggested["referrals"], suggested["followups"], expected_version=0)
        signing.sign(doctor, exam_id, STAFF_PASSWORD)
    page = make_page(qtbot, doctor)
    page.tabs.setCurrentWidget(page.followups)
    view = page.followups
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=5_000)
    assert [view.table.item(r, 0).text() for r in range(2)] == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert (
        view.table.item(0, 1).text() == "Quản lý tăng huyết áp tại trạm"
        and view.table.item(0, 2).text() == "01/10/2026"
    )
    with qtbot.waitSignal(view.refreshed, timeout=5_000):
        view.overdue_check.setChecked(True)
    assert view.table.rowCount() == 1 and view.table.item(0, 0).text() == "Nguyễn Văn An"
    view.table.selectRow(0)
    with qtbot.waitSignal(view.refreshed, timeout=5_000):  # the list learns it from the operation's changes
        view.done_button.click()
    assert view.table.rowCount() == 0 and "Đã đánh dấu xong" in view.info_label.text()
    with qtbot.waitSignal(view.refreshed, timeout=5_000):
        view.overdue_check.setChecked(False)
    assert [view.table.item(r, 0).text() for r in range(view.table.rowCount())] == ["Trần Thị Bình"]
    assert [f["status"] for f in followups.list_followups(doctor, status="done")] == ["done"]
    # "Mở phiếu khám" opens the exam the item came from.
    view.table.selectRow(0)
    with qtbot.waitSignal(page.editor.opened, timeout=5_000):
        view.open_button.click()
    assert page.tabs.currentWidget() is page.entry and page.editor.exam_id == new


def test_head_reads_follow_ups_but_cannot_mark_them_done_and_admin_sees_nothing(
    qtbot, world, admin_session, session_clock
):
    from ksk_desktop.station import users

    users.add_user(admin_session, "truongtram", "head", "Truong-tram-2026", "Trưởng Trạm")
    head = login(world[0], "truongtram", "Truong-tram-2026", clock=session_clock)
    page = make_page(qtbot, head)
    page.tabs.setCurrentWidget(page.followups)
    assert not page.followups.done_button.isVisible() and not page.followups.error_label.isVisible()
    head.close()
    page.set_session(admin_session)
    assert not page.tabs.isEnabled() and "không có quyền" in page.error_label.text()
