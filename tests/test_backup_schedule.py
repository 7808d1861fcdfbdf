"""Scheduled backups to a chosen folder and the week-old reminder (core): real backups into a real folder, the
last backup read from the audit trail, with the session's frozen clock moved forward."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ksk_desktop.clock import FixedClock
from ksk_desktop.errors import BackupError, InvalidInput
from ksk_desktop.station import backup_schedule as bs
from ksk_desktop.station.backup import create_backup, verify_backup_file


def later(ctx, days: float) -> None:
    ctx.clock = FixedClock(ctx.clock.now() + timedelta(days=days))


def test_the_schedule_is_kept_per_computer_in_the_data_folder(paths, tmp_path):
    assert bs.load(paths) is None
    bs.save(paths, bs.BackupSchedule(str(tmp_path / "usb"), every_days=2))
    assert bs.load(paths) == bs.BackupSchedule(str(tmp_path / "usb"), 2)
    with pytest.raises(InvalidInput):
        bs.save(paths, bs.BackupSchedule("SaoLuu"))  # a relative path would follow the working folder
    with pytest.raises(InvalidInput):
        bs.save(paths, bs.BackupSchedule(str(tmp_path), every_days=30))
    bs.schedule_file(paths).write_text("{not json", encoding="utf-8")
    assert bs.load(paths) is None
    bs.clear(paths)
    assert not bs.schedule_file(paths).exists()


def test_a_due_backup_is_made_into_the_folder_then_not_again_until_due(admin_session, tmp_path):
    ctx = admin_session
    later(ctx, 0)  # a fixed instant: the audit trail records the session clock's time
    usb = tmp_path / "usb"
    usb.mkdir()
    schedule = bs.BackupSchedule(str(usb), every_days=1)
    assert bs.last_backup_at(ctx) is None
    info = bs.run_if_due(ctx, schedule)
    assert info is not None
    files = list(usb.glob("ksk-*.kskbak"))
    assert len(files) == 1 and verify_backup_file(files[0], ctx.key)["persons"] == 0
    assert bs.last_backup_at(ctx) == ctx.clock.now()
    later(ctx, 0.5)
    assert bs.run_if_due(ctx, schedule) is None  # made today already
    later(ctx, 0.6)
    assert bs.run_if_due(ctx, schedule) is not None
    assert len(list(usb.glob("ksk-*.kskbak"))) == 2


def test_a_missing_drive_is_said_plainly(admin_session, tmp_path):
    with pytest.raises(BackupError) as err:
        bs.run_if_due(admin_session, bs.BackupSchedule(str(tmp_path / "E-not-plugged-in")))
    assert "ổ USB chưa cắm" in err.value.message


def test_the_reminder_counts_any_backup_and_speaks_after_a_week(admin_session, tmp_path):
    ctx = admin_session
    later(ctx, 0)
    assert bs.reminder(bs.last_backup_at(ctx), ctx.clock.now()).startswith("Trạm chưa có bản sao lưu nào")
    create_backup(ctx, tmp_path / "by-hand.kskbak")  # made by hand, not by the schedule: counts all the same
    assert bs.reminder(bs.last_backup_at(ctx), ctx.clock.now()) is None
    later(ctx, 6.9)
    assert bs.reminder(bs.last_backup_at(ctx), ctx.clock.now()) is None
    later(ctx, 1.2)
    text = bs.reminder(bs.last_backup_at(ctx), ctx.clock.now())
    assert text is not None and text.startswith("Bản sao lưu gần nhất đã 8 ngày")
