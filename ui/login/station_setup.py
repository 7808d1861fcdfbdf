"""The first-run dialog's work on the worker: create the station, then (optionally) enrol it with the city hub
through the same function as ``ksk sync enroll``. An enrolment that fails does not undo the station: the
dialog says why, and the administrator enrols later from the Đồng bộ page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ksk_desktop.errors import InvalidInput, KskError
from ksk_desktop.station import backup_schedule
from ksk_desktop.station.lifecycle import InitResult, init_station, login
from ksk_desktop.station.paths import StationPaths


@dataclass(frozen=True)
class SetupOutcome:
    init: InitResult
    enrolment: dict | None = None  # enroll_station()'s answer when enrolled
    enrol_error: str = ""  # why enrolment failed (Vietnamese), when it was asked for and failed


def check_hub_fields(hub: str, code: str) -> tuple[str, str]:
    """Both empty (no enrolment now), or a valid hub address and a code; else InvalidInput, before anything is
    created."""
    from sync.client.transport import check_hub_url  # requests: only when someone fills the fields in

    hub, code = hub.strip(), code.strip()
    if not hub and not code:
        return "", ""
    if not hub:
        raise InvalidInput("Đã nhập mã đăng ký: hãy nhập cả địa chỉ máy chủ đồng bộ (hoặc để trống cả hai).")
    if not code:
        raise InvalidInput("Đã nhập địa chỉ máy chủ: hãy nhập cả mã đăng ký (hoặc để trống cả hai).")
    try:
        return check_hub_url(hub), code
    except KskError as exc:
        raise InvalidInput(exc.message) from exc


def check_backup_folder(wanted: bool, folder: str) -> str:
    """The folder for scheduled backups ('' when not wanted); InvalidInput when wanted without a full path. The
    folder need not exist yet (the USB drive may be out): the reminder says so later."""
    if not wanted:
        return ""
    folder = folder.strip()
    if not folder or not Path(folder).expanduser().is_absolute():
        raise InvalidInput('Sao lưu tự động: hãy chọn thư mục sao lưu (bấm "Chọn…").')
    return folder


def create_and_enrol(
    paths: StationPaths, args: dict[str, Any], hub: str, code: str, *, backup_folder: str = ""
) -> SetupOutcome:
    """``init_station(paths, **args)``, then this computer's backup schedule if *backup_folder*, then enrol with
    *hub* using *code* if both are given (network: call it off the GUI thread)."""
    result = init_station(paths, **args)
    if backup_folder:
        backup_schedule.save(paths, backup_schedule.BackupSchedule(backup_folder, every_days=1))
    if not hub:
        return SetupOutcome(result)
    from sync.client.enrolment import enroll_station

    try:
        ctx = login(paths, args["admin_username"].strip().lower(), args["admin_password"])
        try:
            return SetupOutcome(result, enrolment=enroll_station(ctx, hub, code))
        finally:
            ctx.close()
    except KskError as exc:
        return SetupOutcome(result, enrol_error=exc.message)
    except OSError as exc:  # the network, past what the transport turns into KskError
        return SetupOutcome(result, enrol_error=f"Không kết nối được máy chủ ({type(exc).__name__}).")
