"""The core behind the "Đồng bộ" page: reasons in Vietnamese, counts by kind and state, dismissing parked items."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from ksk_desktop import outbox
from ksk_desktop.db.models import OutboxItem
from ksk_desktop.errors import InvalidInput, NotFound, PermissionDenied
from ksk_desktop.outbox import sync_review
from ksk_desktop.station.lifecycle import login
from ksk_desktop.station.users import add_user


def _park(ctx, kind: str, reason: str) -> str:
    with ctx.write() as s:
        item = outbox.enqueue(s, kind, "e-1", {"x": 1})
        s.flush()
        s.execute(
            update(OutboxItem).where(OutboxItem.seq == item.seq).values(state="parked", last_error=reason)
        )
        return item.item_id


def test_reasons_are_said_in_vietnamese() -> None:
    assert (
        sync_review.explain("bad_person: Họ và tên trống hoặc không hợp lệ.")
        == "Họ và tên trống hoặc không hợp lệ."
    )
    assert sync_review.explain("format: HTTP 422").startswith("Máy chủ không đọc được mục này")
    assert sync_review.explain("local: hồ sơ không còn") == "Lỗi tại trạm: hồ sơ không còn"
    assert sync_review.explain(None).startswith("Máy chủ từ chối")
    assert sync_review.kind_label("person_merge") == "Gộp hồ sơ"


def test_counts_review_and_dismiss(admin_session) -> None:
    ctx = admin_session
    item = _park(ctx, "consent", "bad_consent: Thiếu người đồng ý.")
    with ctx.write() as s:
        outbox.enqueue(s, "consent", "e-2", {"x": 2})
    counts = sync_review.counts_by_kind(ctx)
    assert counts["consent"]["parked"] == 1 and counts["consent"]["pending"] == 1
    [row] = sync_review.review_parked(ctx)
    assert (
        row["item_id"] == item
        and row["reason_text"] == "Thiếu người đồng ý."
        and row["kind_label"] == "Đồng ý"
    )
    assert row["entity_label"] == "e-1"  # not a person: the id

    with pytest.raises(InvalidInput, match="lý do"):
        sync_review.dismiss(ctx, item, " ")
    with pytest.raises(NotFound):
        sync_review.dismiss(ctx, "no-such-item", "thử nghiệm")
    assert sync_review.dismiss(ctx, item, "Bản ghi thử") == {"item_id": item, "state": "dismissed"}
    with pytest.raises(InvalidInput, match="không ở trạng thái bị từ chối"):
        sync_review.dismiss(ctx, item, "lần nữa")
    assert sync_review.review_parked(ctx) == []
    assert sync_review.counts_by_kind(ctx)["consent"]["dismissed"] == 1


def test_dismiss_needs_sync_manage(admin_session) -> None:
    item = _park(admin_session, "consent", "x: y")
    add_user(admin_session, "bacsi", "doctor", "Bac-si-2026")
    doctor = login(admin_session.paths, "bacsi", "Bac-si-2026")
    try:
        with pytest.raises(PermissionDenied):
            sync_review.dismiss(doctor, item, "không cần gửi")
    finally:
        doctor.close()


def test_dismiss_from_the_command_line(station) -> None:
    import json

    from conftest import ADMIN, ADMIN_PASSWORD, run_ksk

    paths, _ = station
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        item = _park(ctx, "consent", "bad_consent: Thiếu người đồng ý.")
    finally:
        ctx.close()

    def ksk(*args: str):
        return run_ksk("--user", ADMIN, "sync", *args, data_dir=paths.root, password=ADMIN_PASSWORD)

    short = ksk("dismiss", item, "--reason", " ")
    assert short.returncode == 2 and "lý do" in short.stderr
    done = ksk("dismiss", item, "--reason", "Bản ghi thử", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"item_id": item, "state": "dismissed"}
    assert json.loads(ksk("parked", "--json").stdout) == []
    again = ksk("dismiss", item, "--reason", "lần nữa")
    assert again.returncode == 2 and "không ở trạng thái bị từ chối" in again.stderr
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        assert sync_review.counts_by_kind(ctx)["consent"]["dismissed"] == 1
    finally:
        ctx.close()
