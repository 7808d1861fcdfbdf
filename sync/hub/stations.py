"""The hub's registry of stations: who may enrol devices, and which communes each station serves.

The hub administrator registers a station (``ksk hub station add``) before issuing its enrolment codes. A
device's station comes from the code it enrolled with and the station's communes from this registry — never
from what the device says. A commune is served by one station only, so "the people of this station" is
exactly "the people whose commune this station serves": that is what a device may read and write
(``sync.hub.authz``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ksk_desktop.catalogs.communes import commune_by_code
from sync.hub.errors import Conflict, HubError
from sync.hub.models import Device, HubBase

STATION_CODE_MAX = 20
NAME_MAX = 200
FACILITY_CODE_MAX = 10


class HubStation(HubBase):
    """A station the hub administrator registered; its communes are in ``hub_station_commune``."""

    __tablename__ = "hub_station"
    code: Mapped[str] = mapped_column(String(STATION_CODE_MAX), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    facility_codes: Mapped[str] = mapped_column(
        Text, default="[]"
    )  # JSON list (health-insurance facility codes)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class HubStationCommune(HubBase):
    """One commune served by one station (the primary key makes a commune belong to one station only)."""

    __tablename__ = "hub_station_commune"
    commune_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    station_code: Mapped[str] = mapped_column(ForeignKey("hub_station.code"), index=True)
    position: Mapped[int] = mapped_column(default=0)  # the first one is the station's own commune


@dataclass(frozen=True)
class StationInfo:
    code: str
    name: str | None
    communes: tuple[str, ...]
    facilities: tuple[str, ...]

    def to_json(self) -> dict:
        return {
            "station_code": self.code,
            "name": self.name,
            "commune_codes": list(self.communes),
            "facility_codes": list(self.facilities),
        }


def check_station_code(code: str) -> str:
    """The station codes stations themselves accept (``ksk init``): 1–20 letters, digits and dashes."""
    code = (code or "").strip()
    if (
        not code
        or len(code) > STATION_CODE_MAX
        or not code.replace("-", "").isalnum()
        or not code.isprintable()
    ):
        raise HubError("Mã trạm không hợp lệ (tối đa 20 chữ, số và dấu '-').")
    return code


def _check_commune(code: str) -> str:
    code = (code or "").strip()
    if not (len(code) == 5 and code.isascii() and code.isdigit()) or commune_by_code(code) is None:
        raise HubError("Mã xã/phường không có trong danh mục đơn vị hành chính Hải Phòng.")
    return code


def _check_facility(code: str) -> str:
    code = (code or "").strip()
    if not code or len(code) > FACILITY_CODE_MAX or not (code.isascii() and code.isalnum()):
        raise HubError("Mã cơ sở khám chữa bệnh không hợp lệ (tối đa 10 chữ và số).")
    return code


def add(
    s: Session,
    code: str,
    communes: list[str],
    now: datetime,
    *,
    name: str | None = None,
    facilities: list[str] | None = None,
) -> StationInfo:
    """Register a station serving *communes* (the first is its own). Refuses a known station code and a
    commune another station already serves."""
    code = check_station_code(code)
    clean = list(dict.fromkeys(_check_commune(c) for c in communes))
    if not clean:
        raise HubError("Cần ít nhất một mã xã/phường mà trạm phục vụ.")
    fac = list(dict.fromkeys(_check_facility(f) for f in facilities or []))
    name = (name or "").strip() or None
    if name is not None and (len(name) > NAME_MAX or not name.isprintable()):
        raise HubError("Tên trạm không hợp lệ (tối đa 200 ký tự).")
    if s.get(HubStation, code) is not None:
        raise Conflict(f"Trạm {code} đã được đăng ký.")
    taken = s.execute(
        select(HubStationCommune.commune_code, HubStationCommune.station_code).where(
            HubStationCommune.commune_code.in_(clean)
        )
    ).first()
    if taken is not None:
        raise Conflict(f"Xã/phường {taken[0]} đã do trạm {taken[1]} phục vụ.")
    s.add(HubStation(code=code, name=name, facility_codes=json.dumps(fac), created_at=now))
    s.flush()
    for i, commune in enumerate(clean):
        s.add(HubStationCommune(commune_code=commune, station_code=code, position=i))
    s.flush()
    return StationInfo(code, name, tuple(clean), tuple(fac))


def get(s: Session, code: str) -> StationInfo | None:
    row = s.get(HubStation, code)
    if row is None:
        return None
    communes = s.scalars(
        select(HubStationCommune.commune_code)
        .where(HubStationCommune.station_code == code)
        .order_by(HubStationCommune.position, HubStationCommune.commune_code)
    ).all()
    return StationInfo(row.code, row.name, tuple(communes), tuple(json.loads(row.facility_codes or "[]")))


def station_of_commune(s: Session, commune_code: str | None) -> str | None:
    if not commune_code:
        return None
    return s.scalar(
        select(HubStationCommune.station_code).where(HubStationCommune.commune_code == commune_code)
    )


def listing(s: Session) -> list[dict]:
    """Every registered station with its communes, facilities and number of devices (active ones)."""
    devices = dict(
        s.execute(
            select(Device.station_code, func.count())
            .where(Device.revoked_at.is_(None))
            .group_by(Device.station_code)
        ).all()
    )
    out = []
    for code in s.scalars(select(HubStation.code).order_by(HubStation.code)).all():
        info = get(s, code)
        assert info is not None
        row = s.get(HubStation, code)
        assert row is not None
        out.append(
            info.to_json() | {"devices": devices.get(code, 0), "created_at": row.created_at.isoformat()}
        )
    return out
