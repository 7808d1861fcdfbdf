"""Scheduled encrypted backups to a folder this computer chooses (a USB drive, say), and the reminder when the
station's last backup is older than a week.

The schedule belongs to the computer (the drive letter of its USB stick), so it lives in a small file in the data
folder (``backup-schedule.json``), like ``device.json``. When the last backup was made is read from the audit
trail (every backup, scheduled or made by hand with ``ksk backup create`` or restored elsewhere, writes a
``backup.create`` event), so the reminder is right whoever made it."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from ksk_desktop.clock import VIETNAM
from ksk_desktop.db.models import AuditEvent, Station
from ksk_desktop.errors import BackupError, InvalidInput
from ksk_desktop.fsio import atomic_write_json
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.backup import BackupInfo, create_backup
from ksk_desktop.station.paths import StationPaths
from ksk_desktop.station.session import StationSession

log = logging.getLogger(__name__)

REMIND_AFTER = timedelta(days=7)
FILE_NAME = "backup-schedule.json"


@dataclass(frozen=True)
class BackupSchedule:
    folder: str  # where the backups go (a USB drive's folder)
    every_days: int = (
        1  # a backup when the last one is at least this old, while someone who may back up works
    )


def schedule_file(paths: StationPaths) -> Path:
    return paths.root / FILE_NAME


def load(paths: StationPaths) -> BackupSchedule | None:
    """This computer's schedule, or None (none set, or the file cannot be read)."""
    try:
        raw = json.loads(schedule_file(paths).read_text(encoding="utf-8"))
        return BackupSchedule(folder=str(raw["folder"]), every_days=int(raw.get("every_days", 1)))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("backup schedule unreadable (%s): no scheduled backups", type(exc).__name__)
        return None


def save(paths: StationPaths, schedule: BackupSchedule) -> None:
    folder = Path(schedule.folder).expanduser()
    if not folder.is_absolute():
        raise InvalidInput("Hãy chọn thư mục sao lưu bằng đường dẫn đầy đủ (ví dụ ổ USB E:\\SaoLuu).")
    if not 1 <= schedule.every_days <= 7:
        raise InvalidInput("Sao lưu tự động: mỗi 1 đến 7 ngày một lần.")
    paths.root.mkdir(parents=True, exist_ok=True)
    atomic_write_json(schedule_file(paths), asdict(BackupSchedule(str(folder), schedule.every_days)))


def clear(paths: StationPaths) -> None:
    schedule_file(paths).unlink(missing_ok=True)


def last_backup_at(ctx: StationSession) -> datetime | None:
    """When the station's newest backup was made (aware, UTC), from the audit trail; None if never."""
    with ctx.read() as s:
        at = s.scalars(
            select(AuditEvent.at)
            .where(AuditEvent.action == "backup.create")
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).first()
    if at is None:
        return None
    when = datetime.fromisoformat(at)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def is_due(schedule: BackupSchedule, last: datetime | None, now: datetime) -> bool:
    return last is None or now - last >= timedelta(days=schedule.every_days)


def reminder(last: datetime | None, now: datetime) -> str | None:
    """The status bar's reminder (Vietnamese), or None when the last backup is less than a week old."""
    if last is not None and now - last < REMIND_AFTER:
        return None
    if last is None:
        return (
            "Trạm chưa có bản sao lưu nào: hãy sao lưu (trang Quản trị → Sao lưu dữ liệu) hoặc cắm ổ sao lưu."
        )
    days = (now - last).days
    shown = last.astimezone(VIETNAM).strftime("%d/%m/%Y")
    return f"Bản sao lưu gần nhất đã {days} ngày (ngày {shown}): hãy sao lưu hoặc cắm ổ sao lưu."


def backup_name(ctx: StationSession, now: datetime) -> str:
    with ctx.read() as s:
        station_code = s.scalars(select(Station.code)).one()
    code = "".join(ch for ch in station_code if ch.isalnum() or ch == "-") or "tram"
    return f"ksk-{code}-{now.astimezone(VIETNAM).strftime('%Y%m%d-%H%M')}.kskbak"


def run_if_due(ctx: StationSession, schedule: BackupSchedule) -> BackupInfo | None:
    """Make the scheduled backup if it is due and the logged-in person may back up; None if not due or not
    allowed. BackupError when the folder is missing (the USB drive is not plugged in) or cannot be written."""
    if not ctx.can(Perm.BACKUP_CREATE):
        return None
    now = ctx.clock.now()
    if not is_due(schedule, last_backup_at(ctx), now):
        return None
    folder = Path(schedule.folder)
    if not folder.is_dir():
        raise BackupError(f"Không thấy thư mục sao lưu {folder} (ổ USB chưa cắm?).")
    return create_backup(ctx, folder / backup_name(ctx, now))
