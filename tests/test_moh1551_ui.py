"""The Đồng bộ page's QĐ 1551 table: what to fix and what is overdue, in Vietnamese, from what the hub reported."""

from __future__ import annotations

from datetime import timedelta

from moh1551_support import signed_khamsuckhoe
from testkit.testca import TestCA

from ksk_desktop.moh1551 import certs, envelope, status
from ui.sync.page import SyncPage


def _queue(ctx, facility, doctor, exam_id: str, ma_lk: str, hours_ago: float) -> str:
    xml = signed_khamsuckhoe(doctor, facility, ma_lk=ma_lk, hoso_id=f"HS-{ma_lk}")
    env = envelope.build(xml, sender_id="8930000123456", signer=facility, now=ctx.clock.now())
    with ctx.write() as s:
        envelope.queue_push(
            s, exam_id=exam_id, ma_lk=ma_lk, person_id="p-" + exam_id, envelope=env,
            exam_ended_at=ctx.clock.now() - timedelta(hours=hours_ago),
        )  # fmt: skip
    return env["header"]["msg_id"]


def test_the_page_shows_what_to_fix_and_what_is_overdue(qtbot, admin_session):
    ctx = admin_session
    ca = TestCA()
    facility = certs.open_pkcs12(ca.facility().p12("f"), "f")
    doctor = certs.open_pkcs12(ca.doctor().p12("d"), "d")
    parked = _queue(ctx, facility, doctor, "exam-parked-0001", "LK-A", 2)
    late = _queue(ctx, facility, doctor, "exam-late-000002", "LK-B", 30)
    _queue(
        ctx, facility, doctor, "exam-fine-000003", "LK-C", 1
    )  # still queued, not late: shown as on its way
    now = ctx.clock.utcnow()
    deadline = (now + timedelta(hours=22)).isoformat() + "Z"
    status.record(
        ctx,
        {
            "items": [
                {"msg_id": parked, "exam_id": "exam-parked-0001", "exam_version": 1, "state": "parked",
                 "res_code": "CM_INVALID_REQUEST", "message": "Thiếu trường bắt buộc HO_TEN.", "deadline": deadline,
                 "answered_at": now.isoformat() + "Z"},
                {"msg_id": late, "exam_id": "exam-late-000002", "exam_version": 1, "state": "pending",
                 "res_code": None, "message": None, "deadline": (now - timedelta(hours=6)).isoformat() + "Z",
                 "answered_at": None},
            ]
        },
    )  # fmt: skip
    page = SyncPage(None)
    qtbot.addWidget(page)
    qtbot.addWidget(page.indicator)
    page.set_session(ctx)
    page.show()
    for _ in range(2):  # shown, then shown again after a reload
        page.moh_table.setRowCount(0)
        page.load_now()
        qtbot.waitUntil(lambda: page.moh_table.rowCount() == 3, timeout=10_000)
        rows = [[page.moh_table.item(r, c).text() for c in range(4)] for r in range(3)]
        assert "LK-A" in rows[0][0] and rows[0][1] == "Bộ Y tế trả lại — cần sửa dữ liệu"
        assert rows[0][3] == "CM_INVALID_REQUEST — Thiếu trường bắt buộc HO_TEN."
        assert "LK-B" in rows[1][0] and rows[1][1].endswith("QUÁ HẠN")
        assert "LK-C" in rows[2][0] and rows[2][1] == "Chờ gửi lên máy chủ thành phố"
        assert page.moh_label.text() == "Cần xử lý: 1 hồ sơ · quá hạn 24 giờ: 1"


def test_the_sign_dialog_opens_a_certificate_whose_password_is_not_the_login_password(
    qtbot, station, admin_session, session_clock
):
    """A doctor whose QĐ 1551 certificate has its own password types it in the sign dialog's second field: a wrong
    one signs nothing; the right one signs the exam and queues its envelope for the Ministry."""
    from datetime import date

    from exam_support import DOCTOR, STAFF_PASSWORD, add_identified_person, add_staff, staff
    from exam_ui_support import load_exam, make_page, message_boxes
    from PySide6.QtWidgets import QApplication, QDialogButtonBox
    from test_moh1551_sign_off import _draft, _moh_items

    from ksk_desktop.demo.seed import DEMO_GTIN
    from ksk_desktop.moh1551 import settings as moh_settings
    from ksk_desktop.moh1551 import station_certs
    from ui.exam.sign_dialog import SignPasswordDialog

    ca = TestCA()
    add_staff(admin_session)
    pid = add_identified_person(admin_session, "Phạm Văn Cường", "031078004567", date(1978, 8, 8))
    moh_settings.update(admin_session, ma_cskcb="31006", ma_gtin_cskcb=DEMO_GTIN)
    station_certs.import_facility_p12(admin_session, ca.facility().p12("tram-p12"), "tram-p12")
    station_certs.import_doctor_p12(admin_session, DOCTOR, ca.doctor().p12("Chung-thu-9"), "Chung-thu-9")
    doctor = staff(station[0], DOCTOR, session_clock)
    try:
        exam_id = _draft(doctor, pid)
        page = make_page(qtbot, doctor)
        load_exam(qtbot, page, exam_id)

        def sign_with(cert_password: str) -> bool:
            page.editor.bar.sign_button.click()
            (dialog,) = [
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, SignPasswordDialog) and w.isVisible()
            ]
            qtbot.keyClicks(dialog.password_edit, STAFF_PASSWORD)
            assert dialog.cert_edit is not None
            qtbot.keyClicks(dialog.cert_edit, cert_password)
            with qtbot.waitSignal(page.editor.sign_finished, timeout=20_000) as done:
                dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
                assert dialog.cert_edit.text() == ""  # no password stays in a field
            return bool(done.args[0])

        assert not sign_with("Sai-chung-thu-1")
        (box,) = message_boxes()
        assert "chứng thư" in box.text().lower() or "mật khẩu" in box.text().lower()
        box.close()
        assert page.editor.document.get("status") == "draft" and _moh_items(doctor) == []
        assert sign_with("Chung-thu-9")
        assert page.editor.document.get("status") == "signed"
        [item] = _moh_items(doctor)
        assert item["exam_id"] == exam_id
    finally:
        doctor.close()


def test_exams_a_station_could_not_send_for_want_of_certificates_are_one_line_not_a_row_each(
    qtbot, station, admin_session, session_clock
):
    from datetime import date

    from exam_support import DOCTOR, STAFF_PASSWORD, add_identified_person, add_staff, staff
    from test_moh1551_sign_off import _draft

    from ksk_desktop.demo.seed import DEMO_GTIN
    from ksk_desktop.exams import signing
    from ksk_desktop.moh1551 import settings as moh_settings

    add_staff(admin_session)
    moh_settings.update(admin_session, ma_cskcb="31006", ma_gtin_cskcb=DEMO_GTIN)  # codes, no certificates
    doctor = staff(station[0], DOCTOR, session_clock)
    try:
        for n, cccd in enumerate(("031078004567", "031078004568")):
            pid = add_identified_person(admin_session, f"Người Thứ {n}", cccd, date(1978, 8, 8))
            signing.sign(doctor, _draft(doctor, pid), STAFF_PASSWORD)
    finally:
        doctor.close()
    page = SyncPage(None)
    qtbot.addWidget(page)
    qtbot.addWidget(page.indicator)
    page.set_session(admin_session)
    page.show()
    want = "2 phiếu chưa gửi được: thiếu chứng thư số của trạm hoặc của bác sĩ ký"
    qtbot.waitUntil(lambda: page.moh_label.text() == want, timeout=10_000)
    assert page.moh_table.rowCount() == 0 and not page.moh_table.isVisible()
