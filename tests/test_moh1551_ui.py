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
