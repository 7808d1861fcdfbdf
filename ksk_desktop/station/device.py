"""This computer's own settings: which printer prints the queue tickets and which exam room its desk calls people
into. They belong to the device, not to the station that several laptops share and sync, so they live in a small
file in the data folder (``device.json``), never in the database."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields

from ksk_desktop.fsio import atomic_write_json
from ksk_desktop.station.paths import StationPaths

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceSettings:
    ticket_printer: str | None = None  # the printer's name as the system knows it
    call_room: str | None = None  # e.g. "Phòng khám 1", shown on the "now calling" screen


def load(paths: StationPaths) -> DeviceSettings:
    """The settings saved on this device; the defaults when there are none (or the file cannot be read)."""
    try:
        raw = json.loads(paths.device.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return DeviceSettings()
    except (OSError, ValueError) as exc:
        log.warning("device settings unreadable (%s): using the defaults", type(exc).__name__)
        return DeviceSettings()
    if not isinstance(raw, dict):
        log.warning("device settings are not an object: using the defaults")
        return DeviceSettings()
    known = {f.name for f in fields(DeviceSettings)}
    return DeviceSettings(**{k: str(v) if v else None for k, v in raw.items() if k in known})


def save(paths: StationPaths, settings: DeviceSettings) -> None:
    """Write *settings* (atomically: a crash leaves the old file or the new one)."""
    paths.root.mkdir(parents=True, exist_ok=True)
    atomic_write_json(paths.device, asdict(settings))
