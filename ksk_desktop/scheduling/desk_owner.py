"""Who runs an exam day's desk (docs/multi-device.md §3): the day's queue numbers come from one device.

The device that checks in the day's first person claims the day (``exam_day.desk_device_id``, a new version of
the day queued for the station's other devices, and carried by transfer files like any exam_day item). Another
device of the station is refused at check-in unless the station head takes the desk over there (a new version
again): the team claims its island day this way before it leaves. A device never enrolled at the hub has no
device id and claims nothing (a one-laptop station works as before).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop.dates import show_date
from ksk_desktop.db.models import ExamDay, Site, SyncState
from ksk_desktop.errors import InvalidInput, NotFound, Remedy
from ksk_desktop.scheduling import sync_items
from ksk_desktop.scheduling.errors import DeskElsewhere
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession


def this_device(s: Session) -> str | None:
    """This device's id at the hub, or None before enrolment."""
    return s.scalar(select(SyncState.device_id).where(SyncState.id == 1))


def _set_desk(ctx: StationSession, s: Session, day: ExamDay, device_id: str, action: str) -> None:
    before = day.desk_device_id
    day.desk_device_id = device_id
    day.version += 1
    day.updated_at = ctx.clock.utcnow()
    sync_items.queue_day(s, day)
    ctx.audit(s, action, "exam_day", day.id, {"from": before, "to": device_id, "version": day.version})


def claim_for_checkin(ctx: StationSession, s: Session, day: ExamDay) -> None:
    """Before this device gives a queue number on *day*: claim the day if nobody runs its desk yet; refuse if
    another device does (:class:`DeskElsewhere`)."""
    me = this_device(s)
    if me is None or day.desk_device_id == me:
        return
    if day.desk_device_id is None:
        _set_desk(ctx, s, day, me, "exam_day.desk_claim")
        return
    site = s.get(Site, day.site_id)
    raise DeskElsewhere(
        f"Ngày khám này do máy khác điều hành quầy (máy {day.desk_device_id}): số thứ tự của ngày "
        f"{show_date(day.exam_date)}{' tại ' + site.name if site else ''} chỉ do máy đó cấp. Trưởng trạm có thể "
        "nhận quầy về máy này (nút “Nhận quầy về máy này” ở trang Hôm nay).",
        day.id,
        day.desk_device_id,
    )


def take_desk(ctx: StationSession, day_id: str) -> dict:
    """The station head moves the day's desk to this device (a new version of the day, audited)."""
    ctx.require(Perm.SCHEDULE_MANAGE)
    with ctx.write() as s:
        day = s.get(ExamDay, day_id)
        if day is None:
            raise NotFound(f"Không tìm thấy ngày khám {day_id}.")
        me = this_device(s)
        if me is None:
            raise InvalidInput(
                "Máy này chưa đăng ký với máy chủ của thành phố nên chưa có mã thiết bị: đăng ký trước rồi "
                "nhận quầy.",
                remedy=Remedy.ENROL_SYNC,
            )
        before = day.desk_device_id
        if before != me:
            _set_desk(ctx, s, day, me, "exam_day.take_desk")
        return {"day_id": day.id, "desk_device_id": me, "previous": before, "version": day.version}


def desk_of(ctx: StationSession, day_id: str) -> dict:
    """Which device runs the day's desk, and whether it is this one."""
    with ctx.read() as s:
        day = s.get(ExamDay, day_id)
        if day is None:
            raise NotFound(f"Không tìm thấy ngày khám {day_id}.")
        me = this_device(s)
        return {
            "day_id": day.id,
            "desk_device_id": day.desk_device_id,
            "this_device": me,
            "here": day.desk_device_id is None or day.desk_device_id == me,
        }
